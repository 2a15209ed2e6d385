"""Run versioned migrations exactly once, in order, under a lock.

The read-only questions (:meth:`Executor.status`, :meth:`Executor.pending`,
:meth:`Executor.applied`) open the database read-only and never create the history table;
only :meth:`Executor.up`, :meth:`Executor.down` and :meth:`Executor.baseline` write.

Exactly once: the run-wide lock (PostgreSQL advisory lock, MySQL ``GET_LOCK``) or the
per-migration ``BEGIN IMMEDIATE`` (SQLite) serialises runners, and the history is re-read
inside that lock before each migration, so a runner that waited skips what the other did.
Each migration and its history row commit in one transaction where the dialect allows it,
so a killed process leaves the database at the old or the new version.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from parity.errors import MigrationError, ParityError
from parity.faults import checkpoint
from parity.migrate import checksum, history
from parity.migrate.dir import Migration, load
from parity.migrate.runtime import DEFAULT_LOCK_TIMEOUT, Runtime, open_runtime
from parity.safefs import DEFAULT_MAX_FILE_BYTES, private_dir

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class MigrationState:
    """A migration of the folder and what the history says about it.

    ``state``: ``applied``, ``pending``, ``failed`` (last attempt failed and left nothing
    applied, will be retried), ``partial`` (last attempt failed after some of its statements
    committed: half-applied, refused until rolled back) or ``changed`` (applied, but the file's
    checksum differs from the recorded one).
    """

    version: str
    name: str
    state: str
    applied: history.Applied | None = None


@dataclass(frozen=True, slots=True)
class Status:
    url: str
    history_exists: bool
    migrations: tuple[MigrationState, ...]
    unknown: tuple[history.Applied, ...] = ()  # in the history, missing from the folder

    @property
    def pending(self) -> tuple[MigrationState, ...]:
        """Not applied yet (a half-applied one is not applied either)."""
        return tuple(m for m in self.migrations if m.state in ("pending", "failed", "partial"))

    @property
    def half_applied(self) -> tuple[MigrationState, ...]:
        return tuple(m for m in self.migrations if m.state == "partial")

    @property
    def current(self) -> str | None:
        done = [m.version for m in self.migrations if m.state in ("applied", "changed")]
        return done[-1] if done else None


@dataclass(frozen=True, slots=True)
class Step:
    """One migration run (or skipped) by ``up``/``down``/``baseline``."""

    version: str
    name: str
    direction: str  # "up" | "down" | "baseline"
    duration_ms: int
    skipped: bool = False  # another runner had already done it


@dataclass(frozen=True, slots=True)
class RunResult:
    url: str
    steps: tuple[Step, ...]
    backups: tuple[Path, ...] = ()
    own_writes: tuple[tuple[str, int], ...] = ()  # rows the run itself wrote, per table

    @property
    def ran(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if not s.skipped)


class Executor:
    """Migrations of ``folder`` against the database at ``url``."""

    def __init__(
        self,
        url: str,
        folder: Path,
        *,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    ) -> None:
        self.url = url
        self.folder = folder
        self.lock_timeout = lock_timeout
        self.max_file_bytes = max_file_bytes

    # --- read-only questions -----------------------------------------------------------------
    def migrations(self) -> tuple[Migration, ...]:
        return load(self.folder, self.max_file_bytes)

    def status(self) -> Status:
        """What is applied, pending, failed or changed. Opens the database read-only."""
        migrations = self.migrations()
        rt = open_runtime(self.url, read_only=True, lock_timeout=self.lock_timeout)
        try:
            exists = history.exists(rt)
            rows = history.read(rt) if exists else {}
        finally:
            rt.close()
        states = []
        for m in migrations:
            row = rows.get(m.version)
            if row is None:
                state = "pending"
            elif row.partial:
                state = "partial"
            elif not row.success:
                state = "failed"
            elif row.checksum != m.checksum:
                state = "changed"
            else:
                state = "applied"
            states.append(MigrationState(m.version, m.name, state, row))
        known = {m.version for m in migrations}
        unknown = tuple(r for v, r in sorted(rows.items()) if v not in known and r.success)
        return Status(rt.safe_url, exists, tuple(states), unknown)

    def pending(self) -> tuple[Migration, ...]:
        pend = {s.version for s in self.status().pending}
        return tuple(m for m in self.migrations() if m.version in pend)

    def refuse_half_applied(self) -> None:
        """Raise when a migration is half-applied (see :func:`refuse_half_applied`). Read-only."""
        refuse_half_applied(
            {s.version: s.applied for s in self.status().migrations if s.applied}, self.folder
        )

    def applied(self) -> tuple[history.Applied, ...]:
        return tuple(s.applied for s in self.status().migrations if s.applied and s.applied.success)

    # --- writers --------------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[Runtime]:
        rt = open_runtime(self.url, lock_timeout=self.lock_timeout)
        try:
            rt.acquire_lock()
            try:
                if not rt.transactional_ddl:
                    # Otherwise history.record creates it in the transaction of its first row:
                    # one commit (and fsync) fewer.
                    history.create(rt)
                yield rt
            finally:
                rt.release_lock()
        finally:
            rt.close()

    def _check(
        self, migrations: tuple[Migration, ...], rows: dict[str, history.Applied], *, partial_ok: bool = False
    ) -> None:
        by_version = {m.version: m for m in migrations}
        if not partial_ok:
            refuse_half_applied(rows, self.folder)
        for version, row in sorted(rows.items()):
            if not row.success:
                continue
            m = by_version.get(version)
            if m is None:
                raise MigrationError(
                    f"migration {version} ({row.name}) is applied but missing from the migrations folder",
                    file=self.folder,
                    hint="restore the file",
                )
            if m.checksum != row.checksum:
                raise MigrationError(
                    f"applied migration {m.label} was edited (checksum differs from the history)",
                    file=m.up_path,
                    hint="restore the file and write a new migration instead",
                )

    def up(self, to: str | None = None, progress: Progress | None = None) -> RunResult:
        """Apply every pending migration up to ``to`` (inclusive), each exactly once, in order."""
        checksum.verify(self.folder, self.max_file_bytes)
        migrations = self.migrations()
        target = _number(to) if to is not None else None
        steps: list[Step] = []
        with self._locked() as rt:
            self._check(migrations, history.read(rt))
            for m in migrations:
                if target is not None and m.number > target:
                    break
                row = history.read(rt).get(m.version)
                if row is not None and row.success:
                    continue
                if progress:
                    progress(f"applying {m.label}")
                steps.append(self._apply_one(rt, m))
            own = tuple(sorted(rt.own_writes.items()))
        return RunResult(_safe(self.url), tuple(steps), own_writes=own)

    def _apply_one(self, rt: Runtime, m: Migration) -> Step:
        sql = m.up_sql()
        statements = _split(rt, sql, m.up_path)
        started = history.now()
        t0 = time.monotonic()
        current: str | None = None  # the statement running when an error hits
        done = 0  # statements that ran to completion
        try:
            if m.transactional:
                rt.begin()
                # Re-read inside the lock: a runner that waited skips what the other applied.
                row = history.read(rt).get(m.version)
                if row is not None and row.success:
                    rt.rollback()
                    return Step(m.version, m.name, "up", 0, skipped=True)
            # Where each statement commits by itself, the history says before each one how far the
            # migration may have got, so a run killed part way reads as half-applied, not as never run.
            track = not (m.transactional and rt.transactional_ddl)
            for statement in statements:
                current = statement
                if track:
                    # A failed-attempt row: up to this statement may have committed (replaced by
                    # the success row, or by the exact count when a statement fails).
                    self._record_attempt(rt, m, started, t0, done + 1)
                rt.before_statement(statement)
                rt.execute(statement)
                done += 1
                checkpoint()
            current = None
            if not m.transactional or not rt.transactional_ddl:
                # Outside a transaction so far (or DDL ended it implicitly): the history row
                # and the checks still commit together.
                rt.begin()
            rt.before_commit()
            history.record(
                rt,
                version=m.version,
                name=m.name,
                checksum=m.checksum,
                started=started,
                duration_ms=_ms(t0),
                success=True,
            )
            rt.commit()
            checkpoint()
        except ParityError:
            rt.rollback()
            raise
        except Exception as exc:
            rt.rollback()
            # Where DDL commits implicitly, the statements before the failing one stay applied
            # (a single statement is atomic: InnoDB rolls a failed one back by itself).
            kept = 0 if (m.transactional and rt.transactional_ddl) else done
            self._record_failure(rt, m, started, t0, kept)
            if m.transactional and rt.transactional_ddl:
                undone, hint = "rolled back", None
            elif kept == 0:
                undone, hint = "nothing of it was applied (it failed on its first statement)", None
            else:
                undone = (
                    f"HALF-APPLIED: {kept} of {len(statements)} statements committed before it "
                    "(DDL is not transactional here) and were NOT rolled back"
                )
                hint = ROLLBACK_HINT
            line = _line_of(sql, current) if current is not None else None
            raise MigrationError(
                f"migration {m.label} failed: {rt.error(exc)}; {undone}; failure recorded in {history.TABLE}",
                file=m.up_path,
                line=line,
                hint=hint,
            ) from exc
        return Step(m.version, m.name, "up", _ms(t0))

    def _record_failure(self, rt: Runtime, m: Migration, started: object, t0: float, kept: int = 0) -> None:
        # Recording is best effort: the migration's own error is the one to report.
        with contextlib.suppress(Exception):
            self._record_attempt(rt, m, started, t0, kept)

    def _record_attempt(self, rt: Runtime, m: Migration, started: object, t0: float, statements: int) -> None:
        with rt.transaction():
            history.record(
                rt,
                version=m.version,
                name=m.name,
                checksum=m.checksum,
                started=started,  # type: ignore[arg-type]
                duration_ms=_ms(t0),
                success=False,
                statements_done=statements,
            )

    def baseline(self, version: str | None = None) -> RunResult:
        """Mark migrations up to ``version`` (default: all in the folder) as applied without running
        them: for a database that already has their effect and no history yet."""
        checksum.verify(self.folder, self.max_file_bytes)
        migrations = self.migrations()
        target = _number(version) if version is not None else None
        if target is not None and target not in {m.number for m in migrations}:
            raise MigrationError(f"no migration with version {version}", file=self.folder)
        steps = []
        with self._locked() as rt, rt.transaction():
            rows = history.read(rt)  # a half-applied one may be marked: it was finished by hand
            for m in migrations:
                if target is not None and m.number > target:
                    break
                if m.version in rows and rows[m.version].success:
                    continue
                history.record(
                    rt,
                    version=m.version,
                    name=m.name,
                    checksum=m.checksum,
                    started=history.now(),
                    duration_ms=0,
                    success=True,
                    by=f"baseline by {history.who()}",
                )
                steps.append(Step(m.version, m.name, "baseline", 0))
        return RunResult(_safe(self.url), tuple(steps))

    def down(
        self,
        to: str | None = None,
        *,
        force: bool = False,
        backup_dir: Path | None = None,
        progress: Progress | None = None,
        verify_sum: bool = True,
        include_partial: bool = False,
    ) -> RunResult:
        """Undo applied migrations newer than ``to`` (default: the last one), newest first.

        A down that drops a column or table holding data is refused unless ``force``; with
        ``force`` those values are first written to ``backup_dir`` as JSON lines.
        ``verify_sum=False`` is for the undo of a run that was killed while it generated files
        into the folder: ``parity.sum`` may not list them yet, and the applied migrations'
        own checksums are still checked against the history. ``include_partial`` undoes a
        half-applied migration by its down too (the undo of a killed run, where no table backup
        exists: parity's downs drop with ``IF EXISTS``, so they also fit a migration cut short).
        """
        if verify_sum:
            checksum.verify(self.folder, self.max_file_bytes)
        migrations = self.migrations()
        by_version = {m.version: m for m in migrations}
        steps: list[Step] = []
        backups: list[Path] = []
        with self._locked() as rt:
            rows = history.read(rt)
            self._check(migrations, rows, partial_ok=include_partial)
            done = sorted(
                (v for v, r in rows.items() if r.success or (include_partial and r.partial)), key=int
            )
            if not done:
                return RunResult(_safe(self.url), ())
            if to is None:
                targets = done[-1:]
            else:
                target = _number(to)
                targets = [v for v in done if int(v) > target]
            for version in reversed(targets):
                m = by_version[version]
                down_sql = m.down_sql()
                if down_sql is None:
                    raise MigrationError(f"migration {m.label} has no down file", file=m.up_path)
                statements = _split(rt, down_sql, m.down_path or m.up_path)
                losses = _data_losses(rt, statements)
                if losses and not force:
                    raise MigrationError(
                        f"down of {m.label} would drop data: {', '.join(losses)}",
                        file=m.down_path,
                        hint="rerun with --force to back the values up and drop them",
                    )
                if losses:
                    backups.extend(
                        _backup_values(
                            rt, statements, (backup_dir or Path(".parity/backups")) / f"down-{m.label}"
                        )
                    )
                if progress:
                    progress(f"reverting {m.label}")
                t0 = time.monotonic()
                try:
                    if m.down_transactional:
                        rt.begin()
                    for statement in statements:
                        rt.execute(statement)
                    if not rt.in_transaction or not rt.transactional_ddl:
                        rt.begin()
                    rt.before_commit()
                    history.remove(rt, m.version)
                    rt.commit()
                except ParityError:
                    rt.rollback()
                    raise
                except Exception as exc:
                    rt.rollback()
                    raise MigrationError(
                        f"down of {m.label} failed: {rt.error(exc)}",
                        file=m.down_path,
                        hint="the database is unchanged" if rt.transactional_ddl else None,
                    ) from exc
                steps.append(Step(m.version, m.name, "down", _ms(t0)))
        return RunResult(_safe(self.url), tuple(steps), tuple(backups))


ROLLBACK_HINT = (
    "`parity migrate rollback --yes` restores the backup `migrate up` took before it; "
    "if you finished it by hand instead: `parity migrate baseline --version N --yes`"
)


def refuse_half_applied(rows: dict[str, history.Applied], folder: Path) -> None:
    """Refuse to run anything over a half-applied migration: its schema is neither the old
    version nor the new one, so neither a rerun nor a down migration can be trusted on it."""
    for version, row in sorted(rows.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0):
        if row.partial:
            raise MigrationError(
                f"migration V{version}__{row.name} is half-applied: {row.statements_done} of its statements "
                f"committed before it failed ({row.applied_at}); refusing to run over it",
                file=folder,
                hint=ROLLBACK_HINT,
            )


def _safe(url: str) -> str:
    from parity.errors import redact_url

    return redact_url(url)


def _ms(t0: float) -> int:
    return int((time.monotonic() - t0) * 1000)


def _number(version: str) -> int:
    v = version[1:] if version[:1] in "vV" else version
    if not v.isdigit():
        raise MigrationError(f"'{version}' is not a migration version (e.g. 0002 or V0002)")
    return int(v)


def _split(rt: Runtime, sql: str, path: Path) -> list[str]:
    try:
        return rt.split(sql)
    except ParityError as exc:
        raise MigrationError(exc.message, file=path) from exc


def _line_of(script: str, statement: str) -> int | None:
    pos = script.find(statement[:60])
    return script.count("\n", 0, pos) + 1 if pos >= 0 else None


def _dropped(rt: Runtime, statements: list[str]) -> list[tuple[str, str | None]]:
    """(table, column) pairs a script drops; column None for a whole table."""
    import sqlglot
    from sqlglot import exp

    out: list[tuple[str, str | None]] = []
    for statement in statements:
        try:
            tree = sqlglot.parse_one(statement, read=rt.sqlglot_dialect)
        except Exception:
            continue
        if isinstance(tree, exp.Drop) and (tree.args.get("kind") or "").upper() == "TABLE":
            out.extend((t.name, None) for t in tree.args.get("tables") or [tree.this] if t is not None)
        elif isinstance(tree, exp.Alter):
            table = tree.this.name
            for action in tree.args.get("actions") or []:
                if isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN":
                    out.extend(
                        (table, c.name) for c in action.args.get("tables") or [action.this] if c is not None
                    )
    return out


def _data_losses(rt: Runtime, statements: list[str]) -> list[str]:
    losses = []
    tables = set(rt.table_names())
    for table, column in _dropped(rt, statements):
        if table not in tables:
            continue
        t = rt.quote(table)
        if column is None:
            if rt.scalar(f"SELECT count(*) FROM {t}"):
                losses.append(f"table {table} ({rt.scalar(f'SELECT count(*) FROM {t}')} rows)")
        elif column in rt.column_names(table):
            n = rt.scalar(f"SELECT count(*) FROM {t} WHERE {rt.quote(column)} IS NOT NULL")
            if n:
                losses.append(f"column {table}.{column} ({n} non-null values)")
    return losses


def _backup_values(rt: Runtime, statements: list[str], folder: Path) -> list[Path]:
    """Write what a forced down drops as JSON lines (key columns + dropped values), one file per object."""
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    private_dir(folder)
    written = []
    for table, column in _dropped(rt, statements):
        if table not in rt.table_names():
            continue
        cols = rt.column_names(table) if column is None else [*rt.primary_key(table), column]
        select = ", ".join(rt.quote(c) for c in dict.fromkeys(cols))
        path = folder / (f"{table}.jsonl" if column is None else f"{table}.{column}.jsonl")
        cur = rt._cursor_execute(f"SELECT {select} FROM {rt.quote(table)}", None)
        names = list(dict.fromkeys(cols))
        # Production rows: private to the owner whatever the umask (the folder is 0700 too).
        with open(
            os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600), "w", encoding="utf-8"
        ) as fh:
            while batch := cur.fetchmany(5000):
                for row in batch:
                    fh.write(json.dumps(dict(zip(names, row, strict=True)), default=str) + "\n")
        written.append(path)
    return written
