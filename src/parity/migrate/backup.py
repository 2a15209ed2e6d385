"""Backups taken before a migration writes, into ``.parity/backups/<timestamp>/``.

* SQLite: the online backup API (a consistent copy even while others read), then
  ``PRAGMA integrity_check`` on the copy; a copy that fails the check is an error.
* PostgreSQL: ``pg_dump`` of the affected tables when it is on PATH and matches the server;
  otherwise no file, and the note says rollback relies on transactional DDL + down migrations.
* MySQL/MariaDB: the tables the migration's statements name, dumped by ``mariadb-dump`` /
  ``mysqldump`` or by parity itself (JSON lines), with their DDL, triggers and digests; parity
  restores and verifies them (:mod:`parity.migrate.mysql_backup`).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from parity.errors import MigrationError, ParityError, redact_url
from parity.safefs import private_dir

if TYPE_CHECKING:
    from parity.migrate.runtime import Runtime

MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class Backup:
    folder: Path
    file: Path | None  # the copy, None when none could be made
    note: str
    restorable: bool = False  # parity can put ``file`` back by itself (a SQLite copy)
    #: parity can rebuild the backed-up tables from ``folder`` by itself (MySQL/MariaDB, where a
    #: failed migration is not rolled back with its transaction)
    restore_tables: bool = False
    #: the whole database, the app tool's history table included, which
    #: :mod:`parity.migrate.tool_backup` loads back when the tool's own downgrade fails
    whole: bool = False


def new_folder(root: Path) -> Path:
    """``root/.parity/backups/<UTC timestamp>``, unique even within one second, private (0700 like
    ``.parity/`` and ``backups/``): what lands in it is production data."""
    from parity.env.write import ensure_parity_dir

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    try:
        # .parity/ keeps its .gitignore: data is no commit
        folder = private_dir(ensure_parity_dir(root) / "backups") / stamp
        os.mkdir(folder, 0o700)
        os.chmod(folder, 0o700)
    except ParityError as exc:  # a link in place of .parity/, or its .gitignore cannot be written
        raise MigrationError(
            f"cannot create the backup folder ({exc.message}); nothing was changed", file=exc.file or root
        ) from exc
    except OSError as exc:
        raise MigrationError(
            f"cannot create the backup folder ({exc.strerror}); nothing was changed", file=root
        ) from exc
    return folder


def sqlite_copy(source: Path, target: Path) -> None:
    """Copy a live SQLite database with the backup API and check the copy."""
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            result = [r[0] for r in dst.execute("PRAGMA integrity_check")]
        finally:
            dst.close()
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)  # a partial copy is no backup
        raise MigrationError(
            f"cannot back up the database ({exc}); nothing was changed", file=target
        ) from exc
    finally:
        src.close()
    if result != ["ok"]:
        raise MigrationError(f"backup failed integrity_check: {result[0]}", file=target)


def _sqlite(rt: Runtime, folder: Path, tables: Sequence[str]) -> Backup:
    path: Path = rt.path  # type: ignore[attr-defined]
    target = folder / path.name
    sqlite_copy(path, target)
    return Backup(folder, target, f"SQLite online backup, integrity_check ok: {target}", restorable=True)


def _postgres(rt: Runtime, folder: Path, tables: Sequence[str]) -> Backup:
    pg_dump = shutil.which("pg_dump")
    fallback = "rollback relies on transactional DDL and the down migrations"
    if pg_dump is None:
        return Backup(folder, None, f"pg_dump is not on PATH: {fallback}")
    if not tables:
        return Backup(folder, None, f"no existing table is affected: {fallback}")
    target = folder / "tables.sql"
    conninfo, env = pg_connection(rt.url)
    args = [pg_dump, "--no-owner", "--format=plain", f"--file={target}"]
    for t in tables:
        args.append(f"--table={rt.quote(t)}")
    args.append(f"--dbname={conninfo}")
    proc = subprocess.run(args, capture_output=True, text=True, timeout=3600, env=env)
    if proc.returncode != 0:
        reason = redact_url((proc.stderr.strip().splitlines() or ["failed"])[-1])
        target.unlink(missing_ok=True)
        return Backup(folder, None, f"pg_dump failed ({reason}): {fallback}")
    return Backup(folder, target, f"pg_dump of {len(tables)} table(s): {target}")


def pg_connection(url: str) -> tuple[str, dict[str, str]]:
    """``url`` as a libpq connection string without its password, and the environment that
    carries the password instead (``PGPASSWORD``): a child's argv is readable by every user
    of the machine (``/proc/<pid>/cmdline``, ``ps``), its environment only by its owner."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(re.sub(r"^postgres(ql)?\+\w+://", "postgresql://", url))
    password = params.pop("password", None)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return make_conninfo("", **params), env


def _mysql(rt: Runtime, folder: Path, tables: Sequence[str]) -> Backup:
    from parity.migrate import mysql_backup

    return mysql_backup.take(rt, folder, tables)


def _none(rt: Runtime, folder: Path, tables: Sequence[str]) -> Backup:
    return Backup(
        folder,
        None,
        "no backup for this database: rollback relies on the down migrations (DDL is not transactional)",
    )


_BY_DIALECT: dict[str, Callable[[Runtime, Path, Sequence[str]], Backup]] = {
    "sqlite": _sqlite,
    "postgres": _postgres,
    "mysql": _mysql,
}


def take(rt: Runtime, folder: Path, tables: Sequence[str]) -> Backup:
    """Back up the database (or the ``tables`` a migration touches) into ``folder``; the copy is
    made private (0600) whatever the umask gave it (the 0700 folder covers the moments before)."""
    backup = _BY_DIALECT.get(rt.dialect, _none)(rt, folder, tables)
    if backup.file is not None and backup.file.is_file() and not backup.file.is_symlink():
        os.chmod(backup.file, 0o600)
    return backup


def restore_tables(
    url: str, bk: Backup, *, versions: Sequence[str], statements: Sequence[str], lock_timeout: float
) -> str:
    """Rebuild the tables of a ``restore_tables`` backup, drop the ones the migration created,
    remove the history rows of ``versions``, verify; say what was done."""
    from parity.migrate import mysql_backup

    done = mysql_backup.restore(
        url, bk.folder, versions=versions, statements=statements, lock_timeout=lock_timeout
    )
    dropped = f", dropped {', '.join(done.dropped)} (created by the migration)" if done.dropped else ""
    return (
        f"restored {len(done.tables)} table(s) ({', '.join(done.tables) or 'none'}) from the {done.method} "
        f"backup of {done.taken_at} in {bk.folder}{dropped}; definitions, triggers, row counts and "
        "content digests equal the backup's"
    )


def restore_sqlite(backup_file: Path, database: Path, *, lock_timeout: float = 30.0) -> None:
    """Copy ``backup_file`` back over the live ``database`` with the backup API (page by page, under
    the database's write lock), then check the result."""
    src = sqlite3.connect(f"{backup_file.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(database, timeout=lock_timeout)
        try:
            src.backup(dst)
            result = [r[0] for r in dst.execute("PRAGMA integrity_check")]
        finally:
            dst.close()
    finally:
        src.close()
    if result != ["ok"]:
        raise MigrationError(f"restored database failed integrity_check: {result[0]}", file=database)
