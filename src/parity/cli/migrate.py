"""``parity migrate new|plan|status|up|down|baseline|rollback|hash``: versioned, verified migrations.

Commands that change the database (``up``, ``down``, ``baseline``, ``rollback``) are dry runs
unless ``--yes`` is given: without it they print what they would do and change nothing.
``new`` writes reviewable files into the repository (``--dry-run`` prints them instead).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from parity.cli.common import EnvOpt, Format, FormatOpt, echo, emit, exit_for, guarded

if TYPE_CHECKING:
    from parity.model.findings import Report, Section
    from parity.plan.model import Plan

ProjectArg = Annotated[Path, typer.Argument(help="Project folder.")]
DbOpt = Annotated[
    str | None, typer.Option("--db", help="Database URL (default: DATABASE_URL of the environment).")
]
SchemaOpt = Annotated[
    str | None, typer.Option("--schema", help="Declared schema: a .sql file, a folder, or module:Base.")
]
DevUrlOpt = Annotated[
    str | None, typer.Option("--dev-url", help="Server for the scratch database (PostgreSQL/MySQL).")
]
BackfillOpt = Annotated[
    list[str] | None,
    typer.Option("--backfill", help="TABLE.COL=EXPR: fill a new NOT NULL column from EXPR (repeatable)."),
]
ToOpt = Annotated[str | None, typer.Option("--to", help="Target version (e.g. 0002).")]
YesOpt = Annotated[
    bool, typer.Option("--yes", "-y", help="Really change the database (otherwise a dry run).")
]
LockOpt = Annotated[float, typer.Option("--lock-timeout", help="Seconds to wait for the migration lock.")]


def _report(command: str, path: Path, env: str, *sections: Section) -> Report:
    from parity.model.findings import Report

    return Report(command, str(path.resolve()), env, tuple(sections))


def _project(path: Path):  # type: ignore[no-untyped-def]
    from parity.project import discover

    return discover(path)


def _say(message: str) -> None:
    echo(f"parity: {message}", err=True)


def plan_section(plan: Plan, url: str, title: str = "Migration Plan") -> Section:
    from parity.model.findings import Section, Table

    rows = tuple(
        (
            str(i),
            s.comment,
            s.safety.value,
            "yes" if s.rewrites_table else "no",
            s.lock or "",
            "yes" if s.transactional else "no",
            "yes" if s.reversible else "no",
        )
        for i, s in enumerate(plan.steps, start=1)
    )
    notes = [
        f"{plan.dialect} database {url}",
        f"transactional: {'yes' if plan.transactional else 'no (some steps run outside a transaction)'}; "
        f"reversible: {'yes' if plan.reversible else 'no'}; worst safety class: {plan.safety.value}",
    ]
    if plan.empty:
        notes.append("nothing to do: the database already has every declared change")
    blocks: list[tuple[str, str]] = []
    for m in plan.migrations():
        blocks.append(("sql", m.up))
    table = (
        (Table("Steps", ("#", "step", "safety", "rewrite", "lock", "tx", "reversible"), rows),)
        if rows
        else ()
    )
    return Section("plan", title, plan.diagnostics, table, tuple(notes), tuple(blocks))


def new_cmd(
    name: Annotated[str, typer.Argument(help="Migration name, e.g. add_order_status.")],
    path: ProjectArg = Path("."),
    env: EnvOpt = "production",
    db: DbOpt = None,
    schema: SchemaOpt = None,
    dev_url: DevUrlOpt = None,
    backfill: BackfillOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; write no file.")] = False,
    fmt: FormatOpt = Format.text,
) -> None:
    """Plan the declared schema against the database and write the next migration: the app's own tool's
    (an Alembic revision; a Flyway, golang-migrate, goose or dbmate file), else V000N__NAME.up/.down.sql."""
    from parity.migrate import service

    project = guarded(lambda: _project(path))
    if dry_run:
        result = guarded(
            lambda: service.plan_for(
                project, env, db=db, schema=schema, dev_url=dev_url, backfills=backfill or (), name=name
            )
        )
        report = _report("migrate new --dry-run", path, env, plan_section(result.plan, result.url))
        emit(report, fmt)
        raise exit_for(report)
    gen = guarded(
        lambda: service.generate(
            project, env, name, db=db, schema=schema, dev_url=dev_url, backfills=backfill or ()
        )
    )
    section = plan_section(gen.plan, gen.url)
    from dataclasses import replace

    if gen.revision is not None:
        section = replace(
            section,
            notes=(
                *section.notes,
                f"wrote Alembic revision {gen.revision.revision} (down_revision {gen.revision.down_revision}): "
                f"{project.rel(gen.revision.path)}; run it with the app's own upgrade command",
            ),
        )
    elif gen.tool_files:
        section = replace(
            section,
            notes=(
                *section.notes,
                *(f"wrote {gen.tool} migration {project.rel(f)}" for f in gen.tool_files),
                f"run it with {gen.tool}'s own command; parity wrote no file of its own",
            ),
        )
    elif gen.written:
        section = replace(
            section,
            notes=(
                *section.notes,
                *(f"wrote {project.rel(m.up_path)} and its .down.sql" for m in gen.written),
            ),
        )
    elif gen.refused:
        section = replace(
            section, notes=(*section.notes, "no file written: the plan refuses a change (see the errors)")
        )
    report = _report("migrate new", path, env, section)
    emit(report, fmt)
    raise exit_for(report)


def plan_cmd(
    path: ProjectArg = Path("."),
    env: EnvOpt = "production",
    db: DbOpt = None,
    schema: SchemaOpt = None,
    dev_url: DevUrlOpt = None,
    backfill: BackfillOpt = None,
    fmt: FormatOpt = Format.text,
) -> None:
    """Show the safe plan (SQL, reverse, safety, lint) from the database to the declared schema. Read-only."""
    from parity.migrate import service

    project = guarded(lambda: _project(path))
    result = guarded(
        lambda: service.plan_for(
            project, env, db=db, schema=schema, dev_url=dev_url, backfills=backfill or ()
        )
    )
    report = _report("migrate plan", path, env, plan_section(result.plan, result.url))
    emit(report, fmt)
    raise exit_for(report)


def status_cmd(
    path: ProjectArg = Path("."), env: EnvOpt = "production", db: DbOpt = None, fmt: FormatOpt = Format.text
) -> None:
    """Applied, pending, failed and edited migrations of the environment's database. Read-only."""
    from parity.migrate import service

    project = guarded(lambda: _project(path))
    section = guarded(lambda: service.build_migration_section(project, env, db=db))
    report = _report("migrate status", path, env, section)
    emit(report, fmt)
    raise exit_for(report)


