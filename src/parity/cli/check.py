"""``parity check``: the whole question in one report; changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from parity.cli.common import (
    EnvOpt,
    Format,
    FormatOpt,
    OutputOpt,
    ReferenceOpt,
    emit,
    exit_for,
    guarded,
    progress_reporter,
)


def check_cmd(
    path: Annotated[Path, typer.Argument(help="Project folder.")] = Path("."),
    env: EnvOpt = "production",
    reference: ReferenceOpt = None,
    fmt: FormatOpt = Format.text,
    output: OutputOpt = None,
    smoke: Annotated[
        bool, typer.Option("--smoke", help="Also run the smoke checks declared in parity.toml.")
    ] = False,
    deployed: Annotated[
        str | None,
        typer.Option(
            "--deployed",
            metavar="REF",
            help="The commit production runs (a tag, a SHA, or a file holding one): also list what "
            "main added since that needs a key, a switch or a migration in production.",
        ),
    ] = None,
) -> None:
    """Gap analysis of everything (env, schema, flags, store); ends with PASS or FAIL (exit 0 / 1; 2 = bad input)."""
    from parity.workflow.check import run_check

    with progress_reporter("parity check") as progress:
        report = guarded(
            lambda: run_check(
                path, env, smoke=smoke, progress=progress, reference=reference, deployed=deployed
            )
        )
    emit(report, fmt, output)
    raise exit_for(report)


def register(app: typer.Typer) -> None:
    app.command("check")(check_cmd)
