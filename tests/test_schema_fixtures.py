"""The shared database fixtures hand out real, empty, per-test databases."""

from __future__ import annotations

import psycopg
import pymysql

from conftest import mysql_connect_args, with_database


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
