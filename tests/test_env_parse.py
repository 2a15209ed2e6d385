"""dotenv syntax corner cases, lossless round-trips and value quoting."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parity.env.edit import CommentOutLine, SetKey, apply_edits, render_value
from parity.env.layers import resolve
from parity.env.parse import parse_text, read_env_file
from parity.errors import EnvFileError, WriteRefused

CASES = [
    # (name, text, expected {key: value})
    ("plain", "A=1\nB=two\n", {"A": "1", "B": "two"}),
    ("double quotes with escapes", 'A="line\\nnext \\"q\\""\n', {"A": 'line\nnext "q"'}),
    ("single quotes keep backslashes", "A='x\\ny $B'\n", {"A": "x\\ny $B"}),
    ("multiline double quoted", 'A="one\ntwo"\nB=3\n', {"A": "one\ntwo", "B": "3"}),
    ("export prefix", "export A=1\n", {"A": "1"}),
    ("comment after value", "A=1 # not part of it\n", {"A": "1"}),
    ("hash inside quotes", 'A="a # b"\n', {"A": "a # b"}),
    ("crlf", "A=1\r\nB=2\r\n", {"A": "1", "B": "2"}),
    ("bom", "\ufeffA=1\n", {"A": "1"}),
    ("no trailing newline", "A=1\nB=2", {"A": "1", "B": "2"}),
    ("empty value", "A=\n", {"A": ""}),
    ("spaces around", "  A =  spaced  \n", {"A": "spaced"}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_parse_corner_cases(name: str, text: str, expected: dict[str, str]) -> None:
    f = parse_text(text)
    assert {e.key: e.value for e in f.entries} == expected
    assert f.text() == text  # lossless
    assert f.malformed == ()


def test_malformed_line_is_reported_and_rest_is_read() -> None:
    f = parse_text("A=1\nthis is wrong\nB=2\n")
    assert [m.line for m in f.malformed] == [2]
    assert [e.key for e in f.entries] == ["A", "B"]


def test_key_without_equals_binds_nothing() -> None:
    env = resolve([(parse_text("A\nB=1\n"), "service")], "s", "e")
    assert env.as_dict() == {"B": "1"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A=x\nB=${A}-y\n", "x-y"),
        ("B=${MISSING:-fallback}\n", "fallback"),
        ("A=x\nB=${A:-fallback}\n", "x"),
        ("B=${MISSING}\n", ""),
        ("A=x\nB='${A}'\n", "x"),  # python-dotenv expands inside single quotes too
        ('A=x\nB="${A}z"\n', "xz"),
    ],
)
def test_interpolation_as_python_dotenv(text: str, expected: str) -> None:
    import io

    from dotenv import dotenv_values

    env = resolve([(parse_text(text), "service")], "s", "e")
    assert env.get("B") == expected
    assert dotenv_values(stream=io.StringIO(text))["B"] == expected  # the reference behaviour


def test_service_layer_interpolates_root_values() -> None:
    root = parse_text("HOST=db.internal\n", "root")
    svc = parse_text("DATABASE_URL=postgresql://app@${HOST}/shop\nHOST=override\n", "svc")
    env = resolve([(root, "root"), (svc, "service")], "api", "production")
    assert env.get("DATABASE_URL") == "postgresql://app@db.internal/shop"
    assert env.values["HOST"].layer == "service"


env_line = st.one_of(
    st.from_regex(r"\A[A-Z_][A-Z0-9_]{0,8}=[A-Za-z0-9_./:-]{0,12}\Z"),
    st.from_regex(r"\A# [ -~]{0,20}\Z"),
    st.just(""),
    st.from_regex(r"\Aexport [A-Z][A-Z0-9_]{0,5}=\"[ a-z#]{0,8}\"\Z"),
    st.from_regex(r"\A[A-Z][A-Z0-9_]{0,5}='[ -&(-~]{0,10}'( # c)?\Z"),
)


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(env_line, max_size=12),
    newline=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
    trailing=st.booleans(),
)
def test_roundtrip_parse_then_write_unchanged_is_identical(
    lines: list[str], newline: str, bom: bool, trailing: bool
) -> None:
    text = ("\ufeff" if bom else "") + newline.join(lines) + (newline if trailing and lines else "")
    f = parse_text(text)
    assert f.text() == text
    assert apply_edits(f, []) == text


@settings(max_examples=300, deadline=None)
@given(
    value=st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00")
        | st.sampled_from(["\n", "\\", '"', "'", "$", "#", " "]),
        max_size=30,
    )
)
def test_rendered_values_read_back_exactly(value: str) -> None:
    try:
        line = "K=" + render_value(value) + "\n"
    except WriteRefused:
        # Only what python-dotenv would expand, or a trailing backslash that needs quotes.
        assert ("${" in value and "}" in value) or value.endswith("\\")
        return
    assert parse_text(line).entries[0].value == value


def test_set_key_touches_only_its_line_and_keeps_crlf_and_export() -> None:
    text = "# top\r\nexport A=1\r\n\r\nB=2 # keep\r\n"
    f = parse_text(text)
    out = apply_edits(f, [SetKey("A", "new")])
    assert out == "# top\r\nexport A=new\r\n\r\nB=2 # keep\r\n"
    out = apply_edits(f, [SetKey("C", "3", comment="added")])
    assert out == text + "# added\r\nC=3\r\n"


def test_append_to_file_without_trailing_newline() -> None:
    f = parse_text("A=1")
    assert apply_edits(f, [SetKey("B", "2")]) == "A=1\nB=2\n"


def test_comment_out_keeps_text() -> None:
    f = parse_text("A=1\nnot valid\n")
    out = apply_edits(f, [CommentOutLine(2, "malformed")])
    assert out == "A=1\n# parity: malformed: not valid\n"
    assert parse_text(out).malformed == ()


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"A=1\x00\x01\x02", "binary"), (b"A=\xff\xfe bad\n", "UTF-8")],
)
def test_bad_files_raise_clear_errors(tmp_path: Path, content: bytes, message: str) -> None:
    p = tmp_path / ".env.production"
    p.write_bytes(content)
    with pytest.raises(EnvFileError, match=message) as info:
        read_env_file(p)
    assert info.value.file == str(p)
    assert p.read_bytes() == content


def test_directory_named_like_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env.production").mkdir()
    with pytest.raises(EnvFileError, match="directory"):
        read_env_file(tmp_path / ".env.production")
