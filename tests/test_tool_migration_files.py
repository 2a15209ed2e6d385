"""``parity migrate new`` in a project migrated by Flyway, golang-migrate, goose or dbmate writes
that tool's next migration, in its folder, named and numbered as the folder already is — never
parity's ``V000N__x.up.sql`` files nor its history table. Each folder is shaped like a real project
of the tool (Spring Boot's ``src/main/resources/db/migration``, golang-migrate's
``migrations/000001_x.up.sql`` pairs, goose's and dbmate's ``db/migrations``), its history table
says every migration there ran, and the database lacks what the declared schema adds.

The new file is read back by parity's own detection (it must be the one pending migration) and its
up and down parts are run on the real database the way the tool sends them."""

from __future__ import annotations

import re
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.helpers import run_cli

from parity import dialects
from parity.migrate.sql_tool_files import Numbering, next_versions, numbering
from parity.project import discover
from parity.schema.listed_tools import find_listed_tool
from parity.schema.service import tool_status

BASE = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\nCREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER);\n"
DECLARED = (
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT);\n"
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER);\n"
    "CREATE INDEX ix_orders_user_id ON orders (user_id);\n"
)
USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);"
ORDERS = "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER);"
FLYWAY_HISTORY = (
    "CREATE TABLE flyway_schema_history (installed_rank INT PRIMARY KEY, version VARCHAR(50), description "
    "VARCHAR(200), type VARCHAR(20), script VARCHAR(1000), checksum INT, installed_by VARCHAR(100), "
    "installed_on TEXT, execution_time INT, success BOOLEAN)"
)
GOOSE_HISTORY = "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY, version_id BIGINT, is_applied BOOLEAN, tstamp TEXT)"

# label, files of the checkout, history DDL, history rows, the new migration's file names (regexes)
CASES = [
    (
        "Flyway",
        {
            "src/main/resources/db/migration/V1__create_users.sql": USERS,
            "src/main/resources/db/migration/V2__create_orders.sql": ORDERS,
        },
        FLYWAY_HISTORY,
        [
            "INSERT INTO flyway_schema_history VALUES (1, '1', 'create users', 'SQL', 'V1__create_users.sql', 1, 'sa', '', 1, 1)",
            "INSERT INTO flyway_schema_history VALUES (2, '2', 'create orders', 'SQL', 'V2__create_orders.sql', 1, 'sa', '', 1, 1)",
        ],
        [r"V3__add_email\.sql", r"U3__add_email\.sql"],
    ),
    (
        "Flyway",  # zero-padded versions keep their width
        {"db/migration/V001__create_users.sql": USERS, "db/migration/V002__create_orders.sql": ORDERS},
        FLYWAY_HISTORY,
        [
            "INSERT INTO flyway_schema_history (installed_rank, version, success) VALUES (1, '001', 1)",
            "INSERT INTO flyway_schema_history (installed_rank, version, success) VALUES (2, '002', 1)",
        ],
        [r"V003__add_email\.sql", r"U003__add_email\.sql"],
    ),
    (
        "golang-migrate",
        {
            "migrations/000001_create_users.up.sql": USERS,
            "migrations/000001_create_users.down.sql": "DROP TABLE users;",
            "migrations/000002_create_orders.up.sql": ORDERS,
            "migrations/000002_create_orders.down.sql": "DROP TABLE orders;",
        },
        "CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL)",
        ["INSERT INTO schema_migrations VALUES (2, 0)"],
        [r"000003_add_email\.up\.sql", r"000003_add_email\.down\.sql"],
    ),
    (
        "golang-migrate",  # `migrate create -ext sql` without -seq: timestamps
        {
            "db/migrations/20240105093000_create_users.up.sql": USERS,
            "db/migrations/20240105093000_create_users.down.sql": "DROP TABLE users;",
            "db/migrations/20240302110000_create_orders.up.sql": ORDERS,
            "db/migrations/20240302110000_create_orders.down.sql": "DROP TABLE orders;",
        },
        "CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL)",
        ["INSERT INTO schema_migrations VALUES (20240302110000, 0)"],
        [r"(\d{14})_add_email\.up\.sql", r"(\d{14})_add_email\.down\.sql"],
    ),
    (
        "goose",  # `goose create -s`: sequential, five digits
        {
            "db/migrations/00001_create_users.sql": f"-- +goose Up\n{USERS}\n\n-- +goose Down\nDROP TABLE users;\n",
            "db/migrations/00002_create_orders.sql": f"-- +goose Up\n{ORDERS}\n\n-- +goose Down\nDROP TABLE orders;\n",
        },
        GOOSE_HISTORY,
        [
            "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1)",
            "INSERT INTO goose_db_version (version_id, is_applied) VALUES (1, 1)",
            "INSERT INTO goose_db_version (version_id, is_applied) VALUES (2, 1)",
        ],
        [r"00003_add_email\.sql"],
    ),
    (
        "goose",  # `goose create`: timestamps
        {
            "sql/schema/20231201120000_create_users.sql": f"-- +goose Up\n{USERS}\n-- +goose Down\nDROP TABLE users;\n",
            "sql/schema/20231215120000_create_orders.sql": f"-- +goose Up\n{ORDERS}\n-- +goose Down\nDROP TABLE orders;\n",
        },
        GOOSE_HISTORY,
        [
            "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1)",
            "INSERT INTO goose_db_version (version_id, is_applied) VALUES (20231201120000, 1)",
            "INSERT INTO goose_db_version (version_id, is_applied) VALUES (20231215120000, 1)",
        ],
        [r"(\d{14})_add_email\.sql"],
    ),
    (
        "dbmate",
        {
            "db/migrations/20230901080000_create_users.sql": f"-- migrate:up\n{USERS}\n\n-- migrate:down\nDROP TABLE users;\n",
            "db/migrations/20230902080000_create_orders.sql": f"-- migrate:up\n{ORDERS}\n\n-- migrate:down\nDROP TABLE orders;\n",
        },
        "CREATE TABLE schema_migrations (version VARCHAR(128) PRIMARY KEY)",
        [
            "INSERT INTO schema_migrations VALUES ('20230901080000')",
            "INSERT INTO schema_migrations VALUES ('20230902080000')",
        ],
        [r"(\d{14})_add_email\.sql"],
    ),
]


