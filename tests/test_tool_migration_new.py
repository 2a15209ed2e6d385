"""``parity migrate new`` in Prisma and Liquibase projects: the next migration in the tool's own
layout, read back by parity's detection as the one pending migration, its up part bringing a copy
of the database to the declared schema and its undo back.

Prisma: ``prisma/migrations/<YYYYMMDDhhmmss>_name/migration.sql`` (as documenso and hoppscotch keep
them), with the undo in a ``down.sql`` beside it since Prisma has no down migrations. Liquibase: a
Spring Boot master changelog that ``includeAll``s a folder of numbered formatted-SQL files.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.helpers import run_cli
from tests.test_liquibase import HISTORY_DDL, INSERT
from tests.test_tool_migration_files import ORDERS, USERS, _columns, _project

from parity import dialects
from parity.project import discover
from parity.schema.listed_tools import find_listed_tool
from parity.schema.service import tool_status

PRISMA_HISTORY = (
    "CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY, checksum VARCHAR(64) NOT NULL, "
    "finished_at TEXT, migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TEXT, "
    "started_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, applied_steps_count INTEGER NOT NULL DEFAULT 0)"
)
RES = "src/main/resources"


def _added(root: Path, before: set[Path]) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in root.rglob("*")
        if p.is_file() and ".parity" not in p.parts and p not in before
    }


def _run(db: Path, tmp: Path, sql: str) -> Path:
    run = tmp / "run.db"
    if not run.exists():
        shutil.copy(db, run)
    conn = sqlite3.connect(run)
    conn.executescript(sql)
    conn.close()
    return run


def test_prisma_gets_a_timestamped_migration_folder_and_a_down_sql(tmp_path: Path) -> None:
    root = tmp_path / "app"
    db = tmp_path / "prod.db"
    files = {
        "prisma/migrations/20240101000000_create_users/migration.sql": USERS,
        "prisma/migrations/20240102000000_create_orders/migration.sql": ORDERS,
        "prisma/migrations/migration_lock.toml": 'provider = "sqlite"\n',
    }
    rows = [
        f"INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) "
        f"VALUES ('{i}', 'x', '2024-01-0{i}', '{name}', 1)"
        for i, name in ((1, "20240101000000_create_users"), (2, "20240102000000_create_orders"))
    ]
    _project(root, files, db, PRISMA_HISTORY, rows)
    before = {p for p in root.rglob("*") if p.is_file()}
    before_db = db.read_bytes()

    proc = run_cli("migrate", "new", "add email", str(root), "--env", "production")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    new = _added(root, before)
    assert len(new) == 2, sorted(new)
    up_name = next(n for n in new if n.endswith("/migration.sql"))
    m = re.fullmatch(r"prisma/migrations/(\d{14})_add_email/migration\.sql", up_name)
    assert m is not None, up_name
    stamp = m.group(1)
    assert int(stamp) > 20240102000000
    assert abs(datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC) - datetime.now(UTC)).seconds < 600
    down_name = f"prisma/migrations/{stamp}_add_email/down.sql"
    up, down = new[up_name], new[down_name]
    assert "Prisma has no down migrations" in up and "prisma migrate resolve --rolled-back" in down
    assert "wrote Prisma migration" in proc.stdout
    assert db.read_bytes() == before_db
    assert not (root / "migrations").exists()  # nothing of parity's own

    url = f"sqlite:///{db}"
    d = dialects.get(url)
    status = tool_status(discover(root), d.name, url, d.inspect(url))
    assert status is not None and status.tool == "Prisma"
    assert [r.id for r in status.pending] == [f"{stamp}_add_email"]

    run = _run(db, tmp_path, up)
    assert _columns(run, "users") == ["id", "name", "email"]
    _run(db, tmp_path, down)
    assert _columns(run, "users") == ["id", "name"]


def _liquibase_project(root: Path, db: Path, master: str, sql_files: dict[str, str]) -> None:
    files = {
        f"{RES}/application.properties": "spring.liquibase.change-log=classpath:db/changelog/db.changelog-master.yaml\n",
        f"{RES}/db/changelog/db.changelog-master.yaml": master,
        **{f"{RES}/db/changelog/migrations/{n}": t for n, t in sql_files.items()},
    }
    rows = [
        INSERT.replace("%s", "'{}'", 3)
        .replace("%s", "{}")
        .format(re.findall(r"changeset dev:(\S+)", t)[0], "dev", f"db/changelog/migrations/{n}", i)
        for i, (n, t) in enumerate(sql_files.items(), 1)
    ]
    _project(root, files, db, HISTORY_DDL, rows)


SQL_FILES = {
    "001-create-users.sql": f"--liquibase formatted sql\n--changeset dev:001\n{USERS}\n--rollback DROP TABLE users;\n",
    "002-create-orders.sql": f"--liquibase formatted sql\n--changeset dev:002\n{ORDERS}\n--rollback DROP TABLE orders;\n",
}
INCLUDE_ALL = "databaseChangeLog:\n  - includeAll:\n      path: db/changelog/migrations/\n"


def test_liquibase_gets_the_next_formatted_sql_file_of_its_include_all_folder(tmp_path: Path) -> None:
    root = tmp_path / "app"
    db = tmp_path / "prod.db"
    _liquibase_project(root, db, INCLUDE_ALL, SQL_FILES)
    url = f"sqlite:///{db}"
    d = dialects.get(url)
    status = tool_status(discover(root), d.name, url, d.inspect(url))
    assert status is not None and status.tool == "Liquibase" and status.pending == ()
    before = {p for p in root.rglob("*") if p.is_file()}
    before_db = db.read_bytes()

    proc = run_cli("migrate", "new", "add_email", str(root), "--env", "production")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    new = _added(root, before)
    assert list(new) == [f"{RES}/db/changelog/migrations/003-add_email.sql"], sorted(new)
    (text,) = new.values()
    assert text.startswith("--liquibase formatted sql\n")
    assert "--changeset parity:003-add_email\n" in text
    assert db.read_bytes() == before_db

    status = tool_status(discover(root), d.name, url, d.inspect(url))
    assert status is not None
    assert [r.id for r in status.pending] == [
        "db/changelog/migrations/003-add_email.sql::003-add_email::parity"
    ]
    # What Liquibase runs (the lines that are not --rollback), then the rollback.
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--rollback"))
    rollback = "\n".join(
        line[len("--rollback ") :] for line in text.splitlines() if line.startswith("--rollback ")
    )
    run = _run(db, tmp_path, body)
    assert _columns(run, "users") == ["id", "name", "email"]
    _run(db, tmp_path, rollback)
    assert _columns(run, "users") == ["id", "name"]


def test_liquibase_without_include_all_is_refused_with_a_pointer(tmp_path: Path) -> None:
    root = tmp_path / "app"
    db = tmp_path / "prod.db"
    master = "".join(
        f"databaseChangeLog:\n  - include:\n      file: db/changelog/migrations/{n}\n"
        if i == 0
        else f"  - include:\n      file: db/changelog/migrations/{n}\n"
        for i, n in enumerate(SQL_FILES)
    )
    _liquibase_project(root, db, master, SQL_FILES)
    tool = find_listed_tool(root)
    assert tool is not None and tool.tool == "Liquibase" and tool.new_folder is None
    proc = run_cli("migrate", "new", "add_email", str(root), "--env", "production")
    assert proc.returncode == 2 and "includes no folder with includeAll" in proc.stderr, proc.stderr
    assert sorted(p.name for p in (root / RES / "db/changelog/migrations").iterdir()) == sorted(SQL_FILES)


def test_liquibase_folder_whose_names_carry_no_order_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "app"
    db = tmp_path / "prod.db"
    files = {"users.sql": SQL_FILES["001-create-users.sql"], "orders.sql": SQL_FILES["002-create-orders.sql"]}
    _liquibase_project(root, db, INCLUDE_ALL, files)
    proc = run_cli("migrate", "new", "add_email", str(root), "--env", "production")
    assert proc.returncode == 2 and "not all numbered" in proc.stderr, proc.stdout + proc.stderr


def _changesets(text: str) -> list[tuple[str, str, str]]:
    """(header, what Liquibase runs, its rollback) of each changeset of a formatted-SQL file."""
    out = []
    for chunk in text.split("\n--changeset ")[1:]:
        header, _, rest = chunk.partition("\n")
        lines = rest.splitlines()
        body = "\n".join(ln for ln in lines if not ln.startswith("--rollback"))
        rollback = "\n".join(ln[len("--rollback ") :] for ln in lines if ln.startswith("--rollback "))
        out.append((header, body, rollback))
    return out


@pytest.mark.postgres
def test_liquibase_on_postgres_keeps_concurrently_out_of_a_transaction(tmp_path: Path, pg_url: str) -> None:
    import psycopg
    from tests.test_tool_migration_files import PG_DECLARED, _run_as_the_tool

    root = tmp_path / "app"
    files = {
        f"{RES}/db/changelog/db.changelog-master.yaml": INCLUDE_ALL,
        **{f"{RES}/db/changelog/migrations/{n}": t for n, t in SQL_FILES.items()},
        "db/schema.sql": PG_DECLARED,
        ".env.example": "DATABASE_URL=\n",
        ".env.production": f"DATABASE_URL={pg_url}\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE users (id SERIAL PRIMARY KEY, name TEXT)")
        conn.execute("CREATE TABLE orders (id SERIAL PRIMARY KEY, user_id INTEGER)")
        conn.execute("INSERT INTO users (name) VALUES ('ann')")
        conn.execute(HISTORY_DDL)
        for i, n in enumerate(SQL_FILES, 1):
            conn.execute(INSERT, (n[:3], "dev", f"db/changelog/migrations/{n}", i))  # type: ignore[arg-type]

    proc = run_cli("migrate", "new", "add_email", str(root), "--env", "production")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (root / RES / "db/changelog/migrations/003-add_email.sql").read_text()
    (h1, up1, down1), (h2, up2, down2) = _changesets(text)
    assert h1 == "parity:003-add_email" and "SET LOCAL lock_timeout" in up1
    assert h2 == "parity:003-add_email_online runInTransaction:false"
    assert "CREATE INDEX CONCURRENTLY" in up2 and "RESET lock_timeout" in up2

    d = dialects.get(pg_url)
    status = tool_status(discover(root), d.name, pg_url, d.inspect(pg_url))
    assert status is not None and [split for split in (r.id.split("::")[1] for r in status.pending)] == [
        "003-add_email",
        "003-add_email_online",
    ]

    def columns() -> list[str]:
        with psycopg.connect(pg_url) as c:
            return [
                r[0]
                for r in c.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = 'users' "
                    "ORDER BY ordinal_position"
                )
            ]

    with psycopg.connect(pg_url, autocommit=True) as conn:
        _run_as_the_tool(conn, "Liquibase", up1, True)
        _run_as_the_tool(conn, "Liquibase", up2, False)
        assert conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'orders' AND indexname = 'ix_orders_user_id'"
        ).fetchone()
    assert columns() == ["id", "name", "email"]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        _run_as_the_tool(conn, "Liquibase", down2, False)
        _run_as_the_tool(conn, "Liquibase", down1, True)
        assert conn.execute("SHOW lock_timeout").fetchone() == ("0",)
    assert columns() == ["id", "name"]


@pytest.mark.postgres
def test_prisma_on_postgres_sends_each_file_as_one_string(tmp_path: Path, pg_url: str) -> None:
    import psycopg
    from tests.test_tool_migration_files import PG_DECLARED, _run_as_the_tool

    root = tmp_path / "app"
    files = {
        "prisma/migrations/20240101000000_init/migration.sql": "CREATE TABLE users (id SERIAL PRIMARY KEY);",
        "db/schema.sql": PG_DECLARED,
        ".env.example": "DATABASE_URL=\n",
        ".env.production": f"DATABASE_URL={pg_url}\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE users (id SERIAL PRIMARY KEY, name TEXT)")
        conn.execute("CREATE TABLE orders (id SERIAL PRIMARY KEY, user_id INTEGER)")
        conn.execute("INSERT INTO users (name) VALUES ('ann')")
        conn.execute(PRISMA_HISTORY.replace("TEXT", "TIMESTAMPTZ").replace("logs TIMESTAMPTZ", "logs TEXT"))
        conn.execute(
            "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, "
            "applied_steps_count) VALUES ('1', 'x', now(), '20240101000000_init', now(), 1)"
        )
    proc = run_cli("migrate", "new", "add_email", str(root), "--env", "production")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    made = sorted(p for p in (root / "prisma/migrations").iterdir() if p.is_dir() and "add_email" in p.name)
    assert [re.sub(r"^\d{14}_", "", p.name) for p in made] == ["add_email", "add_email_online"]
    up1, up2 = ((p / "migration.sql").read_text() for p in made)
    down1, down2 = ((p / "down.sql").read_text() for p in made)
    # Prisma sends a file as one string: the transactional one says BEGIN/COMMIT itself (SET
    # LOCAL needs a real block), CONCURRENTLY is alone in its own migration.
    assert "BEGIN;" in up1 and "SET LOCAL lock_timeout" in up1 and "COMMIT;" in up1
    assert "CREATE INDEX CONCURRENTLY" in up2 and "BEGIN;" not in up2

    d = dialects.get(pg_url)
    status = tool_status(discover(root), d.name, pg_url, d.inspect(pg_url))
    assert status is not None and [r.id for r in status.pending] == [p.name for p in made]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        _run_as_the_tool(conn, "golang-migrate", up1, True)
        _run_as_the_tool(conn, "golang-migrate", up2, False)
        assert conn.execute(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_orders_user_id'"
        ).fetchone() == (1,)
        assert conn.execute("SELECT name FROM users").fetchall() == [("ann",)]
        _run_as_the_tool(conn, "golang-migrate", down2, False)
        _run_as_the_tool(conn, "golang-migrate", down1, True)
        cols = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY ordinal_position"
        ).fetchall()
    assert cols == [("id",), ("name",)]
