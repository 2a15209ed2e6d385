"""The schema part of ``plan``/``apply``/``rollback``: generate the migration files main needs,
apply them exactly once with a backup and verification, and undo them on request.

The migration capability itself lives in :mod:`parity.migrate`; this module only decides when
the workflow needs it and keeps the generated files undoable like any other write.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from parity.env.write import BackupSet, backup_files, restore
from parity.errors import DiscoveryError, MigrationError, ParityError
from parity.model.findings import Finding, Section, Severity
from parity.project import Project
from parity.safefs import Repo

if TYPE_CHECKING:
    from parity.migrate.alembic_run import AlembicOutcome
    from parity.migrate.backup import Backup
    from parity.migrate.cli_tool_run import ToolOutcome
    from parity.migrate.django_run import DjangoOutcome, DjangoProject
    from parity.schema.apptool import AlembicProject, Revision
    from parity.schema.listed_tools import ListedTool
    from parity.workflow.journal import Journal

_Outcome = TypeVar("_Outcome", "AlembicOutcome", "DjangoOutcome", "ToolOutcome")
#: The journal entries of an app tool's run (Alembic, Django, a tool's CLI such as dbmate).
TOOL_OPS = ("alembic", "django", "tool-cli")

MIGRATION_NAME = "parity_apply"
#: How an undo step says it could not put the database back (the run then stays open).
NOT_RESTORED = "database NOT restored"
HISTORY_TABLE = "parity_schema_history"


def has_database(project: Project, environment: str) -> bool:
    """True when both a declared schema and a target database can be found."""
    from parity.schema.discover import find_database_url, find_schema_source

    try:
        find_schema_source(project)
        find_database_url(project, environment)
    except DiscoveryError:
        return False
    return True


def implementation_section(project: Project, environment: str, *, listed: bool = True) -> Section | None:
    """The migration files ``apply`` would write (or the pending ones it would run), with their SQL.

    ``listed=False`` (``check``): the app tool's pending migrations are named once, in Schema
    Impact Analysis (SCH009); here only how they would run. ``plan`` has no such section and
    names them here."""
    found = app_alembic(project, environment)
    if found is not None:
        return alembic_section(project, environment, *found, listed=listed)
    dj = app_django(project, environment)
    if dj is not None:
        return django_section(project, environment, *dj, listed=listed)
    if not has_database(project, environment):
        # No declared schema to plan from: an app tool's own migrations still run on the target,
        # and what parity reads of their SQL is still linted.
        try:
            return listed_tool_section(project, environment, listed=listed)
        except ParityError:
            return None
    tool = listed_tool_section(project, environment, listed=listed)
    if tool is not None:
        return tool
    from parity.migrate.service import executor_for, migrations_folder, plan_for

    folder = migrations_folder(project)
    status = executor_for(project, environment).status()
    if status.pending:
        from parity.migrate import dir as mdir

        waiting = {m.version for m in status.pending}
        files = [m for m in mdir.load(folder, project.fs.max_file_bytes) if m.version in waiting]
        pending = tuple(f"pending: {project.rel(m.up_path)}" for m in files)
        sql = tuple(("sql", f"-- {project.rel(m.up_path)}\n" + m.up_sql()) for m in files)
        return Section("implementation-migrations", "Implementation: migrations", (), (), pending, sql)
    pr = plan_for(project, environment, name=MIGRATION_NAME)
    if pr.plan.empty:
        return Section(
            "implementation-migrations",
            "Implementation: migrations",
            tuple(pr.plan.refused),
            (),
            ("no migration needed: the database matches the declared schema",),
        )
    blocks: list[tuple[str, str]] = []
    notes: list[str] = []
    next_version = len(status.migrations) + 1
    for m in pr.plan.migrations():
        name = f"{project.rel(folder)}/V{next_version:04d}__{MIGRATION_NAME}{m.suffix}"
        next_version += 1
        notes.append(
            f"{name}.up.sql / .down.sql ({'one transaction' if m.transactional else 'outside a transaction'})"
        )
        blocks.append(("sql", f"-- {name}.up.sql\n{m.up}"))
        blocks.append(("sql", f"-- {name}.down.sql\n{m.down}"))
    notes.append(
        f"plan: {'reversible' if pr.plan.reversible else 'NOT fully reversible'}, worst safety class {pr.plan.safety.value}"
    )
    return Section(
        "implementation-migrations",
        "Implementation: migrations",
        tuple(pr.plan.refused),
        (),
        tuple(notes),
        tuple(blocks),
    )


@dataclass
class MigrationOutcome:
    ran: list[str] = field(default_factory=list)  # versions applied by this run
    files: BackupSet | None = None  # the migrations folder before this run generated into it
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    url: str = ""
    changed: bool = False  # files generated or the database written

    @property
    def ok(self) -> bool:
        return not any(f.severity.value == "error" for f in self.findings)


def app_alembic(
    project: Project, environment: str, db: str | None = None
) -> tuple[AlembicProject, str] | None:
    """The project's Alembic and the target URL, when the project has Alembic and a database."""
    from parity.schema.apptool import find_alembic
    from parity.schema.discover import find_database_url

    alembic = find_alembic(project.root)
    if alembic is None:
        return None
    try:
        return alembic, find_database_url(project, environment, db).url
    except DiscoveryError:
        return None


