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


def test_the_codes_reference_ships_with_the_package_and_names_sarif_rules() -> None:
    # SARIF rule titles come from it at run time: the packaged copy must be the current file.
    assert (ROOT / "src/parity/codes.md").read_text() == (ROOT / "docs/codes.md").read_text(), (
        "run: cp docs/codes.md src/parity/codes.md"
    )
    from parity.model.findings import Finding, Report, Section, Severity
    from parity.report.sarif import render_sarif

    finding = Finding("ENV008", Severity.ERROR, "env", "APP_HOST is http: still a placeholder ('changeme')")
    doc = __import__("json").loads(
        render_sarif(Report("check", "p", "production", (Section("env", "Env", (finding,)),)))
    )
    (rule,) = doc["runs"][0]["tool"]["driver"]["rules"]
    assert rule["shortDescription"]["text"] == "a target value is still a placeholder"
    assert (
        "APP_HOST" not in rule["shortDescription"]["text"] and "changeme" in rule["fullDescription"]["text"]
    )
