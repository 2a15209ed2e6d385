"""``parity schema diff``: the live database vs the schema main declares (read-only)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from parity.cli.common import EnvOpt, PathArg, echo, guarded

if TYPE_CHECKING:
    from parity.model.findings import Section
    from parity.schema.service import SchemaDiff


class DiffFormat(StrEnum):
    text = "text"
    json = "json"
    sql = "sql"


DbOpt = Annotated[
    str | None, typer.Option("--db", help="Database URL (default: DATABASE_URL of the environment).")
]
SchemaOpt = Annotated[
    str | None,
    typer.Option("--schema", help="Declared schema: a .sql file, a folder of them, or module:Base."),
]
DevUrlOpt = Annotated[
    str | None, typer.Option("--dev-url", help="Server for the scratch database (PostgreSQL/MySQL).")
]
DiffFormatOpt = Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")]


def _text(result: SchemaDiff, section: Section) -> str:
    from parity.model.changes import ProductionOnly

    lines = [f"{section.title}", *section.notes, ""]
    # The app's own migration history comes first: its pending revisions are the real gap.
    for finding in section.findings:
        if finding.code == "SCH009":
            lines.append(f"! [{finding.code}] {finding.message}")
            if finding.fix:
                lines.append(f"    fix: {finding.fix}")
    per_row = [f for f in section.findings if f.code != "SCH009"]
    for row, finding in zip(result.rows, per_row, strict=True):
        marker = "=" if isinstance(row.change, ProductionOnly) else "+"
        lines.append(f"{marker} [{finding.code}] {finding.message}")
        if row.impact.lock:
            lines.append(f"    lock: {row.impact.lock}")
        if row.impact.note:
            lines.append(f"    note: {row.impact.note}")
        for stmt in row.sql:
            lines.extend("    " + s for s in (stmt + ";").splitlines())
        if isinstance(row.change, ProductionOnly):
            lines.append("    kept (production-only objects are never dropped)")
    verdict = "FAIL" if section.failed else "PASS"
    pending = len(result.pending)
    lines.append("")
    lines.append(
        f"{verdict}: {pending} change(s) to apply, {len(result.changes) - pending} production-only object(s) kept"
    )
    return "\n".join(lines) + "\n"


def _sql(result: SchemaDiff) -> str:
    """What ``migrate`` would run, as a script to read or pipe to ``psql``/``sqlite3``: the plan's
    migrations with their timeouts, each transactional one between BEGIN and COMMIT, and what
    parity refuses or keeps as comments only (a refused statement never reaches the pipe)."""
    from parity import dialects
    from parity.model.changes import describe
    from parity.plan.planner import plan

    counts = {
        r.change.table_name: r.rows.rows for r in result.rows if r.rows is not None and r.change.table_name
    }
    p = plan(result.current, result.changes, dialects.get(result.dialect), row_counts=counts)
    out = [f"-- parity schema diff: {result.dialect} {result.url} vs {result.source}"]
    for d in p.refused:
        out.append(f"-- refused ({d.code}): {d.message}")
        if d.fix:
            out.append(f"--   fix: {d.fix}")
    out.extend(f"-- kept: {describe(c)} (production-only objects are never dropped)" for c in p.kept)
    for m in p.migrations():
        out.append("")
        if m.transactional and result.dialect != "mysql":
            out.extend(["BEGIN;", m.up.rstrip("\n"), "COMMIT;"])
        else:
            if result.dialect == "mysql":
                out.append(
                    "-- MySQL commits each DDL statement on its own: there is no transaction to roll back"
                )
            out.append(m.up.rstrip("\n"))
    if p.empty:
        out.append("-- nothing to run")
    return "\n".join(out) + "\n"


def register(app: typer.Typer) -> None:
    schema_app = typer.Typer(
        help="Compare the live database schema with the schema main declares.", no_args_is_help=True
    )

    @schema_app.command("diff")
    def diff_cmd(
        path: PathArg = Path("."),
        env: EnvOpt = "production",
        db: DbOpt = None,
        schema: SchemaOpt = None,
        dev_url: DevUrlOpt = None,
        fmt: DiffFormatOpt = DiffFormat.text,
    ) -> None:
        """Schema Impact Analysis: each change with table, rows, rewrite/lock, safety class and SQL."""

        def run() -> tuple[SchemaDiff, Section]:
            from parity.project import discover, normalize_environment
            from parity.schema.service import diff_schema, section_from_diff

            project = discover(path)
            environment = normalize_environment(env)
            result = diff_schema(project, environment, db=db, schema=schema, dev_url=dev_url)
            return result, section_from_diff(result, project, environment)

        result, section = guarded(run)
        if fmt is DiffFormat.json:
            data = result.as_dict()
            data["findings"] = [f.as_dict() for f in section.findings]
            data["verdict"] = "FAIL" if section.failed else "PASS"
            echo(json.dumps(data, indent=2))
        elif fmt is DiffFormat.sql:
            echo(_sql(result), nl=False)
        else:
            echo(_text(result, section), nl=False)
        raise typer.Exit(1 if section.failed else 0)

    app.add_typer(schema_app, name="schema")
