"""Findings and report sections: the one result model every renderer (text, markdown, json, sarif) reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # makes the run FAIL
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing parity noticed. ``code`` is stable (e.g. ``ENV001``) and documented in docs/codes.md.

    ``message`` and ``fix`` must never contain a secret value: build them with
    :func:`parity.env.secrets.display`.
    """

    code: str
    severity: Severity
    area: str  # "env" | "schema" | "migrate" | "flags" | "store" | "verify" | "smoke"
    message: str
    service: str | None = None
    environment: str | None = None
    file: str | None = None  # relative to the project root, posix
    line: int | None = None
    key: str | None = None
    fix: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "area": self.area,
            "service": self.service,
            "environment": self.environment,
            "file": self.file,
            "line": self.line,
            "key": self.key,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass(frozen=True, slots=True)
class Table:
    """A plain table for a section; cells are already masked strings."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Section:
    """One part of the report, e.g. "Environment Gap Report"."""

    id: str
    title: str
    findings: tuple[Finding, ...] = ()
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = ()  # short lines of prose; may hold SQL or a diff when ``code`` is set
    blocks: tuple[tuple[str, str], ...] = field(default=())  # (language, text): diffs and SQL

    @property
    def failed(self) -> bool:
        """An error finding, or a check row whose result is FAILED (verification tables restate
        findings as rows: a section must never say PASS beside a failed row)."""
        if any(f.severity is Severity.ERROR for f in self.findings):
            return True
        for t in self.tables:
            if "result" in t.columns:
                i = t.columns.index("result")
                if any(len(r) > i and r[i] == "FAILED" for r in t.rows):
                    return True
        return False


@dataclass(frozen=True, slots=True)
class Report:
    command: str
    project: str
    environment: str
    sections: tuple[Section, ...]
    # What the target was compared against (``example``, ``code`` or an environment) and why,
    # in one line; None for reports that compare against nothing (rollback, schema, …).
    reference: str | None = None
    reference_reason: str = ""

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for s in self.sections for f in s.findings)

    @property
    def passed(self) -> bool:
        return not any(s.failed for s in self.sections)

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"
