"""``parity plan``, ``parity apply`` and ``parity rollback``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

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
    fail_usage,
    guarded,
    progress_reporter,
)

SetOpt = Annotated[
    list[str] | None, typer.Option("--set", help="KEY=VALUE or SERVICE:KEY=VALUE to write (repeatable).")
]
EnableOpt = Annotated[
    list[str] | None,
    typer.Option("--enable", help="Feature flag to turn on (FLAG or SERVICE:FLAG; repeatable)."),
]
ConsolidateOpt = Annotated[
    bool, typer.Option("--consolidate", help="Also move keys shared by every service to the root .env.<env>.")
]


def plan_cmd(
    path: Annotated[Path, typer.Argument(help="Project folder.")] = Path("."),
    env: EnvOpt = "production",
    reference: ReferenceOpt = None,
    set_: SetOpt = None,
    enable: EnableOpt = None,
    consolidate: ConsolidateOpt = False,
    fmt: FormatOpt = Format.text,
    output: OutputOpt = None,
) -> None:
    """Show everything `apply` would do, file by file and statement by statement, without doing it."""
    from parity.workflow.plan import run_plan

    report = guarded(
        lambda: run_plan(path, env, tuple(set_ or ()), tuple(enable or ()), consolidate, reference)
    )
    emit(report, fmt, output)
    raise exit_for(report)


def apply_cmd(
    path: Annotated[Path, typer.Argument(help="Project folder.")] = Path("."),
    env: EnvOpt = "production",
    reference: ReferenceOpt = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (required when not interactive).")
    ] = False,
    set_: SetOpt = None,
    enable: EnableOpt = None,
    consolidate: ConsolidateOpt = False,
    fmt: FormatOpt = Format.text,
    output: OutputOpt = None,
) -> None:
    """Back up, write env keys, enable flags, consolidate, migrate, verify and smoke-check; undo all on failure."""
    from parity.workflow.apply import ApplyOptions, run_apply

    if not yes:
        if not sys.stdin.isatty():
            raise fail_usage(
                "refusing to apply without --yes when not interactive (run `parity plan` to see what it would do)"
            )
        from parity.workflow.plan import run_plan

        preview = guarded(
            lambda: run_plan(path, env, tuple(set_ or ()), tuple(enable or ()), consolidate, reference)
        )
        emit(preview, Format.text)
        if not typer.confirm("Apply these changes?", default=False):
            echo("nothing changed", err=True)
            raise typer.Exit(1)
    options = ApplyOptions(tuple(set_ or ()), tuple(enable or ()), consolidate, reference=reference)
    with progress_reporter("parity apply") as progress:
        report = guarded(lambda: run_apply(path, env, options, progress=progress))
    emit(report, fmt, output)
    raise exit_for(report)


def rollback_cmd(
    path: Annotated[Path, typer.Argument(help="Project folder.")] = Path("."),
    env: EnvOpt = "production",
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Roll back even over files edited since the apply (those edits are kept in a backup).",
        ),
    ] = False,
    fmt: FormatOpt = Format.text,
) -> None:
    """Undo the last `apply` (or finish undoing an interrupted one): env files restored byte for byte, its migrations reversed."""
    from parity.workflow.apply import run_rollback

    report = guarded(lambda: run_rollback(path, env, force=force))
    emit(report, fmt)
    raise exit_for(report)


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_cmd)
    app.command("apply")(apply_cmd)
    app.command("rollback")(rollback_cmd)
