"""`parity why` verdicts on planted Django/FastAPI apps shaped like self-hosted projects: settings
modules with env helpers, views gated by a decorator factory, same-named views in several packages."""

from __future__ import annotations

import textwrap
from pathlib import Path

from parity.code.why import why
from parity.project import discover

SETTINGS = """
    import os

    def envbool(s, default):
        return os.getenv(s, default).lower() in ("1", "true", "yes")

    def envsecret(s):
        return os.getenv(s)

    BEEPER_ENABLED = envbool("BEEPER_ENABLED", "False")
    HOOKS_ENABLED = envbool("HOOKS_ENABLED", "True")
    PAGER_TOKEN = envsecret("PAGER_TOKEN")
    """

DECORATORS = """
    from functools import wraps
    from django.conf import settings
    from django.http import HttpResponse

    def needs_setting(key):
        def decorator(f):
            @wraps(f)
            def wrapper(request, *args, **kwds):
                if not getattr(settings, key):
                    return HttpResponse(status=404)
                return f(request, *args, **kwds)
            return wrapper
        return decorator
    """


def planted(tmp_path: Path, files: dict[str, str], env: dict[str, str]) -> Path:
    svc = tmp_path / "svc"
    for rel, text in files.items():
        p = svc / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
    for name, text in env.items():
        (svc / f".env.{name}").write_text(text, encoding="utf-8")
    return tmp_path


def _site(tmp_path: Path, production: str) -> Path:
    files = {
        "site/settings.py": SETTINGS,
        "site/decorators.py": DECORATORS,
        "site/urls.py": """
            from django.urls import include, path
            from site.beeper import views as beeper_views
            from site.hooks import views as hook_views
            from site.core import views

            urlpatterns = [
                path("beeper/add/", beeper_views.add),
                path("hooks/add/", hook_views.add),
                path("about/", views.about),
            ]
            """,
        "site/beeper/views.py": """
            from site.decorators import needs_setting

            @needs_setting("BEEPER_ENABLED")
            def add(request):
                return "beeper"
            """,
        "site/hooks/views.py": """
            from site.decorators import needs_setting

            @needs_setting("HOOKS_ENABLED")
            def add(request):
                return "hooks"

            @needs_setting("PAGER_TOKEN")
            def pager_help(request):
                return "help"
            """,
        "site/core/views.py": """
            def about(request):
                return "about"

            def orphan(request):
                return "never routed"
            """,
    }
    return planted(tmp_path, files, {"production": production, "staging": "BEEPER_ENABLED=True\n"})


def test_decorator_gate_reads_the_settings_module_default(tmp_path: Path) -> None:
    root = _site(tmp_path, "PAGER_TOKEN=\n")
    r = why(discover(root), "site/beeper/views.py:add", "production")
    assert r.verdict == "BLOCKED"
    switch = r.blockers[0]
    assert (switch.kind, switch.key, switch.file) == ("switch", "BEEPER_ENABLED", "svc/site/beeper/views.py")
    assert switch.fix == "set BEEPER_ENABLED=true in svc/.env.production"
    # Only the route of beeper's own views.add, not the hooks one of the same name.
    registered = [s.text for s in r.steps if s.kind == "registered"]
    assert registered == ["path('beeper/add/', beeper_views.add)"]
    assert why(discover(root), "site/beeper/views.py:add", "staging").verdict == "REACHABLE"


def test_same_name_in_two_packages_is_chosen_by_file(tmp_path: Path) -> None:
    root = _site(tmp_path, "PAGER_TOKEN=\n")
    hooks = why(discover(root), "hooks/views.py:add", "production")
    assert hooks.verdict == "REACHABLE"  # HOOKS_ENABLED defaults to True in the settings module
    assert hooks.definitions == ("svc/site/hooks/views.py:5",)
    both = why(discover(root), "add", "production")
    assert both.definitions == ("svc/site/beeper/views.py:5", "svc/site/hooks/views.py:5")
    # Listed separately, each with its own verdict: beeper's switch is not lent to hooks.
    assert [a.verdict for a in both.alternatives] == ["BLOCKED", "REACHABLE"]
    assert both.verdict == "UNKNOWN" and both.steps == ()


def test_empty_secret_blocks_and_an_unrouted_view_is_unknown(tmp_path: Path) -> None:
    root = _site(tmp_path, "PAGER_TOKEN=\n")
    pager = why(discover(root), "pager_help", "production")
    # Not routed anywhere: the gate is still reported, but there is no entry point.
    assert [b.key for b in pager.blockers] == ["PAGER_TOKEN"]
    assert why(discover(root), "orphan", "production").verdict == "UNKNOWN"
    assert why(discover(root), "about", "production").verdict == "REACHABLE"


