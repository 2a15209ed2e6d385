"""The check → apply → check → apply → rollback flow with the example's database on a real PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
from tests.helpers import copy_shop, snapshot
from tests.test_workflow import FIXES, fix_code_on_main
from typer.testing import CliRunner

from parity.cli.app import app

runner = CliRunner()


def _pg_sql(sqlite_sql: str) -> str:
    """The example's SQLite DDL in PostgreSQL's spelling (timestamps are timestamps there)."""
    sql = sqlite_sql.replace("PRAGMA foreign_keys = ON;", "")
    return re.sub(
        r"TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP", "TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP", sql
    )


def _move_to_postgres(shop: Path, url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(_pg_sql((shop / "db/seed.sql").read_text()))
    (shop / "db/schema.sql").write_text(_pg_sql((shop / "db/schema.sql").read_text()))
    (shop / "db/shop.db").unlink()
    for svc in ("api", "worker"):
        env = shop / f"services/{svc}/.env.production"
        env.write_text(
            env.read_text().replace("DATABASE_URL=sqlite:///../../db/shop.db", f"DATABASE_URL={url}")
        )
    # The k8s ConfigMap gives the api its DATABASE_URL at run time: point it at the server too.
    manifest = shop / "k8s/production/api.yaml"
    manifest.write_text(manifest.read_text().replace("sqlite:///../../db/shop.db", url))
    # The example's smoke checks read SQLite directly; on this server there is none to run.
    (shop / "parity.toml").write_text("")


def _state(url: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with psycopg.connect(url) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        ).fetchall()
        rows = conn.execute("SELECT * FROM orders ORDER BY id").fetchall()
    return columns, rows


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_full_flow_on_postgres(tmp_path: Path, pg_url: str) -> None:
    shop = copy_shop(tmp_path)
    fix_code_on_main(shop)
    _move_to_postgres(shop, pg_url)
    files_before = snapshot(shop)
    db_before = _state(pg_url)

    code, out = invoke("check", str(shop))
    assert code == 1
    assert "add column orders.status" in out and "production-only column orders.legacy_note" in out

    code, out = invoke("apply", str(shop), "--yes", *FIXES)
    assert code == 0, out
    columns, rows = _state(pg_url)
    names = {(t, c) for t, c, *_ in columns}
    assert {
        ("orders", "status"),
        ("orders", "exported_at"),
        ("orders", "legacy_note"),
        ("exports", "bucket"),
    } <= names
    assert [r[:5] for r in rows] == db_before[1]  # old rows identical, production-only column kept

    code, out = invoke("check", str(shop))
    assert code == 0, out
    code, out = invoke("apply", str(shop), "--yes")
    assert code == 0 and "nothing to change" in out

    code, out = invoke("rollback", str(shop))
    assert code == 0, out
    assert _state(pg_url) == db_before
    assert snapshot(shop) == files_before
