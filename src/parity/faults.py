"""Checkpoints where a run may be stopped, so tests can stop it at each of them on purpose.

``PARITY_TEST_KILL_AT=N`` sends this process SIGKILL at its N-th checkpoint (1-based);
``N:TERM``, ``N:INT`` and ``N:STOP`` send that signal instead (``STOP`` freezes the run there,
so a test can start a second run beside it). Unset, a checkpoint only counts. The writing
steps call :func:`checkpoint` between each two things they change (journal entries, files,
backups, migration statements, commits, checks), which is how the tests reach every point of
``apply`` deterministically.
"""

from __future__ import annotations

import os
import signal

KILL_AT_ENV = "PARITY_TEST_KILL_AT"
_SIGNALS = {"KILL": signal.SIGKILL, "TERM": signal.SIGTERM, "INT": signal.SIGINT, "STOP": signal.SIGSTOP}
_passed = 0


def checkpoint() -> None:
    global _passed
    _passed += 1
    wanted = os.environ.get(KILL_AT_ENV)
    if not wanted:
        return
    at, _, name = wanted.partition(":")
    if at.isdigit() and int(at) == _passed:
        os.kill(os.getpid(), _SIGNALS.get(name or "KILL", signal.SIGKILL))


def passed() -> int:
    """How many checkpoints this process has passed (tests size their kill range with it)."""
    return _passed
