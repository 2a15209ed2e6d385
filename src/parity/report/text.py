"""Terminal text with Rich; plain (no colour codes) when not a TTY or with NO_COLOR."""

from __future__ import annotations

import io
import os

from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from parity.env.clip import clip
from parity.model.findings import Finding, Report, Section, Severity
from parity.report.plaintext import MARK as _MARK  # one mark per severity, in both writers

CELL_LIMIT = 2_000  # characters: Rich folds and measures a cell line by line
_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def location(f: Finding) -> str:
    if not f.file:
        return ""
    return f.file + (f":{f.line}" if f.line else "")


def reference_line(report: Report) -> str:
    """``reference: staging (--reference staging)``: what the target was compared against, and why."""
    why = f" ({report.reference_reason})" if report.reference_reason else ""
    return f"reference: {report.reference}{why}"


def _section(console: Console, section: Section) -> None:
    console.rule(Text(section.title, style="bold"), align="left")
    for note in section.notes:
        console.print(note, highlight=False, markup=False)
    for table in section.tables:
        t = RichTable(title=table.title or None, title_justify="left", show_lines=False, pad_edge=False)
        for col in table.columns:
            t.add_column(col, overflow="fold")
        for row in table.rows:
            # Cells are cut where they are built; this bound keeps layout linear whatever slips through.
            t.add_row(*(clip(cell, CELL_LIMIT) for cell in row))
        console.print(t)
    for lang, block in section.blocks:
        console.print(Text(f"--- {lang}", style="dim"))
        console.print(block.rstrip("\n"), highlight=False, markup=False, soft_wrap=True)
    if section.findings:
        for f in section.findings:
            head = Text(f"{_MARK[f.severity]} {f.code} ", style=_STYLE[f.severity])
            loc = location(f)
            if loc:
                head.append(loc + " ", style="dim")
            head.append(f.message)
            console.print(head, soft_wrap=True)
            if f.fix:
                console.print(Text("    fix: ", style="dim") + Text(f.fix), soft_wrap=True)
    elif not section.tables and not section.blocks and not section.notes:
        console.print("nothing to report")
    console.print()


def render_text(report: Report, *, width: int | None = None, color: bool = False) -> str:
    color = color and "NO_COLOR" not in os.environ
    buf = io.StringIO()
    console = Console(
        file=buf,
        width=width or 100,
        force_terminal=color,
        no_color=not color,
        color_system="auto" if color else None,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )
    console.print(Text(f"parity {report.command} · {report.project} · {report.environment}", style="bold"))
    if report.reference:
        console.print(reference_line(report), highlight=False, markup=False, soft_wrap=True)
    console.print()
    for section in report.sections:
        _section(console, section)
    counts = {s: sum(1 for f in report.findings if f.severity is s) for s in Severity}
    console.print(
        f"{counts[Severity.ERROR]} errors, {counts[Severity.WARNING]} warnings, {counts[Severity.INFO]} notes"
    )
    out = buf.getvalue()
    verdict = report.verdict
    if color:
        verdict = f"\x1b[1;{32 if report.passed else 31}m{verdict}\x1b[0m"
    return out + verdict + "\n"
