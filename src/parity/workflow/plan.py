"""``parity plan``: what ``apply`` would do, without doing it."""

from __future__ import annotations

from pathlib import Path

from parity.env.reference import choose_reference
from parity.env.sections import consolidation_section, env_plan_section
from parity.facts import env_files
from parity.model.findings import Report, Section
from parity.workflow.envflow import enable_sets, load_project, run_consolidation_plan, run_sync_plan
from parity.workflow.migrations import implementation_section


def run_plan(
    path: Path,
    environment: str | None,
    sets: tuple[str, ...],
    enable: tuple[str, ...],
    consolidate: bool,
    reference: str | None = None,
) -> Report:
    """``reference``: ``--reference`` (None: parity.toml's ``reference``, else the default)."""
    project, env = load_project(path, environment)
    choice = choose_reference(project, env, reference)
    files = env_files(project)
    sync = run_sync_plan(project, env, [*sets, *enable_sets(enable)], files, choice)
    sections: list[Section] = [env_plan_section(sync, "Implementation: env files")]
    if consolidate:
        # Planned against today's files: after the sync above the same keys qualify, since
        # sync only adds keys and consolidation needs every service to hold a key already.
        cp = run_consolidation_plan(project, env, files)
        sections += [consolidation_section(cp), env_plan_section(cp.plan, "Implementation: consolidation")]
    migrations = implementation_section(project, env)
    if migrations is not None:
        sections.append(migrations)
    return Report("plan", project.root.name, env, tuple(sections), choice.name, choice.reason)
