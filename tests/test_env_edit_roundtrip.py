"""The env writer edits a key in place, loses nothing, and writes values python-dotenv reads back.

Table cases pin each loss the writer once had (inline comment, blank lines, raw CR, NUL,
trailing backslash); the hypothesis test edits keys of generated env files and checks every
value with python-dotenv and every byte of the lines it did not edit.
``scripts/dotenv_roundtrip.py`` runs the same kind of check against each python-dotenv release.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from dotenv import dotenv_values
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from tests.helpers import copy_shop, run_cli, snapshot

from parity.env.consolidate import plan_consolidation
from parity.env.edit import RemoveKey, SetKey, apply_edits, render_value
from parity.env.layers import EnvFiles
from parity.env.parse import parse_text, read_env_file
from parity.errors import WriteRefused
from parity.workflow.envflow import load_project


def read_as_a_file(path: Path, text: str) -> dict[str, str | None]:
    """What an application's ``load_dotenv()`` sees: the file read in universal-newline mode."""
    path.write_bytes(text.encode("utf-8"))
    return dict(dotenv_values(path, interpolate=False))


def read_as_stream(text: str, *, universal: bool) -> dict[str, str | None]:
    return dict(dotenv_values(stream=io.StringIO(text, newline=None if universal else ""), interpolate=False))


def set_key(text: str, key: str, value: str) -> str:
    return apply_edits(parse_text(text), [SetKey(key, value)])


# --- in place: only the value changes -------------------------------------------------------

IN_PLACE = [
    # (name, text, key, new value, expected text)
    ("inline comment stays", "A=1 # note\nB=2\n", "A", "x", "A=x # note\nB=2\n"),
    ("blank lines before the key stay", "A=1\n\n\n# c\n\nB=2\n", "B", "x", "A=1\n\n\n# c\n\nB=x\n"),
    ("whitespace-only lines before the key stay", "A=1\n  \n\t\nB=2\n", "B", "x", "A=1\n  \n\t\nB=x\n"),
    ("indentation, export and spacing stay", "  export A = 1  # c\n", "A", "x", "  export A = x  # c\n"),
    ("single quotes stay", "A='old' # c\n", "A", "new value", "A='new value' # c\n"),
    ("double quotes stay", 'A="old"  # c\n', "A", "it's", 'A="it\'s"  # c\n'),
    ("comment right after the closing quote", "A='old'#c\n", "A", "x", "A='x'#c\n"),
    ("crlf and the comment stay", "A=1 # c\r\nB=2\r\n", "A", "x", "A=x # c\r\nB=2\r\n"),
    ("empty value before a comment", "A= # c\n", "A", "x", "A=x # c\n"),
    ("new empty value keeps the comment apart", "A=1 # c\n", "A", "", "A='' # c\n"),
    ("key without '='", "A\nB=2\n", "A", "x", "A=x\nB=2\n"),
    ("key without '=' and a comment", "A # c\n", "A", "x", "A=x # c\n"),
    ("multi-line value becomes one line", 'A="one\ntwo" # c\nB=2\n', "A", "x", 'A="x" # c\nB=2\n'),
    (
        "a comment after a quote is set apart from an unquoted value",
        "A='1'#c\n",
        "A",
        "end\\",
        "A=end\\ #c\n",
    ),
    ("last line without a line ending", "A=1\nB=2 # c", "B", "x", "A=1\nB=x # c"),
    ("bom stays", "\ufeffA=1 # c\n", "A", "x", "\ufeffA=x # c\n"),
    (
        "a duplicate is commented out after its blank lines",
        "A=1 # c\n\nB=2\n\n\nA=3\n",
        "A",
        "x",
        "A=x # c\n\nB=2\n\n\n# parity: superseded by line 1: A=3\n",
    ),
]


@pytest.mark.parametrize(("name", "text", "key", "value", "expected"), IN_PLACE, ids=[c[0] for c in IN_PLACE])
def test_set_key_changes_only_the_value(
    tmp_path: Path, name: str, text: str, key: str, value: str, expected: str
) -> None:
    out = set_key(text, key, value)
    assert out == expected
    assert read_as_a_file(tmp_path / ".env", out)[key] == value


def test_remove_key_keeps_the_blank_lines_around_it() -> None:
    text = "A=1\n\n\n# about B\nB=2\n\nC=3\n"
    out = apply_edits(parse_text(text), [RemoveKey("C")])
    assert out == "A=1\n\n\n# about B\nB=2\n\n"
    assert read_as_stream(out, universal=True) == {"A": "1", "B": "2"}


