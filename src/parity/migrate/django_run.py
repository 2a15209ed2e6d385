"""Bring a database to head through the application's own Django migrations, in parity's safety net.

A Django app migrates with ``manage.py migrate``: parity runs that (a child process, the app's
interpreter, its settings) rather than planning its own files. The run is the one ``apply``
makes of Alembic revisions (:mod:`parity.migrate.alembic_run`): a backup, the run-wide lock, a
snapshot of every old table, the migrations, then verification that every old row is still
there, and a rollback on any failure.

The target: the child points Django's ``default`` database at the URL parity was given (engine,
name, host, user, password), whatever the settings read it from (``DB_NAME``, ``DATABASE_URL``,
dj-database-url…), and parity checks afterwards that *the target's* ``django_migrations`` lists
every migration of the checkout.

The interpreter: ``PARITY_APP_PYTHON`` (the app's virtualenv), else parity's own. Django must be
importable there; when it is not, nothing runs and the report says what to run by hand.

Rollback: on SQLite the backup file is restored. Elsewhere each migration ran in a transaction
of its own (Django's default), so those that committed are unapplied by Django itself:
``manage.py migrate APP NAME`` back to what each app had before the run (``zero`` for an app
that had none), the app's own reverse path; when that fails, the whole-database backup taken
before the run is loaded back (:mod:`parity.migrate.tool_backup`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from parity.errors import MigrationError, redact_url
from parity.migrate import tool_backup
from parity.migrate.child import run_job
from parity.model.findings import Finding, Severity
from parity.schema.django_settings import settings_module

if TYPE_CHECKING:
    from parity.migrate.backup import Backup
    from parity.migrate.runtime import Runtime
    from parity.project import Project
    from parity.schema.apptool import Revision
    from parity.schema.listed_tools import ListedTool

Progress = Callable[[str], None]
HISTORY = "django_migrations"
PYTHON_ENV = "PARITY_APP_PYTHON"
_CHILD = Path(__file__).with_name("django_child.py")
_MARK = "@@parity-django@@"
_ENGINES = {
    "sqlite": "django.db.backends.sqlite3",
    "postgresql": "django.db.backends.postgresql",
    "postgres": "django.db.backends.postgresql",
    "mysql": "django.db.backends.mysql",
    "mariadb": "django.db.backends.mysql",
}


@dataclass(frozen=True, slots=True)
class DjangoProject:
    """The migrations (from :mod:`parity.schema.listed_tools`) and how to run them."""

    tool: ListedTool
    manage_py: Path
    settings: str  # DJANGO_SETTINGS_MODULE as manage.py sets it ("" when it does not)

    @property
    def command(self) -> str:
        return "python manage.py migrate"


def find_django(root: Path) -> DjangoProject | None:
    from parity.schema.listed_tools import find_listed_tool, find_manage_py

    tool = find_listed_tool(root)
    if tool is None or tool.tool != "Django":
        return None
    manage = find_manage_py(root, tool.folder)
    if manage is None:
        return None
    return DjangoProject(tool, manage, settings_module(manage))


def django_database(url: str) -> dict[str, object]:
    """Django's ``DATABASES["default"]`` entries for ``url`` (PostgreSQL's libpq query options,
    ``sslmode`` and the like, as ``OPTIONS``)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    scheme = u.drivername.split("+", 1)[0]
    engine = _ENGINES.get(scheme)
    if engine is None:
        raise MigrationError(f"Django cannot be pointed at a '{scheme}' URL")
    if scheme == "sqlite":
        return {"ENGINE": engine, "NAME": u.database or ""}
    out: dict[str, object] = {
        "ENGINE": engine,
        "NAME": u.database or "",
        "USER": u.username or "",
        "PASSWORD": u.password or "",
        "HOST": u.host or "",
        "PORT": str(u.port or ""),
    }
    if scheme in ("postgresql", "postgres") and u.query:
        out["OPTIONS"] = {k: v if isinstance(v, str) else v[-1] for k, v in u.query.items()}
    return out


