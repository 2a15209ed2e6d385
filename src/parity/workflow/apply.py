"""``parity apply`` and ``parity rollback``: fix the gaps, verify, and undo on any failure.

Order: env writes (missing keys, ``--set``, ``--enable``) → consolidation (when asked) →
migrations (generated from the schema diff, applied exactly once after a database backup) →
verification (the same analysis ``check`` runs) and smoke checks. Every write is preceded by a
backup; if any step or check fails, everything this run changed is put back and the report ends
with FAIL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from parity.env.sections import consolidation_section, env_plan_section
from parity.env.service import load_project, run_consolidation_plan, run_sync_plan, write_plan
from parity.env.write import read_backup, restore
from parity.errors import ParityError
from parity.model.findings import Report, Section
from parity.project import Project
from parity.workflow.check import (
    Check,
    analysis_sections,
    env_checks,
    run_smoke_checks,
    section_checks,
    verification_section,
)
from parity.workflow.migrations import apply_migrations, rollback_migrations
from parity.workflow.runs import RunRecord, latest_applied, save


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    sets: tuple[str, ...] = ()
    enable: tuple[str, ...] = ()
    consolidate: bool = False
    smoke: bool = True


def enable_sets(flags: tuple[str, ...]) -> list[str]:
    """``--enable FLAG`` is ``--set FLAG=true`` (``SERVICE:FLAG`` scopes it to one service)."""
    return [f"{flag}=true" for flag in flags]


def _undo(project: Project, record: RunRecord) -> list[str]:
    """Put back everything ``record`` says its run changed, newest first."""
    done: list[str] = []
    if record.migrations:
        ran, created = bool(record.migrations.get("ran")), bool(record.migrations.get("created_history"))
        done.append(
            "database: " + rollback_migrations(project, record.environment, ran=ran, created_history=created)
        )
    for rel in reversed(record.env_backups):
        done += restore(project.root, read_backup(project.root / rel))
    return done


def _keep(project: Project, record: RunRecord, backup_path: Path | None) -> None:
    if backup_path is not None:
        record.env_backups.append(project.rel(backup_path))
        save(project.root, record)


def run_apply(
    path: Path, environment: str | None, options: ApplyOptions, progress: Callable[[str], None] | None = None
) -> Report:
    """``progress`` receives short status lines during long steps (backups, migrations, hashing)."""
    project, env = load_project(path, environment)
    record = RunRecord.new(env)
    sections: list[Section] = []
    failure: str | None = None
    try:
        sync = run_sync_plan(project, env, [*options.sets, *enable_sets(options.enable)])
        sections.append(env_plan_section(sync, "Implementation: env files"))
        blocked = [r for r in sync.refused if "not rewritten" in r]
        if blocked:
            raise ParityError(blocked[0])
        backup = write_plan(project, sync)
        _keep(project, record, backup.path if backup else None)

        if options.consolidate:
            project, env = load_project(path, env)
            cp = run_consolidation_plan(project, env)
            sections += [
                consolidation_section(cp),
                env_plan_section(cp.plan, "Implementation: consolidation"),
            ]
            backup = write_plan(project, cp.plan)
            _keep(project, record, backup.path if backup else None)

        project, env = load_project(path, env)
        mig = apply_migrations(project, env, progress)
        _keep(project, record, mig.files.path if mig.files else None)
        if mig.ran or mig.created_history:
            record.migrations = {"ran": mig.ran, "url": mig.url, "created_history": mig.created_history}
            save(project.root, record)
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
    after = analysis_sections(project, env, progress=progress)
    checks: list[Check] = env_checks(project, after[0].findings) + section_checks(after)
    if failure is None and options.smoke:
        checks += [
            Check(f"smoke: {r.service}: {r.name}", r.ok, r.detail) for r in run_smoke_checks(project, env)
        ]
    if failure is not None:
        checks.insert(0, Check("apply steps", False, failure))

    notes: list[str] = []
    changed = bool(record.env_backups or record.migrations)
    if any(not c.ok for c in checks):
        undone = _undo(project, record)
        record.state = "failed-rolled-back"
        notes.append(
            "this run's changes were rolled back: "
            + (", ".join(dict.fromkeys(undone)) or "nothing had been written")
        )
    elif changed:
        record.state = "applied"
        notes.append(
            "backups: " + ", ".join(record.env_backups) if record.env_backups else "no env-file backup needed"
        )
    else:
        record.state = "unchanged"
        notes.append("nothing to change: everything was already in place")
    if changed:
        save(project.root, record)
    rollback_hint = (
        f"undo with: parity rollback {path} --env {env}" if record.state == "applied" else "nothing to undo"
    )
    sections[:0] = after
    sections.append(verification_section(checks, rollback_hint, tuple(notes)))
    return Report("apply", project.root.name, env, tuple(sections))


def run_rollback(path: Path, environment: str | None) -> Report:
    project, env = load_project(path, environment)
    record = latest_applied(project.root, env)
    undone = _undo(project, record)
    record.state = "rolled-back"
    save(project.root, record)
    notes = tuple(f"restored {item}" for item in dict.fromkeys(undone)) or ("nothing to restore",)
    section = Section("rollback", "Rollback", (), (), (*notes, f"run {record.id} rolled back"))
    return Report("rollback", project.root.name, env, (section,))
