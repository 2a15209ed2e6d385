"""The `[[why]]` part of bench/bench_realworld.py: parsing the labels and judging an answer."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import bench_realworld as rw  # noqa: E402

BASE = {"repo": "o/r", "commit": "c", "env": "production"}


def test_why_tables_parse_and_blocked_needs_a_switch() -> None:
    c = rw.parse_corpus("x", {**BASE, "why": [{"symbol": "a.py:f", "verdict": "BLOCKED", "switch": "K"}]})
    assert c.whys == (rw.WhyLabel(symbol="a.py:f", verdict="BLOCKED", why="", switch="K"),)
    with pytest.raises(rw.CorpusError, match="names no switch"):
        rw.parse_corpus("x", {**BASE, "why": [{"symbol": "f", "verdict": "BLOCKED"}]})
    with pytest.raises(rw.CorpusError, match="verdict"):
        rw.parse_corpus("x", {**BASE, "why": [{"symbol": "f", "verdict": "OFF"}]})


def test_right_needs_verdict_and_switch() -> None:
    label = rw.WhyLabel(symbol="f", verdict="BLOCKED", why="", switch="K")
    answer = {
        "verdict": "BLOCKED",
        "blockers": [{"kind": "missing", "key": "M"}, {"kind": "switch", "key": "K"}],
    }
    assert rw.WhyOutcome(label, *rw.why_answer(answer)).right
    other = {"verdict": "BLOCKED", "blockers": [{"kind": "switch", "key": "J"}]}
    assert not rw.WhyOutcome(label, *rw.why_answer(other)).right
    # Before verdicts existed: a blocker reads as BLOCKED, none as REACHABLE.
    assert rw.why_answer({"blocked": False, "blockers": []}) == ("REACHABLE", None)
    lines = rw.why_accuracy([rw.WhyOutcome(label, "ERROR", None)])
    assert lines == ["why python: 0/1 0% (right verdict and switch)", "  wrong: f: want BLOCKED K, got ERROR"]
