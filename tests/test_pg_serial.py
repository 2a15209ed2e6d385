"""New tables and columns drawing from a sequence (``serial``, ``bigserial``) apply on PostgreSQL.

The catalog shows such a column as ``DEFAULT nextval('t_id_seq'::regclass)``; a plan that renders
only that fails with `relation "t_id_seq" does not exist`. Shaped after SQLAlchemy models, whose
integer primary keys are serial, and a quoted mixed-case table name.
"""

from __future__ import annotations

import psycopg
import pytest
from tests.schema_helpers import execute, pg_schemas

from parity import dialects
from parity.diff.compare import compare

pytestmark = pytest.mark.postgres


def test_serial_tables_and_columns_apply_and_converge(pg_url: str) -> None:
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    execute(
        url,
        ["CREATE TABLE users (id serial PRIMARY KEY, name text)", "INSERT INTO users (name) VALUES ('a')"],
    )
    execute(
        desired_url,
        [
            "CREATE TABLE users (id serial PRIMARY KEY, name text, ticket bigserial)",
            "CREATE TABLE orders (id serial PRIMARY KEY, user_id integer REFERENCES users (id))",
            'CREATE TABLE "Events" (id bigserial PRIMARY KEY)',
        ],
    )
    d = dialects.get(url)
    current, desired = d.inspect(url), d.inspect(desired_url)
    script = d.render_script(current, compare(current, desired, d.compare_options))
    assert any(s.startswith('CREATE SEQUENCE IF NOT EXISTS "Events_id_seq" AS bigint') for s in script)
    execute(url, script)
    after = d.inspect(url)
    assert compare(after, desired, d.compare_options) == []
    # Each sequence belongs to its column, as serial makes it (dropped with the table, not left over).
    owned = {s.name: s.owned_by for s in after.sequences}
    assert owned["orders_id_seq"] == "orders.id" and owned["Events_id_seq"] == "Events.id"
    # The old row got a ticket from the sequence; new rows continue it.
    execute(url, ["INSERT INTO orders (user_id) VALUES (1)", "INSERT INTO users (name) VALUES ('b')"])
    with psycopg.connect(url) as conn:
        tickets = [r[0] for r in conn.execute("SELECT ticket FROM users ORDER BY id")]
    assert tickets == [1, 2]
