"""Masking: a secret value never leaves the machine in output, only a short fingerprint.

The fingerprint is a truncated sha256 so a reader can still see that two files hold the
same secret (or not) without seeing it.
"""

from __future__ import annotations

import fnmatch
import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from parity.model.env import EnvValue

SECRET_KEY_PATTERNS = (
    "*SECRET*",
    "*TOKEN*",
    "*PASSWORD*",
    "*PASSWD*",
    "*_KEY",
    "*PRIVATE*",
    "*CREDENTIAL*",
    "*_DSN",
    "*APIKEY*",
    "*API_KEY*",
)
_URL_WITH_PASSWORD = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:[^@/\s]+@")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://")
_SECRET_QUERY = re.compile(
    r"[?&](token|key|secret|password|sig|signature|access_token|api_key)=", re.IGNORECASE
)
_WORDLIKE = re.compile(r"^[a-z]+([_\-. ][a-z]+)*$", re.IGNORECASE)


def is_secret_key(key: str, extra_patterns: Iterable[str] = ()) -> bool:
    upper = key.upper()
    return any(fnmatch.fnmatchcase(upper, p.upper()) for p in (*SECRET_KEY_PATTERNS, *extra_patterns))


def _entropy(value: str) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def looks_secret(value: str) -> bool:
    """A URL with a password, or a long high-entropy token (API keys, JWTs, random hex)."""
    if _URL_WITH_PASSWORD.match(value):
        return True
    if _URL.match(value):
        # A URL without a password is an address, not a credential, unless its query carries one.
        return bool(_SECRET_QUERY.search(value))
    if len(value) < 20 or " " in value or _WORDLIKE.match(value):
        return False
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^a-zA-Z\d]"))
    return _entropy(value) >= 3.5 and classes >= 2


def fingerprint(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:8] + "…"


def is_secret(key: str, value: str | None, extra_patterns: Iterable[str] = ()) -> bool:
    if value is None or value == "":
        return False
    return is_secret_key(key, extra_patterns) or looks_secret(value)


def display(key: str, value: str | None, extra_patterns: Iterable[str] = ()) -> str:
    """How ``key``'s value may appear in any output: itself, or a fingerprint when secret."""
    if value is None:
        return "∅"
    if is_secret(key, value, extra_patterns):
        return fingerprint(value)
    return value


def mask_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each secret value in free text (command output, diffs)."""
    for s in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(s, fingerprint(s))
    return text


def display_value(value: EnvValue, extra_patterns: Iterable[str] = ()) -> str:
    """:func:`display` for an effective value; a value from a Kubernetes Secret is always masked."""
    if value.secret and value.value:
        return fingerprint(value.value)
    return display(value.key, value.value, extra_patterns)
