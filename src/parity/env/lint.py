"""Lint of one env file, whoever reads it: duplicate keys, malformed lines, placeholders.

Pure functions over the :class:`EnvFile` model. The callers word the finding (which loader
reads the file and what fixes it differ between parity's own ``.env.<env>`` files and a
compose ``env_file:``); the rules themselves live here once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from parity.env.clip import clip
from parity.env.secrets import display
from parity.model.env import EnvEntry, EnvFile
from parity.project import Project

_PLACEHOLDER = re.compile(
    r"^(?:change[-_ ]?(?:me|this|it)|todo|tbd|fixme|xxx+|placeholder|replace[-_ ]?me|<[^>]*>|\.\.\.|-{3,}"
    # What example files in the wild leave for the user to fill in: ``fixme-postgres-password``,
    # ``changeme123``, ``your-secret-key``, ``generate_a_new_key``, ``bucket_name_here``.
    r"|(?:change[-_ ]?me|fixme|todo|replace[-_ ]?(?:me|this|with))[-_ :].*|changeme\w*"
    r"|your[\w.@/ -]*|.*/your/.*|(?:\d{1,3}\.){3}[xX]+"  # yourUser, your-domain.example, /media/your/path, 10.0.0.X
    r"|generate[-_ ](?:a[-_ ])?(?:new[-_ ])?[\w-]+|[\w-]+[-_ ]here)$",
    re.IGNORECASE,
)


def is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER.match(value.strip().strip("\"'")))


# Word booleans only: 0/1 are as often counts and sizes.
_WORD_BOOLEANS = {"true", "false", "yes", "no", "on", "off"}
# Misspellings seen in real env files; a value this close to a boolean is meant as one.
_NEAR_BOOLEANS = {
    "ture",
    "treu",
    "tru",
    "flase",
    "fasle",
    "fals",
    "false1",
    "true1",
    "yse",
    "nope",
    "enabled?",
}


def is_boolean_typo(value: str, reference: str | None = None) -> bool:
    """``ture`` (a known misspelling), or any non-boolean where the reference says ``false``:
    the key is a switch and its value is none."""
    v = value.strip().strip("\"'").lower()
    if not v or "$" in v or v in _WORD_BOOLEANS or v in ("0", "1"):
        return False
    if v in _NEAR_BOOLEANS:
        return True
    ref = (reference or "").strip().strip("\"'").lower()
    return ref in _WORD_BOOLEANS


@dataclass(frozen=True, slots=True)
class Duplicate:
    """``key`` bound more than once in one file; ``same`` when every binding has one value."""

    key: str
    entries: tuple[EnvEntry, ...]
    same: bool

    @property
    def lines(self) -> str:
        return ", ".join(str(e.line) for e in self.entries)

    def shown(self, secrets: Sequence[str]) -> str:
        """``line 3: a, line 9: b`` with secret-looking values masked."""
        return ", ".join(f"line {e.line}: {clip(display(self.key, e.value, secrets))}" for e in self.entries)


def duplicates(f: EnvFile) -> Iterator[Duplicate]:
    for key, entries in f.duplicates().items():
        yield Duplicate(key, tuple(entries), len({e.value for e in entries}) == 1)


def placeholders(f: EnvFile) -> Iterator[EnvEntry]:
    """The binding that wins for each key (the last), when its value is still a placeholder."""
    last: dict[str, EnvEntry] = {}
    for e in f.entries:
        last[e.key] = e
    for e in last.values():
        if e.value is not None and is_placeholder(e.value):
            yield e


def linted_env_files(project: Project, environment: str) -> list[Path]:
    """The env files ``env diff`` lints for ``environment`` (the root's and each service's),
    so another reader of the same file (a compose ``env_file:``) does not lint it twice."""
    out: dict[Path, None] = {}
    for layer in (project.shared, *project.services):
        path = layer.env_files.get(environment)
        if path is not None:
            out.setdefault(path, None)
    return list(out)
