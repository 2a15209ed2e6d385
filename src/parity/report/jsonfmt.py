"""JSON: a documented, versioned schema (docs/report.schema.json)."""

from __future__ import annotations

import functools
import json
from typing import cast

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
    return dumps_indented(report_dict(report)) + "\n"


def dumps_indented(obj: object) -> str:
    """``json.dumps(obj, indent=2, ensure_ascii=False)``, the same text, faster: the standard
    library writes indented JSON with its pure-Python encoder, a third of a lint run on a file
    with thousands of findings. Strings go through the C string encoder it uses itself."""
    out: list[str] = []
    _write(obj, "\n", out)
    return "".join(out)


_encode = json.encoder.encode_basestring  # the C function json uses with ensure_ascii=False
_SCALARS = {None: "null", True: "true", False: "false"}


def _scalar(value: object) -> str | None:
    """The JSON text of a string, an int or null; None for anything else."""
    if isinstance(value, str):
        return _encode(value)
    if value is None:
        return "null"
    if type(value) is int:
        return int.__repr__(value)
    return None


@functools.lru_cache(maxsize=256)
def _heads(keys: tuple[str, ...], newline: str) -> tuple[str, ...]:
    """What precedes each value of a flat object with ``keys`` at the depth of ``newline``: the
    findings of a report share their keys, so each key is encoded once, not once a finding."""
    inner = newline + "  "
    return tuple(("{" if i == 0 else ",") + inner + _encode(k) + ": " for i, k in enumerate(keys))


def _write(obj: object, newline: str, out: list[str]) -> None:
    if isinstance(obj, str):
        out.append(_encode(obj))
    elif obj is None or obj is True or obj is False:
        out.append(_SCALARS[obj])
    elif isinstance(obj, int) and not isinstance(obj, bool):
        out.append(int.__repr__(obj))
    elif isinstance(obj, dict) and all(isinstance(k, str) for k in obj):
        if not obj:
            out.append("{}")
            return
        inner = newline + "  "
        flat = [_scalar(v) for v in obj.values()]
        if None not in flat:  # a finding: every value a string, a number or null
            values = cast("list[str]", flat)  # None is not in it
            heads = _heads(tuple(obj), newline)
            out.append("".join([x for pair in zip(heads, values, strict=True) for x in pair]) + newline + "}")
            return
        first = True
        for key, value in obj.items():
            out.append(("{" if first else ",") + inner + _encode(key) + ": ")
            first = False
            _write(value, inner, out)
        out.append(newline + "}")
    elif isinstance(obj, list | tuple):
        if not obj:
            out.append("[]")
            return
        inner = newline + "  "
        for i, value in enumerate(obj):
            out.append(("[" if i == 0 else ",") + inner)
            _write(value, inner, out)
        out.append(newline + "]")
    else:
        # Floats, non-string keys and anything else: the standard library decides, at this depth.
        text = json.dumps(obj, indent=2, ensure_ascii=False)
        out.append(text.replace("\n", newline))
