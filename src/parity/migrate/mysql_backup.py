"""MySQL/MariaDB: a backup of the tables a migration touches, and a verified restore from it.

DDL commits implicitly there, so a migration that fails halfway keeps its first statements and
neither a rerun nor its down migration can be trusted on that state: the backup is the way back.

The backup folder (0700, every file 0600) holds ``tables.json``, the record of the backup, and
the rows in one of two forms, chosen when the backup is taken:

* ``tables.sql``: ``mariadb-dump``/``mysqldump --single-transaction`` of the tables when one is
  on PATH (and works against this server); restored with the ``mariadb``/``mysql`` client.
* ``rows-NNNN.jsonl``: parity's own dump otherwise (or when the dump tool fails), one file per
  table, one JSON array per row, read in one consistent snapshot with the server's text for each
  value (so DECIMAL, DATETIME(6), JSON, utf8mb4 come back exactly), bytes as base64, FLOAT read as
  DOUBLE (its text form is exact; FLOAT's six digits are not), TIMESTAMP in UTC; restored by
  ``SHOW CREATE TABLE``'s statement, batched inserts, then the triggers.

``tables.json`` records, per table, its ``SHOW CREATE TABLE``, its triggers, its row count and
content digest (:func:`parity.verify.integrity.digest_table`), taken in one consistent snapshot:
a restore is checked against them, table by table.

Credentials: the client tools get a 0600 option file through ``--defaults-file`` (only that
file is read, so a ``~/.my.cnf`` cannot send the dump or the restore to another server), removed
afterwards. ``MYSQL_PWD`` is not used: MySQL 8 deprecates it, and every process the tool starts
would inherit it.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from parity.errors import MigrationError

if TYPE_CHECKING:
    from parity.migrate.backup import Backup
    from parity.migrate.runtime import Runtime

RECORD = "tables.json"
DUMP = "tables.sql"
DUMP_TOOLS = ("mariadb-dump", "mysqldump")
CLIENT_TOOLS = ("mariadb", "mysql")
BATCH = 1000  # rows per INSERT while restoring
TIMEOUT = 3600.0  # seconds a dump or a restore through the client may take

#: What the restore sessions set, as mysqldump's own output does: ids of 0 stay 0 (not the next
#: AUTO_INCREMENT value), TIMESTAMPs are written in the zone they were read in, and rows go in
#: before the foreign keys are checked (a child table may be restored before its parent).
SESSION = (
    "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'",
    "SET SESSION time_zone = '+00:00'",
    "SET SESSION foreign_key_checks = 0",
    "SET SESSION unique_checks = 0",
)


@dataclass(frozen=True, slots=True)
class TableRecord:
    name: str
    create: str  # SHOW CREATE TABLE
    #: (name, SHOW CREATE TRIGGER statement, timing + event + body), in firing order
    triggers: tuple[tuple[str, str, str], ...]
    columns: tuple[str, ...]  # stored columns, in order (generated ones are recomputed)
    floats: tuple[str, ...]  # FLOAT columns, read as DOUBLE
    rows: int
    digest: dict[str, Any]  # integrity.TableDigest fields
    file: str | None = None  # jsonl rows file


# --- taking the backup ---------------------------------------------------------------------------


def take(rt: Runtime, folder: Path, tables: Sequence[str]) -> Backup:
    """Back up ``tables`` of ``rt``'s database into ``folder`` (made private first)."""
    from parity.migrate.backup import Backup

    folder.chmod(0o700)
    tool = next((p for t in DUMP_TOOLS if (p := shutil.which(t))), None)
    why_not = ""
    if tool is not None:
        try:
            _dump_with(tool, rt.url, folder, tables)
        except MigrationError as exc:
            why_not = f"{Path(tool).name} failed ({exc.message}); "
            (folder / DUMP).unlink(missing_ok=True)
        else:
            _record(rt.url, folder, tables, with_rows=False, method=Path(tool).name)
            return Backup(
                folder,
                folder / RECORD,
                f"{Path(tool).name} of {len(tables)} table(s) ({', '.join(tables) or 'none'}) into "
                f"{folder}; `parity migrate rollback` restores them",
                restore_tables=True,
            )
    else:
        why_not = f"no {' or '.join(DUMP_TOOLS)} on PATH; "
    _record(rt.url, folder, tables, with_rows=True, method="jsonl")
    return Backup(
        folder,
        folder / RECORD,
        f"{why_not}parity's own dump (JSON lines) of {len(tables)} table(s) "
        f"({', '.join(tables) or 'none'}) into {folder}; `parity migrate rollback` restores them",
        restore_tables=True,
    )


