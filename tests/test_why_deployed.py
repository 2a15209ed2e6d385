"""`parity why SYMBOL --deployed REF`: the code half of the principle, on a real git history built
here. The flag was added before the deployed tag, the function after it: no switch can show code
that is not deployed, and parity says so before any switch talk."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import git, run_cli


def _history(root: Path) -> Path:
    api = root / "services" / "api"
    api.mkdir(parents=True)
    (api / ".env.example").write_text("FEATURE_REPORTS=false\n")
    (api / ".env.production").write_text("FEATURE_REPORTS=true\n")
    main = api / "main.py"
    main.write_text(
        "import os\n\nREPORTS = os.environ.get('FEATURE_REPORTS', 'false') == 'true'\n\n\n"
        "def home():\n    return 'ok'\n\n\n"
        "if __name__ == '__main__':\n    home()\n"
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the flag")
    git(root, "tag", "v1")
    main.write_text(
        main.read_text().replace(
            "if __name__ == '__main__':\n    home()\n",
            "def monthly_report():\n    return 'report'\n\n\n"
            "if __name__ == '__main__':\n    home()\n    if REPORTS:\n        monthly_report()\n",
        )
    )
    git(root, "commit", "-q", "-am", "monthly report behind the flag")
    return root


def test_code_added_after_the_deployed_tag_is_not_there(tmp_path: Path) -> None:
    root = _history(tmp_path / "app")
    res = run_cli("why", "monthly_report", str(root), "--env", "production", "--deployed", "v1")
    assert res.returncode == 1
    first = res.stdout.splitlines()[0]
    assert first.startswith("the code is not there: v1") and "deploy first" in first
    assert "verdict: NOT DEPLOYED" in res.stdout


def test_code_in_the_deployed_commit_goes_on_to_the_switch(tmp_path: Path) -> None:
    root = _history(tmp_path / "app")
    head = git(root, "rev-parse", "HEAD").strip()
    (root / "DEPLOYED").write_text(head + "\n")
    git(root, "add", "DEPLOYED")
    git(root, "commit", "-q", "-m", "record the deploy")
    res = run_cli("why", "monthly_report", str(root), "--env", "production", "--deployed", "DEPLOYED")
    assert res.stdout.splitlines()[0].startswith("the code is there: DEPLOYED"), res.stdout
    assert "NOT DEPLOYED" not in res.stdout and "why monthly_report" in res.stdout
    # The flag predates the tag: deployed code of v1 holds it, and the function that used to exist.
    assert run_cli("why", "home", str(root), "--deployed", "v1").stdout.startswith("the code is there")


def test_an_unknown_ref_or_no_history_is_one_clear_line(tmp_path: Path) -> None:
    root = _history(tmp_path / "app")
    res = run_cli("why", "monthly_report", str(root), "--deployed", "v9")
    assert res.returncode == 2 and "v9: no such commit" in res.stderr and res.stderr.count("\n") == 1
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "parity.toml").write_text("")
    src = plain / "svc"
    src.mkdir()
    (src / ".env.example").write_text("A=1\n")
    (src / "app.py").write_text("def job():\n    pass\n")
    res = run_cli("why", "job", str(plain), "--deployed", "v1")
    assert res.returncode == 2 and "git history" in res.stderr


def test_a_typescript_job_and_a_go_method_added_after_the_tag(tmp_path: Path) -> None:
    root = tmp_path / "app"
    web = root / "services" / "web"
    (web / "src").mkdir(parents=True)
    (web / ".env.production").write_text("REPORTS_ENABLED=true\n")
    jobs = web / "src" / "jobs.ts"
    jobs.write_text("export const home = async () => 'ok';\napp.get('/', home);\n")
    shop = root / "services" / "shop"
    shop.mkdir(parents=True)
    (shop / ".env.production").write_text("PORT=8080\n")
    main = shop / "main.go"
    main.write_text(
        "package main\n\ntype shop struct{}\n\nfunc main() {\n\tpb.RegisterShopServer(srv, &shop{})\n}\n"
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the services")
    git(root, "tag", "v1")
    jobs.write_text(
        jobs.read_text()
        + "export const monthlyReport = async () => {\n"
        + "  if (process.env.REPORTS_ENABLED !== 'true') {\n    return;\n  }\n  await send();\n};\n"
        + "new Worker('reports', monthlyReport);\n"
    )
    main.write_text(main.read_text() + "\nfunc (s *shop) Refund(ctx context.Context) error { return nil }\n")
    git(root, "commit", "-q", "-am", "monthly report job and refunds")
    for symbol in ("monthlyReport", "shop.Refund"):
        res = run_cli("why", symbol, str(root), "--env", "production", "--deployed", "v1")
        assert res.returncode == 1, res.stdout + res.stderr
        assert res.stdout.startswith("the code is not there: v1"), res.stdout
        assert "verdict: NOT DEPLOYED (then: REACHABLE)" in res.stdout
    res = run_cli("why", "monthlyReport", str(root), "--env", "production", "--deployed", "HEAD")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "verdict: REACHABLE" in res.stdout
