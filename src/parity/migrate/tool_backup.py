"""The backup taken before the application's own migration tool (Alembic, Django) runs, and the
restore from it when the tool's own downgrade cannot undo the run.

An app's downgrade is its code, and it can be broken (mealie's ``feecc8ffb956`` drops an
unnamed foreign key, which SQLAlchemy cannot compile on PostgreSQL). The way back that does
not depend on it is the state before the run, so the backup covers the whole database, the
tool's history table included:

* PostgreSQL: a plain ``pg_dump`` of the whole database (schema, data, sequences' values).
  The restore runs in ONE transaction on one connection: every table locked against writes, a
  dump of the current state taken (rows written since the apply would otherwise vanish), every
  object of the user schemas dropped, the backup loaded, the tool's history checked, then
  COMMIT. Any failure rolls all of it back: the database is as it was before the restore.
  After the commit a fresh ``pg_dump`` is compared with the backup, line for line.
* MySQL/MariaDB: every table (the history table too) through :mod:`parity.migrate.mysql_backup`;
  the restore drops what the run created and rebuilds the rest, verified by digest. DDL commits
  implicitly there, so it is not one transaction: the current state is dumped first the same way,
  and a restore that fails half way is undone from that dump (the database is again as the
  restore found it); it is repeatable from the same backup.
* SQLite: the file copy, restored as before by the callers.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parity.errors import MigrationError, redact_url

if TYPE_CHECKING:
    from parity.migrate.backup import Backup
    from parity.migrate.runtime import Runtime

#: The PostgreSQL backup's file name in the backup folder.
DUMP = "database.sql"
#: What a complete plain pg_dump ends with; a file without it was cut off.
_COMPLETE = "-- PostgreSQL database dump complete"
_NAME = r'(?:"(?:[^"]|"")+"|[^\s."]+)'
_COPY = re.compile(rf"^COPY ({_NAME}(?:\.{_NAME})?) (?:\(.*\) )?FROM stdin;$")
#: pg_dump >= 17.6 (and the backpatched 13-16 releases) wraps its output in these psql
#: meta-commands, with a random key per dump: not SQL, and not part of the database.
_RESTRICT = re.compile(r"^\\(?:un)?restrict \S+$")
_EXTENSION = re.compile(r"^CREATE EXTENSION IF NOT EXISTS (\"(?:[^\"]|\"\")+\"|[\w$]+)", re.MULTILINE)
#: A line that would end the restore's transaction (pg_dump writes them around large objects,
#: left out of parity's backups); refused rather than run, even inside a routine's body.
#: (``END;`` is not among them: it closes every PL/pgSQL body, which pg_dump writes verbatim.)
_TRANSACTION = re.compile(r"^(?:BEGIN|COMMIT|ROLLBACK|ABORT|START TRANSACTION)\b[^;]*;\s*$", re.IGNORECASE)
_SYSTEM_SCHEMAS = "('pg_catalog', 'information_schema', 'pg_toast')"

#: A check run inside the restore's transaction once the backup is loaded: None when the tool's
#: history is back where the run started, else what is wrong (the restore then rolls back).
HistoryCheck = Callable[["Runtime"], "str | None"]
#: Why a run with a whole-database backup is undone from it rather than by the tool's downgrade.
EXACT = "the backup is exact; an app's own downgrade need not be (rows rewritten or deleted by its data migrations stay so)"


def take(rt: Runtime, folder: Path, tables: Sequence[str]) -> Backup:
    """The backup before an app-tool run. ``tables``: every table the database has (the tool's
    history table among them), for the dialects that back up table by table."""
    from parity.migrate import backup as mbackup

    if rt.dialect == "postgres":
        bk = _pg_take(rt.url, folder)
    elif rt.dialect == "mysql":
        bk = replace(mbackup.take(rt, folder, tables), whole=True)
    else:
        return mbackup.take(rt, folder, tables)
    if bk.file is not None and bk.file.is_file():
        os.chmod(bk.file, 0o600)
    return bk


def _pg_take(url: str, folder: Path) -> Backup:
    from parity.migrate.backup import Backup

    target = folder / DUMP
    try:
        _pg_dump(url, target)
    except MigrationError as exc:
        target.unlink(missing_ok=True)
        return Backup(
            folder, None, f"{exc.message}: rollback relies on the app's own downgrade (no backup to restore)"
        )
    return Backup(
        folder,
        target,
        f"pg_dump of the whole database: {target} (restored by `parity rollback` if the tool's own undo fails)",
        whole=True,
    )


def _pg_dump(url: str, target: Path, *, lock_timeout: float | None = None) -> None:
    """A plain-format dump of the whole database at ``url`` into ``target`` (0600)."""
    from parity.migrate.backup import pg_connection

    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise MigrationError("pg_dump is not on PATH", file=target)
    conninfo, env = pg_connection(url)
    # No large objects: their data comes with BEGIN/COMMIT lines of its own, which would end the
    # restore's one transaction half way (and app migration tools do not write them).
    args = [pg_dump, "--format=plain", "--no-blobs", f"--file={target}"]
    if lock_timeout is not None:
        args.append(f"--lock-wait-timeout={int(lock_timeout * 1000)}")
    args.append(f"--dbname={conninfo}")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # never readable by others
    os.close(fd)
    proc = subprocess.run(args, capture_output=True, text=True, timeout=3600, env=env)
    if proc.returncode != 0:
        reason = redact_url((proc.stderr.strip().splitlines() or ["failed"])[-1])
        raise MigrationError(f"pg_dump failed ({reason})", file=target)


def after_restore(restore_failed: str) -> str:
    """A failed restore, said beside the tool's own failure (the restore is tried first)."""
    return f"; the backup restore before it failed too ({restore_failed})" if restore_failed else ""


