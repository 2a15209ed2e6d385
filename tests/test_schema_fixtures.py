"""The shared database fixtures hand out real, empty, per-test databases."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pymysql
import pytest

from conftest import mysql_connect_args, server_root, with_database
from parity.migrate import backup
from parity.migrate.runtime import open_runtime
from schema_helpers import execute


def test_pg_url_is_a_fresh_empty_database(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        name = conn.execute("SELECT current_database()").fetchone()
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    assert name is not None and name[0].startswith("parity_t_")
    assert tables == (0,)


def test_mysql_url_is_a_fresh_empty_database(mysql_url: str) -> None:
    conn = pymysql.connect(**mysql_connect_args(mysql_url))  # type: ignore[arg-type]
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT DATABASE(), (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE())"
            )
            row = cur.fetchone()
    finally:
        conn.close()
    assert row is not None and row[0].startswith("parity_t_") and row[1] == 0


def test_with_database_keeps_query_and_credentials() -> None:
    assert (
        with_database("postgresql://postgres:@/x?host=/tmp/s", "db2")
        == "postgresql://postgres:@/db2?host=/tmp/s"
    )
    assert mysql_connect_args("mysql://u:p%40ss@h:3307/d")["password"] == "p@ss"


# --- what the server fixtures promise, whichever server they found ---------------------------


def test_pg_dump_on_path_can_dump_the_server(pg_server_url: str) -> None:
    # parity backs PostgreSQL up with the pg_dump on PATH; an older one refuses a newer server.
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    assert row is not None
    pg_dump = shutil.which("pg_dump")
    assert pg_dump is not None
    out = subprocess.run([pg_dump, "--version"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"PostgreSQL\)\s*(\d+)", out)
    assert found is not None and int(found[1]) >= int(row[0]) // 10000, out


def test_postgres_backup_is_a_pg_dump_of_the_affected_tables(pg_url: str, tmp_path: Path) -> None:
    execute(
        pg_url,
        ["CREATE TABLE orders (id int PRIMARY KEY, note text)", "INSERT INTO orders VALUES (7, 'kept')"],
    )
    rt = open_runtime(pg_url)
    try:
        taken = backup.take(rt, tmp_path, ["orders"])
    finally:
        rt.close()
    assert taken.file is not None, taken.note
    dump = taken.file.read_text()
    assert "CREATE TABLE public.orders" in dump and "kept" in dump


def test_mysql_server_speaks_utf8mb4(mysql_server_url: str) -> None:
    conn = pymysql.connect(**mysql_connect_args(mysql_server_url))  # type: ignore[arg-type]
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT @@character_set_server, @@collation_server")
            row = cur.fetchone()
    finally:
        conn.close()
    assert row is not None and row[0] == "utf8mb4" and row[1].startswith("utf8mb4_"), row


def test_throwaway_servers_live_outside_pytests_temp_root(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = server_root(pytestconfig)
    pytest_root = tmp_path_factory.getbasetemp().resolve().parent  # pytest-of-<user> under xdist
    assert root.is_dir() and root.name.startswith("parity-servers-")
    for base in (pytest_root, pytest_root.parent):
        if base.name.startswith("pytest-of-"):
            assert not root.resolve().is_relative_to(base), (root, base)
    # Traversable by the system user a throwaway PostgreSQL runs as when the tests run as root.
    assert root.stat().st_mode & 0o055 == 0o055


NESTED = """
def test_uses_tmp_path(tmp_path):
    (tmp_path / "f").write_text("x")
"""


def test_a_nested_pytest_run_leaves_the_servers_usable(pg_url: str, mysql_url: str, tmp_path: Path) -> None:
    # A nested pytest resets its temp root (pytest-of-<user>) to 0700: a server whose data lived
    # there and ran as another user (the throwaway PostgreSQL, when run as root) lost its files.
    (tmp_path / "test_nested.py").write_text(NESTED)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    nested = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "test_nested.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert nested.returncode == 0, nested.stdout + nested.stderr
    # Both servers still create, write and read files of a new table.
    execute(pg_url, ["CREATE TABLE after_nested (v text)", "INSERT INTO after_nested VALUES ('ok')"])
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT v FROM after_nested").fetchall() == [("ok",)]
    execute(mysql_url, ["CREATE TABLE after_nested (v text)", "INSERT INTO after_nested VALUES ('ok')"])
    conn2 = pymysql.connect(**mysql_connect_args(mysql_url))  # type: ignore[arg-type]
    try:
        with conn2.cursor() as cur:
            cur.execute("SELECT v FROM after_nested")
            assert cur.fetchall() == (("ok",),)
    finally:
        conn2.close()
