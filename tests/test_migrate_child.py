"""The app's migration tool runs in a child that stops the moment parity is interrupted: no
grace period in which it goes on migrating (a real app's upgrade committed a revision in the
0.25 s ``subprocess.run`` leaves a child on a ``KeyboardInterrupt``)."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import pytest

from parity.migrate.child import run_child


class _Stop(KeyboardInterrupt):
    pass


def test_an_interrupt_kills_the_child_at_once(tmp_path: Path) -> None:
    ticks = tmp_path / "ticks"
    # The child counts in a file every 10 ms: a child left running after the interrupt keeps counting.
    script = (
        "import time, pathlib\n"
        f"p = pathlib.Path({str(ticks)!r})\n"
        "n = 0\n"
        "while True:\n"
        "    n += 1\n"
        "    p.write_text(str(n))\n"
        "    time.sleep(0.01)\n"
    )
    seen: list[int] = []

    def stop(_signum: int, _frame: object) -> None:
        seen.append(int(ticks.read_text() or 0) if ticks.exists() else 0)
        raise _Stop

    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(_Stop):
            run_child([sys.executable, "-c", script], "", cwd=tmp_path, env={}, timeout=30)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    at_signal = seen[0]
    time.sleep(0.3)
    after = int(ticks.read_text() or 0)
    # subprocess.run would have let it count on for 0.25 s (about 25 ticks) before killing it.
    assert after - at_signal <= 10, (at_signal, after)
    assert at_signal > 0, "the child had started counting"


def test_output_and_exit_status_come_back(tmp_path: Path) -> None:
    done = run_child(
        [sys.executable, "-c", "import sys; print(sys.stdin.read().upper()); sys.exit(3)"],
        "payload",
        cwd=tmp_path,
        env={},
        timeout=30,
    )
    assert (done.returncode, done.stdout.strip()) == (3, "PAYLOAD")