def restorable(bk: Backup | None) -> bool:
    """True when ``bk`` is a whole-database backup this module can load back."""
    return bk is not None and bk.whole and bk.file is not None and bk.file.is_file()


def restore(
    url: str,
    bk: Backup,
    check: HistoryCheck,
    *,
    lock_timeout: float = 30.0,
    locked: bool = False,
) -> str:
    """Put the database back as ``bk`` found it; say how, naming the dump of the state it replaced.

    ``locked``: the caller already holds parity's run-wide lock on this database (the upgrade's
    own rollback); else it is taken here, so no other parity run writes meanwhile."""
    from parity.migrate.runtime import dialect_of

    if not restorable(bk):
        raise MigrationError("there is no whole-database backup of this run to restore", file=bk.folder)
    assert bk.file is not None
    if dialect_of(url) == "postgres":
        return _pg_restore(url, bk.file, check, lock_timeout=lock_timeout, locked=locked)
    if dialect_of(url) == "mysql":
        return _mysql_restore(url, bk, check, lock_timeout=lock_timeout, locked=locked)
    raise MigrationError(f"no whole-database restore for {dialect_of(url)}", file=bk.file)


# --- PostgreSQL --------------------------------------------------------------------------------


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def _pg_restore(url: str, dump: Path, check: HistoryCheck, *, lock_timeout: float, locked: bool) -> str:
    from parity.migrate.runtime import open_runtime

    extensions = _precheck(dump)
    current = dump.with_name(f"before-restore-{_stamp()}.sql")
    rt = open_runtime(url, lock_timeout=lock_timeout)
    try:
        if not locked:
            rt.acquire_lock()
        try:
            rt.begin()
            try:
                rt.execute(f"SET LOCAL lock_timeout = '{int(lock_timeout * 1000)}ms'")
                path = str(rt.scalar("SELECT current_setting('search_path')"))
                tables = _user_relations(rt, "('r', 'p')")
                if tables:
                    # Writes wait from here on (reads go on): the dump below then holds every row
                    # committed before the restore, and none is written between it and the restore.
                    rt.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")
                _pg_dump(url, current, lock_timeout=lock_timeout)
                _drop_user_objects(rt, extensions)
                loaded = _load(rt, dump)
                _check_counts(rt, loaded, dump)
                rt.execute("SELECT pg_catalog.set_config('search_path', %s, false)", (path,))
                problem = check(rt)
                if problem is not None:
                    raise MigrationError(
                        f"after loading the backup {problem}; nothing was changed", file=dump
                    )
                rt.commit()
            except BaseException:
                rt.rollback()
                raise
        finally:
            if not locked:
                rt.release_lock()
    except MigrationError as exc:
        raise MigrationError(
            f"restoring the backup failed and was rolled back ({exc.message}); the database is as it "
            f"was before the restore",
            file=exc.file or dump,
        ) from exc
    except Exception as exc:
        raise MigrationError(
            f"restoring the backup failed and was rolled back ({rt.error(exc)}); the database is as it "
            "was before the restore",
            file=dump,
        ) from exc
    finally:
        rt.close()
    return (
        f"restored the whole-database backup {dump} in one transaction; the state it replaced is kept "
        f"in {current}; {_compare_after(url, dump)}"
    )


