"""``--set SERVICE:KEY=VALUE`` for a service compose configures lands where the runtime reads it.

Found on mealie (bench/realapps/mealie.md): its compose service sets everything in
``environment:`` and loads no env file; ``apply --set mealie:API_PORT=9000`` wrote a new
``docker/.env.production`` nothing loads, and its own verification then failed on API_PORT."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cli

CODE = 'import os\n\nPORT = os.environ["API_PORT"]\nLEVEL = os.environ["LOG_LEVEL"]\n'


def _project(root: Path, compose_env: str) -> Path:
    files = {
        "app/main.py": CODE,
        "docker/Dockerfile": 'FROM python:3.12\nCOPY app /app\nCMD ["python", "/app/main.py"]\n',
        "docker/docker-compose.yml": (
            "services:\n  web:\n    build:\n      context: ..\n      dockerfile: ./docker/Dockerfile\n"
            + compose_env
        ),
        ".env.production": "LOG_LEVEL=info\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_a_service_whose_env_only_compose_declares_gets_no_env_file_written(tmp_path: Path) -> None:
    root = _project(tmp_path, "    environment:\n      LOG_LEVEL: info\n")
    proc = run_cli("env", "sync", str(root), "--env", "production", "--set", "web:API_PORT=9000", "--apply")
    out = proc.stdout + proc.stderr
    assert "--set web:API_PORT: no env file of web is read at run time" in out
    assert "environment at docker/docker-compose.yml:2" in out
    assert not (root / "docker" / ".env.production").exists()
    assert (root / ".env.production").read_text() == "LOG_LEVEL=info\n"


def test_a_service_with_an_env_file_gets_the_key_in_that_file(tmp_path: Path) -> None:
    root = _project(tmp_path, "    env_file:\n      - ../config/production.env\n")
    (root / "config").mkdir()
    (root / "config" / "production.env").write_text("LOG_LEVEL=info\n")
    proc = run_cli("env", "sync", str(root), "--env", "production", "--set", "web:EXTRA_FLAG=1", "--apply")
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    assert "EXTRA_FLAG=1" in (root / "config" / "production.env").read_text()
    assert not (root / "docker" / ".env.production").exists()
