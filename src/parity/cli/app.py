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
    import sys

    if sys.argv[1:2] == ["lint"]:
        # `parity lint` gates every migration in CI: it loads only its own module, not the others'
        # imports (pydantic models, source scanners…), a third of its run on a large file.
        __import__("parity.cli.lint", fromlist=["register"]).register(app)
        return
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


def _flags_without_metavar() -> None:
    """Help shows ``--smoke`` plainly: a ``<bool>`` beside an on/off flag reads as if it took a value."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich
    if getattr(shown, "__parity__", False):
        return

    def display_type_rich(self: TyperOption, ctx: object) -> str | None:
        return None if getattr(self, "is_flag", False) else shown(self, ctx)  # type: ignore[arg-type]

    display_type_rich.__parity__ = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_register()
_scope_commands(app)
_flags_without_metavar()


def main() -> None:
    """Run parity; a usage error is one line on stderr (``parity: error: …``, exit 2) with a hint,
    like parity's own errors, instead of the framework's boxed panel."""
    import sys

    try:
        rv = app(standalone_mode=False)
    except typer.Abort:
        sys.stderr.write("parity: aborted\n")
        sys.exit(1)
    except typer.TyperException as exc:  # the base of every usage and parameter error
        code = int(getattr(exc, "exit_code", 2) or 2)
        if _one_line(exc):  # `parity` alone prints its help and says nothing more
            sys.stderr.write(f"parity: error: {_one_line(exc)}{_hint(exc)}\n")
        sys.exit(code)
    sys.exit(rv if isinstance(rv, int) else 0)


def _one_line(exc: Exception) -> str:
    fmt = getattr(exc, "format_message", None)
    text = fmt() if callable(fmt) else str(exc)
    return " ".join(str(text).split())


def _hint(exc: Exception) -> str:
    """The closest command (or option) to a mistyped one, and where help is."""
    import difflib
    import re

    ctx = getattr(exc, "ctx", None)
    command = getattr(ctx, "command", None)
    text = _one_line(exc)
    where = (
        f"parity {ctx.command_path.split(' ', 1)[1]} -h"
        if ctx is not None and " " in ctx.command_path
        else "parity -h"
    )
    m = re.search(r"No such command '([^']+)'", text)
    if m and "Did you mean" not in text and command is not None and hasattr(command, "list_commands"):
        close = difflib.get_close_matches(m.group(1), command.list_commands(ctx), n=1)
        if close:
            return f" (did you mean `parity {close[0]}`? see {where})"
    return f" (see {where})"
