"""Line-level edits of an env file that touch only the lines that change.

Every edit works on the file's original chunks (from :mod:`parity.env.parse`), so comments,
blank lines, order, quoting, ``export`` prefixes, line endings and a BOM survive as they were.
Setting an existing key replaces only its value: the blank lines before it, its indentation,
``export``, the spacing around ``=``, its inline comment and its line ending stay.

Values are written so that every python-dotenv from 1.0 on reads them back exactly, or refused
with :class:`WriteRefused` naming the key. The parsers differ (see ``dotenv/parser.py`` of each
release): before 1.2.3 a quoted value's regex takes ``\\"`` (``\\'``) for an escaped quote even
when the backslash is itself escaped, so a quoted value may not end in a backslash; 1.2.4 reads
``KEY= #x`` as empty where earlier releases read ``#x``. Files are read in universal-newline
mode, so a raw carriage return inside quotes would come back as ``\\n``: it is written ``\\r``
inside double quotes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from dotenv.variables import Literal as DotenvLiteral
from dotenv.variables import parse_variables

from parity.env.parse import parse_text
from parity.errors import WriteRefused
from parity.model.env import EnvFile

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")

# python-dotenv counts a line at each of these (Position.advance), so chunk line numbers must too.
_NEWLINE = re.compile(r"\r\n|\n|\r")

# The pieces of one binding, in python-dotenv's grammar, matched one after the other as its
# reader does (so no piece can borrow text from the next).
_LEAD = re.compile(r"\s*")
_EXPORT = re.compile(r"export[^\S\r\n]+")
_KEY_TEXT = re.compile(r"'[^']+'|[^=#\s]+")
_SPACES = re.compile(r"[^\S\r\n]*")
_EQUALS = re.compile(r"=[^\S\r\n]*")
_SINGLE_QUOTED = re.compile(r"'(?:\\.|[^'\\])*'", re.DOTALL)
_DOUBLE_QUOTED = re.compile(r'"(?:\\.|[^"\\])*"', re.DOTALL)
_TO_END_OF_LINE = re.compile(r"[^\r\n]*")
_INLINE_COMMENT = re.compile(r"\s+#.*")

# Unquoted values new lines get: nothing any loader (python-dotenv, Compose, a shell) reads
# differently. Anything else is quoted.
_PLAIN = re.compile(r"[A-Za-z0-9_./:@%+,=\-~^]*")
_WHITESPACE_THEN_HASH = re.compile(r"\s#")

Style = Literal["bare", "single", "double"]


def valid_key(key: str) -> bool:
    return bool(_KEY.fullmatch(key))


@dataclass(frozen=True, slots=True)
class SetKey:
    """Set ``key`` to ``value``: rewrite the winning line in place, or append a new line."""

    key: str
    value: str
    comment: str | None = None  # written on its own line above an appended key


@dataclass(frozen=True, slots=True)
class RemoveKey:
    """Remove every binding of ``key`` (consolidation moves it to the root layer)."""

    key: str


@dataclass(frozen=True, slots=True)
class CommentOutLine:
    """Keep a line's text but make loaders ignore it (malformed lines, superseded duplicates)."""

    line: int
    reason: str


Edit = SetKey | RemoveKey | CommentOutLine


@dataclass(frozen=True, slots=True)
class _Binding:
    """One binding chunk cut around its value: ``head + value + tail`` is the chunk."""

    head: str  # blank lines, indentation, ``export``, the key, spaces, ``=`` and the spaces after it
    style: Style
    tail: str  # spaces, the inline comment, the line ending


def _skip(regex: re.Pattern[str], text: str, pos: int) -> int:
    m = regex.match(text, pos)
    return m.end() if m else pos


