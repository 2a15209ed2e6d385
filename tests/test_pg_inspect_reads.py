"""How the PostgreSQL inspector reads the catalog fast without reading less: columns fetched unsorted
and put in order in Python, key columns named from their attnums, and the kind queries a schema
cannot answer (by the probe, ``Q_PRESENT``) left out. Each checked against the catalog on a real
server."""

from __future__ import annotations

import psycopg
import pytest
from tests.schema_helpers import execute, pg_schemas

from parity import dialects
from parity.dialects.postgres import inspect as pg_inspect
from parity.model.schema import Schema

pytestmark = pytest.mark.postgres


def _absent(url: str) -> frozenset[str]:
    conn = pg_inspect.connect(url)
    try:
        with conn.transaction():
            ns = conn.execute("SELECT oid FROM pg_namespace WHERE nspname = current_schema()").fetchone()[0]
            others = conn.execute(pg_inspect.Q_NAMESPACES, {"ns": ns}).fetchall()
            return pg_inspect.absent_queries(conn, {"ns": ns, "nss": [ns, *(o for o, _ in others)]})
    finally:
        conn.close()


def test_columns_come_in_attnum_order_when_the_catalog_rows_are_not(pg_url: str) -> None:
    execute(
        pg_url,
        [
            "CREATE TABLE t (a int, b text, c int, d text, e int)",
            # Each rewrites its column's pg_attribute row elsewhere in the heap; c leaves a gap.
            "ALTER TABLE t ALTER COLUMN a TYPE bigint",
            "ALTER TABLE t ALTER COLUMN b SET NOT NULL",
            "ALTER TABLE t DROP COLUMN c",
            "ALTER TABLE t ADD COLUMN f date",
        ],
    )
    with psycopg.connect(pg_url) as conn:
        heap = [
            r[0]
            for r in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0 "
                "AND NOT attisdropped ORDER BY ctid"
            ).fetchall()
        ]
    assert heap != ["a", "b", "d", "e", "f"]  # the case the Python-side ordering is for
    table = dialects.get(pg_url).inspect(pg_url).table("t")
    assert table is not None
    assert [(c.name, c.type, c.nullable) for c in table.columns] == [
        ("a", "bigint", True),
        ("b", "text", False),
        ("d", "text", True),
        ("e", "integer", True),
        ("f", "date", True),
    ]


def test_key_columns_are_named_from_their_attnums_in_key_order(pg_url: str) -> None:
    (url,) = pg_schemas(pg_url, "app")
    execute(
        url,
        [
            "CREATE SCHEMA other_side",
            "CREATE TABLE other_side.ref (x int, y int, PRIMARY KEY (y, x))",
            "CREATE TABLE parent (p1 int, gone int, p2 int, PRIMARY KEY (p2, p1))",
            "ALTER TABLE parent DROP COLUMN gone",  # attnums with a hole
            "CREATE TABLE child (id int, c text, b int, a int, PRIMARY KEY (b, a), UNIQUE (c, a),"
            " FOREIGN KEY (a, b) REFERENCES parent (p2, p1),"
            " FOREIGN KEY (id, b) REFERENCES other_side.ref (y, x))",
            "CREATE INDEX child_mixed ON child (lower(c), b DESC, a)",
            "CREATE INDEX child_plain ON child (a, id)",
            "CREATE TABLE logs (k int, v text, PRIMARY KEY (k)) PARTITION BY RANGE (k)",
            "CREATE TABLE logs_0 PARTITION OF logs FOR VALUES FROM (0) TO (10)",
            "CREATE INDEX logs_v ON logs (v)",
        ],
    )
    schema = dialects.get(url).inspect(url)
    child, parent, logs = schema.table("child"), schema.table("parent"), schema.table("logs")
    assert child is not None and parent is not None and logs is not None
    assert parent.primary_key is not None and parent.primary_key.columns == ("p2", "p1")
    assert child.primary_key is not None and child.primary_key.columns == ("b", "a")
    assert [u.columns for u in child.uniques] == [("c", "a")]
    fks = {(f.columns, f.ref_table, f.ref_columns, f.ref_schema) for f in child.foreign_keys}
    assert fks == {
        (("a", "b"), "parent", ("p2", "p1"), None),
        # Another user schema is read too: its table is named schema.name, as the model names it.
        (("id", "b"), "other_side.ref", ("y", "x"), None),
    }
    parts = {i.name: [(p.column, p.expression, p.descending) for p in i.parts] for i in child.indexes}
    assert parts == {
        "child_mixed": [(None, "lower(c)", False), ("b", None, True), ("a", None, False)],
        "child_plain": [("a", None, False), ("id", None, False)],
    }
    assert [[p.column for p in i.parts] for i in logs.indexes] == [["v"]]
    assert [p.name for p in schema.partitions] == ["logs_0"]
    assert schema.table("logs_0") is None  # a partition is not a table of its own


