"""``parity apply`` and ``parity rollback``: fix the gaps, verify, and undo on any failure.

Order: env writes (missing keys, ``--set``, ``--enable``) → consolidation (when asked) →
migrations (generated from the schema diff, applied exactly once after a database backup) →
verification (the same analysis ``check`` runs) and smoke checks.

All or nothing: the run holds the environment's lock and writes a journal entry (fsynced)
before each step (:mod:`parity.workflow.journal`). Whatever ends the run early — a failed step
or check, any exception, Ctrl-C, SIGTERM — undoes what the journal lists, newest first. A run
killed outright (SIGKILL, a power cut) leaves a journal without its end: the next ``apply``
refuses to start, ``check`` says so, and ``rollback`` finishes the undo from the backups the
journal names, never from the half-edited files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from parity.env.reference import choose_reference
from parity.env.sections import consolidation_section, env_plan_section
from parity.env.write import BackupSet, backup_files, read_backup, restore
from parity.errors import ParityError, WriteRefused
from parity.faults import checkpoint
from parity.model.findings import Finding, Report, Section, Severity
from parity.project import Project
from parity.workflow.check import (
    Check,
    analysis_sections,
    env_checks,
    run_smoke_checks,
    section_checks,
    verification_section,
)
from parity.workflow.envflow import (
    enable_sets,
    load_project,
    run_consolidation_plan,
    run_sync_plan,
    write_plan,
)
from parity.workflow.journal import Journal, file_hash, interrupted, latest_applied
from parity.workflow.lock import run_lock
from parity.workflow.migrations import (
    NOT_RESTORED,
    apply_migrations,
    restore_folder,
    undo_alembic,
    undo_database,
    undo_django,
)
from parity.workflow.signals import Interrupted, interrupts_raise, shielded


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    sets: tuple[str, ...] = ()
    enable: tuple[str, ...] = ()
    consolidate: bool = False
    smoke: bool = True
    reference: str | None = None  # --reference (None: parity.toml's, else the default)


def undo(project: Project, journal: Journal) -> list[str]:
    """Put back everything ``journal`` says its run changed, newest first. Safe to run again:
    every step restores from a backup or from the database's own history."""
    done: list[str] = []
    for entry in reversed(journal.entries):
        op = entry["op"]
        if op == "database":
            backup_dir = journal.path.with_suffix("")
            done.append("database: " + undo_database(project, journal.environment, entry, backup_dir))
        elif op == "alembic":
            done.append("database: " + undo_alembic(project, journal.environment, entry))
        elif op == "django":
            done.append("database: " + undo_django(project, journal.environment, entry))
        elif op == "tool-cli":
            from parity.workflow.tool_cli import undo_tool_cli

            done.append("database: " + undo_tool_cli(project, journal.environment, entry))
        elif op == "folder-backup":
            backup = read_backup(project.root / entry["path"])
            folder = project.root / entry["folder"]
            done += restore_folder(project, backup, folder, existed=bool(entry.get("existed", True)))
        elif op == "env-backup":
            done += restore(project.root, read_backup(project.root / entry["path"]))
    return done


def _undo_run(project: Project, journal: Journal, state: str) -> tuple[list[str], list[str]]:
    """Undo ``journal``'s run and end it in ``state``: what was put back, and what was NOT.

    A step that could not put the database back leaves the run open (no end entry): ``check``
    reports it (APL003), ``apply`` refuses to start over it, and ``rollback`` retries the undo.
    Ending it would let every later command believe the database is where the run found it."""
    with shielded():
        undone = undo(project, journal)
        failed = [u for u in undone if NOT_RESTORED in u]
        if not failed:
            journal.end(state)
    return undone, failed


def _not_undone(failed: list[str], path: Path, env: str) -> str:
    return (
        "the undo did NOT finish: "
        + "; ".join(dict.fromkeys(failed))
        + f"; the run stays open: `parity rollback {path} --env {env}` retries it"
    )


def _undo_failed(item: str, path: Path, env: str) -> Finding:
    return Finding(
        "APL004",
        Severity.ERROR,
        "verify",
        f"this run is NOT undone: {item}",
        environment=env,
        fix=f"parity rollback {path} --env {env} (retries the undo)",
    )


