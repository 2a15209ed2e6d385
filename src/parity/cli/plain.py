"""CLI pieces that do not need the command-line framework: the output formats, the terminal
width, a command's secret scope. ``parity lint`` on plain files runs on these alone
(:mod:`parity.cli.lint_direct`); :mod:`parity.cli.common` re-exports them for the other commands."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from parity.env.secrets import SecretScope


class Format(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"


def terminal_width(tty: bool) -> int:
    """The terminal's width; in pipes and CI logs ``COLUMNS`` when set, else 120."""
    if tty:
        return shutil.get_terminal_size((120, 40)).columns
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) >= 40 else 120


@contextmanager
def project_scope(path: Path | str | None) -> Iterator[SecretScope]:
    """The secret scope of the project at ``path``. A command without a project (``parity lint``
    on named files) gets the per-process one, as ``secret_scope(None)`` gives it, without loading
    the project and env readers ``secret_scope`` lives with (a fifth of a lint run's start)."""
    from parity.env.secrets import SecretScope, use_scope

    if path is None:
        with use_scope(SecretScope()) as scope:
            yield scope
        return
    from parity.sources.known import secret_scope

    with secret_scope(path) as scope:
        yield scope
