"""SARIF 2.1.0, for code-scanning UIs: one result per finding, rules from the finding codes."""

from __future__ import annotations

import json

from parity import __version__
from parity.model.findings import Report, Severity

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render_sarif(report: Report) -> str:
    rules: dict[str, dict[str, object]] = {}
    results: list[dict[str, object]] = []
    for f in report.findings:
        rules.setdefault(
            f.code,
            {
                "id": f.code,
                "shortDescription": {"text": f.message.split(":")[0][:120]},
                "properties": {"area": f.area},
            },
        )
        result: dict[str, object] = {
            "ruleId": f.code,
            "level": _LEVEL[f.severity],
            "message": {"text": f.message + (f" Fix: {f.fix}" if f.fix else "")},
        }
        if f.file:
            region = {"startLine": f.line} if f.line else {}
            result["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.file},
                        **({"region": region} if region else {}),
                    }
                }
            ]
        props = {
            k: v for k, v in (("service", f.service), ("environment", f.environment), ("key", f.key)) if v
        }
        if props:
            result["properties"] = props
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "parity", "version": __version__, "rules": list(rules.values())}},
                "results": results,
                "properties": {
                    "verdict": report.verdict,
                    "environment": report.environment,
                    **({"reference": report.reference} if report.reference else {}),
                },
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
