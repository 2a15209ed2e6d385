"""Hostile-repository corpus, secrets: no planted secret (see secrets_corpus.PLANTED) appears in
any format of any command, in an error line, in smoke output, or in a file parity writes
outside ``.parity/backups/``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from secrets_corpus import SET_VALUE, build, leaks
from typer.testing import CliRunner

from helpers import run_cli, snapshot
from parity.cli.app import app

runner = CliRunner()
FORMATS = ("text", "json", "markdown", "sarif")

# (name, arguments after the project path is put in place of "{root}")
COMMANDS = {
    "check": ["check", "{root}", "--env", "production"],
    "check --smoke": ["check", "{root}", "--env", "production", "--smoke"],
    "env diff": ["env", "diff", "{root}", "--all"],
    "env diff --reference staging": ["env", "diff", "{root}", "--reference", "staging", "--all"],
    "env diff --env staging": ["env", "diff", "{root}", "--env", "staging", "--all"],
    "flags": ["flags", "{root}"],
    "why": ["why", "export_orders", "{root}"],
    "env sync (dry run)": ["env", "sync", "{root}", "--set", f"DB_PASS={SET_VALUE}"],
    "env consolidate (dry run)": ["env", "consolidate", "{root}"],
    "plan": ["plan", "{root}", "--set", f"DB_PASS={SET_VALUE}"],
    "migrate new --dry-run": ["migrate", "new", "add_exports", "{root}", "--dry-run"],
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("hostile") / "app")


def invoke(args: list[str], root: Path) -> tuple[int, str]:
    result = runner.invoke(app, [a.replace("{root}", str(root)) for a in args])
    return result.exit_code, result.stdout + result.stderr


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_no_planted_secret_in_any_output(hostile: Path, command: str, fmt: str) -> None:
    before = snapshot(hostile)
    code, out = invoke([*COMMANDS[command], "--format", fmt], hostile)
    assert code in (0, 1), out  # the command ran (2 would be bad input, anything else a crash)
    assert leaks(out) == []
    if fmt in ("json", "sarif"):
        json.loads(out)
    assert snapshot(hostile) == before  # dry runs and reports change no file of the project


def test_the_report_shows_fingerprints_where_the_values_were(hostile: Path) -> None:
    # The masking is visible, not a silent drop: values become fingerprints.
    _, out = invoke(["check", "{root}", "--smoke", "--format", "json"], hostile)
    data = json.loads(out)
    smoke_rows = [
        row for s in data["sections"] for t in s["tables"] for row in t["rows"] if row[0].startswith("smoke:")
    ]
    assert len(smoke_rows) == 3
    env_line = next(r[2] for r in smoke_rows if "env to stdout" in r[0])
    assert "DB_PASS=hmac:" in env_line and "BILLING_ACCOUNT=hmac:" in env_line  # a Secret, innocent key
    assert "FEATURE_ENABLE_EXPORTS=false" in env_line  # a switch stays readable


def test_real_entry_point_and_output_file(hostile: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.sarif"
    done = run_cli("check", str(hostile), "--smoke", "--format", "sarif", "--output", str(report))
    assert done.returncode == 1, done.stderr
    assert leaks(done.stdout + done.stderr) == []
    assert leaks(report.read_text(encoding="utf-8")) == []
    json.loads(report.read_text(encoding="utf-8"))


def _written_outside_backups(root: Path, before: dict[str, str]) -> dict[str, str]:
    """Every file under ``root`` that is new or changed since ``before`` (env files excepted:
    they hold the user's secrets by design), except parity's backups."""
    out = {}
    now = snapshot(root)
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if not p.is_file() or rel.startswith(".parity/backups/") or "__pycache__" in p.parts:
            continue
        if p.name.startswith(".env") and rel in before:
            continue
        text = p.read_bytes().decode("utf-8", "replace")
        if rel not in before or rel.startswith(".parity/") or now.get(rel) != before[rel]:
            out[rel] = text
    return out


def test_files_parity_writes_hold_no_secret(tmp_path: Path) -> None:
    root = build(tmp_path / "app")
    before = snapshot(root)
    assert run_cli("migrate", "new", "add_exports", str(root)).returncode == 0
    apply = run_cli(
        "apply",
        str(root),
        "--yes",
        "--set",
        "DB_PW2=newFAKEpw",
        "--set",
        f"DB_PASS={SET_VALUE}",
        "--format",
        "json",
    )
    assert apply.returncode in (0, 1), apply.stderr
    assert leaks(apply.stdout + apply.stderr) == []
    assert "newFAKEpw" not in apply.stdout  # DB_PW2 holds a secret in staging: a secret key here too
    written = _written_outside_backups(root, before)
    assert any(rel.startswith("migrations/") for rel in written)  # the run really wrote files
    assert any(rel.startswith(".parity/runs/") for rel in written)
    for rel, text in written.items():
        assert leaks(text) == [], rel
        assert "newFAKEpw" not in text, rel


@pytest.mark.parametrize(
    "args",
    [
        ["schema", "diff", "{root}", "--db", "postgresql://app:p@ss/w0rd-FAKE@127.0.0.1:1/app"],
        [
            "migrate",
            "new",
            "x",
            "{root}",
            "--dry-run",
            "--db",
            "postgresql://127.0.0.1:1/a?password=qpFAKEsecret77",
        ],
        ["migrate", "plan", "{root}", "--db", "mysql://app:p@ss/w0rd-FAKE@127.0.0.1:1/app"],
    ],
    ids=["schema diff", "migrate new", "migrate plan"],
)
def test_error_lines_hide_the_password(hostile: Path, args: list[str]) -> None:
    code, out = invoke(args, hostile)
    assert code == 2
    assert out.startswith("parity: error: ") and out.count("\n") == 1, out  # one clear line
    assert leaks(out) == []
    assert "127.0.0.1:1" in out  # the rest of the URL stays readable


def test_migrate_status_note_hides_the_password(hostile: Path) -> None:
    url = "postgresql://127.0.0.1:1/app?password=qpFAKEsecret77&sslmode=disable"
    for fmt in FORMATS:
        code, out = invoke(["migrate", "status", "{root}", "--db", url, "--format", fmt], hostile)
        assert code in (0, 1), out
        assert leaks(out) == []
        assert fmt == "sarif" or "sslmode=disable" in out  # sarif carries findings only


def test_schema_diff_formats(hostile: Path) -> None:
    for fmt in ("text", "json", "sql"):
        code, out = invoke(["schema", "diff", "{root}", "--format", fmt], hostile)
        assert code in (0, 1), out
        assert leaks(out) == []
