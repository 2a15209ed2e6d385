"""The repository's fingerprint key: 32 random bytes in ``.parity/fingerprint-salt``.

Created on first use, private (0600), ignored by git through ``.parity/.gitignore``, so
fingerprints are equal across runs in one checkout and mean nothing anywhere else. A key
file parity did not make itself is not trusted: git cannot check a file out as 0600, so a
salt committed by a hostile repository (to make fingerprints dictionary-checkable) is never
used. Where no key can be kept (a read-only checkout, ``.parity`` a symlink) the per-process
key serves, silently: fingerprints still match within the run.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from parity.env.secrets import process_key

SALT_FILE = "fingerprint-salt"
_KEY_BYTES = 32
_CACHE: dict[Path, bytes] = {}


def repository_key(root: Path) -> bytes:
    """The fingerprint key of the repository at ``root`` (see the module docstring)."""
    root = Path(root).resolve()
    if root not in _CACHE:
        try:
            key = _load(root)
        except (OSError, ValueError):
            key = None
        _CACHE[root] = key if key is not None else process_key()
    return _CACHE[root]


def _read(path: Path) -> bytes | None:
    """The key in ``path``; None when it is missing. Raises ValueError when it is untrustworthy."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_mode & 0o077:
            raise ValueError("not a private regular file")
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            raise ValueError("owned by another user")
        text = os.read(fd, 256).decode("ascii").strip()
    finally:
        os.close(fd)
    key = bytes.fromhex(text)
    if len(key) != _KEY_BYTES:
        raise ValueError("wrong length")
    return key


def _load(root: Path) -> bytes | None:
    from parity.env.write import PARITY_DIR, ensure_parity_dir

    pdir = root / PARITY_DIR
    if pdir.is_symlink() or (pdir.exists() and not pdir.is_dir()):
        return None  # never follow .parity out of the repository
    path = pdir / SALT_FILE
    key = _read(path) if pdir.is_dir() else None
    if key is not None:
        return key
    ensure_parity_dir(root)
    fd, tmp = tempfile.mkstemp(prefix=".salt.", dir=pdir)  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(os.urandom(_KEY_BYTES).hex() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):
            # link, not rename: when two runs race, the first key stays and both use it
            os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return _read(path)
