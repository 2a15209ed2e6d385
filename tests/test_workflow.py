"""The whole question on a fresh copy of examples/shop: check → apply → check → apply again → rollback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.helpers import SHOP_SECRETS, copy_shop, run_cli, snapshot
from typer.testing import CliRunner

from parity.cli.app import app

runner = CliRunner()

FIXES = [
    "--set", "EXPORTS_BUCKET=shop-exports-prod",
    "--set", "QUEUE_URL=redis://queue.example.invalid:6379/0",
    "--set", "CDN_URL=https://cdn.shop.example.invalid",
    "--set", "MAX_RETRIES=5",
    "--enable", "FEATURE_ENABLE_EXPORTS",
]


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_check_fails_naming_every_planted_gap(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    before = snapshot(shop)
    code, out = invoke("check", str(shop), "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["verdict"] == "FAIL" and data["schema_version"] == 1
    found = {(f["code"], f["key"]) for s in data["sections"] for f in s["findings"]}
    for expected in [("ENV001", "FEATURE_ENABLE_EXPORTS"), ("ENV001", "EXPORTS_BUCKET"), ("ENV002", "QUEUE_URL"),
                     ("ENV005", "MAX_RETRIES"), ("ENV008", "CDN_URL"), ("ENV003", "OLD_ANALYTICS_ID"),
                     ("FLG002", "FEATURE_ENABLE_EXPORTS")]:
        assert expected in found
    titles = [s["title"] for s in data["sections"]]
    assert titles[0] == "Environment Gap Report" and titles[-1] == "Verification & Rollback"
    assert "Consolidation Plan" in titles and "Implementation" in titles
    assert snapshot(shop) == before  # check changes nothing


def test_text_report_ends_with_exact_verdict_line(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    proc = run_cli("check", str(shop))
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[-1] == "FAIL"
    assert "\x1b[" not in proc.stdout  # plain when not a terminal


def test_apply_refuses_non_interactive_without_yes(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    before = snapshot(shop)
    proc = run_cli("apply", str(shop), *FIXES, input="")
    assert proc.returncode == 2 and "--yes" in proc.stderr
    assert snapshot(shop) == before


def test_apply_check_pass_idempotent_then_rollback(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    original = snapshot(shop)
    code, out = invoke("plan", str(shop), *FIXES, "--consolidate")
    assert code == 0 and "+FEATURE_ENABLE_EXPORTS=true" in out
    assert snapshot(shop) == original

    code, out = invoke("apply", str(shop), "--yes", *FIXES, "--consolidate")
    assert code == 0, out
    assert out.rstrip().splitlines()[-1] == "PASS"
    code, out = invoke("check", str(shop))
    assert code == 0, out
    assert out.rstrip().splitlines()[-1] == "PASS"

    changed = snapshot(shop)
    code, out = invoke("apply", str(shop), "--yes")
    assert code == 0 and "nothing to change" in out
    assert snapshot(shop) == changed  # a second apply changes nothing

    code, out = invoke("rollback", str(shop))
    assert code == 0, out
    assert snapshot(shop) == original
    code, out = invoke("rollback", str(shop))
    assert code == 2 and "no applied run" in out


def test_failed_verification_rolls_back_everything(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    original = snapshot(shop)
    without_flag = FIXES[:-2]
    code, out = invoke("apply", str(shop), "--yes", *without_flag, "--consolidate")
    assert code == 1
    assert "FLG002" in out and "rolled back" in out
    assert snapshot(shop) == original


def test_failing_smoke_check_rolls_back(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    (shop / "parity.toml").write_text('[smoke]\napi = [{ name = "always fails", command = "false" }]\n')
    original = snapshot(shop)
    code, out = invoke("apply", str(shop), "--yes", *FIXES)
    assert code == 1
    assert "smoke: api: always fails" in out and "rolled back" in out
    assert snapshot(shop) == original


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "sarif"])
def test_every_format_and_no_secret(tmp_path: Path, fmt: str) -> None:
    shop = copy_shop(tmp_path)
    outs = [invoke("check", str(shop), "--format", fmt)[1], invoke("plan", str(shop), *FIXES, "--format", fmt)[1]]
    out_file = tmp_path / f"report.{fmt}"
    code, _ = invoke("check", str(shop), "--format", fmt, "--output", str(out_file))
    assert code == 1
    outs.append(out_file.read_text())
    for out in outs:
        for secret in SHOP_SECRETS:
            assert secret not in out
    if fmt == "sarif":
        doc = json.loads(outs[0])
        assert doc["version"] == "2.1.0"
        rules = {r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]}
        assert {"ENV001", "FLG002"} <= rules
        assert all(r["level"] in ("error", "warning", "note") for r in doc["runs"][0]["results"])
    if fmt == "markdown":
        assert outs[0].rstrip().endswith("**FAIL**") and "## Environment Gap Report" in outs[0]


def test_json_reports_validate_against_the_published_schema(tmp_path: Path) -> None:
    import jsonschema

    schema = json.loads((Path(__file__).resolve().parents[1] / "docs/report.schema.json").read_text())
    shop = copy_shop(tmp_path)
    for args in (["check", str(shop)], ["plan", str(shop), *FIXES], ["env", "diff", str(shop), "--all"], ["flags", str(shop)]):
        _, out = invoke(*args, "--format", "json")
        jsonschema.validate(json.loads(out), schema)
