"""How the code around a read copes with the variable being unset, read off the masked text.

The regex extractors (:mod:`parity.code.patterns`) see ``ENV['X']`` or ``process.env.X``; whether
an unset ``X`` is a gap depends on the next few tokens: ``ENV['X'].presence || 20`` has a default,
``ENV['X'] == 'true'`` is a switch that is off when unset, ``if (process.env.X)`` is a guard, and
``if (!process.env.X) throw …`` is a requirement. The text is masked (comments blank, string
interiors ``\\x01``), so these tokens can only be code; literals are read from the original text at
the same offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STR = r"(?:\"\x01*\"|'\x01*'|`\x01*`)"

# Method calls that are safe on a missing value: Ruby's nil answers these, and ``?.``/``&.`` skip
# the call. ``process.env.X.toLowerCase()`` is not safe: it throws when X is unset.
_NIL_SAFE = frozenset({"to_s", "to_i", "to_f", "to_a", "to_sym", "presence", "present?", "blank?", "nil?"})
_TESTS = frozenset({"present?", "blank?", "nil?", "empty?"})
_LINK = re.compile(
    r"\s*(?P<op>&\.|\?\.|\.)\s*(?P<m>[A-Za-z_]\w*[?!]?)(?P<args>\((?:[^()\n]|\([^()\n]*\))*\))?"
)
_DEFAULT_AFTER = re.compile(rf"\s*(?:\|\||\?\?|\bor\b)\s*(?P<d>{STR}|-?[\w.:]+)")
_COMPARE_AFTER = re.compile(rf"\s*(?:===?|!==?)\s*(?P<lit>{STR}|true|false|nil|null|undefined|\d+)")
_TERNARY_AFTER = re.compile(r"\s*\?(?![?.:])")
_ASSIGN_OPEN = re.compile(r"\(\s*[A-Za-z_@$][\w$]*\s*=\s*$")
_CLOSE = re.compile(r"\s*\)")
_CALL_OPEN = re.compile(r"[A-Za-z_][\w.]*\(\s*$")
_ARGS_CLOSE = re.compile(r"\s*(?:,\s*:?[\w\x01\"']+\s*)?\)")
_AND_AFTER = re.compile(r"\s*&&")
_TEST_BEFORE = re.compile(r"(?:\b(?:if|unless|elsif|while|until)\b\s*\(?\s*!?|!|\bBoolean\()\s*$")
_NOT_BEFORE = re.compile(r"(?:!|\bunless\b)\s*\(?\s*$")
# Ruby's postfix form: ``raise "…" unless ENV["X"].present?``.
_POSTFIX_FAIL = re.compile(r"\b(?:raise|fail|abort)\b.*\b(?:if|unless)\b\s*!?\s*$")
_OWNER_BEFORE = re.compile(r"[\w$.]*$")
# What the code does when the test says "missing": a raise within the next few lines is a requirement.
_FAILS = re.compile(r"\b(?:throw|raise|abort|panic|process\.exit|exit)\b|\bfail\b")
BOOLEAN_LITERALS = frozenset(
    {"true", "false", "1", "0", "yes", "no", "on", "off", "y", "n", "enabled", "disabled"}
)


@dataclass(frozen=True, slots=True)
class Coping:
    """``default``: the literal taken when unset; ``guarded``: the code tests the value before use
    (or only compares it), so unset does not fail; ``boolean``: compared with a boolean-ish literal;
    ``crashes``: the test is followed by a raise."""

    default: str | None = None
    guarded: bool = False
    boolean: bool = False
    crashes: bool = False


def _literal(original: str, start: int, end: int) -> str:
    return original[start + 1 : end - 1] if original[start] in "\"'`" else original[start:end]


def coping(original: str, masked: str, start: int, end: int) -> Coping:
    """How the read at ``masked[start:end]`` copes with an unset value (see the module docstring)."""
    pos, safe, test = end, True, ""
    line_start = masked.rfind("\n", 0, start) + 1
    if _ASSIGN_OPEN.search(masked, line_start, start) and (close := _CLOSE.match(masked, end)):
        # ``(key = ENV["X"]).present?``: the test applies to the assigned read.
        pos = close.end()
        start = _ASSIGN_OPEN.search(masked, line_start, start).start()  # type: ignore[union-attr]
    elif (call := _CALL_OPEN.search(masked, line_start, start)) and (close := _ARGS_CLOSE.match(masked, end)):
        # ``Utils.parse_duration(ENV["X"]).presence || 3.days``: a helper that passes nil through
        # (it takes the read as its first argument) and a default after it.
        after = _DEFAULT_AFTER.match(masked, close.end()) or _LINK.match(masked, close.end())
        if after is not None:
            pos = close.end()
            start = call.start()
    read_end = pos
    chained = False  # ``X?.includes(…)`` / ``X&.strip``: the chain stops at an unset X
    while m := _LINK.match(masked, pos):
        name = m["m"]
        if pos == read_end and m["op"] in ("?.", "&."):
            chained = True
        if m["op"] == ".":
            safe = safe and name in _NIL_SAFE
        if name in _TESTS:
            test = name
        pos = m.end()
    owner = _OWNER_BEFORE.search(masked, line_start, start)
    head = masked[line_start : owner.start() if owner else start]
    if not test:
        if safe and (d := _DEFAULT_AFTER.match(masked, pos)):
            return Coping(default=_literal(original, d.start("d"), d.end("d")))
        if c := _COMPARE_AFTER.match(masked, pos):
            lit = _literal(original, c.start("lit"), c.end("lit")).strip().lower()
            # ``X.downcase == "true"`` is still a switch, but one that fails when X is unset.
            return Coping(guarded=safe, boolean=lit in BOOLEAN_LITERALS)
    if not test and pos == read_end and (_TERNARY_AFTER.match(masked, pos) or _AND_AFTER.match(masked, pos)):
        return Coping(guarded=True)
    if test or ((pos == read_end or chained) and _TEST_BEFORE.search(head)):
        # Which branch runs when the value is missing: ``!X`` / ``X.blank?`` / ``unless X.present?``.
        missing_branch = (test in ("blank?", "nil?", "empty?")) != bool(_NOT_BEFORE.search(head))
        if missing_branch and (
            _POSTFIX_FAIL.search(head) or _FAILS.search(masked, pos, min(len(masked), pos + 120))
        ):
            return Coping(crashes=True)
        return Coping(guarded=True)
    if chained:
        return Coping(guarded=True)
    return Coping()
