"""Interrupts as exceptions during a run that writes, and an undo that an interrupt cannot cut.

SIGINT already raises ``KeyboardInterrupt``; SIGTERM (what CI runners and ``kill`` send) is
turned into :class:`Interrupted`, a ``KeyboardInterrupt``, so the same ``except``/``finally``
undoes the run. While the undo runs, further SIGINT/SIGTERM are held back and delivered after it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class Interrupted(KeyboardInterrupt):
    """SIGTERM (or SIGINT) arrived during a run that writes."""


def _raise(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


@contextlib.contextmanager
def interrupts_raise() -> Iterator[None]:
    """SIGTERM raises :class:`Interrupted` inside the block (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Hold SIGINT/SIGTERM back for the block (an undo must finish); raise the first one after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []

    def hold(signum: int, _frame: FrameType | None) -> None:
        held.append(signum)

    previous = {s: signal.signal(s, hold) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if held:
        raise Interrupted(signal.Signals(held[0]).name)
