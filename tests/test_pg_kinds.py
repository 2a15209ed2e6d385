"""PostgreSQL object kinds beyond tables (extensions, domains, …): inspected, compared, planned,
applied to a real server, and the result checked in the catalog itself, not by parity's own diff."""

from __future__ import annotations

import psycopg
import pytest
from tests.schema_helpers import execute, need_extensions, pg_schemas

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
    need_extensions(pg_url, ["hstore", "citext"])
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
    need_extensions(pg_url, ["pg_trgm"])
    url, desired_url = pg_schemas(pg_url, "app", "main")
    execute(pg_url, ["CREATE SCHEMA extensions", "CREATE EXTENSION pg_trgm SCHEMA extensions"])
    d = dialects.get(url)
    desired = d.inspect(desired_url)
    assert [(x.name, x.schema) for x in desired.extensions] == [("pg_trgm", "extensions")]
    changes = compare(Schema("postgres", name="elsewhere"), desired, d.compare_options)
    # The extension's schema first (the test's other schema is there too: it is the same database).
    assert [c.kind for c in changes] == ["add_schema", "add_schema", "add_extension"]
    assert "extensions" in [c.object_name for c in changes[:2]]
    assert d.render(changes[-2]) == ["CREATE SCHEMA IF NOT EXISTS extensions"]
    assert d.render(changes[-1]) == ["CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA extensions"]


_DOMAINS = """
SELECT t.typname, format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
       ARRAY(SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c WHERE c.contypid = t.oid
             AND c.contype = 'c' AND c.convalidated ORDER BY 1)
FROM pg_type t WHERE t.typnamespace = current_schema()::regnamespace AND t.typtype = 'd' ORDER BY 1
"""


def test_domains_converge_in_the_catalog(pg_url: str) -> None:
    """A domain over a domain is created after it; a changed CHECK is replaced and validated; the
    default and NOT NULL change in place; the rows already there stay."""
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    execute(
        url,
        [
            "CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%')",
            "CREATE DOMAIN quantity AS integer DEFAULT 0",
            "CREATE TABLE users (id int PRIMARY KEY, email email, n quantity)",
            "INSERT INTO users VALUES (1, 'a@b.c', 2)",
        ],
    )
    execute(
        desired_url,
        [
            "CREATE DOMAIN email AS text NOT NULL CHECK (VALUE ~ '^[^@]+@[^@]+$')",
            "CREATE DOMAIN quantity AS integer DEFAULT 1 CONSTRAINT quantity_positive CHECK (VALUE >= 0)",
            "CREATE DOMAIN cents AS bigint CHECK (VALUE >= 0)",
            "CREATE DOMAIN amount AS cents NOT NULL",
            "CREATE TABLE users (id int PRIMARY KEY, email email, n quantity, balance amount DEFAULT 0)",
        ],
    )
    d = dialects.get(url)
    current, desired = d.inspect(url), d.inspect(desired_url)
    changes = compare(current, desired, d.compare_options)
    assert [c.kind + " " + c.object_name for c in changes] == [
        "add_domain cents",
        "add_domain amount",
        "alter_domain email",
        "alter_domain quantity",
        "add_column users.balance",
    ]
    script = d.render_script(current, changes)
    assert "ALTER DOMAIN email DROP CONSTRAINT email_check" in script
    assert "ALTER DOMAIN quantity VALIDATE CONSTRAINT quantity_positive" in script
    execute(url, script)
    assert compare(d.inspect(url), desired, d.compare_options) == []
    assert _rows(url, _DOMAINS) == _rows(desired_url, _DOMAINS)
    assert _rows(url, "SELECT id, email, n, balance FROM users") == [(1, "a@b.c", 2, 0)]


def test_a_domain_base_type_change_is_refused_not_rendered(pg_url: str) -> None:
    """ALTER DOMAIN cannot change the base type: it would take a DROP DOMAIN … CASCADE, which drops
    every column of the domain. The plan refuses it with the reason instead of SQL that fails."""
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    execute(url, ["CREATE DOMAIN code AS varchar(10)", "CREATE TABLE t (c code)"])
    execute(desired_url, ["CREATE DOMAIN code AS varchar(20)", "CREATE TABLE t (c code)"])
    d = dialects.get(url)
    current = d.inspect(url)
    changes = compare(current, d.inspect(desired_url), d.compare_options)
    assert [c.kind for c in changes] == ["alter_domain"]
    assert d.render(changes[0], current) == []
    impact = d.impact(changes[0], current)
    assert impact.safety.value == "forbidden" and "never" in impact.note
    assert any(f.code == "PLN002" for f in plan(current, changes, d).diagnostics)


