"""Undoing an app tool's run when the tool's own downgrade cannot: the whole-database backup taken
before the run is loaded back (PostgreSQL in one transaction), after a dump of the state it
replaces; a restore that fails leaves the database as it was and the run open."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.alembic_project import write_project, write_revision
from tests.helpers import run_cli

from parity.errors import MigrationError
from parity.migrate import tool_backup
from parity.migrate.alembic_run import applied_revisions, run_child, sqlalchemy_url
from parity.schema.apptool import find_alembic

ROWS = [("ann",), ("bob",), ("bob",)]
#: r2's downgrade cannot run (as mealie's feecc8ffb956 cannot drop an unnamed foreign key on
#: PostgreSQL): `alembic downgrade r1` fails after r3's downgrade ran (committed, on MariaDB).
BROKEN_R2 = (
    "r1",
    "add email to users",
    'op.add_column("users", sa.Column("email", sa.String(100), nullable=True))',
    'raise RuntimeError("this downgrade cannot run")',
)


@pytest.fixture(params=["postgres", "mysql"])
def server_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("pg_url" if request.param == "postgres" else "mysql_url"))


def _production(root: Path, url: str) -> Path:
    """The project with r2's downgrade broken, production at r1 (by the app's Alembic) with ``ROWS``."""
    write_project(root, url)
    write_revision(root / "alembic" / "versions", "r2", *BROKEN_R2)
    alembic = find_alembic(root)
    assert alembic is not None
    run_child(alembic, {"op": "upgrade", "to": "r1"}, url=url)
    _sql(url, *(f"INSERT INTO users (name) VALUES ('{name}')" for (name,) in ROWS))
    assert applied_revisions(url) == ("r1",)
    return root


def _sql(url: str, *statements: str) -> None:
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        with engine.begin() as conn:
            for s in statements:
                conn.execute(sa.text(s))
    finally:
        engine.dispose()


def _state(url: str) -> tuple[list[str], list[str], list[tuple[object, ...]], tuple[str, ...] | None]:
    """Tables, the users' columns, every users row, and alembic_version."""
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        insp = sa.inspect(engine)
        tables = sorted(insp.get_table_names())
        columns = [c["name"] for c in insp.get_columns("users")]
        with engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM users ORDER BY id"))]
    finally:
        engine.dispose()
    return tables, columns, rows, applied_revisions(url)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _backup_folder(root: Path) -> Path:
    (folder,) = (root / ".parity" / "backups").iterdir()
    return folder


