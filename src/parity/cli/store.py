"""``parity store [PATH]`` (models, Store interfaces, fallback) and ``parity store sync [PATH] [--apply]``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from parity.cli.common import EnvOpt, Format, FormatOpt, OutputOpt, emit, exit_for, guarded

if TYPE_CHECKING:
    from parity.model.findings import Report, Section


class _PathOrCommand(TyperGroup):
    """``parity store sync …`` runs the sub-command; ``parity store [PATH]`` checks PATH.

    Click would otherwise read ``sync`` as the group's PATH argument.
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] in self.commands:
            args = [".", *args]
        else:
            # No sub-command: options may follow PATH (``parity store . --since production``).
            ctx.allow_interspersed_args = True
        return super().parse_args(ctx, args)


store_app = typer.Typer(
    cls=_PathOrCommand,
    invoke_without_command=True,
    help="Store parity: code models, Store interfaces and in-memory fallbacks follow the schema.",
)

ProjectArg = Annotated[Path, typer.Argument(help="Project folder (a repository holding services).")]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Also flag breaking changes to each Store interface since this git ref (e.g. production).",
    ),
]
NoSmokeOpt = Annotated[
    bool,
    typer.Option(
        "--no-smoke", help="Do not run the fallback smoke command (store.fallback_smoke in parity.toml)."
    ),
]
ApplyOpt = Annotated[
    bool, typer.Option("--apply", help="Write the fields (after a backup). Without it: a dry run.")
]


@store_app.callback()
def store_cmd(
    ctx: typer.Context,
    path: ProjectArg = Path("."),
    env: EnvOpt = "production",
    since: SinceOpt = None,
    no_smoke: NoSmokeOpt = False,
    fmt: FormatOpt = Format.text,
    output: OutputOpt = None,
) -> None:
    """Check that every model has a field per column, every Store implementation has every interface
    method with a compatible signature, and the fallback works; exit 1 when something fails."""
    if ctx.invoked_subcommand is not None:
        return
    from parity.model.findings import Report
    from parity.project import discover, normalize_environment
    from parity.store.check import build_store_section

    def run() -> Report:
        project = discover(path)
        environment = normalize_environment(env)
        section = build_store_section(project, environment, since=since, smoke=not no_smoke)
        return Report("store", project.root.name, environment, (section,))

    report = guarded(run)
    emit(report, fmt, output)
    raise exit_for(report)


@store_app.command("sync")
def sync_cmd(
    path: ProjectArg = Path("."),
    env: EnvOpt = "production",
    apply: ApplyOpt = False,
    fmt: FormatOpt = Format.text,
) -> None:
    """Add the field a dataclass/pydantic/TypedDict record lacks for a new nullable or defaulted column
    (a unified diff; written with --apply after a backup). Never removes a field."""
    from parity.model.findings import Report
    from parity.project import discover, normalize_environment
    from parity.store.check import inspect_store, section_from
    from parity.store.sync import apply_sync, plan_sync

    def run() -> Report:
        project = discover(path)
        environment = normalize_environment(env)
        result = inspect_store(project, environment)
        if result.coverage is None:
            from parity.errors import DiscoveryError

            raise DiscoveryError(
                "no declared schema found, nothing to sync against",
                file=project.root,
                hint="add schema.sql or set schema.source in parity.toml",
            )
        plan = plan_sync(result.coverage, project.fs)
        sections: list[Section] = [_plan_section(project.root, plan, apply)]
        if apply and plan.edits:
            backup = apply_sync(project.root, plan, project.fs)
            written = ", ".join(project.rel(e.path) for e in plan.edits)
            where = project.rel(backup) if backup else "-"
            sections.append(_note("written", "Written", f"{written}; backup: {where}"))
            result = inspect_store(project, environment)
        # The report ends with the state the check sees now (after the write, if any).
        sections.append(section_from(result, smoke=False))
        return Report("store sync", project.root.name, environment, tuple(sections))

    report = guarded(run)
    emit(report, fmt)
    raise exit_for(report)


def _plan_section(root: Path, plan: Any, apply: bool) -> Section:
    from parity.model.findings import Section

    blocks = tuple(("diff", e.diff(e.path.relative_to(root).as_posix())) for e in plan.edits)
    notes = [f"{s.model.name}.{s.column.name} ({s.table}): not proposed, {s.reason}" for s in plan.skipped]
    if not plan.edits:
        notes.insert(0, "no field to add")
    title = "Store sync" if apply else "Store sync (dry run: add --apply to write)"
    return Section("store-sync", title, notes=tuple(notes), blocks=blocks)


def _note(id_: str, title: str, text: str) -> Section:
    from parity.model.findings import Section

    return Section(id_, title, notes=(text,))


def register(app: typer.Typer) -> None:
    app.add_typer(store_app, name="store")
