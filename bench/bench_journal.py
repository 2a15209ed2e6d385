"""What the run journal and the run lock cost ``parity apply`` (printed as ratios).

    python bench/bench_journal.py                 # the example, and a 1,000,000-row rebuild
    python bench/bench_journal.py --rows 200000   # quicker

Baseline, measured in the same run: the very same ``apply`` with the journal kept in memory
only (no file, no fsync) and no lock. Rounds alternate baseline and parity on fresh copies, and
the figure is the median of the per-round ratios, with their range. Targets: under 1.10× on the
example, under 1.02× on the 1,000,000-row SQLite rebuild.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(HERE))

from bench_migrate import FILL, TABLE  # noqa: E402

FIXES = (
    "EXPORTS_BUCKET=shop-exports-prod",
    "QUEUE_URL=redis://queue.example.invalid:6379/0",
    "CDN_URL=https://cdn.shop.example.invalid",
    "MAX_RETRIES=5",
)


def example_template(work: Path) -> tuple[Path, tuple[str, ...], tuple[str, ...]]:
    """The README's walkthrough with main's code fixed (what `apply` then makes PASS)."""
    import subprocess

    root = work / "shop"
    shutil.copytree(REPO / "examples" / "shop", root, ignore=shutil.ignore_patterns(".parity", "__pycache__"))
    with (root / "services/api/app/store_memory.py").open("a") as fh:
        fh.write(
            "\n    def mark_exported(self, order_id: int, exported_at: str) -> None:\n"
            "        self._orders[order_id].exported_at = exported_at\n"
        )
    subprocess.run(
        [sys.executable, "-m", "parity", "store", "sync", str(root), "--apply"],
        check=True,
        capture_output=True,
    )
    return root, FIXES, ("FEATURE_ENABLE_EXPORTS",)


def rebuild_template(work: Path, rows: int) -> tuple[Path, tuple[str, ...], tuple[str, ...]]:
    """A one-service project whose declared schema gives a column a default: a SQLite rebuild."""
    root = work / "events"
    root.mkdir()
    (root / ".env.example").write_text("DATABASE_URL=sqlite:///events.db\n")
    (root / ".env.production").write_text("DATABASE_URL=sqlite:///events.db\n")
    (root / "schema.sql").write_text(
        TABLE.replace("kind TEXT NOT NULL", "kind TEXT NOT NULL DEFAULT 'plain'") + ";\n"
    )
    conn = sqlite3.connect(root / "events.db")
    conn.execute(TABLE)
    conn.execute(FILL.format(rows=rows))
    conn.commit()
    conn.close()
    return root, (), ()


@contextlib.contextmanager
def journal_in_memory() -> Iterator[None]:
    """The baseline: every journal entry kept in memory only, and no lock."""
    import parity.workflow.apply as apply_mod
    from parity.faults import checkpoint
    from parity.workflow.journal import Journal

    def begin(root: Path, environment: str, command: str) -> Journal:
        j = Journal(root, root / ".parity" / "runs" / "bench.jsonl")
        j.entries.append({"op": "begin", "environment": environment, "command": command})
        return j

    def record(self: Journal, op: str, **fields: object) -> None:
        self.entries.append({"op": op, **fields})
        checkpoint()

    saved = (Journal.begin, Journal.record, apply_mod.run_lock)
    Journal.begin = staticmethod(begin)  # type: ignore[method-assign]
    Journal.record = record  # type: ignore[method-assign]
    apply_mod.run_lock = lambda *_a, **_k: contextlib.nullcontext()  # type: ignore[assignment]
    try:
        yield
    finally:
        Journal.begin, Journal.record, apply_mod.run_lock = saved  # type: ignore[method-assign,assignment]


def child(root: str, baseline: str, sets: str, enable: str) -> None:
    """In a fresh process (no cache of an earlier round): one apply, its time on stdout."""
    from parity.workflow.apply import ApplyOptions, run_apply

    options = ApplyOptions(
        tuple(filter(None, sets.split(","))), tuple(filter(None, enable.split(","))), smoke=False
    )
    with journal_in_memory() if baseline == "1" else contextlib.nullcontext():
        t0 = time.perf_counter()
        report = run_apply(Path(root), "production", options)
        elapsed = time.perf_counter() - t0
    if not report.passed:
        raise SystemExit(f"the benchmark's apply did not PASS on {root}")
    print(elapsed)


def one_apply(
    template: Path, scratch: Path, sets: tuple[str, ...], enable: tuple[str, ...], baseline: bool
) -> float:
    import subprocess

    root = scratch / "copy"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(template, root)
    code = f"import sys; sys.path.insert(0, {str(HERE)!r}); import bench_journal as b; b.child(*sys.argv[1:])"
    out = subprocess.run(
        [sys.executable, "-c", code, str(root), "1" if baseline else "0", ",".join(sets), ",".join(enable)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def paired(name: str, fn: Callable[[bool], float], rounds: int, target: float) -> None:
    ratios, base_t, journal_t = [], [], []
    for _ in range(rounds):
        base = fn(True)
        real = fn(False)
        base_t.append(base)
        journal_t.append(real)
        ratios.append(real / base)
    print(
        f"{name}: apply {statistics.median(journal_t):.2f} s with the journal, "
        f"{statistics.median(base_t):.2f} s without → {statistics.median(ratios):.3f}× "
        f"(rounds {min(ratios):.3f}–{max(ratios):.3f}×; target < {target:.2f}×)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="parity-bench-journal-") as tmp:
        work = Path(tmp)
        (work / "a").mkdir()
        (work / "b").mkdir()
        shop, sets, enable = example_template(work / "a")
        paired(
            "example (examples/shop)",
            lambda b: one_apply(shop, work / "a", sets, enable, b),
            args.rounds,
            1.10,
        )
        events, sets, enable = rebuild_template(work / "b", args.rows)
        paired(
            f"SQLite rebuild of {args.rows:,} rows",
            lambda b: one_apply(events, work / "b", sets, enable, b),
            max(3, args.rounds // 2),
            1.02,
        )


if __name__ == "__main__":
    main()
