"""The README shows what parity really prints, and its set-up commands stay the documented ones."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_report_is_the_current_output() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts/readme_report.py"), "--check"], check=False)
    assert done.returncode == 0, "run: python scripts/readme_report.py"


def test_readme_report_ends_with_the_verdict() -> None:
    text = (ROOT / "README.md").read_text()
    block = text.split("```text\n", 1)[1].split("```", 1)[0]
    assert block.rstrip().splitlines()[-1] == "FAIL"  # the example ships with its gaps planted


def test_readme_starts_with_the_two_setup_commands() -> None:
    first_block = (ROOT / "README.md").read_text().split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line for line in first_block.splitlines() if line and not line.startswith("#")]
    assert commands[0].endswith("parity check examples/shop --env production")
    assert commands[1].endswith("python -m pytest -n 2 -q")
    assert ".ci/run" not in commands[1] and "python -m pytest -n 2 -q" in (ROOT / ".ci/run").read_text()
