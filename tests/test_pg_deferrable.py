"""DEFERRABLE / INITIALLY DEFERRED keys and foreign keys: inspected, compared, planned, applied.

The server changes a key's deferrability only by dropping and adding it, and a foreign key added
NOT VALID must keep its DEFERRABLE clause. The result is checked in ``pg_constraint`` itself, not
by parity's own diff.
"""

from __future__ import annotations

import psycopg
import pytest
from tests.schema_helpers import execute, pg_schemas

from parity import dialects
from parity.dialects.postgres.render import render
from parity.dialects.postgres.safe import safe_steps
from parity.diff.compare import compare
from parity.model.changes import AddForeignKey
from parity.model.schema import ForeignKey

pytestmark = pytest.mark.postgres

_CATALOG = """
SELECT cl.relname, con.conname, con.condeferrable, con.condeferred, pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid
WHERE cl.relnamespace = current_schema()::regnamespace ORDER BY 1, 2
"""


def _constraints(url: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return [tuple(r) for r in conn.execute(_CATALOG).fetchall()]


def test_safe_foreign_key_keeps_deferrable_before_not_valid() -> None:
    fk = ForeignKey(("p",), "parents", ("id",), "c_p_fk", deferrable="DEFERRABLE INITIALLY DEFERRED")
    steps = safe_steps(AddForeignKey("c", fk), None, render)
    assert steps is not None
    assert steps[0].sql[0].endswith("DEFERRABLE INITIALLY DEFERRED NOT VALID")


def test_deferrability_changes_apply_and_match_the_catalog(pg_url: str) -> None:
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    execute(
        url,
        [
            "CREATE TABLE parents (id int PRIMARY KEY, code text CONSTRAINT parents_code_key UNIQUE DEFERRABLE)",
            "CREATE TABLE kids (id int CONSTRAINT kids_pkey PRIMARY KEY,"
            " parent_id int CONSTRAINT kids_parent_fk REFERENCES parents (id) DEFERRABLE)",
            "INSERT INTO parents VALUES (1, 'a')",
            "INSERT INTO kids VALUES (1, 1)",
        ],
    )
    execute(
        desired_url,
        [
            "CREATE TABLE parents (id int PRIMARY KEY, code text CONSTRAINT parents_code_key UNIQUE)",
            "CREATE TABLE kids (id int CONSTRAINT kids_pkey PRIMARY KEY DEFERRABLE INITIALLY DEFERRED,"
            " parent_id int CONSTRAINT kids_parent_fk REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)",
        ],
    )
    d = dialects.get(url)
    current, desired = d.inspect(url), d.inspect(desired_url)
    assert desired.table("kids").foreign_keys[0].deferrable == "DEFERRABLE INITIALLY DEFERRED"
    assert current.table("parents").uniques[0].deferrable == "DEFERRABLE"
    execute(url, d.render_script(current, compare(current, desired, d.compare_options)))
    assert compare(d.inspect(url), desired, d.compare_options) == []
    assert _constraints(url) == _constraints(desired_url)
