"""The env capability as the CLI and ``check`` call it: discover, read, compare, plan, write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from parity.env.changes import EnvPlan, apply_plan
from parity.env.consolidate import ConsolidationPlan, plan_consolidation
from parity.env.diff import EnvDiff, diff_env
from parity.env.layers import EnvFiles
from parity.env.sync import parse_assignments, plan_sync
from parity.env.write import BackupSet, latest_backup, restore
from parity.errors import DiscoveryError, ParityError
from parity.project import Project, discover, normalize_environment


def load_project(
    path: Path, environment: str | None = None, reference: str | None = None
) -> tuple[Project, str]:
    project = discover(path)
    if not project.services:
        raise DiscoveryError(
            "no services found: no compose service, Kubernetes workload, or folder up to depth 3 "
            "with a .env.example or .env.<environment> file",
            file=project.root,
            hint="run `parity init` after adding env files, or list services in parity.toml",
        )
    env = normalize_environment(environment or "production")
    standin = env == "production" or not project.environments  # never a typo's stand-in
    if env not in project.environments and project.units and env != "example" and standin:
        # Compose or manifests run the services, but nothing is specific to ``env``: the base
        # runtime files are what it would run, so they are analysed, and the report says so.
        project = replace(project, environments=(*project.environments, env), layerless=(env,))
    if env not in project.environments:
        known = ", ".join(project.environments) or "none"
        raise ParityError(f"unknown environment '{env}' (known: {known})", file=project.root)
    if reference and reference != "example" and normalize_environment(reference) not in project.environments:
        raise ParityError(
            f"unknown reference '{reference}' (use example or one of: {', '.join(project.environments)})"
        )
    return project, env


def code_keys(project: Project) -> set[str]:
    """Keys the code reads: a key no reference and no code knows is stale."""
    from parity.code.audit import keys_read_by_code

    return set(keys_read_by_code(project))


def run_diff(
    project: Project,
    environment: str,
    reference: str = "example",
    files: EnvFiles | None = None,
    known_keys: set[str] | None = None,
) -> EnvDiff:
    """``known_keys``: keys the code reads, when the caller has scanned already (else scanned here)."""
    ref = "example" if reference == "example" else normalize_environment(reference)
    keys = code_keys(project) if known_keys is None else known_keys
    diff = diff_env(project, environment, ref, files or EnvFiles(project.fs), known_keys=keys)
    from parity.sources import source_findings

    # Compose/Kubernetes/app-config problems and overrides that contradict an env file. A value a
    # compose env_file gives a parity service is in its effective env too, so its placeholder
    # can be told by both: once is enough.
    told = {(f.code, f.file, f.line, f.key) for f in diff.findings}
    extra = [f for f in source_findings(project, environment) if (f.code, f.file, f.line, f.key) not in told]
    return replace(diff, findings=(*diff.findings, *extra))


def run_sync_plan(
    project: Project, environment: str, sets: list[str], files: EnvFiles | None = None
) -> EnvPlan:
    files = files or EnvFiles(project.fs)
    diff = diff_env(project, environment, "example", files)
    return plan_sync(project, diff, parse_assignments(sets), files)


def run_consolidation_plan(
    project: Project, environment: str, files: EnvFiles | None = None
) -> ConsolidationPlan:
    return plan_consolidation(project, environment, files or EnvFiles(project.fs))


def write_plan(
    project: Project, plan: EnvPlan, before_writes: Callable[[BackupSet], None] | None = None
) -> BackupSet | None:
    return apply_plan(project.root, plan, project.fs, before_writes)


def rollback_env(root: Path) -> tuple[BackupSet, list[str]]:
    backup = latest_backup(root)
    restored = restore(root, backup)
    mark_restored(backup)
    return backup, restored


def mark_restored(backup: BackupSet) -> None:
    """A restored set is kept (it may be needed again) but no longer counts as the latest."""
    backup.path.rename(backup.path.with_name(backup.path.name + ".restored"))
