"""A constraint main redefines under the same name is replaced, not added beside the old one.

Shaped after Django and Rails migrations that relax a CHECK (``amount > 0`` to ``amount >= 0``) or
widen a UNIQUE (``(email)`` to ``(email, tenant_id)``) and keep the constraint's name: adding the new
one first fails with "already exists", and the old one is not a production-only leftover.
"""

from __future__ import annotations

import psycopg
import pytest
from tests.schema_helpers import execute, pg_schemas

from parity import dialects
from parity.diff.compare import compare
from parity.model.changes import AddCheck, AddUnique, DropCheck, DropUnique, ProductionOnly
from parity.model.schema import CheckConstraint, Column, Schema, Table

CURRENT = [
    "CREATE TABLE accounts (id integer PRIMARY KEY, email text, tenant_id integer, amount integer,"
    " CONSTRAINT accounts_email_key UNIQUE (email), CONSTRAINT amount_positive CHECK (amount > 0))",
    "INSERT INTO accounts VALUES (1, 'a@example.test', 1, 5)",
]
DESIRED = [
    "CREATE TABLE accounts (id integer PRIMARY KEY, email text, tenant_id integer, amount integer,"
    " CONSTRAINT accounts_email_key UNIQUE (email, tenant_id), CONSTRAINT amount_positive CHECK (amount >= 0))",
]


@pytest.mark.postgres
def test_same_named_constraints_are_replaced_and_converge(pg_url: str) -> None:
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    execute(url, CURRENT)
    execute(desired_url, DESIRED)
    d = dialects.get(url)
    current, desired = d.inspect(url), d.inspect(desired_url)
    changes = compare(current, desired, d.compare_options)
    kinds = [type(c) for c in changes]
    # Each old constraint is dropped right before its successor, and neither is reported as left over.
    assert kinds.index(DropUnique) < kinds.index(AddUnique)
    assert kinds.index(DropCheck) < kinds.index(AddCheck)
    assert not [c for c in changes if isinstance(c, ProductionOnly)]
    execute(url, d.render_script(current, changes))
    after = d.inspect(url)
    assert compare(after, desired, d.compare_options) == []
    # The relaxed check admits what the old one refused; the old row is still there.
    execute(url, ["INSERT INTO accounts VALUES (2, 'a@example.test', 2, 0)"])
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (2,)


def test_unnamed_constraint_that_main_lacks_stays_production_only() -> None:
    def table(*checks: CheckConstraint) -> Schema:
        return Schema("sqlite", tables=(Table("t", columns=(Column("amount", "integer"),), checks=checks),))

    old = CheckConstraint("amount > 0")
    changes = compare(table(old), table(), dialects.get("sqlite:///x.db").compare_options)
    assert [type(c) for c in changes] == [ProductionOnly]
    renamed = compare(
        table(CheckConstraint("amount > 0", "a")),
        table(CheckConstraint("amount >= 0", "b")),
        dialects.get("sqlite:///x.db").compare_options,
    )
    # Different names: the new one is added and the old one is left for a person to judge.
    assert {type(c) for c in renamed} == {AddCheck, ProductionOnly}


@pytest.mark.postgres
def test_generated_expression_change_is_refused_before_17_not_rendered_to_fail(pg_url: str) -> None:
    """``SET EXPRESSION`` is PostgreSQL 17+; on an older server the plan refuses the change (it would
    need the column dropped) instead of emitting SQL the server rejects."""
    from parity.dialects.postgres.diff import server_version
    from parity.plan.planner import plan

    url, desired_url = pg_schemas(pg_url, "cur", "des")
    execute(url, ["CREATE TABLE items (qty integer, twice integer GENERATED ALWAYS AS (qty * 2) STORED)"])
    execute(
        desired_url, ["CREATE TABLE items (qty integer, twice integer GENERATED ALWAYS AS (qty * 3) STORED)"]
    )
    d = dialects.get(url)
    current, desired = d.inspect(url), d.inspect(desired_url)
    version = server_version(current)
    assert version is not None and version >= 130000
    changes = compare(current, desired, d.compare_options)
    p = plan(current, changes, d)
    script = d.render_script(current, changes)
    if version < 170000:
        assert not any("SET EXPRESSION" in s for s in script)
        assert any(f.code == "PLN002" and "17+" in f.message for f in p.diagnostics)
    else:
        execute(url, script)
        assert compare(d.inspect(url), desired, d.compare_options) == []


