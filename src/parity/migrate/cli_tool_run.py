"""Bring a database to head through the app's own migration CLI (dbmate), in parity's safety net.

A project migrated by a tool of plain SQL files gets its pending migrations run by *that tool*,
so its own history table says head afterwards and its own next ``migrate`` is a no-op. The run
is the one :mod:`parity.migrate.django_run` makes: the migration lock, a backup, a snapshot of
every old table, the tool's "migrate to head" command in a child process (killed at once on an
interrupt, :func:`parity.migrate.child.run_child`), the tool's history re-read by parity
(read-only), verification that every old row is still there, and an undo on any failure.

Which tools run, and why only those: a repository is untrusted input, and parity runs nothing of
it. dbmate reads SQL files and nothing else, so it runs. Knex (``knexfile.js``), Sequelize
(``.sequelizerc`` and its config), TypeORM (a TypeScript data source), Rails (the app) and
Prisma (``npx`` resolves the repository's own ``node_modules``; ``prisma.config.ts``) would run
repository code the moment they start: parity does not start them, and says which command to
run where the app's code is trusted. goose, golang-migrate and Flyway are as safe as dbmate, but
have no runner here yet (golang-migrate also takes the URL only on its command line, visible to
every user of the machine): the report says which command to run.

What the tool is shown: a copy of exactly the migration files parity listed (regular files of
the folder, never a link out of the repository), in a fresh folder that is also its working
directory, so a ``.env`` or a schema dump of the repository is neither read nor written. The
database URL goes to it in its environment (``DATABASE_URL``), never on its command line; the
environment holds nothing else of parity's. The program itself must come from PATH and not from
inside the repository (a ``bin/dbmate`` of the checkout is repository code too).

Undo: a SQLite target gets its backup file back. Elsewhere each migration ran in a transaction of
its own (dbmate's default), so those that committed are undone by the tool's own down
(``dbmate rollback``, newest first), but only when every one of them has a down section; when
one has none, or the down fails, the database is NOT said to be restored, and the backup
(pg_dump) is named.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from parity.errors import MigrationError, redact_url
from parity.migrate import tool_backup
from parity.migrate.child import CHILD_TIMEOUT, run_child
from parity.model.findings import Finding, Severity

if TYPE_CHECKING:
    from parity.migrate.backup import Backup
    from parity.migrate.runtime import Runtime
    from parity.model.schema import Schema
    from parity.project import Project
    from parity.schema.apptool import Revision
    from parity.schema.listed_tools import ListedTool

Progress = Callable[[str], None]

#: Tools whose CLI would run repository code, and what code: parity never starts them.
RUNS_REPOSITORY_CODE = {
    "Knex": "its knexfile.js",
    "Sequelize": "its .sequelizerc / config and JavaScript migrations",
    "TypeORM": "its TypeScript data source and migrations",
    "Rails": "the Rails application",
    "Prisma": "the repository's node_modules (npx) and prisma.config.ts",
}


@dataclass(frozen=True, slots=True)
class ToolCli:
    """How to drive one tool's CLI: its program, its "migrate to head" and "undo the latest"
    commands (arguments after the program), and the environment that carries the URL."""

    tool: str
    program: str
    up: tuple[str, ...]
    down: tuple[str, ...]
    status: tuple[str, ...]
    url_env: str
    tool_url: Callable[[str, str], str] = field(repr=False)  # (url, session tag)
    has_down: Callable[[Path], bool] = field(repr=False)
    up_sql: Callable[[str], tuple[str, bool]] = field(repr=False)


_DBMATE_UP = re.compile(r"^--\s*migrate:up\b(.*)$", re.MULTILINE)
_DBMATE_DOWN = re.compile(r"^--\s*migrate:down\b.*$", re.MULTILINE)


def dbmate_parts(text: str) -> tuple[str, bool, str]:
    """A dbmate file's up block, whether dbmate runs it in a transaction (not ``transaction:false``
    on its ``-- migrate:up`` line), and its down block."""
    up = _DBMATE_UP.search(text)
    if up is None:
        return "", True, ""
    down = _DBMATE_DOWN.search(text, up.end())
    body = text[up.end() : down.start() if down else len(text)]
    transactional = "transaction:false" not in up.group(1).replace(" ", "")
    return body.lstrip("\n"), transactional, text[down.end() :] if down else ""


def _has_sql(text: str) -> bool:
    """Anything but blank lines and ``--`` comments."""
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())


def _dbmate_has_down(file: Path) -> bool:
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return _has_sql(dbmate_parts(text)[2])


def _dbmate_up_sql(text: str) -> tuple[str, bool]:
    body, transactional, _down = dbmate_parts(text)
    return body, transactional


def dbmate_url(url: str, tag: str = "") -> str:
    """``url`` as dbmate spells it: ``sqlite:/abs/path``, ``postgres://…`` (libpq's default
    ``sslmode=prefer`` made explicit: dbmate's driver would require SSL; ``tag`` as its
    ``application_name``, so its sessions can be found), ``mysql://…``."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    scheme = u.drivername.split("+", 1)[0]
    if scheme == "sqlite":
        if not u.database or u.database == ":memory:":
            raise MigrationError("dbmate needs a SQLite database file, not an in-memory database")
        return "sqlite:" + str(Path(u.database).resolve())
    if scheme in ("postgresql", "postgres"):
        query = dict(u.query)
        query.setdefault("sslmode", "prefer")
        if tag:
            query["application_name"] = tag
        return u.set(drivername="postgres", query=query).render_as_string(hide_password=False)
    if scheme in ("mysql", "mariadb"):
        return u.set(drivername="mysql", query={}).render_as_string(hide_password=False)
    raise MigrationError(f"dbmate cannot be pointed at a '{scheme}' URL")


