"""PostgreSQL object kinds beyond tables (extensions, domains, …): inspected, compared, planned,
applied to a real server, and the result checked in the catalog itself, not by parity's own diff."""

from __future__ import annotations

import psycopg
import pytest
from tests.schema_helpers import execute, pg_schemas

from parity import dialects
from parity.diff.compare import compare
from parity.model.schema import Schema
from parity.plan.planner import plan

pytestmark = pytest.mark.postgres


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return [tuple(r) for r in conn.execute(sql.encode()).fetchall()]


_EXTENSIONS = "SELECT extname, extnamespace::regnamespace::text FROM pg_extension ORDER BY 1"


def test_extensions_are_created_before_the_tables_that_use_them(pg_url: str, pg_server_url: str) -> None:
    d = dialects.get(pg_url)
    execute(pg_url, ["CREATE EXTENSION hstore", "CREATE TABLE users (id int PRIMARY KEY)"])
    current = d.inspect(pg_url)
    with d.scratch(pg_server_url) as desired_url:
        execute(
            desired_url,
            [
                "CREATE EXTENSION IF NOT EXISTS citext",
                "CREATE TABLE users (id int PRIMARY KEY, email citext NOT NULL DEFAULT '')",
                "CREATE INDEX users_email ON users (email)",
            ],
        )
        desired = d.inspect(desired_url)
        changes = compare(current, desired, d.compare_options)
        assert [c.kind for c in changes] == ["add_extension", "add_column", "add_index", "production_only"]
        script = d.render_script(current, changes)
        assert script[0] == "CREATE EXTENSION IF NOT EXISTS citext"
        assert not [f for f in plan(current, changes, d).diagnostics if f.severity.value == "error"]
        execute(pg_url, script)
        after = d.inspect(pg_url)
        assert [c.kind for c in compare(after, desired, d.compare_options)] == ["production_only"]
        # hstore stays (never dropped); citext is now where main has it.
        assert _rows(pg_url, _EXTENSIONS) == sorted([*_rows(desired_url, _EXTENSIONS), ("hstore", "public")])


def test_an_extension_in_its_own_schema_is_created_there(pg_url: str) -> None:
    """Supabase-shaped: extensions live in a schema of their own, the tables in public."""
    url, desired_url = pg_schemas(pg_url, "app", "main")
    execute(pg_url, ["CREATE SCHEMA extensions", "CREATE EXTENSION pg_trgm SCHEMA extensions"])
    d = dialects.get(url)
    desired = d.inspect(desired_url)
    assert [(x.name, x.schema) for x in desired.extensions] == [("pg_trgm", "extensions")]
    change = compare(Schema("postgres"), desired, d.compare_options)[0]
    assert d.render(change) == ["CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA extensions"]