def _progress(message: str) -> None:
    _say(message)


def up_cmd(
    path: ProjectArg = Path("."),
    env: EnvOpt = "production",
    db: DbOpt = None,
    schema: SchemaOpt = None,
    dev_url: DevUrlOpt = None,
    to: ToOpt = None,
    yes: YesOpt = False,
    no_verify_schema: Annotated[
        bool, typer.Option("--no-verify-schema", help="Skip the re-diff against the declared schema.")
    ] = False,
    lock_timeout: LockOpt = 30.0,
    fmt: FormatOpt = Format.text,
) -> None:
    """Back up, apply pending migrations exactly once under a lock, verify old data; roll back on failure."""
    from dataclasses import replace

    from parity.migrate import service

    project = guarded(lambda: _project(path))
    from parity.workflow import migrations as wm

    alembic = guarded(lambda: wm.app_alembic(project, env, db))
    if alembic is not None:
        # The app's own Alembic migrates it: parity's V000N runner would leave alembic_version behind.
        if not yes:
            section = guarded(lambda: wm.alembic_section(project, env, *alembic, offline=True))
            section = replace(section, notes=(*section.notes, "dry run: nothing applied (rerun with --yes)"))
            report = _report("migrate up (dry run)", path, env, section)
            emit(report, fmt)
            raise typer.Exit(0)
        section = guarded(
            lambda: wm.alembic_migrate_up(
                project, env, *alembic, lock_timeout=lock_timeout, progress=_progress
            )
        )
        report = _report("migrate up", path, env, section)
        emit(report, fmt)
        raise exit_for(report)
    django = guarded(lambda: wm.app_django(project, env, db))
    if django is not None:
        # The app's own `manage.py migrate`: its django_migrations must say head afterwards.
        if not yes:
            section = guarded(
                lambda: wm.django_section(project, env, *django, sql_lint=True, dev_url=dev_url)
            )
            section = replace(section, notes=(*section.notes, "dry run: nothing applied (rerun with --yes)"))
            report = _report("migrate up (dry run)", path, env, section)
            emit(report, fmt)
            raise typer.Exit(0)
        section = guarded(
            lambda: wm.django_migrate_up(project, env, *django, lock_timeout=lock_timeout, progress=_progress)
        )
        report = _report("migrate up", path, env, section)
        emit(report, fmt)
        raise exit_for(report)
    from parity.workflow import tool_cli

    cli_tool = guarded(lambda: tool_cli.app_tool_cli(project, env, db))
    if cli_tool is not None and (not yes or guarded(lambda: tool_cli.can_run(project, *cli_tool))):
        # dbmate: its own CLI brings the database to head, in parity's safety net.
        if not yes:
            section = guarded(lambda: tool_cli.tool_cli_section(project, env, *cli_tool))
            section = replace(section, notes=(*section.notes, "dry run: nothing applied (rerun with --yes)"))
            report = _report("migrate up (dry run)", path, env, section)
            emit(report, fmt)
            raise typer.Exit(0)
        section = guarded(
            lambda: tool_cli.tool_cli_migrate_up(
                project, env, *cli_tool, lock_timeout=lock_timeout, progress=_progress
            )
        )
        report = _report("migrate up", path, env, section)
        emit(report, fmt)
        raise exit_for(report)
    tool = guarded(lambda: wm.listed_tool_section(project, env, db))
    if tool is not None:
        # Another tool's migrations (Flyway, goose, …): parity neither runs them nor its own beside them.
        if yes:
            from parity.errors import MigrationError

            def refuse() -> None:
                if cli_tool is not None:  # a tool parity can run, but not here (not on PATH…)
                    raise MigrationError(
                        f"{tool.notes[0]}: {tool_cli.not_run_note(project, cli_tool[0])}, and parity runs no "
                        "migration of its own beside them; nothing was changed",
                        hint=f"{tool.notes[1]} (or put the tool on PATH and rerun)",
                    )
                raise MigrationError(
                    f"{tool.notes[0]}: parity does not run that tool's migrations, nor its own beside them; "
                    "nothing was changed",
                    hint=f"{tool.notes[1]}; `parity migrate new NAME` writes that tool's next migration",
                )

            guarded(refuse)
        section = replace(tool, notes=(*tool.notes, "dry run: nothing applied (rerun with --yes)"))
        report = _report("migrate up (dry run)", path, env, section)
        emit(report, fmt)
        raise typer.Exit(0)
    if not yes:
        section = guarded(lambda: service.build_migration_section(project, env, db=db))
        section = replace(section, notes=(*section.notes, "dry run: nothing applied (rerun with --yes)"))
        report = _report("migrate up (dry run)", path, env, section)
        emit(report, fmt)
        raise typer.Exit(0)
    progress = _verify_progress()
    try:
        result = guarded(
            lambda: service.apply(
                project,
                env,
                db=db,
                schema=schema,
                dev_url=dev_url,
                to=to,
                verify_schema=not no_verify_schema,
                lock_timeout=lock_timeout,
                progress=_progress,
                verify_progress=progress,
            )
        )
    finally:
        _close_progress()
    section = guarded(lambda: service.build_migration_section(project, env, db=db, result=result, lint=False))
    report = _report("migrate up", path, env, section)
    emit(report, fmt)
    raise exit_for(report)


