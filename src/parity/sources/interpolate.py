"""Compose variable interpolation, as the Compose specification defines it.

https://docs.docker.com/reference/compose-file/interpolation/ — ``$VAR`` and ``${VAR}``;
``${VAR:-d}`` / ``${VAR-d}`` (default when unset-or-empty / unset); ``${VAR:?e}`` /
``${VAR?e}`` (error); ``${VAR:+r}`` / ``${VAR+r}`` (replacement when set-and-non-empty / set);
operands may nest (``${A:-${B:-x}}``); ``$$`` is a literal ``$``; a ``$`` not followed by a
name or ``{`` is kept as it is; anything else inside braces (``${VAR/a/b}``) is an error.
An unset variable with no default becomes the empty string, with a warning.

Variables are looked up in the mapping given (the project ``.env``), never in the
environment of the machine running parity, so results do not depend on who runs it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")


class InterpolationError(Exception):
    """``${VAR:?message}`` on an unset variable, or a malformed ``${...}`` expression."""

    def __init__(self, message: str, variable: str | None = None, required: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.variable = variable
        self.required = required


@dataclass(slots=True)
class Interpolation:
    """The result of interpolating one value."""

    value: str
    used: list[str] = field(default_factory=list)  # variables consulted, in order
    unset: list[str] = field(default_factory=list)  # unset variables that became "" (Compose warns)
    whole: str | None = None  # set when the entire value is one ``$VAR``/``${VAR…}``: that variable


def _closing_brace(text: str, start: int) -> int:
    """Index of the ``}`` closing the ``${`` whose body starts at ``start``; nested ``${`` counted."""
    depth = 1
    i = start
    while i < len(text):
        c = text[i]
        if c == "$" and i + 1 < len(text) and text[i + 1] == "$":
            i += 2
            continue
        if c == "$" and i + 1 < len(text) and text[i + 1] == "{":
            depth += 1
            i += 2
            continue
        if c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _braced(body: str, env: Mapping[str, str], out: Interpolation) -> str:
    m = _NAME.match(body)
    if not m:
        raise InterpolationError(f"invalid interpolation format for '${{{body}}}'")
    name = m.group(0)
    rest = body[m.end() :]
    out.used.append(name)
    value = env.get(name)
    if rest == "":
        if value is None:
            out.unset.append(name)
            return ""
        return value
    op = next((o for o in _OPERATORS if rest.startswith(o)), None)
    if op is None:
        raise InterpolationError(f"invalid interpolation format for '${{{body}}}'", name)
    operand = rest[len(op) :]
    strict = op.startswith(":")  # the colon forms treat empty like unset
    is_set = value is not None and (value != "" or not strict)
    kind = op[-1]
    if kind == "-":
        return value if is_set and value is not None else _expand(operand, env, out)
    if kind == "?":
        if is_set and value is not None:
            return value
        message = _expand(operand, env, out) if operand else ""
        detail = f": {message}" if message else " is missing a value"
        raise InterpolationError(f"required variable {name}{detail}", name, required=True)
    # kind == "+": the replacement when set, else empty
    return _expand(operand, env, out) if is_set else ""


def _expand(text: str, env: Mapping[str, str], out: Interpolation) -> str:
    parts: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        j = text.find("$", i)
        if j < 0:
            parts.append(text[i:])
            break
        parts.append(text[i:j])
        nxt = text[j + 1] if j + 1 < n else ""
        if nxt == "$":
            parts.append("$")
            i = j + 2
        elif nxt == "{":
            end = _closing_brace(text, j + 2)
            if end < 0:
                raise InterpolationError(f"invalid interpolation format: unclosed '${{' in '{text}'")
            parts.append(_braced(text[j + 2 : end], env, out))
            i = end + 1
        else:
            m = _NAME.match(text, j + 1)
            if m:
                name = m.group(0)
                out.used.append(name)
                value = env.get(name)
                if value is None:
                    out.unset.append(name)
                parts.append(value or "")
                i = m.end()
            else:
                parts.append("$")  # not a variable: Compose keeps it as written
                i = j + 1
    return "".join(parts)


def interpolate(text: str, env: Mapping[str, str]) -> Interpolation:
    """Interpolate ``text`` against ``env``; raises :class:`InterpolationError`.

    >>> interpolate("${TAG:-latest}", {}).value
    'latest'
    """
    out = Interpolation("")
    out.value = _expand(text, env, out)
    whole = re.fullmatch(
        r"\$(?:([_a-zA-Z][_a-zA-Z0-9]*)|\{([_a-zA-Z][_a-zA-Z0-9]*)(?:[:?+\-][^$]*)?\})", text
    )
    if whole:
        out.whole = whole.group(1) or whole.group(2)
    return out


_REFERENCE = re.compile(r"(?<!\$)\$(?:\{([_a-zA-Z][_a-zA-Z0-9]*)|([_a-zA-Z][_a-zA-Z0-9]*))")


def variables_named(text: str) -> set[str]:
    """Every variable ``text`` interpolates (``$X``, ``${X}``, ``${X:?e}``, nested operands too),
    without evaluating it: for "which keys does this compose file read", not for values."""
    return {a or b for a, b in _REFERENCE.findall(text)}