DBMATE = ToolCli(
    "dbmate",
    "dbmate",
    # `migrate`, not `up`: `up` would also create a missing database. No schema dump: it would be
    # written into the working directory (a scratch folder, but a dump is no part of the run).
    ("--no-dump-schema", "--migrations-table", "schema_migrations", "migrate"),
    ("--no-dump-schema", "--migrations-table", "schema_migrations", "rollback"),
    ("--no-dump-schema", "--migrations-table", "schema_migrations", "status"),
    "DATABASE_URL",
    dbmate_url,
    _dbmate_has_down,
    _dbmate_up_sql,
)

RUNNERS: dict[str, ToolCli] = {"dbmate": DBMATE}


@dataclass(frozen=True, slots=True)
class Runnable:
    """Whether parity can run ``tool``'s CLI here: the runner and its program, else why not."""

    cli: ToolCli | None
    program: Path | None
    reason: str  # "" when it can run

    @property
    def ok(self) -> bool:
        return self.cli is not None and self.program is not None


def find_program(name: str, root: Path) -> tuple[Path | None, str]:
    """``name`` on PATH, resolved, and never one inside the repository ``root`` (a PATH entry
    such as ``.`` or ``node_modules/.bin`` would make the checkout's own file the tool)."""
    found = shutil.which(name)
    if found is None:
        return None, f"`{name}` is not on PATH"
    program = _native(Path(found).resolve())
    try:
        program.relative_to(root.resolve())
    except ValueError:
        return program, ""
    return (
        None,
        f"the `{name}` found on PATH is inside the repository ({program}); parity runs no repository file",
    )


def _native(program: Path) -> Path:
    """The binary itself for npm's ``node_modules/.bin/dbmate`` (a Node script, ``dbmate/dist/cli.js``,
    that starts the binary of the platform package): killing that script on an interrupt would
    leave dbmate migrating on its own."""
    if program.suffix != ".js" or program.parent.name != "dist":
        return program
    node_modules = program.parents[2]
    found = sorted(
        p for p in node_modules.glob("@dbmate/*/bin/dbmate") if p.is_file() and os.access(p, os.X_OK)
    )
    return found[0].resolve() if found else program


def runnable(tool: ListedTool, root: Path) -> Runnable:
    """Can parity run ``tool``'s own CLI for this project (see the module's notes)?"""
    if tool.tool in RUNS_REPOSITORY_CODE:
        return Runnable(
            None,
            None,
            f"{tool.tool} would run repository code ({RUNS_REPOSITORY_CODE[tool.tool]}), which parity "
            "never starts",
        )
    cli = RUNNERS.get(tool.tool)
    if cli is None:
        return Runnable(None, None, f"parity has no runner for {tool.tool}'s CLI yet")
    program, why = find_program(cli.program, root)
    return Runnable(cli, program, why)


