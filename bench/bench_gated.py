"""``check``'s switch-to-code step with one call graph for the run, against a graph per question.

For each switch ``check`` asks about (the keys of its env, flag and deployed findings that may
keep code off), ``gated_by`` finds the functions the switch keeps from running. ``check`` asks
every one of them through one :class:`~parity.code.why.CodeGraph` (modules parsed and indexed
once); the baseline, measured in the same run, builds a fresh graph per key, as separate
``parity why``-style questions would. Both must find the same functions.

    python bench/bench_gated.py CHECKOUT [CHECKOUT ...] [--env production] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from parity.code.gated import gated_by  # noqa: E402
from parity.code.why import CodeGraph  # noqa: E402
from parity.project import Project  # noqa: E402
from parity.workflow.check import analysis_sections  # noqa: E402
from parity.workflow.envflow import load_project  # noqa: E402
from parity.workflow.gated_step import SWITCH_CODES  # noqa: E402


def switch_keys(path: Path, env: str) -> tuple[Project, str, list[str]]:
    project, env = load_project(path, env)
    sections = analysis_sections(project, env)
    keys = list(
        dict.fromkeys(f.key for s in sections for f in s.findings if f.code in SWITCH_CODES and f.key)
    )
    return project, env, keys


def shared(project: Project, env: str, keys: list[str]) -> tuple[float, int]:
    t = time.perf_counter()
    graph = CodeGraph(project)
    found = sum(len(gated_by(graph, k, env)) for k in keys)
    return time.perf_counter() - t, found


def fresh(project: Project, env: str, keys: list[str]) -> tuple[float, int]:
    t = time.perf_counter()
    found = sum(len(gated_by(CodeGraph(project), k, env)) for k in keys)
    return time.perf_counter() - t, found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkouts", nargs="+", type=Path)
    ap.add_argument("--env", default="production")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    print(
        f"{'repository':<28} {'keys':>5} {'found':>6} {'one graph s':>12} {'graph per key s':>16} {'ratio':>6}"
    )
    for path in args.checkouts:
        project, env, keys = switch_keys(path, args.env)
        one = [shared(project, env, keys) for _ in range(args.runs)]
        each = [fresh(project, env, keys) for _ in range(args.runs)]
        if {n for _, n in one} != {n for _, n in each}:
            print(f"{path.name}: the two ways found different functions", file=sys.stderr)
            return 1
        a, b = statistics.median(t for t, _ in one), statistics.median(t for t, _ in each)
        print(f"{path.name:<28} {len(keys):>5} {one[0][1]:>6} {a:>12.2f} {b:>16.2f} {b / a:>5.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