def test_fastapi_router_of_another_module_does_not_gate(tmp_path: Path) -> None:
    files = {
        "app/core/config.py": """
            from pydantic_settings import BaseSettings

            class Settings(BaseSettings):
                APP_ENV: str = "production"

            settings = Settings()
            """,
        "app/routes/health.py": """
            from fastapi import APIRouter
            router = APIRouter()

            @router.get("/health")
            def health():
                return True
            """,
        "app/routes/debug.py": """
            from fastapi import APIRouter
            router = APIRouter()

            @router.post("/debug/seed")
            def seed():
                return True
            """,
        "app/api.py": """
            from fastapi import APIRouter
            from app.core.config import settings
            from app.routes import debug, health

            api = APIRouter()
            api.include_router(health.router)
            if settings.APP_ENV == "local":
                api.include_router(debug.router)
            """,
    }
    root = planted(tmp_path, files, {"production": "APP_ENV=production\n", "staging": "APP_ENV=local\n"})
    health = why(discover(root), "health", "production")
    assert health.verdict == "REACHABLE", health.blockers
    seed = why(discover(root), "seed", "production")
    assert seed.verdict == "BLOCKED"
    assert seed.blockers[0].key == "APP_ENV"
    assert seed.blockers[0].line == 8
    assert why(discover(root), "seed", "staging").verdict == "REACHABLE"


def test_main_block_is_an_entry_point_and_unknown_condition_is_not_reachable(tmp_path: Path) -> None:
    files = {
        "worker.py": """
            import os

            def cleanup():
                return 1

            if __name__ == "__main__":
                cleanup()
            """,
        "tool.py": """
            import typer
            from mystery import probe

            cli = typer.Typer()

            if probe():
                @cli.command()
                def sweep():
                    return 1
            """,
    }
    root = planted(tmp_path, files, {"production": "X=1\n"})
    assert why(discover(root), "cleanup", "production").verdict == "REACHABLE"
    sweep = why(discover(root), "sweep", "production")
    assert sweep.verdict == "UNKNOWN"
    assert [s.text for s in sweep.undecided] == ["probe()"]


def test_job_list_registration_early_return_guard_and_call_chain(tmp_path: Path) -> None:
    files = {
        "jobs/settings.py": """
            import os
            PURGE_ENABLED = os.environ.get("APP_PURGE_ENABLED", "true").lower() == "true"
            DIGEST_ENABLED = os.environ.get("APP_DIGEST_ENABLED", "false") == "true"
            """,
        "jobs/tasks.py": """
            from jobs import settings

            def purge():
                return 1

            def digest():
                \"\"\"Mail the digest.\"\"\"
                if not settings.DIGEST_ENABLED:
                    return None
                return 2
            """,
        "jobs/app.py": """
            from fastapi import FastAPI
            from jobs import tasks
            from jobs import settings

            app = FastAPI()
            JOBS = []

            def schedule():
                if settings.PURGE_ENABLED:
                    JOBS.append({"func": tasks.purge, "every": 3600})
                JOBS.append({"func": tasks.digest, "every": 86400})

            schedule()
            """,
    }
    root = planted(
        tmp_path, files, {"production": "APP_PURGE_ENABLED=false\n", "staging": "APP_DIGEST_ENABLED=true\n"}
    )
    purge = why(discover(root), "purge", "production")
    assert purge.verdict == "BLOCKED"
    assert (purge.blockers[0].key, purge.blockers[0].line) == ("APP_PURGE_ENABLED", 10)
    assert [s.kind for s in purge.steps if s.kind in ("called", "main")] == ["called", "main"]
    digest = why(discover(root), "digest", "production")
    assert digest.verdict == "BLOCKED"
    assert digest.blockers[0].key == "APP_DIGEST_ENABLED"
    assert any(s.text == "not not settings.DIGEST_ENABLED" for s in digest.steps)
    assert why(discover(root), "digest", "staging").verdict == "REACHABLE"
    assert why(discover(root), "purge", "staging").verdict == "REACHABLE"


