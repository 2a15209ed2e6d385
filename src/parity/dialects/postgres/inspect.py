"""Read-only PostgreSQL inspector: ``pg_catalog`` through psycopg 3.

Everything is read inside one ``READ ONLY`` transaction, one query per object kind for the
whole schema (columns, constraints, indexes, views, enums, domains, sequences, functions,
triggers, comments, partitions, policies, grants), so a schema of thousands of tables inspects in
a few round trips; a probe (:data:`Q_PRESENT`) says first which kinds the schema may hold, and the
queries of the others are not sent. Extensions and the other schemas' names are database-wide and read as such.
The schema inspected is the connection's ``current_schema()`` (``public`` unless the URL's
``options`` say otherwise); the database's other user schemas (not the system's, not one an extension
made) are read by the same queries (``= ANY(nss)``), their objects named ``schema.name``, and which
of them a comparison covers is :mod:`parity.diff.scope`'s business. What they hold that the model
leaves out is counted per kind (:data:`Q_NOT_COMPARED`), so a comparison never calls it in sync.
"""

from __future__ import annotations

import re
from collections import defaultdict
from operator import attrgetter
from typing import Any

from parity.dialects.base import RowCount
from parity.dialects.postgres.diff import FK_ACTIONS, normalize_check, normalize_default, normalize_view
from parity.dialects.postgres.types import normalize_type
from parity.dialects.sql import gc_paused
from parity.errors import DatabaseError, DatabaseUnreachable
from parity.model.schema import (
    CheckConstraint,
    Column,
    Comment,
    CompositeType,
    Dependency,
    Domain,
    EnumType,
    ExcludeConstraint,
    Extension,
    ForeignKey,
    Function,
    Grant,
    Index,
    IndexPart,
    Partition,
    Policy,
    PrimaryKey,
    Schema,
    Sequence,
    Table,
    Trigger,
    UniqueConstraint,
    View,
    fast_column,
)

_NAME = attrgetter("name")
_DRIVER = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://", re.IGNORECASE)


def _qn(ns: str, name: str) -> str:
    """SQL for an object's name in the model: as is in the inspected schema, ``schema.name`` in another."""
    return f"CASE WHEN {ns} = %(ns)s THEN {name} ELSE (SELECT nspname FROM pg_namespace WHERE oid = {ns}) || '.' || {name} END"


#: The user schemas read: the inspected one and the others of :data:`Q_NAMESPACES`.
IN_NSS = "= ANY(%(nss)s::oid[])"

Q_TABLES = f"""
SELECT {_qn("c.relnamespace", "c.relname")}, c.relrowsecurity, c.relforcerowsecurity,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END
FROM pg_class c
WHERE c.relnamespace {IN_NSS} AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY 1
"""

# Unsorted: the server's sort of 20,000 wide rows spilled to disk and cost a third of the query;
# the rows come back in table order or nearly so, and Python puts each table's in attnum order.
# The collation's name is looked up only for the rare column whose collation is not its type's.
Q_COLUMNS = f"""
SELECT {_qn("c.relnamespace", "c.relname")}, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attgenerated, a.attidentity,
       CASE WHEN a.attcollation <> t.typcollation
            THEN (SELECT co.collname FROM pg_collation co WHERE co.oid = a.attcollation) END,
       a.attnum
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relnamespace {IN_NSS} AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND a.attnum > 0 AND NOT a.attisdropped
"""

# A constraint's columns come as attnums, named in Python from the columns already read (a
# subquery per constraint into pg_attribute cost five times the rest of the query); the names are
# read here only where those columns are not at hand: a partition's constraints, a foreign key to
# a table outside the schemas read or to a partition, a system column. The definition is printed
# only for the kinds compared by it (CHECK, EXCLUDE). A referenced table in a schema read is named
# as the model names it; one elsewhere keeps its schema.
Q_CONSTRAINTS = f"""
SELECT {_qn("cl.relnamespace", "cl.relname")}, con.conname, con.contype,
       CASE WHEN con.contype IN ('c', 'x') THEN pg_get_constraintdef(con.oid, true) END,
       con.conkey,
       CASE WHEN cl.relispartition OR NOT 0 < ALL(con.conkey) THEN
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i) END,
       CASE WHEN fcl.relnamespace {IN_NSS} THEN {_qn("fcl.relnamespace", "fcl.relname")} ELSE fcl.relname END,
       CASE WHEN NOT fcl.relnamespace {IN_NSS} THEN fns.nspname END,
       con.confkey,
       CASE WHEN NOT fcl.relnamespace {IN_NSS} OR fcl.relispartition THEN
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i) END,
       con.confdeltype, con.confupdtype, con.condeferrable, con.condeferred
FROM pg_constraint con
JOIN pg_class cl ON cl.oid = con.conrelid
LEFT JOIN pg_class fcl ON fcl.oid = con.confrelid
LEFT JOIN pg_namespace fns ON fns.oid = fcl.relnamespace
WHERE cl.relnamespace {IN_NSS} AND con.contype IN ('p', 'f', 'u', 'c', 'x') AND cl.relkind IN ('r', 'p')
ORDER BY 1, con.conname
"""

