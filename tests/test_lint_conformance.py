"""Lint conformance: for every rule, statements it must flag and close look-alikes it must accept.

The shapes follow the statement families Squawk's rule tests cover (blocking DDL, destructive
changes, transactions, defaults, types and hygiene), written here from scratch. A flagged example
must raise its rule; an accepted one must raise neither that rule nor any error or warning (notes
from other rules are allowed). The summary test prints the rate the issue measures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from parity.model.findings import Finding, Severity
from parity.plan.lint import RULES, LintSettings, lint_files, lint_sql

T = "SET lock_timeout = '2s'; SET statement_timeout = '30s';\n"
NO_TX = "-- parity:no-transaction\n"

# (rule, dialect, sql, pg_version)
FLAGGED: list[tuple[str, str, str, int | None]] = [
    ("MIG000", "postgres", "ALTER TABLE orders ADD COLUMN;", None),
    ("MIG001", "postgres", T + "DROP TABLE IF EXISTS audit_log;", None),
    ("MIG001", "mysql", "DROP TABLE audit_log;", None),
    ("MIG002", "postgres", T + "ALTER TABLE orders DROP COLUMN IF EXISTS note;", None),
    ("MIG003", "postgres", T + "ALTER TABLE orders ADD COLUMN region text NOT NULL;", None),
    ("MIG004", "postgres", T + "CREATE UNIQUE INDEX orders_ref ON orders (ref);", None),
    ("MIG005", "postgres", T + "ALTER TABLE orders ADD CONSTRAINT positive CHECK (total >= 0);", None),
    ("MIG005", "postgres", T + "ALTER TABLE orders ADD COLUMN shop_id bigint REFERENCES shops (id);", None),
    ("MIG006", "postgres", T + "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2);", None),
    ("MIG007", "postgres", T + "ALTER TABLE orders RENAME COLUMN note TO comment;", None),
    ("MIG008", "postgres", T + "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();", None),
    ("MIG008", "postgres", T + "ALTER TABLE orders ADD COLUMN code text DEFAULT make_code();", None),
    ("MIG009", "postgres", "SET statement_timeout = '30s';\nALTER TABLE orders ADD COLUMN note text;", None),
    ("MIG009", "postgres", "CREATE TYPE mood AS ENUM ('ok');", None),
    ("MIG009", "postgres", "COMMENT ON TABLE orders IS 'customer orders';", None),
    ("MIG009", "postgres", "LOCK TABLE orders IN ACCESS EXCLUSIVE MODE;", None),
    ("MIG009", "postgres", NO_TX + "REINDEX INDEX CONCURRENTLY orders_ref;", None),
    ("MIG009", "postgres", NO_TX + "VACUUM orders;", None),
    ("MIG010", "postgres", T + "CREATE INDEX CONCURRENTLY orders_ref ON orders (ref);", None),
    ("MIG010", "postgres", T + "REINDEX TABLE CONCURRENTLY orders;", None),
    ("MIG010", "postgres", T + "ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY;", None),
    ("MIG010", "postgres", T + "ALTER TYPE mood ADD VALUE 'sad';", 11),
    ("MIG011", "postgres", T + "ALTER TABLE orders ALTER COLUMN ref SET NOT NULL;", None),
    (
        "MIG011",
        "postgres",
        T
        + "ALTER TABLE orders ADD CONSTRAINT ref_nn CHECK (ref IS NOT NULL) NOT VALID;\n"
        + "COMMIT;\nALTER TABLE orders VALIDATE CONSTRAINT ref_nn;\n"
        + "ALTER TABLE orders ALTER COLUMN status SET NOT NULL;",
        None,
    ),
    ("MIG012", "postgres", T + "ALTER TABLE users ADD CONSTRAINT users_email UNIQUE (email);", None),
    ("MIG013", "postgres", T + "TRUNCATE orders CASCADE;", None),
    ("MIG014", "postgres", T + "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;", None),
    ("MIG015", "mysql", "ALTER TABLE orders ADD COLUMN note TEXT;", None),
    ("MIG015", "mysql", "DROP INDEX orders_ref ON orders;", None),
    ("MIG016", "sqlite", "ALTER TABLE orders ADD COLUMN seen TEXT DEFAULT CURRENT_TIMESTAMP;", None),
    ("MIG017", "postgres", "SET lock_timeout = '2s';\nALTER TABLE orders ADD COLUMN note text;", None),
    ("MIG018", "postgres", T + "DROP INDEX orders_ref;", None),
    ("MIG018", "postgres", T + "DROP INDEX IF EXISTS public.orders_ref;", None),
    ("MIG019", "postgres", T + "REINDEX INDEX orders_ref;", None),
    ("MIG019", "postgres", T + "REINDEX TABLE orders;", None),
    ("MIG020", "postgres", T + "ALTER TABLE events DETACH PARTITION events_2020;", None),
    ("MIG021", "postgres", NO_TX + T + "VACUUM FULL orders;", None),
    ("MIG021", "postgres", T + "CLUSTER orders USING orders_pkey;", None),
    ("MIG022", "postgres", T + "ALTER DOMAIN positive_int ADD CONSTRAINT gt0 CHECK (VALUE > 0);", None),
    ("MIG022", "postgres", T + "CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);", None),
    ("MIG023", "postgres", "DROP DATABASE shop;", None),
    ("MIG023", "mysql", "DROP DATABASE shop;", None),
    ("MIG024", "postgres", T + "ALTER TABLE orders ALTER COLUMN ref DROP NOT NULL;", None),
    (
        "MIG025",
        "postgres",
        NO_TX + T + "BEGIN;\nALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;",
        None,
    ),
    (
        "MIG025",
        "postgres",
        NO_TX + T + "BEGIN;\nBEGIN;\nCREATE TABLE IF NOT EXISTS t (id bigint);\nCOMMIT;",
        None,
    ),
    ("MIG025", "postgres", NO_TX + T + "CREATE TABLE IF NOT EXISTS t (id bigint);\nCOMMIT;", None),
    ("MIG025", "mysql", NO_TX + "COMMIT;", None),
    (
        "MIG026",
        "postgres",
        T
        + "ALTER TABLE orders ADD CONSTRAINT positive CHECK (total >= 0) NOT VALID;\n"
        + "ALTER TABLE orders VALIDATE CONSTRAINT positive;",
        None,
    ),
    (
        "MIG027",
        "postgres",
        T + "ALTER TABLE orders ADD COLUMN double_total int GENERATED ALWAYS AS (total * 2) STORED;",
        None,
    ),
    (
        "MIG027",
        "postgres",
        T + "ALTER TABLE orders ADD COLUMN seq bigint GENERATED BY DEFAULT AS IDENTITY;",
        None,
    ),
    ("MIG028", "postgres", T + "ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';", 10),
    ("MIG029", "postgres", "UPDATE orders SET status = 'a', status = 'b' WHERE id = 1;", None),
    ("MIG030", "postgres", "CREATE TABLE t (id bigint, name varchar(40));", None),
    ("MIG031", "postgres", "CREATE TABLE t (id bigint, seen timestamp);", None),
    ("MIG032", "postgres", "CREATE TABLE t (id integer PRIMARY KEY);", None),
    ("MIG032", "postgres", "CREATE TABLE t (id bigint PRIMARY KEY, shop_id int);", None),
    ("MIG033", "postgres", "CREATE TABLE t (id bigserial PRIMARY KEY);", None),
    ("MIG034", "postgres", "CREATE TABLE t (id bigint, code char(3));", None),
    ("MIG035", "postgres", NO_TX + T + "CREATE INDEX CONCURRENTLY orders_ref ON orders (ref);", None),
    ("MIG035", "postgres", NO_TX + T + "ALTER TABLE orders ADD COLUMN note text;", None),
    ("MIG036", "postgres", "CREATE TABLE " + "t" * 64 + " (id bigint);", None),
    ("MIG037", "postgres", T + "ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok';", None),
    ("MIG038", "postgres", "CREATE TABLE shop.a (id bigint);\nCREATE TABLE b (id bigint);", None),
    # MySQL/MariaDB and SQLite families; tests/test_lint_families.py runs each on the real server.
    ("MIG006", "mysql", "ALTER TABLE orders MODIFY COLUMN qty BIGINT;", None),
    ("MIG006", "mysql", "ALTER TABLE orders CHANGE COLUMN ref reference VARCHAR(80);", None),
    (
        "MIG039",
        "mysql",
        "ALTER TABLE orders ADD CONSTRAINT orders_shop FOREIGN KEY (shop_id) REFERENCES shops (id);",
        None,
    ),
    ("MIG039", "mysql", "ALTER TABLE orders ADD CONSTRAINT positive CHECK (qty > 0);", None),
    ("MIG039", "mysql", "ALTER TABLE orders ADD FULLTEXT INDEX orders_note (note);", None),
    ("MIG039", "mysql", "CREATE FULLTEXT INDEX orders_note ON orders (note);", None),
    ("MIG039", "mysql", "ALTER TABLE orders ADD COLUMN double_qty INT AS (qty * 2) STORED;", None),
    ("MIG039", "mysql", "ALTER TABLE orders DROP PRIMARY KEY;", None),
    ("MIG039", "mysql", "ALTER TABLE orders CONVERT TO CHARACTER SET latin1;", None),
    ("MIG039", "mysql", "ALTER TABLE orders ADD COLUMN seen DATETIME, ALGORITHM=COPY;", None),
    ("MIG039", "mysql", "ALTER TABLE orders ADD COLUMN seen DATETIME, LOCK=SHARED;", None),
    ("MIG041", "mysql", "ALTER TABLE orders ADD COLUMN note2 TEXT AFTER qty;", None),
    ("MIG041", "mysql", "ALTER TABLE orders ADD COLUMN seq INT FIRST, ALGORITHM=INSTANT;", None),
    ("MIG007", "mysql", "ALTER TABLE orders CHANGE COLUMN note comment TEXT;", None),
    ("MIG007", "mysql", "RENAME TABLE orders TO purchases;", None),
    ("MIG040", "sqlite", "ALTER TABLE orders ALTER COLUMN qty TYPE BIGINT;", None),
    ("MIG040", "sqlite", "ALTER TABLE orders ADD CONSTRAINT positive CHECK (qty > 0);", None),
    ("MIG040", "sqlite", "ALTER TABLE orders DROP CONSTRAINT positive;", None),
    ("MIG040", "sqlite", "ALTER TABLE orders MODIFY qty BIGINT;", None),
    (
        "MIG040",
        "sqlite",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, slug TEXT UNIQUE, label TEXT);\n"
        "ALTER TABLE tags DROP COLUMN slug;",
        None,
    ),
    (
        "MIG040",
        "sqlite",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, slug TEXT, label TEXT);\n"
        "CREATE INDEX tags_label ON tags (label);\nALTER TABLE tags DROP COLUMN label;",
        None,
    ),
    # What else SQLite's DROP COLUMN refuses: a column another part of the schema uses.
    (
        "MIG040",
        "sqlite",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, shop_id INTEGER, label TEXT,"
        " FOREIGN KEY (shop_id) REFERENCES shops (id));\nALTER TABLE tags DROP COLUMN shop_id;",
        None,
    ),
    (
        "MIG040",
        "sqlite",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, lo INTEGER, hi INTEGER, CONSTRAINT span CHECK (lo < hi));\n"
        "ALTER TABLE tags DROP COLUMN lo;",
        None,
    ),
    (
        "MIG040",
        "sqlite",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, lo INTEGER, hi INTEGER CHECK (hi > lo));\n"
        "ALTER TABLE tags DROP COLUMN lo;",
        None,
    ),
    (
        "MIG040",
        "sqlite",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT, slug TEXT GENERATED ALWAYS AS (lower(label)));\n"
        "ALTER TABLE tags DROP COLUMN label;",
        None,
    ),
    (
        "MIG040",
        "sqlite",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT, hidden INTEGER);\n"
        "CREATE INDEX tags_shown ON tags (id) WHERE hidden = 0;\nALTER TABLE tags DROP COLUMN hidden;",
        None,
    ),
    (
        "MIG040",
        "sqlite",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT, CONSTRAINT tags_label UNIQUE (label));\n"
        "ALTER TABLE tags DROP COLUMN label;",
        None,
    ),
    (
        "MIG040",
        "sqlite",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);\n"
        "CREATE VIEW tag_labels AS SELECT t.id, label FROM tags AS t;\nALTER TABLE tags DROP COLUMN label;",
        None,
    ),
    (
        "MIG040",
        "sqlite",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);\n"
        "CREATE TABLE tag_uses (id INTEGER PRIMARY KEY, tag_id INTEGER, label TEXT, hidden INTEGER);\n"
        "CREATE VIEW used_tags AS SELECT label FROM tags AS t"
        " WHERE EXISTS (SELECT 1 FROM tag_uses AS u WHERE u.tag_id = t.id AND hidden = 0);\n"
        "ALTER TABLE tag_uses DROP COLUMN hidden;",
        None,
    ),
    (
        "MIG040",
        "sqlite",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);\nCREATE TABLE tag_log (label TEXT);\n"
        "CREATE TRIGGER tags_logged AFTER INSERT ON tags BEGIN INSERT INTO tag_log VALUES (new.label); END;\n"
        "ALTER TABLE tags DROP COLUMN label;",
        None,
    ),
    (
        "MIG016",
        "sqlite",
        "ALTER TABLE orders ADD COLUMN total REAL GENERATED ALWAYS AS (qty * 2) STORED;",
        None,
    ),
    (
        "MIG016",
        "sqlite",
        "ALTER TABLE orders ADD COLUMN shop2 INTEGER REFERENCES shops (id) DEFAULT 1;",
        None,
    ),
    ("MIG016", "sqlite", "ALTER TABLE orders ADD COLUMN flag INTEGER NOT NULL;", None),
]

# (rule it is close to, dialect, sql, pg_version)
ACCEPTED: list[tuple[str, str, str, int | None]] = [
    ("MIG001", "postgres", "CREATE TABLE IF NOT EXISTS t (id bigint);", None),
    ("MIG003", "postgres", T + "ALTER TABLE orders ADD COLUMN region text NOT NULL DEFAULT 'eu';", None),
    (
        "MIG003",
        "postgres",
        "CREATE TABLE t (id bigint NOT NULL);\nALTER TABLE t ADD COLUMN n text NOT NULL;",
        None,
    ),
    (
        "MIG004",
        "postgres",
        NO_TX + T + "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_ref ON orders (ref);",
        None,
    ),
    ("MIG004", "postgres", "CREATE TABLE t (id bigint);\nCREATE INDEX t_id ON t (id);", None),
    (
        "MIG005",
        "postgres",
        T + "ALTER TABLE orders ADD CONSTRAINT positive CHECK (total >= 0) NOT VALID;",
        None,
    ),
    ("MIG008", "postgres", T + "ALTER TABLE orders ADD COLUMN seen timestamptz DEFAULT now();", None),
    ("MIG008", "postgres", T + "ALTER TABLE orders ADD COLUMN tag text DEFAULT lower('A');", None),
    ("MIG009", "postgres", "CREATE TABLE t (id bigint);", None),
    (
        "MIG009",
        "postgres",
        "SET LOCAL lock_timeout = '2s';\nSET LOCAL statement_timeout = '9s';\nCOMMENT ON TABLE o IS 'x';",
        None,
    ),
    ("MIG010", "postgres", NO_TX + T + "REINDEX INDEX CONCURRENTLY orders_ref;", None),
    ("MIG010", "postgres", T + "ALTER TYPE mood ADD VALUE 'sad';", 12),
    (
        "MIG011",
        "postgres",
        NO_TX
        + T
        + "ALTER TABLE orders ADD CONSTRAINT ref_nn CHECK (ref IS NOT NULL) NOT VALID;\n"
        + "ALTER TABLE orders VALIDATE CONSTRAINT ref_nn;\n"
        + "ALTER TABLE orders ALTER COLUMN ref SET NOT NULL;",
        None,
    ),
    (
        "MIG012",
        "postgres",
        T + "ALTER TABLE users ADD CONSTRAINT users_email UNIQUE USING INDEX users_email_idx;",
        None,
    ),
    ("MIG013", "postgres", T + "TRUNCATE import_staging;", None),
    ("MIG013", "mysql", "TRUNCATE TABLE import_staging;", None),
    (
        "MIG014",
        "postgres",
        NO_TX + T + "BEGIN;\nALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;\nCOMMIT;",
        None,
    ),
    ("MIG015", "mysql", "ALTER TABLE orders ADD COLUMN note TEXT, ALGORITHM=INSTANT;", None),
    ("MIG017", "postgres", T + "ALTER TABLE orders ADD COLUMN note text;", None),
    ("MIG018", "postgres", NO_TX + T + "DROP INDEX CONCURRENTLY IF EXISTS orders_ref;", None),
    ("MIG018", "postgres", "CREATE TABLE t (id bigint);\nCREATE INDEX t_i ON t (id);\nDROP INDEX t_i;", None),
    ("MIG020", "postgres", NO_TX + T + "ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY;", None),
    ("MIG021", "postgres", NO_TX + T + "VACUUM (ANALYZE) orders;", None),
    ("MIG022", "postgres", T + "CREATE DOMAIN email AS text;", None),
    (
        "MIG022",
        "postgres",
        T + "ALTER DOMAIN email ADD CONSTRAINT at CHECK (VALUE LIKE '%@%') NOT VALID;",
        None,
    ),
    ("MIG023", "postgres", "CREATE DATABASE shop_copy;", None),
    ("MIG024", "postgres", T + "ALTER TABLE orders ALTER COLUMN ref SET DEFAULT 'x';", None),
    ("MIG025", "postgres", NO_TX + T + "BEGIN;\nCREATE TABLE IF NOT EXISTS t (id bigint);\nCOMMIT;", None),
    (
        "MIG026",
        "postgres",
        NO_TX
        + T
        + "BEGIN;\nALTER TABLE orders ADD CONSTRAINT positive CHECK (total >= 0) NOT VALID;\nCOMMIT;\n"
        + "BEGIN;\nALTER TABLE orders VALIDATE CONSTRAINT positive;\nCOMMIT;",
        None,
    ),
    (
        "MIG027",
        "postgres",
        "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY, d int GENERATED ALWAYS AS (id * 2) STORED NOT NULL);",
        None,
    ),
    ("MIG028", "postgres", T + "ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';", 11),
    ("MIG029", "postgres", "UPDATE orders SET status = 'a', note = 'b' WHERE id = 1;", None),
    ("MIG030", "postgres", "CREATE TABLE t (id bigint, name text, other varchar);", None),
    ("MIG031", "postgres", "CREATE TABLE t (id bigint, seen timestamptz);", None),
    ("MIG032", "postgres", "CREATE TABLE t (id bigint PRIMARY KEY, qty integer);", None),
    ("MIG033", "postgres", "CREATE TABLE t (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);", None),
    ("MIG035", "postgres", T + "ALTER TABLE orders ADD COLUMN note text;", None),
    ("MIG036", "postgres", "CREATE TABLE " + "t" * 63 + " (id bigint);", None),
    ("MIG037", "postgres", T + "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh';", None),
    ("MIG038", "postgres", "CREATE TABLE shop.a (id bigint);\nCREATE TABLE shop.b (id bigint);", None),
    ("MIG039", "mysql", "ALTER TABLE orders ADD COLUMN note2 TEXT, ALGORITHM=INSTANT;", None),
    (
        "MIG039",
        "mysql",
        "ALTER TABLE orders ADD INDEX orders_status (status), ALGORITHM=INPLACE, LOCK=NONE;",
        None,
    ),
    (
        "MIG039",
        "mysql",
        "ALTER TABLE orders ADD COLUMN half_qty INT AS (qty DIV 2) VIRTUAL, ALGORITHM=INSTANT;",
        None,
    ),
    (
        "MIG039",
        "mysql",
        "ALTER TABLE orders DROP PRIMARY KEY, ADD PRIMARY KEY (id, shop_id), ALGORITHM=INPLACE, LOCK=NONE;",
        None,
    ),
    (
        "MIG039",
        "mysql",
        "SET foreign_key_checks = 0;\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_shop FOREIGN KEY (shop_id) REFERENCES shops (id);",
        None,
    ),
    ("MIG039", "mysql", "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new';", None),
    ("MIG041", "mysql", "ALTER TABLE orders ADD COLUMN note2 TEXT, ALGORITHM=INSTANT;", None),
    (
        "MIG041",
        "mysql",
        "CREATE TABLE events (id BIGINT PRIMARY KEY, body TEXT);\n"
        "ALTER TABLE events ADD COLUMN kind VARCHAR(20) AFTER id;",
        None,
    ),
    ("MIG040", "sqlite", "ALTER TABLE orders ADD COLUMN flag INTEGER NOT NULL DEFAULT 0;", None),
    (
        "MIG040",
        "sqlite",
        "CREATE TABLE orders_new (id INTEGER PRIMARY KEY, qty BIGINT);\n"
        "INSERT INTO orders_new (id, qty) SELECT id, qty FROM orders;\n"
        "DROP TABLE orders;\nALTER TABLE orders_new RENAME TO orders;",
        None,
    ),
    # Look-alikes SQLite drops the column of: its own CHECK and inline REFERENCES go with it, a
    # view of * names no column, a trigger that names another column, an index dropped first.
    (
        "MIG040",
        "sqlite",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, qty INTEGER CHECK (qty > 0),"
        " shop_id INTEGER REFERENCES shops (id), label TEXT);\n"
        "-- parity:ignore-file MIG002 a column no code reads\n"
        "ALTER TABLE tags DROP COLUMN qty;\nALTER TABLE tags DROP COLUMN shop_id;",
        None,
    ),
    (
        "MIG040",
        "sqlite",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT, note TEXT);\nCREATE TABLE tag_log (id INTEGER);\n"
        "CREATE VIEW all_tags AS SELECT * FROM tags;\n"
        "CREATE TRIGGER tags_logged AFTER INSERT ON tags BEGIN INSERT INTO tag_log VALUES (new.id); END;\n"
        "CREATE INDEX tags_label ON tags (label);\nDROP INDEX tags_label;\n"
        "-- parity:ignore-file MIG002 columns no code reads\n"
        "ALTER TABLE tags DROP COLUMN label;\nALTER TABLE tags DROP COLUMN note;",
        None,
    ),
    (
        "MIG040",
        "sqlite",
        # The view names label of tags, not of tag_uses (which has one too).
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);\n"
        "CREATE TABLE tag_uses (id INTEGER PRIMARY KEY, tag_id INTEGER, label TEXT);\n"
        "CREATE VIEW used_tags AS SELECT label FROM tags AS t"
        " WHERE EXISTS (SELECT 1 FROM tag_uses AS u WHERE u.tag_id = t.id);\n"
        "-- parity:ignore-file MIG002 a column no code reads\n"
        "ALTER TABLE tag_uses DROP COLUMN label;",
        None,
    ),
    (
        "MIG016",
        "sqlite",
        "ALTER TABLE orders ADD COLUMN total REAL GENERATED ALWAYS AS (qty * 2) VIRTUAL;",
        None,
    ),
    ("MIG016", "sqlite", "ALTER TABLE orders ADD COLUMN shop2 INTEGER REFERENCES shops (id);", None),
]

#: Migrations folders: (rule, dialect, files in the folder, the file linted). The linted file is
#: judged on the schema the files named before it leave (``*.down.sql`` and later files not).
_TAGS = "CREATE TABLE tags (id INTEGER PRIMARY KEY, slug TEXT UNIQUE, label TEXT, note TEXT);\n"
FolderCase = tuple[str, str, dict[str, str], str]
FLAGGED_FOLDERS: list[FolderCase] = [
    (
        "MIG040",
        "sqlite",
        {
            "0001_tags.sql": _TAGS,
            "0002_label_index.sql": "CREATE INDEX tags_label ON tags (label);\n",
            "0003_drop_label.sql": "ALTER TABLE tags DROP COLUMN label;\n",
        },
        "0003_drop_label.sql",
    ),
    (
        "MIG040",
        "sqlite",
        {"0001_tags.sql": _TAGS, "0002_drop_slug.sql": "ALTER TABLE tags DROP COLUMN slug;\n"},
        "0002_drop_slug.sql",
    ),
    (
        "MIG040",
        "sqlite",
        {
            "0001_tags.sql": _TAGS,
            "0002_view.sql": "CREATE VIEW tag_notes AS SELECT id, note FROM tags;\n",
            "0003_rename.sql": "ALTER TABLE tags RENAME COLUMN note TO remark;\n",
            "0004_drop_remark.sql": "ALTER TABLE tags DROP COLUMN remark;\n",
        },
        "0004_drop_remark.sql",
    ),
]
ACCEPTED_FOLDERS: list[FolderCase] = [
    (
        "MIG040",
        "sqlite",
        {
            "0001_tags.sql": _TAGS,
            "0002_label_index.sql": "CREATE INDEX tags_label ON tags (label);\n",
            "0003_unindex.sql": "DROP INDEX tags_label;\n",
            "0004_drop_label.sql": "ALTER TABLE tags DROP COLUMN label;\n",
        },
        "0004_drop_label.sql",
    ),
    (
        "MIG040",
        "sqlite",
        {
            "0001_tags.sql": _TAGS,
            # A down file, and a file applied after the one linted, are not its schema.
            "0002_note_index.sql": "ALTER TABLE tags ADD COLUMN seen TEXT;\n",
            "0002_note_index.down.sql": "CREATE INDEX tags_note ON tags (note);\n",
            "0003_drop_note.sql": "ALTER TABLE tags DROP COLUMN note;\n",
            "0004_index_label.sql": "CREATE INDEX tags_label ON tags (label);\n",
        },
        "0003_drop_note.sql",
    ),
    (
        "MIG040",
        "sqlite",
        {
            "0001_tags.sql": _TAGS,
            # The 12-step rebuild drops the UNIQUE: the new table takes the old one's name.
            "0002_rebuild.sql": "CREATE TABLE tags_new (id INTEGER PRIMARY KEY, slug TEXT, label TEXT, note TEXT);\n"
            "INSERT INTO tags_new SELECT id, slug, label, note FROM tags;\n"
            "DROP TABLE tags;\nALTER TABLE tags_new RENAME TO tags;\n",
            "0003_drop_slug.sql": "ALTER TABLE tags DROP COLUMN slug;\n",
        },
        "0003_drop_slug.sql",
    ),
]


def lint_folder(tmp_path: Path, files: dict[str, str], linted: str, dialect: str) -> list[Finding]:
    for name, sql in files.items():
        (tmp_path / name).write_text(sql, encoding="utf-8")
    return list(lint_files([tmp_path / linted], dialect, tmp_path))


@pytest.mark.parametrize(("rule", "dialect", "files", "linted"), FLAGGED_FOLDERS)
def test_flagged_in_a_folder(
    tmp_path: Path, rule: str, dialect: str, files: dict[str, str], linted: str
) -> None:
    found = lint_folder(tmp_path, files, linted, dialect)
    assert rule in {f.code for f in found}
    # Alone, the file does not show it: the finding comes from the folder's earlier files.
    assert rule not in {f.code for f in lint_sql(files[linted], dialect)}


@pytest.mark.parametrize(("rule", "dialect", "files", "linted"), ACCEPTED_FOLDERS)
def test_accepted_in_a_folder(
    tmp_path: Path, rule: str, dialect: str, files: dict[str, str], linted: str
) -> None:
    found = lint_folder(tmp_path, files, linted, dialect)
    assert not [f for f in found if f.code == rule], found


@pytest.mark.parametrize(
    ("rule", "dialect", "sql", "pg"), FLAGGED, ids=[f"{c[0]}-{i}" for i, c in enumerate(FLAGGED)]
)
def test_flagged(rule: str, dialect: str, sql: str, pg: int | None) -> None:
    assert rule in {f.code for f in lint_sql(sql, dialect, settings=LintSettings(pg_version=pg))}


@pytest.mark.parametrize(
    ("rule", "dialect", "sql", "pg"), ACCEPTED, ids=[f"{c[0]}-{i}" for i, c in enumerate(ACCEPTED)]
)
def test_accepted(rule: str, dialect: str, sql: str, pg: int | None) -> None:
    found = lint_sql(sql, dialect, settings=LintSettings(pg_version=pg))
    # A milder form of a rule may remain as a note (plain TRUNCATE), never as an alarm.
    assert not [f for f in found if f.code == rule and f.severity is RULES[rule].severity], found
    assert not [f for f in found if f.severity is not Severity.INFO], found


def test_every_rule_has_flagged_and_accepted_examples() -> None:
    flagged = {r for r, *_ in FLAGGED}
    assert set(RULES) <= flagged, sorted(set(RULES) - flagged)
    accepted = {r for r, *_ in ACCEPTED}
    # A syntax error, a drop and a SQLite-refused ADD COLUMN have no close look-alike worth a case.
    assert set(RULES) - accepted <= {"MIG000", "MIG002", "MIG006", "MIG007", "MIG016", "MIG019", "MIG034"}


def test_settings_change_severity_and_turn_rules_off() -> None:
    sql = "CREATE TABLE t (id integer PRIMARY KEY, seen timestamp);"
    loud = LintSettings.from_lists(error=["prefer-bigint-key"], ignore=["MIG031"])
    codes = {(f.code, f.severity) for f in lint_sql(sql, "postgres", settings=loud)}
    assert ("MIG032", Severity.ERROR) in codes and not any(c == "MIG031" for c, _ in codes)
    with pytest.raises(Exception, match="unknown lint rule 'MIG999'"):
        LintSettings.from_lists(warn=["MIG999"])


def test_inline_suppression_covers_the_next_statement_only() -> None:
    sql = (
        T
        + "-- parity:ignore MIG004 the table holds 40 rows\n"
        + "CREATE INDEX a ON orders (a);\n"
        + "CREATE INDEX b ON orders (b);\n"
    )
    lines = [(f.code, f.line) for f in lint_sql(sql, "postgres")]
    assert lines == [("MIG004", 4)]
    whole = "-- parity:ignore-file MIG030, MIG031\nCREATE TABLE t (id bigint, a varchar(9), b timestamp);"
    assert lint_sql(whole, "postgres") == ()


def test_cli_reads_lint_settings_from_parity_toml_and_pg_version(tmp_path: Path) -> None:
    (tmp_path / "parity.toml").write_text(
        '[lint]\nignore = ["MIG009", "missing-statement-timeout"]\nwarn = ["MIG013"]\n'
    )
    sql = tmp_path / "m.sql"
    sql.write_text("ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';\nTRUNCATE orders;\n")
    run = [sys.executable, "-m", "parity", "lint", "m.sql", "-f", "json"]

    def codes(*extra: str) -> list[tuple[str, str]]:
        res = subprocess.run([*run, *extra], capture_output=True, text=True, cwd=tmp_path, timeout=60)
        assert res.returncode in (0, 1), res.stderr
        return [(f["code"], f["severity"]) for f in json.loads(res.stdout)["sections"][0]["findings"]]

    assert codes() == [("MIG013", "warning")]
    assert ("MIG028", "warning") in codes("--pg-version", "10")
    (tmp_path / "parity.toml").write_text('[lint]\nignore = ["MIG999"]\n')
    bad = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert bad.returncode == 2 and "unknown lint rule 'MIG999'" in bad.stderr
