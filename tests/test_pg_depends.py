"""Dependencies: read from PostgreSQL's pg_depend, used to order creates and to drop and make again
what stands on a changed view or column. The end-to-end cases are in the corpus (p39, p40, p45,
p46); these pin the pieces."""

from __future__ import annotations

import pytest
from tests.schema_helpers import execute, pg_schemas

from parity import dialects
from parity.dialects.sql import split_statements
from parity.diff import compare
from parity.diff.depends import column_readers, dependent_views, topological
from parity.model.changes import AlterView, Rebuilt, Safety
from parity.model.schema import Dependency, Grant, Schema, Table, Trigger, View
from parity.plan.planner import plan


def test_a_sql_standard_body_is_one_statement() -> None:
    sql = (
        "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN a > 0 THEN 1 END; "
        "SELECT 2; END;\nCREATE TABLE t (x int);\nBEGIN;\nCOMMIT;"
    )
    assert [s for _, s in split_statements(sql, "postgres")] == [
        "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN a > 0 THEN 1 END; "
        "SELECT 2; END",
        "CREATE TABLE t (x int)",
        "BEGIN",
        "COMMIT",
    ]


@pytest.mark.postgres
def test_the_inspector_reads_what_needs_what(pg_url: str) -> None:
    execute(
        pg_url,
        [
            "CREATE TABLE t (id int PRIMARY KEY, x int, y int)",
            "CREATE FUNCTION seven() RETURNS int LANGUAGE sql IMMUTABLE RETURN 7",
            "CREATE FUNCTION n_atomic() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM t; END",
            # A string body records nothing: the server reads it only when it runs.
            "CREATE FUNCTION n_string() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM t'",
            "CREATE TABLE u (id int DEFAULT seven(), z int, CHECK (z < seven() * 100))",
            "CREATE INDEX u_z ON u ((z + seven()))",
            "CREATE VIEW v1 AS SELECT id, x FROM t",
            "CREATE VIEW v2 AS SELECT id, n_string() AS n FROM v1",
        ],
    )
    deps = dialects.get(pg_url).inspect(pg_url).dependencies
    assert deps is not None
    assert set(deps) == {
        Dependency("function", "n_atomic()", "table", "t"),
        Dependency("table", "u", "function", "seven()"),
        Dependency("view", "v1", "table", "t", "id"),
        Dependency("view", "v1", "table", "t", "x"),
        Dependency("view", "v2", "view", "v1", "id"),
        Dependency("view", "v2", "function", "n_string()"),
    }


def _views(*pairs: tuple[str, str]) -> tuple[View, ...]:
    return tuple(View(n, d) for n, d in pairs)


def test_without_recorded_dependencies_the_text_orders_new_views() -> None:
    """SQLite and MySQL record none: the names a definition mentions stand in."""
    desired = Schema(
        "sqlite",
        (Table("t"),),
        _views(
            ("a_top", "SELECT * FROM m_mid"), ("m_mid", "SELECT * FROM z_base"), ("z_base", "SELECT * FROM t")
        ),
    )
    assert [c.object_name for c in compare(Schema("sqlite", (Table("t"),)), desired)] == [
        "z_base",
        "m_mid",
        "a_top",
    ]
    # And nothing is dropped and made again around a changed view there: those servers allow the drop.
    assert dependent_views(desired, "z_base", str) == []


def test_dependents_come_in_the_order_they_can_be_made_again() -> None:
    deps = (
        Dependency("view", "b", "view", "a"),
        Dependency("view", "c", "view", "b"),
        Dependency("view", "c", "view", "a"),
        Dependency("view", "d", "table", "t", "x"),
        Dependency("view", "e", "view", "d"),
        Dependency("view", "f", "table", "t", "y"),
    )
    schema = Schema("postgres", (Table("t"),), _views(*((n, "…") for n in "fedcba")), dependencies=deps)
    assert [v.name for v in dependent_views(schema, "a", str)] == ["b", "c"]
    assert [v.name for v in column_readers(schema, "t", "x", str)] == ["d", "e"]
    assert topological([3, 2, 1], lambda n: [n - 1]) == [1, 2, 3]
    assert topological(["x", "y"], lambda n: ["y" if n == "x" else "x"]) == ["y", "x"]  # a cycle


