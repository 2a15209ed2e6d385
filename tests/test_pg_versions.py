"""The plan uses only what the target server supports (PostgreSQL 13 to 17): main's schema, loaded on
a newer scratch server, may hold what an older target cannot run. The target's version is the one
its inspection recorded; here main's schema is read from the real server and the target's version
is that of an older one (the corpus runs each case on whichever server the fixtures found)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.schema_helpers import execute, pg_schemas

from parity import dialects
from parity.diff import compare
from parity.model.changes import AddColumn, AddFunction, AddGrant, AddView, Safety
from parity.model.schema import Column, Function, Grant, Schema, View
from parity.plan.planner import plan

PG = dialects.get("postgresql://localhost/x")


def _at(version: int) -> Schema:
    return Schema("postgres", meta={"server_version_num": str(version)})


def test_a_security_invoker_view_needs_15() -> None:
    change = AddView(View("mine", "SELECT 1 AS a", options=("security_invoker=true",)))
    assert PG.render(change, _at(150004)) == [
        "CREATE VIEW mine WITH (security_invoker=true) AS SELECT 1 AS a"
    ]
    refused = PG.impact(change, _at(140011))
    assert refused.safety is Safety.FORBIDDEN
    assert "needs PostgreSQL 15, the target server is 14" in (refused.note or "")
    assert PG.render(change, _at(140011)) == []
    # Unknown version (no inspection): rendered, as before.
    assert PG.render(change) != []


def test_a_sql_standard_body_needs_14_and_a_string_body_with_return_lines_does_not() -> None:
    atomic = Function(
        "one", "", "CREATE OR REPLACE FUNCTION one()\n RETURNS integer\n LANGUAGE sql\nRETURN 1\n", "integer"
    )
    plpgsql = Function(
        "two",
        "",
        "CREATE OR REPLACE FUNCTION two()\n RETURNS integer\n LANGUAGE plpgsql\nAS $function$\nBEGIN\nRETURN 2;\nEND\n$function$\n",
        "integer",
    )
    assert PG.impact(AddFunction(atomic), _at(130015)).safety is Safety.FORBIDDEN
    assert PG.impact(AddFunction(atomic), _at(140000)).safety is Safety.SAFE
    assert PG.impact(AddFunction(plpgsql), _at(130015)).safety is Safety.SAFE
    assert PG.render(AddFunction(plpgsql), _at(130015)) == [plpgsql.definition.strip()]


def test_maintain_is_left_out_of_a_grant_before_17() -> None:
    change = AddGrant(Grant("orders", "reporting", ("MAINTAIN", "SELECT")))
    assert PG.render(change, _at(170000)) == ["GRANT MAINTAIN, SELECT ON TABLE orders TO reporting"]
    assert PG.render(change, _at(160004)) == ["GRANT SELECT ON TABLE orders TO reporting"]
    assert "MAINTAIN left out" in (PG.impact(change, _at(160004)).note or "")
    only = AddGrant(Grant("orders", "reporting", ("MAINTAIN",)))
    assert PG.render(only, _at(160004)) == []
    assert PG.impact(only, _at(160004)).safety is Safety.FORBIDDEN


@pytest.mark.postgres
def test_a_plan_for_an_older_target_refuses_what_it_cannot_run(pg_url: str) -> None:
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    execute(url, ["CREATE TABLE docs (id int PRIMARY KEY, owner text)"])
    execute(
        desired_url,
        [
            "CREATE TABLE docs (id int PRIMARY KEY, owner text)",
            "CREATE VIEW mine WITH (security_invoker) AS SELECT id FROM docs WHERE owner = current_user",
            "CREATE VIEW everyone AS SELECT id FROM docs",
            "CREATE FUNCTION n_docs() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM docs; END",
        ],
    )
    d = dialects.get(url)
    current, desired = d.inspect(url), d.inspect(desired_url)
    changes = compare(current, desired, d.compare_options)
    assert sorted(c.object_name for c in changes) == ["everyone", "mine", "n_docs()"]
    older = replace(current, meta={**current.meta, "server_version_num": "130020"})
    p = plan(older, changes, d)
    refused = sorted(f.message for f in p.diagnostics if f.code == "PLN002")
    assert len(refused) == 2, refused
    assert "mine" in refused[0] + refused[1] and "n_docs" in refused[0] + refused[1]
    script = "\n".join(d.render_script(older, changes))
    assert "CREATE VIEW everyone" in script
    assert "mine" not in script and "n_docs" not in script
    # On the server itself (15 here, or whichever the fixtures found) all three are planned.
    assert not [f for f in plan(current, changes, d).diagnostics if f.code == "PLN002"]


def test_a_virtual_generated_column_needs_18() -> None:
    virtual = AddColumn("items", Column("total", "integer", "integer", generated="price * qty"))
    stored = AddColumn(
        "items", Column("total", "integer", "integer", generated="price * qty", generated_stored=True)
    )
    assert PG.render(virtual, _at(180001)) == [
        "ALTER TABLE items ADD COLUMN total integer GENERATED ALWAYS AS (price * qty) VIRTUAL"
    ]
    assert PG.impact(virtual, _at(170005)).safety is Safety.FORBIDDEN
    assert PG.render(stored, _at(170005)) == [
        "ALTER TABLE items ADD COLUMN total integer GENERATED ALWAYS AS (price * qty) STORED"
    ]


@pytest.mark.postgres
def test_a_virtual_generated_column_is_read_as_generated_not_as_a_default(pg_url: str) -> None:
    import psycopg

    with psycopg.connect(pg_url) as conn:
        version = int(conn.execute("SHOW server_version_num").fetchone()[0])  # type: ignore[index]
    if version < 180000:
        pytest.skip("virtual generated columns came with PostgreSQL 18")
    execute(pg_url, ["CREATE TABLE items (price int, qty int, total int GENERATED ALWAYS AS (price * qty))"])
    col = dialects.get(pg_url).inspect(pg_url).tables[0].columns[2]
    assert (col.generated, col.generated_stored, col.default) == ("(price * qty)", False, None)