# A key part's text (pg_get_indexdef per part) is printed only for indexes with an expression
# (and a partition's or a materialized view's, whose columns are not at hand); plain columns are
# named from their attnums in Python, which halves the query.
Q_INDEXES = f"""
SELECT {_qn("t.relnamespace", "t.relname")}, i.relname, ix.indisunique, am.amname,
       pg_get_expr(ix.indpred, ix.indrelid, true),
       ix.indkey::int2[],
       ix.indoption::int2[],
       CASE WHEN ix.indexprs IS NOT NULL OR t.relispartition OR t.relkind = 'm' THEN
       ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true) FROM generate_series(1, ix.indnkeyatts) k ORDER BY k)
       END,
       ix.indclass::oid[],
       CASE WHEN NOT ix.indcollation::oid[] <@ '{{0,100}}'::oid[] THEN  -- only then: a collation not the default
       ARRAY(SELECT CASE WHEN k.coll <> 0 AND k.coll <> coalesce(a.attcollation, 100) THEN quote_ident(co.collname) END
             FROM unnest(ix.indcollation::oid[], ix.indkey::int2[]) WITH ORDINALITY k(coll, n, i)
             LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.n AND k.n > 0
             LEFT JOIN pg_collation co ON co.oid = k.coll
             WHERE k.i <= ix.indnkeyatts ORDER BY k.i) END,
       ix.indnkeyatts
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_am am ON am.oid = i.relam
WHERE t.relnamespace {IN_NSS} AND t.relkind IN ('r', 'p', 'm')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                  WHERE con.conindid = ix.indexrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY 1, i.relname
"""

Q_VIEWS = f"""
SELECT {_qn("c.relnamespace", "c.relname")}, pg_get_viewdef(c.oid, true), c.relkind = 'm',
       coalesce(c.reloptions, '{{}}'), pg_get_userbyid(c.relowner)
FROM pg_class c WHERE c.relnamespace {IN_NSS} AND c.relkind IN ('v', 'm') ORDER BY 1
"""

Q_ENUMS = f"""
SELECT {_qn("t.typnamespace", "t.typname")}, array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
WHERE t.typnamespace {IN_NSS} GROUP BY t.typnamespace, t.typname ORDER BY 1
"""

Q_SEQUENCES = f"""
SELECT {_qn("c.relnamespace", "c.relname")}, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement,
       {_qn("tc.relnamespace", "tc.relname")} || '.' || a.attname
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
LEFT JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass
     AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
LEFT JOIN pg_class tc ON tc.oid = d.refobjid
LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE c.relnamespace {IN_NSS} ORDER BY 1
"""

Q_TRIGGERS = f"""
SELECT t.tgname, {_qn("c.relnamespace", "c.relname")}, pg_get_triggerdef(t.oid, true)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal AND c.relnamespace {IN_NSS} ORDER BY t.tgname, 2
"""

# Comments on the schema's tables, views and their columns (objsubid 0: the relation's own).
Q_COMMENTS = f"""
SELECT {_qn("c.relnamespace", "c.relname")}, a.attname, ds.description
FROM pg_description ds
JOIN pg_class c ON c.oid = ds.objoid AND ds.classoid = 'pg_class'::regclass
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ds.objsubid AND ds.objsubid > 0
WHERE c.relnamespace {IN_NSS} AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
ORDER BY 1, 2 NULLS FIRST
"""


# The operator classes that are not their type's default, as SQL names them (schema-qualified when
# outside pg_catalog and the inspected schema): a few dozen rows, matched to indexes in Python, which
# costs less than a lookup per index part.
Q_OPCLASSES = """
SELECT o.oid, CASE WHEN o.opcnamespace NOT IN ('pg_catalog'::regnamespace, %(ns)s)
                   THEN quote_ident(n.nspname) || '.' ELSE '' END || quote_ident(o.opcname)
FROM pg_opclass o JOIN pg_namespace n ON n.oid = o.opcnamespace WHERE NOT o.opcdefault
"""

# Partitions with their parent and bounds (their columns and keys are the parent's).
Q_PARTITIONS = f"""
SELECT {_qn("c.relnamespace", "c.relname")}, {_qn("pa.relnamespace", "pa.relname")}, pg_get_expr(c.relpartbound, c.oid),
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END
FROM pg_class c
JOIN pg_inherits i ON i.inhrelid = c.oid
JOIN pg_class pa ON pa.oid = i.inhparent
WHERE c.relnamespace {IN_NSS} AND c.relispartition AND c.relkind IN ('r', 'p')
ORDER BY 1
"""

