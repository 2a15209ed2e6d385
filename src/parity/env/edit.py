"""Line-level edits of an env file that touch only the lines that change.

Every edit works on the file's original chunks (from :mod:`parity.env.parse`), so comments,
blank lines, order, quoting, ``export`` prefixes, line endings and a BOM survive as they were.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parity.errors import WriteRefused
from parity.model.env import EnvFile

_SAFE_UNQUOTED = re.compile(r"^[A-Za-z0-9_./:@%+,=\-~^]*$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def render_value(value: str) -> str:
    """Quote ``value`` so python-dotenv reads back exactly ``value``."""
    if "${" in value:
        # python-dotenv expands ``${...}`` inside any quoting and has no escape for it.
        raise WriteRefused(
            "a value holding '${' cannot be written so that python-dotenv reads it back unchanged"
        )
    if _SAFE_UNQUOTED.fullmatch(value):
        return value
    if "'" not in value and "\n" not in value and "\\" not in value:
        # Single quotes: python-dotenv does not unescape inside them.
        return f"'{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


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


def _line_ending(chunk: str, default: str) -> str:
    for nl in ("\r\n", "\n", "\r"):
        if chunk.endswith(nl):
            return nl
    return default


def _comment_out(chunk: str, reason: str, newline: str) -> str:
    nl = _line_ending(chunk, newline)
    body = chunk[: len(chunk) - len(nl)] if chunk.endswith(nl) else chunk
    lines = body.replace("\r\n", "\n").split("\n")
    return "".join(f"# parity: {reason}: {ln}{nl}" if i == 0 else f"# {ln}{nl}" for i, ln in enumerate(lines))


def apply_edits(env_file: EnvFile, edits: list[Edit]) -> str:
    """The new text of ``env_file`` after ``edits`` (pure; the caller writes it)."""
    nl = env_file.newline
    chunks = list(env_file.chunks)
    # Map each binding's line number to its chunk index.
    line_of_chunk: list[int] = []
    line = 1
    for c in chunks:
        line_of_chunk.append(line)
        line += c.count("\n") if "\n" in c else c.count("\r")
    index_by_line = {ln: i for i, ln in enumerate(line_of_chunk)}
    appended: list[str] = []
    for edit in edits:
        if isinstance(edit, CommentOutLine):
            i = index_by_line[edit.line]
            chunks[i] = _comment_out(chunks[i], edit.reason, nl)
        elif isinstance(edit, RemoveKey):
            for e in env_file.entries:
                if e.key == edit.key:
                    chunks[index_by_line[e.line]] = ""
        elif isinstance(edit, SetKey):
            matches = [e for e in env_file.entries if e.key == edit.key]
            if matches:
                # Rewrite the first binding, comment out the rest: the result is unambiguous
                # whichever loader reads it (first-wins or last-wins).
                first = matches[0]
                i = index_by_line[first.line]
                prefix = "export " if first.exported else ""
                chunks[i] = f"{prefix}{edit.key}={render_value(edit.value)}{_line_ending(chunks[i], nl)}"
                for e in matches[1:]:
                    j = index_by_line[e.line]
                    chunks[j] = _comment_out(chunks[j], f"superseded by line {first.line}", nl)
            else:
                if edit.comment:
                    appended.append(f"# {edit.comment}{nl}")
                appended.append(f"{edit.key}={render_value(edit.value)}{nl}")
    text = "".join(chunks)
    if appended:
        if text and not text.endswith(("\n", "\r")):
            text += nl
        text += "".join(appended)
    return ("\ufeff" if env_file.bom else "") + text