def applied(tool: ListedTool, url: str) -> set[str] | None:
    """The ids the target's history table lists (read-only), as the files carry them; None
    without the table."""
    from parity.migrate.runtime import open_runtime

    rt = open_runtime(url, read_only=True)
    try:
        if not rt.has_table(tool.history_table):
            return None
        return tool.applied_ids(rt.query(tool.query), tool)
    finally:
        rt.close()


def settled_applied(tool: ListedTool, url: str, *, lock_timeout: float = 30.0) -> set[str] | None:
    """:func:`applied` once no other transaction still writes the history: a killed tool may have
    sent a migration's COMMIT (its history row with it) that lands after the undo looked. On
    PostgreSQL a SHARE lock on the table waits for that writer."""
    from parity.migrate.runtime import open_runtime

    rt = open_runtime(url, lock_timeout=lock_timeout)
    try:
        if not rt.has_table(tool.history_table):
            return None
        if rt.dialect != "postgres":
            return tool.applied_ids(rt.query(tool.query), tool)
        rt.begin()
        try:
            rt.execute(f"LOCK TABLE {rt.quote(tool.history_table)} IN SHARE MODE")
            return tool.applied_ids(rt.query(tool.query), tool)
        finally:
            rt.rollback()
    finally:
        rt.close()


@contextmanager
def _staged(tool: ListedTool, max_bytes: int) -> Iterator[Path]:
    """A scratch folder holding ``migrations/``: a copy of the migration files parity listed."""
    with tempfile.TemporaryDirectory(prefix="parity-tool-") as scratch:
        folder = Path(scratch) / "migrations"
        folder.mkdir()
        for m in tool.migrations:
            src = m.file
            if src is None or src.is_symlink() or not src.is_file():
                continue
            if src.stat().st_size > max_bytes:
                raise MigrationError(
                    f"{src.name} is larger than the file size limit; nothing was run", file=src
                )
            shutil.copyfile(src, folder / src.name)
        yield Path(scratch)