# Privileges on the schema's tables, views and sequences, one row per object and grantee, a column's
# own as GRANT spells them (``UPDATE (name)``); the owner's own are left out (owners differ between
# environments), as is WITH GRANT OPTION.
Q_GRANTS = f"""
SELECT {_qn("c.relnamespace", "c.relname")}, CASE WHEN g.grantee = 0 THEN 'public' ELSE pg_get_userbyid(g.grantee) END,
       array_agg(DISTINCT g.privilege ORDER BY g.privilege), c.relkind = 'S'
FROM (
  SELECT c.oid AS rel, a.grantee, a.privilege_type AS privilege
  FROM pg_class c, aclexplode(c.relacl) a WHERE c.relacl IS NOT NULL AND c.relnamespace {IN_NSS}
  UNION ALL
  SELECT at.attrelid, a.grantee, a.privilege_type || ' (' || quote_ident(at.attname) || ')'
  FROM pg_attribute at, aclexplode(at.attacl) a WHERE at.attacl IS NOT NULL AND NOT at.attisdropped
) g
JOIN pg_class c ON c.oid = g.rel
WHERE c.relnamespace {IN_NSS} AND g.grantee <> c.relowner
  AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND NOT c.relispartition
GROUP BY 1, g.grantee, c.relkind ORDER BY 1, 2
"""

# Row-level security policies on the schema's tables (pg_policies prints the expressions and roles).
Q_POLICIES = """
SELECT p.policyname,
       CASE WHEN p.schemaname = %(name)s THEN p.tablename::text ELSE p.schemaname || '.' || p.tablename END,
       p.cmd, p.permissive = 'PERMISSIVE', p.roles::text[], p.qual, p.with_check
FROM pg_policies p WHERE p.schemaname = ANY(%(names)s::text[]) ORDER BY 2, 1
"""

# Domains with their CHECKs (contype 'c'; PostgreSQL 17 also lists NOT NULL there, as 'n'), leaving
# out those an extension owns.
Q_DOMAINS = f"""
SELECT {_qn("t.typnamespace", "t.typname")}, format_type(t.typbasetype, t.typtypmod), t.typnotnull, pg_get_expr(t.typdefaultbin, 0),
       CASE WHEN t.typcollation <> bt.typcollation THEN co.collname END,
       ARRAY(SELECT con.conname FROM pg_constraint con
             WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname),
       ARRAY(SELECT pg_get_constraintdef(con.oid, true) FROM pg_constraint con
             WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname)
FROM pg_type t
JOIN pg_type bt ON bt.oid = t.typbasetype
LEFT JOIN pg_collation co ON co.oid = t.typcollation
WHERE t.typnamespace {IN_NSS} AND t.typtype = 'd'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
ORDER BY 1
"""

# Functions and procedures (aggregates and window functions stay counted as not compared), not those
# an extension owns.
Q_FUNCTIONS = f"""
SELECT {_qn("p.pronamespace", "p.proname")}, pg_get_function_identity_arguments(p.oid), pg_get_functiondef(p.oid),
       coalesce(pg_get_function_result(p.oid), ''), pg_get_function_arguments(p.oid), p.prokind = 'p'
FROM pg_proc p
WHERE p.pronamespace {IN_NSS} AND p.prokind IN ('f', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                  AND d.deptype = 'e')
ORDER BY 1, 2
"""

# Composite types (CREATE TYPE … AS (…)), not a table's own row type: one row per attribute.
Q_COMPOSITES = f"""
SELECT {_qn("ty.typnamespace", "ty.typname")}, a.attname, format_type(a.atttypid, a.atttypmod),
       CASE WHEN a.attcollation <> at.typcollation THEN co.collname END
FROM pg_type ty
JOIN pg_class c ON c.oid = ty.typrelid AND c.relkind = 'c'
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_type at ON at.oid = a.atttypid
LEFT JOIN pg_collation co ON co.oid = a.attcollation
WHERE ty.typnamespace {IN_NSS} AND ty.typtype = 'c'
ORDER BY 1, a.attnum
"""

