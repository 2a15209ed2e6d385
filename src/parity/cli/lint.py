"""``parity lint FILE.sql...``: migration lint rules (MIG codes) for hand-written or planned SQL."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from parity.cli.common import Format, FormatOpt, echo, emit, exit_for, fail_usage, guarded
from parity.cli.lint_direct import PG_VERSIONS, LintDialect


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
            min=PG_VERSIONS.start,
            max=PG_VERSIONS.stop - 1,
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
    from parity.cli.lint_direct import lint_report

    report = guarded(lambda: lint_report(files, dialect.value, pg_version))
    emit(report, fmt)
    raise exit_for(report)


def register(app: typer.Typer) -> None:
    app.command("lint")(lint_cmd)