def _project(root: Path, files: dict[str, str], db: Path, history: str, rows: list[str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    (root / "db").mkdir(exist_ok=True)
    (root / "db" / "schema.sql").write_text(DECLARED)
    (root / ".env.example").write_text("DATABASE_URL=\n")
    (root / ".env.production").write_text(f"DATABASE_URL=sqlite:///{db}\n")
    conn = sqlite3.connect(db)
    conn.executescript(BASE + history + ";\n" + ";\n".join(rows) + ";\n")
    conn.execute("INSERT INTO users (name) VALUES ('ann')")
    conn.commit()
    conn.close()


def _parts(tool: str, files: dict[str, str]) -> tuple[str, str]:
    """The up and down SQL of the new migration, as the tool would cut them out of its files."""
    if tool == "Flyway":
        return next(t for n, t in files.items() if n.startswith("V")), next(
            t for n, t in files.items() if n.startswith("U")
        )
    if tool == "golang-migrate":
        return next(t for n, t in files.items() if n.endswith(".up.sql")), next(
            t for n, t in files.items() if n.endswith(".down.sql")
        )
    (text,) = files.values()
    marker = "-- +goose Down" if tool == "goose" else "-- migrate:down"
    up, down = text.split(marker)
    return up, down


def _columns(db: Path, table: str) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("tool", "files", "history", "rows", "expected"),
    CASES,
    ids=[
        "flyway",
        "flyway-padded",
        "golang-seq",
        "golang-timestamp",
        "goose-seq",
        "goose-timestamp",
        "dbmate",
    ],
)
def test_migrate_new_writes_the_tools_next_migration(
    tmp_path: Path, tool: str, files: dict[str, str], history: str, rows: list[str], expected: list[str]
) -> None:
    root = tmp_path / "app"
    db = tmp_path / "prod.db"
    _project(root, files, db, history, rows)
    found = find_listed_tool(root)
    assert found is not None and found.tool == tool
    before_files = {p for p in root.rglob("*") if p.is_file()}
    before_db = db.read_bytes()
    highest = max(int(re.match(r"V?(\d+)", Path(f).name).group(1)) for f in files)  # type: ignore[union-attr]

    proc = run_cli("migrate", "new", "add_email", str(root), "--env", "production")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    added = {p for p in root.rglob("*") if p.is_file() and ".parity" not in p.parts} - before_files
    new = {p.relative_to(found.folder).as_posix(): p.read_text() for p in added}
    assert len(new) == len(expected), sorted(new)
    versions = set()
    for pattern in expected:
        (name,) = [n for n in new if re.fullmatch(pattern, n)]
        m = re.fullmatch(pattern, name)
        assert m is not None
        if m.groups():
            versions.add(m.group(1))
    if versions:  # a timestamped folder: one current UTC stamp, after every version there
        (stamp,) = versions
        assert int(stamp) > highest
        assert (
            abs(datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC) - datetime.now(UTC)).seconds
            < 600
        )
    assert f"wrote {tool} migration" in proc.stdout
    # Nothing of parity's own: no V000N pair, no parity.sum, no history table, the database untouched.
    assert not [p for p in root.rglob("*") if re.fullmatch(r"V\d{4}__.*\.(up|down)\.sql", p.name)]
    assert not list(root.rglob("parity.sum"))
    assert db.read_bytes() == before_db

    # parity's own detection reads it back: the one migration the database has not run.
    url = f"sqlite:///{db}"
    d = dialects.get(url)
    status = tool_status(discover(root), d.name, url, d.inspect(url))
    assert status is not None and status.tool == tool
    assert [r.file.name for r in status.pending] == [
        n for n in new if not n.startswith("U") and not n.endswith((".down.sql", ".conf"))
    ]

    # Its up part brings the database to the declared schema, its down part back.
    up, down = _parts(tool, new)
    if tool == "goose":
        assert up.lstrip().startswith("-- +goose Up") and "StatementBegin" not in up
    if tool == "dbmate":
        assert up.lstrip().startswith("-- migrate:up")
    assert "ADD COLUMN email" in up and "CREATE INDEX ix_orders_user_id" in up
    run = tmp_path / "run.db"
    shutil.copy(db, run)
    conn = sqlite3.connect(run)
    conn.executescript(up)
    conn.close()
    assert _columns(run, "users") == ["id", "name", "email"]
    conn = sqlite3.connect(run)
    assert conn.execute("SELECT name FROM users").fetchall() == [("ann",)]
    conn.executescript(down)
    indexes = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    conn.close()
    assert _columns(run, "users") == ["id", "name"] and ("ix_orders_user_id",) not in indexes
    assert "parity_schema_history" not in {t.name for t in d.inspect(url).tables}


