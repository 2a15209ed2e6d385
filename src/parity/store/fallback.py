"""The fallback still works: migrations replay from scratch on an empty SQLite database and give the
desired schema, and the declared fallback smoke command passes with the database URL unset.

Tests and local runs start from nothing: if replaying the migrations on SQLite fails or
yields another schema, a fresh setup differs from production before a line of code runs.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from parity.env.secrets import mask_text
from parity.errors import ParityError
from parity.model.schema import Schema

SMOKE_TIMEOUT = 120.0
OUTPUT_TAIL = 600  # characters of the smoke's output kept for the report


@dataclass(frozen=True, slots=True)
class ReplayResult:
    folder: Path
    migrations: int
    error: ParityError | None = None
    differences: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None and not self.differences


def _name_level_differences(replayed: Schema, desired: Schema) -> list[str]:
    """Across dialects types are spelled differently; tables and columns must still match."""
    out: list[str] = []
    rep = {t.name.lower(): t for t in replayed.tables}
    des = {t.name.lower(): t for t in desired.tables}
    for name, table in des.items():
        if name not in rep:
            out.append(f"table {table.name} is missing")
            continue
        have = {c.name.lower() for c in rep[name].columns}
        out.extend(
            f"column {table.name}.{c.name} is missing" for c in table.columns if c.name.lower() not in have
        )
        want = {c.name.lower() for c in table.columns}
        out.extend(
            f"column {table.name}.{c.name} is not in the desired schema"
            for c in rep[name].columns
            if c.name.lower() not in want
        )
    out.extend(f"table {t.name} is not in the desired schema" for n, t in rep.items() if n not in des)
    return out


def replay_on_sqlite(folder: Path, desired: Schema | None) -> ReplayResult:
    """Replay ``folder`` (``V0001__name.up.sql`` files, see :mod:`parity.migrate.dir`) on scratch SQLite."""
    from parity import dialects
    from parity.diff.compare import compare
    from parity.errors import MigrationError
    from parity.migrate.dir import load
    from parity.model.changes import ProductionOnly, describe
    from parity.schema.sources import replay_migrations, sql_files

    files: list[Path] = []
    try:
        try:
            files = [m.up_path for m in load(folder)]
        except MigrationError:
            # Not parity's V0001__name.up.sql naming (Flyway, hand-numbered files): name order.
            files = sql_files(folder)
        if not files:
            return ReplayResult(folder, 0)
        if desired is not None and desired.dialect != "sqlite":
            # The migrations are written for the production dialect (PostgreSQL's SET
            # lock_timeout, CONCURRENTLY …): SQLite cannot replay them, and the schema diff and
            # the migration executor already verify them on that dialect.
            return ReplayResult(folder, len(files))
        sqlite = dialects.get("sqlite")
        replayed = replay_migrations(files, sqlite)
    except ParityError as exc:
        return ReplayResult(folder, len(files), exc)
    if desired is None:
        return ReplayResult(folder, len(files))
    if desired.dialect == replayed.dialect:
        # Objects the declared schema lacks but a baseline of production carries are kept,
        # never dropped (the schema diff's rule): they are no gap of the fallback.
        diffs = [
            describe(c)
            for c in compare(replayed, desired, sqlite.compare_options)
            if not isinstance(c, ProductionOnly)
        ]
    else:
        diffs = _name_level_differences(replayed, desired)
    return ReplayResult(folder, len(files), None, tuple(diffs))


@dataclass(frozen=True, slots=True)
class SmokeResult:
    command: str
    returncode: int | None  # None: timed out or could not start
    output: str  # masked tail of stdout+stderr
    unset: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run_smoke(
    command: str, cwd: Path, unset: str, secrets: Iterable[str] = (), timeout: float = SMOKE_TIMEOUT
) -> SmokeResult:
    """Run ``command`` (a shell line from the project's own config) with ``unset`` removed from the env.

    The process env of whoever runs parity is passed on (PATH, the virtualenv), never the
    target environment's values: the fallback must work with no database configured at all.
    """
    env = {k: v for k, v in os.environ.items() if k != unset}
    try:
        proc = subprocess.run(
            command,
            shell=True,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or "") if isinstance(exc.stdout, str) else ""
        # Masked before the tail is cut: a secret cut at the edge would leave a piece behind.
        return SmokeResult(
            command, None, mask_text(f"timed out after {timeout:g}s\n{out}", secrets)[-OUTPUT_TAIL:], unset
        )
    except OSError as exc:
        return SmokeResult(command, None, f"cannot start: {exc.strerror}", unset)
    text = (proc.stdout + proc.stderr).strip()
    return SmokeResult(command, proc.returncode, mask_text(text, secrets)[-OUTPUT_TAIL:], unset)
