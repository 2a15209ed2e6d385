"""Safe writes: a backup set first, then temp file + fsync + atomic rename, keeping the file's mode.

A backup set is ``.parity/backups/<timestamp>/`` holding each file at its path relative to the
project root plus ``manifest.json`` (which files existed, which the run created), so
``rollback`` can put every byte back and remove what the run added. ``.parity/`` carries its
own ``.gitignore`` so backups of secrets are never committed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from parity.errors import ParityError, WriteRefused
from parity.faults import checkpoint

PARITY_DIR = ".parity"
BACKUPS = "backups"


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so a reader (or a crash) sees the old file or the new one, never a mix."""
    path = Path(path)
    mode: int | None = None
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    folder = path.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".parity-tmp", dir=folder)
    except OSError as exc:
        raise ParityError(f"cannot write: {exc.strerror}", file=path) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
        _fsync_dir(folder)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ParityError(f"cannot write ({exc.strerror}); the file is unchanged", file=path) from exc


def atomic_write_text(path: Path, text: str) -> None:
    # newline="" semantics: the text already carries the file's own line endings.
    atomic_write_bytes(path, text.encode("utf-8"))


def ensure_parity_dir(root: Path) -> Path:
    """``root/.parity``, created with a ``.gitignore`` that keeps everything in it out of git."""
    pdir = root / PARITY_DIR
    pdir.mkdir(exist_ok=True)
    gi = pdir / ".gitignore"
    if not gi.exists():
        gi.write_text("# parity's backups may hold secrets: never commit them\n*\n", encoding="utf-8")
    return pdir


@dataclass(frozen=True, slots=True)
class BackupSet:
    path: Path
    files: tuple[str, ...]  # relative paths that existed and were copied
    created: tuple[str, ...]  # relative paths that did not exist before the run


def backup_files(root: Path, paths: list[Path], label: str = "env") -> BackupSet:
    """Copy every existing file in ``paths`` into a new backup set before anything is written.

    A backup that cannot be completed (a full disk, a read-only folder) is removed again and
    reported as a :class:`ParityError`: no file has been touched at that point.
    """
    root = root.resolve()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = root / PARITY_DIR / BACKUPS / stamp
    files: list[str] = []
    created: list[str] = []
    current = target
    try:
        ensure_parity_dir(root)
        target.mkdir(parents=True, exist_ok=False)
        for p in paths:
            p = p.resolve()
            rel = p.relative_to(root).as_posix()
            if p.exists():
                current = p
                dest = target / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(p, dest)
                files.append(rel)
                checkpoint()
            else:
                created.append(rel)
        manifest = {"version": 1, "label": label, "created_at": stamp, "files": files, "created": created}
        current = target / "manifest.json"
        atomic_write_text(current, json.dumps(manifest, indent=2) + "\n")
    except (OSError, ParityError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        why = exc.strerror if isinstance(exc, OSError) else exc.message
        raise ParityError(f"cannot back up ({why}); nothing was written", file=current) from exc
    return BackupSet(target, tuple(files), tuple(created))


#: Labels of the backup sets ``env rollback`` restores; the same folder also holds database
#: backups and migrations-folder sets, which belong to other undos.
ENV_LABELS = frozenset({"env", "sync", "consolidate"})


def _is_env_set(folder: Path) -> bool:
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "files" in data and data.get("label", "env") in ENV_LABELS


def list_backups(root: Path) -> list[Path]:
    """The env-file backup sets, oldest first (restored ones and other kinds of backup left out)."""
    folder = root.resolve() / PARITY_DIR / BACKUPS
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.endswith(".restored") and _is_env_set(p))


def read_backup(path: Path) -> BackupSet:
    try:
        data = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        return BackupSet(path, tuple(data["files"]), tuple(data.get("created", [])))
    except (OSError, ValueError, KeyError) as exc:
        raise ParityError("backup manifest is unreadable", file=path / "manifest.json") from exc


def restore(root: Path, backup: BackupSet) -> list[str]:
    """Put every file of ``backup`` back byte for byte and remove files the run created."""
    root = root.resolve()
    restored: list[str] = []
    for rel in backup.files:
        src = backup.path / rel
        atomic_write_bytes(root / rel, src.read_bytes())
        os.chmod(root / rel, stat.S_IMODE(src.stat().st_mode))
        restored.append(rel)
    for rel in backup.created:
        p = root / rel
        if p.exists():
            p.unlink()
            restored.append(rel)
            # Folders the run created for its files go too (a generated migrations/ folder).
            folder = p.parent
            while folder != root and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
    return restored


def latest_backup(root: Path) -> BackupSet:
    sets = list_backups(root)
    if not sets:
        raise WriteRefused("no backup to roll back to", file=root / PARITY_DIR / BACKUPS)
    return read_backup(sets[-1])


def record_backup(root: Path, originals: dict[Path, bytes | None], label: str) -> BackupSet:
    """A backup set from contents read *before* a write whose file names were not known in
    advance (generated migration files): ``None`` marks a file the run created."""
    root = root.resolve()
    pdir = ensure_parity_dir(root)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = pdir / BACKUPS / stamp
    target.mkdir(parents=True, exist_ok=False)
    files: list[str] = []
    created: list[str] = []
    for path, data in originals.items():
        rel = path.resolve().relative_to(root).as_posix()
        if data is None:
            created.append(rel)
            continue
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        files.append(rel)
    manifest = {"version": 1, "label": label, "created_at": stamp, "files": files, "created": created}
    atomic_write_text(target / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return BackupSet(target, tuple(files), tuple(created))