def test_a_schema_of_plain_tables_runs_none_of_the_kind_queries(pg_url: str) -> None:
    execute(pg_url, ["CREATE TABLE a (id int PRIMARY KEY)", "CREATE TABLE b (a_id int REFERENCES a, n text)"])
    assert _absent(pg_url) == frozenset(
        {
            pg_inspect.Q_VIEWS,
            pg_inspect.Q_SEQUENCES,
            pg_inspect.Q_COMPOSITES,
            pg_inspect.Q_PARTITIONS,
            pg_inspect.Q_GRANTS,
            pg_inspect.Q_ENUMS,
            pg_inspect.Q_DOMAINS,
            pg_inspect.Q_FUNCTIONS,
            pg_inspect.Q_TRIGGERS,
            pg_inspect.Q_POLICIES,
            pg_inspect.Q_COMMENTS,
            pg_inspect.Q_DEPENDENCIES,
        }
    )


# One object of each kind, made in turn: before it the kind's query is left out, after it the
# query runs and the object is in the schema (the probe is never narrower than the query).
_KINDS: list[tuple[list[str], str, str]] = [
    (["CREATE SEQUENCE s"], "Q_SEQUENCES", "sequences"),
    (["CREATE TYPE pair AS (a int, b text)"], "Q_COMPOSITES", "composites"),
    (["CREATE TYPE mood AS ENUM ('ok')"], "Q_ENUMS", "enums"),
    (["CREATE DOMAIN pos AS int CHECK (VALUE > 0)"], "Q_DOMAINS", "domains"),
    (["CREATE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1'"], "Q_FUNCTIONS", "functions"),
    (["CREATE VIEW v AS SELECT id FROM t"], "Q_VIEWS", "views"),
    (
        [
            "CREATE TABLE m (k int) PARTITION BY RANGE (k)",
            "CREATE TABLE m_0 PARTITION OF m FOR VALUES FROM (0) TO (10)",
        ],
        "Q_PARTITIONS",
        "partitions",
    ),
    (
        [
            "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$",
            "CREATE TRIGGER t_touch BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION touch()",
        ],
        "Q_TRIGGERS",
        "triggers",
    ),
    (["CREATE POLICY mine ON t USING (id > 0)"], "Q_POLICIES", "policies"),
    (["COMMENT ON COLUMN t.id IS 'the key'"], "Q_COMMENTS", "comments"),
    (["GRANT SELECT ON t TO PUBLIC"], "Q_GRANTS", "grants"),
]


def test_each_kind_is_read_once_the_schema_holds_one(pg_url: str) -> None:
    execute(pg_url, ["CREATE TABLE t (id int PRIMARY KEY)"])
    d = dialects.get(pg_url)
    for statements, query_name, field in _KINDS:
        query = getattr(pg_inspect, query_name)
        assert query in _absent(pg_url), query_name
        execute(pg_url, statements)
        assert query not in _absent(pg_url), query_name
        schema: Schema = d.inspect(pg_url)
        assert getattr(schema, field), field
    # The view reads t, the trigger calls touch(): both edges are read.
    deps = {(x.kind, x.name, x.ref_kind, x.ref_name) for x in d.inspect(pg_url).dependencies}
    assert ("view", "v", "table", "t") in deps


def test_a_column_grant_alone_is_read(pg_url: str) -> None:
    # A column's own privilege lives in pg_attribute.attacl, the table's relacl stays empty: the
    # probe must still send the grants query, and the model must hold the grant.
    execute(
        pg_url,
        [
            "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parity_col_reader') "
            "THEN CREATE ROLE parity_col_reader; END IF; END$$",
            "CREATE TABLE secrets (id int PRIMARY KEY, label text)",
            "GRANT SELECT (label) ON secrets TO parity_col_reader",
        ],
    )
    assert pg_inspect.Q_GRANTS not in _absent(pg_url)
    schema = dialects.get(pg_url).inspect(pg_url)
    assert [(g.object, g.grantee, g.privileges) for g in schema.grants] == [
        ("secrets", "parity_col_reader", ("SELECT (label)",))
    ]
