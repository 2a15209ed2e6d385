"""``migrations/parity.sum``: a cumulative hash over the migration files, like Atlas's ``atlas.sum``.

Format::

    h1:<base64 sha256 over every file's name and bytes, in migration order>
    V0001__init.up.sql h1:<base64 of the running hash after this file>
    …

Because each line holds the *running* hash, editing a file changes its line and every line
after it, reordering (renumbering) files changes the names fed in, and a deleted or added
file changes the sequence: all three are detected and reported with the first file that differs.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from parity.errors import MigrationError
from parity.safefs import DEFAULT_MAX_FILE_BYTES

SUM_FILE = "parity.sum"


@dataclass(frozen=True, slots=True)
class SumFile:
    total: str
    entries: tuple[tuple[str, str], ...]  # (file name, running hash)

    def render(self) -> str:
        return "".join([f"h1:{self.total}\n", *(f"{name} h1:{h}\n" for name, h in self.entries)])


def _files(folder: Path, max_file_bytes: int) -> list[Path]:
    from parity.migrate.dir import load

    out: list[Path] = []
    for m in load(folder, max_file_bytes):
        out.append(m.up_path)
        if m.down_path:
            out.append(m.down_path)
    return out


def compute(folder: Path, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> SumFile:
    from parity.migrate.dir import read_migration

    running = hashlib.sha256()
    entries = []
    for path in _files(folder, max_file_bytes):
        running.update(path.name.encode())
        running.update(read_migration(path, max_file_bytes))
        entries.append((path.name, base64.b64encode(running.copy().digest()).decode()))
    return SumFile(base64.b64encode(running.digest()).decode(), tuple(entries))


def parse(text: str, path: Path) -> SumFile:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines or not lines[0].startswith("h1:"):
        raise MigrationError("not a parity.sum file (first line must be h1:<hash>)", file=path, line=1)
    entries = []
    for i, line in enumerate(lines[1:], start=2):
        name, sep, h = line.rpartition(" h1:")
        if not sep:
            raise MigrationError("malformed line", file=path, line=i)
        entries.append((name, h))
    return SumFile(lines[0][3:], tuple(entries))


def write(folder: Path, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> SumFile:
    from parity.migrate.dir import atomic_write

    s = compute(folder, max_file_bytes)
    atomic_write(folder / SUM_FILE, s.render())
    return s


def verify(folder: Path, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> SumFile:
    """Raise :class:`MigrationError` naming the first file that was edited, added, removed or
    reordered since ``parity.sum`` was written. Returns the (matching) sum."""
    from parity.migrate.dir import read_sql

    sum_path = folder / SUM_FILE
    actual = compute(folder, max_file_bytes)
    if not sum_path.is_file() and not sum_path.is_symlink():
        if not actual.entries:
            return actual
        raise MigrationError(
            "migrations folder has no parity.sum",
            file=sum_path,
            hint="run `parity migrate hash` after reviewing the files",
        )
    recorded = parse(read_sql(sum_path, max_file_bytes), sum_path)
    if recorded == actual:
        return actual
    rec_names = [n for n, _ in recorded.entries]
    act_names = [n for n, _ in actual.entries]
    missing = [n for n in rec_names if n not in act_names]
    added = [n for n in act_names if n not in rec_names]

    def stem(n: str) -> str:
        return n.split("__", 1)[-1]

    if missing and sorted(map(stem, missing)) == sorted(map(stem, added)):
        name = added[0]
        what = f"is out of order (renumbered from {next(m for m in missing if stem(m) == stem(name))})"
    elif missing:
        what, name = "is missing", missing[0]
    elif added:
        what, name = "was added without updating parity.sum", added[0]
    elif rec_names != act_names:
        name = next(a for a, r in zip(act_names, rec_names, strict=True) if a != r)
        what = "is out of order (migrations were renumbered)"
    else:
        # Same files in the same order: the first whose running hash differs was edited.
        name = next(
            (a[0] for a, r in zip(actual.entries, recorded.entries, strict=True) if a != r), act_names[-1]
        )
        what = "was edited after parity.sum was written"
    raise MigrationError(
        f"checksum mismatch: migration {name} {what}",
        file=folder / name,
        hint="restore the file, or write a new migration instead of editing an old one",
    )
