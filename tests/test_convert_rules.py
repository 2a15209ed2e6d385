"""The pure rules of type conversions (:mod:`parity.migrate.convert`): which values compare by
value, and what a refusal says (never a value)."""

from __future__ import annotations

import pytest

from parity.migrate.convert import (
    Conversion,
    Precheck,
    base_type,
    by_table,
    columns_by_table,
    refusal,
    value_family,
)


@pytest.mark.parametrize(
    ("old", "new", "family"),
    [
        ("text", "jsonb", "jsonb"),
        ("jsonb", "json", "jsonb"),
        ("character varying(200)", "pg_catalog.json", "jsonb"),
        ("integer", "bigint", "numeric"),
        ("numeric(10,2)", "numeric(12, 4)", "numeric"),
        ("int(11)", "decimal(12,4)", "numeric"),  # MariaDB spellings
        ("int(10) unsigned", "bigint", "numeric"),
        ("bigint", "double precision", "numeric"),  # 2^53 + 1 must not pass as a double
        ("real", "float8", "float"),  # every real is exactly a double: compared as doubles
        ("timestamp without time zone", "timestamp with time zone", "time"),
        ("date", "datetime", "time"),
        ("text", "integer", None),  # '007' → 7 is a change: compared by text
        ("character varying(10)", "text", None),
        ("integer", "text", None),
    ],
)
def test_value_family(old: str, new: str, family: str | None) -> None:
    assert value_family(old, new) == family


def test_base_type_drops_modifiers_and_schema() -> None:
    assert [base_type(t) for t in ("numeric(12, 2)", "pg_catalog.int8", "INT", "integer[]")] == [
        "numeric",
        "bigint",
        "integer",
        "integer",
    ]


def test_the_last_conversion_of_a_column_decides_its_family() -> None:
    convs = [
        Conversion("t", "a", "integer", "bigint"),
        Conversion("t", "a", "bigint", "text"),  # then to text: compared by text
        Conversion("t", "b", "integer", "bigint"),
        Conversion("u", "c", "text", "integer"),
    ]
    assert by_table(convs) == {"t": {"b": "numeric"}}
    assert columns_by_table(convs) == {"t": ["a", "b"], "u": ["c"]}


def test_a_refusal_names_count_and_keys_only() -> None:
    check = Precheck(Conversion("docs", "body", "text", "jsonb"), 10, 7, ("id",), ("3", "4", "9", "11", "12"))
    f = refusal("PLN006", check)
    assert f.message == (
        "refused before anything ran: converting docs.body text → jsonb would fail on 7 of 10 row(s) "
        "(id 3; 4; 9; 11; 12, … 2 more)"
    )
    assert f.severity.value == "error" and f.key == "docs" and "not a valid jsonb" in (f.fix or "")


def test_compare_accepts_a_converted_column_only_when_its_values_are_equal() -> None:
    from parity.verify.integrity import Snapshot, TableDigest, compare

    before = Snapshot(
        (TableDigest("docs", 2, (("id", "i"), ("body", "text-1")), values=(("body", "jsonb", "v"),)),)
    )
    same = Snapshot(
        (TableDigest("docs", 2, (("id", "i"), ("body", "text-2")), values=(("body", "jsonb", "v"),)),)
    )
    other = Snapshot(
        (TableDigest("docs", 2, (("id", "i"), ("body", "text-2")), values=(("body", "jsonb", "w"),)),)
    )
    by_text = Snapshot((TableDigest("docs", 2, (("id", "i"), ("body", "text-2"))),))
    assert compare(before, same) == ()
    [changed] = compare(before, other)
    assert changed.code == "VER004" and "(compared as jsonb too: the values differ)" in changed.message
    # Without a digest by value on both sides (a cast the database refused) the text decides.
    assert [f.code for f in compare(before, by_text)] == ["VER004"]