_bar: list[object] = []


def _verify_progress():  # type: ignore[no-untyped-def]
    """A Rich progress line on stderr while tables are hashed (only on a terminal)."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(console=Console(stderr=True), transient=True)
    bar.start()
    tasks: dict[str, object] = {}
    _bar.append(bar)

    def update(table: str, rows: int) -> None:
        if table not in tasks:
            tasks[table] = bar.add_task(f"hashing {table}", total=None)
        bar.update(tasks[table], completed=rows, description=f"hashing {table}: {rows} rows")

    return update


def _close_progress() -> None:
    while _bar:
        _bar.pop().stop()  # type: ignore[attr-defined]


def down_cmd(
    path: ProjectArg = Path("."),
    env: EnvOpt = "production",
    db: DbOpt = None,
    to: ToOpt = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Drop columns/tables holding data (their values are backed up first)."),
    ] = False,
    yes: YesOpt = False,
    lock_timeout: LockOpt = 30.0,
) -> None:
    """Undo the last applied migration (or all after --to), newest first."""
    from parity.migrate import service
    from parity.migrate.backup import new_folder

    project = guarded(lambda: _project(path))
    ex = guarded(lambda: service.executor_for(project, env, db=db, lock_timeout=lock_timeout))
    if not yes:
        status = guarded(ex.status)
        done = [s for s in status.migrations if s.state in ("applied", "changed")]
        if to is None:
            todo = done[-1:]
        else:
            target = int(to.lstrip("vV"))
            todo = [s for s in done if int(s.version) > target]
        for s in reversed(todo):
            echo(f"would revert V{s.version}__{s.name}")
        echo("dry run: nothing reverted (rerun with --yes)" if todo else "nothing to revert")
        raise typer.Exit(0)
    backup_dir = new_folder(project.root) if force else None
    result = guarded(lambda: ex.down(to, force=force, backup_dir=backup_dir, progress=_progress))
    for step in result.ran:
        echo(f"reverted V{step.version}__{step.name} ({step.duration_ms} ms)")
    for p in result.backups:
        echo(f"backed up dropped values to {project.rel(p)}")
    if not result.ran:
        echo("nothing to revert")


def baseline_cmd(
    path: ProjectArg = Path("."),
    env: EnvOpt = "production",
    db: DbOpt = None,
    version: Annotated[
        str | None, typer.Option("--version", help="Last version the database already has (default: all).")
    ] = None,
    yes: YesOpt = False,
) -> None:
    """Mark migrations as applied without running them (a database that already has their effect)."""
    from parity.migrate import service

    project = guarded(lambda: _project(path))
    ex = guarded(lambda: service.executor_for(project, env, db=db))
    if not yes:
        status = guarded(ex.status)
        for s in status.pending:
            if version is None or int(s.version) <= int(version.lstrip("vV")):
                echo(f"would mark V{s.version}__{s.name} as applied")
        echo("dry run: history unchanged (rerun with --yes)")
        raise typer.Exit(0)
    result = guarded(lambda: ex.baseline(version))
    for step in result.steps:
        echo(f"marked V{step.version}__{step.name} as applied")
    if not result.steps:
        echo("nothing to mark")


def rollback_cmd(
    path: ProjectArg = Path("."),
    env: EnvOpt = "production",
    db: DbOpt = None,
    yes: YesOpt = False,
) -> None:
    """Undo the last `migrate up`: restore its backup (SQLite file; MySQL/MariaDB tables, also after a
    half-applied migration) if nothing changed since, else run its downs."""
    from parity.migrate import service

    project = guarded(lambda: _project(path))
    if not yes:
        echo("dry run: would undo the last `migrate up` on this database (rerun with --yes)")
        raise typer.Exit(0)
    from parity.workflow import migrations as wm
    from parity.workflow import tool_cli

    if db is None and (
        wm.app_alembic(project, env) or wm.app_django(project, env) or tool_cli.app_tool_cli(project, env)
    ):
        # The app's own tool ran that `migrate up`: its run is journaled as `apply`'s is, and
        # undone the same way (the tool's downgrade, else the whole-database backup).
        from parity.workflow.apply import run_rollback

        report = guarded(lambda: run_rollback(path, env))
        emit(report, Format.text)
        raise exit_for(report)
    result = guarded(lambda: service.rollback(project, env, db=db))
    echo(f"rolled back {', '.join(result.versions)}: {result.how}")


def hash_cmd(path: ProjectArg = Path(".")) -> None:
    """Rewrite migrations/parity.sum after reviewing hand-written or edited (never applied) files."""
    from parity.migrate import checksum, service

    project = guarded(lambda: _project(path))
    folder = service.migrations_folder(project)
    s = guarded(lambda: checksum.write(folder, project.fs.max_file_bytes))
    echo(f"wrote {project.rel(folder / checksum.SUM_FILE)} ({len(s.entries)} files)")


def register(app: typer.Typer) -> None:
    migrate_app = typer.Typer(
        help="Safe, versioned migrations: plan, lint, apply exactly once, verify, roll back.",
        no_args_is_help=True,
    )
    migrate_app.command("new")(new_cmd)
    migrate_app.command("plan")(plan_cmd)
    migrate_app.command("status")(status_cmd)
    migrate_app.command("up")(up_cmd)
    migrate_app.command("down")(down_cmd)
    migrate_app.command("baseline")(baseline_cmd)
    migrate_app.command("rollback")(rollback_cmd)
    migrate_app.command("hash")(hash_cmd)
    app.add_typer(migrate_app, name="migrate")