_ELSEWHERE = "listed in Schema Impact Analysis (SCH009)"


def listed_tool_section(
    project: Project, environment: str, db: str | None = None, *, listed: bool = True
) -> Section | None:
    """A project migrated by Flyway, Liquibase, golang-migrate, goose, dbmate, Rails, Prisma, Knex,
    Sequelize or TypeORM: its own tool runs its migrations, and parity plans no ``V000N`` file of its own
    beside them (the tool would never know of it, and a pending migration's change would be
    planned a second time)."""
    from parity import dialects
    from parity.migrate.service import database_url
    from parity.migrate.sql_tool_files import writes
    from parity.schema.listed_tools import find_listed_tool
    from parity.schema.service import tool_status

    tool = find_listed_tool(project.root)
    if tool is None:
        return None
    url = database_url(project, environment, db)
    dialect = dialects.get(url)
    tool = tool.for_dialect(dialect.name)
    status = tool_status(project, dialect.name, url, dialect.inspect(url))
    notes = [f"{tool.tool} project {project.rel(tool.folder)} ({len(tool.migrations)} migrations in main)"]
    notes += [*tool.notes, *(f"not read: {p}" for p in tool.problems)]
    findings: list[Finding] = []
    if status is None or status.applied is None:
        notes.append(f"the database has no {tool.history_table}: `{tool.command}` has not run there")
        # `tool.command` would run every one of them there.
        findings += lint_tool_scripts(project, tool, tool.migrations, dialect.name, notes)
    elif status.pending:
        notes.append(
            f"to run with `{tool.command}`: {len(status.pending)} pending migration(s)"
            + ("" if listed else f", {_ELSEWHERE}")
        )
        if listed:
            notes += [f"pending: {r.id} ({project.rel(r.file)})" for r in status.pending]
        findings += lint_tool_scripts(project, tool, status.pending, dialect.name, notes)
    else:
        notes.append(f"nothing to run: {tool.history_table} lists every migration of main")
    writer = (
        f"`parity migrate new NAME` writes the next {tool.tool} migration (its naming, its folder) once "
        "these have run"
        if writes(tool)
        else f"a model change needs a {tool.tool} migration, written with {tool.tool}'s own generator"
    )
    notes.append(f"parity writes no migration of its own into a {tool.tool} project: {writer}")
    from parity.workflow.tool_cli import runner_note

    notes.append(runner_note(project, tool))
    return Section(
        "implementation-migrations", "Implementation: migrations", tuple(findings), (), tuple(notes)
    )


def lint_tool_scripts(
    project: Project, tool: ListedTool, pending: Sequence[Revision], dialect: str, notes: list[str]
) -> list[Finding]:
    """The SQL of the tool's pending migrations that the checkout holds as SQL (Liquibase's
    formatted-SQL and ``sql`` changesets), linted with parity's rules as they would run."""
    import dataclasses

    from parity.migrate.sql_tool_files import tool_file_script
    from parity.plan.lint import LintSettings, lint_sql

    settings = LintSettings.from_config(project.config.lint)
    out: list[Finding] = []
    linted = 0
    repo = Repo.at(project.root, project.fs.max_file_bytes)
    for r in pending:
        script = tool.scripts.get(r.id) or tool_file_script(tool.tool, r.file, repo)
        if script is None:
            continue
        linted += 1
        for f in lint_sql(
            script.sql,
            dialect,
            file=project.rel(r.file),
            transactional=script.transactional,
            settings=settings,
        ):
            # SQL taken out of an XML/YAML changeset has lines of its own, not the file's.
            out.append(f if script.lines else dataclasses.replace(f, line=None))
    if linted:
        notes.append(
            f"linted the SQL of {linted} pending {tool.tool} migration(s) with parity's rules: {len(out)} finding(s)"
        )
    return out


