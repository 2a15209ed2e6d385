"""sync → consolidate → rollback on a copy of examples/shop, through the real CLI."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from tests.helpers import SHOP_SECRETS, SHOP_SETS, copy_shop, snapshot
from typer.testing import CliRunner

from parity.cli.app import app
from parity.env.consolidate import plan_consolidation
from parity.env.layers import EnvFiles, all_effective
from parity.facts import env_files
from parity.workflow.envflow import load_project

runner = CliRunner()

SETS = ["--set", "FEATURE_ENABLE_EXPORTS=true", *SHOP_SETS]


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    before = snapshot(shop)
    code, out = invoke("env", "sync", str(shop), *SETS)
    assert code == 1  # the gaps are still there
    assert "dry run" in out
    assert "+FEATURE_ENABLE_EXPORTS=true" in out
    assert snapshot(shop) == before
    # Only the fingerprint key may appear (no backup, no run record): a dry run writes nothing else.
    kept = {p.name for p in (shop / ".parity").iterdir()} if (shop / ".parity").exists() else set()
    assert kept <= {".gitignore", "fingerprint-salt"}


def test_sync_consolidate_pass_then_rollback_restores_bytes(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    original = snapshot(shop)
    mode_before = stat.S_IMODE((shop / "services/api/.env.production").stat().st_mode)
    os.chmod(shop / "services/api/.env.production", 0o600)

    code, out = invoke("env", "diff", str(shop))
    assert code == 1 and out.rstrip().endswith("FAIL")

    code, out = invoke("env", "sync", str(shop), "--apply", *SETS)
    assert code == 0, out
    api = (shop / "services/api/.env.production").read_text()
    assert "FEATURE_ENABLE_EXPORTS=true\n" in api
    assert (
        'export API_SECRET_KEY="prod-FAKE-a1b2c3d4e5f6a7b8c9d0"  # rotated quarterly\n' in api
    )  # untouched line
    assert stat.S_IMODE((shop / "services/api/.env.production").stat().st_mode) == 0o600  # mode kept
    backups = sorted((shop / ".parity/backups").iterdir())
    assert len(backups) == 1 and (shop / ".parity/.gitignore").read_text().strip().endswith("*")
    manifest = json.loads((backups[0] / "manifest.json").read_text())
    assert "services/worker/.env.production" in manifest["files"]

    project, env = load_project(shop, "production")
    before = {k: v.as_dict() for k, v in all_effective(project, env, env_files(project)).items()}
    code, out = invoke("env", "consolidate", str(shop), "--apply")
    assert code == 0, out
    project, env = load_project(shop, "production")
    after = {k: v.as_dict() for k, v in all_effective(project, env, env_files(project)).items()}
    assert after == before  # consolidation never changes what a service sees
    assert "LOG_LEVEL=info" in (shop / ".env.production").read_text()
    assert "LOG_LEVEL" not in (shop / "services/web/.env.production").read_text()

    code, out = invoke("env", "diff", str(shop))
    assert code == 0 and out.rstrip().splitlines()[-1] == "PASS", out

    # Two writes, two rollbacks: every byte is back.
    assert invoke("env", "rollback", str(shop))[0] == 0
    assert invoke("env", "rollback", str(shop))[0] == 0
    os.chmod(shop / "services/api/.env.production", mode_before)
    assert snapshot(shop) == original
    code, out = invoke("env", "rollback", str(shop))
    assert code == 2 and "no backup" in out


def test_conflicting_duplicates_block_the_file_until_resolved(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    worker = shop / "services/worker/.env.production"
    before = worker.read_bytes()
    code, out = invoke("env", "sync", str(shop), "--apply", "--set", "QUEUE_URL=redis://q.example.invalid/0")
    assert code == 1 and worker.read_bytes() == before
    assert "MAX_RETRIES defined more than once" in out and "--set MAX_RETRIES=VALUE" in out
    _code, out = invoke(
        "env",
        "sync",
        str(shop),
        "--apply",
        "--set",
        "QUEUE_URL=redis://q.example.invalid/0",
        "--set",
        "MAX_RETRIES=5",
    )
    text = worker.read_text()
    assert "MAX_RETRIES=3" not in text.replace("# parity", "")
    assert "# parity: superseded by line 6: MAX_RETRIES=5" in text


def test_missing_key_without_safe_default_is_written_empty_and_still_fails(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    (shop / "services/web/.env.example").write_text(
        (shop / "services/web/.env.example").read_text() + "STRIPE_SECRET_KEY=sk_test_FAKE\n"
    )
    # The web code uses it (a key the example lists that no code reads would only be a note).
    config = shop / "services/web/src/config.js"
    config.write_text(config.read_text() + "export const stripeKey = process.env.STRIPE_SECRET_KEY;\n")
    code, out = invoke("env", "sync", str(shop), "--apply", *SETS)
    web = (shop / "services/web/.env.production").read_text()
    assert "# parity: STRIPE_SECRET_KEY needs a value for production" in web
    assert "STRIPE_SECRET_KEY=\n" in web  # the example's secret is never copied
    assert code == 1 and "ENV002" in out


def test_staging_secret_never_reaches_production(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    web_prod = shop / "services/web/.env.production"
    web_prod.write_text(
        "\n".join(line for line in web_prod.read_text().splitlines() if "SESSION_SECRET" not in line) + "\n"
    )
    invoke("env", "sync", str(shop), "--apply", "--env", "production", *SETS)
    text = web_prod.read_text()
    assert "stg-FAKE" not in text
    assert "SESSION_SECRET=\n" in text


def test_consolidation_refuses_a_move_that_changes_interpolation(tmp_path: Path) -> None:
    for svc, host in (("a", "a-db"), ("b", "b-db")):
        d = tmp_path / svc
        d.mkdir()
        (d / ".env.example").write_text("HOST=\nURL=\n")
        (d / ".env.production").write_text(f"HOST={host}\nURL=postgres://${{HOST}}/x\nSAME=1\n")
    (tmp_path / "a/.env.production").write_text("HOST=a-db\nURL=postgres://${HOST}/x\nSAME=1\nREF=${HOST}\n")
    (tmp_path / "b/.env.production").write_text("HOST=b-db\nURL=postgres://${HOST}/x\nSAME=1\nREF=${HOST}\n")
    project, env = load_project(tmp_path, "production")
    cp = plan_consolidation(project, env, EnvFiles())
    assert cp.moved == ("SAME",)
    assert {c.key for c in cp.conflicts} >= {"HOST", "URL", "REF"}


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "sarif"])
def test_no_secret_in_any_format(tmp_path: Path, fmt: str) -> None:
    shop = copy_shop(tmp_path)
    outputs = [
        invoke("env", "diff", str(shop), "--format", fmt, "--all")[1],
        invoke("env", "diff", str(shop), "--format", fmt, "--reference", "staging", "--all")[1],
        invoke(
            "env",
            "sync",
            str(shop),
            "--format",
            fmt,
            *SETS,
            "--set",
            "API_SECRET_KEY=prod-FAKE-new-0f9e8d7c6b5a4f3e2d1c",
        )[1],
        invoke("env", "consolidate", str(shop), "--format", fmt)[1],
    ]
    for out in outputs:
        assert out.strip()
        for secret in (*SHOP_SECRETS, "prod-FAKE-new-0f9e8d7c6b5a4f3e2d1c"):
            assert secret not in out
    if fmt in ("json", "sarif"):
        for out in outputs:
            json.loads(out)
    if fmt != "sarif":  # sarif carries findings only, no value tables
        assert "hmac:" in outputs[0]  # secrets are shown as fingerprints


def test_relative_sqlite_path_resolves_against_the_service_even_after_consolidation(tmp_path: Path) -> None:
    from parity.schema.discover import find_database_url

    for svc in ("a", "b"):
        d = tmp_path / "services" / svc
        d.mkdir(parents=True)
        (d / ".env.example").write_text("DATABASE_URL=\n")
        (d / ".env.production").write_text("DATABASE_URL=sqlite:///../../db/app.db\n")
    project, env = load_project(tmp_path, "production")
    before = find_database_url(project, env).url
    assert before == f"sqlite:///{tmp_path / 'db/app.db'}"
    assert invoke("env", "consolidate", str(tmp_path), "--apply")[0] == 0
    assert "DATABASE_URL" in (tmp_path / ".env.production").read_text()
    project, env = load_project(tmp_path, "production")
    assert find_database_url(project, env).url == before


def test_init_writes_discovered_config_and_refuses_to_overwrite(tmp_path: Path) -> None:
    from parity.config import load_config

    shop = copy_shop(tmp_path)
    (shop / "parity.toml").unlink()
    code, out = invoke("init", str(shop))
    assert code == 0, out
    config, path = load_config(shop)
    assert path == shop / "parity.toml"
    # The compose queue runs a published image given no env: listed, with nothing to check.
    assert set(config.services) == {"api", "web", "worker", "queue"}
    assert config.services["queue"].image_only and not config.services["api"].image_only
    assert config.services["api"].path == "services/api"
    assert config.environments == ["staging", "production"]
    code, out = invoke("init", str(shop))
    assert code == 2 and "exists" in out
    # The written config drives discovery to the same result.
    project, _ = load_project(shop, "production")
    assert [s.name for s in project.services] == ["api", "web", "worker"]
    assert project.idle == ("queue",)
