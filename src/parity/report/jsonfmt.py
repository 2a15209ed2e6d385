"""JSON: a documented, versioned schema (docs/report.schema.json)."""

from __future__ import annotations

import json

from parity import __version__
from parity.model.findings import Report, Severity

SCHEMA_VERSION = 1


def report_dict(report: Report) -> dict[str, object]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "parity", "version": __version__},
        "command": report.command,
        "project": report.project,
        "environment": report.environment,
        "verdict": report.verdict,
        "reference": (
            {"name": report.reference, "reason": report.reference_reason} if report.reference else None
        ),
        "summary": {s.value: sum(1 for f in report.findings if f.severity is s) for s in Severity},
        "sections": [
            {
                "id": s.id,
                "title": s.title,
                "verdict": "FAIL" if s.failed else "PASS",
                "notes": list(s.notes),
                "tables": [
                    {"title": t.title, "columns": list(t.columns), "rows": [list(r) for r in t.rows]}
                    for t in s.tables
                ],
                "blocks": [{"language": lang, "text": text} for lang, text in s.blocks],
                "findings": [f.as_dict() for f in s.findings],
            }
            for s in report.sections
        ],
    }


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"
