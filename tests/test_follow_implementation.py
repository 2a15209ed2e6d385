"""Following ``check``'s Implementation exactly as printed leads to PASS (issue: the report agrees
with itself, and its plan would really fix production).

On a copy of examples/shop: read the Implementation section of the JSON report, do the one step
marked "by hand" (the example's in-memory store lacks a method, which no tool writes), run the
other steps as printed with a value for every ``<value>`` it asks for, and check again.
"""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

from tests.helpers import run_cli

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "shop"
VALUES = {
    "api:EXPORTS_BUCKET": "shop-exports-prod",
    "worker:MAX_RETRIES": "5",
    "web:CDN_URL": "https://cdn.shop.example.test",
    "worker:QUEUE_URL": "redis://queue.internal:6379/0",
}
HAND_FIX = """
    def mark_exported(self, order_id: int, exported_at: str) -> None:
        order = self._orders.get(order_id)
        if order is not None:
            self._orders[order_id] = replace(order, exported_at=exported_at)
"""


def _implementation(root: Path) -> list[str]:
    out = run_cli("check", str(root), "--env", "production", "--format", "json", cwd=root)
    report = json.loads(out.stdout)
    return next(s for s in report["sections"] if s["id"] == "implementation")["notes"]


def _run_printed(line: str, root: Path) -> str:
    """Run a printed ``parity …`` command, with the user's value for each ``<value>``."""
    words = shlex.split(line.split(": ", 1)[1].split(" (", 1)[0])
    assert words[0] == "parity"
    args = []
    for w in words[1:]:
        if w.endswith("=<value>"):
            target = w.removesuffix("=<value>")
            w = f"{target}={VALUES[target]}"
        args.append(w)
    res = run_cli(*args, cwd=root)
    return f"{res.returncode}\n{res.stdout}\n{res.stderr}"


def test_following_the_implementation_as_printed_leads_to_pass(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".parity", "__pycache__"))
    before = _implementation(root)
    # The plan never writes the example's off value of a flag, nor a development value.
    assert not any("FEATURE_ENABLE_EXPORTS=false from" in n for n in before)
    assert not any("shop-exports-dev" in n or "localhost" in n for n in before)
    needs = next(n for n in before if n.startswith("needs a value"))
    assert set(VALUES) == {k.strip() for k in needs.split(": ", 1)[1].split(",")}
    by_hand = [n for n in before if n.startswith("by hand:")]
    assert len(by_hand) == 1 and "mark_exported" in by_hand[0] and "InMemoryStore" in by_hand[0]

    store = root / "services/api/app/store_memory.py"
    text = store.read_text().replace(
        "from datetime import UTC, datetime",
        "from dataclasses import replace\nfrom datetime import UTC, datetime",
    )
    store.write_text(text.rstrip("\n") + "\n" + HAND_FIX)

    for line in before:
        if line.startswith("then: parity store sync"):
            assert _run_printed(line.replace("then: ", "then: ", 1), root).startswith("0")
    apply = next(n for n in before if n.startswith("apply with: "))
    assert "--enable FEATURE_ENABLE_EXPORTS" in apply
    result = _run_printed(apply, root)
    assert result.startswith("0"), result[-3000:]
    assert result.rstrip().endswith("PASS")

    after = run_cli("check", str(root), "--env", "production", cwd=root)
    assert after.returncode == 0, after.stdout[-3000:]
    assert after.stdout.rstrip().endswith("PASS")