def alembic_section(
    project: Project,
    environment: str,
    alembic: AlembicProject,
    url: str,
    *,
    offline: bool = False,
    listed: bool = True,
) -> Section:
    """What ``apply`` would run on an Alembic project: the app's pending revisions (its own
    ``alembic upgrade head``), and no parity migration files beside them.

    ``listed``: name each pending revision (``migrate up``'s dry run); ``check`` names them in
    its Schema Impact Analysis already, and says here only how they would run.

    ``offline``: also the revisions' offline SQL, linted. That imports the revision files (not
    env.py, and with no database URL in their environment): only on an explicit dry run of
    ``migrate up``, never from ``check`` or ``plan``."""
    from parity.migrate.alembic_run import applied_revisions, lint_offline

    applied = applied_revisions(url)
    pending = alembic.pending(set(applied or ()))
    notes = [f"{'Flask-Migrate' if alembic.flask else 'Alembic'} project {project.rel(alembic.script_dir)}"]
    if not pending:
        notes.append(f"nothing to run: alembic_version is at head {', '.join(alembic.heads)}")
    else:
        how = (
            "in parity's own Alembic environment (env.py is Flask-Migrate's and needs the Flask app)"
            if alembic.flask
            else "through the app's env.py"
        )
        notes.append(
            f"would run `alembic upgrade head` {how}: {len(pending)} revision(s) "
            f"from {', '.join(applied or ()) or 'an empty database'} to {', '.join(alembic.heads)}"
        )
        if listed:
            notes += [f"pending: {r.id} {r.message} ({project.rel(r.file)})" for r in pending]
        else:
            notes.append(f"the pending revisions are {_ELSEWHERE}")
    notes.append(
        "parity writes no migration of its own into an Alembic project: a model difference Alembic's "
        "revisions do not cover needs a new revision (`alembic revision --autogenerate`)"
    )
    findings: tuple[Finding, ...] = ()
    blocks: tuple[tuple[str, str], ...] = ()
    if offline and pending:
        from parity.plan.lint import LintSettings

        try:
            off = lint_offline(
                project, alembic, url, applied or (), LintSettings.from_config(project.config.lint)
            )
        except ParityError as exc:
            # Not a pass: nothing of the pending revisions' SQL was read by parity's rules.
            findings = (
                Finding(
                    "MGR008",
                    Severity.WARNING,
                    "migrate",
                    f"lint of {len(pending)} pending revision(s) UNKNOWN: their offline SQL could not be "
                    f"generated without the application ({exc.one_line()})",
                    environment=environment,
                    file=project.rel(alembic.versions_dir),
                    fix=f"review them by hand, or print their SQL with `{_offline_command(alembic, applied)}` "
                    "where the app can start",
                ),
            )
        else:
            findings = off.findings
            blocks = (("sql", off.sql),)
            notes.append(
                f"offline SQL of {len(off.by_revision)} revision(s) (`alembic upgrade "
                f"{':'.join([*(applied or ()), 'head']) if applied else 'head'} --sql`, generated without env.py), "
                f"linted: {len(off.findings)} finding(s)"
            )
    elif pending:
        notes.append(
            "their SQL: `parity migrate up` without --yes (runs the revision files offline, not env.py)"
        )
    return Section(
        "implementation-migrations", "Implementation: migrations", findings, (), tuple(notes), blocks
    )


def _offline_command(alembic: AlembicProject, applied: tuple[str, ...] | None) -> str:
    span = f"{applied[0]}:head" if applied and len(applied) == 1 else "head"
    return f"flask db upgrade {span} --sql" if alembic.flask else f"alembic upgrade {span} --sql"


