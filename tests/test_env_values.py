"""Values a person would call wrong at a glance: placeholders as example files in the wild leave
them, a secret copied from the committed example, a boolean switch with a typo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import run_cli
from parity.env.diff import is_placeholder


@pytest.mark.parametrize(
    "value",
    [
        "changethis",  # full-stack-fastapi-template's .env
        "fixme-postgres-password",
        "---",  # healthchecks' docker/.env.example SECRET_KEY
        "generate_a_new_key",  # outline's .env.sample
        "bucket_name_here",
        "<smtp password>",
        "change-me",
        "your-secret-key",
        "changeme123",
        '"changeme"',
        "changeit",  # awesome-compose's .env files
        "yourUser",
        "your-domain.dyndns.com",
        "/media/your/plex/path",
        "192.168.178.X",
    ],
)
def test_placeholders_from_real_example_files(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize(
    "value",
    [
        "prod-password",
        "https://example.com",
        "here",
        "12345",
        "false",
        "postgres",
        "hc",
        "youtube",
        "192.168.1.10",
    ],
)
def test_real_values_are_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def findings(root: Path) -> dict[str, list[dict[str, object]]]:
    r = run_cli("env", "diff", str(root), "--env", "production", "--format", "json")
    out: dict[str, list[dict[str, object]]] = {}
    for s in json.loads(r.stdout)["sections"]:
        for f in s["findings"]:
            out.setdefault(f["code"], []).append(f)
    return out


def test_a_secret_copied_from_the_example_and_a_boolean_typo(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "api/.env.example": (
                "DATA_ENCRYPTION_KEY=data encryption key with 32 char\n"
                "REGISTRATION_OPEN=True\nLOG_LEVEL=info\nMAX_WORKERS=1\n"
            ),
            "api/.env.production": (
                "DATA_ENCRYPTION_KEY=data encryption key with 32 char\n"
                "REGISTRATION_OPEN=ture\nLOG_LEVEL=info\nMAX_WORKERS=4\n"
            ),
        },
    )
    got = findings(root)
    env008 = [f for f in got.get("ENV008", []) if f["key"] == "DATA_ENCRYPTION_KEY"]
    assert len(env008) == 1 and env008[0]["line"] == 1
    # The secret is named, never printed.
    assert "data encryption key with 32 char" not in json.dumps(got)
    (typo,) = got["ENV011"]
    assert typo["key"] == "REGISTRATION_OPEN" and typo["line"] == 2
    # The same non-secret value as the example is fine; a count is no boolean either way.
    assert not any(f["key"] in ("LOG_LEVEL", "MAX_WORKERS") for fs in got.values() for f in fs)