# --- values every python-dotenv reads back --------------------------------------------------

HOSTILE = [
    "x\ry",  # a raw CR would come back as LF through universal newlines
    "a\r\nb",
    "line\nnext",
    "trail\\",
    "a b\\",
    "\\",
    "\\\\",
    'q"uote',
    "q'uote",
    "both ' and \"",
    '\\"',
    "\\'",
    "#hash",
    "a #b",
    "a#b",
    " lead",
    "trail ",
    "\t",
    "ünïcødé ✓ 🎉",
    "$HOME and $",
    "${",
    "$ {A}",
    "a\x0bb\x0cc\x1fd",
    "\x85\u2028\u2029",
    "'quoted'",
    '"double"',
    "=eq",
    "\\n is not a newline",
    "",
]

# Lines the key starts on; each keeps its comment, and the lines around it stay readable.
ORIGINALS = [
    "A=1\n",
    "A=1 # c\n",
    "A='1' # c\n",
    'export A="1"\n',
    "A= # c\n",
    "  A = 1 # c\r\n",
    "A='1'#c\n",
]


@pytest.mark.parametrize("original", ORIGINALS)
@pytest.mark.parametrize("value", HOSTILE, ids=[repr(v) for v in HOSTILE])
def test_value_reads_back_and_the_next_edit_loses_nothing(tmp_path: Path, original: str, value: str) -> None:
    text = original + 'B="b" # keep\nC=3\n'
    out = set_key(text, "A", value)
    assert read_as_a_file(tmp_path / ".env", out) == {"A": value, "B": "b", "C": "3"}
    assert read_as_stream(out, universal=False) == {"A": value, "B": "b", "C": "3"}
    assert {e.key: e.value for e in read_env_file(tmp_path / ".env").entries} == {
        "A": value,
        "B": "b",
        "C": "3",
    }
    assert out.endswith('\nB="b" # keep\nC=3\n')
    # A second edit finds the line after it (a raw CR once shifted the line numbers).
    again = set_key(out, "B", "z")
    assert read_as_a_file(tmp_path / ".env", again) == {"A": value, "B": "z", "C": "3"}
    assert again.endswith('\nB="z" # keep\nC=3\n')


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # A quoted value ending in a backslash is misread by python-dotenv < 1.2.3 (the backslash
        # escapes the closing quote, and the value runs on to the next quote in the file).
        ("a b\\", "A=a b\\\n"),
        ("C:\\dir\\", "A=C:\\dir\\\n"),
        ("x\ry", 'A="x\\ry"\n'),
        ("a\r\nb", 'A="a\\r\\nb"\n'),
        ("plain-1.2/x", "A=plain-1.2/x\n"),
        ("with space", "A='with space'\n"),
        ("it's", 'A="it\'s"\n'),
        ("${", "A='${'\n"),
    ],
)
def test_new_line_encoding(tmp_path: Path, value: str, expected: str) -> None:
    out = set_key('B="b"\n', "A", value)
    assert out == 'B="b"\n' + expected
    assert read_as_a_file(tmp_path / ".env", out) == {"B": "b", "A": value}


@pytest.mark.parametrize(
    ("original", "value", "reason"),
    [
        ("A=1\n", "x\x00y", "NUL"),
        ("A=1\n", "${HOME}", "expand"),
        ("A=1\n", "pre-${X:-d}", "expand"),
        ("A=1 # c\n", "a #b\\", "backslash"),
        ("A=1\n", "line\nend\\", "backslash"),
        ("A=1\n", " lead\\", "backslash"),
        ("A=1\n", "\ud800", "surrogate"),
        ("", "x\x00", "NUL"),  # appended
    ],
)
def test_values_no_python_dotenv_reads_back_are_refused_naming_the_key(
    original: str, value: str, reason: str
) -> None:
    with pytest.raises(WriteRefused, match=reason) as err:
        set_key(original, "A", value)
    assert err.value.key == "A"
    message = str(err.value)
    assert "A" in message and "\n" not in message
    assert value not in message  # a value may be a secret


def test_render_value_for_new_lines_is_exact() -> None:
    for value in HOSTILE:
        assert parse_text("K=" + render_value(value) + "\n").entries[0].value == value


# --- through the CLI ------------------------------------------------------------------------


def shop_with_a_commented_key(tmp_path: Path) -> Path:
    shop = copy_shop(tmp_path)
    web = shop / "services/web/.env.production"
    web.write_text(
        web.read_text().replace("TIMEZONE=UTC\n", "\n\n# where the shop is\n  export TIMEZONE=UTC   # keep\n")
    )
    return shop


