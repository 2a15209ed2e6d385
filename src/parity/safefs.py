"""Repository files as untrusted input: every read of a file the repository holds goes through here.

A repository can hold anything git can store or a checkout can leave behind: a link to ``~/.pgpass``
or ``/dev/zero``, a FIFO, a 50 MB value. So a read resolves the path first and refuses, without
opening it, a path or link target outside the repository root and anything that is not a regular
file (devices, FIFOs, sockets). It then opens with ``O_NOFOLLOW | O_NONBLOCK``, so a link or FIFO
swapped in after the check can neither redirect nor hang it, and reads at most ``max_file_bytes``
(``[limits] max_file_bytes``, 4 MB by default). A write goes through a link that stays inside the
repository to its target (the link stays a link) and refuses one that leaves it.

Example::

    repo = Repo.at(project_root)
    text = repo.read_text(project_root / "services/web/.env.production")
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import functools
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from parity.errors import FileRefused

DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024
LIMIT_KEY = "[limits] max_file_bytes"

_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_FOLDER_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


_CacheKey = tuple[str, int, int, int, int]
# Within one run (:func:`one_read_per_file`), the contents of files read, by (path, inode, size,
# mtime, ctime): a change to any of them is a new key. Bounded, so a run over a huge repository
# cannot hold it all.
_RUN_CACHE: contextvars.ContextVar[dict[_CacheKey, bytes] | None] = contextvars.ContextVar(
    "parity_run_cache", default=None
)
_READ_CACHE_BYTES = 32 * 1024 * 1024


@contextlib.contextmanager
def one_read_per_file() -> Iterator[None]:
    """Inside the block, a repository file unchanged since it was read is not read again: one
    command's discovery, sources, env reports and secret scope look at the same few files."""
    token = _RUN_CACHE.set({})
    try:
        yield
    finally:
        _RUN_CACHE.reset(token)


def _remember(cache: dict[_CacheKey, bytes], key: _CacheKey, data: bytes) -> None:
    if len(data) > _READ_CACHE_BYTES // 8:
        return
    if sum(len(v) for v in cache.values()) + len(data) > _READ_CACHE_BYTES:
        cache.clear()
    cache[key] = data


def within(path: str, root: str) -> bool:
    """Whether the absolute, normalised ``path`` is ``root`` or below it (no file system access)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def kind_of(mode: int) -> str | None:
    """``"a FIFO"``, ``"a socket"``, … for what parity never opens; None for files and folders."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return None


