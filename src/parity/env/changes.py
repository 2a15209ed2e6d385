"""A planned set of env-file changes, and the one function that writes it (after a backup)."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from parity.env.clip import clip_lines
from parity.env.edit import Edit
from parity.env.parse import parse_text
from parity.env.secrets import mask_text
from parity.env.write import BackupSet, atomic_write_text, backup_files
from parity.errors import FileRefused, WriteRefused
from parity.faults import checkpoint
from parity.safefs import Repo


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
        # Masked first, then cut: a cut must never show the head of a secret.
        return clip_lines(mask_text(text.replace("\r", ""), secrets))


@dataclass(frozen=True, slots=True)
class EnvPlan:
    action: str  # "sync" | "consolidate"
    environment: str
    changes: tuple[FileChange, ...]
    refused: tuple[str, ...] = ()  # why a file or key was left alone
    notes: tuple[str, ...] = ()
    secret_values: tuple[str, ...] = field(default=(), repr=False)  # to mask in any rendering
    needs_value: tuple[tuple[str, str], ...] = ()  # (service, key) written empty for the user to fill
    flags_left_off: tuple[str, ...] = ()  # flags whose only known value keeps the feature off

    @property
    def empty(self) -> bool:
        return not self.changes


def apply_plan(
    root: Path,
    plan: EnvPlan,
    repo: Repo | None = None,
    before_writes: Callable[[BackupSet], None] | None = None,
) -> BackupSet | None:
    """Back up every file the plan touches, then write each atomically. Returns the backup set.

    A file that is a link inside the repository is written at its target (the link stays a link);
    a path or link leading outside the repository is refused before anything is written.
    ``before_writes`` hears of the complete backup before the first file changes (a run journal
    records it there, so an undo can always find the originals).
    """
    if plan.empty:
        return None
    repo = repo or Repo.at(root)
    targets: list[Path] = []
    for ch in plan.changes:
        # A last guard: never write text that python-dotenv would parse differently than planned.
        if parse_text(ch.new_text, ch.path).malformed and not (
            ch.old_text and parse_text(ch.old_text).malformed
        ):
            raise WriteRefused("the planned text would not parse cleanly; nothing was written", file=ch.path)
        try:
            target = repo.write_target(ch.path)
            # Fresh: an edit made since the plan was read must be seen, whatever was cached.
            current = repo.read_bytes(target, fresh=True).decode("utf-8") if os.path.lexists(target) else None
        except FileRefused as exc:
            raise WriteRefused(f"{exc.message}; nothing was written", file=ch.path) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise WriteRefused(
                "cannot be read again before writing; nothing was written", file=ch.path
            ) from exc
        if current is not None and current.lstrip("\ufeff") != (ch.old_text or "").lstrip("\ufeff"):
            raise WriteRefused("changed since it was planned; plan again", file=ch.path)
        targets.append(target)
    backup = backup_files(root, targets, label=plan.action)
    if before_writes is not None:
        before_writes(backup)
    for ch, target in zip(plan.changes, targets, strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, ch.new_text)
        checkpoint()
    return backup