def alembic_migrate_up(
    project: Project,
    environment: str,
    alembic: AlembicProject,
    url: str,
    *,
    lock_timeout: float = 30.0,
    progress: Callable[[str], None] | None = None,
) -> Section:
    """``parity migrate up --yes`` on an Alembic project: under the environment's run lock (a
    second runner is refused at once), the app's ``alembic upgrade head`` in parity's safety net."""
    from parity.errors import redact_url
    from parity.migrate.alembic_run import upgrade

    def run(journal: Journal) -> AlembicOutcome:
        def record(before: tuple[str, ...], bk: Backup) -> None:
            _record_tool_run(journal, "alembic", redact_url(url), list(before), bk)

        return upgrade(
            project,
            environment,
            url,
            alembic,
            lock_timeout=lock_timeout,
            progress=progress,
            before_write=record,
        )

    res = journaled_tool_run(project, environment, run, undo_alembic)
    rows = tuple((r.id, r.message, project.rel(r.file)) for r in res.pending)
    from parity.model.findings import Table

    tables = (Table("Alembic revisions", ("revision", "message", "file"), rows),) if rows else ()
    return Section("migrations", "Migrations", tuple(res.findings), tables, tuple(res.notes))


def journaled_tool_run(
    project: Project,
    environment: str,
    run: Callable[[Journal], _Outcome],
    undo_entry: Callable[[Project, str, dict[str, Any]], str],
) -> _Outcome:
    """``migrate up --yes`` through the app's tool, journaled as ``apply`` journals it, so that
    ``parity rollback`` (and ``parity migrate rollback``) find the run and undo it from its backup.

    Under the environment's run lock (a second runner is refused at once); SIGTERM becomes an
    exception, and the upgrade undoes what the tool committed before it ends. A run whose undo did
    not finish keeps its journal open: ``check`` reports it and ``rollback`` retries."""
    from parity.errors import WriteRefused
    from parity.workflow.journal import Journal, interrupted
    from parity.workflow.lock import run_lock
    from parity.workflow.signals import interrupts_raise, shielded

    with run_lock(project.root, environment, "migrate up"), interrupts_raise():
        stale = interrupted(project.root, environment)
        if stale is not None:
            raise WriteRefused(
                f"run {stale.id} was interrupted and left changes; nothing was changed",
                file=stale.path,
                hint=f"undo it first: parity rollback {project.root} --env {environment}",
            )
        journal = Journal.begin(project.root, environment, "migrate up")
        try:
            res = run(journal)
        except BaseException:
            with shielded():
                # The upgrade has tried its own undo; this one finds nothing left, or retries it.
                entries = [e for e in journal.entries if e["op"] in TOOL_OPS]
                how = [undo_entry(project, environment, e) for e in entries]
                if not any(NOT_RESTORED in h for h in how):
                    journal.end("failed-rolled-back" if entries else "unchanged")
            raise
        if not any(e["op"] in TOOL_OPS for e in journal.entries):
            journal.end("unchanged")  # refused or nothing pending: the tool never ran
        elif getattr(res, "unrestored", ""):
            pass  # its own undo could not put the database back: the run stays open for rollback
        elif res.ok and res.changed:
            journal.end("applied")
            res.notes.append(f"undo with: parity rollback {project.root} --env {environment}")
        else:
            journal.end("failed-rolled-back")  # the upgrade undid its run before it returned
    return res


def _alembic_apply(
    project: Project,
    environment: str,
    alembic: AlembicProject,
    url: str,
    progress: Callable[[str], None] | None,
    journal: Journal | None,
) -> MigrationOutcome:
    from parity.errors import redact_url
    from parity.migrate.alembic_run import upgrade

    def record(before: tuple[str, ...], bk: Backup) -> None:
        _record_tool_run(journal, "alembic", redact_url(url), list(before), bk)

    res = upgrade(project, environment, url, alembic, progress=progress, before_write=record)
    return _tool_outcome(res)


def _record_tool_run(journal: Journal | None, kind: str, url: str, before: list[str], bk: Backup) -> None:
    """Journal an app-tool run (``alembic``, ``django``) before it writes: where its history
    stood and the backup the undo starts from."""
    if journal is not None:
        journal.record(
            kind,
            url=url,
            before=before,
            backup=str(bk.file) if bk.file is not None else None,
            restorable=bk.restorable,
            whole=bk.whole,
            folder=str(bk.folder),
        )


