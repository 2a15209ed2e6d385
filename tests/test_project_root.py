"""The project is the repository the working folder belongs to, and only that repository: a nested
checkout (its own .git or parity.toml) is another project, whose env files parity never reads."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_cli

from parity.project import discover, project_root


def _repo(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    api = root / "services" / "api"
    api.mkdir(parents=True)
    (api / ".env.example").write_text("LOG_LEVEL=info\n")
    (api / ".env.production").write_text("LOG_LEVEL=info\n")
    return root


def test_the_working_folder_walks_up_to_the_repository(tmp_path: Path) -> None:
    root = _repo(tmp_path / "shop")
    deep = root / "services" / "api"
    assert project_root(deep) == root.resolve()
    res = run_cli("check", "--env", "production", "--format", "json", cwd=deep)
    report = json.loads(res.stdout)
    assert Path(report["project"]).name == "shop" or report["project"] == "shop", report["project"]
    assert res.returncode == 0


def test_a_nested_checkout_is_not_part_of_the_project(tmp_path: Path) -> None:
    root = _repo(tmp_path / "work")
    other = root / "vendor-checkout" / "billing"
    other.mkdir(parents=True)
    (root / "vendor-checkout" / ".git").mkdir()
    # Another project's production env names a real-looking database: never read, never connected.
    (other / ".env.production").write_text("DATABASE_URL=mysql://root:pw@db.billing.internal:3306/billing\n")
    (other / ".env.example").write_text("DATABASE_URL=\n")
    (root / "tools" / "sub").mkdir(parents=True)
    (root / "tools" / "parity.toml").write_text("")
    (root / "tools" / "sub" / ".env.production").write_text("X=1\n")
    project = discover(root)
    assert [s.name for s in project.services] == ["api"]
    res = run_cli("check", str(root), "--env", "production", "--format", "json")
    assert "db.billing.internal" not in res.stdout and "billing" not in res.stdout


def test_a_folder_that_holds_no_project_says_what_was_looked_for(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    res = run_cli("check", str(empty))
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and ".env.example" in res.stderr and "compose" in res.stderr


def test_why_without_a_path_answers_for_the_project_the_folder_belongs_to(tmp_path: Path) -> None:
    import shutil

    shop = tmp_path / "shop"
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples" / "shop", shop)
    res = run_cli("why", "export_orders", "--env", "production", cwd=shop / "services" / "api" / "app")
    assert "FEATURE_ENABLE_EXPORTS" in res.stdout and "verdict: BLOCKED" in res.stdout, (
        res.stdout + res.stderr
    )
    lost = tmp_path / "elsewhere"
    lost.mkdir()
    res = run_cli("why", "export_orders", cwd=lost)
    assert res.returncode == 2 and res.stderr.startswith("parity: error:") and res.stderr.count("\n") == 1
