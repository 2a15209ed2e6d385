"""Start-up cost of the CLI: `parity --help` and `parity env diff examples/shop` against `python -c pass`.

The CLI runs in hooks and CI many times a day: the targets are --help under 200 ms and env diff
well under a second. Printed as medians and as ratios to the interpreter's own start-up,
measured in the same run.

    python bench/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def median_ms(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    py = sys.executable
    baseline = median_ms([py, "-c", "pass"], args.runs)
    cases = {
        "parity --help": [py, "-m", "parity", "--help"],
        "parity env diff examples/shop": [py, "-m", "parity", "env", "diff", str(REPO / "examples/shop")],
        "parity check examples/shop": [py, "-m", "parity", "check", str(REPO / "examples/shop")],
    }
    print(f"{'case':36} {'median ms':>10} {'x python -c pass':>18}")
    print(f"{'python -c pass (baseline)':36} {baseline:10.1f} {1.0:18.2f}")
    for name, cmd in cases.items():
        ms = median_ms(cmd, args.runs)
        print(f"{name:36} {ms:10.1f} {ms / baseline:18.2f}")


if __name__ == "__main__":
    main()
