"""`parity check --deployed REF`: what main added since the deployed commit that production must
be ready for, on a real git history built here. Shaped after an app that ships a feature behind a
new flag with a new required setting and a migration, while older keys stay as they were."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import git, run_cli


def _history(root: Path) -> Path:
    api = root / "services" / "api"
    (api / "migrations").mkdir(parents=True)
    (api / ".env.example").write_text("DATABASE_URL=sqlite:///app.db\nFEATURE_REPORTS=false\n")
    (api / ".env.production").write_text("DATABASE_URL=sqlite:///prod.db\nFEATURE_REPORTS=true\n")
    (api / "migrations" / "0001_init.sql").write_text("CREATE TABLE t (id integer primary key);\n")
    main = api / "main.py"
    main.write_text(
        "import os\n\nDB = os.environ['DATABASE_URL']\n"
        "REPORTS = os.environ.get('FEATURE_REPORTS', 'false') == 'true'\n"
    )
    (api / "util.py").write_text("import os\n\nREGION = os.getenv('REGION', 'eu')\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "deployed")
    git(root, "tag", "v1")
    # Main since: a flag and a required key for exports, an optional key, a migration; REGION's
    # read moves to another file (not new); util.py keeps reading it too.
    main.write_text(
        main.read_text()
        + "EXPORTS = os.environ.get('FEATURE_EXPORTS', 'false') == 'true'\n"
        + "BUCKET = os.environ['EXPORTS_BUCKET']\n"
        + "PAGE = int(os.getenv('EXPORTS_PAGE_SIZE', '50'))\n"
        + "REGION = os.getenv('REGION', 'eu')\n"
    )
    (api / "migrations" / "0002_exports.sql").write_text("ALTER TABLE t ADD COLUMN exported_at text;\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "exports")
    return root


def _deployed_section(root: Path, ref: str) -> tuple[dict[str, dict[str, object]], list[str], int]:
    r = run_cli("check", str(root), "--env", "production", "--deployed", ref, "--format", "json")
    report = json.loads(r.stdout)
    (section,) = [s for s in report["sections"] if s["id"] == "deployed"]
    found = {str(f["key"] or f["file"]): f for f in section["findings"]}
    return found, section["notes"], r.returncode


def test_check_deployed_lists_what_main_added_since(tmp_path: Path) -> None:
    root = _history(tmp_path)
    found, notes, rc = _deployed_section(root, "v1")
    assert set(found) == {
        "FEATURE_EXPORTS",
        "EXPORTS_BUCKET",
        "EXPORTS_PAGE_SIZE",
        "services/api/migrations/0002_exports.sql",
    }
    assert found["EXPORTS_BUCKET"]["code"] == "DEP001" and found["EXPORTS_BUCKET"]["severity"] == "warning"
    assert "lacks it in api: set it before deploying" in str(found["EXPORTS_BUCKET"]["message"])
    assert found["EXPORTS_PAGE_SIZE"]["severity"] == "info"  # the new read has a default
    assert "every new read copes without it" in str(found["EXPORTS_PAGE_SIZE"]["message"])
    assert found["EXPORTS_PAGE_SIZE"]["fix"] is None
    flag = found["FEATURE_EXPORTS"]
    assert (
        flag["code"] == "DEP002" and "api unset" in str(flag["message"]) and "'false'" in str(flag["message"])
    )
    assert found["services/api/migrations/0002_exports.sql"]["code"] == "DEP003"
    assert "v1" in notes[0] and "2 files changed since" in notes[0]
    assert rc == 1  # EXPORTS_BUCKET is a production gap on its own (FLG004) as well


def test_check_deployed_at_head_has_nothing_new_and_a_bad_ref_is_a_clear_error(tmp_path: Path) -> None:
    root = _history(tmp_path)
    head = git(root, "rev-parse", "HEAD").strip()
    found, notes, _rc = _deployed_section(root, head)
    assert found == {}
    assert "0 files changed" in notes[0]
    r = run_cli("check", str(root), "--env", "production", "--deployed", "v9")
    assert r.returncode == 2
    assert "--deployed v9: no such commit, tag or branch" in r.stderr


def test_the_deployed_commit_can_be_recorded_in_parity_toml(tmp_path: Path) -> None:
    root = _history(tmp_path)
    (root / "deploy").mkdir()
    (root / "deploy" / "production.ref").write_text(git(root, "rev-parse", "v1"))
    (root / "parity.toml").write_text('[deployed]\nproduction = "deploy/production.ref"\n')
    r = run_cli("check", str(root), "--env", "production", "--format", "json")
    (section,) = [s for s in json.loads(r.stdout)["sections"] if s["id"] == "deployed"]
    assert {f["key"] for f in section["findings"] if f["code"] == "DEP001"} == {
        "EXPORTS_BUCKET",
        "EXPORTS_PAGE_SIZE",
    }
    (root / "services" / "api" / ".env.staging").write_text("DATABASE_URL=sqlite:///staging.db\n")
    staging = run_cli("check", str(root), "--env", "staging", "--format", "json")
    assert not [s for s in json.loads(staging.stdout)["sections"] if s["id"] == "deployed"]