_FUNCTIONS = """
SELECT p.proname, pg_get_function_identity_arguments(p.oid), p.prokind, p.provolatile,
       pg_get_function_result(p.oid), btrim(p.prosrc)
FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace ORDER BY 1, 2
"""


def test_functions_converge_in_the_catalog(pg_url: str) -> None:
    """Shaped after real schemas: a plpgsql trigger function and its trigger, a SQL function a new
    table's default calls (created before the table), one whose body reads a new table (created
    after it), an overload told apart by its arguments, a body main rewrote."""
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    execute(
        url,
        [
            "CREATE FUNCTION price(cents bigint) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT cents / 100.0 $$",
            "CREATE TABLE items (id int PRIMARY KEY, cents bigint, updated_at timestamptz)",
        ],
    )
    execute(
        desired_url,
        [
            "CREATE FUNCTION price(cents bigint) RETURNS numeric LANGUAGE sql IMMUTABLE"
            " AS $$ SELECT round(cents / 100.0, 2) $$",
            "CREATE FUNCTION price(cents bigint, rate numeric) RETURNS numeric LANGUAGE sql IMMUTABLE"
            " AS $$ SELECT round(cents * rate / 100.0, 2) $$",
            "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.updated_at := now();\n"
            "  RETURN NEW;\nEND;\n$$",
            "CREATE FUNCTION next_ref() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT md5(random()::text) $$",
            "CREATE TABLE items (id int PRIMARY KEY, cents bigint, updated_at timestamptz)",
            "CREATE TABLE orders (id int PRIMARY KEY, ref text NOT NULL DEFAULT next_ref())",
            "CREATE FUNCTION open_orders() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM orders $$",
            "CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch()",
        ],
    )
    d = dialects.get(url)
    current, desired = d.inspect(url), d.inspect(desired_url)
    changes = compare(current, desired, d.compare_options)
    assert [c.kind + " " + c.object_name for c in changes] == [
        "add_function next_ref()",
        "alter_function price(cents bigint)",
        "add_function price(cents bigint, rate numeric)",
        "add_function touch()",
        "add_table orders",
        "add_function open_orders()",
        "add_trigger items_touch",
    ]
    execute(url, d.render_script(current, changes))
    assert compare(d.inspect(url), desired, d.compare_options) == []
    assert _rows(url, _FUNCTIONS) == _rows(desired_url, _FUNCTIONS)


def test_reindenting_a_body_is_no_change_but_a_new_result_type_is_refused(pg_url: str) -> None:
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    execute(
        url,
        [
            "CREATE FUNCTION a() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$",
            "CREATE FUNCTION b(x int) RETURNS int LANGUAGE sql AS $$ SELECT x $$",
        ],
    )
    execute(
        desired_url,
        [
            "CREATE FUNCTION a() RETURNS int LANGUAGE sql AS $$\n    SELECT   1\n$$",
            "CREATE FUNCTION b(x int) RETURNS bigint LANGUAGE sql AS $$ SELECT x::bigint $$",
        ],
    )
    d = dialects.get(url)
    current = d.inspect(url)
    changes = compare(current, d.inspect(desired_url), d.compare_options)
    assert [c.kind + " " + c.object_name for c in changes] == ["alter_function b(x integer)"]
    assert d.render(changes[0], current) == []
    refused = [f for f in plan(current, changes, d).diagnostics if f.code == "PLN002"]
    assert refused and "DROP FUNCTION" in refused[0].message


_EXCLUDES = """
SELECT cl.relname, con.conname, pg_get_constraintdef(con.oid), con.conindid <> 0
FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid
WHERE cl.relnamespace = current_schema()::regnamespace AND con.contype = 'x' ORDER BY 1, 2
"""


