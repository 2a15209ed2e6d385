"""Every finding code the code can emit is documented in docs/codes.md (and the file is current)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_code_in_the_source_is_documented() -> None:
    used: set[str] = set()
    for path in (ROOT / "src/parity").rglob("*.py"):
        used |= set(
            re.findall(r"[\"']((?:ENV|SRC|FLG|SCH|MIG|PLN|MGR|VER|STO|APL)\d{3})[\"']", path.read_text())
        )
    documented = set(re.findall(r"^\| ([A-Z]{3}\d{3}) \|", (ROOT / "docs/codes.md").read_text(), re.M))
    assert used, "the scan found no codes at all"
    assert used - documented == set()


def test_codes_doc_is_generated_from_the_registries() -> None:
    fresh = subprocess.run(
        [sys.executable, str(ROOT / "scripts/gen_codes.py")], capture_output=True, text=True, check=True
    ).stdout
    assert fresh.strip() == (ROOT / "docs/codes.md").read_text().strip(), (
        "run: python scripts/gen_codes.py > docs/codes.md"
    )