def _tool_outcome(res: AlembicOutcome | DjangoOutcome) -> MigrationOutcome:
    """An Alembic or Django upgrade's result as this workflow's outcome."""
    return MigrationOutcome(
        findings=res.findings,
        notes=res.notes,
        url=res.url,
        changed=res.changed,
        ran=[r.id for r in res.pending],
    )


def _entry_backup(project: Project, entry: dict[str, Any], url: str) -> Backup:
    """The backup a journal's app-tool entry recorded.

    A journal is a file in the repository, and a committed one is untrusted input: its backup is
    restored only from parity's own backup folder (``.parity/backups/``, no link leading out of
    it), and only onto the database the entry names (a dump of one database is never loaded into
    another)."""
    from parity.errors import redact_url
    from parity.migrate.backup import Backup as DbBackup

    backups = Repo.at(project.root / ".parity" / "backups")
    file = Path(entry["backup"]) if entry.get("backup") else None
    folder = Path(entry.get("folder") or project.root)
    ours = file is not None and backups.contains(file) and backups.contains(folder) and not file.is_symlink()
    if not ours:
        file = None
    same = entry.get("url") == redact_url(url)
    return DbBackup(
        folder,
        file,
        "",
        restorable=bool(entry.get("restorable")) and same,
        whole=bool(entry.get("whole")) and same,
    )


def undo_alembic(project: Project, environment: str, entry: dict[str, Any]) -> str:
    """Undo a journal's ``alembic`` entry: the SQLite backup restored, else `alembic downgrade`,
    else (the downgrade failed) the whole-database backup restored."""
    from parity.migrate.alembic_run import undo as alembic_undo
    from parity.schema.apptool import find_alembic
    from parity.schema.discover import find_database_url

    alembic = find_alembic(project.root)
    if alembic is None:
        return f"{NOT_RESTORED}: the Alembic project is gone"
    url = find_database_url(project, environment).url
    try:
        return alembic_undo(
            alembic, url, tuple(entry.get("before") or ()), _entry_backup(project, entry, url)
        )
    except ParityError as exc:
        return f"{NOT_RESTORED} ({exc.one_line()})"


def app_django(project: Project, environment: str, db: str | None = None) -> tuple[DjangoProject, str] | None:
    """The project's Django migrations and the target URL, when it has both (and a manage.py)."""
    from parity.migrate.django_run import find_django
    from parity.schema.discover import find_database_url

    django = find_django(project.root)
    if django is None:
        return None
    try:
        return django, find_database_url(project, environment, db).url
    except DiscoveryError:
        return None


def django_section(
    project: Project,
    environment: str,
    django: DjangoProject,
    url: str,
    *,
    listed: bool = True,
    sql_lint: bool = False,
    dev_url: str | None = None,
) -> Section:
    """What ``apply`` / ``migrate up`` would run on a Django project: its pending migrations
    through its own ``manage.py migrate``, and no parity migration files beside them.
    ``listed``: as for :func:`alembic_section`. ``sql_lint``: also their SQL from the app's
    ``manage.py sqlmigrate``, linted (imports the app: only on ``migrate up``'s explicit dry run)."""
    from parity.migrate.django_run import PYTHON_ENV, applied, django_available

    done = applied(url)
    pending = django.tool.pending(done or set())
    notes = [
        f"Django project {project.rel(django.manage_py)} ({len(django.tool.migrations)} migrations in main)"
    ]
    findings: list[Finding] = []
    blocks: tuple[tuple[str, str], ...] = ()
    if not pending:
        notes.append("nothing to run: django_migrations lists every migration of main")
    else:
        version = django_available()
        runner = (
            f"with Django {version} ({os.environ.get(PYTHON_ENV) or sys.executable})"
            if version
            else f"(Django cannot be imported here: set {PYTHON_ENV} to the app's virtualenv python, "
            f"or run `{django.command}` by hand)"
        )
        notes.append(
            f"would run `manage.py migrate` {runner}, the default database pointed at the target: "
            f"{len(pending)} migration(s)"
        )
        if listed:
            notes += [f"pending: {r.id} ({project.rel(r.file)})" for r in pending]
        else:
            notes.append(f"the pending migrations are {_ELSEWHERE}")
        if sql_lint:
            lint_findings, blocks, note = _django_sql_lint(
                project, environment, django, url, pending, version, dev_url
            )
            findings += lint_findings
            notes += [note] if note else []
    notes.append(
        "parity writes no migration of its own into a Django project: a model change without a "
        "migration needs `python manage.py makemigrations`"
    )
    from parity.model.findings import Table

    rows = tuple((r.id, ", ".join(r.down) or "-", project.rel(r.file)) for r in pending)
    tables = (
        (Table("Pending Django migrations", ("migration", "after", "file"), rows),) if rows and listed else ()
    )
    return Section(
        "implementation-migrations",
        "Implementation: migrations",
        tuple(findings),
        tables,
        tuple(notes),
        blocks,
    )


