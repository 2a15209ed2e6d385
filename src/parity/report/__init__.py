"""Renderers: one :class:`~parity.model.findings.Report` → text, markdown, json or sarif.

Every format carries the same content; the text renderer is the only one that uses Rich.
"""

from __future__ import annotations

from parity.model.findings import Report


def render(report: Report, fmt: str, *, width: int | None = None, color: bool = False) -> str:
    if fmt == "text":
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