def test_cli_sync_edits_a_key_in_place(tmp_path: Path) -> None:
    shop = shop_with_a_commented_key(tmp_path)
    web = shop / "services/web/.env.production"
    before = web.read_text()
    result = run_cli("env", "sync", str(shop), "--apply", "--set", "web:TIMEZONE=Europe/Paris")
    assert result.returncode in (0, 1), result.stderr  # 1: the example's other gaps remain
    assert web.read_text() == before.replace(
        "\n\n# where the shop is\n  export TIMEZONE=UTC   # keep\n",
        "\n\n# where the shop is\n  export TIMEZONE=Europe/Paris   # keep\n",
    )
    assert before != web.read_text()


def test_cli_refuses_an_unwritable_value_in_one_line_and_writes_nothing(tmp_path: Path) -> None:
    shop = shop_with_a_commented_key(tmp_path)
    before = snapshot(shop)
    value = "Europe #x\\"
    result = run_cli("env", "sync", str(shop), "--apply", "--set", f"web:TIMEZONE={value}")
    assert result.returncode == 2
    lines = [ln for ln in (result.stdout + result.stderr).splitlines() if ln.strip()]
    assert len(lines) == 1 and "TIMEZONE" in lines[0] and "backslash" in lines[0], lines
    assert value not in result.stdout + result.stderr
    assert snapshot(shop) == before
    assert not list(shop.glob(".parity/backups/*"))  # nothing was backed up: nothing was written