def run_tool(
    cli: ToolCli,
    program: Path,
    args: Sequence[str],
    tool: ListedTool,
    url: str,
    *,
    max_bytes: int,
    tag: str = "",
) -> subprocess.CompletedProcess[str]:
    """``program args`` on the staged copy, the URL in its environment; errors redacted."""
    with _staged(tool, max_bytes) as scratch:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(scratch),
            cli.url_env: cli.tool_url(url, tag),
        }
        cmd = [str(program), "--migrations-dir", str(scratch / "migrations"), *args]
        try:
            return run_child(cmd, "", cwd=scratch, env=env, timeout=CHILD_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise MigrationError(
                f"cannot run {cli.program} ({redact_url(str(exc))})", file=tool.folder
            ) from exc


def _last_error(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln.strip() for ln in (proc.stderr + "\n" + proc.stdout).splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.lower().startswith("error")]
    return redact_url((errors or lines or [f"exit status {proc.returncode}"])[-1])


@dataclass
class ToolOutcome:
    url: str
    tool: str
    before: set[str]
    pending: tuple[Revision, ...]
    backup: Backup | None = None
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rolled_back: bool = False
    unrestored: str = ""  # why this run's own undo could not put the database back

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
    tool: ListedTool,
    *,
    lock_timeout: float = 30.0,
    progress: Progress | None = None,
    before_write: Callable[[set[str], Backup], None] | None = None,
) -> ToolOutcome:
    """Back up, snapshot, the tool's "migrate to head", verify; undo on failure."""
    from parity.migrate import backup as mbackup
    from parity.migrate.alembic_run import _as_alembic_check
    from parity.migrate.runtime import open_runtime
    from parity.verify import integrity

    recorded = applied(tool, url)
    before = recorded or set()
    pending = tuple(tool.pending(before))
    out = ToolOutcome(redact_url(url), tool.tool, before, pending)
    if not pending:
        out.notes.append(f"nothing to apply: {tool.history_table} lists every {tool.tool} migration of main")
        return out
    can = runnable(tool, project.root)
    if not can.ok or can.cli is None or can.program is None:
        out.findings.append(
            _failure(
                f"{len(pending)} {tool.tool} migration(s) pending, and {can.reason}: nothing was changed",
                environment,
                fix=f"run `{tool.command}` where the app is deployed, pointed at this database",
            )
        )
        return out
    cli, program = can.cli, can.program
    existing = _tables(url)
    if recorded is None and existing:
        out.findings.append(
            _failure(
                f"the database has tables but no {tool.history_table}: {tool.tool} would run every migration "
                "over them; nothing was changed",
                environment,
                fix=f"once the schema matches the migrations, record them in {tool.history_table}",
            )
        )
        return out
    max_bytes = project.fs.max_file_bytes
    lock_rt = open_runtime(url, lock_timeout=lock_timeout)
    try:
        lock_rt.acquire_lock()
        rt = open_runtime(url, read_only=True, lock_timeout=lock_timeout)
        try:
            tables = [
                t for t in rt.table_names() if t not in integrity.OWN_TABLES and t != tool.history_table
            ]
            folder = mbackup.new_folder(project.root)
            if progress:
                progress(f"backing up into {project.rel(folder)}")
            # The whole database, the tool's history included: the way back when its down fails.
            bk = tool_backup.take(rt, folder, rt.table_names())
            out.backup = bk
            before_snap = integrity.snapshot(rt, tables)
        finally:
            rt.close()
        # Not SQLite (its backup is restored whole): the undo checks the schema against this.
        schema_before = None if bk.restorable else _schema(url, tool)
        if before_write is not None:
            before_write(before, bk)
        tag = f"parity-{cli.program}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        if progress:
            progress(f"{cli.program} {cli.up[-1]} ({len(pending)} migration(s))")
        error: str | None = None
        try:
            proc = run_tool(cli, program, cli.up, tool, url, max_bytes=max_bytes, tag=tag)
            if proc.returncode != 0:
                error = f"{cli.program} failed: {_last_error(proc)}"
        except MigrationError as exc:
            error = exc.message
        except KeyboardInterrupt:
            # SIGTERM or Ctrl-C while the tool ran: undo what it committed before it was killed.
            from parity.workflow.signals import Interrupted, shielded

            with shielded():
                try:
                    end_sessions(url, tag)
                    how = undo(
                        project,
                        tool,
                        url,
                        before,
                        bk,
                        lock_timeout=lock_timeout,
                        schema_before=schema_before,
                        locked=True,
                    )
                except MigrationError as undo_error:
                    how = f"the undo did NOT finish ({undo_error.one_line()})"
            raise Interrupted(f"interrupted while {cli.program} ran; {how}") from None
        # The tool's word is not taken for it: its history, re-read by parity, must say head.
        left = tool.pending(applied(tool, url) or set())
        if error is None and left:
            error = (
                f"after `{cli.program} {cli.up[-1]}` the target's {tool.history_table} still lacks "
                + ", ".join(r.id for r in left[:5])
            )
        if error is not None:
            out.findings.append(_failure(f"migration failed: {error}", environment))
        else:
            rt = open_runtime(url, read_only=True, lock_timeout=lock_timeout)
            try:
                after_snap = integrity.snapshot(rt, [t for t in tables if rt.has_table(t)])
                out.findings.extend(_as_alembic_check(f) for f in integrity.compare(before_snap, after_snap))
                out.findings.extend(integrity.health(rt))
            finally:
                rt.close()
        if not out.ok:
            try:
                how = undo(
                    project,
                    tool,
                    url,
                    before,
                    bk,
                    lock_timeout=lock_timeout,
                    schema_before=schema_before,
                    locked=True,
                )
                out.rolled_back = True
                out.notes.append("rolled back: " + how)
            except MigrationError as undo_error:
                out.unrestored = undo_error.one_line()
                out.notes.append(f"NOT rolled back: the database was NOT restored ({out.unrestored})")
        else:
            out.notes.append(
                f"applied {len(pending)} {tool.tool} migration(s) with `{cli.program} {cli.up[-1]}` "
                f"({program}): {', '.join(r.id for r in pending)}"
            )
        # parity's own `migrate rollback` (which a MariaDB backup's note names) works on parity's
        # history, not the tool's: the backup is named as what it is.
        out.notes.append(bk.note.split("; `parity migrate rollback`", 1)[0])
    finally:
        lock_rt.release_lock()
        lock_rt.close()
    return out


