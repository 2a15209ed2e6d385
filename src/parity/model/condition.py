"""When a read runs: the condition on *other* env values under which the code reaches it.

``if (transport === 'resend') { … env('RESEND_API_KEY') … }`` reads the key only when
``SMTP_TRANSPORT`` selects that transport; a function that opens with
``if (!isCscMode()) throw …`` reaches its reads only in CSC mode. A production that chose another
transport does not miss the key. Conditions are small trees evaluated in three-valued logic:
``True``/``False`` when the environment decides, ``None`` when parity cannot tell (then the read
counts as reached, as before).

Core model: no I/O, no parser; the code layer builds these and the env and flag checks evaluate
them against a service's effective env.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Lookup = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class Source:
    """An env value as the code sees it: ``key``, or ``default`` when unset (and when empty too,
    for ``||``)."""

    key: str
    default: str | None = None
    default_if_empty: bool = False

    def value(self, lookup: Lookup) -> str | None:
        v = lookup(self.key)
        if v is None or (v == "" and self.default_if_empty):
            return self.default
        return v


@dataclass(frozen=True, slots=True)
class Equals:
    """``source === 'a'`` (several values: fall-through ``case 'a': case 'b':``)."""

    source: Source
    values: frozenset[str]


@dataclass(frozen=True, slots=True)
class Truthy:
    """``if (source)``: set and not empty (JavaScript: ``"false"`` is truthy too)."""

    source: Source


@dataclass(frozen=True, slots=True)
class Not:
    inner: Condition


@dataclass(frozen=True, slots=True)
class All:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Any_:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Choice:
    """``test ? then : other`` (a predicate function with an early ``return``)."""

    test: Condition
    then: Condition
    other: Condition


@dataclass(frozen=True, slots=True)
class Unknown:
    """A test parity cannot evaluate (a call, a value from elsewhere); ``text`` is its source."""

    text: str


Condition = Equals | Truthy | Not | All | Any_ | Choice | Unknown


def holds(cond: Condition, lookup: Lookup) -> bool | None:
    """Three-valued: True or False when the env decides, None when it cannot be told."""
    if isinstance(cond, Equals):
        return cond.source.value(lookup) in cond.values
    if isinstance(cond, Truthy):
        return bool(cond.source.value(lookup))
    if isinstance(cond, Not):
        inner = holds(cond.inner, lookup)
        return None if inner is None else not inner
    if isinstance(cond, All):
        answers = [holds(p, lookup) for p in cond.parts]
        if False in answers:
            return False
        return None if None in answers else True
    if isinstance(cond, Any_):
        answers = [holds(p, lookup) for p in cond.parts]
        if True in answers:
            return True
        return None if None in answers else False
    if isinstance(cond, Choice):
        test = holds(cond.test, lookup)
        if test is not None:
            return holds(cond.then if test else cond.other, lookup)
        then, other = holds(cond.then, lookup), holds(cond.other, lookup)
        return then if then == other else None
    return None


def keys(cond: Condition) -> frozenset[str]:
    """The env keys the condition looks at."""
    if isinstance(cond, (Equals, Truthy)):
        return frozenset({cond.source.key})
    if isinstance(cond, Not):
        return keys(cond.inner)
    if isinstance(cond, (All, Any_)):
        return frozenset().union(*(keys(p) for p in cond.parts))
    if isinstance(cond, Choice):
        return keys(cond.test) | keys(cond.then) | keys(cond.other)
    return frozenset()


def describe(cond: Condition, negate: bool = False) -> str:
    """For a message: ``NEXT_PRIVATE_SMTP_TRANSPORT is 'resend'``."""
    if isinstance(cond, Equals):
        vals = " or ".join(f"'{v}'" for v in sorted(cond.values))
        return f"{cond.source.key} is {'not ' if negate else ''}{vals}"
    if isinstance(cond, Truthy):
        return f"{cond.source.key} is {'unset or empty' if negate else 'set'}"
    if isinstance(cond, Not):
        return describe(cond.inner, not negate)
    if isinstance(cond, (All, Any_)):
        # De Morgan, so a negated "and" reads as the "or" it is.
        joiner = " and " if isinstance(cond, All) != negate else " or "
        return joiner.join(_grouped(p, negate, joiner) for p in cond.parts)
    if isinstance(cond, Choice):
        if cond.then == cond.other:
            return describe(cond.then, negate)
        return (
            f"{describe(cond.then, negate)} when {describe(cond.test)}, else {describe(cond.other, negate)}"
        )
    return f"not ({cond.text})" if negate else cond.text


def _grouped(part: Condition, negate: bool, outer: str) -> str:
    """``describe(part)``, in parentheses when it joins its own parts the other way than ``outer``:
    ``A and (B or C)`` is not ``A and B or C``."""
    inner, flipped = part, negate
    while isinstance(inner, Not):
        inner, flipped = inner.inner, not flipped
    text = describe(part, negate)
    if isinstance(inner, (All, Any_)) and len(inner.parts) > 1:
        joiner = " and " if isinstance(inner, All) != flipped else " or "
        if joiner != outer:
            return f"({text})"
    return text


def simplify(parts: list[Condition]) -> Condition | None:
    """The conjunction of ``parts`` without the tests parity cannot read; None when none is left."""
    known = [p for p in parts if keys(p)]
    if not known:
        return None
    return known[0] if len(known) == 1 else All(tuple(known))
