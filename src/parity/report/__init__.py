"""Renderers: one :class:`~parity.model.findings.Report` → text, markdown, json or sarif.

Every format carries the same content; the text renderer is the only one that uses Rich.
Whatever the format, the report is scrubbed first (every string of it, before a table folds
a long value across lines or JSON escapes it) and the rendered text once more: a secret the
current :class:`~parity.env.secrets.SecretScope` knows never reaches the output.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from typing import Any, TypeVar

from parity.env.secrets import scrub
from parity.model.findings import Report

T = TypeVar("T")


def scrubbed(obj: T) -> T:
    """``obj`` (a report, or any frozen dataclass, tuple or string in it) with every string scrubbed."""
    # One scrub per distinct string: thousands of findings share their fix, file and area texts.
    return _scrub(obj, {})  # type: ignore[no-any-return,unused-ignore]


def _scrub(obj: Any, done: dict[str, str]) -> Any:
    if isinstance(obj, str):
        clean = done.get(obj)
        if clean is None:
            clean = done[obj] = scrub(obj)
        return clean
    if isinstance(obj, tuple):
        return tuple(_scrub(x, done) for x in obj)
    if isinstance(obj, list):
        return [_scrub(x, done) for x in obj]
    if isinstance(obj, dict):
        return {k: _scrub(v, done) for k, v in obj.items()}
    names = _init_fields(obj.__class__)
    if not names:
        return obj
    old = [getattr(obj, name) for name in names]
    new = old.copy()
    # The fields of a finding are strings, numbers and None: those inline, without a call each
    # (a report of thousands of findings spent most of its scrub on the calls).
    for i, value in enumerate(old):
        if type(value) is str:
            clean = done.get(value)
            if clean is None:
                clean = done[value] = scrub(value)
            new[i] = clean
        elif value is not None and type(value) is not int:
            new[i] = _scrub(value, done)
    if new == old:  # nothing to mask: the object itself (most findings)
        return obj
    return dataclasses.replace(obj, **dict(zip(names, new, strict=True)))


@functools.cache
def _init_fields(cls: type) -> tuple[str, ...]:
    """The fields of a dataclass that its constructor takes; () for any other type."""
    if not dataclasses.is_dataclass(cls):
        return ()
    return tuple(f.name for f in dataclasses.fields(cls) if f.init)


def render(report: Report, fmt: str, *, width: int | None = None, color: bool = False) -> str:
    return scrub(_render(scrubbed(report), fmt, width=width, color=color))


def _render(report: Report, fmt: str, *, width: int | None = None, color: bool = False) -> str:
    if fmt == "text":
        if not color or "NO_COLOR" in os.environ:
            # Rich only for what it lays out: a lint report's lines are written as they are.
            from parity.report.plaintext import render_plain

            plain = render_plain(report, width)
            if plain is not None:
                return plain
        from parity.report.text import render_text

        return render_text(report, width=width, color=color)
    if fmt == "markdown":
        from parity.report.markdown import render_markdown

        return render_markdown(report)
    if fmt == "json":
        from parity.report.jsonfmt import render_json

        return render_json(report)
    if fmt == "sarif":
        from parity.report.sarif import render_sarif

        return render_sarif(report)
    raise ValueError(f"unknown format {fmt!r}")