def _note_backup(project: Project, journal: Journal) -> Callable[[BackupSet], None]:
    def note(backup: BackupSet) -> None:
        journal.record("env-backup", path=project.rel(backup.path))

    return note


def _left_written(project: Project, journal: Journal) -> list[Path]:
    """Every file the run's steps wrote or created, as they stand now (for the ``end`` entry)."""
    paths: list[Path] = []
    for entry in journal.of("env-backup"):
        backup = read_backup(project.root / entry["path"])
        paths += [project.root / rel for rel in (*backup.files, *backup.created)]
    for entry in journal.of("folder-backup"):
        folder = project.root / entry["folder"]
        backup = read_backup(project.root / entry["path"])
        paths += [project.root / rel for rel in backup.files]
        if folder.is_dir():
            paths += sorted(p for p in folder.iterdir() if p.is_file())
    return list(dict.fromkeys(paths))


def run_apply(
    path: Path, environment: str | None, options: ApplyOptions, progress: Callable[[str], None] | None = None
) -> Report:
    """``progress`` receives short status lines during long steps (backups, migrations, hashing)."""
    project, env = load_project(path, environment, options.reference)
    with run_lock(project.root, env, "apply"), interrupts_raise():
        stale = interrupted(project.root, env)
        if stale is not None:
            raise WriteRefused(
                f"run {stale.id} was interrupted and left changes; nothing was changed",
                file=stale.path,
                hint=f"undo it first: parity rollback {path} --env {env}",
            )
        journal = Journal.begin(project.root, env, "apply")
        try:
            return _apply(project, env, path, options, journal, progress)
        except BaseException as exc:
            undone, failed = _undo_run(project, journal, "failed-rolled-back")
            if failed:
                what = _not_undone(failed, path, env)
            else:
                what = "every change of this run was undone" if undone else "nothing had been changed"
            if isinstance(exc, KeyboardInterrupt):
                raise Interrupted(f"interrupted; {what}") from exc
            if isinstance(exc, ParityError):
                raise ParityError(f"{exc.one_line()}; {what}") from exc
            raise


def _apply(
    project: Project,
    env: str,
    path: Path,
    options: ApplyOptions,
    journal: Journal,
    progress: Callable[[str], None] | None,
) -> Report:
    sections: list[Section] = []
    failure: str | None = None
    migrated = False
    # Chosen once: the values written and the verification afterwards follow the same reference.
    choice = choose_reference(project, env, options.reference)
    try:
        sync = run_sync_plan(project, env, [*options.sets, *enable_sets(options.enable)], reference=choice)
        sections.append(env_plan_section(sync, "Implementation: env files"))
        blocked = [r for r in sync.refused if "not rewritten" in r]
        if blocked:
            raise ParityError(blocked[0])
        write_plan(project, sync, _note_backup(project, journal))

        if options.consolidate:
            project, env = load_project(path, env)
            cp = run_consolidation_plan(project, env)
            sections += [
                consolidation_section(cp),
                env_plan_section(cp.plan, "Implementation: consolidation"),
            ]
            write_plan(project, cp.plan, _note_backup(project, journal))

        project, env = load_project(path, env)
        mig = apply_migrations(project, env, progress, journal)
        migrated = mig.changed
        sections.append(
            Section(
                "implementation-migrations",
                "Implementation: migrations",
                tuple(mig.findings),
                (),
                tuple(mig.notes),
            )
        )
        if not mig.ok:
            raise ParityError("the migration step failed (see Implementation: migrations)")
    except ParityError as exc:
        failure = exc.one_line()

    project, env = load_project(path, env)
    # Verify with the same analysis `check` runs: apply succeeds only if check would now pass.
    after = analysis_sections(project, env, progress=progress, reference=choice)
    checkpoint()
    checks: list[Check] = env_checks(project, after[0].findings) + section_checks(after)
    if failure is None and options.smoke:
        for r in run_smoke_checks(project, env):
            checks.append(Check(f"smoke: {r.service}: {r.name}", r.ok, r.detail))
            checkpoint()
    if failure is not None:
        checks.insert(0, Check("apply steps", False, failure))

    notes: list[str] = []
    unfinished: list[Finding] = []
    changed = bool(journal.of("env-backup")) or migrated
    if any(not c.ok for c in checks):
        undone, failed = _undo_run(project, journal, "failed-rolled-back")
        if failed:
            unfinished = [_undo_failed(item, path, env) for item in dict.fromkeys(failed)]
            state = "failed-undo-unfinished"
        else:
            notes.append(
                "this run's changes were rolled back: "
                + (", ".join(dict.fromkeys(undone)) or "nothing had been written")
            )
            state = "failed-rolled-back"
    elif changed:
        backups = [e["path"] for e in journal.of("env-backup")]
        journal.end("applied", _left_written(project, journal))
        notes.append("backups: " + ", ".join(backups) if backups else "no env-file backup needed")
        state = "applied"
    else:
        journal.end("unchanged")
        notes.append("nothing to change: everything was already in place")
        state = "unchanged"
    rollback_hint = (
        f"undo with: parity rollback {path} --env {env}"
        if state == "applied"
        else f"finish the undo with: parity rollback {path} --env {env}"
        if state == "failed-undo-unfinished"
        else "nothing to undo"
    )
    sections[:0] = after
    verify = verification_section(checks, rollback_hint, tuple(notes))
    if unfinished:
        verify = replace(verify, findings=(*unfinished, *verify.findings))
    sections.append(verify)
    return Report("apply", project.root.name, env, tuple(sections), choice.name, choice.reason)


