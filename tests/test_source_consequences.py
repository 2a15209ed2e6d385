"""A key missing only because compose cannot build its value is the source's error, told once.

Shaped after a FastAPI template: compose builds ``DATABASE_URL`` around
``${POSTGRES_PASSWORD:?Variable not set}``, the production variables leave the password empty, and
the settings class reads ``DATABASE_URL`` without a default. The gap is the password (SRC004);
``DATABASE_URL`` missing is its consequence. ``X: ${X:?…}`` passes X itself through: that stays an
error of its own."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from helpers import run_cli

FILES = {
    "compose.yml": """
    services:
      backend:
        build: ./backend
        environment:
          DATABASE_URL: postgresql://postgres:${POSTGRES_PASSWORD:?Variable not set}@db:5432/app
          FIRST_SUPERUSER_PASSWORD: ${FIRST_SUPERUSER_PASSWORD:?Variable not set}
    """,
    ".env": "POSTGRES_PASSWORD=changethis\nFIRST_SUPERUSER_PASSWORD=changethis\n",
    ".env.production": "POSTGRES_PASSWORD=\nFIRST_SUPERUSER_PASSWORD=\n",
    "backend/app/config.py": """
    from pydantic_settings import BaseSettings

    class Settings(BaseSettings):
        DATABASE_URL: str
        FIRST_SUPERUSER_PASSWORD: str
    """,
}


def _project(root: Path) -> Path:
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def test_a_value_compose_cannot_build_is_a_note_pointing_at_the_error(tmp_path: Path) -> None:
    r = run_cli("check", "--env", "production", "--format", "json", str(_project(tmp_path)))
    findings = [f for s in json.loads(r.stdout)["sections"] for f in s["findings"]]
    src004 = {f["key"] for f in findings if f["code"] == "SRC004"}
    assert {"POSTGRES_PASSWORD", "FIRST_SUPERUSER_PASSWORD"} <= src004
    url = [f for f in findings if f["key"] == "DATABASE_URL" and f["code"] in ("ENV001", "FLG004")]
    assert url, "DATABASE_URL is still told, as a consequence"
    assert all(f["severity"] == "info" for f in url)
    assert all("compose cannot build its value at compose.yml:5" in f["message"] for f in url)
    # The passthrough's own key: its error stands.
    own = [
        f for f in findings if f["key"] == "FIRST_SUPERUSER_PASSWORD" and f["code"].startswith(("ENV", "FLG"))
    ]
    assert own and any(f["severity"] == "error" for f in own)
    assert not any("compose cannot build" in f["message"] for f in own)
    assert r.returncode == 1
