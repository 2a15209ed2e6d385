"""Structured app config: nested keys flattened with their lines, per environment, bad files as findings."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from parity.project import discover
from parity.sources import collect, source_findings, writable_target


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def config_of(root: Path, environment: str = "production") -> dict[str, tuple[str, str, int]]:
    project = discover(root)
    out: dict[str, tuple[str, str, int]] = {}
    for layer in collect(project, project.service("api"), environment):
        for v in layer:
            assert v.layer == "config"
            out[v.key] = (v.value, v.file.relative_to(root).as_posix(), v.line)
    return out


def test_yaml_default_then_environment_flattened_with_lines(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "services/api/.env.production": "A=1\n",
            "services/api/config/default.yaml": """
            features:
              exports:
                enabled: false
                formats: [csv, json]
            http:
              port: 8000
            """,
            "services/api/config/prod.yml": """
            features:
              exports:
                enabled: yes
            ratio: 1.10
            empty:
            """,
        },
    )
    assert config_of(root) == {
        "features.exports.enabled": ("true", "services/api/config/prod.yml", 3),
        "features.exports.formats": ('["csv","json"]', "services/api/config/default.yaml", 4),
        "http.port": ("8000", "services/api/config/default.yaml", 6),
        "ratio": ("1.10", "services/api/config/prod.yml", 4),  # the text as written, not a float
        "empty": ("", "services/api/config/prod.yml", 5),
    }
    assert source_findings(discover(root), "production") == []
    target = writable_target(discover(root), "api", "production", "features.exports.enabled")
    assert (target.file.name, target.line, target.layer, target.env_file) == ("prod.yml", 3, "config", False)


def test_json_and_toml_settings_files(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "services/api/.env.staging": "A=1\n",
            "services/api/config/staging.json": '{\n  "features": {\n    "exports": {"enabled": true}\n  },\n  "n": 3\n}\n',
            "services/api/settings.staging.toml": """
            title = "shop"

            [features.search]
            enabled = false
            engine = { name = "pg", version = 16 }

            [[queues]]
            name = "a"
            """,
        },
    )
    assert config_of(root, "staging") == {
        "features.exports.enabled": ("true", "services/api/config/staging.json", 3),
        "n": ("3", "services/api/config/staging.json", 5),
        "title": ("shop", "services/api/settings.staging.toml", 1),
        "features.search.enabled": ("false", "services/api/settings.staging.toml", 4),
        "features.search.engine.name": ("pg", "services/api/settings.staging.toml", 5),
        "features.search.engine.version": ("16", "services/api/settings.staging.toml", 5),
        "queues": ('[{"name":"a"}]', "services/api/settings.staging.toml", 7),
    }


def test_app_config_can_be_switched_off(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "services/api/.env.production": "A=1\n",
            "services/api/config/production.yaml": "a: 1\n",
            "parity.toml": "[sources]\napp_config = false\n",
        },
    )
    assert config_of(root) == {}


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("config/production.yaml", "features:\n  exports: [\n", 3),
        ("config/production.json", '{"a": 1,,}', 1),
        ("config/production.toml", "a = 1\nb = = 2\n", 2),
        ("settings.production.yaml", "- a list at the top\n", 1),
        ("config/production.yaml", "\x00\x01binary", None),
    ],
)
def test_broken_config_is_a_finding(tmp_path: Path, name: str, text: str, line: int | None) -> None:
    root = write(tmp_path, {"services/api/.env.production": "A=1\n"})
    (root / "services/api" / name).parent.mkdir(parents=True, exist_ok=True)
    (root / "services/api" / name).write_text(text, encoding="utf-8")
    project = discover(root)
    assert collect(project, project.service("api"), "production") == ()
    (f,) = source_findings(project, "production")
    assert f.code in ("SRC001", "SRC010") and f.file == f"services/api/{name}"
    if line is not None:
        assert f.line == line
