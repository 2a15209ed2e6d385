"""The schema part of ``apply`` / ``migrate up`` / ``rollback`` on a project migrated by a CLI tool
of plain SQL files (dbmate): the tool's own "migrate to head" in parity's safety net
(:mod:`parity.migrate.cli_tool_run`), journaled before it writes, undone on request."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from parity.errors import DiscoveryError, ParityError, redact_url
from parity.model.findings import Finding, Section, Table
from parity.project import Project

if TYPE_CHECKING:
    from parity.migrate.backup import Backup
    from parity.migrate.cli_tool_run import ToolOutcome
    from parity.schema.listed_tools import ListedTool
    from parity.workflow.journal import Journal
    from parity.workflow.migrations import MigrationOutcome

#: The journal entry of a tool run (its history before, the backup the undo starts from).
JOURNAL_OP = "tool-cli"


def app_tool_cli(project: Project, environment: str, db: str | None = None) -> tuple[ListedTool, str] | None:
    """The project's migration tool and the target URL, when parity has a runner for that tool's
    CLI (whether or not the program is installed here) and the target is known."""
    from parity.migrate.cli_tool_run import RUNNERS
    from parity.schema.discover import find_database_url
    from parity.schema.listed_tools import find_listed_tool

    tool = find_listed_tool(project.root)
    if tool is None or tool.tool not in RUNNERS:
        return None
    try:
        return tool, find_database_url(project, environment, db).url
    except DiscoveryError:
        return None


def tool_cli_section(
    project: Project, environment: str, tool: ListedTool, url: str, *, lint: bool = True
) -> Section:
    """What ``apply`` / ``migrate up --yes`` would run: the pending migrations, through which
    program (or why none, and the command to run by hand), and their SQL linted."""
    from parity import dialects
    from parity.migrate.cli_tool_run import applied, lint_pending, runnable
    from parity.plan.lint import LintSettings

    done = applied(tool, url)
    pending = tool.pending(done or set())
    notes = [f"{tool.tool} project {project.rel(tool.folder)} ({len(tool.migrations)} migrations in main)"]
    findings: list[Finding] = []
    blocks: tuple[tuple[str, str], ...] = ()
    can = runnable(tool, project.root)
    if done is None:
        notes.append(f"the database has no {tool.history_table}: {tool.tool} has not run there")
    if not pending:
        notes.append(f"nothing to run: {tool.history_table} lists every migration of main")
    else:
        if can.ok and can.cli is not None:
            notes.append(
                f"would run `{can.cli.program} {can.cli.up[-1]}` ({can.program}) in parity's safety net "
                f"(lock, backup, old rows verified, undone on failure): {len(pending)} migration(s)"
            )
        else:
            notes.append(
                f"parity will NOT run them: {can.reason}; run `{tool.command}` by hand, "
                f"pointed at this database: {len(pending)} migration(s)"
            )
        notes += [f"pending: {r.id} ({project.rel(r.file)})" for r in pending]
        if lint:
            found, sql = lint_pending(
                project,
                tool,
                dialects.get(url).name,
                pending,
                LintSettings.from_config(project.config.lint),
            )
            findings += found
            blocks = (("sql", sql),) if sql else ()
            notes.append(f"SQL of {len(pending)} pending migration(s), linted: {len(found)} finding(s)")
    return Section(
        "implementation-migrations", "Implementation: migrations", tuple(findings), (), tuple(notes), blocks
    )


def _section(res: ToolOutcome, project: Project) -> Section:
    rows = tuple((r.id, project.rel(r.file)) for r in res.pending)
    tables = (Table(f"{res.tool} migrations", ("migration", "file"), rows),) if rows else ()
    return Section("migrations", "Migrations", tuple(res.findings), tables, tuple(res.notes))


def tool_cli_migrate_up(
    project: Project,
    environment: str,
    tool: ListedTool,
    url: str,
    *,
    lock_timeout: float = 30.0,
    progress: Callable[[str], None] | None = None,
) -> Section:
    """``parity migrate up --yes``: under the environment's run lock, the tool's own upgrade,
    journaled as ``apply`` journals it (``parity rollback`` / ``migrate rollback`` undo it)."""
    from parity.migrate.cli_tool_run import upgrade
    from parity.workflow.migrations import journaled_tool_run

    def run(journal: Journal) -> ToolOutcome:
        res = upgrade(
            project,
            environment,
            url,
            tool,
            lock_timeout=lock_timeout,
            progress=progress,
            before_write=_recorder(journal, url),
        )
        if res.unrestored:
            _record_unrestored(journal, url, res)
        return res

    res = journaled_tool_run(project, environment, run, undo_tool_cli)
    return _section(res, project)


def _record_unrestored(journal: Journal, url: str, res: ToolOutcome) -> None:
    """The run's own undo did not put the database back: nothing in the tool's history shows what
    is left (a half-applied MariaDB migration), so the journal says it, with the whole-database
    backup a later ``rollback`` loads back instead of trying the tool's down again."""
    bk = res.backup
    journal.record(
        JOURNAL_OP,
        url=redact_url(url),
        unrestored=res.unrestored,
        before=sorted(res.before),
        backup=str(bk.file) if bk is not None and bk.file is not None else None,
        whole=bool(bk is not None and bk.whole),
        folder=str(bk.folder) if bk is not None else None,
    )


