"""PostgreSQL catalog rows for the user schemas of a database, read with the server's own functions
(not parity's inspector), so a test can check a migrated database against the desired one
independently of parity's diff. Names of the current schema itself are taken out of the printed
definitions (the two sides may live in schemas of different names); an object of another user schema
(not the system's, not one an extension made) is named ``schema.name``."""

from __future__ import annotations

import re

import psycopg


# Each query yields rows that identify an object together with everything main declares about it;
# column order (attnum) is left out, as ALTER TABLE ADD COLUMN can only append.
def _n(alias: str, ns: str, name: str) -> str:
    return (
        f"CASE WHEN {alias}.{ns} = current_schema()::regnamespace THEN {alias}.{name}::text "
        f"ELSE {alias}.{ns}::regnamespace::text || '.' || {alias}.{name} END"
    )


_NAMES = {"Nc": _n("c", "relnamespace", "relname"), "Nt": _n("t", "typnamespace", "typname"),
          "Np": _n("p", "pronamespace", "proname")}  # fmt: skip

_USER_SCHEMAS = r"""
SELECT n.oid, n.nspname FROM pg_namespace n
WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid
                  AND d.deptype = 'e')
"""

_QUERIES = {
    "relation": """
        SELECT {Nc}, c.relkind::text, c.relrowsecurity, c.relforcerowsecurity,
               coalesce(pg_get_partkeydef(c.oid), ''), coalesce(pg_get_expr(c.relpartbound, c.oid), ''),
               ARRAY(SELECT o FROM unnest(c.reloptions) o ORDER BY 1)
        FROM pg_class c WHERE c.relnamespace = ANY(%(nss)s::oid[])
          AND c.relkind IN ('r', 'p', 'v', 'm', 'S')""",
    "column": """
        SELECT {Nc}, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attgenerated::text, a.attidentity::text,
               coalesce(co.collname, '')
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 100
        WHERE c.relnamespace = ANY(%(nss)s::oid[]) AND c.relkind IN ('r', 'p')
          AND a.attnum > 0 AND NOT a.attisdropped""",
    "constraint": """
        SELECT {Nc}, k.conname, k.contype::text, pg_get_constraintdef(k.oid), k.convalidated
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        WHERE c.relnamespace = ANY(%(nss)s::oid[])""",
    "index": """
        SELECT {Nc}, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relnamespace = ANY(%(nss)s::oid[])""",
    "view": """
        SELECT {Nc}, pg_get_viewdef(c.oid, true)
        FROM pg_class c WHERE c.relnamespace = ANY(%(nss)s::oid[]) AND c.relkind IN ('v', 'm')""",
    "trigger": """
        SELECT t.tgname, pg_get_triggerdef(t.oid, true), t.tgenabled::text
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = ANY(%(nss)s::oid[]) AND NOT t.tgisinternal""",
    "function": """
        SELECT {Np}, pg_get_function_identity_arguments(p.oid), pg_get_functiondef(p.oid)
        FROM pg_proc p WHERE p.pronamespace = ANY(%(nss)s::oid[]) AND p.prokind IN ('f', 'p')""",
    "type": """
        SELECT {Nt}, t.typtype::text, format_type(t.typbasetype, t.typtypmod), t.typnotnull,
               coalesce(t.typdefault, ''),
               ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
        FROM pg_type t WHERE t.typnamespace = ANY(%(nss)s::oid[]) AND t.typtype IN ('e', 'd', 'c')""",
    "composite_attribute": """
        SELECT {Nt}, a.attname, format_type(a.atttypid, a.atttypmod), coalesce(co.collname, '')
        FROM pg_type t JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 100
        WHERE t.typnamespace = ANY(%(nss)s::oid[])""",
    "domain_constraint": """
        SELECT {Nt}, k.conname, pg_get_constraintdef(k.oid), k.convalidated
        FROM pg_constraint k JOIN pg_type t ON t.oid = k.contypid
        WHERE t.typnamespace = ANY(%(nss)s::oid[])""",
    "sequence": """
        SELECT {Nc}, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement
        FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
        WHERE c.relnamespace = ANY(%(nss)s::oid[])""",
    "policy": """
        SELECT CASE WHEN p.schemaname = current_schema() THEN p.tablename::text
                    ELSE p.schemaname || '.' || p.tablename END, p.policyname, p.permissive, p.cmd, p.roles::text[], coalesce(p.qual, ''),
               coalesce(p.with_check, '')
        FROM pg_policies p WHERE p.schemaname = ANY(%(names)s::text[])""",
    "comment": """
        SELECT {Nc}, d.objsubid, d.description
        FROM pg_description d JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
        WHERE c.relnamespace = ANY(%(nss)s::oid[])""",
    "column_grant": """
        SELECT {Nc}, a.attname, g.grantee::regrole::text, g.privilege_type
        FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attacl IS NOT NULL, aclexplode(a.attacl) g
        WHERE c.relnamespace = ANY(%(nss)s::oid[]) AND g.grantee <> c.relowner""",
    "grant": """
        SELECT {Nc}, a.grantee::regrole::text, a.privilege_type
        FROM pg_class c, aclexplode(c.relacl) a
        WHERE c.relnamespace = ANY(%(nss)s::oid[]) AND a.grantee <> c.relowner""",
}


def catalog_rows(url: str, other_schemas: bool = True) -> set[tuple[object, ...]]:
    """``(kind, name, …)`` rows for every object of ``url``'s user schemas (``name``: the object's,
    or for a column, constraint or comment its table's; ``schema.name`` outside the current
    schema). ``other_schemas=False``: the current schema only (two sides living in one database)."""
    out: set[tuple[object, ...]] = set()
    with psycopg.connect(url) as conn:
        schema = conn.execute("SELECT current_schema()").fetchone()[0]  # type: ignore[index]
        qualifier = re.compile(rf'(?<![\w"]){re.escape(schema)}\.|"{re.escape(schema)}"\.')
        spaces = conn.execute(_USER_SCHEMAS.encode()).fetchall()
        if not other_schemas:
            spaces = [(o, n) for o, n in spaces if n == schema]
        params = {"nss": [o for o, _ in spaces], "names": [n for _, n in spaces]}
        for kind, sql in _QUERIES.items():
            for row in conn.execute(sql.format(**_NAMES).encode(), params).fetchall():
                cells = tuple(
                    qualifier.sub("", v) if isinstance(v, str) else tuple(v) if isinstance(v, list) else v
                    for v in row
                )
                out.add((kind, *cells))
    return out
