"""Compose interpolation, form by form, with the Compose specification's documented examples.

Expected values follow https://docs.docker.com/reference/compose-file/interpolation/.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parity.sources.interpolate import InterpolationError, interpolate

ENV = {"SET": "value", "EMPTY": "", "FOO": "foo", "NUM": "42"}

CASES = [
    # name, text, expected
    ("plain", "no variables", "no variables"),
    ("unbraced", "$SET", "value"),
    ("unbraced in text", "a-$SET-b", "a-value-b"),
    ("unbraced name ends at non-name char", "$SET.txt", "value.txt"),
    ("braced", "${SET}", "value"),
    ("braced touching text", "x${SET}y", "xvaluey"),
    ("unset braced is empty", "${UNSET}", ""),
    ("unset unbraced is empty", "[$UNSET]", "[]"),
    (":- set", "${SET:-d}", "value"),
    (":- empty", "${EMPTY:-d}", "d"),
    (":- unset", "${UNSET:-d}", "d"),
    ("- set", "${SET-d}", "value"),
    ("- empty keeps empty", "${EMPTY-d}", ""),
    ("- unset", "${UNSET-d}", "d"),
    (":+ set", "${SET:+alt}", "alt"),
    (":+ empty", "${EMPTY:+alt}", ""),
    (":+ unset", "${UNSET:+alt}", ""),
    ("+ set", "${SET+alt}", "alt"),
    ("+ empty counts as set", "${EMPTY+alt}", "alt"),
    ("+ unset", "${UNSET+alt}", ""),
    (":? set", "${SET:?must be set}", "value"),
    ("? empty is fine", "${EMPTY?must be set}", ""),
    ("default with spaces and colons", "${UNSET:-a b:c}", "a b:c"),
    ("empty default", "${UNSET:-}", ""),
    # The specification's nested examples.
    ("nested default", "${VARIABLE:-${FOO}}", "foo"),
    ("nested default, outer set", "${SET:-${FOO}}", "value"),
    ("nested double default", "${VARIABLE:-${FOO:-default}}", "foo"),
    ("nested double default, all unset", "${VARIABLE:-${NOPE:-default}}", "default"),
    ("nested in alternative", "${SET:+[${NUM}]}", "[42]"),
    ("nested required operand, set", "${SET?$FOO}", "value"),
    # $$ is a literal dollar and stops interpolation.
    ("escaped", "$$VAR_NOT_INTERPOLATED_BY_COMPOSE", "$VAR_NOT_INTERPOLATED_BY_COMPOSE"),
    ("escaped braces", "$${SET}", "${SET}"),
    ("escaped then variable", "$$$SET", "$value"),
    ("price", "cost: $$5", "cost: $5"),
    # A $ that starts no variable is kept as written.
    ("dollar digit", "$5", "$5"),
    ("dollar at end", "100$", "100$"),
    ("dollar space", "a $ b", "a $ b"),
    ("two variables", "${SET}/${NUM}", "value/42"),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_interpolation_forms(name: str, text: str, expected: str) -> None:
    assert interpolate(text, ENV).value == expected


@pytest.mark.parametrize(
    ("text", "variable", "message"),
    [
        ("${UNSET:?database url is required}", "UNSET", "database url is required"),
        ("${EMPTY:?no empty please}", "EMPTY", "no empty please"),
        ("${UNSET?needs $FOO}", "UNSET", "needs foo"),  # the message is interpolated too
        ("${UNSET:?}", "UNSET", "missing a value"),
    ],
)
def test_required_variable_errors(text: str, variable: str, message: str) -> None:
    with pytest.raises(InterpolationError) as info:
        interpolate(text, ENV)
    assert info.value.required
    assert info.value.variable == variable
    assert message in info.value.message


@pytest.mark.parametrize("text", ["${SET/foo/bar}", "${}", "${1ABC}", "${SET", "${SET:=x}", "${SET^^}"])
def test_unsupported_forms_are_errors(text: str) -> None:
    with pytest.raises(InterpolationError) as info:
        interpolate(text, ENV)
    assert not info.value.required
    assert "invalid interpolation format" in info.value.message


def test_unset_variables_are_reported_for_the_warning() -> None:
    res = interpolate("${A}-$B-${C:-x}-${SET}", ENV)
    assert res.value == "--x-value"
    assert res.unset == ["A", "B"]  # a default silences the warning, as in Compose
    assert res.used == ["A", "B", "C", "SET"]


def test_lazy_operands_are_not_evaluated() -> None:
    # The default is not needed, so its required-variable error never fires.
    assert interpolate("${SET:-${UNSET:?boom}}", ENV).value == "value"


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        ("${LOG_LEVEL:-info}", "LOG_LEVEL"),
        ("$PORT", "PORT"),
        ("x${A}", None),
        ("${A}${B}", None),
        ("plain", None),
    ],
)
def test_whole_value_variable(text: str, whole: str | None) -> None:
    assert interpolate(text, {}).whole == whole


@given(st.text(alphabet=st.characters(blacklist_characters="$"), max_size=40))
def test_text_without_dollar_is_unchanged(text: str) -> None:
    assert interpolate(text, ENV).value == text


@given(st.text(max_size=40))
def test_escaping_every_dollar_gives_the_text_back(text: str) -> None:
    assert interpolate(text.replace("$", "$$"), ENV).value == text
