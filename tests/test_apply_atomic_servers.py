"""``parity apply`` killed at every checkpoint on a real PostgreSQL and a real MariaDB (a smaller
project than the SQLite walkthrough): afterwards the state is the original, or one ``parity
rollback`` makes it so — env files byte for byte, the schema as the inspector reads it, every row.
"""

from __future__ import annotations

import hashlib
import signal
from pathlib import Path

import pytest

from helpers import apply_checkpoints, run_cli, snapshot
from parity import dialects
from parity.workflow.journal import interrupted
from schema_helpers import execute

KILL = "PARITY_TEST_KILL_AT"
CURRENT = [
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL)",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, total_cents INTEGER NOT NULL)",
    "INSERT INTO customers VALUES (1, 'ada@example.invalid'), (2, 'bob@example.invalid')",
    "INSERT INTO orders VALUES (1, 1, 1999), (2, 1, 500), (3, 2, 42)",
]
DESIRED = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, total_cents INTEGER NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'new');
CREATE INDEX idx_orders_status ON orders (status);
CREATE TABLE exports (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, bucket VARCHAR(100) NOT NULL);
"""
#: Checkpoints a whole apply of this project passes on each server (asserted below).
POINTS = {"postgres": 30, "mysql": 22}


def _project(tmp_path: Path, url: str) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    scheme = url.split(":", 1)[0]
    (root / ".env.example").write_text(f"DATABASE_URL={scheme}://localhost/app\nEXPORTS_BUCKET=exports-dev\n")
    (root / ".env.production").write_text(f"DATABASE_URL={url}\n")
    (root / "schema.sql").write_text(DESIRED)
    return root


def _rows(url: str) -> dict[str, str]:
    name = dialects.get(url).name
    out = {}
    for table in ("customers", "orders", "exports"):
        if name == "postgres":
            import psycopg

            with psycopg.connect(url, autocommit=True) as conn:
                exists = conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0]
                rows = conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() if exists else None
        else:
            import pymysql

            from parity.dialects.mysql.inspect import connect_args

            conn = pymysql.connect(**connect_args(url))
            try:
                with conn.cursor() as cur:
                    cur.execute("SHOW TABLES LIKE %s", (table,))
                    exists = cur.fetchone()
                    rows = None
                    if exists:
                        cur.execute(f"SELECT * FROM {table} ORDER BY 1")
                        rows = cur.fetchall()
            finally:
                conn.close()
        out[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


def _state(root: Path, url: str) -> object:
    schema = dialects.get(url).inspect(url)
    tables = {t.name: t for t in schema.tables}
    return snapshot(root), sorted(tables), [tables[n] for n in sorted(tables)], _rows(url)


@pytest.fixture(params=["postgres", "mysql"])
def server(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue("pg_url" if request.param == "postgres" else "mysql_url")
    execute(url, CURRENT)
    return url


def test_a_whole_apply_passes_the_counted_checkpoints(server: str, tmp_path: Path) -> None:
    root = _project(tmp_path, server)
    counted = apply_checkpoints(root, ("EXPORTS_BUCKET=exports-prod",))
    assert counted == ("PASS", POINTS[dialects.get(server).name])


@pytest.mark.parametrize(
    ("dialect", "point"),
    [(d, p) for d, n in POINTS.items() for p in range(1, n + 1, 2)],  # every other point: a smaller set
)
def test_sigkill_on_a_server_is_undone_by_one_rollback(
    dialect: str, point: int, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    server: str = request.getfixturevalue("pg_url" if dialect == "postgres" else "mysql_url")
    execute(server, CURRENT)
    root = _project(tmp_path, server)
    original = _state(root, server)
    proc = run_cli(
        "apply", str(root), "--yes", "--set", "EXPORTS_BUCKET=exports-prod", env={KILL: str(point)}
    )
    assert proc.returncode == -signal.SIGKILL, proc.stdout[-800:] + proc.stderr
    said = ""
    if _state(root, server) != original:
        unfinished = interrupted(root, "production") is not None
        back = run_cli("rollback", str(root))
        assert back.returncode == 0, back.stdout + back.stderr
        assert ("interrupted run" in back.stdout) == unfinished
        said = back.stdout
    assert _state(root, server) == original, said