def _recorder(journal: Journal | None, url: str) -> Callable[[set[str], Backup], None]:
    def record(before: set[str], bk: Backup) -> None:
        if journal is not None:
            journal.record(
                JOURNAL_OP,
                url=redact_url(url),
                before=sorted(before),
                backup=str(bk.file) if bk.file is not None else None,
                restorable=bk.restorable,
                whole=bk.whole,
                folder=str(bk.folder),
            )

    return record


def tool_cli_apply(
    project: Project,
    environment: str,
    tool: ListedTool,
    url: str,
    progress: Callable[[str], None] | None,
    journal: Journal | None,
) -> MigrationOutcome | None:
    """``apply``'s migration step through the tool's CLI; None when parity cannot run it here
    (the caller then says which command to run, as for any tool parity does not drive)."""
    from parity.migrate.cli_tool_run import upgrade
    from parity.workflow.migrations import MigrationOutcome

    if not can_run(project, tool, url):
        return None
    res = upgrade(project, environment, url, tool, progress=progress, before_write=_recorder(journal, url))
    if res.unrestored and journal is not None:
        # The run's undo (by the journal) must not end it as rolled back: nothing in the tool's
        # history shows what is left (a half-applied MariaDB migration), so the journal says it.
        _record_unrestored(journal, url, res)
    return MigrationOutcome(
        findings=res.findings,
        notes=res.notes,
        url=res.url,
        changed=res.changed,
        ran=[r.id for r in res.pending],
    )


def can_run(project: Project, tool: ListedTool, url: str) -> bool:
    """``migrate up --yes`` runs the tool: nothing is pending (a no-op run), or its CLI can run."""
    from parity.migrate.cli_tool_run import applied, runnable

    return not tool.pending(applied(tool, url) or set()) or runnable(tool, project.root).ok


def runner_note(project: Project, tool: ListedTool) -> str:
    """Whether ``apply`` / ``migrate up --yes`` run ``tool``'s migrations here, and with what."""
    from parity.migrate.cli_tool_run import runnable

    can = runnable(tool, project.root)
    if can.ok and can.cli is not None:
        return (
            f"`parity apply` / `parity migrate up --yes` run them with `{can.cli.program} {can.cli.up[-1]}` "
            f"({can.program}) in parity's safety net"
        )
    return f"`parity apply` / `parity migrate up --yes` do not run them: {can.reason}"


def not_run_note(project: Project, tool: ListedTool) -> str:
    """Why parity did not run ``tool`` here (for the report of a run that left it to the user)."""
    from parity.migrate.cli_tool_run import runnable

    can = runnable(tool, project.root)
    return f"parity did not run {tool.tool}: {can.reason}" if can.reason else ""


def undo_tool_cli(project: Project, environment: str, entry: dict[str, Any]) -> str:
    """Undo a journal's ``tool-cli`` entry: the SQLite backup restored, else the tool's own down."""
    from parity.migrate import tool_backup
    from parity.migrate.cli_tool_run import history_check, undo
    from parity.schema.discover import find_database_url
    from parity.schema.listed_tools import find_listed_tool
    from parity.workflow.migrations import NOT_RESTORED, _entry_backup

    tool = find_listed_tool(project.root)
    if tool is None:
        return f"{NOT_RESTORED}: the migration tool's folder is gone"
    try:
        url = find_database_url(project, environment).url
        # A journal is a file in the repository: its backup path and URL are checked first.
        bk = _entry_backup(project, entry, url)
        before = set(entry.get("before") or ())
        if entry.get("unrestored"):
            if not tool_backup.restorable(bk):
                return f"{NOT_RESTORED} ({entry['unrestored']}; repair it from the backup by hand)"
            # The tool's down already failed to undo this run: its whole-database backup does.
            return "restored the whole-database backup: " + tool_backup.restore(
                url, bk, history_check(tool, before)
            )
        return undo(project, tool, url, before, bk)
    except ParityError as exc:
        return f"{NOT_RESTORED} ({exc.one_line()})"
