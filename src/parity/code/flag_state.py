"""What state a feature is in, from a flag's raw value, the code's default and the flag's polarity.

A flag's raw value is ``true``/``false``/``unset``/``invalid``; the *feature* it switches is ``on``
or ``off``. Two rules connect them, and every flag finding goes through them so that no two codes
disagree on a flag:

- unset takes the code's default: ``os.environ.get("X_ENABLED", "true")`` is on when unset, a read
  without a default (None, ``""``) is off, a default parity cannot read makes the state ``unknown``;
- a ``DISABLE`` flag is inverted: ``APP_DISABLE_SIGNUP=true`` turns the sign-up off.

    >>> feature_state("true", "false", inverted=True), feature_state("unset", "true", inverted=False)
    ('off', 'on')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from parity.code.refs import Reference
from parity.model.flagvalue import classify

ON, OFF, UNKNOWN, INVALID = "on", "off", "unknown", "invalid"


@dataclass(frozen=True, slots=True)
class CodeDefault:
    """What an unset flag reads as: ``state`` ``true``/``false`` (the raw value the code falls back
    to), ``crash`` (the read raises) or ``unknown`` (a default that is no boolean literal, or reads
    that disagree); ``words`` says it for a message."""

    state: str
    words: str


def code_default(refs: Iterable[Reference]) -> CodeDefault:
    """The raw value an unset flag takes in the code. Explicit defaults win over reads without one
    (``if os.getenv("X"):`` beside ``os.getenv("X", "true") == "true"``: the default is the design)."""
    refs = list(refs)
    if not refs:
        return CodeDefault("unknown", "no code reads it")
    literal = sorted({r.default for r in refs if r.has_default and r.default is not None})
    if literal:
        states = {classify(d) for d in literal}
        if len(states) > 1:
            shown = ", ".join(repr(d) for d in literal)
            return CodeDefault("unknown", f"the code defaults disagree ({shown})")
        state = states.pop()
        if state == "invalid":
            return CodeDefault("unknown", f"the code default {literal[0]!r} decides (not a boolean)")
        return CodeDefault(state, f"the code default {literal[0]!r} decides")
    if any(r.has_default and r.default is not None for r in refs):
        return CodeDefault("unknown", "the code default decides (not a literal parity can read)")
    if any(r.has_default for r in refs):
        # Coped with but no literal: ``ENV['X'] == 'true'``, ``if process.env.X``: unset compares
        # unequal, or tests falsy.
        return CodeDefault("false", "unset reads as nil/None in the code")
    if all(r.crashes for r in refs):
        crash = next(r for r in refs if r.crashes)
        return CodeDefault("crash", f"no default: {crash.via} raises at {crash.where}")
    return CodeDefault("false", "no default in code (reads None/empty)")


def feature_state(raw: str, default: str, *, inverted: bool) -> str:
    """``on``/``off`` for the feature behind a flag whose raw value is ``raw`` (see the module
    docstring); ``unknown`` when unset and the code's default is not known, ``invalid`` for no boolean."""
    if raw == "invalid":
        return INVALID
    value = default if raw == "unset" else raw
    if value not in ("true", "false"):
        return UNKNOWN
    return OFF if (value == "true") == inverted else ON


def raw_for(feature: str, *, inverted: bool) -> str:
    """The raw value that puts the feature in ``feature`` (``on``/``off``)."""
    return "true" if (feature == ON) != inverted else "false"


def is_boolean_value(value: str | None) -> bool:
    return value is not None and classify(value) in ("true", "false")