def test_migrate_new_refuses_while_the_tools_migrations_are_pending(tmp_path: Path) -> None:
    _label, files, history, _rows, _ = CASES[2]
    root = tmp_path / "app"
    db = tmp_path / "prod.db"
    _project(root, files, db, history, ["INSERT INTO schema_migrations VALUES (1, 0)"])
    before = sorted(p.name for p in (root / "migrations").iterdir())
    proc = run_cli("migrate", "new", "add_email", str(root), "--env", "production")
    assert proc.returncode != 0
    assert "1 golang-migrate migration(s) are not applied" in proc.stdout + proc.stderr
    assert sorted(p.name for p in (root / "migrations").iterdir()) == before


def test_migrate_new_refuses_a_database_the_tool_has_never_run_on(tmp_path: Path) -> None:
    _label, files, _history, _rows, _ = CASES[6]
    root = tmp_path / "app"
    db = tmp_path / "prod.db"
    _project(root, files, db, "CREATE TABLE unrelated (id INT)", [])
    proc = run_cli("migrate", "new", "add_email", str(root), "--env", "production")
    assert proc.returncode != 0
    assert "the target has no schema_migrations" in proc.stdout + proc.stderr
    assert len(list((root / "db" / "migrations").iterdir())) == 2


def test_numbering_follows_the_folder() -> None:
    now = datetime(2026, 12, 4, 18, 30, 5, tzinfo=UTC)
    # A sequence keeps its width, and grows past it rather than wrap.
    assert next_versions(Numbering("sequence", 4, 9), 2, now) == ["0010", "0011"]
    assert next_versions(Numbering("sequence", 0, 9), 1, now) == ["10"]
    assert next_versions(Numbering("sequence", 2, 99), 1, now) == ["100"]
    # Timestamps: now, one second apart; after the highest when the clock is behind the folder.
    assert next_versions(Numbering("timestamp", 14, 20240101000000), 2, now) == [
        "20261204183005",
        "20261204183006",
    ]
    assert next_versions(Numbering("timestamp", 14, 20270101000000), 1, now) == ["20270101000001"]
    assert next_versions(Numbering("epoch", 10, 1_700_000_000), 1, now) == [str(int(now.timestamp()))]