def test_exclude_constraints_converge_in_the_catalog(pg_url: str) -> None:
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    execute(
        url,
        [
            "CREATE TABLE rooms_booked (id int PRIMARY KEY, during tstzrange NOT NULL, cancelled boolean DEFAULT false)",
            "INSERT INTO rooms_booked VALUES (1, '[2026-01-01,2026-01-02)', false), (2, '[2026-01-01,2026-01-03)', true)",
        ],
    )
    execute(
        desired_url,
        [
            "CREATE TABLE rooms_booked (id int PRIMARY KEY, during tstzrange NOT NULL, cancelled boolean DEFAULT false,"
            " CONSTRAINT rooms_booked_no_overlap EXCLUDE USING gist (during WITH &&) WHERE (NOT cancelled))",
            "CREATE TABLE desks (id int PRIMARY KEY, during tstzrange, EXCLUDE USING gist (during WITH &&))",
        ],
    )
    d = dialects.get(url)
    current, desired = d.inspect(url), d.inspect(desired_url)
    changes = compare(current, desired, d.compare_options)
    assert [c.kind + " " + c.object_name for c in changes] == [
        "add_table desks",
        "add_exclude rooms_booked_no_overlap",
    ]
    assert d.impact(changes[1], current).safety.value == "needs care"
    execute(url, d.render_script(current, changes))
    assert compare(d.inspect(url), desired, d.compare_options) == []
    assert _rows(url, _EXCLUDES) == _rows(desired_url, _EXCLUDES)
    assert len(_rows(url, "SELECT id FROM rooms_booked")) == 2  # the overlapping one is cancelled


_INDEXES = r"""
SELECT i.relname, regexp_replace(pg_get_indexdef(i.oid), ' ON \S+ ', ' ON t ')
FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
WHERE t.relnamespace = current_schema()::regnamespace ORDER BY 1
"""


def test_index_operator_classes_and_collations_converge_in_the_catalog(pg_url: str) -> None:
    """LIKE 'abc%' needs text_pattern_ops under a non-C locale; a COLLATE "C" index sorts bytewise.
    Both were invisible before: an index main changed this way read as unchanged."""
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    base = "CREATE TABLE users (id int PRIMARY KEY, email text, slug varchar(80))"
    execute(url, [base, "CREATE INDEX users_email ON users (email)"])
    execute(
        desired_url,
        [
            base,
            "CREATE INDEX users_email ON users (email text_pattern_ops)",
            'CREATE INDEX users_slug_c ON users (slug COLLATE "C" DESC)',
            "CREATE INDEX users_lower_email ON users (lower(email) text_pattern_ops)",
        ],
    )
    d = dialects.get(url)
    current, desired = d.inspect(url), d.inspect(desired_url)
    part = desired.table("users").index("users_slug_c").parts[0]
    assert (part.column, part.collation, part.descending) == ("slug", '"C"', True)
    changes = compare(current, desired, d.compare_options)
    assert [c.kind + " " + c.object_name for c in changes] == [
        "drop_index users_email",
        "add_index users_email",
        "add_index users_lower_email",
        "add_index users_slug_c",
    ]
    execute(url, d.render_script(current, changes))
    assert compare(d.inspect(url), desired, d.compare_options) == []
    assert _rows(url, _INDEXES) == _rows(desired_url, _INDEXES)


_POLICIES = """
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       ARRAY(SELECT p.policyname || ' ' || p.cmd || ' ' || p.permissive || ' ' || p.roles::text || ' '
                    || coalesce(p.qual, '-') || ' ' || coalesce(p.with_check, '-')
             FROM pg_policies p WHERE p.schemaname = current_schema() AND p.tablename = c.relname ORDER BY 1)
FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' ORDER BY 1
"""


def test_row_level_security_and_policies_converge_in_the_catalog(pg_url: str) -> None:
    """Supabase-shaped: RLS on, a policy per command; main turns a permissive policy restrictive
    (made again in the migration's transaction) and narrows another in place."""
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    base = (
        "CREATE TABLE profiles (id int PRIMARY KEY, owner text NOT NULL DEFAULT current_user, public boolean)"
    )
    execute(
        url,
        [
            base,
            "CREATE POLICY profiles_select ON profiles FOR SELECT USING (true)",
            "CREATE POLICY profiles_update ON profiles FOR UPDATE USING (owner = current_user)",
            "INSERT INTO profiles VALUES (1, 'someone', true)",
        ],
    )
    execute(
        desired_url,
        [
            base,
            "ALTER TABLE profiles ENABLE ROW LEVEL SECURITY",
            "CREATE POLICY profiles_select ON profiles FOR SELECT USING (public OR owner = current_user)",
            "CREATE POLICY profiles_update ON profiles AS RESTRICTIVE FOR UPDATE USING (owner = current_user)"
            " WITH CHECK (owner = current_user)",
            "CREATE POLICY profiles_insert ON profiles FOR INSERT WITH CHECK (owner = current_user)",
        ],
    )
    d = dialects.get(url)
    current, desired = d.inspect(url), d.inspect(desired_url)
    changes = compare(current, desired, d.compare_options)
    assert [c.kind + " " + c.object_name for c in changes] == [
        "enable_row_security profiles",
        "add_policy profiles.profiles_insert",
        "alter_policy profiles.profiles_select",
        "alter_policy profiles.profiles_update",
    ]
    script = d.render_script(current, changes)
    assert any(s.startswith("ALTER POLICY profiles_select ON profiles TO PUBLIC USING (") for s in script)
    assert "DROP POLICY profiles_update ON profiles" in script
    execute(url, script)
    assert compare(d.inspect(url), desired, d.compare_options) == []
    assert _rows(url, _POLICIES) == _rows(desired_url, _POLICIES)
    assert _rows(url, "SELECT count(*) FROM profiles") == [(1,)]


