"""Compose's own env-file format: what ``docker compose`` makes of a file in ``env_file:``.

Compose does not use python-dotenv. The default format is compose-go's ``dotenv`` parser
(https://github.com/compose-spec/compose-go, ``dotenv/parser.go``); ``format: raw`` is the
``docker run --env-file`` parser the docker CLI registers (``kvfile``). Where they differ
from python-dotenv (documented in docs/sources.md, "Compose env files"):

* ``KEY: value`` (YAML style) is a binding, not a malformed line.
* Single-quoted values are literal: no ``${VAR}``, no escapes but ``\\'``.
* Double-quoted values expand ``\\n \\t \\\\ \\" \\$`` and octal ``\\0NNN``, then variables.
* An unquoted value ends at the line end; `` #`` (a space, then ``#``) starts a comment,
  a ``#`` without the space does not (``A=b#c`` is ``b#c``).
* ``export KEY=value`` is ``KEY=value``; a bare ``KEY`` takes the value of the shell
  running compose (parity never reads the machine's env, so it sets nothing here).
* A line compose cannot parse (``FOO BAR=1``, ``KEY value``, an unterminated quote) is no
  skipped line: ``docker compose`` refuses to start. The errors are kept with compose's
  wording, and parsing resumes on the next line so the rest of the file is still linted.
* ``format: raw``: every non-comment line is ``KEY=value`` with the value taken literally
  (quotes, ``#`` and ``$`` included); a key with a space or tab, or an empty key, is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from parity.model.env import EnvEntry, EnvFile, MalformedLine

_EXPORT = re.compile(r"export[ \t\n\f\r\v]+")
# Go's unicode.IsSpace minus the line break: what compose-go skips around keys and values.
_SPACE = "\t\v\f\r \x85\xa0"
_ESCAPE = re.compile(r"\\(?:[abcfnrtv$\"\\]|0[0-9]{0,3})")
_ESCAPES = {"a": "\a", "b": "\b", "c": "\\c", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


@dataclass(frozen=True, slots=True)
class ComposeEnvEntry:
    key: str
    value: str | None  # None: a bare ``KEY``, which compose takes from its own shell
    line: int
    interpolate: bool  # unquoted or double-quoted in the default format: ``${VAR}`` expands
    text: str  # the source text of the binding


@dataclass(frozen=True, slots=True)
class ComposeEnvError:
    line: int
    message: str  # compose's own words, e.g. ``unexpected character " " in variable name``
    text: str


@dataclass(frozen=True, slots=True)
class ComposeEnvFile:
    path: Path
    entries: tuple[ComposeEnvEntry, ...]
    errors: tuple[ComposeEnvError, ...]
    raw: bool

    def as_env_file(self) -> EnvFile:
        """The parity model of the file, for the shared lint (values before interpolation)."""
        return EnvFile(
            self.path,
            tuple(EnvEntry(e.key, e.value, e.line, e.text) for e in self.entries),
            tuple(MalformedLine(e.line, e.text) for e in self.errors),
        )


def _expand_escapes(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        body = m.group(0)[1:]
        if body == "$":
            return "$$"  # compose-go: ``\$`` is a literal dollar, which interpolation writes as ``$$``
        if body[0] == "0":
            # ``\0NNN`` is Go's octal ``\NNN``: exactly three octal digits up to 377, else kept as written
            digits = body[1:]
            ok = len(digits) == 3 and all(c in "01234567" for c in digits) and int(digits, 8) < 256
            return chr(int(digits, 8)) if ok else m.group(0)
        return _ESCAPES.get(body, body)

    return _ESCAPE.sub(one, text)


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _line_text(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text[start : end if end != -1 else len(text)].rstrip("\r")


def _key_end(text: str, pos: int) -> tuple[int, str | None]:
    """Index of the ``=``/``:``/newline ending the key at ``pos`` (or len), and an error."""
    i = pos
    while i < len(text):
        ch = text[i]
        if ch in "=:\n":
            return i, None
        if ch in _SPACE or ch in "_.-[]" or ch.isalnum():
            i += 1
            continue
        first = text[pos:].split("\n", 1)[0]
        return i, f"unexpected character {ch!r} in variable name {first!r}".replace("'", '"')
    return i, None


def parse_compose_env(text: str, path: Path) -> ComposeEnvFile:
    """Parse ``text`` as compose-go's dotenv parser does (the default ``env_file`` format)."""
    text = text.removeprefix("\ufeff")
    entries: list[ComposeEnvEntry] = []
    errors: list[ComposeEnvError] = []
    pos, n = 0, len(text)

    def fail(at: int, message: str) -> int:
        errors.append(ComposeEnvError(_line_at(text, at), message, _line_text(text, at)))
        nl = text.find("\n", at)
        return n if nl == -1 else nl + 1

    while pos < n:
        while pos < n and text[pos].isspace():
            pos += 1
        if pos >= n:
            break
        if text[pos] == "#":
            nl = text.find("\n", pos)
            pos = n if nl == -1 else nl + 1
            continue
        start = pos
        m = _EXPORT.match(text, pos)
        if m:
            pos = m.end()
        end, problem = _key_end(text, pos)
        if problem:
            pos = fail(start, problem)
            continue
        key = text[pos:end].rstrip()
        if not key:
            pos = fail(start, "missing variable name")
            continue
        if any(c in _SPACE for c in key):
            pos = fail(start, "key cannot contain a space")
            continue
        if end >= n or text[end] == "\n":
            entries.append(ComposeEnvEntry(key, None, _line_at(text, start), False, text[start:end]))
            pos = end + 1
            continue
        pos = end + 1
        while pos < n and text[pos] in _SPACE:
            pos += 1
        quote = text[pos] if pos < n and text[pos] in "'\"" else None
        if quote is None:
            nl = text.find("\n", pos)
            stop = n if nl == -1 else nl
            value = text[pos:stop].split(" #", 1)[0].rstrip(_SPACE + "\n")
            entries.append(ComposeEnvEntry(key, value, _line_at(text, start), True, text[start:stop]))
            pos = stop + 1
            continue
        chars: list[str] = []
        escaped = False
        i = pos + 1
        while i < n:
            ch = text[i]
            if ch != quote:
                if not escaped and ch == "\\":
                    escaped = True
                elif escaped:
                    escaped = False
                    chars.extend(("\\", ch))
                else:
                    chars.append(ch)
                i += 1
                continue
            if escaped:  # ``\"`` in double quotes, ``\'`` in single: the quote itself
                escaped = False
                chars.append(ch)
                i += 1
                continue
            break
        if i >= n:
            first = text[pos:].split("\n", 1)[0]
            pos = fail(start, f"unterminated quoted value {first}")
            continue
        value = "".join(chars)
        if quote == '"':
            value = _expand_escapes(value)
        entries.append(ComposeEnvEntry(key, value, _line_at(text, start), quote == '"', text[start : i + 1]))
        pos = i + 1  # compose-go goes on right after the quote: a trailing `` # note`` is a comment
    return ComposeEnvFile(path, tuple(entries), tuple(errors), raw=False)


def parse_raw_env(text: str, path: Path) -> ComposeEnvFile:
    """``format: raw``: the ``docker run --env-file`` rules (docker CLI ``kvfile``)."""
    entries: list[ComposeEnvEntry] = []
    errors: list[ComposeEnvError] = []
    for number, line in enumerate(text.removeprefix("\ufeff").split("\n"), 1):
        line = line.removesuffix("\r")
        body = line.lstrip()
        if not body or body.startswith("#"):
            continue
        key, sep, value = body.partition("=")
        if sep and not key:
            errors.append(ComposeEnvError(number, f"no variable name on line '{body}'", line))
        elif " " in key or "\t" in key:
            errors.append(ComposeEnvError(number, f"variable '{key}' contains whitespaces", line))
        else:
            entries.append(ComposeEnvEntry(key, value if sep else None, number, False, line))
    return ComposeEnvFile(path, tuple(entries), tuple(errors), raw=True)