def read_only_database(url: str) -> dict[str, object]:
    """:func:`django_database` for a session that cannot write: SQLite opened ``mode=ro`` (Django
    opens its NAME as a URI), PostgreSQL ``default_transaction_read_only``, MySQL/MariaDB
    ``SET SESSION TRANSACTION READ ONLY``. For ``sqlmigrate``, which only reads the history."""
    db = django_database(url)
    options = dict(db.get("OPTIONS") or {})  # type: ignore[call-overload]
    engine = str(db["ENGINE"])
    if engine.endswith("sqlite3"):
        db["NAME"] = f"file:{db['NAME']}?mode=ro"
    elif engine.endswith("postgresql"):
        options["options"] = (
            str(options.get("options", "")) + " -c default_transaction_read_only=on"
        ).strip()
    elif engine.endswith("mysql"):
        options["init_command"] = "SET SESSION TRANSACTION READ ONLY"
    if options:
        db["OPTIONS"] = options
    return db


def run_child(
    django: DjangoProject, job: dict[str, object], *, url: str, read_only: bool = False
) -> dict[str, object]:
    """One Django job in a child process in the folder of ``manage.py``; errors come back redacted."""
    database = read_only_database(url) if read_only else django_database(url)
    payload = {**job, "settings": django.settings, "database": database}
    python = os.environ.get(PYTHON_ENV) or sys.executable
    return run_job(
        "Django",
        _CHILD,
        payload,
        mark=_MARK,
        python=python,
        cwd=django.manage_py.parent,
        env=dict(os.environ),
        file=django.manage_py,
    )


