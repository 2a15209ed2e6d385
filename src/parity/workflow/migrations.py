"""The schema part of ``plan``/``apply``/``rollback``: generate the migration files main needs,
apply them exactly once with a backup and verification, and undo them on request.

The migration capability itself lives in :mod:`parity.migrate`; this module only decides when
the workflow needs it and keeps the generated files undoable like any other write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from parity.env.write import BackupSet, record_backup
from parity.errors import DiscoveryError, MigrationError, ParityError
from parity.model.findings import Finding, Section, Severity
from parity.project import Project
from parity.safefs import Repo

MIGRATION_NAME = "parity_apply"
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


def implementation_section(project: Project, environment: str) -> Section | None:
    """The migration files ``apply`` would write (or the pending ones it would run), with their SQL."""
    if not has_database(project, environment):
        return None
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
    files: BackupSet | None = None  # generated files, undoable
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    url: str = ""
    created_history: bool = False  # this run created the history table (undo drops it again)

    @property
    def ok(self) -> bool:
        return not any(f.severity.value == "error" for f in self.findings)


def apply_migrations(
    project: Project, environment: str, progress: Callable[[str], None] | None = None
) -> MigrationOutcome:
    """Generate (when nothing is pending) and apply the migrations main's schema needs."""
    out = MigrationOutcome()
    if not has_database(project, environment):
        out.notes.append("no database or declared schema: no migration step")
        return out
    from parity.migrate.service import apply, executor_for, generate, migrations_folder

    folder = migrations_folder(project)
    ex = executor_for(project, environment)
    status = ex.status()
    if not status.pending:
        before = {p: _read(project, p) for p in _files(project, folder)}
        if write_baseline(project, environment, folder, status.migrations, status.history_exists):
            ex.baseline()
            out.notes.append(
                f"wrote {project.rel(folder)}/V0001__baseline.up.sql: the schema production has today, marked applied"
            )
        gen = generate(project, environment, MIGRATION_NAME)
        after = _files(project, folder)
        changed: dict[Path, bytes | None] = {
            p: before.get(p) for p in after if before.get(p) != _read(project, p)
        }
        if changed:
            # Recorded before anything can fail, so an undo also removes what was generated.
            out.files = record_backup(project.root, changed, "migrations")
            out.notes += [f"wrote {project.rel(m.up_path)}" for m in gen.written]
        if gen.refused:
            out.findings.extend(gen.plan.refused)
            out.created_history = not status.history_exists and ex.status().history_exists
            return out
    # Created by this run (by the baseline, or by a first migration, even a failed one).
    out.created_history = not status.history_exists
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


def rollback_migrations(
    project: Project, environment: str, *, ran: bool = True, created_history: bool = False
) -> str:
    """Undo the last migration apply on the target (restore the backup or run the downs); when
    that run also created the history table (a baseline, a first attempt), drop it, so the
    schema is exactly what it was before."""
    from parity.migrate.service import database_url, rollback

    how = "no migration had run"
    if ran:
        try:
            how = rollback(project, environment).how
        except MigrationError as exc:
            how = f"database unchanged ({exc.message})"
    if created_history:
        from parity.migrate.runtime import open_runtime

        rt = open_runtime(database_url(project, environment))
        try:
            if rt.has_table(HISTORY_TABLE):
                with rt.transaction():
                    rt.execute(f"DROP TABLE {HISTORY_TABLE}")
                how += f"; dropped {HISTORY_TABLE}, which this run had created"
        finally:
            rt.close()
    return how


def _files(project: Project, folder: Path) -> list[Path]:
    """The regular files of the migrations folder (links out of it, FIFOs and the like left out)."""
    repo = Repo.at(folder, project.fs.max_file_bytes)
    return sorted(p for p in folder.iterdir() if repo.is_file(p)) if folder.is_dir() else []


def _read(project: Project, path: Path) -> bytes:
    return Repo.at(path.parent, project.fs.max_file_bytes).read_bytes(path)
