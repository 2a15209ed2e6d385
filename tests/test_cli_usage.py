"""Usage errors read like parity's own errors: one line on stderr, ``parity: error: …``, exit 2,
with a hint; help shows on/off flags without a value placeholder."""

from __future__ import annotations

import pytest
from tests.helpers import run_cli


@pytest.mark.parametrize(
    ("args", "says", "hint"),
    [
        (["frobnicate"], "No such command 'frobnicate'", "parity -h"),
        (["chek"], "No such command 'chek'", "check"),
        (["check", "--format", "yaml"], "'yaml' is not one of", "parity check -h"),
        (["check", "--env"], "requires an argument", "-h"),
        (["lint", "--pg-version", "99"], "--pg-version", "parity lint -h"),
    ],
)
def test_usage_errors_are_one_line_with_a_hint(args: list[str], says: str, hint: str) -> None:
    res = run_cli(*args)
    assert res.returncode == 2
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("parity: error: ") and says in lines[0] and hint in lines[0]
    assert "╭" not in res.stderr and "Usage:" not in res.stderr


def test_bare_parity_prints_help_and_no_error_line() -> None:
    res = run_cli()
    assert "Usage:" in res.stdout and "COMMAND" in res.stdout and "parity: error" not in res.stderr


def test_flags_show_no_value_placeholder_in_help() -> None:
    out = run_cli("check", "-h", env={"COLUMNS": "160"}).stdout
    smoke = next(line for line in out.splitlines() if "--smoke" in line)
    assert "<bool>" not in out and "<bool>" not in smoke
    assert "<str>" in next(line for line in out.splitlines() if "--env" in line)
