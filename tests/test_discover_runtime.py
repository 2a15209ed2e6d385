"""Zero-config discovery from what the runtime reads: compose services and Kubernetes workloads,
mapped to the code folder each is built from. The layouts are shaped after public repositories:
a monorepo building every service from the root with ``dockerfile: src/<svc>/Dockerfile``, an app
with its compose file in ``docker/`` and ``build.context: ..``, a folder of alternative compose
files without a base, one folder per environment (``docker/production/compose.yml``), published
images named after their code folder, and compose running only the databases of a root app."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from helpers import run_cli
from parity.project import discover


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def shape(root: Path) -> dict[str, tuple[str, str | None, bool]]:
    """service → (env folder, code folder, image-only)."""
    p = discover(root)
    return {
        s.name: (p.rel(s.path), p.rel(s.code_folder) if s.code_folder else None, s.image_only)
        for s in p.services
    }


def test_monorepo_services_are_found_by_their_dockerfile_folder(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            ".env": "IMAGE_NAME=demo\nCART_DOCKERFILE=./src/cart/Dockerfile\n",
            "src/cart/Dockerfile": "FROM scratch\n",
            "src/ad/Dockerfile": "FROM scratch\n",
            "compose.yaml": """
            services:
              cart:
                build:
                  context: ./
                  dockerfile: ${CART_DOCKERFILE}
                environment:
                  - CART_PORT=7070
              ad:
                build: {context: ./, dockerfile: src/ad/Dockerfile}
                environment: [AD_PORT=9555]
              valkey:
                image: valkey/valkey:8
              collector:
                image: otel/collector:1
                environment: [MEMORY_LIMIT=200M]
            """,
            # CI and test files run nothing in production.
            "compose.tests.yaml": "services:\n  tracetest:\n    image: tt\n    environment: [A=1]\n",
            "compose.override.yml": "services:\n  devtool:\n    image: dt\n    environment: [A=1]\n",
        },
    )
    assert shape(root) == {
        "cart": ("src/cart", "src/cart", False),
        "ad": ("src/ad", "src/ad", False),
        # A published image given env is a service; one given none (valkey) has nothing to check.
        "collector": (".", None, True),
    }


def test_compose_in_docker_folder_building_from_the_parent(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "manage.py": "import os\nos.environ['SECRET_KEY']\n",
            "pyproject.toml": "[project]\nname = 'hc'\n",
            "docker/.env.example": "SECRET_KEY=\nDB=postgres\n",
            "docker/docker-compose.yml": """
            services:
              db:
                image: postgres:16
                environment:
                  - POSTGRES_DB=$${DB_NAME}
              web:
                build:
                  context: ..
                  dockerfile: docker/Dockerfile
                env_file: .env
            """,
        },
    )
    p = discover(root)
    names = [s.name for s in p.services]
    # The folder of env files takes the name of the compose service that reads them.
    assert names == ["web", "db"]
    web = p.service("web")
    assert web.example == root / "docker/.env.example" and web.units[0].name == "web"
    # docker/ only packages the app: its code is the build context, so manage.py's reads are web's.
    assert web.code_folder == root.resolve()
    assert p.service("db").image_only


def test_alternative_compose_files_without_a_base_and_a_repo_image(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "Dockerfile": "FROM python\n",
            "docker/compose/docker-compose.env": "PAPERLESS_TIME_ZONE=UTC\n",
            "docker/compose/docker-compose.postgres.yml": """
            services:
              broker:
                image: redis:8
              db:
                image: postgres:17
                environment: {POSTGRES_DB: paperless}
              webserver:
                image: ghcr.io/acme/REPO:latest
                env_file: docker-compose.env
            """,
            "docker/compose/docker-compose.sqlite.yml": """
            services:
              webserver:
                image: ghcr.io/acme/REPO:latest
                env_file: docker-compose.env
            """,
            "docker/compose/docker-compose.ci-test.yml": "services:\n  ci:\n    image: x\n    environment: [A=1]\n",
        },
    )
    # An image named after the repository is built from its root Dockerfile.
    renamed = root.rename(root.parent / "REPO")
    got = shape(renamed)
    assert got == {
        "db": ("docker/compose", None, True),
        "webserver": ("docker/compose", ".", False),
    }


def test_folder_per_environment_and_images_named_after_code_folders(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "svc-config-server/pom.xml": "<project/>\n",
            "svc-vets-service/pom.xml": "<project/>\n",
            "docker/production/compose.yml": """
            services:
              config-server:
                image: acme/svc-config-server:latest
                environment: [SPRING_PROFILES_ACTIVE=docker]
              vets-service:
                image: acme/svc-vets-service
                environment: [SPRING_PROFILES_ACTIVE=docker]
            """,
            "docker/development/compose.yml": "services:\n  mail:\n    image: m\n    environment: [A=1]\n",
        },
    )
    p = discover(root)
    assert {s.name: p.rel(s.code_folder) for s in p.services if s.code_folder} == {
        "config-server": "svc-config-server",
        "vets-service": "svc-vets-service",
    }
    # The folder names the environment it deploys.
    assert p.environments == ("production",)


def test_compose_running_only_the_databases_of_a_root_app(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            ".env.sample": "SECRET_KEY=\nURL=http://localhost:3000\n",
            ".env.development": "SECRET_KEY=dev\nURL=http://localhost:3000\n",
            "package.json": "{}\n",
            "docker-compose.yml": """
            services:
              redis:
                image: redis
              postgres:
                image: postgres
                environment:
                  POSTGRES_USER: user
            """,
        },
    )
    p = discover(root)
    assert [s.name for s in p.services] == ["postgres", root.name]
    app = p.service(root.name)
    assert app.path == root and app.example == root / ".env.sample" and not app.units


def test_several_units_built_from_one_folder_are_one_service_each(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "app/.env.example": "BROKER_URL=\n",
            "app/Dockerfile": "FROM python\n",
            "compose.yaml": """
            services:
              server:
                build: ./app
                env_file: app/.env.production
              worker:
                build: ./app
                command: celery worker
                env_file: app/.env.production
            """,
            "app/.env.production": "BROKER_URL=redis://q.example.invalid\n",
        },
    )
    p = discover(root)
    assert [(s.name, p.rel(s.path)) for s in p.services] == [("server", "app"), ("worker", "app")]
    assert p.sharing_code("worker") == ("server", "worker")


def test_env_file_names_in_the_wild(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "api/.env.dist": "A=1\n",
            "api/.env.production.local": "A=2\n",
            "web/example.env": "B=1\n",
            "web/config/production.env": "B=2\n",
            "ops/.env.prod.example": "C=1\n",
            "ops/.env.patch": "C=3\n",
        },
    )
    p = discover(root)
    got = {
        s.name: (s.example.name if s.example else None, {e: p.rel(f) for e, f in s.env_files.items()})
        for s in p.services
    }
    assert got == {
        "api": (".env.dist", {"production": "api/.env.production.local"}),
        "ops": (".env.prod.example", {}),
        "web": ("example.env", {"production": "web/config/production.env"}),
    }


def test_init_finds_runtime_services_and_says_when_it_finds_nothing(tmp_path: Path) -> None:
    app = write(
        tmp_path / "app",
        {
            "backend/Dockerfile": "FROM python\n",
            "compose.yml": """
            services:
              backend:
                build: ./backend
                environment:
                  SECRET_KEY: $${SECRET_KEY:?Variable not set}
              db:
                image: postgres:18
                environment: [POSTGRES_DB=app]
            """,
        },
    )
    r = run_cli("init", str(app))
    assert r.returncode == 0, r.stderr
    assert "2 services: 2 from compose/Kubernetes, 1 image-only" in r.stdout
    text = (app / "parity.toml").read_text()
    assert "[services.db]" in text and "image_only = true" in text
    # The written config gives the same services back.
    assert {s.name: s.image_only for s in discover(app).services} == {"backend": False, "db": True}

    empty = write(tmp_path / "empty", {"README.md": "nothing to run\n"})
    r = run_cli("init", str(empty))
    assert r.returncode == 2
    assert "found no services" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (empty / "parity.toml").exists()


def test_check_without_a_production_layer_says_what_it_analysed(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "backend/Dockerfile": "FROM python\n",
            "backend/app.py": "import os\nos.environ.get('LOG_LEVEL', 'info')\n",
            "compose.yml": """
            services:
              backend:
                build: ./backend
                environment: [LOG_LEVEL=info]
            """,
        },
    )
    r = run_cli("check", str(root), "--env", "production", "--format", "json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    found = [f for s in report["sections"] for f in s["findings"] if f["code"] == "SRC030"]
    assert len(found) == 1 and "compose.yml" in found[0]["message"]
    assert report["verdict"] == "PASS"


def test_a_missing_key_for_a_compose_service_is_fixed_where_compose_reads_it(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            ".env.example": "SECRET_KEY=\nSENTRY_DSN=\n",
            "backend/Dockerfile": "FROM python\n",
            "deploy/prod.env": "SENTRY_DSN=https://key@sentry.example.invalid/1\n",
            "compose.yml": """
            services:
              backend:
                build: ./backend
                env_file: .env
            """,
            "compose.production.yml": """
            services:
              backend:
                env_file: [.env, deploy/prod.env]
            """,
        },
    )
    r = run_cli("env", "diff", str(root), "--env", "production", "--format", "json")
    report = json.loads(r.stdout)
    missing = [
        f
        for s in report["sections"]
        for f in s["findings"]
        if f["code"] == "ENV001" and f["key"] == "SECRET_KEY"
    ]
    assert missing, r.stdout
    # The fix names the env file the compose service reads in production, not backend/.env.production.
    assert all("deploy/prod.env" in f["fix"] for f in missing)
    assert not any(f["code"] == "ENV010" for s in report["sections"] for f in s["findings"])


def test_an_image_only_service_gets_no_advice_to_remove_what_its_image_reads(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "app/Dockerfile": "FROM python\n",
            "app/main.py": "import os\nos.environ['APP_MODE']\n",
            "relay.env": "SECRET_KEY=relay-FAKE-0a1b2c\nRELAY_MODE=managed\n",
            "compose.yml": """
            services:
              app:
                build: ./app
                environment: [APP_MODE=web, STRAY_KEY=1]
              relay:
                image: getsentry/relay:nightly
                env_file: relay.env
            """,
        },
    )
    r = run_cli("check", str(root), "--env", "production", "--format", "json")
    findings = [f for s in json.loads(r.stdout)["sections"] for f in s["findings"]]
    about = {(f["code"], f["key"]) for f in findings if f["code"] in ("FLG006", "ENV003")}
    assert ("FLG006", "SECRET_KEY") not in about and ("FLG006", "RELAY_MODE") not in about
    # The service with code here still hears of a key nothing reads.
    assert ("FLG006", "STRAY_KEY") in about
    assert "relay-FAKE-0a1b2c" not in r.stdout


def test_an_image_packaged_in_a_docker_folder_runs_the_root_app(tmp_path: Path) -> None:
    # Shaped after huginn: docker/single-process/ holds the Dockerfile of the Rails app at the root.
    root = write(
        tmp_path,
        {
            "Gemfile": "source 'https://rubygems.org'\n",
            ".env.example": "SMTP_PASSWORD=\n",
            "docker/single-process/Dockerfile": "FROM ruby\n",
            "docker/single-process/docker-compose.yml": """
            services:
              web:
                image: ghcr.io/acme/huginn-single-process
                env_file: ../production.env
            """,
            "docker/production.env": "SMTP_PASSWORD=\n",
        },
    )
    got = shape(root)
    assert got == {"web": ("docker/single-process", ".", False)}