@dataclass(frozen=True, slots=True)
class Repo:
    """The repository root and the per-file read cap; the one gate for reading repository files."""

    root: Path
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES

    @staticmethod
    def at(root: Path | str, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Repo:
        return Repo(Path(os.path.realpath(root)), max_file_bytes)

    # --- where a path leads ------------------------------------------------------------------------

    def contains(self, path: Path | str) -> bool:
        """Whether ``path`` is inside the repository once every link on the way is followed."""
        absolute = os.path.abspath(path)
        root = str(self.root)
        return within(absolute, root) and within(os.path.realpath(absolute), root)

    def resolve(self, path: Path | str, verb: str = "read") -> Path:
        """``path`` with every link followed; :class:`FileRefused` when it (or a link on the way)
        leaves the repository."""
        absolute = os.path.abspath(path)
        root = str(self.root)
        if not within(absolute, root):
            raise FileRefused(f"is outside the repository; not {verb}", file=path, reason="outside")
        real = os.path.realpath(absolute)
        if not within(real, root):
            raise FileRefused(
                f"links to {real}, outside the repository; not {verb}", file=path, reason="outside"
            )
        return Path(real)

    def check(self, path: Path | str) -> os.stat_result:
        """The ``stat`` of a readable repository file, refusing (without opening it) a link leaving
        the repository, a folder, a FIFO, a socket, a device or a file over the cap.
        A missing file raises :class:`FileNotFoundError` as ``open`` would."""
        real = self.resolve(path)
        st = os.lstat(real)
        self._refuse_kind(path, st)
        return st

    def is_file(self, path: Path | str) -> bool:
        """A regular file inside the repository and under the cap (what a walker may hand on)."""
        try:
            self.check(path)
        except (OSError, FileRefused):
            return False
        return True

    def _refuse_kind(self, path: Path | str, st: os.stat_result) -> None:
        if stat.S_ISDIR(st.st_mode):
            raise FileRefused("is a directory, not a file", file=path, reason="directory")
        kind = kind_of(st.st_mode)
        if not stat.S_ISREG(st.st_mode):
            what = f"{kind}, not a regular file" if kind else "not a regular file"
            raise FileRefused(f"is {what}; not read", file=path, reason="special")
        if st.st_size > self.max_file_bytes:
            raise self._too_large(path, st.st_size)

    def _too_large(self, path: Path | str, size: int) -> FileRefused:
        return FileRefused(
            f"is {size:,} bytes, over the {self.max_file_bytes:,}-byte limit ({LIMIT_KEY}); not read",
            file=path,
            reason="too-large",
        )

    # --- reading -----------------------------------------------------------------------------------

    def read_bytes(self, path: Path | str, *, fresh: bool = False) -> bytes:
        """The bytes of a repository file (see :meth:`check` for what is refused).

        Inside :func:`one_read_per_file`, a file unchanged since it was read (same inode, size,
        mtime and ctime) is not read again, unless ``fresh`` (a check for an edit made meanwhile).
        """
        real = self.resolve(path)
        st0 = os.lstat(real)
        self._refuse_kind(path, st0)
        cache = _RUN_CACHE.get()
        if cache is None or fresh:
            return self._read_fresh(path, real)
        key = (str(real), st0.st_ino, st0.st_size, st0.st_mtime_ns, st0.st_ctime_ns)
        cached = cache.get(key)
        if cached is not None and st0.st_size <= self.max_file_bytes and stat.S_ISREG(st0.st_mode):
            return cached
        data = self._read_fresh(path, real)
        _remember(cache, key, data)
        return data

    def _read_fresh(self, path: Path | str, real: Path) -> bytes:
        try:
            fd = os.open(real, _OPEN_FLAGS)
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # replaced by a link since it was resolved
                raise FileRefused("changed into a link while being read; not read", file=path) from exc
            raise
        try:
            # The file may have been swapped (a FIFO, a bigger file) between the check and the open.
            st = os.fstat(fd)
            self._refuse_kind(path, st)
            # One read of the size fstat gives (plus one byte, to notice growth), then what is left.
            chunks = [os.read(fd, st.st_size + 1)]
            size = len(chunks[0])
            while size <= self.max_file_bytes and (
                chunk := os.read(fd, min(1 << 20, self.max_file_bytes + 1 - size))
            ):
                chunks.append(chunk)
                size += len(chunk)
            if size > self.max_file_bytes:
                raise self._too_large(path, size)
        finally:
            os.close(fd)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def read_text(self, path: Path | str, *, errors: str = "strict") -> str:
        """UTF-8 text of a repository file; raises :class:`UnicodeDecodeError` on bad bytes."""
        return self.read_bytes(path).decode("utf-8", errors)

    # --- writing -----------------------------------------------------------------------------------

    def write_target(self, path: Path | str) -> Path:
        """Where a write of ``path`` must land: the file itself, or the target of a link that stays
        inside the repository (so the link stays a link). Refuses a path or link target outside
        the repository, and a target that exists but is not a regular file."""
        real = self.resolve(path, verb="written")
        try:
            st = os.lstat(real)
        except FileNotFoundError:
            return real
        if stat.S_ISDIR(st.st_mode):
            raise FileRefused("is a directory, not a file; not written", file=path, reason="directory")
        if not stat.S_ISREG(st.st_mode):
            kind = kind_of(st.st_mode) or "not a regular file"
            raise FileRefused(f"is {kind}; not written", file=path, reason="special")
        return real


@functools.lru_cache(maxsize=64)
def _real(root: str) -> str:
    return os.path.realpath(root)


@functools.lru_cache(maxsize=8192)
def _folder_real(root: str, rel_dir: str) -> str | None:
    """The real path of the folder ``rel_dir`` below the real ``root``, or None when it leads out.

    Built from the parent's (cached) real path and one ``lstat`` of the last part: a scan meets
    every folder of a tree, and ``realpath`` would ``lstat`` each part of each one again."""
    parent, _, name = rel_dir.rpartition("/")
    base = _folder_real(root, parent) if parent else root
    if base is None:
        return None
    path = f"{base}/{name}"
    try:
        st = os.lstat(path)
    except OSError:
        return path  # missing or unreadable: the open below fails and says why
    if stat.S_ISLNK(st.st_mode):
        path = os.path.realpath(path)
        return path if within(path, root) else None
    return path


def _folder_inside(root: str, rel_dir: str) -> bool:
    return _folder_real(root, rel_dir.strip("/")) is not None


def open_beneath(root: str, rel: str) -> tuple[int, os.stat_result]:
    """An open descriptor (``O_RDONLY | O_NONBLOCK``) and ``fstat`` of the regular file ``rel``
    below ``root``, for scanners that read thousands of files: the folder check is
    cached, and a link is resolved only when the file is one. Refuses (:class:`FileRefused`) a link
    whose target leaves ``root``, folders and special files, without opening them."""
    root = _real(root)
    rel_dir = rel.rpartition("/")[0]
    if rel.startswith("/") or ".." in rel.split("/") or (rel_dir and not _folder_inside(root, rel_dir)):
        raise FileRefused("is outside the repository; not read", file=rel, reason="outside")
    path = f"{root}/{rel}"
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        path = os.path.realpath(path)
        if not within(path, root):
            raise FileRefused(
                f"links to {path}, outside the repository; not read", file=rel, reason="outside"
            )
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):  # realpath stops at a loop
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), rel)
    if stat.S_ISDIR(st.st_mode):
        raise FileRefused("is a directory, not a file", file=rel, reason="directory")
    if not stat.S_ISREG(st.st_mode):
        raise FileRefused(
            f"is {kind_of(st.st_mode) or 'not a regular file'}; not read", file=rel, reason="special"
        )
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileRefused("changed into a link while being read; not read", file=rel) from exc
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise FileRefused("changed while being read; not read", file=rel, reason="special")
    return fd, st