def test_a_changed_view_renders_and_names_what_is_made_again() -> None:
    d = dialects.get("postgresql://localhost/x")
    change = AlterView(
        View("base", "SELECT 1 AS a"),
        View("base", "SELECT 1 AS a, 2 AS b"),
        Rebuilt(
            (View("over", "SELECT a FROM base"), View("top", "SELECT a FROM over")),
            (Trigger("over_ins", "over", "CREATE TRIGGER over_ins INSTEAD OF INSERT ON over …"),),
            (Grant("top", "reporting", ("SELECT",)),),
        ),
    )
    assert d.render(change) == [
        "DROP VIEW top",
        "DROP VIEW over",
        "DROP VIEW base",
        "CREATE VIEW base AS SELECT 1 AS a, 2 AS b",
        "CREATE VIEW over AS SELECT a FROM base",
        "CREATE VIEW top AS SELECT a FROM over",
        "CREATE TRIGGER over_ins INSTEAD OF INSERT ON over …",
        "GRANT SELECT ON TABLE top TO reporting",
    ]
    note = d.impact(change).note or ""
    assert "view over, view top, trigger over_ins, grants on top to reporting" in note
    assert change.reverse().reverse() == change


def test_a_materialized_view_made_again_needs_care() -> None:
    """It is computed again under the lock, and its own indexes (not modelled) are not made again."""
    d = dialects.get("postgresql://localhost/x")
    plain = AlterView(
        View("base", "SELECT 1 AS a"),
        View("base", "SELECT 2 AS a"),
        Rebuilt((View("v", "SELECT a FROM base"),)),
    )
    filled = AlterView(plain.current, plain.desired, Rebuilt((View("totals", "SELECT a FROM base", True),)))
    assert d.impact(plain).safety is Safety.SAFE
    impact = d.impact(filled)
    assert impact.safety is Safety.NEEDS_CARE
    assert "materialized totals computed again" in (impact.note or "")
    assert d.render(filled)[0] == "DROP MATERIALIZED VIEW totals"


@pytest.mark.postgres
def test_the_plan_drops_and_makes_again_the_views_over_a_retyped_column(pg_url: str) -> None:
    """The planner's migration (what ``parity migrate`` runs), not only render_script, carries them;
    applied to the database it leaves the views as they were, over the new type."""
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    base = [
        "CREATE VIEW paid AS SELECT id, total FROM orders",
        "CREATE VIEW paid_sum AS SELECT sum(total) AS s FROM paid",
    ]
    execute(
        url,
        ["CREATE TABLE orders (id int PRIMARY KEY, total int)", *base, "INSERT INTO orders VALUES (1, 5)"],
    )
    execute(desired_url, ["CREATE TABLE orders (id int PRIMARY KEY, total bigint)", *base])
    d = dialects.get(url)
    current, desired = d.inspect(url), d.inspect(desired_url)
    changes = compare(current, desired, d.compare_options)
    assert [c.kind for c in changes] == ["alter_column"]
    up = "\n".join(m.up for m in plan(current, changes, d).migrations())
    order = [
        up.index(s)
        for s in (
            "DROP VIEW paid_sum;",
            "DROP VIEW paid;",
            "ALTER COLUMN total TYPE",
            "CREATE VIEW paid ",
            "CREATE VIEW paid_sum",
        )
    ]
    assert order == sorted(order), up
    for m in plan(current, changes, d).migrations():
        d.execute_script(url, m.up)
    assert compare(d.inspect(url), desired, d.compare_options) == []


