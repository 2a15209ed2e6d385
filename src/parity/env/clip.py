"""Long values cut for people: a table cell, a diff line or a finding message stays short.

A repository may hold a 50 MB value; rendered whole it floods the terminal and makes table layout
slow (Rich folds a cell into lines and measures each). Cut to its head, its length and its
fingerprint it renders in constant time and two copies can still be compared by eye.

Example::

    clip("x" * 52_428_800)   # 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… (52,428,800 chars, hmac:…)'
"""

from __future__ import annotations

from parity.env.secrets import fingerprint

CLIP_AT = 200  # characters; longer values are cut
HEAD = 40  # characters kept at the front


def clip(text: str, limit: int = CLIP_AT) -> str:
    """``text`` itself when at most ``limit`` characters, else its head, length and fingerprint.

    Apply it to what is already masked (:func:`parity.env.secrets.display`): the head of a secret
    must never be shown, and a masked value is short anyway.
    """
    if len(text) <= limit:
        return text
    return f"{text[:HEAD]}… ({len(text):,} chars, {fingerprint(text)})"


def clip_lines(text: str, limit: int = CLIP_AT) -> str:
    """Every line of ``text`` (a diff, command output) cut with :func:`clip`; short lines unchanged."""
    if len(text) <= limit:
        return text
    return "".join(_clip_line(line, limit) for line in text.splitlines(keepends=True))


def _clip_line(line: str, limit: int) -> str:
    if len(line) <= limit:
        return line
    body = line.rstrip("\r\n")
    return clip(body, limit) + line[len(body) :]