# What needs what among the schema's relations and functions, in one pg_depend scan: a view's rule on
# the relations, columns and functions it reads, a SQL-standard function body on what it names, a
# column default, CHECK or index expression on the functions it calls, a trigger (WHEN, UPDATE OF)
# or policy on the columns of its table it reads. Only normal ('n') ones: the
# internal and automatic ones tie an object to its own parts (a view's rule to the view, an index
# to its columns), and FOREIGN KEY edges are in the constraints already (so pg_constraint rows
# are taken only when they call a function).
Q_DEPENDENCIES = f"""
WITH rel AS (
  SELECT oid, {_qn("relnamespace", "relname")} AS name,
         CASE WHEN relkind IN ('v', 'm') THEN 'view' ELSE 'table' END AS kind
  FROM pg_class WHERE relnamespace {IN_NSS} AND relkind IN ('r', 'p', 'v', 'm')
), fn AS (
  SELECT oid, {_qn("pronamespace", "proname")} || '(' || pg_get_function_identity_arguments(oid) || ')' AS name
  FROM pg_proc WHERE pronamespace {IN_NSS} AND prokind IN ('f', 'p')
), d AS (
  SELECT classid, objid, refclassid, refobjid, refobjsubid FROM pg_depend
  WHERE deptype = 'n'
    AND ((classid IN ('pg_rewrite'::regclass, 'pg_proc'::regclass)
          AND refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass))
         OR (classid IN ('pg_attrdef'::regclass, 'pg_constraint'::regclass, 'pg_class'::regclass)
             AND refclassid = 'pg_proc'::regclass)
         OR (classid IN ('pg_trigger'::regclass, 'pg_policy'::regclass) AND refclassid = 'pg_class'::regclass))
)
SELECT DISTINCT
       CASE WHEN tg.oid IS NOT NULL THEN 'trigger' WHEN po.oid IS NOT NULL THEN 'policy'
            ELSE coalesce(sr.kind, 'function') END,
       coalesce(tg.tgname, po.polname, sr.name, sf.name),
       coalesce(rr.kind, 'function'), coalesce(rr.name, rf.name), a.attname
FROM d
LEFT JOIN pg_rewrite rw ON d.classid = 'pg_rewrite'::regclass AND rw.oid = d.objid
LEFT JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
LEFT JOIN pg_constraint con ON d.classid = 'pg_constraint'::regclass AND con.oid = d.objid
LEFT JOIN pg_index ix ON d.classid = 'pg_class'::regclass AND ix.indexrelid = d.objid
LEFT JOIN pg_trigger tg ON d.classid = 'pg_trigger'::regclass AND tg.oid = d.objid AND NOT tg.tgisinternal
LEFT JOIN pg_policy po ON d.classid = 'pg_policy'::regclass AND po.oid = d.objid
LEFT JOIN rel sr ON sr.oid = coalesce(rw.ev_class, ad.adrelid, con.conrelid, ix.indrelid, tg.tgrelid, po.polrelid)
LEFT JOIN fn sf ON d.classid = 'pg_proc'::regclass AND sf.oid = d.objid
LEFT JOIN rel rr ON d.refclassid = 'pg_class'::regclass AND rr.oid = d.refobjid
LEFT JOIN fn rf ON d.refclassid = 'pg_proc'::regclass AND rf.oid = d.refobjid
LEFT JOIN pg_attribute a ON rr.oid IS NOT NULL AND d.refobjsubid > 0
     AND a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE coalesce(sr.name, sf.name) IS NOT NULL AND coalesce(rr.name, rf.name) IS NOT NULL
  AND (d.classid NOT IN ('pg_trigger'::regclass, 'pg_policy'::regclass) OR tg.oid IS NOT NULL OR po.oid IS NOT NULL)
  AND (sr.oid IS NULL OR rr.oid IS NULL OR sr.oid <> rr.oid OR tg.oid IS NOT NULL OR po.oid IS NOT NULL)
ORDER BY 1, 2, 3, 4, 5
"""

# The database's other schemas (the inspected one, public, the system's and extensions' left out).
Q_NAMESPACES = r"""
SELECT n.oid, n.nspname FROM pg_namespace n
WHERE n.oid <> %(ns)s AND n.nspname NOT LIKE 'pg\_%%' AND n.nspname NOT IN ('information_schema', 'public')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid
                  AND d.deptype = 'e')
ORDER BY 2
"""

# An object of the inspected schema whose name reads as another schema's (``app.users`` in public
# beside schema app's ``users``): the model names the latter so, so the two cannot be told apart.
Q_AMBIGUOUS = """
SELECT name FROM (
  SELECT relname::text AS name FROM pg_class WHERE relnamespace = %(ns)s AND strpos(relname, '.') > 0
  UNION ALL SELECT typname::text FROM pg_type WHERE typnamespace = %(ns)s AND strpos(typname, '.') > 0
  UNION ALL SELECT proname::text FROM pg_proc WHERE pronamespace = %(ns)s AND strpos(proname, '.') > 0
) n WHERE split_part(name, '.', 1) = ANY(%(others)s::text[]) LIMIT 1
"""

# Extensions are database-wide; plpgsql comes with every database.
Q_EXTENSIONS = """
SELECT x.extname, CASE WHEN x.extnamespace <> %(ns)s THEN n.nspname END
FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
WHERE x.extname <> 'plpgsql' ORDER BY x.extname
"""


