"""Stop a real child process at a well-defined point, so a test can SIGKILL it exactly there.

The child runs the test's code after a small prelude that numbers the *points* it passes, in
order: either changes to the file system under a folder (seen through Python's audit events,
before each one happens), or SQL statements that change something, at parity's one statement
seam (``Runtime._cursor_execute``, before the statement is sent). Nothing is faked: the child does
exactly what it would do, and only waits.

- :func:`trace` runs the child to the end and returns every point it passed.
- :func:`kill_at` runs it again from the same starting state, waits until it reaches point ``n``
  (it then sleeps there, holding whatever it holds: open files, locks, a transaction), sends
  SIGKILL and returns that point.

A test traces once, picks its points from the trace, restores the starting state before each
kill, and asserts what must hold at each point. The same starting state gives the same sequence
of points, so every run of the test kills at the same places.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

_COMMON = r"""
import json as _kp_json, os as _kp_os, sys as _kp_sys, time as _kp_time
_kp_stop = int(_kp_os.environ["PARITY_KILLPOINT_STOP"])
_kp_fd = _kp_os.open(_kp_os.environ["PARITY_KILLPOINT_FILE"], _kp_os.O_WRONLY | _kp_os.O_APPEND)
_kp_count = 0

def _kp_point(kind, detail):
    # os.write raises no audit event, so the hook never sees its own writes.
    global _kp_count
    _kp_count += 1
    line = _kp_json.dumps({"n": _kp_count, "kind": kind, "detail": detail})
    _kp_os.write(_kp_fd, (line + "\n").encode())
    if _kp_count == _kp_stop:
        _kp_os.write(_kp_fd, b"STOPPED\n")
        while True:  # until the test's SIGKILL
            _kp_time.sleep(60)
"""

_FS = r"""
_kp_root = _kp_os.path.realpath(_kp_os.environ["PARITY_KILLPOINT_ROOT"])
_KP_WRITE = _kp_os.O_WRONLY | _kp_os.O_RDWR | _kp_os.O_CREAT | _kp_os.O_TRUNC | _kp_os.O_APPEND
_KP_EVENTS = {
    "os.rename", "os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.utime",
    "os.truncate", "os.link", "os.symlink", "shutil.copyfile", "shutil.copystat",
    "shutil.copymode", "shutil.rmtree", "shutil.move", "tempfile.mkstemp", "tempfile.mkdtemp",
}

def _kp_inside(path):
    if isinstance(path, int):
        return False
    try:
        full = _kp_os.path.realpath(_kp_os.fsdecode(_kp_os.fspath(path)))
    except (TypeError, ValueError):
        return False
    return full == _kp_root or full.startswith(_kp_root + _kp_os.sep)

def _kp_hook(event, args):
    if event == "open":
        if not (args[2] & _KP_WRITE) or not _kp_inside(args[0]):
            return
        paths = [args[0]]
    elif event in _KP_EVENTS:
        paths = [a for a in args[:2] if isinstance(a, (str, bytes, _kp_os.PathLike))]
        if not any(_kp_inside(p) for p in paths):
            return
    else:
        return
    rel = [_kp_os.path.relpath(_kp_os.path.realpath(_kp_os.fsdecode(_kp_os.fspath(p))), _kp_root) for p in paths]
    _kp_point(event, rel)

_kp_sys.addaudithook(_kp_hook)
"""

_SQL = r"""
from parity.migrate import runtime as _kp_runtime
import parity.dialects.mysql.safe, parity.dialects.postgres.safe, parity.dialects.sqlite.safe

# Statements that only read, or only set this connection up (SET, and the PRAGMAs parity issues:
# cache_size, secure_delete), are not points: the database is the same just before them as just
# before the next statement that changes something.
_KP_READ = ("SELECT", "SHOW", "WITH", "SET", "PRAGMA")

def _kp_wrap(cls):
    inner = cls.__dict__["_cursor_execute"]
    def _cursor_execute(self, sql, params):
        words = sql.split(None, 1)
        head = words[0].upper() if words else ""
        if head not in _KP_READ:
            _kp_point("sql", [self.dialect, " ".join(sql.split())])
        return inner(self, sql, params)
    cls._cursor_execute = _cursor_execute

def _kp_all(cls):
    for sub in cls.__subclasses__():
        if "_cursor_execute" in sub.__dict__:
            _kp_wrap(sub)
        _kp_all(sub)

_kp_all(_kp_runtime.Runtime)
"""

#: Child code that runs the ``parity`` CLI with the child's arguments, as ``python -m parity`` does.
CLI = "import runpy, sys\nsys.argv = ['parity', *sys.argv[1:]]\nrunpy.run_module('parity', run_name='__main__')\n"


@dataclass(frozen=True)
class Point:
    n: int
    kind: str  # an audit event name (``os.rename``, ``open`` …) or ``sql``
    detail: tuple[str, ...]  # paths relative to the watched folder, or (dialect, statement)


def _prelude(watch: Path | None, sql: bool) -> str:
    out = _COMMON
    if watch is not None:
        out += _FS
    if sql:
        out += _SQL
    return out


def _env(points_file: Path, stop: int, watch: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [env.get("PYTHONPATH")])])
    env["PARITY_KILLPOINT_FILE"] = str(points_file)
    env["PARITY_KILLPOINT_STOP"] = str(stop)
    env["NO_COLOR"] = "1"
    if watch is not None:
        env["PARITY_KILLPOINT_ROOT"] = str(watch)
    return env


def _read(points_file: Path) -> tuple[list[Point], bool]:
    points, stopped = [], False
    # The last piece has no newline yet while the child is still writing it.
    for line in points_file.read_text(encoding="utf-8").split("\n")[:-1]:
        if line == "STOPPED":
            stopped = True
        elif line:
            rec = json.loads(line)
            points.append(Point(rec["n"], rec["kind"], tuple(rec["detail"])))
    return points, stopped


def _points_file() -> Path:
    fd, name = tempfile.mkstemp(prefix="parity-killpoints-", suffix=".jsonl")
    os.close(fd)
    return Path(name)


def trace(
    code: str, args: Sequence[str], *, watch: Path | None = None, sql: bool = False, timeout: float = 120
) -> tuple[list[Point], subprocess.CompletedProcess[str]]:
    """Run ``code`` (with ``sys.argv[1:] == args``) to the end; every point it passed, and how it ended."""
    points_file = _points_file()
    try:
        done = subprocess.run(
            [sys.executable, "-c", _prelude(watch, sql) + code, *args],
            env=_env(points_file, 0, watch),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return _read(points_file)[0], done
    finally:
        points_file.unlink(missing_ok=True)


def kill_at(
    code: str,
    args: Sequence[str],
    n: int,
    *,
    watch: Path | None = None,
    sql: bool = False,
    timeout: float = 120,
) -> Point:
    """Run ``code`` until it is about to pass point ``n``, SIGKILL it there and return the point."""
    points_file = _points_file()
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-c", _prelude(watch, sql) + code, *args],
            env=_env(points_file, n, watch),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                points, stopped = _read(points_file)
                if stopped:
                    break
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    proc.wait()
                    stderr.seek(0)
                    err = stderr.read().decode(errors="replace")
                    raise AssertionError(f"the child never reached point {n} (passed {len(points)}): {err}")
                time.sleep(0.005)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
            assert proc.returncode == -signal.SIGKILL
            return points[-1]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            points_file.unlink(missing_ok=True)
