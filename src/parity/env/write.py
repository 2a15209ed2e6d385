"""Safe writes: a backup set first, then temp file + fsync + atomic rename, keeping owner, group and mode.

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
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from parity.errors import FileRefused, ParityError, WriteRefused
from parity.faults import checkpoint
from parity.safefs import Repo, private_dir, private_dirs

PARITY_DIR = ".parity"
BACKUPS = "backups"


def fsync_dir(folder: Path) -> None:
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


def atomic_write_bytes(path: Path, data: bytes, *, private: bool = False, shared: bool = False) -> None:
    """Replace ``path`` with ``data`` so a reader (or a crash) sees the old file or the new one, never a mix.

    A link is written through to its target, so the link stays a link (callers holding a
    :class:`~parity.safefs.Repo` first refuse a link that leaves the repository). An existing file
    keeps its owner, group and mode: the new bytes go to a temporary file that is given them before
    it is renamed over the old one. A new file is created 0600.

    ``private`` (parity's own records and backups): always 0600, and a link in the way is replaced,
    never followed, so a planted link cannot redirect a backup.
    """
    path = Path(path) if private else Path(os.path.realpath(path))
    old: os.stat_result | None = None
    if not private:
        try:
            old = path.stat()
        except FileNotFoundError:
            old = None
    folder = path.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".parity-tmp", dir=folder)
    except OSError as exc:
        raise ParityError(f"cannot write: {exc.strerror}", file=path) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if old is not None:
                _keep_owner(fh.fileno(), old)
                os.fchmod(fh.fileno(), stat.S_IMODE(old.st_mode))
            elif shared:
                # A report is meant to be read by others (its secrets are masked): 0644 under the
                # usual umask, as a shell redirect would create it; a temporary file starts at 0600.
                umask = os.umask(0)
                os.umask(umask)
                os.fchmod(fh.fileno(), 0o666 & ~umask)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fsync_dir(folder)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ParityError(f"cannot write ({exc.strerror}); the file is unchanged", file=path) from exc


def _keep_owner(fd: int, old: os.stat_result) -> None:
    """Give the new file the old one's owner and group, as far as this user may (root: always; an
    owner: a group it belongs to). Done before the mode, since chown clears set-id bits."""
    st = os.fstat(fd)
    if (st.st_uid, st.st_gid) == (old.st_uid, old.st_gid):
        return
    try:
        os.fchown(fd, old.st_uid, old.st_gid)
    except PermissionError:
        with contextlib.suppress(PermissionError):
            os.fchown(fd, -1, old.st_gid)


def atomic_write_text(path: Path, text: str, *, private: bool = False, shared: bool = False) -> None:
    # newline="" semantics: the text already carries the file's own line endings.
    atomic_write_bytes(path, text.encode("utf-8"), private=private, shared=shared)


def ensure_parity_dir(root: Path) -> Path:
    """``root/.parity``, private (0700), created with a ``.gitignore`` that keeps everything in it
    out of git. A link in its place is refused: backups must not land where a repository points."""
    pdir = private_dir(root / PARITY_DIR)
    gi = pdir / ".gitignore"
    if not os.path.lexists(gi):
        atomic_write_text(gi, "# parity's backups may hold secrets: never commit them\n*\n", private=True)
    return pdir


def _backups_dir(root: Path) -> Path:
    return private_dir(ensure_parity_dir(root) / BACKUPS)


@dataclass(frozen=True, slots=True)
class BackupSet:
    path: Path
    files: tuple[str, ...]  # relative paths that existed and were copied
    created: tuple[str, ...]  # relative paths that did not exist before the run
    # relative path → (mode, uid, gid) of the original, put back by restore (backups are 0600)
    meta: dict[str, tuple[int, int, int]] = field(default_factory=dict, compare=False)


def _write_target(repo: Repo, path: Path) -> Path:
    try:
        return repo.write_target(path)
    except FileRefused as exc:
        raise WriteRefused(exc.message, file=path) from exc


def _manifest(
    label: str, stamp: str, files: list[str], created: list[str], meta: dict[str, list[int]]
) -> str:
    data = {
        "version": 1,
        "label": label,
        "created_at": stamp,
        "files": files,
        "created": created,
        "meta": meta,
    }
    return json.dumps(data, indent=2) + "\n"


def backup_files(root: Path, paths: list[Path], label: str = "env") -> BackupSet:
    """Copy every existing file in ``paths`` into a new backup set before anything is written.

    A path is backed up as what a write would change: the target of an in-repository link. A path
    or link leading outside the repository is refused before anything is copied. The set is private
    (0700 folders, 0600 files) whatever the originals' modes, which the manifest keeps for restore.
    A backup that cannot be completed (a full disk, a read-only folder) is removed again and
    reported as a :class:`ParityError`: no file has been touched at that point.
    """
    root = root.resolve()
    repo = Repo(root, sys.maxsize)  # the originals were read under the cap already
    targets = [_write_target(repo, p) for p in paths]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = root / PARITY_DIR / BACKUPS / stamp
    files: list[str] = []
    created: list[str] = []
    meta: dict[str, list[int]] = {}
    current = root / PARITY_DIR
    try:
        os.mkdir(_backups_dir(root) / stamp, 0o700)
        current = target
        os.chmod(target, 0o700)  # whatever the umask
        for p in targets:
            rel = p.relative_to(root).as_posix()
            if os.path.lexists(p):
                current = p
                st = p.stat()
                data = repo.read_bytes(p, fresh=True)
                private_dirs(target, Path(rel).parent)
                atomic_write_bytes(target / rel, data, private=True)
                files.append(rel)
                checkpoint()
                meta[rel] = [stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid]
            else:
                created.append(rel)
        current = target / "manifest.json"
        atomic_write_text(current, _manifest(label, stamp, files, created, meta), private=True)
    except (OSError, ParityError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        why = exc.strerror if isinstance(exc, OSError) else exc.message
        raise ParityError(f"cannot back up ({why}); nothing was written", file=current) from exc
    return BackupSet(target, tuple(files), tuple(created), {k: (v[0], v[1], v[2]) for k, v in meta.items()})


#: Labels of the backup sets ``env rollback`` restores; the same folder also holds database
#: backups and migrations-folder sets, which belong to other undos.
ENV_LABELS = frozenset({"env", "sync", "consolidate"})


def _is_env_set(folder: Path) -> bool:
    manifest = folder / "manifest.json"
    if manifest.is_symlink() or not manifest.is_file():
        return False
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "files" in data and data.get("label", "env") in ENV_LABELS


def list_backups(root: Path) -> list[Path]:
    """The env-file backup sets, oldest first (restored ones and other kinds of backup left out)."""
    folder = root.resolve() / PARITY_DIR / BACKUPS
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if not p.is_symlink() and not p.name.endswith(".restored") and _is_env_set(p)
    )


def read_backup(path: Path) -> BackupSet:
    """The manifest of the backup set at ``path``, read as untrusted (a repository can commit a
    ``.parity/`` folder): through safefs, and every path in it must stay inside the repository."""
    try:
        text = Repo.at(path).read_text(path / "manifest.json")
        data = json.loads(text)
        meta = {str(k): (int(v[0]), int(v[1]), int(v[2])) for k, v in dict(data.get("meta", {})).items()}
        return BackupSet(path, tuple(map(str, data["files"])), tuple(map(str, data.get("created", []))), meta)
    except (OSError, ValueError, KeyError, TypeError, IndexError, FileRefused) as exc:
        raise ParityError("backup manifest is unreadable", file=path / "manifest.json") from exc


def restore(root: Path, backup: BackupSet) -> list[str]:
    """Put every file of ``backup`` back byte for byte (with its recorded mode, owner and group)
    and remove files the run created. A backup outside ``.parity/backups``, or naming a path
    outside the repository, is refused before anything is written."""
    root = root.resolve()
    repo = Repo(root, sys.maxsize)
    home = Repo(Path(os.path.realpath(backup.path)), sys.maxsize)
    if not Repo(root / PARITY_DIR / BACKUPS).contains(home.root):
        raise WriteRefused("not a backup set of this repository", file=backup.path)
    writes = [(rel, _write_target(repo, root / rel), backup.path / rel) for rel in backup.files]
    removals = [(rel, _write_target(repo, root / rel)) for rel in backup.created]
    try:
        contents = [home.read_bytes(src, fresh=True) for _, _, src in writes]
    except (OSError, FileRefused) as exc:
        raise ParityError("backup set is incomplete; nothing was restored", file=backup.path) from exc
    restored: list[str] = []
    for (rel, target, src), data in zip(writes, contents, strict=True):
        existed = os.path.lexists(target)
        atomic_write_bytes(target, data)
        recorded = backup.meta.get(rel)
        if recorded is not None:
            mode, uid, gid = recorded
            with contextlib.suppress(PermissionError):
                os.chown(target, uid, gid)
            os.chmod(target, mode)
        elif not existed:  # a set written before modes were recorded: the copy kept the mode
            os.chmod(target, stat.S_IMODE(src.stat().st_mode))
        restored.append(rel)
    for rel, p in removals:
        if os.path.lexists(p):
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
    repo = Repo(root, sys.maxsize)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = _backups_dir(root) / stamp
    os.mkdir(target, 0o700)
    os.chmod(target, 0o700)  # whatever the umask
    files: list[str] = []
    created: list[str] = []
    meta: dict[str, list[int]] = {}
    for path, data in originals.items():
        real = _write_target(repo, path)
        rel = real.relative_to(root).as_posix()
        if data is None:
            created.append(rel)
            continue
        private_dirs(target, Path(rel).parent)
        atomic_write_bytes(target / rel, data, private=True)
        files.append(rel)
        with contextlib.suppress(OSError):
            st = real.stat()
            meta[rel] = [stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid]
    atomic_write_text(target / "manifest.json", _manifest(label, stamp, files, created, meta), private=True)
    return BackupSet(target, tuple(files), tuple(created), {k: (v[0], v[1], v[2]) for k, v in meta.items()})