# Which kinds the schema may hold, in one query, so a kind it lacks costs no query (real schemas
# lack most; each such query still costs its planning and a catalog scan, about a tenth of the
# whole inspection of 1,000 plain tables). Each answer may be too wide, never too narrow: a kind
# read as present is queried as before. Triggers, policies and comments are looked for in the
# whole database (small catalogs; user objects' oids start at 16384), types and functions in the
# schema, relation kinds in one pass over its pg_class rows (views have rules: relhasrules).
Q_PRESENT = f"""
SELECT rel.*, typ.*,
       EXISTS (SELECT 1 FROM pg_proc pr WHERE pr.pronamespace {IN_NSS} AND pr.prokind IN ('f', 'p')),
       EXISTS (SELECT 1 FROM pg_trigger tg WHERE NOT tg.tgisinternal),
       EXISTS (SELECT 1 FROM pg_policy),
       EXISTS (SELECT 1 FROM pg_description ds WHERE ds.objoid >= 16384),
       EXISTS (SELECT 1 FROM pg_attribute at JOIN pg_class ac ON ac.oid = at.attrelid
               WHERE at.attacl IS NOT NULL AND ac.relnamespace {IN_NSS})
FROM (SELECT coalesce(bool_or(c.relkind IN ('v', 'm')), false), coalesce(bool_or(c.relkind = 'S'), false),
             coalesce(bool_or(c.relkind = 'c'), false), coalesce(bool_or(c.relispartition), false),
             coalesce(bool_or(c.relacl IS NOT NULL), false), coalesce(bool_or(c.relhasrules), false)
      FROM pg_class c WHERE c.relnamespace {IN_NSS}) rel,
     (SELECT coalesce(bool_or(t.typtype = 'e'), false), coalesce(bool_or(t.typtype = 'd'), false)
      FROM pg_type t WHERE t.typnamespace {IN_NSS}) typ
"""


def absent_queries(conn: Any, params: dict[str, Any]) -> frozenset[str]:
    """The kind queries that cannot return a row for this schema (by :data:`Q_PRESENT`)."""
    *row, column_grants = conn.execute(Q_PRESENT, params).fetchone()
    (
        views,
        sequences,
        composites,
        partitions,
        grants,
        rules,
        enums,
        domains,
        functions,
        triggers,
        policies,
        comments,
    ) = row
    needs = {
        Q_VIEWS: views,
        Q_SEQUENCES: sequences,
        Q_COMPOSITES: composites,
        Q_PARTITIONS: partitions,
        Q_GRANTS: grants or column_grants,  # a column's own grant is in attacl, not relacl
        Q_ENUMS: enums,
        Q_DOMAINS: domains,
        Q_FUNCTIONS: functions,
        Q_TRIGGERS: triggers,
        Q_POLICIES: policies,
        Q_COMMENTS: comments,
        # Its edges start at a rule (every view has one), a function of the schema, a trigger or a
        # policy; the other sources (defaults, CHECKs, indexes) count only when they call one.
        Q_DEPENDENCIES: views or rules or functions or triggers or policies,
    }
    return frozenset(q for q, present in needs.items() if not present)


#: Objects of the schema parity does not model yet, counted so a re-diff can say "not compared"
#: instead of "in sync". One query; extension members are left out (the extension owns them).
Q_NOT_COMPARED = """
SELECT
  (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = ANY(%(nss)s::oid[]) AND p.prokind NOT IN ('f', 'p')
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')),
  (SELECT count(*) FROM pg_class c WHERE c.relnamespace = ANY(%(nss)s::oid[]) AND c.relrowsecurity
     AND (c.relkind NOT IN ('r', 'p') OR c.relispartition)),
  (SELECT count(*) FROM pg_description ds JOIN pg_class c ON c.oid = ds.objoid AND ds.classoid = 'pg_class'::regclass
     WHERE c.relnamespace = ANY(%(nss)s::oid[]) AND (c.relkind NOT IN ('r', 'p', 'v', 'm') OR c.relispartition)),
  (SELECT count(*) FROM pg_index ix JOIN pg_class c ON c.oid = ix.indrelid
     WHERE c.relnamespace = ANY(%(nss)s::oid[]) AND c.relispartition
       AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = ix.indexrelid)),
  (SELECT count(*) FROM pg_default_acl d WHERE (d.defaclnamespace = 0 OR d.defaclnamespace = ANY(%(nss)s::oid[]))),
  (SELECT count(*) FROM pg_class c WHERE c.relnamespace = ANY(%(nss)s::oid[]) AND c.relkind = 'f'),
  (SELECT count(*) FROM pg_statistic_ext s WHERE s.stxnamespace = ANY(%(nss)s::oid[])),
  (SELECT count(*) FROM pg_collation co WHERE co.collnamespace = ANY(%(nss)s::oid[])),
  (SELECT count(*) FROM pg_type t WHERE t.typnamespace = ANY(%(nss)s::oid[]) AND t.typtype IN ('b', 'r')
     AND t.typelem = 0 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e'))
"""
NOT_COMPARED_KINDS = (
    "aggregate and window functions",
    "partitions with row-level security",
    "comments on sequences and indexes",
    "indexes a partition has of its own (not its parent's)",
    "default privileges",
    "foreign tables",
    "extended statistics",
    "collations",
    "base and range types",
)