def test_numbering_is_read_from_file_names(tmp_path: Path) -> None:
    for rel in ("m/1_a.up.sql", "m/1_a.down.sql", "m/2_b.up.sql", "m/2_b.down.sql"):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_text("SELECT 1;")
    tool = find_listed_tool(tmp_path)
    assert tool is not None and numbering(tool) == Numbering("sequence", 0, 2)
    for rel in ("e/1700000000_a.up.sql", "e/1700000000_a.down.sql"):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_text("SELECT 1;")
    shutil.rmtree(tmp_path / "m")
    tool = find_listed_tool(tmp_path)
    assert tool is not None and numbering(tool) == Numbering("epoch", 10, 1_700_000_000)


PG_DECLARED = (
    "CREATE TABLE users (id SERIAL PRIMARY KEY, name TEXT, email TEXT);\n"
    "CREATE TABLE orders (id SERIAL PRIMARY KEY, user_id INTEGER);\n"
    "CREATE INDEX ix_orders_user_id ON orders (user_id);\n"
)
PG_HISTORY = {
    "Flyway": "CREATE TABLE flyway_schema_history (installed_rank INT PRIMARY KEY, version VARCHAR(50), "
    "success BOOLEAN); INSERT INTO flyway_schema_history VALUES (1, '1', true), (2, '2', true)",
    "golang-migrate": "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, dirty BOOLEAN NOT NULL); "
    "INSERT INTO schema_migrations VALUES (2, false)",
    "goose": "CREATE TABLE goose_db_version (id SERIAL PRIMARY KEY, version_id BIGINT, is_applied BOOLEAN); "
    "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true), (2, true)",
    "dbmate": "CREATE TABLE schema_migrations (version VARCHAR(128) PRIMARY KEY); "
    "INSERT INTO schema_migrations VALUES ('20230901080000'), ('20230902080000')",
}


def _statements(sql: str) -> list[str]:
    return [
        s.strip()
        for s in sql.split(";\n")
        if s.strip() and not all(line.startswith("--") for line in s.strip().splitlines())
    ]


def _run_as_the_tool(conn: object, tool: str, text: str, tx: bool) -> None:
    """Send one migration's part to PostgreSQL the way ``tool`` does: golang-migrate and dbmate
    as one string (dbmate inside BEGIN/COMMIT unless transaction:false), goose and Flyway statement
    by statement, in a transaction unless told otherwise."""
    execute = conn.execute  # type: ignore[attr-defined]
    if tool == "golang-migrate":
        execute(text)
    elif tool == "dbmate":
        execute(f"BEGIN;\n{text}\nCOMMIT;" if tx else text)
    else:
        if tx:
            execute("BEGIN")
        for s in _statements(text):
            execute(s)
        if tx:
            execute("COMMIT")


