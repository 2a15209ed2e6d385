"""The app's migration tool in a child process that stops the moment parity is interrupted.

``subprocess.run`` gives a child 0.25 s to finish when the parent sees a ``KeyboardInterrupt``
(parity's SIGTERM ``Interrupted`` is one): right for a Ctrl-C the child heard too, wrong here,
where the child heard nothing and goes on migrating — a real app's PostgreSQL upgrade committed
its next revision in that window. So the child is killed at once, and the undo starts from what
it had committed when the signal came.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


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