_DEFERRABLE = {
    (False, False): None,
    (True, False): "DEFERRABLE",
    (True, True): "DEFERRABLE INITIALLY DEFERRED",
    (False, True): None,  # not a state the server allows; read as the default
}


def libpq_url(url: str) -> str:
    """``postgresql+psycopg://…`` / ``postgres://…`` → the ``postgresql://…`` libpq reads."""
    return _DRIVER.sub("postgresql://", url)


def connection_error(exc: Exception, url: str) -> DatabaseError:
    """A one-line :class:`DatabaseError` for a failed connection (the password never shows)."""
    text = str(exc).strip()
    low = text.lower()
    if (
        "password authentication failed" in low
        or "no password supplied" in low
        or ("role" in low and "does not exist" in low)
    ):
        return DatabaseError("PostgreSQL refused the credentials (wrong user or password)", url=url)
    if "does not exist" in low and "database" in low:
        m = re.search(r'database "([^"]+)" does not exist', text)
        return DatabaseError(f"no such PostgreSQL database{' ' + repr(m.group(1)) if m else ''}", url=url)
    if (
        "connection refused" in low
        or "could not connect" in low
        or "timeout" in low
        or "no such file" in low
        # a host name that does not resolve here: compose's `db`, a cluster-internal name
        or "failed to resolve host" in low
        or "could not translate host name" in low
    ):
        return DatabaseUnreachable(
            "cannot reach the PostgreSQL server (is it running, is the host/port right?)", url=url
        )
    last = [line for line in text.splitlines() if line.strip()]
    return DatabaseError(f"PostgreSQL: {last[-1] if last else type(exc).__name__}", url=url)


def connect(url: str, *, autocommit: bool = False, read_only: bool = True) -> Any:
    """A psycopg connection to ``url``; read-only sessions refuse every write server-side."""
    import psycopg

    try:
        conn = psycopg.connect(libpq_url(url), connect_timeout=5, autocommit=autocommit)
    except psycopg.Error as exc:
        raise connection_error(exc, url) from exc
    if read_only and not autocommit:
        conn.read_only = True
    return conn


def inspect(url: str) -> Schema:
    """The schema at ``url`` (its ``current_schema()``), read in one READ ONLY transaction."""
    import psycopg

    conn = connect(url)
    try:
        with conn.transaction():
            ns_row = conn.execute(
                "SELECT oid, nspname FROM pg_namespace WHERE nspname = current_schema()"
            ).fetchone()
            if ns_row is None:
                raise DatabaseError("the connection has no current schema (search_path is empty?)", url=url)
            with gc_paused():  # tens of thousands of acyclic rows and dataclasses
                return inspect_rows(conn, ns_row[0], ns_row[1])
    except psycopg.Error as exc:
        raise DatabaseError(
            f"PostgreSQL inspection failed: {str(exc).strip().splitlines()[0]}", url=url
        ) from exc
    finally:
        conn.close()


