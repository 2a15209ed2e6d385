"""The run journal: what a run is about to change, written down (and fsynced) before it changes it.

``.parity/runs/<id>.jsonl`` holds one JSON object per line, appended in order:

- ``begin`` — the environment, the command, pid and host;
- ``env-backup`` — a backup set of env files, recorded after the copies are complete and before
  the first of those files is written;
- ``folder-backup`` — the migrations folder as it was, before files are generated into it;
- ``database`` — the target database, whether the history table existed and which versions were
  applied, before the first migration runs;
- ``migrated`` — the versions a migration step committed, and its database backup;
- ``end`` — the final state (``applied``, ``unchanged``, ``failed-rolled-back``, ``rolled-back``)
  with the sha256 of every file the run left written, so a later ``rollback`` sees edits made since.

Because every entry comes before its step, whatever a killed run changed is named in its journal:
a journal without ``end`` is an interrupted run, and its undo works from the backups it names,
never from the half-edited files. A torn last line (a kill mid-append) is ignored: the step it
announced had not begun.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from parity.env.write import PARITY_DIR, ensure_parity_dir, fsync_dir
from parity.errors import ParityError, WriteRefused
from parity.faults import checkpoint
from parity.safefs import Repo, private_dir

RUNS = "runs"


@dataclass
class Journal:
    root: Path
    path: Path
    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.path.stem

    @property
    def environment(self) -> str:
        return str(self.entries[0].get("environment", "")) if self.entries else ""

    @property
    def command(self) -> str:
        return str(self.entries[0].get("command", "")) if self.entries else ""

    @property
    def finished(self) -> bool:
        return any(e["op"] == "end" for e in self.entries)

    @property
    def state(self) -> str:
        ends = [e for e in self.entries if e["op"] == "end"]
        return str(ends[-1]["state"]) if ends else "interrupted"

    def of(self, op: str) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["op"] == op]

    @property
    def changed_anything(self) -> bool:
        # The app's own tool (Alembic, Django) writes the database as much as parity's files do.
        return any(
            e["op"] in ("env-backup", "folder-backup", "database", "alembic", "django", "tool-cli")
            for e in self.entries
        )

    @staticmethod
    def begin(root: Path, environment: str, command: str) -> Journal:
        try:
            folder = private_dir(ensure_parity_dir(root) / RUNS)
        except (OSError, ParityError) as exc:
            raise WriteRefused(
                f"cannot write the run journal ({getattr(exc, 'strerror', None) or exc}); nothing was written",
                file=root,
            ) from exc
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        journal = Journal(root, folder / f"{stamp}.jsonl")
        journal.record(
            "begin",
            environment=environment,
            command=command,
            pid=os.getpid(),
            host=socket.gethostname(),
            started=stamp,
        )
        fsync_dir(folder)
        return journal

    def record(self, op: str, **fields: Any) -> None:
        """Append one entry and make it durable before the step it announces begins."""
        entry = {"op": op, **fields}
        line = json.dumps(entry, sort_keys=True) + "\n"
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                if os.write(fd, line.encode("utf-8")) != len(line.encode("utf-8")):
                    raise OSError(28, "No space left on device")
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            # The step this entry announces must not begin: nothing may change unrecorded.
            raise WriteRefused(
                f"cannot write the run journal ({exc.strerror or exc})", file=self.path
            ) from exc
        self.entries.append(entry)
        checkpoint()

    def end(self, state: str, files: list[Path] | None = None) -> None:
        hashes = {self._rel(p): file_hash(p) for p in files or ()}
        self.record("end", state=state, files=hashes)

    def _rel(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def written_files(self) -> dict[str, str | None]:
        """Each file the run left written, with its hash then (None: the run removed it)."""
        ends = self.of("end")
        return dict(ends[-1].get("files", {})) if ends else {}


def file_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def load(root: Path, path: Path) -> Journal | None:
    """The journal at ``path``; a line that does not parse (a torn last append) ends it.

    A committed ``.parity/`` is repository content too: a link out of it or a FIFO is no journal."""
    try:
        raw = Repo.at(root).read_bytes(path, fresh=True).decode("utf-8", "replace")
    except (OSError, ParityError):
        return None
    entries: list[dict[str, Any]] = []
    for text in raw.splitlines():
        try:
            entry = json.loads(text)
        except ValueError:
            break
        if isinstance(entry, dict) and "op" in entry:
            entries.append(entry)
    if not entries or entries[0]["op"] != "begin":
        return None
    return Journal(root, path, entries)


def journals(root: Path, environment: str | None = None) -> list[Journal]:
    folder = root / PARITY_DIR / RUNS
    if not folder.is_dir():
        return []
    found = [j for p in sorted(folder.glob("*.jsonl")) if (j := load(root, p)) is not None]
    return [j for j in found if environment is None or j.environment == environment]


def interrupted(root: Path, environment: str) -> Journal | None:
    """The newest run of ``environment`` that never finished and changed something (call it
    holding the environment's lock: then no such run is still alive)."""
    for journal in reversed(journals(root, environment)):
        if journal.finished:
            continue
        if journal.changed_anything:
            return journal
    return None


def latest_applied(root: Path, environment: str) -> Journal | None:
    """The newest run of ``environment`` whose changes stand (a rollback appends its own ``end``
    to the run it undid, so an undone run is not undone twice)."""
    for journal in reversed(journals(root, environment)):
        if journal.state == "applied":
            return journal
    return None
