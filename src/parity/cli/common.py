"""Shared CLI pieces: options, error handling, output. The CLI is the only layer that prints or exits."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from parity.cli.plain import Format, project_scope, terminal_width
from parity.env.secrets import scrub
from parity.errors import ParityError

if TYPE_CHECKING:
    from parity.model.findings import Report

T = TypeVar("T")


PathArg = Annotated[
    Path, typer.Argument(help="Project folder (a repository holding services).", show_default=True)
]
EnvOpt = Annotated[str, typer.Option("--env", "-e", help="Target environment (production, staging, …).")]
ReferenceOpt = Annotated[
    str | None,
    typer.Option(
        "--reference",
        "-r",
        help="Compare against: example (the example files), code (keys the code reads without a default) "
        "or an environment such as staging. Default: parity.toml's reference, else example when an example "
        "file exists, else staging, else code.",
        show_default=False,
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the report to FILE instead of stdout.")
]


def echo(message: str = "", *, err: bool = False, nl: bool = True) -> None:
    """``typer.echo`` after the last scrub: no known secret, no URL credential gets out."""
    typer.echo(scrub(message), err=err, nl=nl)


def fail_usage(message: str) -> typer.Exit:
    """Print one clear line to stderr and return the exit to raise (code 2)."""
    echo(f"parity: error: {message}", err=True)
    return typer.Exit(2)


def _secret_values_given(kwargs: dict[str, Any]) -> list[str]:
    """Secrets a command line hands over: ``--db``/``--dev-url`` URLs, secret ``--set`` values."""
    from parity.env.secrets import is_secret

    found = [v for v in (kwargs.get("db"), kwargs.get("dev_url")) if isinstance(v, str) and v]
    for item in kwargs.get("set_") or ():
        assignment = item.split(":", 1)[-1] if ":" in item.split("=", 1)[0] else item
        key, sep, value = assignment.partition("=")
        if sep and is_secret(key.strip(), value):
            found.append(value)
    return found


def scoped(command: Callable[..., T]) -> Callable[..., T]:
    """Run ``command`` inside the secret scope of the project its ``path`` names, so that every
    fingerprint uses the repository's key and every output is scrubbed of the project's secrets.
    An unexpected crash prints its traceback scrubbed (a message can quote a value)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> T:
        from parity.env.secrets import use_scope
        from parity.safefs import one_read_per_file

        with (
            one_read_per_file(),
            project_scope(kwargs.get("path")) as scope,
            use_scope(scope.with_values(_secret_values_given(kwargs))),
        ):
            try:
                return command(*args, **kwargs)
            except Exception as exc:
                if isinstance(exc, typer.Exit | typer.Abort) or type(exc).__module__.startswith("click"):
                    raise
                import traceback

                text = "".join(traceback.format_exception(exc))
                if scrub(text) == text:
                    raise
                echo(text, err=True, nl=False)
                raise typer.Exit(70) from None

    return run


def guarded(fn: Callable[[], T]) -> T:
    """Run ``fn``; turn a :class:`ParityError` into one line on stderr and exit 2."""
    try:
        return fn()
    except ParityError as exc:
        raise fail_usage(exc.one_line()) from None
    except OSError as exc:
        # A last resort for what no layer turned into a ParityError (a full disk mid-report,
        # say): one line, exit 2, never a traceback.
        where = f"{exc.filename}: " if exc.filename else ""
        raise fail_usage(f"{where}{exc.strerror or exc}") from None
    except KeyboardInterrupt as exc:
        # An interrupted write says what became of its changes (``Interrupted`` carries it).
        typer.echo(
            f"parity: {exc.args[0] if exc.args and isinstance(exc.args[0], str) and ' ' in exc.args[0] else 'interrupted'}",
            err=True,
        )
        raise typer.Exit(130) from None


def emit(report: Report, fmt: Format, output: Path | None = None, width: int | None = None) -> None:
    """Render ``report`` in ``fmt`` to stdout or ``output`` (atomically)."""
    from parity.report import render

    tty = output is None and sys.stdout.isatty()
    if width is None:
        width = terminal_width(tty)
    text = render(report, fmt.value, width=width, color=tty)  # scrubbed by render
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        from parity.env.write import atomic_write_text

        atomic_write_text(output, text, shared=True)


def exit_for(report: Report) -> typer.Exit:
    return typer.Exit(0 if report.passed else 1)


@contextmanager
def progress_reporter(label: str) -> Iterator[Callable[[str], None] | None]:
    """A status line on stderr for long steps when it is a terminal; silent in CI and pipes."""
    import os

    if not sys.stderr.isatty() or os.environ.get("CI") or os.environ.get("NO_COLOR"):
        yield None
        return
    from rich.console import Console

    console = Console(stderr=True)
    with console.status(label) as status:
        yield lambda message: status.update(f"{label}: {message}")