def test_row_level_security_only_production_has_is_kept(pg_url: str) -> None:
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    execute(
        url,
        [
            "CREATE TABLE t (id int)",
            "ALTER TABLE t ENABLE ROW LEVEL SECURITY",
            "ALTER TABLE t FORCE ROW LEVEL SECURITY",
        ],
    )
    execute(desired_url, ["CREATE TABLE t (id int)"])
    d = dialects.get(url)
    current = d.inspect(url)
    changes = compare(current, d.inspect(desired_url), d.compare_options)
    assert [(c.kind, getattr(c, "detail", "")) for c in changes] == [("production_only", "forced")]
    assert d.render_script(current, changes) == []


def test_an_index_built_concurrently_keeps_its_operator_class_and_collation() -> None:
    from parity.dialects.postgres.render import render
    from parity.dialects.postgres.safe import safe_steps
    from parity.model.changes import AddIndex
    from parity.model.schema import Index, IndexPart

    ix = Index("users_email", (IndexPart("email", None, False, None, "text_pattern_ops", '"C"'),))
    steps = safe_steps(AddIndex("users", ix), None, render)
    assert steps is not None
    assert steps[0].sql == (
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email COLLATE "C" text_pattern_ops)',
    )


_PARTITIONS = """
SELECT c.relname, c.relkind, pg_get_expr(c.relpartbound, c.oid),
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
       (SELECT pa.relname FROM pg_inherits i JOIN pg_class pa ON pa.oid = i.inhparent WHERE i.inhrelid = c.oid)
FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 1
"""


def test_partitions_and_an_online_index_on_a_partitioned_table(pg_url: str) -> None:
    """A monthly-partitioned log: main adds partitions and an index. CREATE INDEX CONCURRENTLY is not
    allowed on a partitioned table, so the plan makes the parent's index ON ONLY, builds each
    partition's CONCURRENTLY and attaches it; the parent's index ends valid and the rows stay."""
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    parent = "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at)"
    jan = "CREATE TABLE events_2026_01 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')"
    feb = "CREATE TABLE events_2026_02 PARTITION OF events FOR VALUES FROM ('2026-02-01') TO ('2026-03-01')"
    execute(
        url, [parent, jan, feb, "INSERT INTO events VALUES (1, '2026-01-05', 'a'), (2, '2026-02-07', 'b')"]
    )
    execute(
        desired_url,
        [
            parent,
            jan,
            feb,
            "CREATE TABLE events_2026_03 PARTITION OF events FOR VALUES FROM ('2026-03-01') TO ('2026-04-01')",
            "CREATE INDEX events_kind ON events (kind)",
        ],
    )
    d = dialects.get(url)
    current, desired = d.inspect(url), d.inspect(desired_url)
    assert current.table("events").partition_by == "RANGE (at)"
    changes = compare(current, desired, d.compare_options)
    assert [c.kind + " " + c.object_name for c in changes] == [
        "add_partition events_2026_03",
        "add_index events_kind",
    ]
    p = plan(current, changes, d)
    assert not [f.code for f in p.diagnostics if f.area == "lint"]
    sql = [s for step in p.steps for s in step.sql]
    assert "CREATE INDEX IF NOT EXISTS events_kind ON ONLY events (kind)" in sql
    assert any(
        s.startswith("CREATE INDEX CONCURRENTLY IF NOT EXISTS events_2026_01_events_kind") for s in sql
    )
    execute(url, [*p.preamble, *sql])
    assert compare(d.inspect(url), desired, d.compare_options) == []
    assert _rows(url, _PARTITIONS) == _rows(desired_url, _PARTITIONS)
    assert _rows(
        url, "SELECT ix.indisvalid FROM pg_index ix WHERE ix.indexrelid = 'events_kind'::regclass"
    ) == [(True,)]
    assert _rows(url, "SELECT count(*) FROM events") == [(2,)]