@pytest.mark.postgres
@pytest.mark.parametrize("case", [0, 2, 4, 6], ids=["flyway", "golang-migrate", "goose", "dbmate"])
def test_postgres_steps_outside_a_transaction_follow_each_tools_rules(
    tmp_path: Path, pg_url: str, case: int
) -> None:
    import psycopg

    tool, files, _history, _rows, _expected = CASES[case]
    root = tmp_path / "app"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "db").mkdir(exist_ok=True)
    (root / "db" / "schema.sql").write_text(PG_DECLARED)
    (root / ".env.example").write_text("DATABASE_URL=\n")
    (root / ".env.production").write_text(f"DATABASE_URL={pg_url}\n")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE users (id SERIAL PRIMARY KEY, name TEXT); "
            "CREATE TABLE orders (id SERIAL PRIMARY KEY, user_id INTEGER); " + PG_HISTORY[tool]
        )
        conn.execute("INSERT INTO users (name) VALUES ('ann'); INSERT INTO orders (user_id) VALUES (1)")
    folder = find_listed_tool(root)
    assert folder is not None
    before = {p.name for p in folder.folder.iterdir()}

    proc = run_cli("migrate", "new", "add_email", str(root), "--env", "production")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    new = {p.name: p.read_text() for p in folder.folder.iterdir() if p.name not in before}
    # Parts in the order the tool runs them: (up, down, transactional) per migration.
    parts: list[tuple[str, str, bool]] = []
    if tool == "Flyway":
        assert set(new) == {
            "V3__add_email.sql",
            "U3__add_email.sql",
            "V4__add_email_online.sql",
            "U4__add_email_online.sql",
            "V4__add_email_online.sql.conf",
            "U4__add_email_online.sql.conf",
        }
        assert "executeInTransaction=false" in new["V4__add_email_online.sql.conf"]
        assert "SET " not in new["V4__add_email_online.sql"]  # Flyway would call it mixed
        parts = [
            (new["V3__add_email.sql"], new["U3__add_email.sql"], True),
            (new["V4__add_email_online.sql"], new["U4__add_email_online.sql"], False),
        ]
    elif tool == "golang-migrate":
        assert set(new) == {
            "000003_add_email.up.sql",
            "000003_add_email.down.sql",
            "000004_add_email_online.up.sql",
            "000004_add_email_online.down.sql",
        }
        assert (
            "BEGIN;" in new["000003_add_email.up.sql"]
            and "SET LOCAL lock_timeout" in new["000003_add_email.up.sql"]
        )
        assert len(_statements(new["000004_add_email_online.up.sql"])) == 1  # CONCURRENTLY alone
        parts = [
            (new["000003_add_email.up.sql"], new["000003_add_email.down.sql"], True),
            (new["000004_add_email_online.up.sql"], new["000004_add_email_online.down.sql"], False),
        ]
    elif tool == "goose":
        assert set(new) == {"00003_add_email.sql", "00004_add_email_online.sql"}
        online = new["00004_add_email_online.sql"]
        assert online.startswith("-- +goose NO TRANSACTION\n-- +goose Up")
        assert "SET lock_timeout" in online and "RESET lock_timeout" in online
        for name, tx in (("00003_add_email.sql", True), ("00004_add_email_online.sql", False)):
            up, down = new[name].split("-- +goose Down")
            parts.append((up, down, tx))
    else:
        tx_file, online_file = sorted(new)
        assert re.fullmatch(r"\d{14}_add_email\.sql", tx_file)
        assert re.fullmatch(r"\d{14}_add_email_online\.sql", online_file) and online_file > tx_file
        assert new[online_file].startswith("-- migrate:up transaction:false")
        for name, tx in ((tx_file, True), (online_file, False)):
            up, down = new[name].split("-- migrate:down" + ("" if tx else " transaction:false"))
            parts.append((up, down, tx))
    assert "CREATE INDEX CONCURRENTLY" in parts[1][0]

    # parity's detection reads them back as the pending ones, in order.
    d = dialects.get(pg_url)
    status = tool_status(discover(root), d.name, pg_url, d.inspect(pg_url))
    assert status is not None and len(status.pending) == 2

    def state() -> tuple[list[str], list[str], list[tuple[object, ...]]]:
        with psycopg.connect(pg_url, autocommit=True) as c:
            cols = [
                r[0]
                for r in c.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY ordinal_position"
                )
            ]
            idx = [
                r[0]
                for r in c.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'orders' ORDER BY 1")
            ]
            rows = c.execute(
                "SELECT u.id, u.name, o.id FROM users u JOIN orders o ON o.user_id = u.id"
            ).fetchall()
        return cols, idx, rows

    before_state = state()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for up, _down, tx in parts:
            _run_as_the_tool(conn, tool, up, tx)
    cols, idx, rows = state()
    assert cols == ["id", "name", "email"] and "ix_orders_user_id" in idx and rows == before_state[2]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for _up, down, tx in reversed(parts):
            _run_as_the_tool(conn, tool, down, tx)
        assert conn.execute("SHOW lock_timeout").fetchone() == ("0",)  # nothing left set on the session
    assert state() == before_state