def _private(path: Path) -> IO[str]:
    """``path`` opened for writing, created 0600 (never readable by others, not even briefly)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8", newline="\n")


def _record(url: str, folder: Path, tables: Sequence[str], *, with_rows: bool, method: str) -> None:
    """Write ``tables.json`` (and with ``with_rows`` the jsonl rows) from one consistent snapshot."""
    from parity.migrate.runtime import open_runtime
    from parity.verify import integrity

    rt = open_runtime(url, read_only=True)
    try:
        rt.execute("SET SESSION time_zone = '+00:00'")  # TIMESTAMPs as the restore writes them
        # One snapshot for every table: the DDL, the rows and the digests all describe one moment.
        rt.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        records = []
        for i, table in enumerate(tables, start=1):
            create = _show_create(rt, table)
            columns, floats = _stored_columns(rt, table)
            file = None
            if with_rows:
                file = f"rows-{i:04d}.jsonl"
                _write_rows(rt, table, columns, floats, folder / file)
            d = integrity.digest_table(rt, table)
            records.append(
                TableRecord(
                    table,
                    create,
                    _triggers(rt, table),
                    columns,
                    floats,
                    d.rows,
                    {"rows": d.rows, "columns": dict(d.columns), "order": d.order},
                    file,
                )
            )
        everything = rt.table_names()
        rt.execute("COMMIT")
    except Exception as exc:
        if isinstance(exc, MigrationError):
            raise
        raise MigrationError(
            f"cannot back up the tables ({rt.error(exc)}); nothing was changed", file=folder
        ) from exc
    finally:
        rt.close()
    data = {
        "method": method,
        "database": rt.database,  # type: ignore[attr-defined]
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "all_tables": everything,
        "tables": [
            {
                "name": r.name,
                "create": r.create,
                "triggers": [list(t) for t in r.triggers],
                "columns": list(r.columns),
                "floats": list(r.floats),
                "rows": r.rows,
                "digest": r.digest,
                "file": r.file,
            }
            for r in records
        ],
    }
    with _private(folder / RECORD) as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")


def _show_create(rt: Runtime, table: str) -> str:
    return str(rt.query(f"SHOW CREATE TABLE {rt.quote(table)}")[0][1])


def _stored_columns(rt: Runtime, table: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    rows = rt.query(
        "SELECT column_name, data_type, extra FROM information_schema.columns "
        "WHERE table_schema = DATABASE() AND table_name = %s ORDER BY ordinal_position",
        (table,),
    )
    stored = [r for r in rows if "GENERATED" not in str(r[2] or "").upper()]
    return tuple(r[0] for r in stored), tuple(r[0] for r in stored if str(r[1]).lower() == "float")


def _triggers(rt: Runtime, table: str) -> tuple[tuple[str, str, str], ...]:
    rows = rt.query(
        "SELECT trigger_name, action_timing, event_manipulation, action_statement "
        "FROM information_schema.triggers WHERE trigger_schema = DATABASE() "
        "AND event_object_table = %s ORDER BY action_timing, event_manipulation, action_order",
        (table,),
    )
    out = []
    for name, timing, event, body in rows:
        create = rt.query(f"SHOW CREATE TRIGGER {rt.quote(name)}")[0][2]  # SQL Original Statement
        out.append((str(name), str(create), f"{timing} {event} {body}"))
    return tuple(out)


@contextmanager
def _server_text(rt: Runtime) -> Iterator[Any]:
    """The connection with PyMySQL's conversions off: each value as the server's text (bytes for
    binary columns), which the server reads back into exactly the same value."""
    conn = rt.conn  # type: ignore[attr-defined]
    saved = conn.decoders
    conn.decoders = {}
    try:
        yield conn
    finally:
        conn.decoders = saved


def _select(rt: Runtime, table: str, columns: Sequence[str], floats: Sequence[str]) -> str:
    cols = ", ".join(f"CAST({rt.quote(c)} AS DOUBLE)" if c in floats else rt.quote(c) for c in columns)
    pk = rt.primary_key(table)
    order = f" ORDER BY {', '.join(rt.quote(c) for c in pk)}" if pk else ""
    return f"SELECT {cols} FROM {rt.quote(table)}{order}"


def _write_rows(rt: Runtime, table: str, columns: Sequence[str], floats: Sequence[str], path: Path) -> None:
    import pymysql.cursors

    with _server_text(rt) as conn, _private(path) as fh:
        cur = conn.cursor(pymysql.cursors.SSCursor)  # streamed: a large table never sits in memory
        try:
            cur.execute(_select(rt, table, columns, floats))
            while batch := cur.fetchmany(5000):
                for row in batch:
                    fh.write(json.dumps([_encode(v) for v in row], ensure_ascii=False) + "\n")
        finally:
            cur.close()


def _encode(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {"b64": base64.b64encode(value).decode("ascii")}
    return value  # None or the server's text


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        return base64.b64decode(value["b64"])
    return value


# --- the client tools ----------------------------------------------------------------------------


@contextmanager
def _option_file(url: str) -> Iterator[Path]:
    """A 0600 ``[client]`` option file with the URL's credentials, removed on exit."""
    from parity.dialects.mysql.inspect import connect_args

    args = connect_args(url)
    lines = ["[client]", f"user={_opt(args['user'])}", f"password={_opt(args['password'])}"]
    if args.get("unix_socket"):
        lines.append(f"socket={_opt(args['unix_socket'])}")
    else:
        lines += [f"host={_opt(args['host'])}", f"port={int(args['port'])}", "protocol=TCP"]
    lines.append(f"default-character-set={_opt(args['charset'])}")
    fd, name = tempfile.mkstemp(prefix="parity-", suffix=".cnf")  # 0600, in the system temp folder
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _opt(value: str) -> str:
    """A value for a MySQL option file: double-quoted, with the escapes its reader knows."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def _run(args: list[str], *, stdin: IO[Any] | None = None, stdout: IO[Any] | None = None) -> None:
    try:
        proc = subprocess.run(
            args,
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MigrationError(f"{Path(args[0]).name}: {exc}") from exc
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        raise MigrationError(reason)


def _database(url: str) -> str:
    from parity.dialects.mysql.inspect import connect_args

    return str(connect_args(url).get("database", ""))


def _dump_with(tool: str, url: str, folder: Path, tables: Sequence[str]) -> None:
    if not tables:
        with _private(folder / DUMP):
            return
    with _option_file(url) as cnf, _private(folder / DUMP) as out:
        _run(
            [
                tool,
                f"--defaults-file={cnf}",  # must come first
                "--single-transaction",  # a consistent snapshot, no table locks
                "--skip-lock-tables",
                "--no-tablespaces",
                "--triggers",
                "--hex-blob",
                "--tz-utc",
                "--skip-dump-date",
                "--",
                _database(url),
                *tables,
            ],
            stdout=out,
        )


# --- restoring ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Restored:
    tables: tuple[str, ...]
    dropped: tuple[str, ...]  # tables the migration had created
    method: str
    taken_at: str


def read_record(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MigrationError(f"the backup record is unreadable ({exc})", file=folder / RECORD) from exc
    if not isinstance(data, dict) or not isinstance(data.get("tables"), list):
        raise MigrationError("the backup record is not one parity wrote", file=folder / RECORD)
    return data


def restore(
    url: str,
    folder: Path,
    *,
    versions: Sequence[str],
    statements: Sequence[str],
    lock_timeout: float,
    drop_created: bool = False,
    take_lock: bool = True,
) -> Restored:
    """Put the backed-up tables back as they were, drop the tables ``statements`` created (named
    there, absent at backup time), remove the history rows of ``versions``, and verify that every
    table's DDL, triggers, row count and content digest equal the backup's.

    Runs under the migration lock. Not atomic (DDL commits implicitly), but repeatable: a restore
    that stops halfway can simply run again, from the same backup.

    ``drop_created``: every table absent at backup time is dropped, named in ``statements`` or
    not (a backup of the whole database before an app tool's run: whatever is new is the run's).
    ``take_lock=False``: the caller holds the migration lock already."""
    from parity.migrate import history
    from parity.migrate.runtime import open_runtime

    data = read_record(folder)
    records = [_table_record(t) for t in data["tables"]]
    if data.get("database") not in (None, _database(url)):
        raise MigrationError(
            f"the backup is of database {data['database']!r}, not {_database(url)!r}", file=folder
        )
    named = _words(statements)
    rt = open_runtime(url, lock_timeout=lock_timeout)
    try:
        if take_lock:
            rt.acquire_lock()
        try:
            for statement in SESSION:
                rt.execute(statement)
            before = {t.lower() for t in data.get("all_tables", [])} | {r.name.lower() for r in records}
            created = [
                t
                for t in rt.table_names()
                if t.lower() not in before and (drop_created or t.lower() in named)
            ]
            for t in created:
                rt.execute(f"DROP TABLE IF EXISTS {rt.quote(t)}")
            if data.get("method") == "jsonl":
                _restore_rows(rt, folder, records)
            elif records:
                _restore_dump(url, folder)
            _verify(rt, records, folder)
            for v in versions:
                history.remove(rt, v)
        finally:
            if take_lock:
                rt.release_lock()
    except MigrationError:
        raise
    except Exception as exc:
        raise MigrationError(
            f"restoring the backup failed ({rt.error(exc)}); the backup is intact: rerun "
            "`parity migrate rollback --yes` once the cause is fixed",
            file=folder,
        ) from exc
    finally:
        rt.close()
    return Restored(
        tuple(r.name for r in records), tuple(created), str(data.get("method")), str(data.get("taken_at"))
    )


def _table_record(d: dict[str, Any]) -> TableRecord:
    return TableRecord(
        str(d["name"]),
        str(d["create"]),
        tuple((str(n), str(s), str(b)) for n, s, b in d.get("triggers", [])),
        tuple(d.get("columns", [])),
        tuple(d.get("floats", [])),
        int(d["rows"]),
        dict(d["digest"]),
        d.get("file"),
    )


def _words(statements: Sequence[str]) -> set[str]:
    import sqlglot
    from sqlglot.errors import TokenError

    out: set[str] = set()
    for s in statements:
        try:
            out |= {t.text.lower() for t in sqlglot.tokenize(s, read="mysql")}
        except TokenError:
            out |= {w.lower() for w in re.findall(r"[\w$]+", s)}
    return out


def _restore_rows(rt: Runtime, folder: Path, records: Sequence[TableRecord]) -> None:
    for r in records:
        rt.execute(f"DROP TABLE IF EXISTS {rt.quote(r.name)}")
    for r in records:
        rt.execute(r.create)
    conn = rt.conn  # type: ignore[attr-defined]
    for r in records:
        if r.file is None or not r.columns:
            continue
        cols = ", ".join(rt.quote(c) for c in r.columns)
        marks = ", ".join(["%s"] * len(r.columns))
        sql = f"INSERT INTO {rt.quote(r.name)} ({cols}) VALUES ({marks})"
        rt.begin()
        with (folder / r.file).open(encoding="utf-8") as fh, conn.cursor() as cur:
            batch: list[list[Any]] = []
            for line in fh:
                batch.append([_decode(v) for v in json.loads(line)])
                if len(batch) >= BATCH:
                    cur.executemany(sql, batch)
                    batch.clear()
            if batch:
                cur.executemany(sql, batch)
        rt.commit()
    for r in records:
        # After the rows: a trigger must not fire on the restore's own inserts.
        for _, statement, _ in r.triggers:
            rt.execute(statement)


def _restore_dump(url: str, folder: Path) -> None:
    client = next((p for t in CLIENT_TOOLS if (p := shutil.which(t))), None)
    if client is None:
        raise MigrationError(
            f"the backup is a dump ({DUMP}) and neither {' nor '.join(CLIENT_TOOLS)} is on PATH to load it",
            file=folder / DUMP,
            hint="install the MariaDB/MySQL client and rerun `parity migrate rollback --yes`",
        )
    with _option_file(url) as cnf, (folder / DUMP).open("rb") as dump:
        try:
            _run([client, f"--defaults-file={cnf}", "--binary-mode", "--", _database(url)], stdin=dump)
        except MigrationError as exc:
            raise MigrationError(
                f"loading the dump failed ({exc.message}); the backup is intact: rerun "
                "`parity migrate rollback --yes` once the cause is fixed",
                file=folder / DUMP,
            ) from exc


_AUTO_INCREMENT = re.compile(r" AUTO_INCREMENT=\d+")


def _verify(rt: Runtime, records: Sequence[TableRecord], folder: Path) -> None:
    """Every restored table has the backup's DDL, triggers, row count and content digest."""
    from parity.verify import integrity

    wrong = []
    for r in records:
        if not rt.has_table(r.name):
            wrong.append(f"{r.name} (missing)")
            continue
        if _AUTO_INCREMENT.sub("", _show_create(rt, r.name)) != _AUTO_INCREMENT.sub("", r.create):
            wrong.append(f"{r.name} (definition)")
            continue
        if [(n, b) for n, _, b in _triggers(rt, r.name)] != [(n, b) for n, _, b in r.triggers]:
            wrong.append(f"{r.name} (triggers)")
            continue
        d = integrity.digest_table(rt, r.name)
        if d.rows != r.rows:
            wrong.append(f"{r.name} ({d.rows} rows, the backup has {r.rows})")
        elif dict(d.columns) != r.digest.get("columns"):
            wrong.append(f"{r.name} (content differs from the backup's digest)")
    if wrong:
        raise MigrationError(
            f"the restored tables do not match the backup: {', '.join(wrong)}; the backup is intact",
            file=folder,
        )
