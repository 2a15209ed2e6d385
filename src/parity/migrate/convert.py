"""Column type conversions a migration makes: found in its statements, checked on the existing
rows before anything runs, and verified by value afterwards (issue 17).

A conversion changes how a value is spelled without changing the value: PostgreSQL's ``jsonb``
stores ``{"b":1,"a":2}`` as ``{"a": 2, "b": 1}``, ``numeric(12,4)`` prints ``1.50`` as
``1.5000``. Comparing the text of the values before and after would call that data loss, so a
converted column is also compared in a *value family* both types belong to (jsonb equality,
numeric equality, double precision for floats). A cast that loses something (rounding,
truncation, a different number) still differs there and fails verification.

This module holds the dialect-neutral part (the model and the pure rules); the SQL lives in
the dialect's runtime (:mod:`parity.dialects.postgres.convert`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from parity.model.findings import Finding, Severity

#: How many primary keys of failing rows a refusal names (keys only: values may be secrets).
SHOWN_KEYS = 5

_JSON = frozenset({"json", "jsonb"})
_EXACT = frozenset({"tinyint", "smallint", "mediumint", "integer", "bigint", "numeric"})
_FLOAT = frozenset({"real", "double precision"})
_TIME = frozenset(
    {
        "date",
        "timestamp",
        "timestamp without time zone",
        "timestamptz",
        "timestamp with time zone",
        "datetime",
    }
)
_ALIASES = {
    "int": "integer",
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "decimal": "numeric",
    "float4": "real",
    "float8": "double precision",
    "float": "double precision",
    "double": "double precision",
    "dec": "numeric",
    "fixed": "numeric",
    "serial": "integer",
    "bigserial": "bigint",
    "smallserial": "smallint",
}


def base_type(spelling: str) -> str:
    """``numeric(12, 2)`` → ``numeric``; ``pg_catalog.int8`` → ``bigint``; ``INT`` → ``integer``."""
    name = re.sub(r"\(.*\)|\[\]|\b(unsigned|signed|zerofill)\b", "", spelling.lower()).strip()
    name = name.removeprefix("pg_catalog.").strip('"')
    return _ALIASES.get(name, name)


def value_family(old_type: str, new_type: str) -> str | None:
    """The family two types' values compare in, or None when their text must match exactly.

    ``jsonb``: either side is json/jsonb (key order, whitespace and duplicate keys are not
    content there). ``float``: both are floating point (every ``real`` is exactly a ``double``,
    though its decimal text differs). ``numeric``: both are numbers (scale and trailing zeros
    are not content; any other difference is). ``time``: both are dates or timestamps (the same
    instant, in the session's time zone as the conversion itself reads it)."""
    old, new = base_type(old_type), base_type(new_type)
    if old in _JSON or new in _JSON:
        return "jsonb"
    if old in _FLOAT and new in _FLOAT:
        return "float"
    if old in _TIME and new in _TIME:
        return "time"
    if old in _EXACT | _FLOAT and new in _EXACT | _FLOAT:
        return "numeric"
    return None


@dataclass(frozen=True, slots=True)
class Conversion:
    """``ALTER TABLE table ALTER COLUMN column TYPE new_type [USING using]``."""

    table: str
    column: str
    old_type: str  # as the catalog spells it before the migration
    new_type: str  # as the statement spells it
    using: str | None = None  # the USING expression; None: the plain cast
    #: An earlier statement of the same run may change the rows first (an UPDATE that cleans
    #: the values up): the existing rows do not decide whether the conversion succeeds.
    rows_changed_first: bool = False

    @property
    def family(self) -> str | None:
        return value_family(self.old_type, self.new_type)

    @property
    def label(self) -> str:
        return f"{self.table}.{self.column} {self.old_type} → {self.new_type}"


@dataclass(frozen=True, slots=True)
class Precheck:
    """What the existing rows say about one conversion, found without writing anything.

    ``failing``: rows whose value the conversion cannot convert (None: could not be checked,
    ``reason`` says why). ``keys``: the primary keys of the first of them, in key order."""

    conversion: Conversion
    rows: int
    failing: int | None
    key_columns: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    reason: str = ""
    method: str = ""  # how it was checked (for the note): "one scan", "pg_input_is_valid", "per row"

    @property
    def fails(self) -> bool:
        return bool(self.failing)

    def describe(self) -> str:
        """``converting docs.body text → jsonb would fail on 1 of 3 rows (id 3)``; never a value."""
        c = self.conversion
        head = f"converting {c.label} would fail on {self.failing} of {self.rows} row(s)"
        if not self.keys:
            return head
        name = ", ".join(self.key_columns) or "ctid"
        hidden = (self.failing or 0) - len(self.keys)
        more = f", … {hidden} more" if hidden > 0 else ""
        return f"{head} ({name} {'; '.join(self.keys)}{more})"


def by_table(conversions: Iterable[Conversion]) -> dict[str, dict[str, str]]:
    """table → column → value family, for the conversions that have one (the last one of a column
    wins: it decides the type the column ends with)."""
    out: dict[str, dict[str, str]] = {}
    for c in conversions:
        if c.family is not None:
            out.setdefault(c.table, {})[c.column] = c.family
        elif c.column in out.get(c.table, {}):
            del out[c.table][c.column]
    return {t: cols for t, cols in out.items() if cols}


def columns_by_table(conversions: Iterable[Conversion]) -> dict[str, list[str]]:
    """table → the columns the conversions change the type of (with or without a value family)."""
    out: dict[str, list[str]] = {}
    for c in conversions:
        cols = out.setdefault(c.table, [])
        if c.column not in cols:
            cols.append(c.column)
    return out


def refusal(code: str, check: Precheck, *, environment: str | None = None) -> Finding:
    """The error for a conversion the existing rows would make fail (``PLN006`` in a plan,
    ``MGR009`` for a pending migration file)."""
    c = check.conversion
    return Finding(
        code,
        Severity.ERROR,
        "migrate",
        f"refused before anything ran: {check.describe()}",
        environment=environment,
        key=c.table,
        fix=f"correct those rows of {c.table} first (their {c.column} is not a valid {c.new_type}), "
        "or convert with a USING expression that handles them (a migration of your own)",
    )


def unchecked_note(check: Precheck) -> str:
    return f"pre-check of {check.conversion.label} UNKNOWN: {check.reason}"


def failures(checks: Iterable[Precheck]) -> tuple[Precheck, ...]:
    return tuple(c for c in checks if c.fails)


def families_note(conversions: Mapping[str, Mapping[str, str]]) -> str | None:
    """``compared by value: docs.body as jsonb, docs.n as numeric`` (None when nothing is)."""
    parts = [
        f"{t}.{col} as {fam}" for t, cols in sorted(conversions.items()) for col, fam in sorted(cols.items())
    ]
    return "converted columns compared by value: " + ", ".join(parts) if parts else None
