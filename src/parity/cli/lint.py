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


def register(app: typer.Typer) -> None:
    app.command("lint")(lint_cmd)
