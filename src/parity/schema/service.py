"""The service behind ``parity schema diff``: live vs declared schema → Schema Impact Analysis.

:func:`diff_schema` returns values (schemas, changes, impact rows); :func:`build_schema_section`
turns them into the report's "Schema Impact Analysis" section. Nothing here writes: the
live database is only inspected (read-only), the declared schema is loaded on scratch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parity import dialects
from parity.dialects.base import RowCount
from parity.diff.compare import compare
from parity.errors import redact_url
from parity.model.changes import (
    AddCheck,
    AddColumn,
    AddEnum,
    AddEnumValue,
    AddForeignKey,
    AddIndex,
    AddSequence,
    AddTable,
    AddTrigger,
    AddUnique,
    AddView,
    AlterColumn,
    AlterPrimaryKey,
    AlterTableOptions,
    AlterView,
    Change,
    DropIndex,
    Impact,
    PossibleRename,
    ProductionOnly,
    Safety,
    describe,
)
from parity.model.findings import Finding, Section, Severity, Table
from parity.model.schema import Schema
from parity.project import Project
from parity.schema.discover import find_database_url, find_schema_source
from parity.schema.sources import dev_server, load_desired

SECTION_ID = "schema"
SECTION_TITLE = "Schema Impact Analysis"

# Stable finding codes (documented in docs/codes.md by the report owner).
CODES: dict[type[Change], tuple[str, Severity]] = {
    AddTable: ("SCH001", Severity.ERROR),
    AddColumn: ("SCH002", Severity.ERROR),
    AlterColumn: ("SCH003", Severity.ERROR),
    AddIndex: ("SCH004", Severity.WARNING),
    DropIndex: ("SCH004", Severity.WARNING),
    AddForeignKey: ("SCH005", Severity.ERROR),
    AddUnique: ("SCH005", Severity.ERROR),
    AddCheck: ("SCH005", Severity.ERROR),
    AlterPrimaryKey: ("SCH005", Severity.ERROR),
    AlterTableOptions: ("SCH005", Severity.ERROR),
    AddView: ("SCH006", Severity.ERROR),
    AlterView: ("SCH006", Severity.ERROR),
    AddEnum: ("SCH006", Severity.ERROR),
    AddEnumValue: ("SCH006", Severity.ERROR),
    AddSequence: ("SCH006", Severity.ERROR),
    AddTrigger: ("SCH006", Severity.WARNING),
    ProductionOnly: ("SCH007", Severity.INFO),
    PossibleRename: ("SCH008", Severity.WARNING),
}
CODE_DOCS = {
    "SCH001": "a table main declares is missing in the database",
    "SCH002": "a column main declares is missing in the database",
    "SCH003": "a column differs (type, nullability, default, collation, generated, identity, MySQL ON UPDATE)",
    "SCH004": "an index is missing or differs",
    "SCH005": "a key, constraint or table option (primary, foreign, unique, check; SQLite WITHOUT ROWID) is missing or differs",
    "SCH006": "a view, enum, sequence or trigger is missing or differs",
    "SCH007": "an object only the database has (drift; kept, never dropped)",
    "SCH008": "a column looks renamed (one gone, one of the same type added)",
}


@dataclass(frozen=True, slots=True)
class ImpactRow:
    change: Change
    impact: Impact
    sql: tuple[str, ...]
    rows: RowCount | None = None


@dataclass(frozen=True, slots=True)
class SchemaDiff:
    """Everything ``schema diff`` found. ``url`` is redacted; ``source`` as given or discovered."""

    dialect: str
    url: str
    source: str
    current: Schema
    desired: Schema
    changes: tuple[Change, ...]
    rows: tuple[ImpactRow, ...]
    service: str | None = None
    source_lines: dict[str, int] = field(default_factory=dict)

    @property
    def pending(self) -> tuple[Change, ...]:
        """Changes that would be applied (reports of production-only objects left out)."""
        return tuple(c for c in self.changes if not isinstance(c, ProductionOnly))

    def sql(self) -> list[str]:
        return [s for r in self.rows for s in r.sql]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dialect": self.dialect,
            "database": self.url,
            "source": self.source,
            "service": self.service,
            "changes": [_row_dict(r) for r in self.rows],
        }


def _row_dict(r: ImpactRow) -> dict[str, Any]:
    c = r.change
    out: dict[str, Any] = {
        "kind": c.kind,
        "object": c.object_name,
        "table": c.table_name,
        "description": describe(c),
        "rows": r.rows.rows if r.rows else None,
        "rows_estimated": r.rows.estimated if r.rows else None,
        "rewrites_table": r.impact.rewrites_table,
        "lock": r.impact.lock,
        "safety": r.impact.safety.value,
        "note": r.impact.note,
        "sql": list(r.sql),
    }
    if isinstance(c, AlterColumn):
        out["changed"] = sorted(c.changes)
    if isinstance(c, ProductionOnly):
        out["object_kind"] = c.object_kind
    return out


def diff_schema(
    project: Project,
    environment: str,
    *,
    db: str | None = None,
    schema: str | None = None,
    dev_url: str | None = None,
    count_rows: bool = True,
) -> SchemaDiff:
    """Inspect the target database read-only, load the declared schema on scratch, compare.

    ``db`` overrides the discovered URL, ``schema`` the discovered source (a .sql file, a
    folder of them, or ``module:Base``), ``dev_url`` names the server for scratch databases.
    """
    location = find_database_url(project, environment, db)
    dialect = dialects.get(location.url)
    source = find_schema_source(project, schema)
    current = dialect.inspect(location.url)
    # The declared schema never loads beside the target: on the dev server the user names, else
    # where parity keeps its own scratch databases (memory, a throwaway server).
    scratch_server = dev_server(location.url, dev_url, project.config.schema_.dev_url, project.config_file)
    desired = load_desired(source, dialect, project.root, scratch_server, target=location.url)
    changes = compare(current, desired, dialect.compare_options)
    tables = sorted({t for c in changes if (t := c.table_name) and current.table(t) is not None})
    counts = dialect.row_counts(location.url, tables) if count_rows and tables else {}
    rows = tuple(
        ImpactRow(c, impact, tuple(sql), counts.get(c.table_name or ""))
        for c, impact, sql in dialect.iter_impacts(current, changes)
    )
    return SchemaDiff(
        dialect.name,
        redact_url(location.url),
        source,
        current,
        desired,
        tuple(changes),
        rows,
        location.service,
        _source_lines(project.root, source, changes),
    )


def _source_lines(root: Path, source: str, changes: list[Change]) -> dict[str, int]:
    """Best-effort line of each changed object's declaration in a single .sql source."""
    path = Path(source) if Path(source).is_absolute() else root / source
    if not path.is_file():
        return {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    out: dict[str, int] = {}
    table_line: dict[str, int] = {}
    create = re.compile(
        r"create\s+(?:unique\s+)?(table|index|view|type|sequence|trigger)\s+(?:if\s+not\s+exists\s+)?[\"`\[]?(\w+)",
        re.I,
    )
    current_table: str | None = None
    for number, text in enumerate(lines, start=1):
        m = create.search(text)
        if m:
            kind, name = m.group(1).lower(), m.group(2).lower()
            out.setdefault(name, number)
            if kind == "table":
                current_table = name
                table_line[name] = number
            else:
                current_table = None
            continue
        if current_table:
            col = re.match(r"\s*[\"`\[]?(\w+)", text)
            if col:
                out.setdefault(f"{current_table}.{col.group(1).lower()}", number)
            if text.strip().startswith(")"):
                current_table = None
    return out


def _message(c: Change, r: ImpactRow) -> str:
    text = describe(c)
    bits = [r.impact.safety.value]
    if r.rows is not None:
        bits.append(f"{'~' if r.rows.estimated else ''}{r.rows.rows} rows")
    if r.impact.rewrites_table:
        bits.append("rewrites the table")
    return f"{text} ({', '.join(bits)})"


def _fix(c: Change, r: ImpactRow) -> str:
    if isinstance(c, ProductionOnly):
        return "kept; if it is really unused, drop it by hand after a backup, or declare it in the schema"
    if isinstance(c, PossibleRename):
        return (
            f"if this is a rename, write it as one: ALTER TABLE … RENAME COLUMN {c.old.name} TO {c.new.name}"
        )
    if r.sql:
        return (
            "plan a migration: "
            + r.sql[0].splitlines()[0]
            + (" …" if len(r.sql) > 1 or "\n" in r.sql[0] else "")
        )
    return "plan a migration for it"


def _first_line(sql: str) -> str:
    first = sql.strip().splitlines()[0] if sql.strip() else ""
    return first + (" …" if "\n" in sql.strip() else "")


def _shown_url(url: str, project: Project) -> str:
    """A SQLite file inside the project as its path from the project root: reports read the same on every machine."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :].split("?", 1)[0])
        if path.is_absolute() and path.is_relative_to(project.root):
            return project.rel(path)
    return url


def section_from_diff(result: SchemaDiff, project: Project, environment: str) -> Section:
    """The "Schema Impact Analysis" section for a computed :class:`SchemaDiff`."""
    source_file = result.source if not Path(result.source).is_absolute() else project.rel(Path(result.source))
    findings: list[Finding] = []
    table_rows: list[tuple[str, ...]] = []
    for r in result.rows:
        c = r.change
        code, severity = CODES.get(type(c), ("SCH006", Severity.WARNING))
        line = None
        if not isinstance(c, ProductionOnly):
            key = c.object_name.lower() if c.object_name else ""
            line = result.source_lines.get(key) or result.source_lines.get((c.table_name or "").lower())
        findings.append(
            Finding(
                code=code,
                severity=severity,
                area="schema",
                message=_message(c, r),
                service=result.service,
                environment=environment,
                file=source_file if line else None,
                line=line,
                key=c.object_name or None,
                fix=_fix(c, r),
            )
        )
        table_rows.append(
            (
                describe(c),
                c.table_name or "",
                "" if r.rows is None else f"{'~' if r.rows.estimated else ''}{r.rows.rows}",
                "yes" if r.impact.rewrites_table else "no",
                r.impact.lock or "",
                r.impact.safety.value,
                # The table gives the first line of each statement; the full SQL follows it.
                "; ".join(_first_line(s) for s in r.sql) or "-- kept",
            )
        )
    notes = [f"{result.dialect} database {_shown_url(result.url, project)} vs declared schema {source_file}"]
    if not result.changes:
        notes.append("no differences: the database matches the declared schema")
    worst = max(
        (r.impact.safety for r in result.rows if not isinstance(r.change, ProductionOnly)),
        key=lambda s: s.rank,
        default=None,
    )
    if worst is not None:
        notes.append(f"worst safety class: {worst.value}")
    blocks = (("sql", ";\n".join(result.sql()) + ";\n"),) if result.sql() else ()
    return Section(
        SECTION_ID,
        SECTION_TITLE,
        tuple(findings),
        (
            Table(
                "Changes", ("change", "table", "rows", "rewrite", "lock", "safety", "sql"), tuple(table_rows)
            ),
        )
        if table_rows
        else (),
        tuple(notes),
        blocks,
    )


def build_schema_section(
    project: Project,
    environment: str,
    *,
    db: str | None = None,
    schema: str | None = None,
    dev_url: str | None = None,
) -> Section:
    """The "Schema Impact Analysis" for ``environment`` (errors: :class:`ParityError` subclasses)."""
    return section_from_diff(
        diff_schema(project, environment, db=db, schema=schema, dev_url=dev_url), project, environment
    )


__all__ = [
    "CODES",
    "CODE_DOCS",
    "ImpactRow",
    "Safety",
    "SchemaDiff",
    "build_schema_section",
    "diff_schema",
    "section_from_diff",
]
