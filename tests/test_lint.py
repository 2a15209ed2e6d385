"""Migration lint: each rule fires on the SQL it is about, on the line it is on, and stays quiet on
the safe spelling. Table-driven per dialect; plus the CLI over real files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from parity.plan.lint import RULES, lint_sql

PG_TIMEOUT = "SET lock_timeout = '3s'; SET statement_timeout = '60s';\n"

# (name, dialect, sql, expected (code, line) pairs)
CASES: list[tuple[str, str, str, list[tuple[str, int]]]] = [
    ("pg drop table", "postgres", PG_TIMEOUT + "DROP TABLE orders;", [("MIG001", 2)]),
    (
        "pg drop column",
        "postgres",
        PG_TIMEOUT + "ALTER TABLE orders DROP COLUMN legacy_note;",
        [("MIG002", 2)],
    ),
    (
        "pg not null no default",
        "postgres",
        PG_TIMEOUT + "ALTER TABLE orders ADD COLUMN region text NOT NULL;",
        [("MIG003", 2)],
    ),
    (
        "pg not null with default is fine",
        "postgres",
        PG_TIMEOUT + "ALTER TABLE orders ADD COLUMN region text NOT NULL DEFAULT 'eu';",
        [],
    ),
    (
        "pg index without concurrently",
        "postgres",
        PG_TIMEOUT + "CREATE INDEX i ON orders (status);",
        [("MIG004", 2)],
    ),
    (
        "pg index concurrently in a transaction",
        "postgres",
        PG_TIMEOUT + "CREATE INDEX CONCURRENTLY i ON orders (status);",
        [("MIG010", 2)],
    ),
    (
        "pg index concurrently outside a transaction is fine",
        "postgres",
        "-- parity:no-transaction\n"
        + PG_TIMEOUT
        + "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON orders (status);",
        [],
    ),
    (
        "pg index on a table created in the file is fine",
        "postgres",
        "CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);",
        [],
    ),
    (
        "pg foreign key without not valid",
        "postgres",
        PG_TIMEOUT
        + "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers (id);",
        [("MIG005", 2)],
    ),
    (
        "pg foreign key not valid then validate in the same transaction keeps the lock",
        "postgres",
        PG_TIMEOUT
        + "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;\n"
        + "ALTER TABLE orders VALIDATE CONSTRAINT fk;",
        [("MIG026", 3)],
    ),
    (
        "pg foreign key not valid, commit, then validate is fine",
        "postgres",
        "-- parity:no-transaction\n"
        + PG_TIMEOUT
        + "BEGIN;\nALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;\n"
        + "COMMIT;\nALTER TABLE orders VALIDATE CONSTRAINT fk;",
        [],
    ),
    (
        "pg check without not valid",
        "postgres",
        PG_TIMEOUT + "ALTER TABLE orders ADD CONSTRAINT c CHECK (total_cents >= 0);",
        [("MIG005", 2)],
    ),
    (
        "pg type change",
        "postgres",
        PG_TIMEOUT + "ALTER TABLE orders ALTER COLUMN total_cents TYPE bigint;",
        [("MIG006", 2)],
    ),
    (
        "pg rename column",
        "postgres",
        PG_TIMEOUT + "ALTER TABLE orders RENAME COLUMN legacy_note TO note;",
        [("MIG007", 2)],
    ),
    ("pg rename table", "postgres", PG_TIMEOUT + "ALTER TABLE orders RENAME TO purchases;", [("MIG007", 2)]),
    (
        "pg volatile default",
        "postgres",
        PG_TIMEOUT + "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();",
        [("MIG008", 2)],
    ),
    (
        "pg stable default is fine",
        "postgres",
        PG_TIMEOUT + "ALTER TABLE orders ADD COLUMN seen timestamptz DEFAULT now();",
        [],
    ),
    (
        "pg missing timeouts",
        "postgres",
        "ALTER TABLE orders ADD COLUMN note text;",
        [("MIG009", 1), ("MIG017", 1)],
    ),
    (
        "pg set not null",
        "postgres",
        PG_TIMEOUT + "ALTER TABLE orders ALTER COLUMN status SET NOT NULL;",
        [("MIG011", 2)],
    ),
    (
        "pg add unique",
        "postgres",
        PG_TIMEOUT + "ALTER TABLE customers ADD CONSTRAINT u UNIQUE (email);",
        [("MIG012", 2)],
    ),
    ("pg truncate", "postgres", PG_TIMEOUT + "TRUNCATE orders CASCADE;", [("MIG013", 2)]),
    (
        "pg explicit transaction",
        "postgres",
        "BEGIN;\nCREATE TABLE t (a int);\nCOMMIT;",
        [("MIG014", 1), ("MIG014", 3)],
    ),
    (
        "pg syntax error",
        "postgres",
        "CREATE TABLE t (a int);\nALTER TABLE orders ADD COLUMN;",
        [("MIG000", 2)],
    ),
    ("sqlite drop column", "sqlite", "ALTER TABLE orders DROP COLUMN legacy_note;", [("MIG002", 1)]),
    (
        "sqlite not null without default",
        "sqlite",
        "ALTER TABLE orders ADD COLUMN region TEXT NOT NULL;",
        [("MIG003", 1), ("MIG016", 1)],
    ),
    (
        "sqlite current_timestamp default",
        "sqlite",
        "ALTER TABLE orders ADD COLUMN seen TEXT DEFAULT CURRENT_TIMESTAMP;",
        [("MIG016", 1)],
    ),
    (
        "sqlite constant default is fine",
        "sqlite",
        "ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'new';",
        [],
    ),
    ("sqlite rename", "sqlite", "ALTER TABLE orders RENAME COLUMN legacy_note TO note;", [("MIG007", 1)]),
    (
        "sqlite 12-step rebuild is not a drop",
        "sqlite",
        "CREATE TABLE _new_orders (id INTEGER PRIMARY KEY, note TEXT);\n"
        "INSERT INTO _new_orders (id, note) SELECT id, legacy_note FROM orders;\n"
        "DROP TABLE orders;\n"
        "ALTER TABLE _new_orders RENAME TO orders;\n",
        [],
    ),
    ("sqlite a plain drop is still a drop", "sqlite", "SELECT 1;\nDROP TABLE orders;", [("MIG001", 2)]),
    (
        "sqlite trigger body semicolons do not split",
        "sqlite",
        "CREATE TRIGGER tr AFTER INSERT ON orders BEGIN UPDATE orders SET status = 'x'; DELETE FROM exports; END;\n"
        "DROP TABLE exports;",
        [("MIG001", 2)],
    ),
    ("mysql without algorithm", "mysql", "ALTER TABLE orders ADD COLUMN note TEXT;", [("MIG015", 1)]),
    (
        "mysql with algorithm is fine",
        "mysql",
        "ALTER TABLE orders ADD COLUMN note TEXT, ALGORITHM=INSTANT;",
        [],
    ),
    (
        "mysql modify column",
        "mysql",
        "ALTER TABLE orders MODIFY COLUMN total_cents BIGINT, ALGORITHM=INPLACE, LOCK=NONE;",
        [("MIG006", 1)],
    ),
    ("mysql create index", "mysql", "CREATE INDEX i ON orders (status);", [("MIG015", 1)]),
    (
        "mysql unique column",
        "mysql",
        "ALTER TABLE orders ADD COLUMN code INT UNIQUE, ALGORITHM=INPLACE, LOCK=NONE;",
        [("MIG012", 1)],
    ),
    ("mysql truncate", "mysql", "TRUNCATE TABLE orders;", [("MIG013", 1)]),
]


@pytest.mark.parametrize(("name", "dialect", "sql", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rule(name: str, dialect: str, sql: str, expected: list[tuple[str, int]]) -> None:
    found = [(f.code, f.line) for f in lint_sql(sql, dialect, file="m.sql")]
    assert sorted(found) == sorted(expected)


def test_every_rule_has_a_doc_line_a_fix_and_a_test_case() -> None:
    from tests.test_lint_conformance import FLAGGED

    exercised = {code for *_, expected in CASES for code, _ in expected} | {r for r, *_ in FLAGGED}
    for rule in RULES.values():
        assert rule.doc.endswith(".") and rule.fix
        assert rule.id in exercised, f"{rule.id} has no case"


def test_findings_carry_file_severity_and_fix() -> None:
    (f,) = lint_sql("ALTER TABLE orders DROP COLUMN x;", "sqlite", file="migrations/V0002__x.up.sql")
    assert f.file == "migrations/V0002__x.up.sql"
    assert f.severity.value == "error" and f.area == "lint"
    assert f.fix is not None and "expand" not in f.code


def test_cli_lints_files_and_exits_1_on_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sql"
    bad.write_text(
        "SET lock_timeout = '3s'; SET statement_timeout = '9s';\n\nALTER TABLE orders DROP COLUMN legacy_note;\n"
    )
    good = tmp_path / "good.sql"
    good.write_text(
        "SET lock_timeout = '3s'; SET statement_timeout = '9s';\nALTER TABLE orders ADD COLUMN note text;\n"
    )
    run = [sys.executable, "-m", "parity", "lint"]
    ok = subprocess.run([*run, str(good)], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    res = subprocess.run(
        [*run, str(bad), str(good), "-f", "json"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert res.returncode == 1
    import json

    findings = json.loads(res.stdout)["sections"][0]["findings"]
    assert [(f["code"], f["file"], f["line"]) for f in findings] == [("MIG002", "bad.sql", 3)]
    missing = subprocess.run(
        [*run, str(tmp_path / "nope.sql")], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "nope.sql" in missing.stderr
    rules = subprocess.run([*run, "--rules"], capture_output=True, text=True, timeout=60)
    assert rules.returncode == 0 and all(r in rules.stdout for r in RULES)


def test_cli_lints_a_sqlite_migration_on_its_folders_earlier_files(tmp_path: Path) -> None:
    import json

    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "V0001__tags.up.sql").write_text(
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);\n"
    )
    (migrations / "V0002__index.up.sql").write_text("CREATE INDEX tags_label ON tags (label);\n")
    (migrations / "V0003__drop.up.sql").write_text("ALTER TABLE tags DROP COLUMN label;\n")
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "parity",
            "lint",
            "-d",
            "sqlite",
            "-f",
            "json",
            "migrations/V0003__drop.up.sql",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert res.returncode == 1, res.stderr
    found = {f["code"]: f for f in json.loads(res.stdout)["sections"][0]["findings"]}
    assert found["MIG040"]["file"] == "migrations/V0003__drop.up.sql"
    assert "indexed by tags_label (V0002__index.up.sql)" in found["MIG040"]["message"]


def test_an_earlier_file_that_links_out_of_the_project_is_not_read(tmp_path: Path) -> None:
    from parity.plan.lint import lint_files

    outside = tmp_path / "outside.sql"
    outside.write_text("CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT UNIQUE);\n")
    project = tmp_path / "project"
    (project / "migrations").mkdir(parents=True)
    (project / "migrations" / "0001_tags.sql").symlink_to(outside)
    drop = project / "migrations" / "0002_drop.sql"
    drop.write_text("ALTER TABLE tags DROP COLUMN label;\n")
    found = lint_files([drop], "sqlite", project)
    assert [f.code for f in found] == ["MIG002"]  # the link is not followed: no MIG040 from it
    (project / "migrations" / "0001_tags.sql").unlink()
    (project / "migrations" / "0001_tags.sql").write_text(outside.read_text())
    assert "MIG040" in {f.code for f in lint_files([drop], "sqlite", project)}
