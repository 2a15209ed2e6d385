"""Data-driven corpus: before/after schemas per dialect with the expected change list,
then convergence: the rendered SQL applied to the real current database leaves only the
production-only objects that are deliberately kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from parity import dialects
from parity.diff import compare
from parity.diff.apply import apply_change
from parity.model.changes import AlterColumn, Change, PossibleRename, ProductionOnly
from parity.plan.planner import plan
from pg_catalog import catalog_rows
from schema_helpers import beside_url, database_for, execute, load, load_beside, need_extensions

CORPUS = Path(__file__).parent / "corpus"
#: Lint rules that describe a change itself; any other rule on a plan is the planner's own fault.
# MIG022: a CREATE DOMAIN with a CHECK (the domain's own constraint, checked as it is made).
# MIG039: on MySQL/MariaDB a new FOREIGN KEY (with foreign_key_checks on, so rows are checked) or
# CHECK can only be added by copying the table; the server offers no in-place form to plan instead.
CHANGE_RULES = {
    "MIG003", "MIG006", "MIG008", "MIG011", "MIG012", "MIG015", "MIG022", "MIG024", "MIG027", "MIG037", "MIG039",
}  # fmt: skip
DIALECTS = ("sqlite", "postgres", "mysql")


def _cases() -> list[tuple[str, Path]]:
    out = [(d, p) for d in DIALECTS for p in sorted((CORPUS / "common").glob("*.sql"))]
    out += [(d, p) for d in DIALECTS for p in sorted((CORPUS / d).glob("*.sql"))]
    return out


def _parse(path: Path) -> tuple[str, str, list[str], bool]:
    sections: dict[str, list[str]] = {"current": [], "desired": [], "expect": []}
    converge = True
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        head = line.strip().lower()
        if head in ("-- current", "-- desired", "-- expect"):
            current = head[3:]
            continue
        if head == "-- converge: no":
            converge = False
            continue
        if head.startswith("-- catalog: no"):
            continue  # read by _catalog_checked
        if current is not None and line.strip():
            sections[current].append(line)
    return (
        "\n".join(sections["current"]),
        "\n".join(sections["desired"]),
        [x.strip() for x in sections["expect"]],
        converge,
    )


def _catalog_checked(path: Path) -> bool:
    """False for a case marked ``-- catalog: no (why)``: main spells something differently that
    means the same (``now()`` and ``CURRENT_TIMESTAMP``), so the catalogs differ on purpose."""
    return not any(
        ln.strip().lower().startswith("-- catalog: no") for ln in path.read_text("utf-8").splitlines()
    )


def _object_of(change: Change) -> str:
    """The catalog name a change is about (a function's name without its arguments)."""
    return (change.table_name or change.object_name).split("(", 1)[0]


def line_of(change: Change) -> str:
    text = f"{change.kind} {change.object_name}"
    if isinstance(change, AlterColumn):
        text += " " + ",".join(sorted(change.changes))
    if isinstance(change, ProductionOnly):
        text += f" {change.object_kind}"
    return text


def test_corpus_is_big_enough() -> None:
    files = list(CORPUS.glob("*/*.sql"))
    assert len(files) >= 40
    kinds = {line.split()[0] for p in files for line in _parse(p)[2]}
    assert kinds >= {
        "add_table", "add_column", "alter_column", "add_index", "drop_index", "add_foreign_key", "drop_foreign_key",
        "add_check", "add_unique", "add_view", "alter_view", "production_only", "possible_rename", "add_enum",
        "add_enum_value", "add_sequence", "add_trigger", "alter_trigger", "alter_primary_key",
    }  # fmt: skip


@pytest.mark.parametrize(("dialect", "path"), _cases(), ids=lambda v: v if isinstance(v, str) else v.stem)
def test_corpus_case(dialect: str, path: Path, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    current_sql, desired_sql, expected, converge = _parse(path)
    url, dev = database_for(dialect, request, tmp_path)
    if dialect == "sqlite":
        sqlite3.connect(database_path := url.split(":///", 1)[1]).close()
        assert Path(database_path).exists()
    if dialect == "postgres":
        need_extensions(url, current_sql + "\n" + desired_sql)
    d = dialects.get(dialect)
    d.execute_script(url, current_sql)
    current = d.inspect(url)
    # Extensions and schemas are database-wide: a case that has them loads main's schema in a database
    # of its own.
    apart = any(w in (current_sql + desired_sql).lower() for w in ("extension", "create schema"))
    desired = load(d, desired_sql, dev) if apart else load_beside(d, desired_sql, url, dev)
    changes = compare(current, desired, d.compare_options)
    assert [line_of(c) for c in changes] == expected

    # The planner's own migrations pass its own lint: what remains describes the change main asks
    # for (a type change, a new unique key, a column that fills every row), never how it is run.
    lint = {f.code for f in plan(current, changes, d).diagnostics if f.area == "lint"}
    assert lint <= CHANGE_RULES, sorted(lint - CHANGE_RULES)

    # Every change renders and is classified; reversible ones reverse to themselves.
    for change in changes:
        assert d.impact(change, current).safety is not None
        rev = change.reverse()
        if rev is not None:
            assert rev.reverse() == change
    if not converge:
        return
    execute(url, d.render_script(current, changes))
    kept = {line_of(c) for c in changes if isinstance(c, ProductionOnly)}
    kept |= {
        f"production_only {c.table}.{c.old.name} column" for c in changes if isinstance(c, PossibleRename)
    }
    inspected = d.inspect(url)
    # A change that renders nothing (SQLite: a type spelling that stores alike) stays, as a note.
    notes: set[str] = set()
    step = current
    for c in changes:  # each change rendered as render_script does: after the ones before it
        if not isinstance(c, ProductionOnly) and not d.render(c, step):
            notes.add(line_of(c))
        step = apply_change(step, c)
    after = compare(inspected, desired, d.compare_options)
    assert {line_of(c) for c in after} == kept | notes
    assert all(isinstance(c, ProductionOnly) or line_of(c) in notes for c in after)
    if dialect == "postgres" and _catalog_checked(path):
        # Not parity's own diff: every catalog row of main's schema, as the server prints it, is now in
        # the migrated one (which may hold more: the production-only objects that are kept). Left out:
        # objects of a change parity refuses (it renders nothing) and a table whose row-level security
        # only production has (kept on).
        refused = {
            _object_of(c) for c in changes if not isinstance(c, ProductionOnly) and line_of(c) in notes
        }
        refused |= {
            _object_of(c)
            for c in changes
            if isinstance(c, ProductionOnly) and c.object_kind == "row_security"
        }
        if apart:
            with d.scratch(dev) as scratch_url:
                d.execute_script(scratch_url, desired_sql)
                wanted = catalog_rows(scratch_url)
        else:
            wanted = catalog_rows(beside_url(url), other_schemas=False)
        missing = [row for row in wanted - catalog_rows(url, other_schemas=apart) if row[1] not in refused]
        assert sorted(map(str, missing)) == []
