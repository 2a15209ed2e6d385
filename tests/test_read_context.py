"""Every read has a context: only code a service runs in production can fail a production check.
Tests, CI jobs, build configs, dev tooling and one-off scripts are real reads (their keys are not
stale) but are listed apart. The paths are shaped after public repositories: TypeScript monorepos
with ``__tests__`` and ``*.spec.ts`` beside the code, ``vite.config.ts`` / ``eslint.config.mjs`` in
every package, a ``scripts/pushImages.sh`` release script, Dockerfiles whose ``FROM`` reads
``$BUILDPLATFORM``, and a Rails ``config/environments/development.rb``."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from helpers import run_cli
from parity.code.context import context_of, dockerfile_runtime_lines, runtime_mentions
from parity.code.scan import scan_project
from parity.project import discover


@pytest.mark.parametrize(
    ("rel", "context"),
    [
        ("packages/cli/src/__tests__/e2e/commands/test.spec.ts", "test"),
        ("packages/sandbox/src/utils/cage.test.ts", "test"),
        ("frontend/playwright.config.ts", "test"),
        ("frontend/tests/utils/mailpit.ts", "test"),
        ("spec/rails_helper.rb", "test"),
        ("config/environments/development.rb", "test"),
        ("backend/app/tests/conftest.py", "test"),
        ("internal/config/config_test.go", "test"),
        ("packages/agent/vite.config.ts", "build"),
        ("packages/agent/eslint.config.mjs", "build"),
        ("apps/web/next.config.mjs", "build"),
        ("docker/build.sh", "build"),
        ("docker-gen-proto.sh", "build"),
        (".github/workflows/release.py", "ci"),
        (".gitlab-ci.yml", "ci"),
        (".devcontainer/Dockerfile", "tooling"),
        ("scripts/pushImages.sh", "script"),
        ("install/check-minimum-requirements.sh", "script"),
        ("install-app.sh", "script"),
        # Code a service runs, migrations included (they run against production at deploy time).
        ("backend/app/core/config.py", "service"),
        ("server/migrations/20201106122752-i18n.js", "service"),
        ("config/environments/production.rb", "service"),
        ("docker/entrypoint.sh", "service"),
        ("bin/www", "service"),
        ("app/workers/tasks.py", "service"),
        ("src/features/export/flags.ts", "service"),
    ],
)
def test_context_of_a_path(rel: str, context: str) -> None:
    assert context_of(rel) == context


def test_a_script_the_runtime_starts_runs_in_a_service() -> None:
    mentioned = runtime_mentions(['CMD ["./scripts/start.sh"]', "command: python scripts/worker.py"])
    assert context_of("scripts/start.sh", mentioned) == "service"
    assert context_of("api/scripts/worker.py", mentioned) == "service"
    assert context_of("scripts/backup.sh", mentioned) == "script"
    assert context_of("scripts/release.sh", mentioned) == "build"  # publishing is part of the build


def test_dockerfile_runtime_lines_are_cmd_entrypoint_and_their_continuations() -> None:
    text = textwrap.dedent(
        """\
        FROM --platform=$BUILDPLATFORM node:20 AS build
        ARG GOARCH
        RUN echo ${GOARCH} \\
            && make
        CMD exec node server.js \\
            --port "$PORT"
        HEALTHCHECK CMD curl -f http://localhost:$PORT/health
        """
    )
    assert dockerfile_runtime_lines(text) == frozenset({5, 6, 7})


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def _app(tmp_path: Path) -> Path:
    return _write(
        tmp_path,
        {
            "compose.yaml": """
            services:
              api:
                build: ./api
                env_file: [api/.env.production]
            """,
            "api/.env.example": "SECRET_KEY=change-me\nPAGE_SIZE=20\nSENTRY_DSN=\nTEST_API_TOKEN=test-token\n",
            "api/.env.production": "DATABASE_URL=postgres://db.internal/app\n",
            "api/Dockerfile": """
            FROM --platform=$BUILDPLATFORM python:3.12
            RUN pip install --index-url ${PIP_INDEX_URL} app
            CMD exec gunicorn app:app --bind 0.0.0.0:$APP_PORT
            """,
            "api/app.py": """
            import os
            SECRET_KEY = os.environ["SECRET_KEY"]
            PAGE_SIZE = int(os.getenv("PAGE_SIZE", "20"))
            SENTRY_DSN = os.getenv("SENTRY_DSN", "")
            DATABASE_URL = os.environ["DATABASE_URL"]
            """,
            "api/tests/test_app.py": "import os\nTOKEN = os.environ['TEST_API_TOKEN']\n",
            "api/scripts/notify.sh": 'curl -H "Authorization: $GITHUB_TOKEN" https://api.github.com\n',
            "api/vite.config.ts": "export default { base: process.env.ASSET_BASE };\n",
        },
    )


def test_scan_gives_each_read_its_context(tmp_path: Path) -> None:
    refs = {r.name: r.context for r in scan_project(discover(_app(tmp_path))).references}
    assert refs["SECRET_KEY"] == "service"
    assert refs["APP_PORT"] == "service"  # CMD: expanded when the container starts
    assert refs["BUILDPLATFORM"] == "build"
    assert refs["PIP_INDEX_URL"] == "build"
    assert refs["TEST_API_TOKEN"] == "test"
    assert refs["GITHUB_TOKEN"] == "script"
    assert refs["ASSET_BASE"] == "build"


def test_only_production_reads_fail_the_check_and_optional_example_keys_are_notes(tmp_path: Path) -> None:
    root = _app(tmp_path)
    r = run_cli("check", "--env", "production", "--format", "json", str(root))
    report = json.loads(r.stdout)
    findings = [f for s in report["sections"] for f in s["findings"]]
    loud = {(f["code"], f["key"]) for f in findings if f["severity"] in ("error", "warning")}
    # The one key production code needs and production lacks.
    assert ("FLG004", "SECRET_KEY") in loud or ("ENV001", "SECRET_KEY") in loud
    for key in ("TEST_API_TOKEN", "GITHUB_TOKEN", "ASSET_BASE", "BUILDPLATFORM", "PIP_INDEX_URL"):
        assert not any(k == key for _, k in loud), key
    # The example lists PAGE_SIZE and SENTRY_DSN, but the code has a default for both: a note.
    notes = {f["key"]: f for f in findings if f["code"] == "ENV001"}
    assert notes["PAGE_SIZE"]["severity"] == "info"
    assert "optional: the code copes without it at api/app.py:3" in notes["PAGE_SIZE"]["message"]
    assert notes["SECRET_KEY"]["severity"] == "error"
    # Listed in the example but read only by the tests: production does not need it.
    assert notes["TEST_API_TOKEN"]["severity"] == "info"
    assert "only test code reads it (api/tests/test_app.py:2)" in notes["TEST_API_TOKEN"]["message"]
    apart = [n for s in report["sections"] for n in s.get("notes", []) if "listed apart" in n]
    assert apart and "in test files" in apart[0] and "in script files" in apart[0]
    assert r.returncode == 1


def test_keys_no_code_of_the_service_reads_and_staging_divergence(tmp_path: Path) -> None:
    # Shaped after apps whose example lists integrations nothing reads any more, next to keys
    # that libraries read by convention (DATABASE_URL) and a staging that turns a feature on.
    root = _write(
        tmp_path,
        {
            "compose.yaml": """
            services:
              web:
                build: ./web
                env_file: [web/.env.production]
            """,
            "web/.env.example": "OLD_OAUTH_KEY=\nDATABASE_URL=postgres://localhost/app\nPAGE_SIZE=20\nTENANT_ACME_KEY=\n",
            "web/.env.staging": "PAGE_SIZE=50\n",
            "web/.env.production": "OTHER=1\n",
            "web/app.py": """
            import os
            PAGE_SIZE = int(os.getenv("PAGE_SIZE", "20"))
            KEY = os.getenv(f"TENANT_{os.getenv('TENANT', 'ACME')}_KEY")
            """,
        },
    )

    def findings(*extra: str) -> dict[str, dict[str, str]]:
        r = run_cli("check", "--env", "production", "--format", "json", *extra, str(root))
        report = json.loads(r.stdout)
        return {f["key"]: f for s in report["sections"] for f in s["findings"] if f["code"] == "ENV001"}

    example = findings()
    assert example["OLD_OAUTH_KEY"]["severity"] == "info"
    assert "no code of web reads it" in example["OLD_OAUTH_KEY"]["message"]
    # A library reads DATABASE_URL by convention; a name built at run time may be TENANT_ACME_KEY.
    assert example["DATABASE_URL"]["severity"] == "error"
    assert example["TENANT_ACME_KEY"]["severity"] == "error"
    assert example["PAGE_SIZE"]["severity"] == "info"
    # Staging sets PAGE_SIZE: production runs on the default, which differs from staging.
    staging = findings("--reference", "staging")
    assert staging["PAGE_SIZE"]["severity"] == "warning"


# Shaped after a Flask sample: compose starts ``gunicorn app:app``, and wsgi.py (a second entry file
# nothing starts) reads the dev server's port only under ``if __name__ == "__main__":``.
_MAIN_BLOCK_APP = {
    "compose.yaml": """
    services:
      web:
        build: ./web
        command: gunicorn -w 3 -b 0.0.0.0:8000 app:app
      worker:
        build: ./worker
        command: ["python", "-m", "jobs.runner"]
    """,
    "web/app.py": """
    import os
    from flask import Flask
    app = Flask(__name__)
    app.secret_key = os.environ["SECRET_KEY"]
    if __name__ == "__main__":
        app.run(port=os.environ.get("APP_DEV_PORT"))
    """,
    "web/wsgi.py": """
    import os
    from app import app
    if __name__ == "__main__":
        app.run(host="0.0.0.0", port=os.environ.get("FLASK_SERVER_PORT"), debug=True)
    """,
    "worker/jobs/runner.py": """
    import os
    def main():
        pass
    if __name__ == "__main__":
        QUEUE = os.environ["QUEUE_URL"]
        main()
    """,
}


def test_a_main_block_read_runs_only_when_the_runtime_starts_the_file(tmp_path: Path) -> None:
    refs = {r.name: r.context for r in scan_project(discover(_write(tmp_path, _MAIN_BLOCK_APP))).references}
    assert refs["SECRET_KEY"] == "service"  # module level: runs when gunicorn imports app
    assert refs["FLASK_SERVER_PORT"] == "script"  # nothing starts wsgi.py
    assert refs["APP_DEV_PORT"] == "script"  # gunicorn imports app.py: its __main__ block never runs
    assert refs["QUEUE_URL"] == "service"  # `python -m jobs.runner` runs runner.py as __main__


def test_a_main_block_keeps_its_service_when_nothing_of_the_runtime_is_known(tmp_path: Path) -> None:
    files = {k: v for k, v in _MAIN_BLOCK_APP.items() if k != "compose.yaml"}
    files["web/.env.example"] = "SECRET_KEY=x\n"
    root = _write(tmp_path, files)
    from parity.code.scan import scan

    refs = {r.name: r.context for r in scan(root).references}
    assert refs["FLASK_SERVER_PORT"] == "service"


def test_python_module_mentions_name_the_files_they_start() -> None:
    mentioned = runtime_mentions(['CMD ["python", "-m", "app.worker"]', "command: python -m tasks"])
    assert {
        "app/worker.py",
        "worker.py",
        "app/worker/__main__.py",
        "tasks.py",
        "tasks/__main__.py",
    } <= mentioned


def test_a_main_block_started_through_an_entrypoint_script_runs_in_the_service(tmp_path: Path) -> None:
    # Shaped after images whose ENTRYPOINT is a shell script that execs the Python program.
    root = _write(
        tmp_path,
        {
            "compose.yaml": """
            services:
              jobs:
                build: ./jobs
            """,
            "jobs/Dockerfile": """
            FROM python:3.12
            COPY docker/entrypoint.sh /entrypoint.sh
            ENTRYPOINT ["/entrypoint.sh"]
            """,
            "jobs/docker/entrypoint.sh": '#!/bin/sh\nset -e\nexec python -u worker.py "$@"\n',
            "jobs/worker.py": """
            import os
            if __name__ == "__main__":
                QUEUE = os.environ["QUEUE_URL"]
            """,
            "jobs/backfill.py": """
            import os
            if __name__ == "__main__":
                TOKEN = os.environ["BACKFILL_TOKEN"]
            """,
        },
    )
    refs = {r.name: r.context for r in scan_project(discover(root)).references}
    assert refs["QUEUE_URL"] == "service"
    assert refs["BACKFILL_TOKEN"] == "script"  # nothing starts backfill.py
