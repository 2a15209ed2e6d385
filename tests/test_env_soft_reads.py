"""A key production lacks is judged by how the code reads it and what the example says: shaped
after documenso, whose example lists optional provider keys empty (``NEXT_PRIVATE_SES_REGION=""``)
that the code reads as possibly undefined, beside keys it must have."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_cli


def test_severity_follows_the_reads_and_the_example(tmp_path: Path) -> None:
    api = tmp_path / "services" / "api"
    api.mkdir(parents=True)
    (api / "app.py").write_text(
        "import os\n\n"
        'REGION = os.getenv("SES_REGION")  # None when unset: the provider is off\n'
        'CDN = os.getenv("CDN_HOST")\n'
        'SECRET = os.environ["SIGNING_SECRET"]  # raises when unset\n'
    )
    (api / ".env.example").write_text('SES_REGION=""\nCDN_HOST=cdn.example.test\nSIGNING_SECRET=\n')
    (api / ".env.production").write_text("# nothing set yet\n")
    out = run_cli("check", str(tmp_path), "--env", "production", "--format", "json").stdout
    env = next(s for s in json.loads(out)["sections"] if s["id"] == "env")
    sev = {f["key"]: f["severity"] for f in env["findings"] if f["code"] == "ENV001"}
    # Empty in the example, read as None: production behaves as the example does.
    assert sev["SES_REGION"] == "info"
    # The example gives a value: production lacking it differs from the example, still a gap.
    assert sev["CDN_HOST"] == "error"
    # Read so that it raises: an error, whatever the example leaves.
    assert sev["SIGNING_SECRET"] == "error"


def test_a_placeholder_in_the_example_is_no_value_production_lacks(tmp_path: Path) -> None:
    """huginn's example gives ``AWS_ACCESS_KEY_ID="your aws access key id"`` for an optional
    integration its code reads as possibly nil; a real value there is a gap when missing."""
    api = tmp_path / "services" / "api"
    api.mkdir(parents=True)
    (api / "app.rb").write_text(
        "RTurk.setup(ENV['AWS_ACCESS_KEY_ID'], ENV['AWS_REGION'])\nKEY = ENV.fetch('SIGNING_KEY')\n"
    )
    (api / ".env.example").write_text(
        'AWS_ACCESS_KEY_ID="your aws access key id"\nAWS_REGION=eu-west-1\nSIGNING_KEY=change-me\n'
    )
    (api / ".env.production").write_text("# nothing set yet\n")
    out = run_cli("check", str(tmp_path), "--env", "production", "--format", "json").stdout
    env = next(s for s in json.loads(out)["sections"] if s["id"] == "env")
    sev = {f["key"]: f["severity"] for f in env["findings"] if f["code"] == "ENV001"}
    assert sev["AWS_ACCESS_KEY_ID"] == "info"
    assert sev["AWS_REGION"] == "error"
    # A placeholder does not excuse a read that raises.
    assert sev["SIGNING_KEY"] == "error"


def test_a_key_compose_interpolates_is_not_stale(tmp_path: Path) -> None:
    """full-stack-fastapi-template: ``.env.production`` is compose's ``--env-file``; its
    POSTGRES_PASSWORD is read by compose (inside the backend's DATABASE_URL), never by the code."""
    backend = tmp_path / "backend"
    backend.mkdir()
    (backend / "app.py").write_text('import os\nURL = os.environ["DATABASE_URL"]\n')
    (backend / "Dockerfile").write_text('FROM python:3.12-slim\nCOPY . /app\nCMD ["python", "/app/app.py"]\n')
    (tmp_path / "compose.yml").write_text(
        "services:\n"
        "  backend:\n"
        "    build: ./backend\n"
        "    environment:\n"
        "      DATABASE_URL: postgresql://app:${POSTGRES_PASSWORD:?not set}@db:5432/app\n"
    )
    (tmp_path / ".env.example").write_text("DATABASE_URL=postgresql://app:pw@db/app\n")
    (tmp_path / ".env.production").write_text("POSTGRES_PASSWORD=fake-password\nLEFTOVER_KEY=1\n")
    out = run_cli("check", str(tmp_path), "--env", "production", "--format", "json").stdout
    stale = {f["key"] for s in json.loads(out)["sections"] for f in s["findings"] if f["code"] == "ENV003"}
    assert "POSTGRES_PASSWORD" not in stale
    # A key nothing reads is still stale.
    assert "LEFTOVER_KEY" in stale
