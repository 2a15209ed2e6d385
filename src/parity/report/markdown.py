"""GitHub-flavoured markdown, for a pull-request comment."""

from __future__ import annotations

from parity.model.findings import Report, Severity

_ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    out: list[str] = [f"# parity {report.command}: `{report.project}` ({report.environment})", ""]
    if report.reference:
        why = f" ({_cell(report.reference_reason)})" if report.reference_reason else ""
        out += [f"reference: **{_cell(report.reference)}**{why}", ""]
    for s in report.sections:
        out += [f"## {s.title}", ""]
        out += [*(n for n in s.notes), ""] if s.notes else []
        for t in s.tables:
            if t.title:
                out += [f"**{t.title}**", ""]
            out.append("| " + " | ".join(_cell(c) for c in t.columns) + " |")
            out.append("|" + "---|" * len(t.columns))
            out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in t.rows]
            out.append("")
        for lang, block in s.blocks:
            out += [f"```{lang}", block.rstrip("\n"), "```", ""]
        for f in s.findings:
            loc = f" `{f.file}{':' + str(f.line) if f.line else ''}`" if f.file else ""
            out.append(
                f"- {_ICON[f.severity]} **{f.code}**{loc} {f.message}"
                + (f"  \n  fix: {f.fix}" if f.fix else "")
            )
        if s.findings:
            out.append("")
        if not (s.findings or s.tables or s.blocks or s.notes):
            out += ["nothing to report", ""]
    out += [f"**{report.verdict}**", ""]
    return "\n".join(out)
