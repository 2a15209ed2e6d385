"""A compose-built service's image ENV (the Dockerfile stage compose builds) as the lowest runtime
layer: Docker's stage, ARG and ENV rules on real files, and the effective env and ``why`` that see it.
Shapes from the corpus: outline's ``ENV NODE_ENV=production``, mealie's ``ENV PRODUCTION=true``,
documenso's ``ARG X=""`` then ``ENV X="$X"`` in a runner stage built ``FROM base``."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from parity.code.why import why
from parity.env.layers import effective_env
from parity.facts import env_files
from parity.project import discover
from parity.sources import writable_target
from parity.sources.dockerfile import image_env

MULTI_STAGE = """
    ARG BASE_PATH=/srv
    FROM node:22-alpine AS base
    ENV NODE_ENV=development
    ENV A=1 B="two words" \\
        C=3
    FROM base AS builder
    ENV BUILDER_ONLY=yes
    FROM base AS runner
    ARG BASE_PATH
    ARG TELEMETRY_KEY=""
    ARG SECRET
    ENV NODE_ENV=production
    ENV STATIC=$BASE_PATH/static TELEMETRY_KEY="$TELEMETRY_KEY"
    ENV TOKEN="$SECRET"
    ENV PATH="/app/bin:$PATH"
    ENV LEGACY spaced value
    """


def test_the_built_stage_inherits_its_from_stage_and_scopes_args_as_docker_does() -> None:
    env = {k: v for k, (v, _) in image_env(textwrap.dedent(MULTI_STAGE)).items()}
    assert env == {
        "NODE_ENV": "production",  # the runner's own ENV over the one it inherits
        "A": "1",
        "B": "two words",
        "C": "3",  # a continuation line
        "STATIC": "/srv/static",  # a global ARG the stage declares again
        "TELEMETRY_KEY": "",  # an ARG default of "": set, and empty
        "LEGACY": "spaced value",  # ``ENV KEY value``
    }
    # SECRET has no default and no build arg: TOKEN's value is unknown, so it is left out; so is
    # PATH, which extends the base image's PATH parity cannot see. BUILDER_ONLY is another stage's.
    lines = image_env(textwrap.dedent(MULTI_STAGE))
    assert lines["NODE_ENV"][1] == 13 and lines["C"][1] == 5


def test_build_args_and_target_choose_what_is_built() -> None:
    text = textwrap.dedent(MULTI_STAGE)
    given = image_env(text, {"SECRET": "s3", "BASE_PATH": "/opt"})
    assert given["TOKEN"][0] == "s3" and given["STATIC"][0] == "/opt/static"
    builder = {k: v for k, (v, _) in image_env(text, target="builder").items()}
    assert builder == {"NODE_ENV": "development", "A": "1", "B": "two words", "C": "3", "BUILDER_ONLY": "yes"}
    assert image_env("") == {} and image_env("ENV X=1\n") == {}  # no FROM: no image


def _project(tmp_path: Path, dockerfile: str, env_production: str, compose_env: str = "") -> Path:
    files = {
        "services/web/.env.example": "NODE_ENV=\nFEATURE_EXPORTS=\nLOG_LEVEL=\n",
        "services/web/.env.production": env_production,
        "services/web/Dockerfile": dockerfile,
        "services/web/app.py": """
            import os

            def export_orders():
                return "ok"

            def register(router):
                if os.getenv("FEATURE_EXPORTS", "false") == "true":
                    router.add("/exports", export_orders)

            if __name__ == "__main__":
                register(None)
            """,
        "compose.yaml": """
            services:
              web:
                build:
                  context: services/web
                  args:
                    RELEASE: "2026.12"
                env_file: services/web/.env.production
            """,
    }
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(
            textwrap.dedent(text).lstrip("\n") + (compose_env if rel == "compose.yaml" else ""),
            encoding="utf-8",
        )
    return tmp_path


DOCKERFILE = """
    FROM python:3.12-slim
    ARG RELEASE
    ENV NODE_ENV=production FEATURE_EXPORTS=true
    ENV LOG_LEVEL=debug RELEASE=$RELEASE
    """


def test_image_env_fills_what_nothing_else_sets_and_never_wins_over_an_env_file(tmp_path: Path) -> None:
    root = _project(tmp_path, DOCKERFILE, "LOG_LEVEL=info\n")
    project = discover(root)
    env = effective_env(project, project.service("web"), "production", env_files(project))
    node = env.values["NODE_ENV"]
    assert (node.value, node.layer, project.rel(node.file), node.line) == (
        "production",
        "image",
        "services/web/Dockerfile",
        3,
    )
    assert env.values["RELEASE"].value == "2026.12"  # the compose build arg
    assert env.values["LOG_LEVEL"].value == "info"  # the env file compose passes wins over the image
    # A fix never goes into the Dockerfile: the key goes where compose takes the service's env from.
    target = writable_target(project, "web", "production", "NODE_ENV")
    assert project.rel(target.file) != "services/web/Dockerfile"


def test_compose_environment_wins_over_the_image(tmp_path: Path) -> None:
    extra = '    environment:\n      FEATURE_EXPORTS: "false"\n'
    root = _project(tmp_path, DOCKERFILE, "LOG_LEVEL=info\n", extra)
    project = discover(root)
    env = effective_env(project, project.service("web"), "production", env_files(project))
    assert (env.values["FEATURE_EXPORTS"].value, env.values["FEATURE_EXPORTS"].layer) == ("false", "compose")


def test_why_reads_a_switch_the_image_sets(tmp_path: Path) -> None:
    root = _project(tmp_path, DOCKERFILE, "LOG_LEVEL=info\n")
    assert why(discover(root), "export_orders", "production").verdict == "REACHABLE"
    # Without the image's ENV the switch is off: the same code, the default "false".
    (root / "services/web/Dockerfile").write_text("FROM python:3.12-slim\n", encoding="utf-8")
    answer = why(discover(root), "export_orders", "production")
    assert answer.verdict == "BLOCKED"
    assert [b.key for b in answer.blockers if b.kind == "switch"] == ["FEATURE_EXPORTS"]


def test_a_dockerfile_linking_out_or_broken_sets_nothing(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text("FROM x\nENV FEATURE_EXPORTS=true\n", encoding="utf-8")
    root = _project(tmp_path / "repo", DOCKERFILE, "LOG_LEVEL=info\n")
    df = root / "services/web/Dockerfile"
    df.unlink()
    os.symlink(outside / "Dockerfile", df)
    project = discover(root)
    env = effective_env(project, project.service("web"), "production", env_files(project))
    assert "FEATURE_EXPORTS" not in env.values  # the link out of the repository is never read
    df.unlink()
    df.write_bytes(b"FROM x\nENV \x00\xff\n")  # binary garbage: no value, no crash
    project = discover(root)
    env = effective_env(project, project.service("web"), "production", env_files(project))
    assert "FEATURE_EXPORTS" not in env.values


def test_an_image_env_no_code_reads_is_not_called_stale(tmp_path: Path) -> None:
    from parity.code.audit import build_flags_section

    root = _project(tmp_path, DOCKERFILE + "    ENV PYTHONUNBUFFERED=1\n", "LOG_LEVEL=info\nUNUSED_KEY=x\n")
    stale = {f.key for f in build_flags_section(discover(root), "production").findings if f.code == "FLG006"}
    # The env file's unread key is stale; the image's ENV for the interpreter is not.
    assert "UNUSED_KEY" in stale and "PYTHONUNBUFFERED" not in stale and "NODE_ENV" not in stale
