"""The migration service: what ``parity migrate …``, ``plan``, ``apply``, ``rollback`` and ``check`` call.

Every function returns values; none prints. Errors are :class:`~parity.errors.ParityError`s.

* :func:`plan_for` — live schema vs declared schema → a safe :class:`~parity.plan.model.Plan` (read-only).
* :func:`generate` — write the plan as ``migrations/V000N__name.up.sql``/``.down.sql`` + ``parity.sum``.
* :func:`apply` — back up, snapshot, apply pending migrations exactly once, verify old data and
  the re-diff, and roll back automatically when verification fails.
* :func:`rollback` — restore the backup of the last apply when the database has not changed
  since (checked by fingerprint), else run the down migrations of that apply.
* :func:`build_migration_section` — the report's "Migrations" section (status, lint, verification).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parity.env.write import atomic_write_text
from parity.errors import FileRefused, MigrationError, ParityError, redact_url
from parity.faults import checkpoint
from parity.migrate import convert
from parity.migrate.executor import Executor, RunResult, Status
from parity.migrate.runtime import DEFAULT_LOCK_TIMEOUT
from parity.model.changes import ProductionOnly
from parity.model.findings import Finding, Section, Severity, Table
from parity.plan.model import Plan
from parity.safefs import Repo

if TYPE_CHECKING:
    from parity.migrate.alembic_revision import RevisionFile
    from parity.migrate.backup import Backup
    from parity.migrate.dir import Migration
    from parity.migrate.runtime import Runtime
    from parity.project import Project
    from parity.schema.apptool import AlembicProject
    from parity.schema.listed_tools import ListedTool
    from parity.schema.service import SchemaDiff
    from parity.verify.integrity import Progress as VerifyProgress
    from parity.verify.integrity import Snapshot as IntegritySnapshot

SECTION_ID = "migrations"
SECTION_TITLE = "Migrations"
CODE_DOCS = {
    "MGR001": "a migration in the folder is not applied to the target database",
    "MGR002": "the last attempt of a migration failed and left none of its statements applied (it will be retried)",
    "MGR003": "an applied migration's file was edited after it ran",
    "MGR004": "the migrations folder does not match parity.sum (edited, added, removed or reordered)",
    "MGR005": "the history lists a migration the folder no longer has",
    "MGR006": "the database has no parity_schema_history table yet (run `parity migrate baseline` if it is current)",
    "MGR007": "a migration is half-applied: it failed after some of its statements committed (MySQL/MariaDB DDL is not transactional); `parity migrate rollback` restores the backup taken before it",
    "MGR008": "the pending revisions of the app's Alembic/Flask-Migrate could not be turned into offline SQL without the application (a revision imports the app or reads the database): their lint is UNKNOWN, not passed",
    "MGR009": "a pending migration converts a column's type and existing rows would make it fail: refused before anything ran (the count of those rows and a few primary keys, never their values)",
    "MGR010": "the SQL of the app's pending Django migrations (`manage.py sqlmigrate`, on `migrate up`'s dry run) could not be generated (Django not importable, or the app cannot start here): their lint is UNKNOWN, not passed",
    "PLN001": "NOT NULL column without default on a table with rows: refused unless backfilled",
    "PLN002": "a drop or rename was refused (expand/contract instead)",
    "PLN003": "a production-only object is kept",
    "PLN004": "a possible rename is applied as add-new-keep-old",
    "PLN005": "an unsafe step (table rewrite, volatile default, type change)",
    "PLN006": "a type change the existing rows would make fail (not valid values of the new type): refused, with the count of those rows and a few primary keys",
    "VER001": "a table that existed before the migration is gone",
    "VER002": "a table's row count changed during the migration",
    "VER003": "a column that existed before the migration is gone",
    "VER004": "a column's content changed during the migration",
    "VER005": "SQLite integrity_check failed after the migration",
    "VER006": "SQLite foreign_key_check failed after the migration",
    "VER007": "the schema after the migration still differs from the declared schema",
    "VER008": "a table was written by other sessions during the migration (PostgreSQL statistics; a replay of the run on the SQLite backup; on MySQL/MariaDB a table whose old rows the run cannot have changed and whose UPDATE_TIME moved): compared for readability only",
    "VER009": "after a failed verification the original values could not all be put back from the pg_dump backup (a table without primary key, or rows changed meanwhile): the backup file is named",
}

Progress = Callable[[str], None]


def migrations_folder(project: Project) -> Path:
    """``[schema] migrations`` below the root; refused when it leads outside (a link to elsewhere):
    parity reads SQL to run from it and writes new migrations into it."""
    folder = project.root / project.config.schema_.migrations
    if not project.fs.contains(folder):
        raise MigrationError("the migrations folder leads outside the repository; not used", file=folder)
    return folder


def database_url(project: Project, environment: str, db: str | None = None) -> str:
    """The target database URL (``--db`` or the environment's ``DATABASE_URL``); may hold a password."""
    from parity.schema.discover import find_database_url

    return find_database_url(project, environment, db).url


def executor_for(
    project: Project, environment: str, *, db: str | None = None, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> Executor:
    return Executor(
        database_url(project, environment, db),
        migrations_folder(project),
        lock_timeout=lock_timeout,
        max_file_bytes=project.fs.max_file_bytes,
    )


# --- plan and generate ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanResult:
    plan: Plan
    diff: SchemaDiff

    @property
    def url(self) -> str:
        return self.diff.url


def plan_for(
    project: Project,
    environment: str,
    *,
    db: str | None = None,
    schema: str | None = None,
    dev_url: str | None = None,
    backfills: Sequence[str] = (),
    name: str = "NAME",
) -> PlanResult:
    """Inspect the target database (read-only), load the declared schema, and plan safe steps.

    ``backfills`` are ``TABLE.COL=EXPR`` items (``--backfill``). Never writes.
    """
    from parity import dialects
    from parity.plan.planner import parse_backfills, plan
    from parity.schema.service import diff_schema

    diff = diff_schema(project, environment, db=db, schema=schema, dev_url=dev_url)
    counts = {
        r.change.table_name: r.rows.rows for r in diff.rows if r.rows is not None and r.change.table_name
    }
    dialect = dialects.get(diff.dialect)
    p = plan(
        diff.current,
        diff.changes,
        dialect,
        row_counts=counts,
        backfills=parse_backfills(backfills),
        name=name,
        conversions=_precheck_changes(database_url(project, environment, db), diff.changes),
    )
    return PlanResult(p, diff)


def _precheck_changes(url: str, changes: Sequence[Any]) -> dict[tuple[str, str], convert.Precheck]:
    """The pre-check of every column type change on the target's existing rows (read-only; only
    where the runtime can tell)."""
    from parity.model.changes import AlterColumn

    wanted = [
        convert.Conversion(c.table, c.desired.name, c.current.raw_type, c.desired.raw_type)
        for c in changes
        if isinstance(c, AlterColumn) and "type" in c.changes
    ]
    if not wanted:
        return {}
    from parity.migrate.runtime import open_runtime

    rt = open_runtime(url, read_only=True)
    try:
        return {(c.table, c.column): check for c in wanted if (check := rt.precheck(c)) is not None}
    finally:
        rt.close()


@dataclass(frozen=True, slots=True)
class GenerateResult:
    plan: Plan
    written: tuple[Migration, ...]
    url: str
    revision: RevisionFile | None = None  # an Alembic project's new revision (no V000N files)
    tool: str = ""  # the plain-SQL tool whose migrations ``tool_files`` are (Flyway, goose, …)
    tool_files: tuple[Path, ...] = ()

    @property
    def refused(self) -> bool:
        return bool(self.plan.refused)


def generate(
    project: Project,
    environment: str,
    name: str,
    *,
    db: str | None = None,
    schema: str | None = None,
    dev_url: str | None = None,
    backfills: Sequence[str] = (),
    planned: PlanResult | None = None,
) -> GenerateResult:
    """Plan and write the migration files (``migrate new``). Writes nothing when the plan refuses
    a change, is empty, or when migrations are still pending on the target (the plan would
    duplicate them). ``planned``: the plan :func:`plan_for` already made with these arguments
    (a baseline marked applied since changes no schema), instead of planning again."""
    from parity.migrate import dir as mdir
    from parity.migrate.django_run import find_django
    from parity.schema.apptool import find_alembic

    if find_django(project.root) is not None:
        # Django's migrations are its own (state operations, not SQL): parity's files beside
        # them would be unknown to django_migrations and to makemigrations.
        raise MigrationError(
            "this is a Django project: its migrations are written by Django",
            file=project.root,
            hint="change the models, then `python manage.py makemigrations`; `parity migrate up --yes` runs them",
        )
    alembic = find_alembic(project.root)
    if alembic is not None:
        return _generate_revision(
            project, environment, alembic, name, db=db, schema=schema, dev_url=dev_url, backfills=backfills
        )
    from parity.schema.listed_tools import find_listed_tool

    listed = find_listed_tool(project.root)
    if listed is not None:
        return _generate_tool_files(
            project, environment, listed, name, db=db, schema=schema, dev_url=dev_url, backfills=backfills
        )
    ex = executor_for(project, environment, db=db)
    status = ex.status()
    if status.pending:
        raise MigrationError(
            f"{len(status.pending)} migration(s) are not applied to {status.url} yet",
            file=migrations_folder(project),
            hint="apply them first (`parity migrate up`) so the new migration starts from their result",
        )
    result = planned or plan_for(
        project, environment, db=db, schema=schema, dev_url=dev_url, backfills=backfills, name=name
    )
    p = result.plan
    if p.refused or p.empty:
        return GenerateResult(p, (), result.url)
    written = []
    for i, text in enumerate(p.migrations()):
        written.append(
            mdir.write(migrations_folder(project), name + text.suffix if i else name, text.up, text.down)
        )
    return GenerateResult(p, tuple(written), result.url)


def _generate_revision(
    project: Project,
    environment: str,
    alembic: AlembicProject,
    name: str,
    *,
    db: str | None,
    schema: str | None,
    dev_url: str | None,
    backfills: Sequence[str],
) -> GenerateResult:
    """``migrate new`` in an Alembic project: the plan as the app's next revision, after its head.

    Refused while the target is behind head: the plan would repeat what the pending revisions do."""
    from parity.migrate import alembic_revision
    from parity.migrate.alembic_run import applied_revisions

    head = alembic_revision.head_of(alembic)
    url = database_url(project, environment, db)
    applied = applied_revisions(url)
    if applied is None:
        # The plan starts from the database; a revision after head must start from head.
        raise MigrationError(
            "the target has no alembic_version: where it stands in the Alembic history is unknown",
            file=alembic.versions_dir,
            hint=f"bring it to head first (`{alembic.upgrade_command}`, or `alembic stamp head` when "
            "its schema already matches head)",
        )
    if tuple(applied) != (head,):
        pending = alembic.pending(set(applied))
        raise MigrationError(
            f"the target is at Alembic revision {', '.join(applied) or 'none'}, not at head {head}"
            + (f" ({len(pending)} revision(s) pending)" if pending else ""),
            file=alembic.versions_dir,
            hint=f"run them first (`parity migrate up --yes` or `{alembic.upgrade_command}`) so the new "
            "revision starts from their result",
        )
    result = plan_for(
        project, environment, db=db, schema=schema, dev_url=dev_url, backfills=backfills, name=name
    )
    p = result.plan
    if p.refused or p.empty:
        return GenerateResult(p, (), result.url)
    message = name.replace("_", " ").strip() or "parity migration"
    return GenerateResult(p, (), result.url, alembic_revision.write(alembic, p, message))


def _generate_tool_files(
    project: Project,
    environment: str,
    tool: ListedTool,
    name: str,
    *,
    db: str | None,
    schema: str | None,
    dev_url: str | None,
    backfills: Sequence[str],
) -> GenerateResult:
    """``migrate new`` in a project migrated by another tool: the plan as that tool's next
    migration (Flyway, golang-migrate, goose, dbmate, Prisma; Liquibase into the folder its master
    changelog ``includeAll``s), never parity's files or history table.

    Refused while the tool's own history is behind the folder, or unknown: the plan starts from
    the database, and a migration after the last one must start from the last one's result."""
    from parity import dialects
    from parity.migrate import sql_tool_files
    from parity.schema.service import tool_status

    if tool.tool == "Liquibase" and not sql_tool_files.writes(tool):
        raise MigrationError(
            f"this project's changesets are in Liquibase changelogs ({project.rel(tool.folder)}), and its master "
            "changelog includes no folder with includeAll: parity would not know where Liquibase reads a new file",
            file=tool.folder,
            hint="add the changeset to a changelog yourself (or `includeAll` a folder of formatted-SQL files in the "
            f"master, where parity then writes the next one); `{tool.command}` runs it",
        )
    if not sql_tool_files.writes(tool):
        raise MigrationError(
            f"this project's migrations are {tool.tool}'s ({project.rel(tool.folder)}): they are written by {tool.tool}",
            file=tool.folder,
            hint=f"write the migration with {tool.tool}'s own generator; `{tool.command}` runs it",
        )
    url = database_url(project, environment, db)
    dialect = dialects.get(url)
    status = tool_status(project, dialect.name, url, dialect.inspect(url))
    if status is None or status.applied is None:
        raise MigrationError(
            f"the target has no {tool.history_table}: where it stands in {tool.tool}'s history is unknown",
            file=tool.folder,
            hint=f"bring it to the last migration first (`{tool.command}`)",
        )
    if status.pending:
        raise MigrationError(
            f"{len(status.pending)} {tool.tool} migration(s) are not applied to the target yet "
            f"({', '.join(r.id for r in status.pending[:5])})",
            file=tool.folder,
            hint=f"run them first (`{tool.command}`) so the new migration starts from their result",
        )
    result = plan_for(
        project, environment, db=db, schema=schema, dev_url=dev_url, backfills=backfills, name=name
    )
    p = result.plan
    if p.refused or p.empty:
        return GenerateResult(p, (), result.url)
    from datetime import UTC, datetime

    # UTC, as goose and dbmate stamp their own new files.
    migrations = sql_tool_files.render(tool, p, name, datetime.now(UTC))
    written = sql_tool_files.write(tool, migrations)
    return GenerateResult(p, (), result.url, tool=tool.tool, tool_files=tuple(written))


# --- apply, verify, rollback -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApplyResult:
    url: str
    run: RunResult | None
    backup: Backup | None
    verification: tuple[Finding, ...] = ()
    rolled_back: bool = False
    notes: tuple[str, ...] = ()
    manifest: Path | None = None

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.verification)


def _fingerprint(url: str, *, history: bool = True) -> str:
    """A hash of the whole database: schema (as inspected), every table's content digests and,
    with ``history``, parity's own history table (a replay of a run reproduces all but that)."""
    from parity import dialects
    from parity.migrate.runtime import open_runtime
    from parity.verify import integrity

    schema = dialects.get(url).inspect(url)
    rt = open_runtime(url, read_only=True)
    try:
        snap = integrity.snapshot(rt, rt.table_names())  # parity's own tables left out
        history_digest = (
            integrity.digest_table(rt, "parity_schema_history")
            if history and rt.has_table("parity_schema_history")
            else None
        )
    finally:
        rt.close()
    h = hashlib.sha256(repr(schema).encode())
    h.update(json.dumps(snap.as_dict(), sort_keys=True).encode())
    if history:
        h.update(repr(history_digest).encode())
    return h.hexdigest()


def apply(
    project: Project,
    environment: str,
    *,
    db: str | None = None,
    schema: str | None = None,
    dev_url: str | None = None,
    to: str | None = None,
    verify_schema: bool = True,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    progress: Progress | None = None,
    verify_progress: VerifyProgress | None = None,
) -> ApplyResult:
    """Apply pending migrations with a backup first and verification after.

    Verification: every table that existed before has the same row count and the same
    content hash for every column it had; SQLite's integrity and foreign-key checks pass;
    and (``verify_schema``, when a declared schema is found) the re-diff is empty apart from
    production-only objects. A failed verification rolls back (SQLite: restore the backup;
    elsewhere: the down migrations of this run) and is reported in the result.
    """
    from parity.migrate import backup as mbackup
    from parity.migrate import checksum
    from parity.migrate.runtime import open_runtime
    from parity.verify import integrity

    url = database_url(project, environment, db)
    limit = project.fs.max_file_bytes
    checksum.verify(migrations_folder(project), limit)  # refuse tampering before taking any backup
    ex = Executor(url, migrations_folder(project), lock_timeout=lock_timeout, max_file_bytes=limit)
    ex.refuse_half_applied()  # before a backup of the half-applied state could look like a good one
    pending = ex.pending()
    if not pending:
        return ApplyResult(
            redact_url(url), None, None, notes=("nothing to apply: the database is up to date",)
        )

    rt = open_runtime(url, read_only=True, lock_timeout=lock_timeout)
    try:
        pending_sql = _statements_of(rt, pending)
        # Before anything is written (not even the backup): refuse a type conversion that the
        # existing rows would make fail, naming how many and which keys (never a value).
        conversions = rt.conversions(pending_sql or [])
        refused, checked = _precheck(rt, conversions, environment)
        if refused:
            return ApplyResult(redact_url(url), None, None, tuple(refused), notes=tuple(checked))
        by_value = convert.by_table(conversions)
        converted = convert.columns_by_table(conversions)
        since = rt.clock()  # before the snapshot: a write after this may show in it or not
        tables = [t for t in rt.table_names() if t not in integrity.OWN_TABLES]
        folder = mbackup.new_folder(project.root)
        if progress:
            progress(f"backing up into {project.rel(folder)}")
        bk = mbackup.take(rt, folder, rt.backup_tables(tables, pending_sql))
        checkpoint()
        if progress:
            progress(f"snapshot of {len(tables)} table(s)")
        counts_before = rt.write_counts(tables)
        if bk.restorable and bk.file is not None:
            # "Before" is the backup itself: the replay below starts from exactly that state,
            # even when the application wrote between the copy and now.
            copy_rt = open_runtime(f"sqlite:///{bk.file.resolve()}", read_only=True)
            try:
                before = integrity.snapshot(copy_rt, tables, progress=verify_progress)
            finally:
                copy_rt.close()
        else:
            before = integrity.snapshot(rt, tables, progress=verify_progress, by_value=by_value)
    finally:
        rt.close()

    checkpoint()
    if bk.restore_tables:
        # Where DDL commits statement by statement, a run killed part way must still find its
        # way back to this backup: the manifest names it before the first statement runs.
        _write_manifest(
            bk.folder,
            {
                "url": redact_url(url),
                "environment": environment,
                "versions": [m.version for m in pending],
                "state": "running",
                "backup": bk.file.name if bk.file else None,
                "restorable": False,
                "restore_tables": True,
                "before": before.as_dict(),
                "rolled_back": False,
            },
        )
    try:
        run = ex.up(to=to, progress=progress)
    except MigrationError as exc:
        if bk.restore_tables:
            _record_failed_apply(project, environment, url, ex, bk, pending, before, exc)
        raise
    if progress:
        progress("verifying old data")
    rt = open_runtime(url, read_only=True, lock_timeout=lock_timeout)
    try:
        after = integrity.snapshot(
            rt, [t for t in tables if rt.has_table(t)], progress=verify_progress, by_value=by_value
        )
        checkpoint()
        if bk.restorable and bk.file is not None:
            before = _in_order_of(after, before, bk.file, verify_progress)
        findings = list(integrity.compare(before, after))
        if counts_before is not None and any(f.code in ("VER002", "VER004") for f in findings):
            # A live database keeps taking writes while it migrates: tell those apart from
            # changes the migration made, which stay errors.
            own = dict(run.own_writes)
            busy = _written_by_others(rt, counts_before, own, findings)
            if any(own.get(t, 0) for t in busy):
                # The run wrote rows there too: other sessions' writes excuse a difference only
                # when the run's own could not make it (a backfill of new columns, no trigger).
                statements = _parsed_statements(ex, run, rt)
                busy = {
                    t: n
                    for t, n in busy.items()
                    if not own.get(t, 0) or _only_new_columns_written(rt, statements, t, before)
                }
            if busy:
                findings = list(integrity.compare(before, after, written=busy))
        elif since is not None and run.ran and any(f.code in ("VER002", "VER004") for f in findings):
            # No write statistics (MySQL/MariaDB): tables whose old rows the run's statements
            # cannot have changed, and that changed anyway, were written by the application.
            suspects = sorted({f.key for f in findings if f.code in ("VER002", "VER004") and f.key})
            # A backfill writes only new columns: it leaves the table's old rows as they were.
            reaching = _not_backfills(rt, _parsed_statements(ex, run, rt), before)
            elsewhere = rt.written_elsewhere(reaching, suspects, since)
            if elsewhere:
                findings = list(integrity.compare(before, after, written={t: -1 for t in elsewhere}))
        findings += list(integrity.health(rt))
    finally:
        rt.close()
    replay: _Replay | None = None
    if bk.restorable and run.ran and any(f.code in ("VER002", "VER004") for f in findings):
        # SQLite keeps no write statistics, but its migrations replay exactly: run them again on a
        # copy of the backup, where nobody else writes. Old data intact there means the live
        # differences are other sessions' writes.
        if progress:
            progress("replaying the run on a copy of the backup")
        replay = _replay(url, ex, bk, [s.version for s in run.ran], lock_timeout, tables)
        if (
            replay is not None
            and replay.changed_state
            and not any(f.severity is Severity.ERROR for f in integrity.compare(before, replay.snapshot))
        ):
            busy = {f.key: -1 for f in findings if f.code in ("VER002", "VER004") and f.key}
            findings = [f for f in findings if f.code not in ("VER002", "VER004")]
            findings[:0] = [f for f in integrity.compare(before, after, written=busy) if f.code == "VER008"]
    notes: list[str] = list(checked)
    if (compared := convert.families_note(by_value)) is not None:
        notes.append(compared)
    if verify_schema:
        findings.extend(_rediff(project, environment, url, schema, dev_url, notes))

    versions = [s.version for s in run.ran]
    manifest = folder / mbackup.MANIFEST
    data = {
        "url": redact_url(url),
        "environment": environment,
        "versions": versions,
        "backup": bk.file.name if bk.file else None,
        "restorable": bk.restorable,
        "restore_tables": bk.restore_tables,
        "before": before.as_dict(),
        "rolled_back": False,
        # Columns whose type the run converted: a rollback puts their exact old values back.
        "converted": converted,
    }
    checkpoint()
    failed = any(f.severity is Severity.ERROR for f in findings)
    rolled_back = False
    if failed and versions and bk.restore_tables and _others_wrote(url, findings, pending_sql):
        bk = replace(bk, restore_tables=False)
        notes.append(
            "other sessions wrote to the database during the migration: the backup was not restored "
            f"over their writes (it stays in {project.rel(folder)}); the down migrations ran"
        )
    if failed and versions:
        if replay is None and bk.restorable:
            replay = _replay(url, ex, bk, versions, lock_timeout, tables)
        if bk.restorable and (replay is None or replay.changed_state):
            # Restoring the copy would erase what the application wrote meanwhile: undo by the
            # down migrations instead, and keep the copy for whatever they cannot put back.
            bk = replace(bk, restorable=False)
            why = (
                "other sessions wrote to the database during the migration"
                if replay is not None
                else "the run could not be replayed on a copy of the backup to rule out other sessions' writes"
            )
            notes.append(
                f"{why}: the backup was not restored over their writes (it stays in "
                f"{project.rel(folder)}); the down migrations ran"
            )
        try:
            how = _undo(url, ex, bk, versions, lock_timeout)
        except MigrationError:
            if bk.restore_tables:  # the restore can be retried: `rollback` finds this manifest
                data["state"] = "failed"
                atomic_write_text(manifest, json.dumps(data, indent=2, sort_keys=True) + "\n")
            raise
        if bk.file is not None and not bk.restorable and not bk.restore_tables:
            if any(f.code == "VER008" for f in findings):
                how += (
                    "; the values were not restored from the backup: other sessions wrote meanwhile "
                    f"(it stays in {project.rel(folder)})"
                )
            else:
                # The down migrations bring the old types back, not the old text of the values
                # (a jsonb column reordered its keys): put back exactly what the backup holds.
                exact, left = _restore_values(url, bk.file, before, converted, lock_timeout)
                how += "; " + exact
                findings.extend(left)
        notes.append("verification failed: the migration was rolled back: " + how)
        rolled_back = True
        data["rolled_back"] = True
    else:
        data["after"] = _fingerprint(url)
    atomic_write_text(manifest, json.dumps(data, indent=2, sort_keys=True) + "\n", private=True)
    return ApplyResult(redact_url(url), run, bk, tuple(findings), rolled_back, tuple(notes), manifest)


def _precheck(
    rt: Runtime, conversions: Sequence[convert.Conversion], environment: str
) -> tuple[list[Finding], list[str]]:
    """(MGR009 refusals, notes) of the pre-check of each conversion on the existing rows."""
    refused: list[Finding] = []
    notes: list[str] = []
    for c in conversions:
        check = rt.precheck(c)
        if check is None:
            continue
        if check.failing is None:
            notes.append(convert.unchecked_note(check))
        elif check.fails:
            refused.append(convert.refusal("MGR009", check, environment=environment))
        else:
            notes.append(f"pre-check: {c.label} converts all {check.rows} row(s) ({check.method})")
    return refused, notes


def _precheck_pending(ex: Executor, environment: str, status: Status, notes: list[str]) -> list[Finding]:
    from parity.migrate.runtime import open_runtime

    waiting = {p.version for p in status.pending}
    try:
        rt = open_runtime(ex.url, read_only=True, lock_timeout=ex.lock_timeout)
    except ParityError:
        return []
    try:
        statements = _statements_of(rt, [m for m in ex.migrations() if m.version in waiting]) or []
        refused, checked = _precheck(rt, rt.conversions(statements), environment)
    finally:
        rt.close()
    notes.extend(checked)
    return refused


def _restore_values(
    url: str,
    dump: Path,
    before: IntegritySnapshot,
    converted: Mapping[str, Iterable[str]],
    lock_timeout: float,
) -> tuple[str, list[Finding]]:
    """After the down migrations: the ``converted`` columns (table → columns) whose content still
    differs from ``before`` put back from the backup ``dump``, then compared again by text (byte
    for byte). Only converted columns: a down migration that changes a type back leaves the
    values in the new type's spelling, while other data changes are the down migrations' (and
    rows the application writes must not be overwritten with old ones)."""
    from parity.migrate.runtime import open_runtime
    from parity.verify import integrity

    rt = open_runtime(url, lock_timeout=lock_timeout)
    try:
        present = [b.table for b in before.tables if rt.has_table(b.table)]
        now = integrity.snapshot(rt, present)
        restored: list[str] = []
        problems: list[str] = []
        for b in before.tables:
            a = now.table(b.table)
            if a is None:
                continue
            wanted = set(converted.get(b.table, ()))
            differ = [col for col, d in b.columns if col in wanted and a.column(col) not in (None, d)]
            if not differ:
                continue
            try:
                n = rt.restore_columns(dump, b.table, differ)
            except LookupError as exc:
                problems.append(f"{b.table}: {exc}")
                continue
            restored.append(f"{', '.join(f'{b.table}.{c}' for c in differ)} ({n} row(s))")
        left = [
            f
            for f in (
                integrity.compare(before, integrity.snapshot(rt, present)) if restored or problems else ()
            )
            if f.key in converted
        ]
    finally:
        rt.close()
    if not restored and not problems:
        return "the converted columns read back as before", []
    findings = [
        Finding(
            "VER009",
            Severity.ERROR,
            "verify",
            f"{f.message}, and the backup could not put it back"
            + (f" ({'; '.join(problems)})" if problems else ""),
            key=f.key,
            fix=f"restore the values by hand from {dump}",
        )
        for f in left
    ]
    if problems and not findings:
        findings = [
            Finding(
                "VER009",
                Severity.ERROR,
                "verify",
                f"old values could not be put back from the backup: {'; '.join(problems)}",
                fix=f"restore the values by hand from {dump}",
            )
        ]
    how = (
        f"restored the original values of {'; '.join(restored)} from the pg_dump backup {dump}"
        if restored
        else ""
    )
    if not findings:
        how += ": each of their columns reads back byte for byte as before the migration"
    return how or "the backup could not put the old values back", findings


def _in_order_of(
    after: IntegritySnapshot, before: IntegritySnapshot, backup: Path, progress: VerifyProgress | None
) -> IntegritySnapshot:
    """``before`` with each table the migration made walk in another order (a SQLite rebuild to or
    from WITHOUT ROWID: rowid order becomes key order) digested again on the backup copy, in the
    order ``after`` used, so the two compare row for row."""
    from parity.migrate.runtime import open_runtime
    from parity.verify import integrity

    moved = {
        b.table: a.order
        for b in before.tables
        if (a := after.table(b.table)) is not None and a.order != b.order and a.columns != b.columns
    }
    if not moved:
        return before
    rt = open_runtime(f"sqlite:///{backup.resolve()}", read_only=True)
    try:
        again = {t: integrity.digest_table(rt, t, order=key, progress=progress) for t, key in moved.items()}
    finally:
        rt.close()
    return integrity.Snapshot(tuple(again.get(b.table, b) for b in before.tables))


def _parsed_statements(ex: Executor, run: RunResult, rt: Runtime) -> list[tuple[str, Any]]:
    """Each statement the run executed, with its sqlglot tree (None when it cannot be read)."""
    ran = {s.version for s in run.ran}
    return [
        (s, _parse(s, rt.sqlglot_dialect))
        for m in ex.migrations()
        if m.version in ran
        for s in rt.split(m.up_sql())
    ]


#: Statements sqlglot keeps as opaque commands that cannot write rows (``ALTER TABLE … VALIDATE
#: CONSTRAINT``, ``CREATE INDEX CONCURRENTLY`` …), unless they change a column's type.
_DDL_COMMANDS = ("ALTER", "CREATE", "COMMENT", "SET", "RESET", "ANALYZE")


def _parse(sql: str, dialect: str) -> Any:
    """The statement's sqlglot tree, or None when it cannot be read."""
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    try:
        return sqlglot.parse_one(sql, read=dialect)
    except (ParseError, TokenError):
        return None


def _writes_rows(tree: Any, sql: str) -> bool:
    """Whether a statement may write rows in some other way than a plain ``UPDATE``: a routine
    (which can write anything), a type change (rewrites old values), ``INSERT``/``DELETE``/
    ``MERGE``/``TRUNCATE``/``COPY`` anywhere in it (a data-modifying CTE writes as much as a
    top-level statement), or an opaque command that is not plain DDL (``DO``, ``CALL``)."""
    from sqlglot import exp

    if isinstance(tree, exp.Command):
        return tree.name.upper() not in _DDL_COMMANDS or " TYPE " in f" {' '.join(sql.upper().split())} "
    return (
        any(True for _ in tree.find_all(exp.Anonymous))
        or any(a.args.get("dtype") is not None for a in tree.find_all(exp.AlterColumn))
        or any(True for _ in tree.find_all(exp.Insert, exp.Delete, exp.Merge, exp.TruncateTable, exp.Copy))
    )


def backfill_of(tree: Any, sql: str, old_columns: Callable[[str], set[str] | None]) -> str | None:
    """The table a statement backfills: a single-table ``UPDATE`` that sets only columns the
    table did not have before (``old_columns``: its columns before the run, None for a table
    that did not exist) and writes nothing else. None for any other statement."""
    from sqlglot import exp

    if not isinstance(tree, exp.Update) or not isinstance(tree.this, exp.Table) or _writes_rows(tree, sql):
        return None
    if sum(1 for _ in tree.find_all(exp.Update)) > 1 or any(True for _ in tree.find_all(exp.Join)):
        return None  # MySQL's multi-table UPDATE can set another table's columns
    target = tree.this.name.lower()
    old = old_columns(target)
    if old is None:
        return None
    names = {target, tree.this.alias_or_name.lower()}
    for assignment in tree.expressions:
        column = assignment.this if isinstance(assignment, exp.EQ) else None
        if not isinstance(column, exp.Column) or column.name.lower() in old:
            return None
        if column.table and column.table.lower() not in names:
            return None
    return target


def _old_columns(before: IntegritySnapshot) -> Callable[[str], set[str] | None]:
    tables = {t.table.lower(): {c.lower() for c, _ in t.columns} for t in before.tables}
    return tables.get


def _only_new_columns_written(
    rt: Runtime, statements: Sequence[tuple[str, Any]], table: str, before: IntegritySnapshot
) -> bool:
    """Whether the run's statements can have written nothing of ``table`` but columns it did not
    have before: every statement readable, the only ones writing it backfills (``UPDATE … SET``
    of new columns), none able to write rows otherwise, and no trigger on it that could rewrite
    an old column meanwhile. The run did write rows there, so without a backfill of it they came
    some other way (a cascade, another table's trigger): not excused either."""
    from sqlglot import exp

    if before.table(table) is None or rt.has_triggers(table):
        return False
    old = _old_columns(before)
    backfilled = False
    for sql, tree in statements:
        if tree is None:
            return False
        if backfill_of(tree, sql, old) == table.lower():
            backfilled = True
            continue
        if _writes_rows(tree, sql):
            return False
        for update in tree.find_all(exp.Update):
            if not isinstance(update.this, exp.Table) or update.this.name.lower() == table.lower():
                return False
    return backfilled


def _not_backfills(
    rt: Runtime, statements: Sequence[tuple[str, Any]], before: IntegritySnapshot
) -> list[str]:
    """``statements`` without the backfills of tables that have no trigger and that no
    statement of the run points a new foreign key at (a cascade could carry the backfill on)."""
    old = _old_columns(before)
    out = []
    for sql, tree in statements:
        table = backfill_of(tree, sql, old) if tree is not None else None
        referenced = table is not None and any(
            re.search(rf"REFERENCES\s+(?:[`\"]?\w+[`\"]?\.)?[`\"]?{re.escape(table)}\b", s, re.IGNORECASE)
            for s, _ in statements
        )
        if table is None or referenced or rt.has_triggers(table):
            out.append(sql)
    return out


def _written_by_others(
    rt: Runtime, before: dict[str, int], own: dict[str, int], findings: list[Finding]
) -> dict[str, int]:
    """Tables with a count or content difference that other sessions wrote to meanwhile."""
    suspects = {f.key for f in findings if f.code in ("VER002", "VER004") and f.key}
    for attempt in range(2):
        now = rt.write_counts(sorted(suspects)) or {}
        busy = {t: n for t in suspects if (n := now.get(t, 0) - before.get(t, 0) - own.get(t, 0)) > 0}
        if busy or attempt:
            return busy
        time.sleep(1.1)  # other backends flush their statistics about once a second
    return {}


def _rediff(
    project: Project, environment: str, url: str, schema: str | None, dev_url: str | None, notes: list[str]
) -> list[Finding]:
    from parity.errors import DiscoveryError
    from parity.schema.service import diff_schema

    try:
        diff = diff_schema(project, environment, db=url, schema=schema, dev_url=dev_url, count_rows=False)
    except DiscoveryError as exc:
        notes.append(f"re-diff skipped: {exc.message}")
        return []
    left = [c for c in diff.changes if not isinstance(c, ProductionOnly)]
    from parity.model.changes import describe

    return [
        Finding(
            "VER007",
            Severity.ERROR,
            "verify",
            f"after the migration the database still differs from the declared schema: {describe(c)}",
            environment=environment,
            key=c.object_name or None,
            fix="plan a migration for it (`parity migrate new NAME`)",
        )
        for c in left
    ]


@dataclass(frozen=True, slots=True)
class _Replay:
    snapshot: IntegritySnapshot  # the old tables after the replayed run
    changed_state: bool  # the live database differs from the replay: someone else wrote


def _replay(
    url: str, ex: Executor, bk: Backup, versions: Sequence[str], lock_timeout: float, tables: Sequence[str]
) -> _Replay | None:
    """This run replayed on a copy of the SQLite backup (None when it cannot be reproduced).

    Any difference between the live database and the replay is someone else's write (between
    the backup and now), which restoring the backup would lose.
    """
    import shutil
    import tempfile

    from parity.migrate.runtime import open_runtime
    from parity.verify import integrity

    assert bk.file is not None
    with tempfile.TemporaryDirectory(dir=bk.folder) as tmp:
        copy = Path(tmp) / bk.file.name
        shutil.copyfile(bk.file, copy)
        replay_url = f"sqlite:///{copy.resolve()}"
        try:
            Executor(replay_url, ex.folder, lock_timeout=lock_timeout, max_file_bytes=ex.max_file_bytes).up(
                to=max(versions, key=int)
            )
            rt = open_runtime(replay_url, read_only=True)
            try:
                snap = integrity.snapshot(rt, [t for t in tables if rt.has_table(t)])
            finally:
                rt.close()
            changed = _fingerprint(replay_url, history=False) != _fingerprint(url, history=False)
        except ParityError:
            return None  # cannot reproduce the run: do not bet anything on it
    return _Replay(snap, changed)


def _statements_of(rt: Runtime, migrations: Sequence[Migration]) -> list[str] | None:
    """The statements of ``migrations``' up files (None when one cannot be split)."""
    try:
        return [s for m in migrations for s in rt.split(m.up_sql())]
    except (ParityError, OSError, UnicodeDecodeError):
        return None


def _others_wrote(url: str, findings: Sequence[Finding], statements: Sequence[str] | None) -> bool:
    """Whether verification shows other sessions writing during the run: a table the run cannot
    reach that changed (VER008), or a row count that changed although the run's statements can
    insert or delete no row. Restoring a table backup over such writes would lose them."""
    from parity.migrate.runtime import open_runtime

    if any(f.code == "VER008" for f in findings):
        return True
    if not any(f.code == "VER002" for f in findings):
        return False
    rt = open_runtime(url, read_only=True)
    try:
        return not rt.may_change_row_counts(statements)
    finally:
        rt.close()


def _write_manifest(folder: Path, data: dict[str, Any]) -> None:
    from parity.migrate import backup as mbackup

    atomic_write_text(folder / mbackup.MANIFEST, json.dumps(data, indent=2, sort_keys=True) + "\n")


def _record_failed_apply(
    project: Project,
    environment: str,
    url: str,
    ex: Executor,
    bk: Backup,
    pending: Sequence[Migration],
    before: IntegritySnapshot,
    exc: MigrationError,
) -> None:
    """After ``migrate up`` failed: a manifest naming the versions this run left in the database
    (applied, or half-applied), so ``rollback`` restores the backup taken before them."""
    from parity.migrate import backup as mbackup

    try:
        rows = {m.version: m.applied for m in ex.status().migrations if m.applied}
    except ParityError:
        return  # the database is unreachable: the backup folder stays, without a manifest
    versions = [m.version for m in pending if (r := rows.get(m.version)) and (r.success or r.partial)]
    if not versions:
        # Nothing of the run stayed: the manifest written before it began names nothing to undo.
        (bk.folder / mbackup.MANIFEST).unlink(missing_ok=True)
        return
    data = {
        "url": redact_url(url),
        "environment": environment,
        "versions": versions,
        "state": "partial" if any(rows[v].partial for v in versions) else "failed",
        "error": exc.message,
        "backup": bk.file.name if bk.file else None,
        "restorable": False,
        "restore_tables": True,
        "before": before.as_dict(),
        "rolled_back": False,
    }
    atomic_write_text(bk.folder / mbackup.MANIFEST, json.dumps(data, indent=2, sort_keys=True) + "\n")


def _undo(
    url: str,
    ex: Executor,
    bk: Backup | None,
    versions: Sequence[str],
    lock_timeout: float,
    *,
    verify_sum: bool = True,
) -> str:
    """Put the database back: restore the SQLite backup or the MySQL/MariaDB tables backup, else
    run the down migrations."""
    from parity.migrate import backup as mbackup
    from parity.migrate.runtime import open_runtime

    if bk is not None and bk.restore_tables:
        rt = open_runtime(url, read_only=True, lock_timeout=lock_timeout)
        try:
            chosen = [m for m in ex.migrations() if m.version in set(versions)]
            statements = _statements_of(rt, chosen) or []
        finally:
            rt.close()
        return mbackup.restore_tables(
            url, bk, versions=versions, statements=statements, lock_timeout=lock_timeout
        )
    if bk is not None and bk.file is not None and bk.restorable:
        rt = open_runtime(url, read_only=True, lock_timeout=lock_timeout)
        path: Path = rt.path  # type: ignore[attr-defined]  # restorable backups are SQLite files
        rt.close()
        mbackup.restore_sqlite(bk.file, path, lock_timeout=lock_timeout)
        return f"restored the backup {bk.file}"
    first = min(versions, key=int)
    result = ex.down(
        to=str(int(first) - 1),
        force=True,
        backup_dir=bk.folder if bk else None,
        verify_sum=verify_sum,
        include_partial=not verify_sum,
    )
    how = f"ran the down migrations of {', '.join(versions)}"
    if result.backups:
        # A down that drops a table or column keeps its values: say which, and where.
        saved = ", ".join(f"{p.stem} in {p}" for p in result.backups)
        how += f"; values they dropped were saved first: {saved}"
    return how


def undo_versions(
    project: Project,
    environment: str,
    versions: Sequence[str],
    backup_dir: Path,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> str:
    """Undo exactly ``versions`` on the target: through the apply manifest that ran them when one
    is there (its backup restored when the database has not changed since), else by their down
    migrations, with dropped values saved under ``backup_dir`` (a run killed before its manifest
    was written)."""
    from parity.migrate.backup import MANIFEST, Backup

    url = database_url(project, environment)
    remaining = sorted(versions, key=int)
    done: list[str] = []
    base = project.root / ".parity" / "backups"
    for path in sorted(base.glob(f"*/{MANIFEST}"), reverse=True) if base.is_dir() else []:
        try:
            data = json.loads(project.fs.read_text(path))
        except (OSError, ValueError, FileRefused):
            continue
        ran = data.get("versions") or []
        if data.get("url") != redact_url(url) or data.get("rolled_back") or not ran:
            continue
        if set(ran) <= set(remaining):
            done.append(rollback(project, environment, lock_timeout=lock_timeout, manifest=path).how)
            remaining = [v for v in remaining if v not in ran]
        if not remaining:
            break
    if remaining:
        # Versions no apply manifest holds: a run killed before it wrote one, or a baseline.
        ex = Executor(
            url,
            migrations_folder(project),
            lock_timeout=lock_timeout,
            max_file_bytes=project.fs.max_file_bytes,
        )
        # The run may have been killed while it generated files: its parity.sum can be behind.
        done.append(_undo(url, ex, Backup(backup_dir, None, ""), remaining, lock_timeout, verify_sum=False))
    return "; ".join(done)


@dataclass(frozen=True, slots=True)
class RollbackResult:
    url: str
    how: str
    versions: tuple[str, ...] = field(default=())


def rollback(
    project: Project,
    environment: str,
    *,
    db: str | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    manifest: Path | None = None,
) -> RollbackResult:
    """Undo the last ``apply`` on this database.

    When the database has not changed since that apply (same fingerprint) and a SQLite backup
    exists, the backup is restored byte for byte (a MySQL/MariaDB tables backup: those tables
    are rebuilt and verified); otherwise the down migrations of that apply run (refusing to drop
    data unless those values are backed up — ``down --force`` rules). An apply that failed part
    way on MySQL/MariaDB (a half-applied migration) is undone from its tables backup.
    """
    from parity.migrate.backup import MANIFEST, Backup

    url = database_url(project, environment, db)
    base = project.root / ".parity" / "backups"
    manifests = sorted(base.glob(f"*/{MANIFEST}")) if base.is_dir() else []
    for path in reversed(manifests):
        if manifest is not None and path != manifest:
            continue
        try:
            data = json.loads(project.fs.read_text(path))
        except (OSError, ValueError, FileRefused):
            continue  # not a manifest parity wrote (a link, a FIFO, not JSON)
        if not isinstance(data, dict):
            continue
        if data.get("url") != redact_url(url) or data.get("rolled_back") or not data.get("versions"):
            continue
        versions = tuple(data["versions"])
        ex = Executor(
            url,
            migrations_folder(project),
            lock_timeout=lock_timeout,
            max_file_bytes=project.fs.max_file_bytes,
        )
        file = path.parent / str(data["backup"]) if data.get("backup") else None
        if file is not None and not Repo.at(path.parent).contains(file):
            file = None  # a manifest pointing its backup elsewhere is not restored from
        if data.get("state") in ("partial", "failed", "running") and data.get("restore_tables"):
            # The apply failed part way: only the backup brings the tables back.
            how = _undo(url, ex, Backup(path.parent, file, "", restore_tables=True), versions, lock_timeout)
            data["rolled_back"] = True
            atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
            return RollbackResult(redact_url(url), how, versions)
        unchanged = data.get("after") == _fingerprint(url)
        if unchanged and file is not None and data.get("restore_tables"):
            how = _undo(url, ex, Backup(path.parent, file, "", restore_tables=True), versions, lock_timeout)
        elif unchanged and file is not None and data.get("restorable"):
            how = _undo(url, ex, Backup(path.parent, file, "", restorable=True), versions, lock_timeout)
        else:
            how = _undo(url, ex, Backup(path.parent, None, ""), versions, lock_timeout)
            if not unchanged:
                how += " (the database changed since the apply, so the backup was not restored)"
            elif file is not None and isinstance(data.get("before"), dict):
                # A pg_dump backup: the down migrations bring the old types back, the backup the
                # old text of the values (jsonb reordered the keys of a converted column).
                from parity.verify.integrity import Snapshot

                converted = data.get("converted") or {}
                exact, left = _restore_values(
                    url, file, Snapshot.from_dict(data["before"]), converted, lock_timeout
                )
                how += "; " + exact
                if left:
                    how += " (" + "; ".join(f.message for f in left) + ")"
        data["rolled_back"] = True
        atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n", private=True)
        return RollbackResult(redact_url(url), how, versions)
    raise MigrationError(
        "no apply to roll back for this database",
        file=base,
        hint="`parity migrate down` undoes single migrations",
    )


# --- the report section ----------------------------------------------------------------------------


def status_findings(project: Project, environment: str, status: Status, folder: Path) -> list[Finding]:
    rel = project.rel
    limit = project.fs.max_file_bytes
    by_version = {m.version: m for m in Executor(status.url, folder, max_file_bytes=limit).migrations()}
    out: list[Finding] = []
    if not status.history_exists and status.migrations:
        out.append(
            Finding(
                "MGR006",
                Severity.INFO,
                "migrate",
                f"{status.url} has no parity_schema_history table",
                environment=environment,
                fix="if the database already has these changes: `parity migrate baseline`",
            )
        )
    for s in status.migrations:
        m = by_version[s.version]
        if s.state == "pending":
            out.append(
                Finding(
                    "MGR001",
                    Severity.ERROR,
                    "migrate",
                    f"migration {m.label} is not applied to {environment}",
                    environment=environment,
                    file=rel(m.up_path),
                    line=1,
                    fix=f"parity migrate up --env {environment}",
                )
            )
        elif s.state == "failed":
            out.append(
                Finding(
                    "MGR002",
                    Severity.ERROR,
                    "migrate",
                    f"migration {m.label} failed on its last attempt ({s.applied.applied_at if s.applied else '?'})",
                    environment=environment,
                    file=rel(m.up_path),
                    fix="fix the cause and rerun `parity migrate up` (none of the failed attempt's statements stayed applied)",
                )
            )
        elif s.state == "partial":
            done = s.applied.statements_done if s.applied else "?"
            out.append(
                Finding(
                    "MGR007",
                    Severity.ERROR,
                    "migrate",
                    f"migration {m.label} is half-applied: {done} of its statements committed before it failed "
                    f"({s.applied.applied_at if s.applied else '?'}) and were NOT rolled back",
                    environment=environment,
                    file=rel(m.up_path),
                    fix=f"parity migrate rollback --env {environment} --yes (restores the backup taken before it)",
                )
            )
        elif s.state == "changed":
            out.append(
                Finding(
                    "MGR003",
                    Severity.ERROR,
                    "migrate",
                    f"applied migration {m.label} was edited after it ran",
                    environment=environment,
                    file=rel(m.up_path),
                    fix="restore the file (git) and put the change in a new migration",
                )
            )
    for row in status.unknown:
        out.append(
            Finding(
                "MGR005",
                Severity.WARNING,
                "migrate",
                f"migration {row.version} ({row.name}) is applied but missing from {rel(folder)}",
                environment=environment,
                fix="restore the migration file",
            )
        )
    return out


def build_migration_section(
    project: Project,
    environment: str,
    *,
    db: str | None = None,
    result: ApplyResult | None = None,
    lint: bool = True,
) -> Section:
    """The "Migrations" section: which migrations are applied/pending on ``environment``, lint
    findings of the pending ones, and — when ``result`` is given — the backup and the
    verification of that apply. Read-only."""
    from parity.migrate import checksum
    from parity.plan.lint import LintSettings, lint_files

    folder = migrations_folder(project)
    findings: list[Finding] = []
    notes: list[str] = []
    rows: list[tuple[str, ...]] = []
    try:
        checksum.verify(folder, project.fs.max_file_bytes)
    except MigrationError as exc:
        findings.append(
            Finding(
                "MGR004",
                Severity.ERROR,
                "migrate",
                exc.message,
                environment=environment,
                file=project.rel(Path(exc.file)) if exc.file else None,
                fix=exc.hint,
            )
        )
    try:
        ex = executor_for(project, environment, db=db)
        status = ex.status()
    except ParityError as exc:
        notes.append(f"status unavailable: {exc.one_line()}")
        status = None
    if status is not None:
        notes.append(
            f"{status.url}: current version {status.current or 'none'}, {len(status.pending)} pending"
        )
        findings.extend(status_findings(project, environment, status, folder))
        for s in status.migrations:
            a = s.applied
            rows.append(
                (
                    s.version,
                    s.name,
                    s.state,
                    a.applied_at if a else "",
                    f"{a.duration_ms} ms" if a else "",
                    a.applied_by if a else "",
                )
            )
        if lint and status.pending:
            from parity import dialects

            dialect = dialects.get(database_url(project, environment, db)).name
            pending_files = [
                m.up_path for m in ex.migrations() if m.version in {p.version for p in status.pending}
            ]
            settings = LintSettings.from_config(project.config.lint)
            findings.extend(
                lint_files(pending_files, dialect, project.root, project.fs.max_file_bytes, settings)
            )
            if result is None:
                # What `migrate up` would refuse: conversions the existing rows would fail (read-only).
                findings.extend(_precheck_pending(ex, environment, status, notes))
    if result is not None:
        if result.backup is not None:
            notes.append(result.backup.note)
        notes.extend(result.notes)
        findings.extend(result.verification)
        if result.run is not None:
            notes.append(
                "applied: "
                + (
                    ", ".join(f"V{s.version}__{s.name} ({s.duration_ms} ms)" for s in result.run.ran)
                    or "nothing"
                )
            )
    tables = (
        (Table("Migrations", ("version", "name", "state", "applied at", "duration", "by"), tuple(rows)),)
        if rows
        else ()
    )
    return Section(SECTION_ID, SECTION_TITLE, tuple(findings), tables, tuple(notes))
