"""The shortcuts lint takes for speed find what the full path finds."""

from __future__ import annotations

import pytest

from parity.plan.lint import lint_sql

LONG = "a" * 64


@pytest.mark.parametrize(
    "sql",
    [
        f"ALTER TABLE t ADD COLUMN {LONG} text;",  # plain ASCII, no quotes: the prefilter's case
        f'ALTER TABLE t ADD COLUMN "{"a b " * 17}" text;',  # quoted, with spaces
    ],
)
def test_long_identifier_found_past_the_prefilter(sql: str) -> None:
    codes = [f.code for f in lint_sql(sql, "postgres")]
    assert "MIG036" in codes


def test_short_identifiers_are_not_flagged() -> None:
    sql = f"ALTER TABLE t ADD COLUMN {'a' * 63} text; COMMENT ON TABLE t IS '{'x' * 100}';"
    assert "MIG036" not in [f.code for f in lint_sql(sql, "postgres")]


def test_default_calls_walk_nested_functions() -> None:
    sql = "ALTER TABLE t ADD COLUMN c text DEFAULT lower(my_fn(1));"
    messages = [f.message for f in lint_sql(sql, "postgres") if f.code == "MIG008"]
    assert messages and "my_fn()" in messages[0]
