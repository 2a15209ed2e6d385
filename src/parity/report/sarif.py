"""SARIF 2.1.0, for code-scanning UIs: one result per finding, rules from the finding codes."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

from parity import __version__
from parity.model.findings import Report, Severity

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


@cache
def _code_docs() -> dict[str, str]:
    """Code → its one-line meaning, from the codes reference shipped with parity (docs/codes.md)."""
    try:
        text = (resources.files("parity") / "codes.md").read_text(encoding="utf-8")
    except (OSError, FileNotFoundError):
        return {}
    return {m[1]: m[2].strip() for m in re.finditer(r"^\| ([A-Z]{3}\d{3}) \| [^|]*\| (.*) \|$", text, re.M)}


def _title(meaning: str) -> str:
    """The rule's short name: the meaning up to its first aside, without markdown backticks."""
    head = re.split(r" \(|; |: ", meaning, maxsplit=1)[0].replace("`", "")
    return head[:120]


def render_sarif(report: Report) -> str:
    docs = _code_docs()
    rules: dict[str, dict[str, object]] = {}
    results: list[dict[str, object]] = []
    for f in report.findings:
        meaning = docs.get(f.code)
        rules.setdefault(
            f.code,
            {
                "id": f.code,
                "shortDescription": {"text": _title(meaning) if meaning else f.code},
                **({"fullDescription": {"text": meaning.replace("`", "")}} if meaning else {}),
                **(
                    {"help": {"text": f"{f.code}: {meaning} (parity docs/codes.md)", "markdown": meaning}}
                    if meaning
                    else {}
                ),
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