def test_the_reverse_of_a_changed_view_makes_its_dependents_again_as_they_were() -> None:
    d = dialects.get("postgresql://localhost/x")
    old_dep, new_dep = View("over", "SELECT a FROM base"), View("over", "SELECT a, b FROM base")
    change = AlterView(
        View("base", "SELECT 1 AS a"),
        View("base", "SELECT 1 AS a, 2 AS b"),
        Rebuilt((new_dep,), was=(old_dep,)),
    )
    assert d.render(change)[-1] == "CREATE VIEW over AS SELECT a, b FROM base"
    back = change.reverse()
    assert d.render(back)[-2:] == [
        "CREATE VIEW base AS SELECT 1 AS a",
        "CREATE VIEW over AS SELECT a FROM base",
    ]
    assert back.reverse() == change


@pytest.mark.postgres
def test_a_type_change_under_a_generated_column_is_refused_not_rendered_to_fail(pg_url: str) -> None:
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    execute(url, ["CREATE TABLE items (qty int, twice int GENERATED ALWAYS AS (qty * 2) STORED)"])
    execute(desired_url, ["CREATE TABLE items (qty bigint, twice int GENERATED ALWAYS AS (qty * 2) STORED)"])
    d = dialects.get(url)
    current, desired = d.inspect(url), d.inspect(desired_url)
    changes = compare(current, desired, d.compare_options)
    assert [c.object_name for c in changes] == ["items.qty"]
    refused = [f.message for f in plan(current, changes, d).diagnostics if f.code == "PLN002"]
    assert len(refused) == 1 and "generated column twice reads it" in refused[0], refused
    assert d.render_script(current, changes) == []


@pytest.mark.postgres
def test_a_view_made_again_keeps_its_owner_comments_column_grants_and_indexes(pg_url: str) -> None:
    """The corpus case p54 checks the catalog; the owner is not compared (owners differ between
    environments), so it is checked here: a view dropped around a column's type change comes back
    owned by the role that owned it, not by the migration's."""
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    view_sql = [
        "CREATE VIEW paid AS SELECT id, total FROM orders WHERE paid",
        "COMMENT ON VIEW paid IS 'paid ones'",
        "GRANT SELECT (id) ON paid TO pg_monitor",
        "CREATE MATERIALIZED VIEW summary AS SELECT id, total FROM paid",
        "CREATE UNIQUE INDEX summary_id ON summary (id)",
    ]
    execute(url, ["CREATE TABLE orders (id int PRIMARY KEY, total int, paid boolean)", *view_sql])
    execute(url, ["ALTER VIEW paid OWNER TO pg_read_all_data"])
    execute(desired_url, ["CREATE TABLE orders (id int PRIMARY KEY, total bigint, paid boolean)", *view_sql])
    d = dialects.get(url)
    current = d.inspect(url)
    assert current.view("paid").owner == "pg_read_all_data"  # type: ignore[union-attr]
    assert [i.name for i in current.view("summary").indexes] == ["summary_id"]  # type: ignore[union-attr]
    changes = compare(current, d.inspect(desired_url), d.compare_options)
    assert [c.kind for c in changes] == ["alter_column"]
    execute(url, d.render_script(current, changes))
    after = d.inspect(url)
    paid = after.view("paid")
    assert paid is not None and paid.owner == "pg_read_all_data"
    assert [i.name for i in after.view("summary").indexes] == ["summary_id"]  # type: ignore[union-attr]
    # (the desired side's schema, a sibling in this database, is read too, as des_….paid)
    assert [(c.table, c.text) for c in after.comments if "." not in c.table] == [("paid", "paid ones")]
    assert [(g.object, g.grantee, g.privileges) for g in after.grants if "." not in g.object] == [
        ("paid", "pg_monitor", ("SELECT (id)",))
    ]
    assert compare(after, d.inspect(desired_url), d.compare_options) == []
