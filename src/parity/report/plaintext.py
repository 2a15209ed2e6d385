"""The text report without Rich, for the reports whose every line Rich would print unchanged.

Rich lays out a finding in about fifty microseconds; ``parity lint`` on a 10,000-statement file
prints five thousand of them, which took longer than the lint itself (and importing Rich a tenth
of it). Without colour, a report of notes and findings only is lines of plain text: this module
writes them, the same characters Rich writes (tests/test_report_plaintext.py compares the two).
Whatever Rich could change (a table, a block, a line to wrap, a tab, a control or a wide
character, a colour) makes :func:`render_plain` decline, and the Rich renderer runs.
"""

from __future__ import annotations

from parity.model.findings import Finding, Report, Severity

MARK = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "i"}
#: Rich draws a rule with this character when the output's encoding is UTF-8 (a StringIO's is).
_RULE = "─"
#: The characters outside printable ASCII that the layout itself uses: each one cell wide in Rich.
_NARROW = frozenset("·─✗…")
_NOTHING = "nothing to report"


def _fits(text: str, width: int) -> bool:
    """Whether Rich prints ``text`` as it is on one wrapped line of ``width`` cells: printable
    ASCII (or the narrow marks above), no longer than the line and no space at either end (where
    Rich's wrapping may cut or keep it)."""
    if len(text) > width or text != text.strip(" "):
        return False
    return text.isprintable() and (text.isascii() or all(c.isascii() or c in _NARROW for c in text))


def _soft(text: str) -> bool:
    """Whether Rich prints ``text`` unchanged as a soft-wrapped line (never folded): any printable
    characters, since the width plays no part. Tabs, newlines and control codes are not."""
    return text.isprintable()


def _finding_lines(f: Finding) -> list[str] | None:
    loc = (f.file + (f":{f.line}" if f.line else "") + " ") if f.file else ""
    head = f"{MARK[f.severity]} {f.code} {loc}{f.message}"
    if not _soft(head):
        return None
    if not f.fix:
        return [head]
    fix = "    fix: " + f.fix
    return [head, fix] if _soft(fix) else None


def render_plain(report: Report, width: int | None = None) -> str | None:
    """The uncoloured text report, as :func:`parity.report.text.render_text` writes it; None when
    it holds anything Rich would lay out (tables, blocks, long or unusual lines)."""
    width = width or 100
    if report.reference:
        return None
    header = f"parity {report.command} · {report.project} · {report.environment}"
    if not _fits(header, width):
        return None
    out = [header, ""]
    for section in report.sections:
        if section.tables or section.blocks or not section.title or not _fits(section.title, width - 2):
            return None
        out.append(section.title + " " + _RULE * (width - len(section.title) - 1))
        for note in section.notes:
            if not _fits(note, width):
                return None
            out.append(note)
        for f in section.findings:
            lines = _finding_lines(f)
            if lines is None:
                return None
            out.extend(lines)
        if not section.findings and not section.notes:
            if not _fits(_NOTHING, width):
                return None
            out.append(_NOTHING)
        out.append("")
    counts = {s: 0 for s in Severity}
    for f in report.findings:
        counts[f.severity] += 1
    summary = (
        f"{counts[Severity.ERROR]} errors, {counts[Severity.WARNING]} warnings, {counts[Severity.INFO]} notes"
    )
    if not _fits(summary, width):
        return None
    out += (summary, report.verdict)
    return "\n".join(out) + "\n"