def test_consolidation_keeps_a_key_whose_value_cannot_be_written_and_moves_the_rest(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    worker = shop / "services/worker/.env.production"
    worker.write_text(worker.read_text().replace("MAX_RETRIES=5\n", ""))  # no conflicting duplicate
    for service in ("api", "web", "worker"):
        f = shop / "services" / service / ".env.production"
        # python-dotenv ≥ 1.2.3 reads this as `prod #1\`, which needs quotes and ends in a backslash.
        f.write_text(
            f.read_text().replace("SENTRY_ENVIRONMENT=production\n", 'SENTRY_ENVIRONMENT="prod #1\\\\"\n')
        )
    project, env = load_project(shop, "production")
    cp = plan_consolidation(project, env, EnvFiles())
    assert "LOG_LEVEL" in cp.moved and "SENTRY_ENVIRONMENT" not in cp.moved
    why = dict(cp.kept)["SENTRY_ENVIRONMENT"]
    assert "backslash" in why and "prod #1" not in why


# --- generated files ------------------------------------------------------------------------


@dataclass(frozen=True)
class Binding:
    key: str
    before_value: str  # indentation, export, key, spaces and "="
    after_eq: str
    token: str
    after_value: str  # spaces and the inline comment


WORD = st.text(
    alphabet=st.sampled_from("abcXYZ019_./:@%+,=-~^\\$!*()[]{}é✓'\"#"), min_size=1, max_size=5
).filter(lambda w: w[0] not in "#'\"")
BARE = st.one_of(st.just(""), st.lists(WORD, min_size=1, max_size=3).map(" ".join))
SINGLE = st.text(alphabet=st.sampled_from('ab #"$\n\r\té=\\'), max_size=8).map(
    lambda s: "'" + s.replace("\\", "\\\\") + "'"
)
DOUBLE = st.lists(
    st.sampled_from(["a", " ", "#", "'", "\\\\", '\\"', "\\n", "\\t", "\n", "é", "$", "="]), max_size=6
).map(lambda parts: '"' + "".join(parts) + '"')
COMMENT = st.sampled_from(["", " # c", "  #note", "\t# x = 'y'", " "])


@st.composite
def bindings(draw: st.DrawFn, key: str) -> Binding:
    indent = draw(st.sampled_from(["", "  ", "\t"]))
    export = draw(st.sampled_from(["", "", "export ", "export\t"]))
    style = draw(st.sampled_from(["bare", "single", "double", "no equals"]))
    if style == "no equals":
        return Binding(key, indent + export + key, "", "", draw(st.sampled_from(["", " # c"])))
    before = indent + export + key + draw(st.sampled_from(["", " "])) + "="
    after_eq = draw(st.sampled_from(["", " "]))
    token = draw({"bare": BARE, "single": SINGLE, "double": DOUBLE}[style])
    comment = draw(COMMENT)
    if not token and comment.isspace():
        after_eq, comment = after_eq + comment, ""  # spaces after an empty value are spaces after "="
    if style != "bare" and comment == " # c":
        comment = draw(st.sampled_from([" # c", "#tight"]))
    return Binding(key, before, after_eq, token, comment)


# Hostile characters for new values, a NUL and an unpaired surrogate included.
HOSTILE_CHARS = "aZ0 \t\r\n\x00\\'\"#${}=é🎉\x0b\x85\u2028\ufeff\ud800"
NEW_VALUE = st.text(alphabet=st.sampled_from(list(HOSTILE_CHARS)), max_size=10)


@st.composite
def env_files(draw: st.DrawFn) -> tuple[str, list[Binding], str, bool]:
    keys = draw(st.lists(st.from_regex(r"\A[A-Z_][A-Z0-9_]{0,5}\Z"), min_size=1, max_size=6, unique=True))
    lines: list[str | Binding] = [draw(bindings(k)) for k in keys]
    others = draw(
        st.lists(st.sampled_from(["", "   ", "# a comment", "  # indented # comment", "#"]), max_size=6)
    )
    for other in others:
        lines.insert(draw(st.integers(0, len(lines))), other)
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    trailing = draw(st.booleans())
    bom = draw(st.booleans())
    text = "\ufeff" if bom else ""
    for i, ln in enumerate(lines):
        body = ln if isinstance(ln, str) else ln.before_value + ln.after_eq + ln.token + ln.after_value
        text += body + (newline if trailing or i < len(lines) - 1 else "")
    return text, [ln for ln in lines if isinstance(ln, Binding)], newline, bom


def refusable(value: str) -> bool:
    """The values the writer may refuse: nothing else may ever be refused."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return "\x00" in value or ("${" in value and "}" in value) or value.endswith("\\")


@settings(max_examples=250, deadline=None)
@given(data=st.data(), file=env_files())
def test_generated_files_keep_every_other_byte_and_value(
    data: st.DataObject, file: tuple[str, list[Binding], str, bool]
) -> None:
    text, lines, newline, bom = file
    old = parse_text(text)
    assume(not old.malformed)
    old_values = read_as_stream(text, universal=True)
    assert set(old_values) == {b.key for b in lines}

    picked = data.draw(st.lists(st.sampled_from(lines), min_size=1, unique_by=lambda b: b.key))
    edits: list[SetKey] = []
    for b in picked:
        edit = SetKey(b.key, data.draw(NEW_VALUE))
        try:
            apply_edits(old, [edit])
        except WriteRefused as err:
            assert err.key == b.key and refusable(edit.value), (edit, err)
            continue
        edits.append(edit)
    assume(edits)
    out = apply_edits(old, list(edits))
    wanted = {e.key: e.value for e in edits}

    assert out.startswith("\ufeff") == bom
    for universal in (True, False):
        assert read_as_stream(out, universal=universal) == {
            **read_as_stream(text, universal=universal),
            **wanted,
        }
    interpolated = dotenv_values(stream=io.StringIO(out, newline=None))
    assert {k: interpolated[k] for k in wanted} == wanted
    new = parse_text(out)
    assert not new.malformed
    assert {e.key: e.value for e in new.entries if e.key in wanted} == wanted

    # Chunk by chunk: untouched ones are byte-identical; an edited one keeps everything but its value.
    assert len(new.chunks) == len(old.chunks)
    edited = {b.key: b for b in lines if b.key in wanted}
    old_by_key = {e.raw: e.key for e in old.entries}
    for before, after in zip(old.chunks, new.chunks, strict=True):
        key = old_by_key.get(before)
        if key not in edited:
            assert after == before
            continue
        b = edited[key]
        ending = newline if before.endswith(newline) else ""
        own = b.before_value + b.after_eq + b.token + b.after_value + ending
        assert before.endswith(own)
        blank_lines = before[: len(before) - len(own)]
        assert after.startswith(blank_lines + b.before_value)
        assert after.endswith(b.after_value + ending)

    # Appending a new key after them changes no byte before it.
    new_key = data.draw(st.from_regex(r"\A[a-z][a-z0-9_]{0,4}\Z"))
    value = data.draw(NEW_VALUE)
    try:
        appended = apply_edits(new, [SetKey(new_key, value)])
    except WriteRefused as err:
        assert err.key == new_key and refusable(value)
        return
    body = out.removeprefix("\ufeff")
    if body and not body.endswith(("\n", "\r")):
        body += new.newline
    assert appended.startswith(("\ufeff" if bom else "") + body)
    assert read_as_stream(appended, universal=True) == {**read_as_stream(out, universal=True), new_key: value}
