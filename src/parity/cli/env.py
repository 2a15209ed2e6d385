"""``parity env diff|sync|consolidate|rollback``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from parity.cli.common import (
    EnvOpt,
    Format,
    FormatOpt,
    OutputOpt,
    ReferenceOpt,
    echo,
    emit,
    exit_for,
    guarded,
)

if TYPE_CHECKING:
    from parity.model.findings import Section

env_app = typer.Typer(
    help="Env-file parity across services: diff, sync, consolidate, rollback.", no_args_is_help=True
)

ApplyOpt = Annotated[
    bool, typer.Option("--apply", help="Write the changes (after a backup). Without it: a dry run.")
]
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", help="KEY=VALUE or SERVICE:KEY=VALUE to write (repeatable).")
]


@env_app.command("diff")
def diff_cmd(
    path: Annotated[Path, typer.Argument(help="Project folder.")] = Path("."),
    env: EnvOpt = "production",
    reference: ReferenceOpt = None,
    fmt: FormatOpt = Format.text,
    output: OutputOpt = None,
    all_rows: Annotated[
        bool, typer.Option("--all", help="List every key, not only the ones with a gap.")
    ] = False,
) -> None:
    """Compare each service's effective env with its reference; exit 1 when a gap fails the check."""
    from parity.env.reference import choose_reference
    from parity.env.sections import env_gap_section
    from parity.model.findings import Report
    from parity.workflow.envflow import load_project, run_diff

    def run() -> Report:
        project, environment = load_project(path, env)
        choice = choose_reference(project, environment, reference)
        diff = run_diff(project, environment, choice)
        return Report(
            "env diff",
            project.root.name,
            environment,
            (env_gap_section(diff, all_rows=all_rows),),
            choice.name,
            choice.reason,
        )

    report = guarded(run)
    emit(report, fmt, output)
    raise exit_for(report)


@env_app.command("sync")
def sync_cmd(
    path: Annotated[Path, typer.Argument(help="Project folder.")] = Path("."),
    env: EnvOpt = "production",
    reference: ReferenceOpt = None,
    apply: ApplyOpt = False,
    set_: SetOpt = None,
    fmt: FormatOpt = Format.text,
) -> None:
    """Write missing keys into each service's env file (dry run unless --apply)."""
    from parity.env.reference import choose_reference
    from parity.env.sections import env_gap_section, env_plan_section
    from parity.model.findings import Report
    from parity.workflow.envflow import load_project, run_diff, run_sync_plan, write_plan

    def run() -> tuple[Report, bool]:
        project, environment = load_project(path, env)
        choice = choose_reference(project, environment, reference)
        plan = run_sync_plan(project, environment, set_ or [], reference=choice)
        title = "Implementation" if apply else "Implementation (dry run: add --apply to write)"
        sections = [env_plan_section(plan, title)]
        if apply and not plan.empty:
            from parity.workflow.lock import run_lock

            with run_lock(project.root, environment, "env sync"):
                backup = write_plan(project, plan)
            sections.append(
                _note(
                    "Written",
                    f"backup: {project.rel(backup.path) if backup else '-'}; undo: parity env rollback {path}",
                )
            )
        # The report ends with the state the check sees now (after the write, if any).
        project, environment = load_project(path, env)
        diff = run_diff(project, environment, choice)
        sections.append(env_gap_section(diff))
        report = Report(
            "env sync", project.root.name, environment, tuple(sections), choice.name, choice.reason
        )
        return report, bool(plan.refused)

    report, _ = guarded(run)
    emit(report, fmt)
    raise exit_for(report)


@env_app.command("consolidate")
def consolidate_cmd(
    path: Annotated[Path, typer.Argument(help="Project folder.")] = Path("."),
    env: EnvOpt = "production",
    apply: ApplyOpt = False,
    fmt: FormatOpt = Format.text,
) -> None:
    """Move keys every service sets identically into the root .env.<env>; refuses if any service's env would change."""
    from parity.env.sections import consolidation_section, env_plan_section
    from parity.model.findings import Report
    from parity.workflow.envflow import load_project, run_consolidation_plan, write_plan

    def run() -> Report:
        project, environment = load_project(path, env)
        cp = run_consolidation_plan(project, environment)
        title = "Implementation" if apply else "Implementation (dry run: add --apply to write)"
        sections = [consolidation_section(cp), env_plan_section(cp.plan, title)]
        if apply and not cp.plan.empty:
            from parity.workflow.lock import run_lock

            with run_lock(project.root, environment, "env consolidate"):
                backup = write_plan(project, cp.plan)
            sections.append(
                _note(
                    "Written",
                    f"backup: {project.rel(backup.path) if backup else '-'}; every service's effective env checked identical before and after; undo: parity env rollback {path}",
                )
            )
        return Report("env consolidate", project.root.name, environment, tuple(sections))

    report = guarded(run)
    emit(report, fmt)
    raise exit_for(report)


@env_app.command("rollback")
def rollback_cmd(path: Annotated[Path, typer.Argument(help="Project folder.")] = Path(".")) -> None:
    """Restore the env files of the latest backup set byte for byte."""
    from parity.workflow.envflow import rollback_env

    backup, restored = guarded(lambda: rollback_env(path))
    for rel in restored:
        echo(f"restored {rel}")
    echo(f"rolled back to {backup.path.name}")


def _note(title: str, text: str) -> Section:
    from parity.model.findings import Section

    return Section(title.lower(), title, notes=(text,))


def register(app: typer.Typer) -> None:
    app.add_typer(env_app, name="env")
