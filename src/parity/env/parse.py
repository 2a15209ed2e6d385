"""Lossless env-file reading on top of python-dotenv's parser.

python-dotenv's ``parse_stream`` yields every chunk of the file (comments and blank lines
included) with its original text, so joining those texts gives the file back byte for
byte; we keep them for the writer.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from pathlib import Path

from dotenv.parser import parse_stream

from parity.errors import EnvFileError
from parity.model.env import EnvEntry, EnvFile, MalformedLine
from parity.safefs import Repo

_EXPORT = re.compile(r"^\s*export\s+")


def _unrolled_quoted_values() -> None:
    """Match quoted values a run of plain characters at a time: same strings, same groups.

    python-dotenv matches a quoted value with ``"((?:\\.|[^"\\])*)"``: one alternation per
    character (about 0.1 µs each, a second for a 10 MB value). The two alternatives cannot both
    match at one place, so the "unrolled" form ``"([^"\\]*(?:\\.[^"\\]*)*)"`` accepts exactly
    the same text and captures the same group, in runs of plain characters. Swapped in only
    while the library still holds the pattern we know.
    """
    import dotenv.parser as dp

    for name, quote in (("_double_quoted_value", '"'), ("_single_quoted_value", "'")):
        current = getattr(dp, name, None)
        known = f"{quote}((?:\\\\.|[^{quote}\\\\])*){quote}"
        if isinstance(current, re.Pattern) and current.pattern == known:
            fast = f"{quote}([^{quote}\\\\]*(?:\\\\.[^{quote}\\\\]*)*){quote}"
            setattr(dp, name, re.compile(fast, current.flags))


_unrolled_quoted_values()


def parse_text(text: str, path: Path | str = "<string>") -> EnvFile:
    path = Path(path)
    bom = text.startswith("\ufeff")
    if bom:
        text = text[1:]
    newline = "\r\n" if "\r\n" in text else "\n"
    entries: list[EnvEntry] = []
    malformed: list[MalformedLine] = []
    chunks: list[str] = []
    for binding in parse_stream(io.StringIO(text)):
        raw = binding.original.string
        chunks.append(raw)
        if binding.error:
            malformed.append(MalformedLine(binding.original.line, raw.rstrip("\r\n")))
            continue
        if binding.key is None:
            continue
        entries.append(
            EnvEntry(
                key=binding.key,
                value=binding.value,
                line=binding.original.line,
                raw=raw,
                exported=bool(_EXPORT.match(raw)),
            )
        )
    return EnvFile(path, tuple(entries), tuple(malformed), tuple(chunks), bom, newline)


def read_env_file(path: Path, repo: Repo | None = None) -> EnvFile:
    """Read and parse ``path`` through ``repo`` (default: the file's own folder is the boundary a
    link may not leave). Unreadable, binary or non-file paths raise :class:`EnvFileError`; a link
    out of the repository, a FIFO, a device or a file over the cap raise :class:`FileRefused`."""
    if path.is_dir():
        raise EnvFileError("is a directory, not an env file", file=path)
    try:
        data = (repo or Repo.at(path.parent)).read_bytes(path)
    except OSError as exc:
        raise EnvFileError(f"cannot read: {exc.strerror or exc}", file=path) from exc
    # One run reads the same file from many places (and through a link under two names); parsing
    # a large file is the slow part, so the result is kept by content: an edit is a new key.
    key = hashlib.blake2b(data, digest_size=16).digest()
    cached = _PARSED.get(key)
    if cached is not None:
        return cached if cached.path == path else dataclasses.replace(cached, path=path)
    if b"\x00" in data:
        raise EnvFileError("looks binary (contains NUL bytes), not an env file", file=path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise EnvFileError("is not valid UTF-8", file=path, line=line) from exc
    parsed = parse_text(text, path)
    if len(_PARSED) >= _PARSED_LIMIT:
        _PARSED.clear()
    _PARSED[key] = parsed
    return parsed


_PARSED: dict[bytes, EnvFile] = {}
_PARSED_LIMIT = 256
