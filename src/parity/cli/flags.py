"""``parity flags`` (feature-flag and env-usage audit) and ``parity why SYMBOL`` (find the switch)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from parity.cli.common import EnvOpt, Format, FormatOpt, OutputOpt, echo, emit, exit_for, guarded

if TYPE_CHECKING:
    from parity.code.deployed import Deployment
    from parity.code.why import WhyResult

PathArgOpt = Annotated[Path, typer.Argument(help="Project folder (a repository holding services).")]


def flags_cmd(
    path: PathArgOpt = Path("."),
    env: EnvOpt = "production",
    fmt: FormatOpt = Format.text,
    output: OutputOpt = None,
) -> None:
    """Feature flags and env vars the code reads, against each environment; exit 1 when one fails."""
    from parity.code.audit import build_flags_section
    from parity.model.findings import Report
    from parity.project import discover, normalize_environment

    def run() -> Report:
        project = discover(path)
        section = build_flags_section(project, env)
        return Report("flags", project.root.name, normalize_environment(env), (section,))

    report = guarded(run)
    emit(report, fmt, output)
    raise exit_for(report)


def why_cmd(
    symbol: Annotated[
        str,
        typer.Argument(
            help="Function, method (Class.method), class, route path (/exports, users.info) or CLI command"
            " name, in Python, TypeScript/JavaScript or Go; FILE:SYMBOL picks one of several."
        ),
    ],
    path: PathArgOpt = Path("."),
    env: EnvOpt = "production",
    fmt: FormatOpt = Format.text,
    deployed: Annotated[
        str | None,
        typer.Option(
            "--deployed",
            help="What production runs (a tag, a SHA, or a file holding one): first say whether SYMBOL's code is in it.",
        ),
    ] = None,
) -> None:
    """Why SYMBOL does not run in ENV: the chain that reaches it, the switch and the exact fix.

    Exit 0 when nothing blocks it, 1 when a switch, a missing key or undeployed code does, 2 when
    SYMBOL is not found.
    """
    from parity.code.why import build_why_section, why
    from parity.model.findings import Report
    from parity.project import discover

    def run() -> tuple[WhyResult, str, Deployment | None]:
        project = discover(path)
        result = why(project, symbol, env)
        return result, project.root.name, _deployment(project.root, result, deployed) if deployed else None

    result, name, shipped = guarded(run)
    if shipped is not None:
        # The code half first: with the code not deployed, no switch shows it.
        echo(shipped.message, err=fmt is not Format.text)
        if not shipped.deployed:
            if fmt is Format.text:
                echo(f"verdict: NOT DEPLOYED (then: {result.verdict})")
            raise typer.Exit(1)
    if fmt is Format.text:
        echo(render_why_text(result))
    elif fmt is Format.json:
        echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        emit(Report("why", name, result.environment, (build_why_section(result),)), fmt)
    raise typer.Exit(1 if result.blocked else 0)


def _deployment(root: Path, result: WhyResult, ref: str) -> Deployment:
    from parity.code.deployed import deployment
    from parity.errors import ParityError

    if len(result.definitions) != 1:
        raise ParityError(
            f"--deployed: {result.symbol} has {len(result.definitions)} definitions; pick one with FILE:{result.symbol}"
        )
    file, _, line = result.definitions[0].rpartition(":")
    return deployment(root, file, int(line), result.symbol.rsplit(":", 1)[-1].rsplit(".", 1)[-1], ref)


def render_why_text(result: WhyResult) -> str:
    """The chain, one step a line with file:line, then the switch and what else is missing."""
    if result.alternatives:
        head = (
            f"{result.symbol} has {len(result.alternatives)} definitions; each is explained on its own "
            f"(pick one with FILE:{result.symbol})"
        )
        parts = [head, *(render_why_text(a) for a in result.alternatives)]
        return "\n\n".join(parts) + f"\n\nverdict: {result.verdict}"
    lines = [f"why {result.symbol} ({result.environment})", ""]
    width = max((len(f"{s.file}:{s.line}") for s in result.steps), default=0)
    for s in result.steps:
        verdict = f"  → {s.verdict}" if s.verdict else ""
        lines.append(f"  {f'{s.file}:{s.line}':<{width}}  {s.kind:<10} {s.text}{verdict}")
        for k in s.keys:
            if s.kind != "reads":
                shown = k.value if k.value is not None else "unset"
                lines.append(
                    f"  {'':<{width}}  {'':<10}   {k.key} = {shown} in {k.service} ({k.environment})"
                )
            elif k.state != "set":
                lines.append(
                    f"  {'':<{width}}  {'':<10}   {k.key} is {k.state} in {k.service} ({k.environment})"
                )
    lines.append("")
    switches = [b for b in result.blockers if b.kind == "switch"]
    missing = [b for b in result.blockers if b.kind != "switch"]
    for b in switches:
        lines.append(f"the switch: {b.message}; {b.fix}")
    for b in missing:
        lines.append(f"also needs: {b.message}; {b.fix}")
    if len(result.definitions) > 1:
        # Unrelated functions of one name are each listed; FILE:SYMBOL explains one of them.
        lines.append(
            f"{len(result.definitions)} definitions: {', '.join(result.definitions)} (pick one with FILE:{result.symbol})"
        )
    verdict = result.verdict
    if verdict == "UNKNOWN":
        undecided = ", ".join(f"`{s.text}` ({s.file}:{s.line})" for s in result.undecided)
        lines.append(
            f"parity cannot decide: {undecided}"
            if undecided
            else f"no entry point (route, command, registration, job, __main__, Go main) reaches {result.symbol}"
        )
    elif not result.blockers:
        lines.append(f"nothing blocks {result.symbol} in {result.environment}")
    lines.append(f"verdict: {verdict}")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    app.command("flags")(flags_cmd)
    app.command("why")(why_cmd)