def _django_sql_lint(
    project: Project,
    environment: str,
    django: DjangoProject,
    url: str,
    pending: list[Revision],
    version: str | None,
    dev_url: str | None,
) -> tuple[list[Finding], tuple[tuple[str, str], ...], str]:
    """The pending migrations' ``sqlmigrate`` SQL linted; MGR010 (UNKNOWN, not passed) when it
    cannot be had."""
    from parity.migrate.django_run import PYTHON_ENV, lint_sqlmigrate
    from parity.plan.lint import LintSettings

    def unknown(why: str) -> list[Finding]:
        return [
            Finding(
                "MGR010",
                Severity.WARNING,
                "migrate",
                f"lint of {len(pending)} pending Django migration(s) UNKNOWN: {why}",
                environment=environment,
                file=project.rel(pending[0].file),
                fix="review them by hand, or print their SQL with `python manage.py sqlmigrate APP NAME` "
                "where the app can start",
            )
        ]

    if version is None:
        return unknown(f"Django cannot be imported here (set {PYTHON_ENV})"), (), ""
    try:
        res = lint_sqlmigrate(
            project, django, url, pending, LintSettings.from_config(project.config.lint), dev_url=dev_url
        )
    except ParityError as exc:
        return unknown(f"`sqlmigrate` could not produce their SQL ({exc.one_line()})"), (), ""
    where = "a copy of the database's schema" if url.startswith("sqlite") else "the --dev-url server"
    note = (
        f"SQL of {len(res.by_migration)} migration(s) (`manage.py sqlmigrate` on {where}, read-only), "
        f"linted: {len(res.findings)} finding(s)"
    )
    return list(res.findings), (("sql", res.sql),), note


def django_migrate_up(
    project: Project,
    environment: str,
    django: DjangoProject,
    url: str,
    *,
    lock_timeout: float = 30.0,
    progress: Callable[[str], None] | None = None,
) -> Section:
    """``parity migrate up --yes`` on a Django project: ``manage.py migrate`` in the safety net."""
    from parity.errors import redact_url
    from parity.migrate.django_run import upgrade
    from parity.model.findings import Table

    def run(journal: Journal) -> DjangoOutcome:
        def record(before: set[str], bk: Backup) -> None:
            _record_tool_run(journal, "django", redact_url(url), sorted(before), bk)

        return upgrade(
            project,
            environment,
            url,
            django,
            lock_timeout=lock_timeout,
            progress=progress,
            before_write=record,
        )

    res = journaled_tool_run(project, environment, run, undo_django)
    rows = tuple((r.id, project.rel(r.file)) for r in res.pending)
    tables = (Table("Django migrations", ("migration", "file"), rows),) if rows else ()
    return Section("migrations", "Migrations", tuple(res.findings), tables, tuple(res.notes))


def _django_apply(
    project: Project,
    environment: str,
    django: DjangoProject,
    url: str,
    progress: Callable[[str], None] | None,
    journal: Journal | None,
) -> MigrationOutcome:
    from parity.errors import redact_url
    from parity.migrate.django_run import upgrade

    def record(before: set[str], bk: Backup) -> None:
        _record_tool_run(journal, "django", redact_url(url), sorted(before), bk)

    res = upgrade(project, environment, url, django, progress=progress, before_write=record)
    return _tool_outcome(res)


