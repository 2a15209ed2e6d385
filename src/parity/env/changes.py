"""A planned set of env-file changes, and the one function that writes it (after a backup)."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from parity.env.edit import Edit
from parity.env.parse import parse_text
from parity.env.secrets import mask_text
from parity.env.write import BackupSet, atomic_write_text, backup_files
from parity.errors import WriteRefused
from parity.faults import checkpoint


@dataclass(frozen=True, slots=True)
class FileChange:
    path: Path
    rel: str
    old_text: str | None  # None: the file is created
    new_text: str
    edits: tuple[Edit, ...]
    summary: tuple[str, ...]  # one masked line per edit, for people

    def unified_diff(self, secrets: list[str]) -> str:
        old = (self.old_text or "").replace("\ufeff", "")
        new = self.new_text.replace("\ufeff", "")
        diff = difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{self.rel}" if self.old_text is not None else "/dev/null",
            tofile=f"b/{self.rel}",
        )
        text = "".join(line if line.endswith("\n") else line + "\n" for line in diff)
        return mask_text(text.replace("\r", ""), secrets)


@dataclass(frozen=True, slots=True)
class EnvPlan:
    action: str  # "sync" | "consolidate"
    environment: str
    changes: tuple[FileChange, ...]
    refused: tuple[str, ...] = ()  # why a file or key was left alone
    notes: tuple[str, ...] = ()
    secret_values: tuple[str, ...] = field(default=(), repr=False)  # to mask in any rendering

    @property
    def empty(self) -> bool:
        return not self.changes


def apply_plan(
    root: Path, plan: EnvPlan, before_writes: Callable[[BackupSet], None] | None = None
) -> BackupSet | None:
    """Back up every file the plan touches, then write each atomically. Returns the backup set.

    ``before_writes`` hears of the complete backup before the first file changes (a run journal
    records it there, so an undo can always find the originals)."""
    if plan.empty:
        return None
    for ch in plan.changes:
        # A last guard: never write text that python-dotenv would parse differently than planned.
        if parse_text(ch.new_text, ch.path).malformed and not (
            ch.old_text and parse_text(ch.old_text).malformed
        ):
            raise WriteRefused("the planned text would not parse cleanly; nothing was written", file=ch.path)
        current = ch.path.read_bytes().decode("utf-8") if ch.path.exists() else None
        if current is not None and current.lstrip("\ufeff") != (ch.old_text or "").lstrip("\ufeff"):
            raise WriteRefused("changed since it was planned; plan again", file=ch.path)
    backup = backup_files(root, [ch.path for ch in plan.changes], label=plan.action)
    if before_writes is not None:
        before_writes(backup)
    for ch in plan.changes:
        ch.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(ch.path, ch.new_text)
        checkpoint()
    return backup
