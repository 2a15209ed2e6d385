"""``parity check`` on a repository holding a 10 MB value vs the same repository without it.

Both repositories are copies of examples/shop with ``[limits] max_file_bytes`` raised to 64 MB, so
the value is read rather than refused; the large one also has ``BIG_NOTE=<10 MB of words>``
appended to ``services/web/.env.production``. No reference lists that key, so the value shows up
in the Environment Gap Report table and in the ENV003 finding. It is not secret-looking, so it is
cut (head, length, fingerprint) and not masked. Each run is the real CLI in a subprocess writing
text to a pipe, as CI runs it. Baseline and large runs alternate so machine load hits both. The
figures are medians of ``--runs``, and the ratio is the median of the per-round ratios, with
their range. Target: ≤ 2×.

    python bench/bench_hugevalue.py [--mb 10] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHOP = REPO / "examples" / "shop"
LIMIT = 64 * 1024 * 1024


def make_copy(dest: Path, big_mb: int) -> Path:
    root = dest / ("big" if big_mb else "base")
    shutil.copytree(SHOP, root, ignore=shutil.ignore_patterns(".parity", "__pycache__"))
    with (root / "parity.toml").open("a", encoding="utf-8") as fh:
        fh.write(f"\n[limits]\nmax_file_bytes = {LIMIT}\n")
    if big_mb:
        words = "lorem ipsum dolor sit amet "
        value = (words * (big_mb * 1024 * 1024 // len(words) + 1))[: big_mb * 1024 * 1024].strip()
        with (root / "services/web/.env.production").open("a", encoding="utf-8") as fh:
            fh.write(f'BIG_NOTE="{value}"\n')
    return root


def run_check(root: Path) -> tuple[float, str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "parity", "check", str(root), "--env", "production"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"parity check failed ({proc.returncode}): {proc.stderr.strip()}")
    return elapsed, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=10, help="size of the value in MB")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = make_copy(Path(tmp), 0)
        big = make_copy(Path(tmp), args.mb)
        run_check(base)  # warm the file cache and bytecode for both
        _, out = run_check(big)
        assert "BIG_NOTE" in out and "chars, hmac:" in out, "the large value is not in the report, cut"
        base_s: list[float] = []
        big_s: list[float] = []
        for _ in range(args.runs):
            base_s.append(run_check(base)[0])
            big_s.append(run_check(big)[0])
        ratios = [b / a for a, b in zip(base_s, big_s, strict=True)]
        print(f"parity check, examples/shop: without the value {statistics.median(base_s):.2f} s")
        print(f"parity check, examples/shop + a {args.mb} MB value: {statistics.median(big_s):.2f} s")
        print(f"report size with the value: {len(out):,} characters")
        print(
            f"ratio: {statistics.median(ratios):.2f}x (range {min(ratios):.2f}-{max(ratios):.2f}x, "
            f"{args.runs} rounds; target <= 2x)"
        )


if __name__ == "__main__":
    main()
