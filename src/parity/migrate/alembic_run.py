"""Bring a database to head through the application's own Alembic, inside parity's safety net.

An application with Alembic migrates with *its* revisions: parity runs them rather than planning
its own files beside them. The run is the one ``parity migrate up`` makes of its own files:
a backup first, the run-wide lock, a snapshot of every old table, Alembic's ``upgrade head``,
then verification that every old row is still there and readable, and a rollback on any failure.

Alembic runs in a child process (:mod:`parity.migrate.alembic_child`): ``env.py`` is the
repository's code and may import the application, set up logging or call ``sys.exit``; none of
that reaches parity's process. The child gets the target URL as ``sqlalchemy.url`` (what
Alembic's own templates read) and ``-x url=…``; an ``env.py`` that takes the URL from its own
settings must be pointed at the same database through them, and parity checks afterwards that
the target's ``alembic_version`` is what moved: a run that migrated some other database fails.

Rollback: on SQLite the backup file is restored (exact, and it undoes what a revision's
``downgrade`` may not, such as a batch rebuild). On PostgreSQL the standard ``env.py`` runs the
whole upgrade in one transaction, so a failing revision leaves nothing; anything committed (a
verification failure afterwards, an ``env.py`` with a transaction per revision, MySQL's
non-transactional DDL) is undone by ``alembic downgrade`` to the revision recorded before the
run, the app's own reverse path. When that downgrade fails (an app's downgrade is its code, and
can be broken) or leaves ``alembic_version`` elsewhere, the whole-database backup taken before
the run is loaded back (:mod:`parity.migrate.tool_backup`: on PostgreSQL in one transaction,
after a dump of the state it replaces); the result says which route undid the run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from parity.errors import MigrationError, redact_url
from parity.migrate import tool_backup
from parity.migrate.child import run_job
from parity.model.findings import Finding, Severity

if TYPE_CHECKING:
    from parity.migrate.backup import Backup
    from parity.migrate.runtime import Runtime
    from parity.project import Project
    from parity.schema.apptool import AlembicProject, Revision
    from parity.verify.integrity import Snapshot

Progress = Callable[[str], None]
VERSION_TABLE = "alembic_version"
#: The interpreter that runs Alembic: the application's own (its virtualenv has what env.py
#: imports) when named here, else parity's.
PYTHON_ENV = "PARITY_ALEMBIC_PYTHON"
_CHILD = Path(__file__).with_name("alembic_child.py")
_MARK = "@@parity-alembic@@"


def sqlalchemy_url(url: str) -> str:
    """parity's URL with the driver parity itself installs (SQLAlchemy's defaults, psycopg2 and
    mysqlclient, are not among parity's dependencies)."""
    for plain, driver in (
        ("postgresql://", "postgresql+psycopg://"),
        ("postgres://", "postgresql+psycopg://"),
        ("mysql://", "mysql+pymysql://"),
        ("mariadb://", "mysql+pymysql://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def _dialect_name(url: str) -> str:
    """SQLAlchemy's dialect name for offline SQL."""
    head = url.split(":", 1)[0].split("+", 1)[0].lower()
    return {"postgres": "postgresql", "mariadb": "mysql"}.get(head, head)


def run_child(
    alembic: AlembicProject, job: dict[str, str], *, url: str = "", environ: dict[str, str] | None = None
) -> dict[str, str]:
    """One Alembic job in a child process, in the folder of ``alembic.ini`` (where its relative
    paths, ``prepend_sys_path`` among them, are meant from). Errors come back redacted."""
    cwd = alembic.ini.parent if alembic.ini is not None else alembic.script_dir.parent
    payload = {
        **job,
        "script": str(alembic.script_dir),
        "ini": str(alembic.ini) if alembic.ini else "",
        "url": sqlalchemy_url(url) if url else "",
    }
    env = dict(os.environ) if environ is None else dict(environ)
    if url:
        # Many env.py files read the URL from the environment instead of alembic.ini.
        env["DATABASE_URL"] = sqlalchemy_url(url)
    python = os.environ.get(PYTHON_ENV) or sys.executable
    out: dict[str, str] = run_job(
        "Alembic", _CHILD, payload, mark=_MARK, python=python, cwd=cwd, env=env, file=alembic.script_dir
    )
    return out


def applied_revisions(url: str) -> tuple[str, ...] | None:
    """The revisions the target's ``alembic_version`` holds (read-only); None without the table."""
    from parity.migrate.runtime import open_runtime

    rt = open_runtime(url, read_only=True)
    try:
        if not rt.has_table(VERSION_TABLE):
            return None
        return tuple(sorted(str(r[0]) for r in rt.query(f"SELECT version_num FROM {VERSION_TABLE}")))
    finally:
        rt.close()


def _tables(url: str) -> set[str]:
    from parity.migrate.runtime import open_runtime

    rt = open_runtime(url, read_only=True)
    try:
        return set(rt.table_names())
    finally:
        rt.close()


def _has_tables(url: str) -> bool:
    return bool(_tables(url))


def offline_sql(alembic: AlembicProject, url: str, applied: Sequence[str]) -> str:
    """The SQL ``alembic upgrade <applied>:head --sql`` would print, generated from the revision
    files for the target's dialect without ``env.py`` and without a database connection.

    The revision files are still the repository's code: call this only on an explicit request
    (a dry run of ``apply`` / ``migrate up``), never from ``check`` or ``plan``."""
    if len(applied) > 1:
        raise MigrationError(
            "offline SQL needs a single starting revision; the database has several heads",
            file=alembic.script_dir,
        )
    job = {"op": "sql", "dialect": _dialect_name(sqlalchemy_url(url)), "start": applied[0] if applied else ""}
    environ = {k: v for k in _OFFLINE_ENV if (v := os.environ.get(k)) is not None}
    return run_child(alembic, job, environ=environ).get("sql", "")


@dataclass
class AlembicOutcome:
    """What :func:`upgrade` did. ``before``/``after``: the target's revisions around the run."""

    url: str
    before: tuple[str, ...]
    pending: tuple[Revision, ...]
    after: tuple[str, ...] = ()
    backup: Backup | None = None
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rolled_back: bool = False

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def changed(self) -> bool:
        return bool(self.pending) and not self.rolled_back


#: Verification codes that stay errors after the app's revisions ran: a table gone, a row count
#: changed, a broken file. A column's content or presence is what a revision may change on
#: purpose (a key turned from integer to UUID rewrites it and reorders every row digested by
#: it; a rename drops the old name): reviewed application code, reported as a warning.
_ALEMBIC_ERRORS = frozenset({"VER001", "VER002", "VER005", "VER006"})


def _as_alembic_check(f: Finding) -> Finding:
    from dataclasses import replace

    if f.severity is not Severity.ERROR or f.code in _ALEMBIC_ERRORS:
        return f
    return replace(
        f,
        severity=Severity.WARNING,
        message=f"{f.message} (by the app's own revisions; every old row is still there and was read back)",
    )


def tool_run_findings(
    before: Snapshot, after: Snapshot, pending: Sequence[Revision], url: str
) -> list[Finding]:
    """Verification of a run of the app's own tool (Alembic or Django): :func:`integrity.compare`,
    a fall in row count that a pending migration's code makes on purpose as a warning naming it
    (:mod:`parity.migrate.tool_deletes`), and what a revision may change on purpose as a warning."""
    from parity.migrate import tool_deletes
    from parity.verify import integrity

    found = list(integrity.compare(before, after))
    if any(f.code == "VER002" for f in found):
        deletes = tool_deletes.deleting_migrations(pending)
        if deletes:
            fks = tool_deletes.foreign_keys(url, [t.table for t in before.tables])
            found = tool_deletes.excuse_deletes(
                found, before, after, tool_deletes.with_referencing(deletes, fks)
            )
    return [_as_alembic_check(f) for f in _rekeyed(found, before, after)]


def _rekeyed(found: list[Finding], before: Snapshot, after: Snapshot) -> list[Finding]:
    """One VER004 for a table whose key column (the order its rows are digested in) the revisions
    rewrote, instead of one per column: the template's ``d98dd8ec85a3`` turns integer ids into
    fresh UUIDs, which reorders every row, so each other column's digest differs too although
    no value of it changed. That can be told, not compared: said so, naming those columns."""
    from dataclasses import replace

    out = list(found)
    for b in before.tables:
        a = after.table(b.table)
        key = b.order
        if a is None or key is None or a.rows != b.rows or a.order != key:
            continue
        if a.column(key) in (None, b.column(key)):
            continue
        others = [c for c, d in b.columns if c != key and a.column(c) not in (None, d)]
        mine = [f for f in out if f.code == "VER004" and f.key == b.table]
        lead = next((f for f in mine if f"{b.table}.{key} " in f.message), None)
        if lead is None or not others:
            continue
        said = replace(
            lead,
            message=f"content of column {b.table}.{key} changed during the migration: it is the key the rows "
            f"are compared in, so {b.table}'s other old columns ({', '.join(others)}) were read back in full "
            f"({a.rows} rows) but could not be compared row by row",
        )
        dropped = {id(f) for f in mine}
        out = [said if f is lead else f for f in out if f is lead or id(f) not in dropped]
    return out


def _job(alembic: AlembicProject, op: str, to: str) -> dict[str, str]:
    """An upgrade/downgrade job. Flask-Migrate's env.py takes its engine from the running Flask
    app (``current_app``), which parity does not start: its revision files run in parity's own
    Alembic environment instead, connected to the target."""
    job = {"op": op, "to": to}
    if alembic.flask:
        job["direct"] = "1"
    return job


def _failure(message: str, environment: str, fix: str | None = None) -> Finding:
    return Finding("APL001", Severity.ERROR, "migrate", message, environment=environment, fix=fix)


def upgrade(
    project: Project,
    environment: str,
    url: str,
    alembic: AlembicProject,
    *,
    lock_timeout: float = 30.0,
    progress: Progress | None = None,
    before_write: Callable[[tuple[str, ...], Backup], None] | None = None,
) -> AlembicOutcome:
    """Back up, snapshot, ``alembic upgrade head``, verify; roll back on failure.

    ``before_write`` hears the revisions and the backup just before Alembic starts (the
    workflow's journal records them, so a killed run can still be undone)."""
    from parity.migrate import backup as mbackup
    from parity.migrate.runtime import open_runtime
    from parity.verify import integrity

    recorded = applied_revisions(url)
    before = recorded or ()
    pending = tuple(alembic.pending(set(before)))
    out = AlembicOutcome(redact_url(url), before, pending)
    if not pending:
        out.after = before
        out.notes.append(f"nothing to apply: {VERSION_TABLE} is at head {', '.join(alembic.heads)}")
        return out
    if recorded is None and _has_tables(url):
        out.findings.append(
            _failure(
                f"the database has tables but no {VERSION_TABLE}: Alembic would create them again; nothing was changed",
                environment,
                fix="once the schema matches revision R, record it with `alembic stamp R`",
            )
        )
        return out
    lock_rt = open_runtime(url, lock_timeout=lock_timeout)
    try:
        lock_rt.acquire_lock()  # a second parity runner on this database waits, then is refused
        rt = open_runtime(url, read_only=True, lock_timeout=lock_timeout)
        try:
            tables = [t for t in rt.table_names() if t not in integrity.OWN_TABLES and t != VERSION_TABLE]
            folder = mbackup.new_folder(project.root)
            if progress:
                progress(f"backing up into {project.rel(folder)}")
            # The whole database, alembic_version included: the way back when a downgrade fails.
            bk = tool_backup.take(rt, folder, rt.table_names())
            out.backup = bk
            before_snap = integrity.snapshot(rt, tables)
        finally:
            rt.close()
        if before_write is not None:
            before_write(before, bk)
        if progress:
            progress(f"alembic upgrade head ({len(pending)} revision(s))")
        error: str | None = None
        try:
            run_child(alembic, _job(alembic, "upgrade", "head"), url=url)
        except MigrationError as exc:
            error = exc.message
        except KeyboardInterrupt:
            # SIGTERM or Ctrl-C while Alembic ran (``subprocess`` has killed the child): what its
            # revisions committed so far is undone here, for ``migrate up`` as for ``apply``
            # (whose journal undo then finds nothing left), before the interrupt goes on.
            from parity.workflow.signals import Interrupted, shielded

            with shielded():
                try:
                    how = undo(alembic, url, before, bk, lock_timeout=lock_timeout, locked=True)
                except MigrationError as undo_error:
                    how = f"the undo did NOT finish ({undo_error.one_line()})"
            raise Interrupted(f"interrupted while Alembic ran; {how}") from None
        out.after = applied_revisions(url) or ()
        if error is None and sorted(out.after) != sorted(alembic.heads):
            error = (
                f"after `alembic upgrade head` the target's {VERSION_TABLE} is at "
                f"{', '.join(out.after) or 'none'}, not {', '.join(alembic.heads)}: env.py may take its URL "
                "from the application's settings and have migrated another database"
            )
        if error is not None:
            out.findings.append(_failure(f"migration failed: {error}", environment))
        else:
            rt = open_runtime(url, read_only=True, lock_timeout=lock_timeout)
            try:
                after_snap = integrity.snapshot(rt, [t for t in tables if rt.has_table(t)])
                out.findings.extend(tool_run_findings(before_snap, after_snap, pending, url))
                out.findings.extend(integrity.health(rt))
            finally:
                rt.close()
        if not out.ok:
            out.notes.append(
                "rolled back: " + undo(alembic, url, before, bk, lock_timeout=lock_timeout, locked=True)
            )
            out.rolled_back = True
            out.after = applied_revisions(url) or ()
            left = _tables(url) - set(tables) - {VERSION_TABLE}
            if left:
                # Where DDL commits statement by statement (MySQL/MariaDB), a revision that failed
                # half way left what it made before the error, and no downgrade knows of it.
                out.findings.append(
                    _failure(
                        f"left after the rollback: {', '.join(sorted(left))}, created by a revision that failed "
                        "half way (this database's DDL is not transactional); old tables are as they were",
                        environment,
                        fix="drop what that revision created by hand, fix the revision, then rerun",
                    )
                )
        else:
            how = (
                f"in parity's own Alembic environment ({alembic.script_dir.name}/env.py is Flask-Migrate's and "
                "needs the Flask app)"
                if alembic.flask
                else "through the app's env.py"
            )
            out.notes.append(
                f"applied {len(pending)} Alembic revision(s) {how}: "
                f"{', '.join(r.id for r in pending)}; {VERSION_TABLE} at {', '.join(out.after)}"
            )
        out.notes.append(bk.note)
    finally:
        lock_rt.release_lock()
        lock_rt.close()
    return out


def undo(
    alembic: AlembicProject,
    url: str,
    before: Sequence[str],
    bk: Backup | None,
    *,
    lock_timeout: float = 30.0,
    locked: bool = False,
) -> str:
    """Put the target back at ``before`` (nothing to do when Alembic's transaction already undid
    it): the backup taken before the run restored (the SQLite file; on PostgreSQL/MariaDB the
    whole-database backup, :mod:`parity.migrate.tool_backup`), else, without one, ``alembic
    downgrade`` to the recorded revision. ``locked``: the caller holds the run-wide lock."""
    from parity.migrate import backup as mbackup
    from parity.migrate.runtime import open_runtime

    if bk is not None and bk.restorable and bk.file is not None and bk.file.is_file():
        rt = open_runtime(url, read_only=True, lock_timeout=lock_timeout)
        path: Path = rt.path  # type: ignore[attr-defined]  # restorable backups are SQLite files
        rt.close()
        mbackup.restore_sqlite(bk.file, path, lock_timeout=lock_timeout)
        at = applied_revisions(url) or ()
        if sorted(at) != sorted(before):
            raise MigrationError(
                f"the restored backup {bk.file} has {VERSION_TABLE} at {', '.join(at) or 'none'}, not "
                f"{', '.join(before) or 'none'} where the run started",
                file=alembic.script_dir,
            )
        return f"undone by the backup restore: restored the backup {bk.file}"
    now = settled_revisions(url, lock_timeout=lock_timeout) or ()
    if sorted(now) == sorted(before):
        return f"nothing committed stayed ({VERSION_TABLE} still at {', '.join(before) or 'none'})"
    if tool_backup.restorable(bk):
        assert bk is not None
        # An app's downgrade is rarely an exact inverse (a data migration's reverse is a no-op, a
        # column comes back elsewhere or without its default): the backup taken before the run is.
        try:
            return _from_backup(
                alembic, url, before, bk, tool_backup.EXACT, lock_timeout=lock_timeout, locked=locked
            )
        except MigrationError as exc:
            # The restore changed nothing (one transaction): the app's own downgrade may still work.
            restore_failed = exc.message
    else:
        restore_failed = ""
    if len(before) > 1:
        raise MigrationError(
            f"the database had several Alembic heads ({', '.join(before)}); downgrade it by hand",
            file=alembic.script_dir,
        )
    target = before[0] if before else "base"
    kept = f"; the backup stays in {bk.folder}" if bk is not None else ""
    try:
        run_child(alembic, _job(alembic, "downgrade", target), url=url)
    except MigrationError as exc:
        at = applied_revisions(url) or ()
        why = (
            f"`alembic downgrade {target}` failed ({exc.message}); {VERSION_TABLE} is at "
            f"{', '.join(at) or 'none'}, the run started at {', '.join(before) or 'none'}"
        )
        # A restorable backup was tried before the downgrade: only its failure leads here.
        raise MigrationError(
            f"{why}{tool_backup.after_restore(restore_failed)}{kept}",
            file=alembic.script_dir,
            hint="fix the revision's downgrade, then `parity rollback` again (or restore the backup by hand)",
        ) from exc
    # Said undone only when the tool's own history says so: a downgrade that "succeeds" without
    # moving alembic_version back (an env.py pointed elsewhere) has not undone this run.
    at = applied_revisions(url) or ()
    if sorted(at) != sorted(before):
        why = (
            f"after `alembic downgrade {target}` {VERSION_TABLE} is at {', '.join(at) or 'none'}, not "
            f"{', '.join(before) or 'none'} where the run started"
        )
        raise MigrationError(
            f"{why}{tool_backup.after_restore(restore_failed)}{kept}", file=alembic.script_dir
        )
    return (
        f"undone by the tool's downgrade: ran `alembic downgrade {target}`; {VERSION_TABLE} back at "
        f"{', '.join(before) or 'none'}{kept}"
        + (f" (the backup restore failed first: {restore_failed})" if restore_failed else "")
    )


def history_check(before: Sequence[str]) -> tool_backup.HistoryCheck:
    """The restore's check that ``alembic_version`` holds ``before`` again."""

    def check(rt: Runtime) -> str | None:
        at = (
            tuple(sorted(str(r[0]) for r in rt.query(f"SELECT version_num FROM {VERSION_TABLE}")))
            if rt.has_table(VERSION_TABLE)
            else ()
        )
        if sorted(at) != sorted(before):
            return (
                f"{VERSION_TABLE} is at {', '.join(at) or 'none'}, not {', '.join(before) or 'none'} "
                "where the run started"
            )
        return None

    return check


def _from_backup(
    alembic: AlembicProject,
    url: str,
    before: Sequence[str],
    bk: Backup,
    why: str,
    *,
    lock_timeout: float,
    locked: bool,
) -> str:
    """The fallback when the app's own downgrade cannot undo the run: the whole-database backup."""
    try:
        how = tool_backup.restore(url, bk, history_check(before), lock_timeout=lock_timeout, locked=locked)
    except MigrationError as exc:
        raise MigrationError(
            f"{why}; {exc.message}",
            file=exc.file or alembic.script_dir,
            hint="fix the cause, then `parity rollback` again (the backup is intact)",
        ) from exc
    at = applied_revisions(url) or ()
    return f"undone by the backup restore ({why}): {how}; {VERSION_TABLE} back at {', '.join(at) or 'none'}"


def settled_revisions(url: str, *, lock_timeout: float = 30.0) -> tuple[str, ...] | None:
    """``alembic_version`` once no other transaction is still writing it.

    A killed Alembic child's session can outlive it on the server: a revision's transaction whose
    COMMIT was already sent still commits after parity's undo has looked. ``SELECT … FOR UPDATE``
    waits for that transaction to end (Alembic updates the row just before each commit), so the
    undo sees what stays. A session that never reached the row will roll back by itself."""
    from parity.migrate.runtime import open_runtime

    rt = open_runtime(url, lock_timeout=lock_timeout)
    try:
        if not rt.has_table(VERSION_TABLE):
            return None
        if rt.dialect == "sqlite":  # one writer at a time: a killed child's write is gone or done
            return tuple(sorted(str(r[0]) for r in rt.query(f"SELECT version_num FROM {VERSION_TABLE}")))
        rt.begin()
        try:
            rows = rt.query(f"SELECT version_num FROM {VERSION_TABLE} FOR UPDATE")
        finally:
            rt.rollback()
        return tuple(sorted(str(r[0]) for r in rows))
    finally:
        rt.close()


#: What a child generating offline SQL keeps of parity's environment: enough to start Python,
#: nothing that names a database (the revision files are the repository's code).
_OFFLINE_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR", "SYSTEMROOT")


@dataclass(frozen=True, slots=True)
class OfflinePlan:
    """The pending revisions' offline SQL, split by revision, and what parity's lint says of it."""

    sql: str
    by_revision: tuple[tuple[str, str], ...]
    findings: tuple[Finding, ...]


def split_by_revision(sql: str) -> list[tuple[str, str]]:
    """``-- Running upgrade a -> b`` sections of Alembic's offline output as ``(b, sql)``."""
    import re

    parts = re.split(r"^-- Running upgrade (?:[\w, ]*) -> ([\w, ]+)\s*$", sql, flags=re.MULTILINE)
    return [(parts[i].strip(), parts[i + 1].strip() + "\n") for i in range(1, len(parts) - 1, 2)]


def lint_offline(
    project: Project, alembic: AlembicProject, url: str, applied: Sequence[str], settings: object = None
) -> OfflinePlan:
    """Offline SQL of the pending revisions, linted with parity's rules, each finding naming the
    revision file it comes from. Raises :class:`MigrationError` when offline generation fails
    (a revision that needs a database, such as a data migration reading rows)."""
    from dataclasses import replace

    from parity import dialects
    from parity.plan.lint import LintSettings, lint_sql

    sql = offline_sql(alembic, url, applied)
    dialect = dialects.get(url).name
    lint_settings = settings if isinstance(settings, LintSettings) else LintSettings()
    chunks = split_by_revision(sql)
    findings: list[Finding] = []
    for rid, chunk in chunks:
        rev = alembic.revisions.get(rid)
        shown = project.rel(rev.file) if rev is not None else rid
        for f in lint_sql(chunk, dialect, transactional=True, settings=lint_settings):
            findings.append(
                replace(f, message=f"revision {rid} (offline SQL): {f.message}", file=shown, line=None)
            )
    return OfflinePlan(sql, tuple(chunks), tuple(findings))