def test_a_downgrade_that_fails_is_undone_from_the_backup_and_later_rows_are_kept_in_a_dump(
    tmp_path: Path, server_url: str
) -> None:
    url = server_url
    root = _production(tmp_path / "app", url)
    before = _state(url)
    proc = run_cli("apply", str(root), "--env", "production", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert applied_revisions(url) == ("r3",)
    # Written by the application after the apply: the restore must not lose it silently.
    _sql(url, "INSERT INTO users (name, email) VALUES ('carol-after-apply', 'c@example.org')")

    proc = run_cli("rollback", str(root), "--env", "production")
    out = _flat(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "undone by the backup restore (the backup is exact" in out, out
    assert _state(url) == before  # history at r1, no orders table, no email column, the same rows
    folder = _backup_folder(root)
    current = [p for p in folder.iterdir() if p.name.startswith("before-restore-")]
    assert len(current) == 1 and current[0].name in "".join(out.split())  # named (wrapped or not)
    dumped = (
        "".join(p.read_text() for p in current[0].rglob("*") if p.is_file()) if current[0].is_dir() else ""
    )
    dumped = dumped or current[0].read_text()
    assert "carol-after-apply" in dumped  # the later row is in the dump of the replaced state
    if url.startswith("postgres"):
        assert "in one transaction" in out
        assert "a pg_dump of the restored database is identical to the backup" in out
    # The run is closed: a second rollback finds nothing to undo.
    again = run_cli("rollback", str(root), "--env", "production")
    assert again.returncode != 0 and "no applied run" in again.stdout + again.stderr


def test_a_restore_that_fails_midway_leaves_the_database_as_it_was_and_the_run_open(
    tmp_path: Path, pg_url: str
) -> None:
    url = pg_url
    root = _production(tmp_path / "app", url)
    before = _state(url)
    assert run_cli("apply", str(root), "--env", "production", "--yes").returncode == 0
    _sql(url, "INSERT INTO users (name) VALUES ('dave-after-apply')")
    applied = _state(url)
    dump = _backup_folder(root) / tool_backup.DUMP
    good = dump.read_text()
    # Corrupt in the middle, after the users' rows were loaded: the end-of-dump line is still there.
    marker = "\n\\.\n"
    cut = good.index(marker) + len(marker)
    dump.write_text(good[:cut] + "\nCREATE TABLE users (this is not sql);\n" + good[cut:])

    proc = run_cli("rollback", str(root), "--env", "production")
    out = _flat(proc.stdout)
    assert proc.returncode != 0
    assert "APL004" in out and "restoring the backup failed and was rolled back" in out
    assert _state(url) == applied  # nothing of the half-loaded backup stayed, the later row neither lost
    from parity.workflow.journal import latest_applied

    assert latest_applied(root, "production") is not None  # the run stays open for a retry

    # No backup at all: the refusal stays (the downgrade's own error, nothing changed).
    dump.unlink()
    proc = run_cli("rollback", str(root), "--env", "production")
    assert proc.returncode != 0 and "alembic downgrade r1` failed" in _flat(proc.stdout)
    assert _state(url) == applied

    # The backup put back as parity wrote it: the retry restores.
    dump.write_text(good)
    proc = run_cli("rollback", str(root), "--env", "production")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "undone by the backup restore" in _flat(proc.stdout)
    assert _state(url) == before


def test_a_mariadb_restore_that_fails_midway_is_undone_from_the_dump_of_the_state_it_replaced(
    tmp_path: Path, mysql_url: str
) -> None:
    """DDL commits by itself there: a restore that stops half way is put back from the dump taken
    just before it, so the database is again as the restore found it."""
    url = mysql_url
    root = _production(tmp_path / "app", url)
    before = _state(url)
    assert run_cli("apply", str(root), "--env", "production", "--yes").returncode == 0
    _sql(url, "INSERT INTO users (name) VALUES ('erin-after-apply')")
    _, columns, rows, _ = _state(url)
    dump = _backup_folder(root) / "tables.sql"
    if not dump.is_file():
        pytest.skip("no mariadb-dump here: the backup is parity's own JSON lines")
    good = dump.read_text()
    lines = good.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith("INSERT INTO"))
    dump.write_text(
        "".join([*lines[: first + 1], "CREATE TABLE broken (this is not sql);\n", *lines[first + 1 :]])
    )

    proc = run_cli("rollback", str(root), "--env", "production")
    out = _flat(proc.stdout)
    assert proc.returncode != 0 and "APL004" in out
    assert "the database is as it was before the restore (put back from" in out
    tables, now_columns, now_rows, _ = _state(url)
    assert (now_columns, now_rows) == (columns, rows) and "broken" not in tables  # the later row is there

    dump.write_text(good)
    proc = run_cli("rollback", str(root), "--env", "production")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _state(url) == before


def test_the_restore_loads_only_a_complete_dump_of_plain_sql(tmp_path: Path, pg_url: str) -> None:
    """No psql command but pg_dump's own ``\\restrict`` is run from a backup, and a cut-off dump is
    refused before anything changes."""
    _sql(
        pg_url,
        "CREATE TABLE t (id int PRIMARY KEY, v text)",
        "INSERT INTO t VALUES (1, 'one')",
        # An object of the database the dump creates again as it is: dropped before the load.
        "CREATE PUBLICATION parity_pub FOR TABLE t",
        # A PL/pgSQL body: its "END;" line is not a transaction statement.
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN NEW;\nEND;\n$$",
        "CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch()",
        # Large objects are left out of the backup: their data would come with a COMMIT.
        "SELECT lo_from_bytea(0, 'large object')",
    )
    folder = tmp_path / "bk"
    folder.mkdir()
    from parity.migrate.runtime import open_runtime

    rt = open_runtime(pg_url, read_only=True)
    try:
        bk = tool_backup.take(rt, folder, rt.table_names())
    finally:
        rt.close()
    assert bk.whole and bk.file is not None and (bk.file.stat().st_mode & 0o077) == 0
    _sql(pg_url, "INSERT INTO t VALUES (2, 'two')")

    def ok(rt: object) -> None:
        return None

    text = bk.file.read_text()
    bk.file.write_text(
        text.replace(
            "SET statement_timeout = 0;", "\\! touch /tmp/parity-pwned\nSET statement_timeout = 0;", 1
        )
    )
    with pytest.raises(MigrationError, match="psql command parity does not run"):
        tool_backup.restore(pg_url, bk, ok)
    bk.file.write_text(text[: len(text) // 2])
    with pytest.raises(MigrationError, match="incomplete"):
        tool_backup.restore(pg_url, bk, ok)

    def wrong(rt: object) -> str:
        return "the history is elsewhere"

    # Rows gone after the load (here a statement, as a rule or trigger could): refused too.
    marker = "\n\\.\n"
    cut = text.index(marker) + len(marker)
    bk.file.write_text(text[:cut] + "DELETE FROM public.t;\n" + text[cut:])
    with pytest.raises(MigrationError, match=r"row counts differ: public.t \(0 row\(s\), the backup has 1\)"):
        tool_backup.restore(pg_url, bk, ok)
    # A COMMIT in the backup would end the restore's one transaction half way: refused first.
    bk.file.write_text(text[:cut] + "COMMIT;\nDELETE FROM public.t;\n" + text[cut:])
    with pytest.raises(MigrationError, match="transaction statement"):
        tool_backup.restore(pg_url, bk, ok)
    bk.file.write_text("\\restrict abc123\n" + text + "\n\\unrestrict abc123\n")
    with pytest.raises(MigrationError, match="the history is elsewhere"):
        tool_backup.restore(pg_url, bk, wrong)
    engine = sa.create_engine(sqlalchemy_url(pg_url))
    with engine.connect() as conn:  # every refusal left the table as it was
        assert conn.execute(sa.text("SELECT count(*) FROM t")).scalar() == 2
    how = tool_backup.restore(pg_url, bk, ok)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT id, v FROM t")).all() == [(1, "one")]
        assert conn.execute(sa.text("SELECT count(*) FROM pg_publication_tables")).scalar() == 1
        assert conn.execute(sa.text("SELECT count(*) FROM pg_largeobject_metadata")).scalar() == 1
    engine.dispose()
    assert "in one transaction" in how


def test_a_journal_entry_naming_a_backup_outside_paritys_folder_is_not_restored(tmp_path: Path) -> None:
    """A committed journal is repository content: its backup path is not followed out of
    ``.parity/backups/``, nor loaded into a database other than the one it names."""
    from parity.project import discover
    from parity.workflow.migrations import _entry_backup

    url = "postgresql://postgres@127.0.0.1:5432/prod"
    root = _production_less(tmp_path / "app", url)
    project = discover(root)
    inside = root / ".parity" / "backups" / "x"
    inside.mkdir(parents=True)
    (inside / "database.sql").write_text("")
    outside = tmp_path / "elsewhere.sql"
    outside.write_text("")
    entry = {"url": url, "backup": str(inside / "database.sql"), "folder": str(inside), "whole": True}
    assert _entry_backup(project, entry, url).whole
    assert _entry_backup(project, {**entry, "backup": str(outside)}, url).file is None
    link = inside / "link.sql"
    link.symlink_to(outside)
    assert _entry_backup(project, {**entry, "backup": str(link)}, url).file is None
    assert not _entry_backup(project, entry, url.replace("/prod", "/other")).whole


def _production_less(root: Path, url: str) -> Path:
    write_project(root, url)
    return root
