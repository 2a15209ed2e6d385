"""The whole question on a fresh copy of examples/shop: check → apply → check → apply again → rollback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.helpers import APPLY_FIXES, SHOP_SECRETS, copy_shop, run_cli, snapshot
from typer.testing import CliRunner

from parity.cli.app import app

runner = CliRunner()

FIXES = APPLY_FIXES


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
    for expected in [
        ("ENV001", "FEATURE_ENABLE_EXPORTS"),
        ("ENV001", "EXPORTS_BUCKET"),
        ("ENV002", "QUEUE_URL"),
        ("ENV005", "MAX_RETRIES"),
        ("ENV008", "CDN_URL"),
        ("ENV003", "OLD_ANALYTICS_ID"),
        ("FLG002", "FEATURE_ENABLE_EXPORTS"),
    ]:
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


def fix_code_on_main(shop: Path) -> None:
    """What the developers do on main (parity reports it, people fix it): the order record gets
    the new columns (`parity store sync --apply`) and the in-memory store the missing method."""
    with (shop / "services/api/app/store_memory.py").open("a") as fh:
        fh.write(
            "\n    def mark_exported(self, order_id: int, exported_at: str) -> None:\n"
            "        self._orders[order_id].exported_at = exported_at\n"
        )
    code, out = invoke("store", "sync", str(shop), "--apply")
    assert code == 0, out
    assert "status" in (shop / "services/api/app/records.py").read_text(), out


def database_state(db: Path) -> tuple[list[tuple[str, str]], dict[str, list[tuple[object, ...]]]]:
    """Schema (every object's SQL) and every row of every table, read-only."""
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        objects = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
        ).fetchall()
        tables = [
            n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        rows = {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in tables}
    finally:
        conn.close()
    return objects, rows


def test_apply_check_pass_idempotent_then_rollback(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    fix_code_on_main(shop)
    original = snapshot(shop)
    db_before = database_state(shop / "db/shop.db")
    code, out = invoke("plan", str(shop), *FIXES, "--consolidate")
    assert code == 0 and "+FEATURE_ENABLE_EXPORTS=true" in out
    assert snapshot(shop) == original

    code, out = invoke("apply", str(shop), "--yes", *FIXES, "--consolidate")
    assert code == 0, out
    assert out.rstrip().splitlines()[-1] == "PASS"
    assert "smoke: api: exports route" in out  # the feature answers in production now
    schema, rows = database_state(shop / "db/shop.db")
    assert {"exports", "idx_orders_status", "parity_schema_history"} <= {n for n, _ in schema}
    old_rows = db_before[1]["orders"]
    assert [r[:5] for r in rows["orders"]] == old_rows  # every old row and the production-only column survive
    assert {r[-2] for r in rows["orders"]} == {"new"}
    code, out = invoke("check", str(shop))
    assert code == 0, out
    assert out.rstrip().splitlines()[-1] == "PASS"

    changed = snapshot(shop)
    code, out = invoke("apply", str(shop), "--yes")
    assert code == 0 and "nothing to change" in out
    assert snapshot(shop) == changed  # a second apply changes nothing

    code, out = invoke("rollback", str(shop))
    assert code == 0, out
    after = snapshot(shop)
    del after["db/shop.db"], original["db/shop.db"]  # the file's pages may differ; its content may not
    assert after == original  # env files byte for byte, generated migrations gone
    assert not (shop / "migrations").exists()
    assert database_state(shop / "db/shop.db") == db_before
    code, out = invoke("rollback", str(shop))
    assert code == 2 and "no applied run" in out


def assert_as_before(shop: Path, files: dict[str, str], db: object) -> None:
    now = snapshot(shop)
    assert {k: v for k, v in now.items() if k != "db/shop.db"} == {
        k: v for k, v in files.items() if k != "db/shop.db"
    }
    assert database_state(shop / "db/shop.db") == db


def test_failed_verification_rolls_back_everything(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    fix_code_on_main(shop)
    original = snapshot(shop)
    db_before = database_state(shop / "db/shop.db")
    without_flag = FIXES[:-2]
    code, out = invoke("apply", str(shop), "--yes", *without_flag, "--consolidate")
    assert code == 1
    assert "FLG002" in out and "rolled back" in out
    assert_as_before(shop, original, db_before)


def test_failing_smoke_check_rolls_back(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    fix_code_on_main(shop)
    (shop / "parity.toml").write_text('[smoke]\napi = [{ name = "always fails", command = "false" }]\n')
    original = snapshot(shop)
    db_before = database_state(shop / "db/shop.db")
    code, out = invoke("apply", str(shop), "--yes", *FIXES)
    assert code == 1
    assert "smoke: api: always fails" in out and "rolled back" in out
    assert "restored the backup" in out  # the migration had run: the database was put back too
    assert_as_before(shop, original, db_before)


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "sarif"])
def test_every_format_and_no_secret(tmp_path: Path, fmt: str) -> None:
    shop = copy_shop(tmp_path)
    outs = [
        invoke("check", str(shop), "--format", fmt)[1],
        invoke("plan", str(shop), *FIXES, "--format", fmt)[1],
    ]
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
    for args in (
        ["check", str(shop)],
        ["plan", str(shop), *FIXES],
        ["env", "diff", str(shop), "--all"],
        ["flags", str(shop)],
    ):
        _, out = invoke(*args, "--format", "json")
        doc = json.loads(out)
        jsonschema.validate(doc, schema)
        # Every section's verdict agrees with its own findings and rows.
        for section in doc["sections"]:
            errors = [f for f in section["findings"] if f["severity"] == "error"]
            failed_rows = [
                r
                for t in section.get("tables", [])
                if "result" in t["columns"]
                for r in t["rows"]
                if r[t["columns"].index("result")] == "FAILED"
            ]
            assert section["verdict"] == ("FAIL" if errors or failed_rows else "PASS"), section["id"]
        assert doc["verdict"] == ("FAIL" if any(s["verdict"] == "FAIL" for s in doc["sections"]) else "PASS")


def test_refused_migration_plan_rolls_back_env_writes(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    fix_code_on_main(shop)
    schema = shop / "db/schema.sql"
    schema.write_text(
        schema.read_text().replace(
            "    exported_at TEXT\n", "    exported_at TEXT,\n    region TEXT NOT NULL\n"
        )
    )
    original = snapshot(shop)
    db_before = database_state(shop / "db/shop.db")
    code, out = invoke("apply", str(shop), "--yes", *FIXES)
    assert code == 1
    assert "region" in out and "rolled back" in out
    assert_as_before(shop, original, db_before)


def test_failing_migration_rolls_back_everything(tmp_path: Path) -> None:
    from parity.migrate import dir as mdir

    shop = copy_shop(tmp_path)
    fix_code_on_main(shop)
    mdir.write(shop / "migrations", "broken", "ALTER TABLE no_such_table ADD COLUMN x TEXT;\n", "SELECT 1;\n")
    original = snapshot(shop)
    db_before = database_state(shop / "db/shop.db")
    code, out = invoke("apply", str(shop), "--yes", *FIXES)
    assert code == 1
    assert "no_such_table" in out and "rolled back" in out
    assert_as_before(shop, original, db_before)


def test_a_report_written_with_o_is_readable_by_others(tmp_path: Path) -> None:
    import os
    import stat

    shop = copy_shop(tmp_path)
    out = tmp_path / "report.json"
    old = os.umask(0o022)
    try:
        res = run_cli("check", str(shop), "--env", "production", "-f", "json", "-o", str(out))
    finally:
        os.umask(old)
    assert res.returncode == 1 and out.is_file()
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_wording_follows_the_reference_used(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    out = run_cli("env", "diff", str(shop), "--env", "production", "--reference", "staging").stdout
    assert "staging does not have it" in out and "web's staging env file" in out
    assert "the example" not in out and "example file" not in out
