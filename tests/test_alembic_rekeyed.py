"""A revision that rewrites a table's key (full-stack-fastapi-template's ``d98dd8ec85a3`` turns
integer ids into fresh UUIDs) reorders the rows verification digests in key order: the report
says the key changed and that the other old columns could not be compared row by row, instead of
claiming each of them changed. On the real PostgreSQL (SQLite walks rows by rowid)."""

from __future__ import annotations

from pathlib import Path

from tests.alembic_project import write_revision
from tests.helpers import run_cli
from tests.test_alembic_run import _production

from parity.migrate.alembic_run import applied_revisions


def test_a_rewritten_key_is_one_finding_that_says_what_could_not_be_compared(
    tmp_path: Path, pg_url: str
) -> None:
    root = _production(tmp_path / "app", pg_url)
    # ids 1, 2, 3 become 999, 998, 997: the same rows, walked in the opposite order.
    write_revision(
        root / "alembic" / "versions",
        "r4",
        "r3",
        "renumber users",
        'op.execute("UPDATE users SET id = 1000 - id")',
        'op.execute("UPDATE users SET id = 1000 - id")',
    )
    proc = run_cli("apply", str(root), "--env", "production", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = " ".join(proc.stdout.split())
    assert applied_revisions(pg_url) == ("r4",)
    assert (
        "VER004 content of column users.id changed during the migration: it is the key the rows are compared in, "
        "so users's other old columns (name) were read back in full (3 rows) but could not be compared row by row"
    ) in out, out
    assert "content of column users.name changed" not in out


def test_a_key_that_keeps_the_order_leaves_the_other_columns_compared(tmp_path: Path, pg_url: str) -> None:
    root = _production(tmp_path / "app", pg_url)
    write_revision(
        root / "alembic" / "versions",
        "r4",
        "r3",
        "shift users",
        'op.execute("UPDATE users SET id = id + 100")',
        'op.execute("UPDATE users SET id = id - 100")',
    )
    proc = run_cli("apply", str(root), "--env", "production", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = " ".join(proc.stdout.split())
    # The names were compared in the same order and are unchanged: only the key is reported.
    assert "VER004 content of column users.id changed during the migration (by the app's own revisions" in out
    assert "users.name" not in out and "could not be compared" not in out