def test_plain_decorator_or_registration_in_an_uncalled_function_is_no_entry_point(tmp_path: Path) -> None:
    files = {
        "svc_app/views.py": """
            from functools import lru_cache

            @lru_cache
            def cached_report():
                return 1

            def rebuild():
                return 2

            def never_called():
                HANDLERS = []
                HANDLERS.append(rebuild)
            """,
    }
    root = planted(tmp_path, files, {"production": "X=1\n"})
    cached = why(discover(root), "cached_report", "production")
    assert [s.kind for s in cached.steps] == ["defined", "decorator"]
    assert cached.verdict == "UNKNOWN"
    rebuild = why(discover(root), "rebuild", "production")
    assert [s.kind for s in rebuild.steps] == ["defined", "registered", "defined"]
    assert rebuild.verdict == "UNKNOWN"


def test_settings_class_attribute_and_crash_on_a_required_key(tmp_path: Path) -> None:
    files = {
        "worker/config.py": """
            import os

            class Config:
                CLEANUP_ENABLED = os.environ.get("APP_CLEANUP_ENABLED", "true") == "true"
            """,
        "worker/main.py": """
            import os
            from worker.config import Config

            def cleanup():
                return os.environ["CLEANUP_BUCKET"]

            def run():
                if Config.CLEANUP_ENABLED:
                    cleanup()

            if __name__ == "__main__":
                run()
            """,
    }
    root = planted(
        tmp_path,
        files,
        {
            "production": "APP_CLEANUP_ENABLED=true\n",
            "staging": "APP_CLEANUP_ENABLED=false\nCLEANUP_BUCKET=b\n",
        },
    )
    prod = why(discover(root), "cleanup", "production")
    assert prod.verdict == "CRASHES"
    assert [(b.kind, b.key) for b in prod.blockers] == [("missing", "CLEANUP_BUCKET")]
    staging = why(discover(root), "cleanup", "staging")
    assert staging.verdict == "BLOCKED"
    assert staging.blockers[0].key == "APP_CLEANUP_ENABLED"


def test_fix_names_the_file_feeding_production_not_another_environment(tmp_path: Path) -> None:
    (tmp_path / "compose.yml").write_text(
        "services:\n  web:\n    build: .\n    env_file: .env\n", encoding="utf-8"
    )
    (tmp_path / ".env").write_text("SITE_NAME=demo\n", encoding="utf-8")
    (tmp_path / ".env.staging").write_text("SITE_NAME=demo\nSTATS_KEY=s3cr3t-staging\n", encoding="utf-8")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "settings.py").write_text('import os\nSTATS_KEY = os.getenv("STATS_KEY")\n')
    (tmp_path / "app" / "urls.py").write_text(
        "from django.urls import path\nfrom app import views\nurlpatterns = [path('stats/', views.stats)]\n"
    )
    (tmp_path / "app" / "views.py").write_text(
        "from django.conf import settings\n\ndef stats(request):\n"
        "    if not settings.STATS_KEY:\n        return 403\n    return 200\n"
    )
    r = why(discover(tmp_path), "stats", "production")
    assert r.verdict == "BLOCKED"
    assert r.blockers[0].key == "STATS_KEY"
    assert r.blockers[0].fix.startswith("set STATS_KEY=true in .env")
    assert ".env.staging" not in r.blockers[0].fix


def test_a_value_the_settings_helper_rejects_crashes(tmp_path: Path) -> None:
    files = {
        "site/settings.py": """
            import os

            def strictbool(s, default):
                v = os.getenv(s, default)
                if v not in ("", "True", "False"):
                    raise ValueError(s)
                return v == "True"

            SIGNUP_OPEN = strictbool("SIGNUP_OPEN", "True")
            """,
        "site/urls.py": """
            from django.urls import path
            from site import views
            urlpatterns = [path("signup/", views.signup)]
            """,
        "site/views.py": """
            from django.conf import settings

            def signup(request):
                if not settings.SIGNUP_OPEN or request.user.is_authenticated:
                    return 403
                return 200
            """,
    }
    root = planted(tmp_path, files, {"production": "SIGNUP_OPEN=ture\n", "staging": "SIGNUP_OPEN=True\n"})
    r = why(discover(root), "signup", "production")
    assert r.verdict == "CRASHES"
    assert [(b.kind, b.key, b.file) for b in r.blockers] == [
        ("invalid", "SIGNUP_OPEN", "svc/site/settings.py")
    ]
    # A valid value: the rest of the guard reads request data, so parity says it cannot decide.
    staging = why(discover(root), "signup", "staging")
    assert staging.verdict == "UNKNOWN"
    assert [s.line for s in staging.undecided] == [5]