def undo_django(project: Project, environment: str, entry: dict[str, Any]) -> str:
    """Undo a journal's ``django`` entry: the SQLite backup restored, else Django migrates back."""
    from parity.migrate.django_run import find_django, undo
    from parity.schema.discover import find_database_url

    django = find_django(project.root)
    if django is None:
        return f"{NOT_RESTORED}: the Django project is gone"
    url = find_database_url(project, environment).url
    try:
        return undo(django, url, set(entry.get("before") or ()), _entry_backup(project, entry, url))
    except ParityError as exc:
        return f"{NOT_RESTORED} ({exc.one_line()})"


def apply_migrations(
    project: Project,
    environment: str,
    progress: Callable[[str], None] | None = None,
    journal: Journal | None = None,
) -> MigrationOutcome:
    """Generate (when nothing is pending) and apply the migrations main's schema needs.

    On an Alembic project the app's own revisions run instead (:mod:`parity.migrate.alembic_run`)
    and parity generates nothing: its files would duplicate them and leave ``alembic_version``
    behind.

    ``journal`` hears of each change before it is made: the migrations folder as it was (before
    files are generated into it) and the database's migration state (before the first write)."""
    found = app_alembic(project, environment)
    if found is not None:
        return _alembic_apply(project, environment, *found, progress, journal)
    dj = app_django(project, environment)
    if dj is not None:
        return _django_apply(project, environment, *dj, progress, journal)
    from parity.workflow import tool_cli

    cli = tool_cli.app_tool_cli(project, environment)
    if cli is not None:
        # dbmate: its own CLI runs its migrations in parity's safety net, when it can run here.
        ran = tool_cli.tool_cli_apply(project, environment, *cli, progress, journal)
        if ran is not None:
            return ran
        # Not runnable here (not on PATH…): say so, and which command runs them.
        listed = listed_tool_section(project, environment)
        return MigrationOutcome(
            notes=[
                *(listed.notes if listed is not None else ()),
                "parity ran no migration: run them with the tool's own command",
            ]
        )
    out = MigrationOutcome()
    if not has_database(project, environment):
        out.notes.append("no database or declared schema: no migration step")
        return out
    tool = listed_tool_section(project, environment)
    if tool is not None:
        # Flyway, golang-migrate, goose, dbmate, Rails, Prisma: their migrations are run by their
        # own CLI, which parity does not drive; parity's V000N files there would be unknown to
        # the tool's history. The verification below still says what is left (SCH009 and the
        # model differences).
        out.notes += [*tool.notes, "parity ran no migration: run them with the tool's own command"]
        return out
    from parity.errors import redact_url
    from parity.migrate.service import apply, executor_for, generate, migrations_folder, plan_for

    folder = migrations_folder(project)
    ex = executor_for(project, environment)
    status = ex.status()

    def before_database_writes() -> None:
        if journal is not None and not journal.of("database"):
            journal.record(
                "database",
                url=redact_url(ex.url),
                history_existed=status.history_exists,
                applied=[m.version for m in status.migrations if m.state in ("applied", "changed")],
            )

    if not status.pending:
        # Planned before anything is written (the baseline included): a refused change (a
        # conversion the existing rows would make fail, a NOT NULL without backfill) changes nothing.
        planned = plan_for(project, environment, name=MIGRATION_NAME)
        if planned.plan.refused:
            out.findings.extend(planned.plan.refused)
            return out
        out.files = backup_files(project.root, _files(project, folder), label="migrations")
        if journal is not None:
            journal.record(
                "folder-backup",
                path=project.rel(out.files.path),
                folder=project.rel(folder),
                existed=folder.is_dir(),
            )
        if write_baseline(project, environment, folder, status.migrations, status.history_exists):
            out.changed = True
            before_database_writes()
            ex.baseline()
            out.notes.append(
                f"wrote {project.rel(folder)}/V0001__baseline.up.sql: the schema production has today, marked applied"
            )
        gen = generate(project, environment, MIGRATION_NAME, planned=planned)
        out.changed = out.changed or bool(gen.written)
        out.notes += [f"wrote {project.rel(m.up_path)}" for m in gen.written]
        if gen.refused:
            out.findings.extend(gen.plan.refused)
            return out
    if not ex.pending():
        out.notes.append("nothing to apply: the database is up to date")
        return out
    out.changed = True
    before_database_writes()
    try:
        result = apply(project, environment, progress=progress)
    except ParityError as exc:
        # The executor has rolled the failing migration back; the run's undo does the rest.
        out.findings.append(
            Finding(
                "APL001",
                Severity.ERROR,
                "migrate",
                f"migration failed: {exc.one_line()}",
                environment=environment,
            )
        )
        return out
    out.url = result.url
    out.findings.extend(result.verification)
    out.notes.extend(result.notes)
    if result.run is not None:
        out.ran = [s.version for s in result.run.ran]
        out.notes.append(f"applied {', '.join(out.ran) or 'nothing'} to {result.url}")
    if result.backup is not None and result.backup.file is not None:
        out.notes.append(f"database backup: {project.rel(result.backup.file)}")
    return out


