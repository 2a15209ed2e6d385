"""``parity lint FILE… [options]`` without the command-line framework.

typer takes as long to import and start as the lint of a thousand statements (it builds a
pydantic validator for every parameter), and ``parity lint`` runs in CI on every push. When the
arguments are plain files and valid option values, :func:`run` does what the typer command
(:func:`parity.cli.lint.lint_cmd`) does: the same report (:func:`lint_report`, shared), the same
secret scope, the same one-line errors and exit codes. Anything else (help, ``--rules``, ``--``,
an unknown option, a value out of range) is left to typer, which words the usage errors.
"""

from __future__ import annotations

import gc
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from parity.cli.plain import Format, project_scope, terminal_width

if TYPE_CHECKING:
    from parity.model.findings import Report


class LintDialect(StrEnum):
    postgres = "postgres"
    sqlite = "sqlite"
    mysql = "mysql"


#: The files parity.config.load_config reads, in its order.
CONFIG_FILES = ("parity.toml", "pyproject.toml")
PG_VERSIONS = range(9, 31)
_OPTIONS = {
    "--dialect": "dialect",
    "-d": "dialect",
    "--format": "fmt",
    "-f": "fmt",
    "--pg-version": "pg_version",
}


def lint_report(files: list[Path], dialect: str, pg_version: int | None) -> Report:
    """The lint report of ``files``, with the ``[lint]`` settings of the working folder's
    parity.toml (or pyproject.toml ``[tool.parity]``); a :class:`ParityError` on a bad file or config."""
    from parity.model.findings import Report, Section
    from parity.plan.lint import LintSettings, lint_files

    cwd = Path.cwd()
    # Without a config file the config module (pydantic, a tenth of a run) is not loaded at all.
    if any(os.path.lexists(cwd / name) for name in CONFIG_FILES):
        from parity.config import load_config

        config, _ = load_config(cwd)
        settings = LintSettings.from_config(config.lint, pg_version)
    else:
        settings = LintSettings(pg_version=pg_version)
    findings = lint_files(files, dialect, cwd, settings=settings)
    notes = (f"{len(files)} file(s), dialect {dialect}",)
    return Report("lint", str(cwd), "-", (Section("lint", "Migration Lint", findings, (), notes),))


def parse(argv: list[str]) -> tuple[list[Path], LintDialect, Format, int | None] | None:
    """(files, dialect, format, pg_version) of plain arguments; None for anything else."""
    files: list[Path] = []
    values: dict[str, str] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-"):
            files.append(Path(arg))
            i += 1
            continue
        name, eq, value = arg.partition("=")
        if name not in _OPTIONS or (eq and not name.startswith("--")):
            return None
        if not eq:
            if i + 1 >= len(argv):
                return None
            value = argv[i + 1]
            i += 1
        values[_OPTIONS[name]] = value
        i += 1
    pg = values.get("pg_version")
    if not files or (pg is not None and not (pg.isdigit() and int(pg) in PG_VERSIONS)):
        return None
    try:
        dialect = LintDialect(values.get("dialect", LintDialect.postgres.value))
        fmt = Format(values.get("fmt", Format.text.value))
    except ValueError:
        return None
    return files, dialect, fmt, int(pg) if pg is not None else None


def run(argv: list[str]) -> int | None:
    """The exit code of ``parity lint`` with ``argv``; None: typer is to run it."""
    parsed = parse(argv)
    if parsed is None:
        return None
    files, dialect, fmt, pg_version = parsed

    # The parse trees, findings and report a run builds have no cycles and are freed by reference
    # counting, so the cycle collector's passes over them (a twentieth of a 10,000-statement lint,
    # after the checker's own pause) would free nothing.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _run(files, dialect, fmt, pg_version)
    finally:
        if paused:
            gc.enable()


def _run(files: list[Path], dialect: LintDialect, fmt: Format, pg_version: int | None) -> int:
    from parity.env.secrets import scrub
    from parity.errors import ParityError
    from parity.report import render
    from parity.safefs import one_read_per_file

    def fail(message: str, code: int = 2) -> int:
        sys.stderr.write(scrub(message) + "\n")
        sys.stderr.flush()
        return code

    # As parity.cli.common.scoped and guarded do for every typer command.
    with one_read_per_file(), project_scope(None):
        try:
            report = lint_report(files, dialect.value, pg_version)
            tty = sys.stdout.isatty()
            sys.stdout.write(render(report, fmt.value, width=terminal_width(tty), color=tty))
            sys.stdout.flush()
        except ParityError as exc:
            return fail(f"parity: error: {exc.one_line()}")
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            return fail(f"parity: error: {where}{exc.strerror or exc}")
        except KeyboardInterrupt:
            return fail("parity: interrupted", 130)
        except Exception as exc:
            import traceback

            text = "".join(traceback.format_exception(exc))
            if scrub(text) == text:
                raise
            sys.stderr.write(scrub(text))
            return 70
    return 0 if report.passed else 1