def _lex_binding(chunk: str) -> _Binding | None:
    """Cut ``chunk`` (one binding as python-dotenv chunks it) around its value; None if it is not one."""
    pos = _skip(_EXPORT, chunk, _skip(_LEAD, chunk, 0))
    key = _KEY_TEXT.match(chunk, pos)
    if not key:
        return None
    pos = _skip(_SPACES, chunk, key.end())
    equals = _EQUALS.match(chunk, pos)
    if not equals:
        # ``KEY`` alone: give it an ``=`` and keep what followed after the new value.
        return _Binding(chunk[: key.end()] + "=", "bare", chunk[key.end() :])
    pos = equals.end()
    head = chunk[:pos]
    nxt = chunk[pos : pos + 1]
    if nxt in ("'", '"'):
        quoted = (_SINGLE_QUOTED if nxt == "'" else _DOUBLE_QUOTED).match(chunk, pos)
        if not quoted:
            return None
        return _Binding(head, "single" if nxt == "'" else "double", chunk[quoted.end() :])
    if nxt == "#" and len(equals.group()) > 1:
        # python-dotenv ≥ 1.2.4: ``KEY= #x`` is an empty value and a comment; the spaces stay
        # with the comment so a new value can go right after ``=``.
        return _Binding(chunk[: equals.start() + 1], "bare", chunk[equals.start() + 1 :])
    part = chunk[pos : _skip(_TO_END_OF_LINE, chunk, pos)]
    value = _INLINE_COMMENT.sub("", part).rstrip()
    return _Binding(head, "bare", chunk[pos + len(value) :])


def _unwritable(text: str) -> str | None:
    if "\x00" in text:
        # The reader refuses files holding NUL, no python-dotenv escape yields one, and no
        # process environment can hold one (execve takes C strings).
        return "it contains a NUL character, which no env file or process environment can hold"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "it is not valid Unicode text (it holds an unpaired surrogate)"
    return None


def _refusal(value: str) -> str | None:
    reason = _unwritable(value)
    if reason is None and any(not isinstance(atom, DotenvLiteral) for atom in parse_variables(value)):
        # python-dotenv expands ``${...}`` inside any quoting and has no escape for it.
        reason = "python-dotenv would expand the '${...}' in it, and it has no escape for that"
    return reason


def _bare(value: str, head: str, tail: str) -> str | None:
    """``value`` unquoted, if every python-dotenv reads ``head + token + tail`` back as ``value``."""
    if not value:
        # ``KEY= #c``: python-dotenv < 1.2.4 reads ``#c`` as the value.
        return None if "#" in tail else ""
    if "\r" in value or "\n" in value or value[0] in "'\"" or value[0].isspace() or value[-1].isspace():
        return None
    if _WHITESPACE_THEN_HASH.search(value):
        return None  # the rest would be taken for an inline comment
    if value[0] == "#" and not head.endswith("="):
        return None  # ``KEY= #x`` is empty for python-dotenv ≥ 1.2.4, ``#x`` before
    # A comment right after a closing quote would join an unquoted value: set it apart.
    return value + " " if tail and not tail[0].isspace() else value


def _plain(value: str, head: str, tail: str) -> str | None:
    if not _PLAIN.fullmatch(value) or (tail and not tail[0].isspace()):
        return None
    return _bare(value, head, tail)


def _single(value: str, head: str, tail: str) -> str | None:
    # No backslash (the parsers disagree on escapes in single quotes) and no raw line break
    # (a CR would come back as LF through universal newlines).
    if any(c in value for c in "'\\\r\n"):
        return None
    return f"'{value}'"


def _double(value: str, head: str, tail: str) -> str | None:
    if value.endswith("\\"):
        return None  # python-dotenv < 1.2.3 would take the closing quote as escaped
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


_Encoder = Callable[[str, str, str], str | None]

# Tried in order; the line's own style first where it had one.
_ENCODERS: dict[Style, tuple[_Encoder, ...]] = {
    "bare": (_plain, _single, _double, _bare),
    "single": (_single, _double, _bare),
    "double": (_double, _bare),
}


def _encode(key: str, value: str, style: Style, head: str, tail: str) -> str:
    reason = _refusal(value)
    if reason is None:
        for encoder in _ENCODERS[style]:
            token = encoder(value, head, tail)
            if token is not None:
                return token
        reason = (
            "it ends in a backslash and needs quotes, and python-dotenv before 1.2.3 "
            "reads a backslash before the closing quote as escaping it"
        )
    raise WriteRefused(f"cannot write the value of {key}: {reason}", key=key)


def render_value(value: str, key: str = "value") -> str:
    """``value`` as written on a new line, so every python-dotenv ≥ 1.0 reads back exactly ``value``."""
    return _encode(key, value, "bare", "=", "\n")


def _render_key(key: str) -> str:
    """``key`` as written on a new line: bare where python-dotenv allows it, else single-quoted."""
    if key and _unwritable(key) is None and not _NEWLINE.search(key):
        if key[0] != "'" and _KEY_TEXT.fullmatch(key):
            return key
        if "'" not in key:
            return f"'{key}'"
    raise WriteRefused(f"cannot write the key {key!r}: python-dotenv would not read it back", key=key)


