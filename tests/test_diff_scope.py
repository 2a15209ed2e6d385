"""Which other schemas a comparison covers (pure; the end-to-end case is corpus p51)."""

from __future__ import annotations

import pytest
from tests.schema_helpers import execute

from parity import dialects
from parity.diff import compare
from parity.diff.scope import in_scope, not_declared
from parity.errors import DatabaseError
from parity.model.schema import Column, Grant, Schema, Table, Trigger, View


def _t(name: str) -> Table:
    return Table(name, (Column("id", "integer"),))


def test_a_schema_only_production_has_is_left_out_and_said() -> None:
    current = Schema(
        "postgres",
        (_t("users"), _t("tenant_b.users"), _t("app.users")),
        (View("tenant_b.v", "SELECT 1"),),
        triggers=(Trigger("tg", "tenant_b.users", "CREATE TRIGGER …"),),
        grants=(Grant("tenant_b.users", "public", ("SELECT",)),),
        name="public",
        namespaces=("app", "tenant_b"),
    )
    desired = Schema(
        "postgres", (_t("users"), _t("app.users"), _t("app.orders")), name="public", namespaces=("app",)
    )
    cur, des = in_scope(current, desired, str)
    assert [t.name for t in cur.tables] == ["users", "app.users"]
    assert (cur.views, cur.triggers, cur.grants) == ((), (), ())
    assert des == desired
    assert [(c.kind, c.object_name) for c in compare(current, desired)] == [("add_table", "app.orders")]
    assert not_declared(current, desired) == ("tenant_b",)


def test_two_sides_in_one_database_do_not_see_each_other_as_objects() -> None:
    # current lives in schema cur, main's schema was loaded beside it in des: each reads the other.
    current = Schema("postgres", (_t("t"), _t("des.t"), _t("des.u")), name="cur", namespaces=("des",))
    desired = Schema("postgres", (_t("t"), _t("u"), _t("cur.t")), name="des", namespaces=("cur",))
    assert [(c.kind, c.object_name) for c in compare(current, desired)] == [("add_table", "u")]
    assert not_declared(current, desired) == ("des",)


@pytest.mark.postgres
def test_a_name_that_reads_as_another_schemas_object_is_refused_in_one_line(pg_url: str) -> None:
    # public."app.users" beside app.users: the model names the latter app.users, so parity refuses
    # to guess which one a change is about (it could alter the wrong table).
    execute(
        pg_url, ["CREATE SCHEMA app", "CREATE TABLE app.users (id int)", 'CREATE TABLE "app.users" (id int)']
    )
    with pytest.raises(DatabaseError) as err:
        dialects.get(pg_url).inspect(pg_url)
    assert '"app.users" has a name parity cannot tell' in str(err.value)
    assert "\n" not in str(err.value)
    # A dotted name no other schema claims is read as it is.
    execute(pg_url, ['ALTER TABLE "app.users" RENAME TO "v1.users"'])
    names = {t.name for t in dialects.get(pg_url).inspect(pg_url).tables}
    assert names == {"app.users", "v1.users"}