def end_sessions(url: str, tag: str) -> None:
    """End the PostgreSQL sessions of a killed tool (``application_name`` ``tag``): the server
    goes on running a statement whose client is gone (a long ``UPDATE``, holding its locks)
    until it next writes to the socket; the undo should not wait behind it."""
    from parity.migrate.runtime import open_runtime

    rt = open_runtime(url)
    try:
        if rt.dialect == "postgres":
            rt.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", [tag]
            )
    finally:
        rt.close()


def _tables(url: str) -> set[str]:
    from parity.migrate.runtime import open_runtime

    rt = open_runtime(url, read_only=True)
    try:
        return set(rt.table_names())
    finally:
        rt.close()


def undo(
    project: Project,
    tool: ListedTool,
    url: str,
    before: Sequence[str] | set[str],
    bk: Backup | None,
    *,
    lock_timeout: float = 30.0,
    schema_before: Schema | None = None,
    locked: bool = False,
) -> str:
    """Put the target back as ``before`` found it: the SQLite backup restored, else each migration
    the run added undone by the tool's own down, newest first. Raises :class:`MigrationError`
    (the database NOT restored) when that cannot be done or the history does not say it was.

    ``schema_before`` (the schema when the run started): also checked against the schema after
    the downs. A migration that failed half-way on MariaDB/MySQL (each DDL statement commits at
    once; the tool records nothing) leaves what it had done: tables it created are dropped (the
    run made them, under its lock), any other difference means the database is NOT restored."""
    from parity.migrate import backup as mbackup
    from parity.migrate.runtime import open_runtime

    if bk is not None and bk.restorable and bk.file is not None and bk.file.is_file():
        rt = open_runtime(url, read_only=True, lock_timeout=lock_timeout)
        path: Path = rt.path  # type: ignore[attr-defined]  # restorable backups are SQLite files
        rt.close()
        mbackup.restore_sqlite(bk.file, path, lock_timeout=lock_timeout)
        at = applied(tool, url) or set()
        if at != set(before):
            raise MigrationError(
                f"the restored backup {bk.file} has {tool.history_table} at {len(at)} migration(s), not the "
                f"{len(set(before))} the run started with",
                file=tool.folder,
            )
        return f"restored the backup {bk.file}"
    kept = f"; the backup stays in {bk.folder}" if bk is not None else ""
    try:
        how = _undo_by_down(project, tool, url, before, kept, lock_timeout)
        if schema_before is not None:
            how += _settle_schema(url, tool, schema_before, kept)
    except MigrationError as exc:
        if not tool_backup.restorable(bk):
            raise
        assert bk is not None
        # The tool's down cannot undo the run (none written, it failed, or it left the schema
        # elsewhere): the whole-database backup taken before the run is loaded back instead.
        try:
            restored = tool_backup.restore(
                url, bk, history_check(tool, before), lock_timeout=lock_timeout, locked=locked
            )
        except MigrationError as restore_error:
            raise MigrationError(
                f"{exc.message}; {restore_error.message}",
                file=restore_error.file or tool.folder,
                hint="fix the cause, then `parity rollback` again (the backup is intact)",
            ) from restore_error
        return f"undone by the backup restore ({exc.message}): {restored}"
    return f"undone by the tool's down: {how}"


def history_check(tool: ListedTool, before: Sequence[str] | set[str]) -> tool_backup.HistoryCheck:
    """The restore's check, inside its transaction, that the tool's history lists ``before`` again."""

    def check(rt: Runtime) -> str | None:
        at = tool.applied_ids(rt.query(tool.query), tool) if rt.has_table(tool.history_table) else set()
        if at != set(before):
            return f"{tool.history_table} lists {len(at)} migration(s), not the {len(set(before))} the run started with"
        return None

    return check


