"""The app's migration tool in a child process that stops the moment parity is interrupted.

``subprocess.run`` gives a child 0.25 s to finish when the parent sees a ``KeyboardInterrupt``
(parity's SIGTERM ``Interrupted`` is one): right for a Ctrl-C the child heard too, wrong here,
where the child heard nothing and goes on migrating — a real app's PostgreSQL upgrade committed
its next revision in that window. So the child is killed at once, and the undo starts from what
it had committed when the signal came.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from parity.errors import MigrationError, redact_url

#: A job may migrate a large table: an hour before the child is taken for hung.
CHILD_TIMEOUT = 3600.0


def run_child(
    cmd: list[str], payload: str, *, cwd: Path, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """``cmd`` fed ``payload`` on stdin, its output captured; killed on timeout or interrupt."""
    with subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=env,
    ) as proc:
        # communicate() and wait() give the child that grace on a KeyboardInterrupt themselves,
        # before re-raising; CPython reads it from this attribute (0: none).
        proc._sigint_wait_secs = 0  # type: ignore[attr-defined]
        try:
            out, err = proc.communicate(payload, timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
        except BaseException:
            proc.kill()  # at once: no grace period for a child that was never signalled
            proc.wait()
            raise
        return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def run_job(
    tool: str,
    script: Path,
    payload: dict[str, Any],
    *,
    mark: str,
    python: str,
    cwd: Path,
    env: dict[str, str],
    file: Path,
) -> dict[str, Any]:
    """One job of the app's tool (``tool``: "Alembic", "Django") in a child running ``script``: the
    payload as JSON on stdin, the answer as JSON after ``mark`` on stdout. Every failure is a
    :class:`MigrationError` on ``file`` with URLs redacted."""
    env = {**env, "PYTHONDONTWRITEBYTECODE": "1"}  # no __pycache__ left in the repository
    try:
        proc = run_child(
            [python, "-c", script.read_text(encoding="utf-8")],
            json.dumps(payload),
            cwd=cwd,
            env=env,
            timeout=CHILD_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MigrationError(f"cannot run {tool} ({exc})", file=file) from exc
    tail = proc.stdout.rsplit(mark, 1)
    if len(tail) != 2:
        last = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        raise MigrationError(f"{tool} stopped: {redact_url(last)}", file=file)
    try:
        out: dict[str, Any] = json.loads(tail[1])
    except ValueError as exc:
        raise MigrationError(f"{tool}'s answer could not be read", file=file) from exc
    if not out.get("ok"):
        raise MigrationError(f"{tool} failed: {redact_url(str(out.get('error', '?')))}", file=file)
    return out
