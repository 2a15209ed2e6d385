"""A flag's raw value and its polarity, shared by the flag audit and the env plan (core model:
both must read ``false`` and ``APP_DISABLE_X=true`` the same way, so the plan never writes what
the audit calls off)."""

from __future__ import annotations

import re

TRUE = frozenset({"true", "1", "yes", "on", "y", "t", "enabled", "enable"})
FALSE = frozenset({"false", "0", "no", "off", "n", "f", "disabled", "disable", ""})

# ``APP_FEATURE_DISABLE_X``, ``DISABLE_SIGNUP``, ``SIGNUP_DISABLED``: true means the feature is off.
_INVERTED = re.compile(r"(?:^|_)DISABLED?(?:_|$)")


def classify(value: str | None) -> str:
    """``true`` / ``false`` / ``unset`` / ``invalid`` for a flag's raw value (an empty value is false)."""
    if value is None:
        return "unset"
    v = value.strip().strip("\"'").lower()
    if v in TRUE:
        return "true"
    if v in FALSE:
        return "false"
    return "invalid"


def is_inverted(key: str) -> bool:
    """True for a flag whose "true" turns its feature off (``*DISABLE_*``, ``*_DISABLED``)."""
    return bool(_INVERTED.search(key.upper()))


def keeps_feature_off(key: str, value: str) -> bool:
    """``value`` of flag ``key`` turns its feature off (``false``; ``true`` for a DISABLE flag)."""
    return classify(value) == ("true" if is_inverted(key) else "false")


# What an example file's comment says about a flag: ``Set to true in development, false in
# production`` gives production's value; ``Set to 'true' if you would prefer …`` makes the
# example's value one choice among two, not a setting production is missing.
_FOR_PRODUCTION = re.compile(
    r"\b(true|false|on|off|yes|no|enabled?|disabled?)\b[\"']?\s+(?:in|for|on)\s+production\b", re.IGNORECASE
)
_A_CHOICE = re.compile(
    r"\bif you\b|\bprefer\b|\boptional(?:ly)?\b|\bif (?:desired|needed|wanted)\b", re.IGNORECASE
)


def comment_intent(comment: str) -> tuple[str | None, bool]:
    """``(value the comment gives for production or None, the comment makes it a choice)``."""
    m = _FOR_PRODUCTION.search(comment)
    return (m.group(1).lower() if m else None, bool(_A_CHOICE.search(comment)))


def comment_above(text: str, line: int, max_lines: int = 4) -> str:
    """The ``#`` comment lines right above 1-based ``line`` of an env file, joined, without ``#``."""
    lines = text.splitlines()
    out: list[str] = []
    i = line - 2
    while i >= 0 and len(out) < max_lines and lines[i].lstrip().startswith("#"):
        out.append(lines[i].lstrip().lstrip("#").strip())
        i -= 1
    return " ".join(reversed(out))