def _undo_by_down(
    project: Project,
    tool: ListedTool,
    url: str,
    before: Sequence[str] | set[str],
    kept: str,
    lock_timeout: float,
) -> str:
    now = settled_applied(tool, url, lock_timeout=lock_timeout) or set()
    before_ids = set(before)
    ours = [m for m in reversed(tool.migrations) if m.id in now and m.id not in before_ids]
    if not ours:
        return f"nothing committed stayed ({tool.history_table} as before){kept}"
    can = runnable(tool, project.root)
    if not can.ok or can.cli is None or can.program is None:
        raise MigrationError(f"cannot run the tool's down ({can.reason}){kept}", file=tool.folder)
    cli, program = can.cli, can.program
    no_down = [m.id for m in ours if m.file is None or not cli.has_down(m.file)]
    if no_down:
        # dbmate would "roll back" an empty down and delete its history row, schema unchanged.
        raise MigrationError(
            f"{', '.join(no_down)} has no down section: {tool.tool} cannot undo it{kept}", file=tool.folder
        )
    for m in ours:
        # The tool's down undoes its latest migration: that must be this run's next one (an older
        # migration this run applied out of order sits below one the database had before).
        now = applied(tool, url) or set()
        latest = next((x.id for x in reversed(tool.migrations) if x.id in now), None)
        if latest != m.id:
            raise MigrationError(
                f"{tool.history_table}'s latest migration is {latest}, not this run's {m.id}: the tool's down "
                f"would undo that one{kept}",
                file=tool.folder,
            )
        proc = run_tool(cli, program, cli.down, tool, url, max_bytes=project.fs.max_file_bytes)
        if proc.returncode != 0:
            raise MigrationError(
                f"`{cli.program} {cli.down[-1]}` failed: {_last_error(proc)}{kept}", file=tool.folder
            )
    left = [m.id for m in ours if m.id in (applied(tool, url) or set())]
    if left:
        raise MigrationError(
            f"after `{cli.program} {cli.down[-1]}`, {tool.history_table} still lists {', '.join(left)}{kept}",
            file=tool.folder,
        )
    return (
        f"ran `{cli.program} {cli.down[-1]}` {len(ours)} time(s): undid {', '.join(m.id for m in ours)}{kept}"
    )


def _schema(url: str, tool: ListedTool) -> Schema:
    """The target's schema, the tool's history table (and parity's own) left out."""
    from dataclasses import replace

    from parity import dialects
    from parity.verify import integrity

    skip = {tool.history_table, *integrity.OWN_TABLES}
    schema = dialects.get(url).inspect(url)
    return replace(schema, tables=tuple(t for t in schema.tables if t.name.lower() not in skip))


def _settle_schema(url: str, tool: ListedTool, before: Schema, kept: str) -> str:
    """Drop the tables that appeared since ``before``; raise when the schema still differs."""
    from parity import dialects
    from parity.diff.compare import compare
    from parity.migrate.runtime import open_runtime
    from parity.model.changes import ProductionOnly

    had = {t.name for t in before.tables}
    extra = [t.name for t in _schema(url, tool).tables if t.name not in had]
    note = ""
    if extra:
        rt = open_runtime(url)
        try:
            for name in extra:
                rt.execute(f"DROP TABLE {rt.quote(name)}")
        finally:
            rt.close()
        note = f"; dropped {', '.join(extra)}, created by a migration that failed half-way"
    left = compare(_schema(url, tool), before, dialects.get(url).compare_options)
    if left:
        shown = [
            f"{c.object_kind if isinstance(c, ProductionOnly) else c.kind} {c.object_name}" for c in left[:5]
        ]
        raise MigrationError(
            f"after the tool's down the schema still differs from the run's start ({', '.join(shown)}){note}{kept}",
            file=tool.folder,
        )
    return note


def lint_pending(
    project: Project, tool: ListedTool, dialect: str, pending: Sequence[Revision], settings: object = None
) -> tuple[list[Finding], str]:
    """The pending files' up SQL linted with parity's rules (as the tool will run it: in a
    transaction unless the file says otherwise), and the SQL as one block. Files are read through
    the repository's gate, as ``check``'s lint of the same files reads them."""
    from dataclasses import replace

    from parity.migrate.sql_tool_files import tool_file_script
    from parity.plan.lint import LintSettings, lint_sql
    from parity.safefs import Repo

    lint_settings = settings if isinstance(settings, LintSettings) else LintSettings()
    repo = Repo.at(project.root, project.fs.max_file_bytes)
    findings: list[Finding] = []
    chunks: list[str] = []
    for r in pending:
        script = tool_file_script(tool.tool, r.file, repo) if r.file is not None else None
        if script is None:
            continue
        chunks.append(f"-- {project.rel(r.file)}\n{script.sql.strip()}\n")
        for f in lint_sql(script.sql, dialect, transactional=script.transactional, settings=lint_settings):
            findings.append(replace(f, message=f"migration {r.id}: {f.message}", file=project.rel(r.file)))
    return findings, "\n".join(chunks)
