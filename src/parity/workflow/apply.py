"""``parity apply`` and ``parity rollback``: fix the gaps, verify, and undo on any failure.

Order: env writes (missing keys, ``--set``, ``--enable``) → consolidation (when asked) →
migrations → verification and smoke checks. Every write is preceded by a backup; if any step
or check fails, everything this run changed is put back and the report ends with FAIL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from parity.env.layers import EnvFiles
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
from parity.workflow.runs import RunRecord, latest_applied, save


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    sets: tuple[str, ...] = ()
    enable: tuple[str, ...] = ()
    consolidate: bool = False
    smoke: bool = True


def _enable_sets(flags: tuple[str, ...]) -> list[str]:
    """``--enable FLAG`` is ``--set FLAG=true`` (``SERVICE:FLAG`` scopes it to one service)."""
    return [f"{flag}=true" for flag in flags]


def _undo(project: Project, record: RunRecord) -> list[str]:
    restored: list[str] = []
    for rel in reversed(record.env_backups):
        backup = read_backup(project.root / rel)
        restored += restore(project.root, backup)
    return restored


def run_apply(path: Path, environment: str | None, options: ApplyOptions) -> Report:
    project, env = load_project(path, environment)
    record = RunRecord.new(env)
    sections: list[Section] = []
    failure: str | None = None
    try:
        sync = run_sync_plan(project, env, [*options.sets, *_enable_sets(options.enable)])
        sections.append(env_plan_section(sync, "Implementation"))
        if sync.refused and any("not rewritten" in r for r in sync.refused):
            raise ParityError(next(r for r in sync.refused if "not rewritten" in r))
        backup = write_plan(project, sync)
        if backup:
            record.env_backups.append(project.rel(backup.path))
            save(project.root, record)

        if options.consolidate:
            project, env = load_project(path, env)
            cp = run_consolidation_plan(project, env)
            sections.append(consolidation_section(cp))
            sections.append(env_plan_section(cp.plan, "Implementation: consolidation"))
            backup = write_plan(project, cp.plan)
            if backup:
                record.env_backups.append(project.rel(backup.path))
                save(project.root, record)
    except ParityError as exc:
        failure = exc.one_line()

    project, env = load_project(path, env)
    files = EnvFiles()
    # Verify with the same analysis `check` runs: apply succeeds only if check would now pass.
    after = analysis_sections(project, env, files)
    checks: list[Check] = env_checks(project, after[0].findings) + section_checks(after)
    if failure is None and options.smoke:
        for r in run_smoke_checks(project, env):
            checks.append(Check(f"smoke: {r.service}: {r.name}", r.ok, r.detail))
    if failure is not None:
        checks.insert(0, Check("apply steps", False, failure))

    failed = [c for c in checks if not c.ok]
    notes: list[str] = []
    if failed:
        restored = _undo(project, record)
        record.state = "failed-rolled-back"
        notes.append("this run's changes were rolled back: " + (", ".join(sorted(set(restored))) or "nothing had been written"))
    elif record.env_backups:
        record.state = "applied"
        notes.append("backups: " + ", ".join(record.env_backups))
    else:
        record.state = "unchanged"
        notes.append("nothing to change: everything was already in place")
    if record.env_backups:
        save(project.root, record)
    rollback_hint = f"undo with: parity rollback {path} --env {env}" if record.state == "applied" else "nothing to undo"
    sections[:0] = after
    sections.append(verification_section(checks, rollback_hint, tuple(notes)))
    return Report("apply", project.root.name, env, tuple(sections))


def run_rollback(path: Path, environment: str | None) -> Report:
    project, env = load_project(path, environment)
    record = latest_applied(project.root, env)
    restored = _undo(project, record)
    record.state = "rolled-back"
    save(project.root, record)
    notes = tuple(f"restored {rel}" for rel in restored) or ("nothing to restore",)
    section = Section("rollback", "Rollback", (), (), (*notes, f"run {record.id} rolled back"))
    return Report("rollback", project.root.name, env, (section,))
