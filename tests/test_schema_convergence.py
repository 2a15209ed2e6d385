"""Convergence, property-tested on generated schemas against real databases.

For a random ``current`` schema (with a row in every table) and a random mutation of it as
``desired``: applying the rendered SQL to the current database yields a database whose
diff against ``desired`` is empty except for the production-only objects deliberately kept.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parity import dialects
from parity.diff import apply_changes, compare
from parity.model.changes import PossibleRename, ProductionOnly
from schema_helpers import execute, pg_schemas

TYPES = ("INTEGER", "VARCHAR(20)", "VARCHAR(40)", "TEXT")
COLUMN_NAMES = ("a", "b", "c", "d", "e")
TABLE_NAMES = ("t1", "t2", "t3", "t4")


@dataclass(frozen=True)
class Col:
    name: str
    type: str
    not_null: bool
    default: str | None


@dataclass(frozen=True)
class Tab:
    name: str
    cols: tuple[Col, ...]
    indexed: tuple[str, ...]


def _default_for(t: str) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(["0", "1"] if t == "INTEGER" else ["'1'", "'x'"]))


@st.composite
def columns(draw: st.DrawFn) -> tuple[Col, ...]:
    names = draw(st.lists(st.sampled_from(COLUMN_NAMES), unique=True, max_size=4))
    out = []
    for n in names:
        t = draw(st.sampled_from(TYPES))
        out.append(Col(n, t, draw(st.booleans()), draw(_default_for(t))))
    return tuple(out)


@st.composite
def tables(draw: st.DrawFn) -> tuple[Tab, ...]:
    names = draw(st.lists(st.sampled_from(TABLE_NAMES), unique=True, min_size=1, max_size=3))
    out = []
    for n in names:
        cols = draw(columns())
        idx = draw(st.lists(st.sampled_from([c.name for c in cols]), unique=True, max_size=2)) if cols else []
        out.append(Tab(n, cols, tuple(idx)))
    return tuple(out)


@st.composite
def mutated(draw: st.DrawFn, current: tuple[Tab, ...]) -> tuple[Tab, ...]:
    out = []
    for tab in current:
        if draw(st.integers(0, 9)) == 0:
            continue  # the declared schema lost the table: production-only
        cols = []
        for c in tab.cols:
            roll = draw(st.integers(0, 5))
            if roll == 0:
                continue  # production-only column
            if roll == 1:
                t = draw(st.sampled_from(TYPES))
                c = replace(c, type=t, default=draw(_default_for(t)))
            elif roll == 2:
                c = replace(c, not_null=not c.not_null)
            elif roll == 3:
                c = replace(c, default=draw(_default_for(c.type)))
            cols.append(c)
        taken = {c.name for c in tab.cols}
        for extra in draw(columns()):
            if extra.name not in taken:
                # A NOT NULL column added to a table with rows needs a default to be addable.
                default = (
                    extra.default or ("0" if extra.type == "INTEGER" else "'x'")
                    if extra.not_null
                    else extra.default
                )
                cols.append(replace(extra, default=default))
                taken.add(extra.name)
        names = [c.name for c in cols]
        idx = draw(st.lists(st.sampled_from(names), unique=True, max_size=2)) if names else []
        out.append(Tab(tab.name, tuple(cols), tuple(idx)))
    for extra_tab in draw(tables()):
        if extra_tab.name not in {t.name for t in out} and extra_tab.name not in {t.name for t in current}:
            out.append(extra_tab)
    return tuple(out)


def ddl(schema: tuple[Tab, ...], rows: bool) -> list[str]:
    out = []
    for tab in schema:
        cols = ["id INTEGER PRIMARY KEY"]
        for c in tab.cols:
            text = f"{c.name} {c.type}" + (" NOT NULL" if c.not_null else "")
            cols.append(text + (f" DEFAULT {c.default}" if c.default else ""))
        out.append(f"CREATE TABLE {tab.name} ({', '.join(cols)})")
        out.extend(f"CREATE INDEX ix_{tab.name}_{c} ON {tab.name} ({c})" for c in tab.indexed)
        if rows:
            names = ["id", *(c.name for c in tab.cols)]
            values = ["1", *("1" if c.type == "INTEGER" else "'1'" for c in tab.cols)]
            out.append(f"INSERT INTO {tab.name} ({', '.join(names)}) VALUES ({', '.join(values)})")
    return out


def check_convergence(url: str, desired_url: str) -> None:
    d = dialects.get(url)
    current = d.inspect(url)
    desired = d.inspect(desired_url)
    changes = compare(current, desired, d.compare_options)
    kept = {(c.object_kind, c.table, c.name) for c in changes if isinstance(c, ProductionOnly)}
    kept |= {("column", c.table, c.old.name) for c in changes if isinstance(c, PossibleRename)}
    # The model-level application agrees with the database-level one.
    modelled = apply_changes(current, changes)
    assert all(
        isinstance(c, ProductionOnly) or not d.render(c, modelled)
        for c in compare(modelled, desired, d.compare_options)
    )
    execute(url, d.render_script(current, changes))
    inspected = d.inspect(url)
    # What is left renders nothing: production-only objects, and type spellings that store alike
    # (SQLite's VARCHAR(20) and TEXT), which are notes rather than rebuilds.
    after = [c for c in compare(inspected, desired, d.compare_options) if d.render(c, inspected)]
    after += [c for c in compare(inspected, desired, d.compare_options) if isinstance(c, ProductionOnly)]
    assert all(isinstance(c, ProductionOnly) for c in after), after
    assert {(c.object_kind, c.table, c.name) for c in after} == kept


@st.composite
def pairs(draw: st.DrawFn) -> tuple[tuple[Tab, ...], tuple[Tab, ...]]:
    current = draw(tables())
    return current, draw(mutated(current))


@settings(max_examples=40, deadline=None)
@given(pairs())
def test_sqlite_converges(pair: tuple[tuple[Tab, ...], tuple[Tab, ...]]) -> None:
    current, desired = pair
    with tempfile.TemporaryDirectory() as tmp:
        url, desired_url = f"sqlite:///{Path(tmp) / 'cur.db'}", f"sqlite:///{Path(tmp) / 'des.db'}"
        execute(url, ddl(current, rows=True))
        execute(desired_url, ddl(desired, rows=False))
        check_convergence(url, desired_url)


@pytest.mark.postgres
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=pairs())
def test_postgres_converges(pg_url: str, pair: tuple[tuple[Tab, ...], tuple[Tab, ...]]) -> None:
    current, desired = pair
    # One schema pair per example inside the test's database: CREATE SCHEMA is cheap.
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    execute(url, ddl(current, rows=True))
    execute(desired_url, ddl(desired, rows=False))
    check_convergence(url, desired_url)
