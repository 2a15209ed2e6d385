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

SUM_FILE = "parity.sum"


@dataclass(frozen=True, slots=True)
class SumFile:
    total: str
    entries: tuple[tuple[str, str], ...]  # (file name, running hash)

    def render(self) -> str:
        return "".join([f"h1:{self.total}\n", *(f"{name} h1:{h}\n" for name, h in self.entries)])


def _files(folder: Path) -> list[Path]:
    from parity.migrate.dir import load

    out: list[Path] = []
    for m in load(folder):
        out.append(m.up_path)
        if m.down_path:
            out.append(m.down_path)
    return out


def compute(folder: Path) -> SumFile:
    running = hashlib.sha256()
    entries = []
    for path in _files(folder):
        running.update(path.name.encode())
        running.update(path.read_bytes())
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


def write(folder: Path) -> SumFile:
    from parity.migrate.dir import atomic_write

    s = compute(folder)
    atomic_write(folder / SUM_FILE, s.render())
    return s


def verify(folder: Path) -> SumFile:
    """Raise :class:`MigrationError` naming the first file that was edited, added, removed or
    reordered since ``parity.sum`` was written. Returns the (matching) sum."""
    sum_path = folder / SUM_FILE
    actual = compute(folder)
    if not sum_path.is_file():
        if not actual.entries:
            return actual
        raise MigrationError(
            "migrations folder has no parity.sum",
            file=sum_path,
            hint="run `parity migrate hash` after reviewing the files",
        )
    recorded = parse(sum_path.read_text(encoding="utf-8"), sum_path)
    if recorded == actual:
        return actual
    for i in range(max(len(recorded.entries), len(actual.entries))):
        rec = recorded.entries[i] if i < len(recorded.entries) else None
        act = actual.entries[i] if i < len(actual.entries) else None
        if rec == act:
            continue
        if rec is None and act is not None:
            what, name = "was added without updating parity.sum", act[0]
        elif act is None and rec is not None:
            what, name = "is missing", rec[0]
        elif rec is not None and act is not None and rec[0] != act[0]:
            recorded_names = {n for n, _ in recorded.entries}
            if act[0] in recorded_names:
                what, name = f"is out of order or '{rec[0]}' is missing", act[0]
            else:
                what, name = "was added or renamed", act[0]
        else:
            assert act is not None
            what, name = "was edited after parity.sum was written", act[0]
        raise MigrationError(
            f"checksum mismatch: migration {name} {what}",
            file=folder / name,
            hint="restore the file, or write a new migration instead of editing an old one",
        )
    raise MigrationError("checksum mismatch: parity.sum total differs", file=sum_path)