def _split_blank_lines(chunk: str) -> tuple[str, str]:
    """(the blank lines python-dotenv folds into the front of a chunk, the chunk's own lines)."""
    lead = chunk[: _skip(_LEAD, chunk, 0)]
    cut = max(lead.rfind("\n"), lead.rfind("\r")) + 1
    return chunk[:cut], chunk[cut:]


def _comment_out(chunk: str, reason: str, newline: str) -> str:
    blank, body = _split_blank_lines(chunk)
    if not body:
        return chunk
    parts = _NEWLINE.split(body)
    endings = [*_NEWLINE.findall(body), ""]
    if parts[-1] == "":  # the body ended with a line ending
        parts.pop()
        endings.pop()
    endings[-1] = endings[-1] or newline
    lines = [
        (f"# parity: {reason}: " if i == 0 else "# ") + text + end
        for i, (text, end) in enumerate(zip(parts, endings, strict=True))
    ]
    return blank + "".join(lines)


def _set_in_place(chunk: str, key: str, value: str) -> str:
    binding = _lex_binding(chunk)
    if binding is None:  # parse_stream made it a binding: cannot happen
        raise WriteRefused(f"cannot edit {key}: its line does not read as a binding", key=key)
    return binding.head + _encode(key, value, binding.style, binding.head, binding.tail) + binding.tail


def _chunk_lines(chunks: list[str]) -> dict[int, int]:
    """The line each chunk starts on (as python-dotenv numbers bindings) → the chunk's index."""
    index_by_line: dict[int, int] = {}
    line = 1
    for i, c in enumerate(chunks):
        index_by_line[line] = i
        line += len(_NEWLINE.findall(c))
    return index_by_line


def apply_edits(env_file: EnvFile, edits: list[Edit]) -> str:
    """The new text of ``env_file`` after ``edits`` (pure; the caller writes it).

    Raises :class:`WriteRefused` naming the key when a value cannot be written so that every
    python-dotenv reads it back exactly.
    """
    nl = env_file.newline
    original = list(env_file.chunks)
    chunks = list(original)
    index_by_line = _chunk_lines(original)
    appended: list[str] = []
    for edit in edits:
        if isinstance(edit, CommentOutLine):
            i = index_by_line[edit.line]
            chunks[i] = _comment_out(chunks[i], edit.reason, nl)
        elif isinstance(edit, RemoveKey):
            for e in env_file.entries:
                if e.key == edit.key:
                    i = index_by_line[e.line]
                    chunks[i] = _split_blank_lines(original[i])[0]
        elif isinstance(edit, SetKey):
            matches = [e for e in env_file.entries if e.key == edit.key]
            if matches:
                # Rewrite the first binding, comment out the rest: the result is unambiguous
                # whichever loader reads it (first-wins or last-wins).
                first = matches[0]
                i = index_by_line[first.line]
                chunks[i] = _set_in_place(original[i], edit.key, edit.value)
                for e in matches[1:]:
                    j = index_by_line[e.line]
                    chunks[j] = _comment_out(original[j], f"superseded by line {first.line}", nl)
            else:
                line = f"{_render_key(edit.key)}={render_value(edit.value, edit.key)}{nl}"
                if edit.comment:
                    appended.append("# " + _NEWLINE.sub(" ", edit.comment) + nl)
                appended.append(line)
    text = "".join(chunks)
    if appended:
        if text and not text.endswith(("\n", "\r")):
            text += nl
        text += "".join(appended)
    _check_read_back(text, edits)
    return ("\ufeff" if env_file.bom else "") + text


def _check_read_back(text: str, edits: list[Edit]) -> None:
    """Refuse, rather than write, a text in which a set key would not read back as set.

    The encoders above are built to make this impossible; this guards the installed parser.
    """
    wanted = {e.key: e.value for e in edits if isinstance(e, SetKey)}
    if not wanted:
        return
    got: dict[str, list[str | None]] = {}
    for entry in parse_text(text).entries:
        if entry.key in wanted:
            got.setdefault(entry.key, []).append(entry.value)
    for key, value in wanted.items():
        if got.get(key) != [value]:
            raise WriteRefused(f"cannot write the value of {key}: it would not read back unchanged", key=key)