def inspect_rows(conn: Any, ns: int, ns_name: str) -> Schema:
    # The other user schemas are read with the inspected one, their objects named ``schema.name``;
    # which of them a comparison covers is the diff's business (those main declares).
    others = conn.execute(Q_NAMESPACES, {"ns": ns}).fetchall()
    if others:
        clash = conn.execute(Q_AMBIGUOUS, {"ns": ns, "others": [n for _, n in others]}).fetchone()
        if clash is not None:
            raise DatabaseError(
                f"{ns_name}.{_quote(clash[0])} has a name parity cannot tell from an object of schema "
                f"{clash[0].split('.', 1)[0]} (parity names those schema.name): rename it to compare this database"
            )
    p = {"ns": ns, "nss": [ns, *(o for o, _ in others)]}
    absent = absent_queries(conn, p)

    def rows(query: str, params: dict[str, Any] = p) -> list[Any]:
        return [] if query in absent else conn.execute(query, params).fetchall()

    table_rows = conn.execute(Q_TABLES, p).fetchall()
    columns: dict[str, list[Column]] = defaultdict(list)
    attnums: dict[str, list[int]] = defaultdict(list)
    identities = {"a": "always", "d": "by default"}
    # Equal columns are one object (a Column is immutable; tables repeat id, created_at, …):
    # the second and later cost a dict lookup instead of the normalisation and the build.
    made: dict[tuple[Any, ...], Column] = {}
    # fetchall() builds the rows in C, and fast_column skips the frozen dataclass's per-field
    # __setattr__: together about a third of the Python side for thousands of columns.
    for row in conn.execute(Q_COLUMNS, p).fetchall():
        key = row[1:8]
        col = made.get(key)
        if col is None:
            cname, ctype, notnull, default, generated, identity, collation = key
            is_gen = generated in ("s", "v")  # 'v': PostgreSQL 18's virtual generated columns
            col = made[key] = fast_column(
                cname,
                normalize_type(ctype),
                ctype,
                not notnull,
                None if is_gen or default is None else normalize_default(default),
                None if is_gen else default,
                default if is_gen else None,
                generated == "s",
                collation,
                identities.get(identity or ""),
            )
        columns[row[0]].append(col)
        attnums[row[0]].append(row[8])
    for tname, nums in attnums.items():  # Q_COLUMNS is unsorted: each table's in attnum order
        if nums != sorted(nums):
            order = sorted(range(len(nums)), key=nums.__getitem__)
            columns[tname] = [columns[tname][i] for i in order]
            nums.sort()
    # table → attnum → column name, for the constraints' and indexes' keys.
    names = {t: dict(zip(nums, map(_NAME, columns[t]), strict=True)) for t, nums in attnums.items()}
    pks: dict[str, PrimaryKey] = {}
    fks: dict[str, list[ForeignKey]] = defaultdict(list)
    uniques: dict[str, list[UniqueConstraint]] = defaultdict(list)
    checks: dict[str, list[CheckConstraint]] = defaultdict(list)
    excludes: dict[str, list[ExcludeConstraint]] = defaultdict(list)
    for (
        tname,
        cname,
        ctype,
        definition,
        key,
        key_names,
        ftable,
        fschema,
        fkey,
        fkey_names,
        on_del,
        on_upd,
        dfr,
        dfd,
    ) in conn.execute(Q_CONSTRAINTS, p).fetchall():
        deferrable = _DEFERRABLE[(dfr, dfd)]
        cols = key_names if key_names is not None else [names[tname][n] for n in key or ()]
        fcols = fkey_names if fkey_names is not None else [names[ftable][n] for n in fkey or ()]
        if ctype == "p":
            pks[tname] = PrimaryKey(tuple(cols), cname, deferrable)
        elif ctype == "u":
            uniques[tname].append(UniqueConstraint(tuple(cols), cname, deferrable))
        elif ctype == "c":
            checks[tname].append(CheckConstraint(normalize_check(definition), cname))
        elif ctype == "x":
            excludes[tname].append(ExcludeConstraint(cname, definition))
        elif ctype == "f":
            fks[tname].append(
                ForeignKey(
                    tuple(cols),
                    ftable,
                    tuple(fcols),
                    cname,
                    FK_ACTIONS.get(on_del, "NO ACTION"),
                    FK_ACTIONS.get(on_upd, "NO ACTION"),
                    fschema,
                    deferrable,
                )
            )
    indexes: dict[str, list[Index]] = defaultdict(list)
    made_parts: dict[tuple[Any, ...], IndexPart] = {}
    named_opclasses: dict[int, str] = dict(conn.execute(Q_OPCLASSES, p).fetchall())
    for (
        tname,
        iname,
        unique,
        method,
        pred,
        indkey,
        indoption,
        defs,
        opclasses,
        collations,
        nkey,
    ) in conn.execute(Q_INDEXES, p).fetchall():
        parts = []
        for pos in range(nkey):
            desc = bool(indoption[pos] & 1) if indoption and pos < len(indoption) else False
            opclass = named_opclasses.get(opclasses[pos]) if pos < len(opclasses) else None
            collation = collations[pos] if collations and pos < len(collations) else None
            if indkey[pos] == 0:
                parts.append(IndexPart(None, defs[pos], desc, None, opclass, collation))
            else:
                name = names[tname][indkey[pos]] if defs is None else _unquote(defs[pos])
                part_key = (name, desc, opclass, collation)
                part = made_parts.get(part_key)
                if part is None:  # equal column parts are one object, like the columns
                    part = made_parts[part_key] = IndexPart(name, None, desc, None, opclass, collation)
                parts.append(part)
        indexes[tname].append(
            Index(iname, tuple(parts), bool(unique), pred, None if method == "btree" else method)
        )
    tables = tuple(
        Table(
            t,
            tuple(columns[t]),
            pks.get(t),
            tuple(indexes[t]),
            tuple(sorted(fks[t], key=lambda f: (f.columns, f.ref_table))),
            tuple(sorted(uniques[t], key=lambda u: u.columns)),
            tuple(sorted(checks[t], key=lambda c: c.expression)),
            excludes=tuple(excludes[t]),
            row_security=rls,
            force_row_security=forced,
            partition_by=partkey,
        )
        for t, rls, forced, partkey in table_rows
    )
    views = tuple(
        View(n, normalize_view(d or ""), bool(m), tuple(sorted(opts)), tuple(indexes[n]) if m else (), owner)
        for n, d, m, opts, owner in rows(Q_VIEWS)
    )
    enums = tuple(EnumType(n, tuple(labels)) for n, labels in rows(Q_ENUMS))
    sequences = tuple(
        Sequence(n, normalize_type(typ), int(start), int(inc), owned)
        for n, typ, start, inc, owned in rows(Q_SEQUENCES)
    )
    triggers = tuple(Trigger(n, t, d) for n, t, d in rows(Q_TRIGGERS))
    comments = tuple(Comment(t, c, text) for t, c, text in rows(Q_COMMENTS))
    extensions = tuple(Extension(n, s) for n, s in conn.execute(Q_EXTENSIONS, p))
    # pg_get_functiondef names the function with its schema; main's schema has another name.
    qualified = re.compile(rf"^(CREATE OR REPLACE (?:FUNCTION|PROCEDURE) ){re.escape(_quote(ns_name))}\.")
    attributes: dict[str, list[Column]] = {}
    for tname, aname, atype, collation in rows(Q_COMPOSITES):
        attrs = attributes.setdefault(tname, [])
        if aname is not None:
            attrs.append(Column(aname, normalize_type(atype), atype, collation=collation))
    composites = tuple(CompositeType(n, tuple(a)) for n, a in attributes.items())
    functions = tuple(
        Function(n, args, qualified.sub(r"\1", definition, count=1), result, params, bool(proc))
        for n, args, definition, result, params, proc in rows(Q_FUNCTIONS)
    )
    domains = tuple(
        Domain(
            n,
            base,
            not notnull,
            normalize_default(default),
            default,
            tuple(
                sorted(
                    (CheckConstraint(normalize_check(d), c) for c, d in zip(names, defs, strict=True)),
                    key=lambda c: c.expression,
                )
            ),
            collation,
        )
        for n, base, notnull, default, collation, names, defs in rows(Q_DOMAINS)
    )
    # libpq has the server's version from the connection's start: no query.
    meta = {"server_version_num": str(conn.info.server_version)}
    counts = conn.execute(Q_NOT_COMPARED, p).fetchone() or ()
    meta["not_compared"] = ", ".join(
        f"{n} {k}" for k, n in zip(NOT_COMPARED_KINDS, counts, strict=False) if n
    )
    return Schema(
        "postgres",
        tables,
        views,
        enums,
        sequences,
        triggers,
        name=ns_name,
        meta=meta,
        comments=comments,
        extensions=extensions,
        domains=domains,
        functions=functions,
        composites=composites,
        namespaces=tuple(n for _, n in others),
        partitions=tuple(Partition(*row) for row in rows(Q_PARTITIONS)),
        dependencies=tuple(Dependency(*row) for row in rows(Q_DEPENDENCIES)),
        grants=tuple(
            Grant(o, g, tuple(privs), "SEQUENCE" if seq else "TABLE") for o, g, privs, seq in rows(Q_GRANTS)
        ),
        policies=tuple(
            Policy(n, t, cmd, bool(perm), tuple(sorted(roles)), qual, check)
            for n, t, cmd, perm, roles, qual, check in rows(
                Q_POLICIES, {"name": ns_name, "names": [ns_name, *(n for _, n in others)]}
            )
        ),
    )


