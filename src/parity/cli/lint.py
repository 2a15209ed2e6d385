"""``parity lint FILE.sql...``: migration lint rules (MIG codes) for hand-written or planned SQL."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from parity.cli.common import Format, FormatOpt, echo, emit, exit_for, fail_usage, guarded

#: The files parity.config.load_config reads, in its order.
_CONFIG_FILES = ("parity.toml", "pyproject.toml")


class LintDialect(StrEnum):
    postgres = "postgres"
    sqlite = "sqlite"
    mysql = "mysql"


def lint_cmd(
    files: Annotated[list[Path] | None, typer.Argument(help="SQL files (migration files) to check.")] = None,
    dialect: Annotated[
        LintDialect, typer.Option("--dialect", "-d", help="SQL dialect of the files.")
    ] = LintDialect.postgres,
    rules: Annotated[
        bool, typer.Option("--rules", help="List the rules with their doc line and exit.")
    ] = False,
    pg_version: Annotated[
        int | None,
        typer.Option(
            "--pg-version",
            min=9,
            max=30,
            help="PostgreSQL major version the files run on (default: [lint] pg_version, else 13+).",
        ),
    ] = None,
    fmt: FormatOpt = Format.text,
) -> None:
    """Check migration SQL for statements that are dangerous on a live production database."""
    from parity.plan.lint import RULES

    if rules:
        for r in RULES.values():
            where = f" [{', '.join(r.dialects)}]" if r.dialects else ""
            echo(f"{r.id}  {r.name:<30} {r.severity.value:<7} {r.doc}{where}")
        raise typer.Exit(0)
    if not files:
        raise fail_usage("give at least one SQL file (or --rules)")
    from parity.model.findings import Report, Section
    from parity.plan.lint import LintSettings, lint_files

    cwd = Path.cwd()
    # [lint] of the parity.toml (or pyproject.toml [tool.parity]) in the working folder, when there
    # is one; without either file the config module (pydantic) is not loaded at all.
    if any(os.path.lexists(cwd / name) for name in _CONFIG_FILES):
        from parity.config import load_config

        config, _ = guarded(lambda: load_config(cwd))
        settings = guarded(lambda: LintSettings.from_config(config.lint, pg_version))
    else:
        settings = LintSettings(pg_version=pg_version)
    findings = guarded(lambda: lint_files(files, dialect.value, cwd, settings=settings))
    notes = (f"{len(files)} file(s), dialect {dialect.value}",)
    report = Report("lint", str(cwd), "-", (Section("lint", "Migration Lint", findings, (), notes),))
    emit(report, fmt)
    raise exit_for(report)


_OPTIONS = {
    "--dialect": "dialect",
    "-d": "dialect",
    "--format": "fmt",
    "-f": "fmt",
    "--pg-version": "pg_version",
}


def run_direct(argv: list[str]) -> int | None:
    """``parity lint FILE… [options]`` run without the command-line framework, which takes as
    long to start as the lint of a thousand statements (it builds a pydantic validator for every
    parameter). Returns the exit code; None when ``argv`` is anything but files and valid option
    values (help, ``--rules``, ``--``, a value out of range…): the framework parses those and
    words the errors, as for every other command."""
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
    if not files or (pg is not None and not (pg.isdigit() and 9 <= int(pg) <= 30)):
        return None
    try:
        dialect = LintDialect(values.get("dialect", LintDialect.postgres.value))
        fmt = Format(values.get("fmt", Format.text.value))
    except ValueError:
        return None
    from parity.cli.common import scoped

    try:
        scoped(lint_cmd)(files=files, dialect=dialect, rules=False, pg_version=pg and int(pg), fmt=fmt)
    except typer.Exit as exc:
        return int(exc.exit_code)
    return 0


def register(app: typer.Typer) -> None:
    app.command("lint")(lint_cmd)
