"""The example flow on a copy of examples/shop: ``parity store`` reports both gaps of the order
record and the missing interface method; ``store sync --apply`` fixes the record; after the
human fix of the in-memory store, the example's own tests pass against both stores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import SHOP, copy_shop, run_cli, snapshot
from parity.project import discover
from parity.store.check import build_store_section

PLANTED = [
    ("STO001", "services/api/app/records.py", 9, "orders.exported_at"),
    ("STO001", "services/api/app/records.py", 9, "orders.status"),
    ("STO010", "services/api/app/store_memory.py", 10, "Store.mark_exported"),
]

HUMAN_FIX = """
    def mark_exported(self, order_id: int, exported_at: str) -> None:
        self._orders[order_id].exported_at = exported_at
"""


def example_tests(shop: Path) -> subprocess.CompletedProcess[str]:
    """The example's own test suite, as its developers run it (plain pytest, both stores)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    api = shop / "services" / "api"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "tests"],
        cwd=api,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def findings(stdout: str) -> list[tuple[str, str, int, str]]:
    data = json.loads(stdout)
    out = []
    for section in data["sections"]:
        for f in section["findings"]:
            out.append((f["code"], f["file"], f["line"], f["key"]))
    return sorted(out)


def test_only_the_planted_gaps_on_the_repository_example() -> None:
    before = snapshot(SHOP)
    section = build_store_section(discover(SHOP), "production", smoke=False)
    got = sorted((f.code, f.file, f.line, f.key) for f in section.findings)
    assert got == PLANTED
    assert all(f.fix for f in section.findings)
    assert snapshot(SHOP) == before  # inspecting never writes


def test_store_then_sync_then_human_fix_then_the_example_tests_pass(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    api = shop / "services" / "api"

    res = run_cli("store", str(shop), "--format", "json")
    assert res.returncode == 1, res.stderr
    assert findings(res.stdout) == PLANTED

    text = run_cli("store", str(shop)).stdout
    assert "services/api/app/records.py:9" in text and "FAIL" in text
    assert 'fix: parity store sync --apply adds `status: str = "new"` to Order' in text

    # The example's tests fail now: the record lags the schema, the fallback lags the interface.
    failing = example_tests(shop)
    assert failing.returncode == 1
    assert "4 failed, 4 passed" in failing.stdout

    # Dry run: a diff, nothing written.
    before = snapshot(shop)
    dry = run_cli("store", "sync", str(shop))
    assert dry.returncode == 1
    assert '+    status: str = "new"' in dry.stdout and "+    exported_at: str | None = None" in dry.stdout
    assert "dry run" in dry.stdout
    assert snapshot(shop) == before

    applied = run_cli("store", "sync", str(shop), "--apply")
    assert applied.returncode == 1  # the missing method is a human's job
    records = (api / "app" / "records.py").read_text()
    assert records.endswith(
        "    created_at: str  # set by the database (or the in-memory store) on insert\n"
        '    status: str = "new"\n'
        "    exported_at: str | None = None\n"
    )
    backups = list((shop / ".parity" / "backups").iterdir())
    assert len(backups) == 1
    assert (backups[0] / "services/api/app/records.py").read_text() == (
        SHOP / "services/api/app/records.py"
    ).read_text()

    after_sync = run_cli("store", str(shop), "--format", "json")
    assert findings(after_sync.stdout) == [PLANTED[2]]

    memory = api / "app" / "store_memory.py"
    memory.write_text(memory.read_text() + HUMAN_FIX)

    clean = run_cli("store", str(shop), "--format", "json")
    assert clean.returncode == 0, clean.stdout
    assert findings(clean.stdout) == []

    passing = example_tests(shop)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "8 passed" in passing.stdout


def test_sync_is_idempotent_and_never_removes(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    records = shop / "services/api/app/records.py"
    records.write_text(records.read_text() + "    legacy_note: str | None = None  # gone from the schema\n")
    assert run_cli("store", "sync", str(shop), "--apply").returncode == 1
    once = records.read_text()
    assert "legacy_note: str | None = None  # gone from the schema" in once
    run_cli("store", "sync", str(shop), "--apply")
    assert records.read_text() == once
    res = run_cli("store", str(shop), "--format", "json", "--no-smoke")
    assert ("STO002", "services/api/app/records.py", 16, "orders.legacy_note") in findings(res.stdout)


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = run_cli("store", str(tmp_path / "nope"))
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    shop = copy_shop(tmp_path)
    (shop / "db" / "schema.sql").write_text("CREATE TABLE broken (\n  id INTEGER,\n  oops oops oops (\n);\n")
    before = snapshot(shop)
    bad = run_cli("store", str(shop))
    assert bad.returncode == 2
    assert bad.stderr.startswith("parity: error:") and "schema.sql" in bad.stderr
    assert snapshot(shop) == before