def django_available() -> str | None:
    """Django's version in the app's interpreter, or None when it cannot import Django. Isolated
    (``-I``): a ``django/`` folder in the repository is not what answers."""
    python = os.environ.get(PYTHON_ENV) or sys.executable
    try:
        proc = subprocess.run(
            [python, "-I", "-c", "import django; print(django.get_version())"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def applied(url: str) -> set[str] | None:
    """``app.name`` of every row of the target's ``django_migrations`` (read-only); None without it."""
    from parity.migrate.runtime import open_runtime

    rt = open_runtime(url, read_only=True)
    try:
        if not rt.has_table(HISTORY):
            return None
        return {f"{r[0]}.{r[1]}" for r in rt.query(f"SELECT app, name FROM {HISTORY}")}
    finally:
        rt.close()


def settled_applied(url: str, *, lock_timeout: float = 30.0) -> set[str] | None:
    """:func:`applied` once no other transaction is still writing ``django_migrations``: a killed
    ``manage.py migrate`` may have sent a migration's COMMIT (its history row inserted with it) that
    lands after the undo looked. On PostgreSQL a SHARE lock on the table waits for that writer."""
    from parity.migrate.runtime import open_runtime

    rt = open_runtime(url, lock_timeout=lock_timeout)
    try:
        if not rt.has_table(HISTORY):
            return None
        if rt.dialect != "postgres":
            return {f"{r[0]}.{r[1]}" for r in rt.query(f"SELECT app, name FROM {HISTORY}")}
        rt.begin()
        try:
            rt.execute(f"LOCK TABLE {HISTORY} IN SHARE MODE")
            return {f"{r[0]}.{r[1]}" for r in rt.query(f"SELECT app, name FROM {HISTORY}")}
        finally:
            rt.rollback()
    finally:
        rt.close()


def _tables(url: str) -> set[str]:
    from parity.migrate.runtime import open_runtime

    rt = open_runtime(url, read_only=True)
    try:
        return set(rt.table_names())
    finally:
        rt.close()


@dataclass
class DjangoOutcome:
    url: str
    before: set[str]
    pending: tuple[Revision, ...]
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


def _failure(message: str, environment: str, fix: str | None = None) -> Finding:
    return Finding("APL001", Severity.ERROR, "migrate", message, environment=environment, fix=fix)


def upgrade(
    project: Project,
    environment: str,
    url: str,
    django: DjangoProject,
    *,
    lock_timeout: float = 30.0,
    progress: Progress | None = None,
    before_write: Callable[[set[str], Backup], None] | None = None,
) -> DjangoOutcome:
    """Back up, snapshot, ``manage.py migrate``, verify; roll back on failure."""
    from parity.migrate import backup as mbackup
    from parity.migrate.alembic_run import tool_run_findings
    from parity.migrate.runtime import open_runtime
    from parity.verify import integrity

    recorded = applied(url)
    before = recorded or set()
    pending = tuple(django.tool.pending(before))
    out = DjangoOutcome(redact_url(url), before, pending)
    if not pending:
        out.notes.append(f"nothing to apply: {HISTORY} lists every migration of main")
        return out
    if recorded is None and _tables(url):
        out.findings.append(
            _failure(
                f"the database has tables but no {HISTORY}: Django would create them again; nothing was changed",
                environment,
                fix="once the schema matches the migrations, record them with `python manage.py migrate --fake`",
            )
        )
        return out
    version = django_available()
    if version is None:
        python = os.environ.get(PYTHON_ENV) or sys.executable
        out.findings.append(
            _failure(
                f"{len(pending)} Django migration(s) pending, and Django cannot be imported by {python}: "
                "nothing was changed",
                environment,
                fix=f"set {PYTHON_ENV} to the app's virtualenv python and rerun, or run "
                f"`{django.command}` there with the settings pointing at this database",
            )
        )
        return out
    lock_rt = open_runtime(url, lock_timeout=lock_timeout)
    try:
        lock_rt.acquire_lock()
        rt = open_runtime(url, read_only=True, lock_timeout=lock_timeout)
        try:
            tables = [t for t in rt.table_names() if t not in integrity.OWN_TABLES and t != HISTORY]
            folder = mbackup.new_folder(project.root)
            if progress:
                progress(f"backing up into {project.rel(folder)}")
            # The whole database, django_migrations included: the way back when migrating back fails.
            bk = tool_backup.take(rt, folder, rt.table_names())
            out.backup = bk
            before_snap = integrity.snapshot(rt, tables)
        finally:
            rt.close()
        if before_write is not None:
            before_write(before, bk)
        if progress:
            progress(f"manage.py migrate ({len(pending)} migration(s), Django {version})")
        error: str | None = None
        try:
            run_child(django, {"op": "migrate"}, url=url)
        except MigrationError as exc:
            error = exc.message
        except KeyboardInterrupt:
            # As for Alembic: SIGTERM or Ctrl-C while Django ran undoes what it committed first.
            from parity.workflow.signals import Interrupted, shielded

            with shielded():
                try:
                    how = undo(django, url, before, bk, lock_timeout=lock_timeout, locked=True)
                except MigrationError as undo_error:
                    how = f"the undo did NOT finish ({undo_error.one_line()})"
            raise Interrupted(f"interrupted while Django ran; {how}") from None
        left = django.tool.pending(applied(url) or set())
        if error is None and left:
            error = f"after `manage.py migrate` the target's {HISTORY} still lacks {', '.join(r.id for r in left[:5])}"
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
                "rolled back: " + undo(django, url, before, bk, lock_timeout=lock_timeout, locked=True)
            )
            out.rolled_back = True
        else:
            out.notes.append(
                f"applied {len(pending)} Django migration(s) with `manage.py migrate` (Django {version}): "
                f"{', '.join(r.id for r in pending)}"
            )
        out.notes.append(bk.note)
    finally:
        lock_rt.release_lock()
        lock_rt.close()
    return out


def targets_before(django: DjangoProject, before: set[str], now: set[str]) -> list[tuple[str, str]]:
    """``(app, migration)`` to migrate each app back to: its last migration applied before the
    run, ``zero`` for an app that had none; only apps the run moved. Later apps first."""
    moved = now - before
    apps: list[str] = []
    for m in django.tool.migrations:
        app = m.id.split(".", 1)[0]
        if m.id in moved and app not in apps:
            apps.append(app)
    out = []
    for app in reversed(apps):
        had = [m.id for m in django.tool.migrations if m.id.split(".", 1)[0] == app and m.id in before]
        out.append((app, had[-1].split(".", 1)[1] if had else "zero"))
    return out


def undo(
    django: DjangoProject,
    url: str,
    before: Sequence[str] | set[str],
    bk: Backup | None,
    *,
    lock_timeout: float = 30.0,
    locked: bool = False,
) -> str:
    """Put the target back as ``before`` found it: the backup taken before the run restored (the
    SQLite file; on PostgreSQL/MariaDB the whole-database backup, :mod:`parity.migrate.tool_backup`),
    else, without one, each moved app migrated back by Django (``manage.py migrate APP NAME``).
    ``locked``: the caller holds the run-wide lock."""
    from parity.migrate import backup as mbackup
    from parity.migrate.runtime import open_runtime

    if bk is not None and bk.restorable and bk.file is not None and bk.file.is_file():
        rt = open_runtime(url, read_only=True, lock_timeout=lock_timeout)
        path: Path = rt.path  # type: ignore[attr-defined]  # restorable backups are SQLite files
        rt.close()
        mbackup.restore_sqlite(bk.file, path, lock_timeout=lock_timeout)
        return f"undone by the backup restore: restored the backup {bk.file}"
    now = settled_applied(url, lock_timeout=lock_timeout) or set()
    targets = targets_before(django, set(before), now)
    if not targets:
        return f"nothing committed stayed ({HISTORY} as before)"
    if tool_backup.restorable(bk):
        assert bk is not None
        # Django reverses a RunPython data migration as a no-op unless it says otherwise: the
        # backup taken before the run is the exact way back.
        try:
            return _from_backup(url, before, bk, tool_backup.EXACT, lock_timeout, locked)
        except MigrationError as exc:
            # The restore changed nothing (one transaction): Django's own way back may still work.
            restore_failed = exc.message
    else:
        restore_failed = ""
    kept = f"; the backup stays in {bk.folder}" if bk is not None else ""
    try:
        for app, name in targets:
            run_child(django, {"op": "migrate", "app": app, "name": name}, url=url)
    except MigrationError as exc:
        # A restorable backup was tried before migrating back: only its failure leads here.
        if not restore_failed:
            raise
        raise MigrationError(
            f"{exc.message}{tool_backup.after_restore(restore_failed)}", file=exc.file, hint=exc.hint
        ) from exc
    # Said undone only when django_migrations says so (as for Alembic's alembic_version).
    left = targets_before(django, set(before), applied(url) or set())
    if left:
        why = f"after migrating back, {HISTORY} still has later migrations of " + ", ".join(
            a for a, _ in left
        )
        raise MigrationError(why + tool_backup.after_restore(restore_failed) + kept, file=django.manage_py)
    return (
        "undone by the tool's downgrade: ran "
        + ", ".join(f"`manage.py migrate {a} {n}`" for a, n in targets)
        + kept
        + (f" (the backup restore failed first: {restore_failed})" if restore_failed else "")
    )


def history_check(before: Sequence[str] | set[str]) -> tool_backup.HistoryCheck:
    """The restore's check that ``django_migrations`` lists exactly ``before`` again."""

    def check(rt: Runtime) -> str | None:
        now = (
            {f"{r[0]}.{r[1]}" for r in rt.query(f"SELECT app, name FROM {HISTORY}")}
            if rt.has_table(HISTORY)
            else set()
        )
        extra, missing = now - set(before), set(before) - now
        if extra or missing:
            return (
                f"{HISTORY} differs from where the run started ({len(extra)} more, {len(missing)} fewer "
                "migration(s))"
            )
        return None

    return check


def _from_backup(
    url: str, before: Sequence[str] | set[str], bk: Backup, why: str, lock_timeout: float, locked: bool
) -> str:
    """The fallback when Django cannot migrate back: the whole-database backup."""
    try:
        how = tool_backup.restore(url, bk, history_check(before), lock_timeout=lock_timeout, locked=locked)
    except MigrationError as exc:
        raise MigrationError(
            f"{why}; {exc.message}",
            file=exc.file or bk.folder,
            hint="fix the cause, then `parity rollback` again (the backup is intact)",
        ) from exc
    return f"undone by the backup restore ({why}): {how}; {HISTORY} as before the run"


@dataclass(frozen=True, slots=True)
class SqlmigratePlan:
    """The pending migrations' SQL as ``sqlmigrate`` prints it, by migration, and its lint."""

    sql: str
    by_migration: tuple[tuple[str, str], ...]
    findings: tuple[Finding, ...]


def lint_sqlmigrate(
    project: Project,
    django: DjangoProject,
    url: str,
    pending: Sequence[Revision],
    settings: object = None,
    *,
    dev_url: str | None = None,
) -> SqlmigratePlan:
    """The SQL of ``pending`` from the app's own ``manage.py sqlmigrate``, linted with parity's
    rules, each finding naming its migration file.

    ``sqlmigrate`` imports the settings and the apps (the repository's code) and needs a database
    of the target's kind, so it runs only on an explicit dry run of ``migrate up``, and the app's
    code never gets the target's credentials there: a SQLite target's schema and Django history
    are copied into a scratch file for it (sqlmigrate reads the tables it rebuilds; the rows are
    not needed, and a large database is not copied for a dry run), a server target needs ``dev_url``, a server parity may point
    the app's code at (read-only session). A migration Django wraps in ``BEGIN``/``COMMIT`` is
    linted as transactional, one marked ``atomic = False`` as not. Raises
    :class:`MigrationError` when Django cannot produce the SQL."""
    import tempfile
    from dataclasses import replace

    from parity import dialects
    from parity.plan.lint import LintSettings, lint_sql

    dialect = dialects.get(url).name
    jobs = [r.id.split(".", 1) for r in pending]
    with tempfile.TemporaryDirectory(prefix="parity-sqlmigrate-") as scratch:
        if dialect == "sqlite":
            from sqlalchemy.engine import make_url

            copy = Path(scratch) / "target-schema.db"
            _schema_copy(Path(str(make_url(url).database)), copy)
            lint_url = f"sqlite:///{copy}"
        elif dev_url is not None and dialects.get(dev_url).name == dialect:
            lint_url = dev_url
        else:
            raise MigrationError(
                "sqlmigrate needs a database of the target's kind, and the app's code is not given the "
                "target's credentials on a dry run",
                hint="rerun with --dev-url URL (a server the app's code may connect to, not production)",
            )
        out = run_child(django, {"op": "sqlmigrate", "migrations": jobs}, url=lint_url, read_only=True)
    raw = out.get("sql")
    by_id = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    lint_settings = settings if isinstance(settings, LintSettings) else LintSettings()
    chunks: list[tuple[str, str]] = []
    findings: list[Finding] = []
    for r in pending:
        chunk = by_id.get(r.id, "")
        chunks.append((r.id, chunk))
        body, tx = _unwrapped(chunk)
        for f in lint_sql(body, dialect, transactional=tx, settings=lint_settings):
            findings.append(
                replace(
                    f,
                    message=f"migration {r.id} (sqlmigrate): {f.message}",
                    file=project.rel(r.file),
                    line=None,
                )
            )
    sql = "\n".join(f"-- {rid}\n{chunk.strip()}\n" for rid, chunk in chunks)
    return SqlmigratePlan(sql, tuple(chunks), tuple(findings))


def _unwrapped(sql: str) -> tuple[str, bool]:
    """``sqlmigrate``'s text without the ``BEGIN;``/``COMMIT;`` Django wraps an atomic migration
    in (the tool's own transaction, not a statement of the migration), and whether it was there."""
    lines = sql.strip().splitlines()
    if len(lines) >= 2 and lines[0].strip().upper() == "BEGIN;" and lines[-1].strip().upper() == "COMMIT;":
        return "\n".join(lines[1:-1]) + "\n", True
    return sql, False


def _schema_copy(source: Path, target: Path) -> None:
    """A new SQLite file with ``source``'s schema and its ``django_migrations`` rows, read from
    ``source`` opened read-only."""
    import sqlite3

    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        order = {"table": 0, "index": 1, "view": 2, "trigger": 3}
        ddl = src.execute(
            "SELECT type, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        for _kind, sql in sorted(ddl, key=lambda r: order.get(r[0], 4)):
            dst.execute(sql)
        if any("django_migrations" in sql for _kind, sql in ddl):
            rows = src.execute("SELECT * FROM django_migrations").fetchall()
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                dst.executemany(f"INSERT INTO django_migrations VALUES ({marks})", rows)
        dst.commit()
    except sqlite3.Error as exc:
        raise MigrationError(
            f"cannot copy the database's schema for sqlmigrate ({exc})", file=source
        ) from exc
    finally:
        src.close()
        dst.close()