def undo_database(project: Project, environment: str, entry: dict[str, Any], backup_dir: Path) -> str:
    """Put the target's migrations back as ``entry`` (a journal's ``database`` entry) found them:
    undo every version applied since, then drop the history table if the run created it.

    Works from the database's own history, so it is right after a kill at any point and can run
    again after a kill during the undo itself."""
    from parity.migrate.runtime import open_runtime
    from parity.migrate.service import database_url, executor_for, undo_versions

    ex = executor_for(project, environment)
    status = ex.status()
    before = {str(v) for v in entry.get("applied") or ()}
    ours = [
        m.version
        for m in status.migrations
        # A half-applied migration (MySQL) is this run's too: its undo restores the backup.
        if m.state in ("applied", "changed", "partial") and m.version not in before
    ]
    how = "no migration had run"
    if ours:
        try:
            how = undo_versions(project, environment, ours, backup_dir)
        except MigrationError as exc:
            how = f"{NOT_RESTORED} ({exc.message})"
    if not entry.get("history_existed"):
        rt = open_runtime(database_url(project, environment))
        from parity.migrate import history

        try:
            # What is left there is at most this run's record of a failed attempt.
            if rt.has_table(HISTORY_TABLE) and not any(r.success for r in history.read(rt).values()):
                with rt.transaction():
                    rt.execute(f"DROP TABLE {HISTORY_TABLE}")
                how += f"; dropped {HISTORY_TABLE}, which this run had created"
        finally:
            rt.close()
    return how


def restore_folder(project: Project, backup: BackupSet, folder: Path, existed: bool = True) -> list[str]:
    """The migrations folder as ``backup`` found it: its files put back, files added since removed,
    and the folder itself gone again when the run created it."""
    restored = restore(project.root, backup)
    kept = {(project.root / rel).resolve() for rel in backup.files}
    for path in _files(project, folder):
        if path.resolve() not in kept:
            path.unlink()
            restored.append(project.rel(path))
    if not existed and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
    return restored


def baseline_sql(url: str) -> str | None:
    """The production schema as one script, or None when the database has no table yet."""
    from parity import dialects
    from parity.diff.compare import compare
    from parity.model.schema import Schema

    dialect = dialects.get(url)
    current = dialect.inspect(url)
    if not current.tables:
        return None
    empty = Schema(current.dialect)
    statements = dialect.render_script(empty, compare(empty, current, dialect.compare_options))
    return "\n\n".join(s.rstrip().rstrip(";") + ";" for s in statements) + "\n"


def write_baseline(
    project: Project, environment: str, folder: Path, migrations: tuple[object, ...], history: bool
) -> bool:
    """First adoption of versioned migrations on a database that already has tables: record
    what it has as migration V0001 so the folder replays from scratch (a fresh local or test
    database gets the same schema). Its down is empty: a baseline is never undone by dropping."""
    if migrations or history:
        return False
    from parity.migrate import dir as mdir
    from parity.migrate.service import database_url

    sql = baseline_sql(database_url(project, environment))
    if sql is None:
        return False
    header = "-- The schema production had when parity started managing migrations (marked applied there).\n"
    mdir.write(
        folder, "baseline", header + sql, "-- a baseline is never undone: it would drop production tables\n"
    )
    return True


def _files(project: Project, folder: Path) -> list[Path]:
    """The regular files of the migrations folder (links out of it, FIFOs and the like left out)."""
    repo = Repo.at(folder, project.fs.max_file_bytes)
    return sorted(p for p in folder.iterdir() if repo.is_file(p)) if folder.is_dir() else []