def _user_relations(rt: Runtime, kinds: str) -> list[str]:
    rows = rt.query(
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE c.relkind IN {kinds} AND n.nspname NOT IN {_SYSTEM_SCHEMAS} AND n.nspname NOT LIKE 'pg_temp%' "
        "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
        "AND d.objid = c.oid AND d.deptype = 'e') ORDER BY 1"
    )
    return [str(r[0]) for r in rows]


def _drop_user_objects(rt: Runtime, kept_extensions: set[str]) -> None:
    """Every object of the user schemas dropped, so the backup loads into what it came from.

    Schemas other than ``public`` go whole (the dump creates them again); ``public`` itself stays
    (a database's default schema, with its owner and privileges) and loses its contents.
    Extensions the backup installs again (``CREATE EXTENSION IF NOT EXISTS``) stay, with their
    objects: only those the run added go. Publications and event triggers go too (the dump makes
    them again). Large objects are not in the backup and stay as they are. Not covered: collations, operators and text-search objects of
    ``public`` outside an extension (the load then fails, and the transaction rolls back)."""
    # Objects of the database itself, which the dump creates again without IF NOT EXISTS.
    for (pub,) in rt.query("SELECT quote_ident(pubname) FROM pg_publication"):
        rt.execute(f"DROP PUBLICATION IF EXISTS {pub}")
    for (evt,) in rt.query(
        "SELECT quote_ident(evtname) FROM pg_event_trigger o WHERE NOT EXISTS "
        "(SELECT 1 FROM pg_depend d WHERE d.objid = o.oid AND d.deptype = 'e')"
    ):
        rt.execute(f"DROP EVENT TRIGGER IF EXISTS {evt}")
    for (ext,) in rt.query("SELECT quote_ident(extname) FROM pg_extension WHERE extname <> 'plpgsql'"):
        if str(ext) not in kept_extensions:
            rt.execute(f"DROP EXTENSION IF EXISTS {ext} CASCADE")
    for (schema,) in rt.query(
        f"SELECT quote_ident(nspname) FROM pg_namespace WHERE nspname NOT IN {_SYSTEM_SCHEMAS} "
        "AND nspname <> 'public' AND nspname NOT LIKE 'pg_temp%' AND nspname NOT LIKE 'pg_toast%' "
        "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass "
        "AND d.objid = pg_namespace.oid AND d.deptype = 'e')"
    ):
        rt.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    not_ext = "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = o.oid AND d.deptype = 'e')"
    for kind, relkinds in (
        ("VIEW", "('v')"),
        ("MATERIALIZED VIEW", "('m')"),
        ("FOREIGN TABLE", "('f')"),
        ("TABLE", "('r', 'p')"),
        ("SEQUENCE", "('S')"),
    ):
        for rel in _user_relations(rt, relkinds):
            rt.execute(f"DROP {kind} IF EXISTS {rel} CASCADE")
    for (routine,) in rt.query(
        "SELECT o.oid::regprocedure::text FROM pg_proc o WHERE o.pronamespace = 'public'::regnamespace "
        f"{not_ext}"
    ):
        rt.execute(f"DROP ROUTINE IF EXISTS {routine} CASCADE")
    for typ, domain in rt.query(
        "SELECT format('%I.%I', 'public', o.typname), o.typtype = 'd' FROM pg_type o "
        "WHERE o.typnamespace = 'public'::regnamespace AND o.typtype IN ('e', 'd', 'r', 'c', 'm') "
        "AND (o.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = o.typrelid) = 'c') "
        f"{not_ext}"
    ):
        rt.execute(f"DROP {'DOMAIN' if domain else 'TYPE'} IF EXISTS {typ} CASCADE")


