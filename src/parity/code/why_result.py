"""What ``parity why SYMBOL`` answers, whatever the language: the chain's steps, the blockers and the verdict.

Core of the answer only (no parsing, no env): :mod:`parity.code.why` builds it for Python,
:mod:`parity.code.why_tree` for TypeScript/JavaScript and Go, and the CLI renders it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KeyState:
    key: str
    service: str
    environment: str
    value: str | None  # masked for display
    state: str  # "set" | "empty" | "unset"


@dataclass(frozen=True, slots=True)
class Step:
    kind: str  # defined | if | else | gate | decorator | registered | mounted | reads | called
    file: str
    line: int
    text: str
    service: str | None
    verdict: str = ""  # for conditions: "true" | "false" | "unknown"
    keys: tuple[KeyState, ...] = ()
    entry: bool = False  # a route, command, task, module-level registration, Go main or __main__


@dataclass(frozen=True, slots=True)
class Blocker:
    kind: str  # "switch" | "missing" | "invalid"
    key: str | None
    message: str
    fix: str
    file: str
    line: int
    service: str | None


@dataclass(frozen=True, slots=True)
class WhyResult:
    symbol: str
    environment: str
    steps: tuple[Step, ...]
    blockers: tuple[Blocker, ...]
    definitions: tuple[str, ...] = ()  # file:line of every definition the symbol matched
    # One result per definition when a bare name matched several (then steps/blockers are empty).
    alternatives: tuple[WhyResult, ...] = ()
    language: str = "python"

    @property
    def blocked(self) -> bool:
        return bool(self.blockers) or any(a.blocked for a in self.alternatives)

    @property
    def verdict(self) -> str:
        """BLOCKED (a switch is off), CRASHES (a required key is missing), UNKNOWN (no entry point
        reaches it, or a condition cannot be decided) or REACHABLE; never REACHABLE by default."""
        if self.alternatives:
            return "UNKNOWN"  # which definition is meant: FILE.py:SYMBOL says
        if any(b.kind == "switch" for b in self.blockers):
            return "BLOCKED"
        if not any(s.entry for s in self.steps):
            return "UNKNOWN"
        if any(b.kind == "invalid" for b in self.blockers):
            return "CRASHES"  # the settings module raises on import, whatever the conditions say
        if any(s.verdict == "unknown" for s in self.steps):
            return "UNKNOWN"
        # Reachable, every condition true: a required key read without a default still crashes it.
        return "CRASHES" if self.blockers else "REACHABLE"

    @property
    def undecided(self) -> tuple[Step, ...]:
        """The conditions parity could not decide (why the verdict is UNKNOWN)."""
        return tuple(s for s in self.steps if s.verdict == "unknown")

    def as_dict(self) -> dict[str, object]:
        return {
            "symbol": self.symbol,
            "environment": self.environment,
            "language": self.language,
            "blocked": self.blocked,
            "verdict": self.verdict,
            "definitions": list(self.definitions),
            "alternatives": [a.as_dict() for a in self.alternatives],
            "steps": [
                {
                    "kind": s.kind,
                    "file": s.file,
                    "line": s.line,
                    "text": s.text,
                    "service": s.service,
                    "verdict": s.verdict,
                    "entry": s.entry,
                    "keys": [{"key": k.key, "value": k.value, "state": k.state} for k in s.keys],
                }
                for s in self.steps
            ],
            "blockers": [
                {
                    "kind": b.kind,
                    "key": b.key,
                    "message": b.message,
                    "fix": b.fix,
                    "file": b.file,
                    "line": b.line,
                }
                for b in self.blockers
            ],
        }