def _changed_since(project: Project, journal: Journal) -> list[Path]:
    """Files whose bytes differ from what ``journal``'s run left (edited, removed or added since)."""
    left = journal.written_files()
    changed = [project.root / rel for rel, digest in left.items() if file_hash(project.root / rel) != digest]
    for entry in journal.of("folder-backup"):
        folder = project.root / entry["folder"]
        if folder.is_dir():
            known = {(project.root / rel).resolve() for rel in left}
            changed += [p for p in sorted(folder.iterdir()) if p.is_file() and p.resolve() not in known]
    return changed


def run_rollback(path: Path, environment: str | None, *, force: bool = False) -> Report:
    """Undo the last applied run (or finish the undo of an interrupted one)."""
    project, env = load_project(path, environment)
    with run_lock(project.root, env, "rollback"), interrupts_raise():
        journal = interrupted(project.root, env) or latest_applied(project.root, env)
        if journal is None:
            raise WriteRefused(
                f"no applied run for {env} to roll back", file=project.root / ".parity" / "runs"
            )
        notes: list[str] = []
        was_interrupted = not journal.finished
        # An undo that was itself cut short, or a run that never finished: the files differ from
        # what the run left because of the run (or its undo), not because of later edits.
        resuming = bool(journal.of("undo-begin")) or was_interrupted
        later = [] if resuming else _changed_since(project, journal)
        if later and not force:
            shown = ", ".join(project.rel(p) for p in later[:5]) + (" …" if len(later) > 5 else "")
            raise WriteRefused(
                f"{len(later)} file(s) changed after run {journal.id} applied ({shown}); "
                "a rollback would discard those edits, so nothing was changed",
                file=project.root,
                hint="rerun with --force to keep them in a backup and roll back anyway",
            )
        if later:
            kept = backup_files(project.root, [p for p in later if p.exists()], label="rollback-force")
            notes.append(f"edits made after the apply are kept in {project.rel(kept.path)}")
        journal.record("undo-begin")
        undone, failed = _undo_run(project, journal, "rolled-back")
    notes += [f"restored {item}" for item in dict.fromkeys(undone) if item not in failed] or [
        "nothing to restore"
    ]
    findings: tuple[Finding, ...] = ()
    if failed:
        findings = tuple(_undo_failed(item, path, env) for item in dict.fromkeys(failed))
        notes.append(f"run {journal.id} is NOT rolled back: it stays open until an undo succeeds")
    else:
        notes.append(f"{'interrupted ' if was_interrupted else ''}run {journal.id} rolled back")
    section = Section("rollback", "Rollback", findings, (), tuple(notes))
    return Report("rollback", project.root.name, env, (section,))