@pytest.mark.postgres
def test_objects_parity_does_not_model_are_counted_not_called_in_sync(pg_url: str) -> None:
    """Aggregates, a partition's own indexes and extended statistics are outside the model:
    the inspection counts them so the report says "not compared: …" rather than "in sync"."""
    url, empty = pg_schemas(pg_url, "nc", "empty")
    execute(
        url,
        [
            "CREATE DOMAIN positive AS integer CHECK (VALUE > 0)",
            "CREATE TABLE slots (n integer, EXCLUDE USING btree (n WITH =))",
            "COMMENT ON TABLE slots IS 'booked slots'",
            "CREATE VIEW free_slots AS SELECT n FROM slots",
            "COMMENT ON VIEW free_slots IS 'open ones'",
            "CREATE FUNCTION one() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
            "CREATE AGGREGATE total(integer) (SFUNC = int4pl, STYPE = integer)",
            "ALTER TABLE slots ENABLE ROW LEVEL SECURITY",
            "CREATE POLICY everyone ON slots USING (true)",
            # Shaped after real schemas: a trigram index, a case-blind index, a log table partitioned
            # by month, a grant to a reporting role.
            "CREATE TABLE people (name text, name_len int)",
            'CREATE INDEX people_name_c ON people (name COLLATE "C")',
            "CREATE INDEX people_name_pattern ON people (name text_pattern_ops)",
            "CREATE TABLE events (at date NOT NULL) PARTITION BY RANGE (at)",
            "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
            "CREATE INDEX events_2026_at ON events_2026 (at)",
            "GRANT SELECT ON slots TO PUBLIC",
            "GRANT UPDATE (name) ON people TO PUBLIC",
            "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC",
            "CREATE MATERIALIZED VIEW slot_count AS SELECT count(*) AS n FROM slots",
            "CREATE UNIQUE INDEX slot_count_n ON slot_count (n)",
            "CREATE STATISTICS people_stats ON name, name_len FROM people",
            "CREATE TYPE span AS RANGE (subtype = integer)",
        ],
    )
    meta = dialects.get(url).inspect(url).meta
    text = meta["not_compared"]
    for kind in (
        "1 aggregate and window functions",
        "1 indexes a partition has of its own",
        "1 default privileges",
        "1 extended statistics",
        "1 base and range types",
    ):
        assert kind in text, text
    assert "comments" not in text, text  # the table's and the view's comments are modelled
    # Modelled too: a column's own grants, a materialized view's indexes.
    for modelled in ("domains", "procedures", "policies", "row-level security", "grants", "materialized"):
        assert modelled not in text, text
    # From another schema of the database, this one is read too (its objects named schema.name) and
    # what it holds outside the model is counted: a comparison covers it only if main declares it.
    other = dialects.get(empty).inspect(empty)
    ns = url.rsplit("%3D", 1)[1]
    assert ns in other.namespaces
    assert f"{ns}.slots" in {t.name for t in other.tables}
    assert "1 aggregate and window functions" in other.meta["not_compared"], other.meta


@pytest.mark.postgres
def test_primary_key_held_by_a_production_only_foreign_key_is_refused(pg_url: str) -> None:
    """Main drops the foreign key and widens the key: the foreign key stays (never dropped), so the
    key change cannot happen, and the plan says so instead of SQL that fails on "depends on it"."""
    from parity.model.changes import AlterPrimaryKey
    from parity.plan.planner import plan

    url, desired_url = pg_schemas(pg_url, "cur", "des")
    execute(
        url,
        ["CREATE TABLE p (id int PRIMARY KEY, k int NOT NULL)", "CREATE TABLE c (pid int REFERENCES p (id))"],
    )
    execute(
        desired_url,
        ["CREATE TABLE p (id int, k int NOT NULL, PRIMARY KEY (id, k))", "CREATE TABLE c (pid int)"],
    )
    d = dialects.get(url)
    current, desired = d.inspect(url), d.inspect(desired_url)
    changes = compare(current, desired, d.compare_options)
    assert any(isinstance(c, AlterPrimaryKey) for c in changes)
    p = plan(current, changes, d)
    assert any(f.code == "PLN002" and "c.c_pid_fkey" in f.message for f in p.diagnostics)
    script = d.render_script(current, changes)
    execute(url, script)  # applies: the refused change renders nothing
    assert d.inspect(url).table("p").primary_key.columns == ("id",)