def test_partitioning_an_existing_table_is_refused(pg_url: str) -> None:
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    execute(url, ["CREATE TABLE metrics (id bigint, at date NOT NULL)"])
    execute(desired_url, ["CREATE TABLE metrics (id bigint, at date NOT NULL) PARTITION BY RANGE (at)"])
    d = dialects.get(url)
    current = d.inspect(url)
    changes = compare(current, d.inspect(desired_url), d.compare_options)
    assert [c.kind for c in changes] == ["alter_partitioning"]
    assert d.render_script(current, changes) == []
    refused = [f for f in plan(current, changes, d).diagnostics if f.code == "PLN002"]
    assert refused and "moving every row" in refused[0].message


_GRANTS = """
SELECT c.relname, a.grantee::regrole::text, a.privilege_type
FROM pg_class c, aclexplode(c.relacl) a
WHERE c.relnamespace = current_schema()::regnamespace AND a.grantee <> c.relowner ORDER BY 1, 2, 3
"""


def test_grants_converge_in_the_catalog_and_are_never_revoked(pg_url: str) -> None:
    """A reporting role reads a table and a view and draws from a sequence; what only production
    grants (a DELETE) stays. The predefined pg_monitor role stands in for an application role, so the
    test creates no role on the shared server."""
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    base = ["CREATE TABLE orders (id int PRIMARY KEY, total numeric)", "CREATE SEQUENCE order_no"]
    execute(url, [*base, "GRANT SELECT, DELETE ON orders TO pg_monitor"])
    execute(
        desired_url,
        [
            *base,
            "CREATE VIEW revenue AS SELECT sum(total) AS total FROM orders",
            "GRANT SELECT, INSERT ON orders TO pg_monitor",
            "GRANT USAGE, SELECT ON SEQUENCE order_no TO pg_monitor",
            "GRANT SELECT ON revenue TO pg_monitor",
        ],
    )
    d = dialects.get(url)
    current, desired = d.inspect(url), d.inspect(desired_url)
    changes = compare(current, desired, d.compare_options)
    script = d.render_script(current, changes)
    assert "GRANT INSERT ON TABLE orders TO pg_monitor" in script  # only what is missing
    assert not any(s.startswith("REVOKE") for s in script)
    execute(url, script)
    assert [c.kind for c in compare(d.inspect(url), desired, d.compare_options)] == ["production_only"]
    extra = ("orders", "pg_monitor", "DELETE")
    assert _rows(url, _GRANTS) == sorted([*_rows(desired_url, _GRANTS), extra])


_COMPOSITES = """
SELECT t.typname, array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
FROM pg_type t JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE t.typnamespace = current_schema()::regnamespace GROUP BY 1 ORDER BY 1
"""


def test_composite_types_converge_and_a_retype_under_a_column_is_refused(pg_url: str) -> None:
    """A new attribute is added at the end (stored values get NULL); an attribute's type changes in
    place on a type no column uses, and is refused (PLN002) on one a column uses: the server would
    need ALTER TYPE … CASCADE, rewriting the rows."""
    url, desired_url = pg_schemas(pg_url, "cur", "des")
    execute(
        url,
        [
            "CREATE TYPE address AS (street text, zip varchar(5))",
            "CREATE TYPE label AS (text text)",
            "CREATE TABLE people (id int PRIMARY KEY, home address)",
            "INSERT INTO people VALUES (1, ROW('Main St', '12345'))",
        ],
    )
    execute(
        desired_url,
        [
            "CREATE TYPE address AS (street text, zip varchar(10), city text)",
            "CREATE TYPE label AS (text varchar(200))",
            "CREATE TABLE people (id int PRIMARY KEY, home address)",
        ],
    )
    d = dialects.get(url)
    current, desired = d.inspect(url), d.inspect(desired_url)
    changes = compare(current, desired, d.compare_options)
    assert [(c.kind, c.object_name) for c in changes] == [
        ("alter_composite_type", "address"),
        ("alter_composite_type", "address"),
        ("alter_composite_type", "label"),
    ]
    refused = [f for f in plan(current, changes, d).diagnostics if f.code == "PLN002"]
    assert len(refused) == 1 and "people.home" in refused[0].message, refused
    execute(url, d.render_script(current, changes))
    assert _rows(url, _COMPOSITES) == [
        ("address", ["street text", "zip character varying(5)", "city text"]),
        ("label", ["text character varying(200)"]),
    ]
    assert _rows(url, "SELECT (home).street, (home).city FROM people") == [("Main St", None)]
    # What is left is the refused retype, and it still renders nothing.
    after = compare(d.inspect(url), desired, d.compare_options)
    assert [(c.kind, c.object_name) for c in after] == [("alter_composite_type", "address")]
    assert d.render(after[0], d.inspect(url)) == []
