"""``parity_schema_history``: which migration ran when, by whom, how long, and whether it succeeded.

One row per version. A failed attempt is recorded (``success`` false) after its transaction
rolled back; the next successful attempt replaces that row in the same transaction as the
migration itself, so the table never claims a version the schema does not have.

Where DDL is not transactional (MySQL/MariaDB) a migration can fail after some of its statements
committed: ``statements_done`` then holds how many did, and the migration is *half-applied*
(neither old nor new version) until ``migrate rollback`` restores the backup taken before it.
Tables made before that column existed get it on the first write (``create``).
"""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from parity.migrate.runtime import Runtime

TABLE = "parity_schema_history"
PARTIAL_COLUMN = "statements_done"


@dataclass(frozen=True, slots=True)
class Applied:
    version: str
    name: str
    checksum: str
    applied_at: str
    duration_ms: int
    applied_by: str
    success: bool
    #: statements of a failed attempt that committed before the failure (None: none did)
    statements_done: int | None = None

    @property
    def partial(self) -> bool:
        """A failed attempt that left some of its statements applied (half-applied)."""
        return not self.success and bool(self.statements_done)


def exists(rt: Runtime) -> bool:
    return rt.has_table(TABLE)


def create(rt: Runtime) -> None:
    """Create the history table if it is missing (idempotent, safe under concurrent runners)."""
    rt.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        "version VARCHAR(32) NOT NULL PRIMARY KEY, "
        "name VARCHAR(255) NOT NULL, "
        "checksum VARCHAR(64) NOT NULL, "
        f"applied_at {rt.timestamp_type} NOT NULL, "
        "duration_ms INTEGER NOT NULL, "
        "applied_by VARCHAR(255) NOT NULL, "
        f"success {rt.bool_type} NOT NULL, "
        "statements_done INTEGER NULL)"
    )
    if PARTIAL_COLUMN not in rt.column_names(TABLE):
        rt.execute(f"ALTER TABLE {TABLE} ADD COLUMN {PARTIAL_COLUMN} INTEGER NULL")


def read(rt: Runtime) -> dict[str, Applied]:
    """All rows by version; empty when the table does not exist (never creates it)."""
    if not exists(rt):
        return {}
    done = PARTIAL_COLUMN if PARTIAL_COLUMN in rt.column_names(TABLE) else "NULL"
    rows = rt.query(
        f"SELECT version, name, checksum, applied_at, duration_ms, applied_by, success, {done} FROM {TABLE}"
    )
    out = {}
    for v, n, c, at, d, by, ok, k in rows:
        out[str(v)] = Applied(str(v), n, c, str(at), int(d), by, bool(ok), int(k) if k else None)
    return out


def who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"{user}@{socket.gethostname()}"


def now() -> datetime:
    return datetime.now(UTC)


def record(
    rt: Runtime,
    *,
    version: str,
    name: str,
    checksum: str,
    started: datetime,
    duration_ms: int,
    success: bool,
    by: str | None = None,
    statements_done: int | None = None,
) -> None:
    """Replace the row of ``version`` (a failed attempt's row is overwritten by the retry).

    Where DDL is transactional the table is created here, in the caller's transaction."""
    if rt.transactional_ddl:
        create(rt)
    p = rt.param
    rt.execute(f"DELETE FROM {TABLE} WHERE version = {p}", (version,))
    at: object = started.isoformat(timespec="milliseconds") if rt.timestamp_type != "TIMESTAMPTZ" else started
    rt.execute(
        f"INSERT INTO {TABLE} (version, name, checksum, applied_at, duration_ms, applied_by, success, "
        f"{PARTIAL_COLUMN}) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
        (version, name, checksum, at, duration_ms, by or who(), success, statements_done or None),
    )


def remove(rt: Runtime, version: str) -> None:
    rt.execute(f"DELETE FROM {TABLE} WHERE version = {rt.param}", (version,))