def _precheck(dump: Path) -> set[str]:
    """Read the whole backup once before anything changes: it must be text, end as a complete
    pg_dump ends, and it names the extensions it installs again."""
    extensions: set[str] = set()
    tail: list[str] = []
    try:
        with dump.open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("CREATE EXTENSION"):
                    extensions |= set(_EXTENSION.findall(line))
                elif _TRANSACTION.match(line):
                    raise MigrationError(
                        f"the backup holds a transaction statement ({line.strip()}) that would end the "
                        "restore's one transaction; nothing was changed",
                        file=dump,
                    )
                tail = [*tail[-9:], line]
    except (OSError, UnicodeDecodeError) as exc:
        raise MigrationError(f"the backup cannot be read ({exc}); nothing was changed", file=dump) from exc
    if not any(_COMPLETE in t for t in tail):
        raise MigrationError("the backup is incomplete (no end-of-dump line); nothing was changed", file=dump)
    return extensions


def _load(rt: Runtime, dump: Path) -> dict[str, int]:
    """Run a plain pg_dump file on ``rt``'s connection, streamed: its SQL as psql would send it,
    its ``COPY … FROM stdin`` blocks through COPY. Any psql meta-command but ``\\restrict`` is
    refused: the file is parity's own backup, and nothing else belongs in it. Returns the rows
    copied into each table."""
    from psycopg.pq import TransactionStatus

    INTRANS = TransactionStatus.INTRANS
    conn: Any = rt.conn  # type: ignore[attr-defined]
    sql: list[str] = []
    copied: dict[str, int] = {}

    def flush() -> None:
        body = "".join(sql)
        sql.clear()
        if body.strip():
            conn.execute(body)
            if conn.info.transaction_status != INTRANS:
                # Checked before too (_precheck): a backup must not end the restore's transaction.
                raise MigrationError("the backup ended the restore's transaction", file=dump)

    number = 0  # the line's number in the file, COPY data included
    with dump.open(encoding="utf-8") as fh:
        for line in fh:
            number += 1
            bare = line.rstrip("\n")
            if _RESTRICT.match(bare):
                continue
            if bare.startswith("\\"):
                raise MigrationError(
                    f"the backup holds a psql command parity does not run (line {number})", file=dump
                )
            if not _COPY.match(bare):
                sql.append(line)
                continue
            flush()
            ended, start, table = False, number, _COPY.match(bare).group(1)  # type: ignore[union-attr]
            copied[table] = copied.get(table, 0)
            with conn.cursor() as cur, cur.copy(bare) as copy:
                for row in fh:
                    number += 1
                    if row.rstrip("\n") == "\\.":
                        ended = True
                        break
                    copy.write(row)
                    copied[table] += 1
                if not ended:
                    # Raised inside the COPY: it is aborted, and with it the transaction.
                    raise MigrationError(f"the backup's COPY at line {start} never ends", file=dump)
    flush()
    return copied