def test_migrate_up_and_apply_leave_another_tools_migrations_to_it(tmp_path: Path) -> None:
    """parity does not drive Flyway's CLI, and runs no file of its own beside Flyway's: the dry
    run names the pending one, --yes refuses, apply writes nothing and fails on what is left."""
    _label, files, history, rows, _ = CASES[0]
    root = tmp_path / "app"
    db = tmp_path / "prod.db"
    _project(root, files, db, history, rows[:1])
    before_files = {p for p in root.rglob("*") if p.is_file() and ".parity" not in p.parts}
    before_db = db.read_bytes()
    dry = run_cli("migrate", "up", str(root), "--env", "production")
    assert (
        dry.returncode == 0
        and "pending: 2 (src/main/resources/db/migration/V2__create_orders.sql)" in dry.stdout
    )
    yes = run_cli("migrate", "up", str(root), "--env", "production", "--yes")
    assert yes.returncode == 2 and "parity does not run that tool's migrations" in yes.stderr
    applied = run_cli("apply", str(root), "--env", "production", "--yes")
    assert applied.returncode == 1 and "SCH009" in applied.stdout, applied.stdout[-2000:]
    assert "parity ran no migration" in applied.stdout
    after_files = {p for p in root.rglob("*") if p.is_file() and ".parity" not in p.parts}
    assert after_files == before_files and db.read_bytes() == before_db


def test_migrate_new_leaves_rails_migrations_to_rails(tmp_path: Path) -> None:
    root = tmp_path / "app"
    db = tmp_path / "prod.db"
    files = {
        "db/migrate/20240101000000_create_users.rb": "class CreateUsers < ActiveRecord::Migration[7.1]\nend\n"
    }
    _project(
        root,
        files,
        db,
        "CREATE TABLE schema_migrations (version VARCHAR(14) PRIMARY KEY)",
        ["INSERT INTO schema_migrations VALUES ('20240101000000')"],
    )
    proc = run_cli("migrate", "new", "add_email", str(root), "--env", "production")
    assert proc.returncode == 2 and "they are written by Rails" in proc.stderr, proc.stderr
    assert sorted(p.name for p in (root / "db" / "migrate").iterdir()) == ["20240101000000_create_users.rb"]
    assert not (root / "migrations").exists()


def test_goose_wraps_only_statements_holding_a_semicolon(tmp_path: Path) -> None:
    from parity.migrate.sql_tool_files import render
    from parity.plan.model import Plan, Step

    folder = tmp_path / "db" / "migrations"
    folder.mkdir(parents=True)
    (folder / "00001_init.sql").write_text("-- +goose Up\nCREATE TABLE t (x INT);\n")
    tool = find_listed_tool(tmp_path)
    assert tool is not None and tool.tool == "goose"
    function = (
        "CREATE FUNCTION set_x() RETURNS trigger AS $$ BEGIN NEW.x := 1; RETURN NEW; END $$ LANGUAGE plpgsql"
    )
    plan = Plan(
        "postgres",
        (
            Step(("ALTER TABLE t ADD COLUMN y INT",), ("ALTER TABLE t DROP COLUMN y",), "add column t.y"),
            Step((function,), ("DROP FUNCTION set_x()",), "add function set_x"),
        ),
        preamble=("SET LOCAL lock_timeout = '5s'",),
    )
    (migration,) = render(tool, plan, "add y", datetime(2026, 12, 4, tzinfo=UTC))
    (file,) = migration.files
    assert file.name == "00002_add_y.sql"
    up, down = file.text.split("-- +goose Down")
    assert up.count("-- +goose StatementBegin") == 1 and up.count("-- +goose StatementEnd") == 1
    begin, end = up.index("-- +goose StatementBegin"), up.index("-- +goose StatementEnd")
    assert begin < up.index("CREATE FUNCTION set_x()") < end
    assert not (begin < up.index("ADD COLUMN y") < end) and "StatementBegin" not in down
    # The undo runs in reverse order: the function first, then the column.
    assert down.index("DROP FUNCTION set_x()") < down.index("DROP COLUMN y")
    assert up.index("SET LOCAL lock_timeout") < up.index("ADD COLUMN y")
