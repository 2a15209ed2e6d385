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