def _quote(ident: str) -> str:
    """``ident`` as the server's ``quote_ident`` prints it (quoted unless plain lower-case)."""
    return ident if re.fullmatch(r"[a-z_][a-z0-9_$]*", ident) else '"' + ident.replace('"', '""') + '"'


def _unquote(ident: str) -> str:
    if len(ident) >= 2 and ident[0] == '"' and ident[-1] == '"':
        return ident[1:-1].replace('""', '"')
    return ident


def row_counts(url: str, tables: list[str]) -> dict[str, RowCount]:
    """``pg_class.reltuples`` estimates; an exact count only for tables never analysed."""
    import psycopg

    conn = connect(url)
    try:
        with conn.transaction():
            # A table of another schema is named schema.name, as the inspector names it.
            rows = conn.execute(
                "SELECT CASE WHEN c.relnamespace = current_schema()::regnamespace THEN c.relname::text "
                "ELSE n.nspname || '.' || c.relname END, c.reltuples::bigint, "
                "quote_ident(n.nspname) || '.' || quote_ident(c.relname) "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE (c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(%s)) "
                "OR n.nspname || '.' || c.relname = ANY(%s)",
                (list(tables), [t for t in tables if "." in t]),
            ).fetchall()
            out: dict[str, RowCount] = {}
            wanted = set(tables)
            for name, est, quoted in rows:
                if name not in wanted:
                    continue  # schema.name of the inspected schema's own table "schema.name"
                if est is not None and est >= 0:
                    out[name] = RowCount(int(est), estimated=True)
                else:
                    n = conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()
                    out[name] = RowCount(int(n[0]) if n else 0)
            return out
    except psycopg.Error as exc:
        raise DatabaseError(
            f"PostgreSQL row count failed: {str(exc).strip().splitlines()[0]}", url=url
        ) from exc
    finally:
        conn.close()