def open_folder(path: str) -> int | None:
    """A descriptor of the folder ``path`` for :func:`open_at` (not followed if it is a link);
    None when it cannot be opened so: the caller opens its files by path."""
    try:
        return os.open(path, _FOLDER_FLAGS)
    except OSError:
        return None


def folder_beneath(root: str, rel_dir: str) -> int | None:
    """:func:`open_folder` of ``rel_dir`` below ``root`` when no part of it is a link out of the
    repository, else None (the files in it then go :func:`open_listed`'s way, which refuses them)."""
    real_root = _real(root)
    if not rel_dir:
        return open_folder(real_root)
    if rel_dir.startswith("/") or ".." in rel_dir.split("/"):
        return None
    real = _folder_real(real_root, rel_dir.strip("/"))
    return None if real is None else open_folder(real)


def open_at(dir_fd: int, name: str) -> tuple[int, os.stat_result] | None:
    """The regular file ``name`` that a listing of the folder ``dir_fd`` gave, opened relative to
    it: no path is resolved again, and no link is followed. None when ``name`` is a link or not a
    regular file: the caller takes the careful way (:func:`open_beneath`), which resolves or
    refuses it."""
    try:
        fd = os.open(name, _OPEN_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            return None
        raise
    st = os.fstat(fd)
    if stat.S_ISREG(st.st_mode):
        return fd, st
    os.close(fd)
    return None


def open_listed(root: str, rel: str) -> tuple[int, os.stat_result]:
    """:func:`open_beneath` for a path taken from a listing of the tree — a folder walk that saw
    the entry as a regular file or a link, or git's list, which holds nothing else — so it can be
    opened without an ``lstat`` first: one ``open`` and one ``fstat`` for a plain file. A link
    fails the ``O_NOFOLLOW`` open and, like anything that is not a regular file, goes the careful
    way through :func:`open_beneath`, which resolves and refuses it as usual."""
    real_root = _real(root)
    rel_dir = rel.rpartition("/")[0]
    if rel.startswith("/") or ".." in rel.split("/") or (rel_dir and not _folder_inside(real_root, rel_dir)):
        raise FileRefused("is outside the repository; not read", file=rel, reason="outside")
    try:
        fd = os.open(f"{real_root}/{rel}", _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            return open_beneath(root, rel)
        raise
    st = os.fstat(fd)
    if stat.S_ISREG(st.st_mode):
        return fd, st
    os.close(fd)
    return open_beneath(root, rel)


def private_dir(path: Path) -> Path:
    """``path`` as a folder only its owner can enter (0700), created if needed. A link, or anything
    but a folder, in its place is refused: backups must not land where a repository points them."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        what = "a link" if stat.S_ISLNK(st.st_mode) else "not a folder"
        raise FileRefused(f"is {what}; parity keeps its records only in a real folder", file=path)
    if stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def private_dirs(base: Path, rel: str | Path) -> Path:
    """Every folder of ``rel`` below ``base`` made with :func:`private_dir`; returns the last one."""
    current = base
    for part in Path(rel).parts:
        current = private_dir(current / part)
    return current
