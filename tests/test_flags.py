"""`parity flags` and the audit behind it, on a copy of examples/shop and on small planted projects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import SHOP_SECRETS, copy_shop, run_cli
from parity.cli.app import app
from parity.code.audit import audit, build_flags_section, classify, keys_read_by_code
from parity.errors import ParityError
from parity.project import discover

runner = CliRunner()


def codes(section: object) -> set[tuple[str, str | None]]:
    return {(f.code, f.key) for f in section.findings}  # type: ignore[attr-defined]


def test_shop_planted_flag_and_missing_key_then_fixed_by_env_sync(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    section = build_flags_section(discover(shop), "production")
    by_code = {(f.code, f.key): f for f in section.findings}

    flag = by_code[("FLG002", "FEATURE_ENABLE_EXPORTS")]
    assert flag.severity == "error" and flag.service == "api"
    assert "is unset in services/api (production), true in staging" in flag.message
    assert (
        "the code default 'false' decides, so the feature is off in production but on in staging"
        in flag.message
    )
    assert flag.fix == "set FEATURE_ENABLE_EXPORTS=true in services/api/.env.production"
    assert (flag.file, flag.line) == ("services/api/app/main.py", 17)

    bucket = by_code[("FLG004", "EXPORTS_BUCKET")]
    assert bucket.severity == "error" and bucket.service == "api"
    assert (bucket.file, bucket.line) == ("services/api/app/exports.py", 10)
    assert "it raises at run time" in bucket.message
    # The worker reads EXPORTS_BUCKET with a default and has it: no finding for the worker.
    assert not any(f.key == "EXPORTS_BUCKET" and f.service == "worker" for f in section.findings)

    assert ("FLG005", "QUEUE_URL") in by_code  # set but empty in worker production
    assert ("FLG006", "OLD_ANALYTICS_ID") in by_code  # stale
    matrix = {row[:2]: row[2:4] for row in section.tables[0].rows}
    assert matrix[("FEATURE_ENABLE_EXPORTS", "api")] == ("true", "unset")
    assert section.failed

    cli = run_cli("flags", str(shop), "--env", "production")
    assert cli.returncode == 1, cli.stderr
    assert "FLG002" in cli.stdout and "FEATURE_ENABLE_EXPORTS" in cli.stdout

    sync = run_cli(
        "env", "sync", str(shop), "--env", "production", "--apply",
        "--set", "api:FEATURE_ENABLE_EXPORTS=true", "--set", "api:EXPORTS_BUCKET=shop-exports-prod",
    )  # fmt: skip
    assert sync.returncode in (0, 1), sync.stderr
    after = build_flags_section(discover(shop), "production")
    assert not {("FLG002", "FEATURE_ENABLE_EXPORTS"), ("FLG004", "EXPORTS_BUCKET")} & codes(after)
    # On in staging and production now: ready to remove.
    assert ("FLG007", "FEATURE_ENABLE_EXPORTS") in codes(after)
    assert not after.failed
    assert runner.invoke(app, ["flags", str(shop), "--env", "production"]).exit_code == 0


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "sarif"])
def test_no_secret_in_flags_output(tmp_path: Path, fmt: str) -> None:
    shop = copy_shop(tmp_path)
    # A required key missing in production whose staging value is a secret: the fix hint must mask it.
    api = shop / "services" / "api"
    (api / "app" / "signing.py").write_text(
        'import os\nKEY = os.environ["BILLING_TOKEN"]\n', encoding="utf-8"
    )
    with (api / ".env.staging").open("a", encoding="utf-8") as fh:
        fh.write("BILLING_TOKEN=stg-FAKE-bill-5e4d3c2b1a09f8e7\n")
    result = runner.invoke(app, ["flags", str(shop), "--format", fmt])
    assert result.exit_code == 1
    assert "BILLING_TOKEN" in result.output
    for secret in (*SHOP_SECRETS, "stg-FAKE-bill-5e4d3c2b1a09f8e7"):
        assert secret not in result.output


def make_project(tmp_path: Path, code: str, envs: dict[str, str]) -> Path:
    svc = tmp_path / "svc"
    svc.mkdir()
    (svc / "app.py").write_text(code, encoding="utf-8")
    for env, text in envs.items():
        (svc / f".env.{env}").write_text(text, encoding="utf-8")
    return tmp_path


def test_not_a_boolean_and_unset_flags(tmp_path: Path) -> None:
    code = (
        "import os\n"
        'A = os.getenv("FEATURE_A", "false")\n'
        'B = os.getenv("FF_B")\n'
        'C = os.environ.get("SEARCH_ENABLED", "0")\n'
        'D = os.getenv("FEATURE_OLD", "false")\n'
    )
    root = make_project(
        tmp_path,
        code,
        {
            "staging": "FEATURE_A=ture\nFF_B=true\nSEARCH_ENABLED=1\nFEATURE_OLD=false\n",
            "production": "FEATURE_A=yes please\nSEARCH_ENABLED=on\nFEATURE_OLD=0\n",
        },
    )
    a = audit(discover(root), "production")
    found = {(f.code, f.key, f.environment, f.severity.value) for f in a.findings}
    assert ("FLG003", "FEATURE_A", "production", "error") in found
    assert ("FLG003", "FEATURE_A", "staging", "warning") in found
    assert ("FLG002", "FF_B", "production", "error") in found
    assert ("FLG007", "SEARCH_ENABLED", "production", "info") in found
    assert ("FLG008", "FEATURE_OLD", "production", "info") in found
    assert a.matrix[("FEATURE_A", "svc")] == {"staging": "invalid", "production": "invalid"}
    assert a.matrix[("SEARCH_ENABLED", "svc")] == {"staging": "true", "production": "true"}


def test_unset_flag_says_which_default_decides(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        'import os\nON = os.getenv("FEATURE_X", "true") == "true"\n',
        {"staging": "OTHER=1\n", "production": "OTHER=1\n"},
    )
    f = next(f for f in audit(discover(root), "production").findings if f.code == "FLG001")
    # The default is a boolean the code chose: unset is the design, a note rather than a warning.
    assert f.key == "FEATURE_X" and f.severity == "info"
    assert "the code default 'true' decides: the feature is on" in f.message


def test_required_without_default_silent_none_is_a_note(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        'import os\nURL = os.getenv("UPSTREAM_URL")\nHOME = os.environ["HOME"]\nname = os.getenv(f"TENANT_{x}")\n',
        {"production": "UNUSED=1\n"},
    )
    findings = audit(discover(root), "production").findings
    got = {(f.code, f.key, f.severity.value) for f in findings}
    # os.getenv returns None by design: the code is built to cope, so a missing key is a note.
    assert ("FLG004", "UPSTREAM_URL", "info") in got
    assert not any(f.key == "HOME" for f in findings)  # a system variable, not the service's config
    assert ("FLG009", "TENANT_*", "info") in got
    assert ("FLG006", "UNUSED", "info") in got


def test_dynamic_glob_keeps_matching_keys_from_being_stale(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        'import os\ndef tenant(t):\n    return os.getenv(f"TENANT_{t}_URL", "")\n',
        {"production": "TENANT_A_URL=x\nREALLY_STALE=1\n"},
    )
    stale = {f.key for f in audit(discover(root), "production").findings if f.code == "FLG006"}
    assert stale == {"REALLY_STALE"}


def test_sdk_flags_are_listed_not_checked_against_env(tmp_path: Path) -> None:
    root = make_project(
        tmp_path, 'flag = ld.variation("new-checkout", ctx, False)\n', {"production": "A=1\n"}
    )
    section = build_flags_section(discover(root), "production")
    sdk_table = next(t for t in section.tables if "SDK" in t.title)
    assert sdk_table.rows == (("new-checkout", "LaunchDarkly variation", "svc", "False", "svc/app.py:1"),)
    assert not any(f.key == "new-checkout" for f in section.findings)


def test_keys_read_by_code(tmp_path: Path) -> None:
    keys = keys_read_by_code(discover(copy_shop(tmp_path)))
    assert {"FEATURE_ENABLE_EXPORTS", "EXPORTS_BUCKET", "QUEUE_URL", "API_BASE_URL", "SESSION_SECRET"} <= keys
    assert "OLD_ANALYTICS_ID" not in keys and "LOG_FORMAT" not in keys


def test_unknown_environment_is_a_usage_error(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    with pytest.raises(ParityError, match="no env files for environment 'qa'"):
        audit(discover(shop), "qa")
    result = runner.invoke(app, ["flags", str(shop), "--env", "qa"])
    assert result.exit_code == 2


def test_json_output_carries_matrix_and_codes(tmp_path: Path) -> None:
    result = runner.invoke(app, ["flags", str(copy_shop(tmp_path)), "--format", "json"])
    data = json.loads(result.output)
    text = json.dumps(data)
    assert "FLG002" in text and "FEATURE_ENABLE_EXPORTS" in text


@pytest.mark.parametrize(
    ("raw", "state"),
    [(None, "unset"), ("true", "true"), (" TRUE ", "true"), ("1", "true"), ("off", "false"), ("", "false"),
     ("ture", "invalid"), ("yes please", "invalid"), ('"true"', "true")],
)  # fmt: skip
def test_classify(raw: str | None, state: str) -> None:
    assert classify(raw) == state


def test_fix_points_at_the_compose_file_that_overrides_the_env_file(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        'import os\nON = os.getenv("FEATURE_BETA", "false") == "true"\n',
        {"staging": "FEATURE_BETA=true\n", "production": "FEATURE_BETA=true\n"},
    )
    (root / "compose.production.yml").write_text(
        "services:\n  svc:\n    env_file:\n      - ./svc/.env.production\n    environment:\n      - FEATURE_BETA=false\n",
        encoding="utf-8",
    )
    f = next(f for f in audit(discover(root), "production").findings if f.code == "FLG002")
    assert f.key == "FEATURE_BETA"
    assert "false in svc (production), true in staging" in f.message
    assert f.fix == "set FEATURE_BETA=true in compose.production.yml"
