"""PostgreSQL normalisation hooks.

The catalog does most of the work: unquoted identifiers are folded at parse time and
``format_type``/``pg_get_expr``/``pg_get_constraintdef`` print one canonical spelling. What
is left is the cast PostgreSQL adds to a literal default (``'new'::text``,
``'x'::character varying``), which changes with the column's type and would otherwise show
a type change as a default change too.
"""

from __future__ import annotations

import re
from functools import lru_cache

from parity.model.changes import CompareOptions

COMPARE_OPTIONS = CompareOptions(fold_case=False)

_CAST_LITERAL = re.compile(
    r"^\(?('(?:[^']|'')*'|-?\d+(?:\.\d+)?)\)?::[\w\s.\"]+(?:\(\d+(?:,\s*\d+)?\))?(\[\])?$"
)
_NEG = re.compile(r"^\((-\d+(?:\.\d+)?)\)$")
_SPACES = re.compile(r"\s+")
# Same value within a transaction: https://www.postgresql.org/docs/current/functions-datetime.html
_NOW = {"now()", "current_timestamp", "transaction_timestamp()"}


@lru_cache(maxsize=4096)
def normalize_default(raw: str | None) -> str | None:
    """``'new'::text`` → ``'new'``; ``(-1)`` → ``-1``; ``NULL::text`` → None."""
    if raw is None:
        return None
    text = raw.strip()
    if re.fullmatch(r"NULL(::[\w\s.\"]+)?", text, re.IGNORECASE):
        return None
    m = _CAST_LITERAL.match(text)
    if m and not m.group(2):
        return m.group(1)
    m = _NEG.match(text)
    if m:
        return m.group(1)
    if text.lower() in _NOW:
        return "CURRENT_TIMESTAMP"
    return text


def normalize_check(definition: str) -> str:
    """``CHECK ((price > 0)) NOT VALID`` → ``price > 0``; ``NO INHERIT`` stays, after the expression
    (``price > 0 NO INHERIT``), so two spellings compare equal and :func:`check_sql` can put it back."""
    text = definition.strip()
    if text.upper().endswith(" NOT VALID"):
        text = text[: -len(" NOT VALID")]
    if text.upper().endswith(" NO INHERIT"):
        return normalize_check(text[: -len(" NO INHERIT")]) + " NO INHERIT"
    if text.upper().startswith("CHECK"):
        text = text[5:].strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text


def check_sql(expression: str) -> str:
    """The CHECK clause for a normalised expression (``NO INHERIT`` goes after the parentheses)."""
    if expression.upper().endswith(" NO INHERIT"):
        return f"CHECK ({expression[: -len(' NO INHERIT')]}) NO INHERIT"
    return f"CHECK ({expression})"


def server_version(schema: object) -> int | None:
    """``server_version_num`` of the inspected server (170002 for 17.2), None when unknown."""
    raw = getattr(schema, "meta", {}).get("server_version_num", "")
    return int(raw) if raw.isdigit() else None


def _balanced(text: str) -> bool:
    depth = 0
    quote = False
    for ch in text:
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def normalize_view(definition: str) -> str:
    """``pg_get_viewdef`` text with whitespace collapsed and the trailing ``;`` removed."""
    return _SPACES.sub(" ", definition.strip()).rstrip(";").strip()


FK_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