def _check_counts(rt: Runtime, copied: dict[str, int], dump: Path) -> None:
    """Each table holds exactly the rows the backup copied into it (a trigger or a rule the
    backup brought back could otherwise have changed them), read inside the restore's
    transaction: a difference rolls the restore back."""
    wrong = [
        f"{table} ({n} row(s), the backup has {rows})"
        for table, rows in copied.items()
        if (n := int(rt.scalar(f"SELECT count(*) FROM {table}"))) != rows
    ]
    if wrong:
        raise MigrationError(f"after loading the backup the row counts differ: {', '.join(wrong)}", file=dump)


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not _RESTRICT.match(line.rstrip("\n")):
                yield line


def _compare_after(url: str, dump: Path) -> str:
    """The restored database dumped again and compared with the backup, line for line (without
    pg_dump's per-dump ``\\restrict`` keys)."""
    after = dump.with_name(f"after-restore-{_stamp()}.sql")
    try:
        _pg_dump(url, after)
        differ = sum(1 for a, b in zip_longest(_lines(dump), _lines(after)) if a != b)
    except (MigrationError, OSError, UnicodeDecodeError) as exc:
        return f"the restored database could NOT be compared with the backup ({exc})"
    if not differ:
        after.unlink()
        return "a pg_dump of the restored database is identical to the backup"
    # After the commit: a write by the application since then differs too, so this is said, not undone.
    return (
        f"a pg_dump of the restored database is NOT identical to the backup: {differ} line(s) differ "
        f"(compare {after} with the backup; writes since the restore differ too)"
    )


# --- MySQL / MariaDB ---------------------------------------------------------------------------


def _mysql_restore(url: str, bk: Backup, check: HistoryCheck, *, lock_timeout: float, locked: bool) -> str:
    from parity.migrate import mysql_backup
    from parity.migrate.runtime import open_runtime

    # The state the restore replaces, first (rows written since the apply), into a sibling folder.
    current = bk.folder / f"before-restore-{_stamp()}"
    os.mkdir(current, 0o700)
    rt = open_runtime(url, read_only=True, lock_timeout=lock_timeout)
    try:
        mysql_backup.take(rt, current, rt.table_names())
    finally:
        rt.close()

    def load(folder: Path) -> mysql_backup.Restored:
        return mysql_backup.restore(
            url,
            folder,
            versions=(),
            statements=(),
            lock_timeout=lock_timeout,
            drop_created=True,
            take_lock=not locked,
        )

    try:
        done = load(bk.folder)
        rt = open_runtime(url, lock_timeout=lock_timeout)
        try:
            problem = check(rt)
        finally:
            rt.close()
        if problem is not None:
            raise MigrationError(f"after restoring the backup {problem}", file=bk.folder)
    except MigrationError as exc:
        # Not one transaction here: what the failed restore did is undone from the dump just
        # taken, so the database is again as it was before the restore.
        try:
            load(current)
        except MigrationError as back:
            raise MigrationError(
                f"restoring the backup failed ({exc.message}), and putting back the state before it "
                f"failed too ({back.message}); both backups are intact: {bk.folder} and {current}",
                file=bk.folder,
            ) from exc
        raise MigrationError(
            f"restoring the backup failed ({exc.message}); the database is as it was before the "
            f"restore (put back from {current} and verified)",
            file=exc.file or bk.folder,
        ) from exc
    dropped = f", dropped {', '.join(done.dropped)} (created by the run)" if done.dropped else ""
    return (
        f"restored {len(done.tables)} table(s) from the {done.method} backup in {bk.folder}{dropped}; "
        "definitions, triggers, row counts and content digests equal the backup's (not one transaction: "
        f"MySQL DDL commits by itself; a restore cut short reruns from the same backup); the state it "
        f"replaced is kept in {current}"
    )
