"""The ``parity`` command. Sub-command modules import heavy libraries inside their functions only,
so ``parity --help`` stays fast (it runs in hooks and CI many times a day)."""

from __future__ import annotations

import typer

from parity import __version__

app = typer.Typer(
    name="parity",
    help="Merged to main, so why is it not working in production? Find the gap, find the switch, fix it safely.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"parity {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """parity: env parity, safe schema migrations, feature-flag audit, one PASS/FAIL report."""


def _register() -> None:
    # One line per command group; each module defines ``register(app)``.
    from parity.cli import apply as apply_cmd
    from parity.cli import check as check_cmd
    from parity.cli import env as env_cmd
    from parity.cli import project as project_cmd

    project_cmd.register(app)
    check_cmd.register(app)
    apply_cmd.register(app)
    env_cmd.register(app)
    # --- registrations of later capabilities below (keep one line each) ---
    __import__("parity.cli.schema", fromlist=["register"]).register(app)
    __import__("parity.cli.flags", fromlist=["register"]).register(app)
    __import__("parity.cli.migrate", fromlist=["register"]).register(app)
    __import__("parity.cli.lint", fromlist=["register"]).register(app)
    __import__("parity.cli.store", fromlist=["register"]).register(app)


def _scope_commands(group: typer.Typer) -> None:
    """Every command, however registered, runs inside its project's secret scope (cli.common.scoped)."""
    from parity.cli.common import scoped

    for info in group.registered_commands:
        if info.callback is not None and not getattr(info.callback, "__parity_scoped__", False):
            info.callback = scoped(info.callback)
            info.callback.__parity_scoped__ = True  # type: ignore[attr-defined]
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _scope_commands(sub.typer_instance)


_register()
_scope_commands(app)


def main() -> None:
    app()
