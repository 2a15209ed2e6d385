"""One lock per project and environment around every run that writes (``apply``, ``rollback``,
``env sync --apply``, ``env consolidate --apply``, ``env rollback``).

The lock is ``flock`` on ``.parity/locks/<environment>.lock``: the kernel releases it when its
holder dies, however it dies, so a stale lock file never blocks anyone — it only tells who held
it last. The file holds the holder's pid, host, command and start time, for the one-line refusal
a second run gets.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from parity.env.write import ensure_parity_dir
from parity.errors import WriteRefused

LOCKS = "locks"


def _path(root: Path, environment: str) -> Path:
    folder = ensure_parity_dir(root) / LOCKS
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder / f"{environment}.lock"


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096).decode("utf-8") or "{}")
    except (OSError, ValueError):
        return "another parity run"
    return (
        f"parity {data.get('command', 'run')} (pid {data.get('pid', '?')} on {data.get('host', '?')}, "
        f"since {data.get('since', '?')})"
    )


@contextlib.contextmanager
def run_lock(root: Path, environment: str, command: str) -> Iterator[None]:
    """Hold the environment's lock for the block, or refuse at once naming who holds it."""
    try:
        path = _path(root, environment)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise WriteRefused(
            f"cannot take the run lock ({exc.strerror or exc}); nothing was written", file=root / ".parity"
        ) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WriteRefused(
                f"{_holder(fd)} is changing {environment}; nothing was changed",
                file=path,
                hint="wait for it to finish",
            ) from None
        info = {
            "command": command,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, json.dumps(info).encode("utf-8"))
        except OSError:
            pass  # who holds it is only for messages; the flock itself is the lock
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def is_free(root: Path, environment: str) -> bool:
    """Whether no run holds the environment's lock right now (without taking it for long)."""
    path = root / ".parity" / LOCKS / f"{environment}.lock"
    if not path.exists():
        return True
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)
