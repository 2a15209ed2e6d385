"""``parity_schema_history``: which migration ran when, by whom, how long, and whether it succeeded.

One row per version. A failed attempt is recorded (``success`` false) after its transaction
rolled back; the next successful attempt replaces that row in the same transaction as the
migration itself, so the table never claims a version the schema does not have.
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


@dataclass(frozen=True, slots=True)
class Applied:
    version: str
    name: str
    checksum: str
    applied_at: str
    duration_ms: int
    applied_by: str
    success: bool


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
        f"success {rt.bool_type} NOT NULL)"
    )


def read(rt: Runtime) -> dict[str, Applied]:
    """All rows by version; empty when the table does not exist (never creates it)."""
    if not exists(rt):
        return {}
    rows = rt.query(
        f"SELECT version, name, checksum, applied_at, duration_ms, applied_by, success FROM {TABLE}"
    )
    out = {}
    for v, n, c, at, d, by, ok in rows:
        out[str(v)] = Applied(str(v), n, c, str(at), int(d), by, bool(ok))
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
) -> None:
    """Replace the row of ``version`` (a failed attempt's row is overwritten by the retry).

    Where DDL is transactional the table is created here, in the caller's transaction."""
    if rt.transactional_ddl:
        create(rt)
    p = rt.param
    rt.execute(f"DELETE FROM {TABLE} WHERE version = {p}", (version,))
    at: object = started.isoformat(timespec="milliseconds") if rt.timestamp_type != "TIMESTAMPTZ" else started
    rt.execute(
        f"INSERT INTO {TABLE} (version, name, checksum, applied_at, duration_ms, applied_by, success) "
        f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p})",
        (version, name, checksum, at, duration_ms, by or who(), success),
    )


def remove(rt: Runtime, version: str) -> None:
    rt.execute(f"DELETE FROM {TABLE} WHERE version = {rt.param}", (version,))
