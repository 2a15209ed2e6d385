"""From a switch to the code it keeps off (`parity.code.gated`) and `check` naming that code, on
planted apps shaped like the corpus: a Django settings module read through a decorator factory
(healthchecks' integrations), a FastAPI router mounted under an environment test (the fastapi
template's private routes), early-return guards, and a job registered in a list (a scheduler)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from parity.code.gated import candidates, gated_by
from parity.code.why import CodeGraph
from parity.project import discover
from parity.workflow.check import run_check
from test_why_tree import STORAGE_PLUGIN
from test_why_verdicts import DECORATORS

DJANGO = {
    "site/settings.py": """
        import os

        def envbool(s, default):
            return os.getenv(s, default).lower() in ("1", "true", "yes")

        SHELL_ENABLED = envbool("SHELL_ENABLED", "False")
        DEBUG = envbool("DEBUG", "True")
        METRICS_KEY = os.getenv("METRICS_KEY")
        CLEANUP_ENABLED = envbool("CLEANUP_ENABLED", "False")
        """,
    "site/decorators.py": DECORATORS,
    "site/shell/views.py": """
        from django.conf import settings
        from site.decorators import needs_setting

        @needs_setting("SHELL_ENABLED")
        def add(request):
            return "form"

        def banner(request):
            if settings.DEBUG:
                return "debug banner"
            return ""

        def metrics(request):
            if not settings.METRICS_KEY:
                return "forbidden"
            return "metrics"
        """,
    "site/shell/urls.py": """
        from django.urls import path
        from site.shell import views

        urlpatterns = [
            path("add_shell/", views.add),
            path("banner/", views.banner),
            path("metrics/", views.metrics),
        ]
        """,
    "site/jobs.py": """
        from django.conf import settings
        from celery import Celery

        app = Celery("site")
        jobs = []

        def cleanup():
            return 1

        def heartbeat():
            return 2

        if settings.CLEANUP_ENABLED:
            jobs.append({"func": cleanup, "every": 3600})
        jobs.append({"func": heartbeat, "every": 60})

        @app.task
        def run_all():
            for job in jobs:
                job["func"]()
        """,
}

FASTAPI = {
    "app/core/config.py": """
        from pydantic_settings import BaseSettings

        class Settings(BaseSettings):
            ENVIRONMENT: str = "local"
            SENTRY_DSN: str | None = None

        settings = Settings()
        """,
    "app/api/routes/private.py": """
        from fastapi import APIRouter

        router = APIRouter(prefix="/private")

        @router.post("/users/")
        def create_user(user: dict) -> dict:
            return user
        """,
    "app/api/routes/items.py": """
        from fastapi import APIRouter

        router = APIRouter(prefix="/items")

        @router.get("/")
        def read_items() -> list:
            return []
        """,
    "app/api/main.py": """
        from fastapi import APIRouter
        from app.api.routes import items, private
        from app.core.config import settings

        api_router = APIRouter()
        api_router.include_router(items.router)

        if settings.ENVIRONMENT == "local":
            api_router.include_router(private.router)
        """,
    "app/main.py": """
        from fastapi import FastAPI
        from app.api.main import api_router

        app = FastAPI()
        app.include_router(api_router)
        """,
}


def planted(tmp_path: Path, files: dict[str, str], production: str, staging: str = "") -> Path:
    svc = tmp_path / "svc"
    for rel, text in files.items():
        p = svc / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
    (svc / ".env.production").write_text(production, encoding="utf-8")
    (svc / ".env.staging").write_text(staging or production, encoding="utf-8")
    return tmp_path


def _gated(root: Path, key: str, env: str = "production") -> dict[str, str]:
    found = gated_by(CodeGraph(discover(root)), key, env)
    return {g.symbol: g.gate for g in found}


def test_decorator_factory_gate_names_the_view_it_keeps_off(tmp_path: Path) -> None:
    root = planted(tmp_path, DJANGO, "DEBUG=false\n")
    assert _gated(root, "SHELL_ENABLED") == {"add": "svc/site/shell/views.py:5"}
    # Switched on, the same code is no longer kept off.
    on = planted(tmp_path / "on", DJANGO, "SHELL_ENABLED=true\n")
    assert _gated(on, "SHELL_ENABLED") == {}


def test_early_exit_on_an_unset_key_gates_but_a_flag_answering_early_does_not(tmp_path: Path) -> None:
    root = planted(tmp_path, DJANGO, "SHELL_ENABLED=true\n")
    assert _gated(root, "METRICS_KEY") == {"metrics": "svc/site/shell/views.py:15"}
    # ``if settings.DEBUG: return banner``: the flag picks what the view returns; the view runs.
    assert "banner" not in [c.name for c in candidates(CodeGraph(discover(root)), "DEBUG")]
    assert _gated(root, "DEBUG") == {}
    assert _gated(planted(tmp_path / "off", DJANGO, "DEBUG=false\n"), "DEBUG") == {}


def test_job_registered_in_a_list_under_a_flag(tmp_path: Path) -> None:
    root = planted(tmp_path, DJANGO, "DEBUG=false\n")
    gated = _gated(root, "CLEANUP_ENABLED")
    assert gated == {"cleanup": "svc/site/jobs.py:14"}
    assert "heartbeat" not in gated  # registered outside the test: runs whatever the flag says


def test_router_mounted_under_an_environment_test_gates_its_routes_only(tmp_path: Path) -> None:
    root = planted(tmp_path, FASTAPI, "ENVIRONMENT=production\n", "ENVIRONMENT=local\n")
    assert _gated(root, "ENVIRONMENT") == {"create_user": "svc/app/api/main.py:9"}
    assert _gated(root, "ENVIRONMENT", "staging") == {}


def test_one_graph_answers_every_switch_and_parses_each_module_once(tmp_path: Path) -> None:
    root = planted(tmp_path, DJANGO, "DEBUG=false\n")
    graph = CodeGraph(discover(root))
    first = gated_by(graph, "SHELL_ENABLED", "production")
    parsed = dict(graph.corpus._parsed)
    assert parsed, "the first question parsed the modules it needed"
    second = gated_by(graph, "CLEANUP_ENABLED", "production")
    assert [g.symbol for g in first] == ["add"] and [g.symbol for g in second] == ["cleanup"]
    # The modules the first question read are the very objects the second one used.
    assert all(graph.corpus._parsed[rel] is m for rel, m in parsed.items())


def test_check_names_the_code_each_off_switch_keeps_off(tmp_path: Path) -> None:
    root = planted(
        tmp_path, DJANGO, "DEBUG=false\n", "DEBUG=false\nSHELL_ENABLED=true\nCLEANUP_ENABLED=true\n"
    )
    report = run_check(root, "production")
    flags = next(s for s in report.sections if s.id == "flags")
    by_key = {f.key: f for f in flags.findings if f.code == "FLG002"}
    assert by_key["SHELL_ENABLED"].message.endswith("; it keeps add (svc/site/shell/views.py:6) from running")
    assert "cleanup (svc/site/jobs.py:8)" in by_key["CLEANUP_ENABLED"].message
    table = next(t for t in flags.tables if t.title == "Code a switch keeps off in production")
    # METRICS_KEY, read without a default and unset (FLG004), keeps its view off too.
    assert {(r[0], r[2]) for r in table.rows} == {
        ("SHELL_ENABLED", "add"),
        ("CLEANUP_ENABLED", "cleanup"),
        ("METRICS_KEY", "metrics"),
    }
    # One table in the whole report, in the flags section.
    assert sum(t.title.startswith("Code a switch") for s in report.sections for t in s.tables) == 1
    # In staging both are on; only METRICS_KEY, unset there too, still keeps its view off.
    staging = run_check(root, "staging").sections
    told = {f.key for s in staging for f in s.findings if "from running" in f.message}
    assert told == {"METRICS_KEY"}
    flags_staging = next(s for s in staging if s.id == "flags")
    table = next(t for t in flags_staging.tables if t.title == "Code a switch keeps off in staging")
    assert {(r[0], r[2]) for r in table.rows} == {("METRICS_KEY", "metrics")}


# -- TypeScript/JavaScript and Go, shaped after documenso, outline and the otel demo -----------


def _tree_project(tmp_path: Path, files: dict[str, str], production: str) -> Path:
    from test_why_tree import planted as tree_planted

    return tree_planted(tmp_path, files, production)


def test_ts_procedure_behind_a_predicate_and_a_memo_that_only_answers_differently(tmp_path: Path) -> None:
    from test_why_tree import BILLING

    files = {
        **BILLING,
        "components/invite-dialog.tsx": """
            import { IS_BILLING_ENABLED } from '../lib/constants/app';
            export const InviteDialog = () => {
              const dialogState = useMemo(() => {
                if (!IS_BILLING_ENABLED()) {
                  return 'form';
                }
                return 'upsell';
              }, []);
              return dialogState;
            };
            """,
    }
    root = _tree_project(tmp_path, files, "DATABASE_URL=postgres://db/app\n")
    assert _gated(root, "NEXT_PUBLIC_FEATURE_BILLING_ENABLED") == {
        "getInvoicesRoute": "svc/trpc/get-invoices.ts:9"
    }
    (tmp_path / "svc/.env.production").write_text("NEXT_PUBLIC_FEATURE_BILLING_ENABLED=true\n")
    assert _gated(root, "NEXT_PUBLIC_FEATURE_BILLING_ENABLED") == {}


def test_anonymous_route_handler_is_named_by_its_path_and_a_bare_return_in_it_counts(tmp_path: Path) -> None:
    from test_why_tree import SETTINGS_CLASS

    root = _tree_project(tmp_path, SETTINGS_CLASS, "NODE_ENV=production\nRATE_LIMITER_ENABLED=false\n")
    # EMAIL_ENABLED stands for SMTP_HOST (a settings field built from it): the route throws without it.
    assert _gated(root, "SMTP_HOST") == {"users.requestDelete": "svc/server/routes/api/users.ts:11"}
    # ``if (!env.RATE_LIMITER_ENABLED) return;`` at the top of a handler shuts it.
    assert _gated(root, "RATE_LIMITER_ENABLED") == {"users.info": "svc/server/routes/api/users.ts:19"}


def test_go_function_behind_a_local_parsebool_of_the_key(tmp_path: Path) -> None:
    files = {
        "api/main.go": """
            package main

            import (
                "log"
                "os"
                "strconv"
            )

            func startMetrics() {
                enabled, _ := strconv.ParseBool(os.Getenv("METRICS_ENABLED"))
                if !enabled {
                    return
                }
                log.Println("metrics on")
            }

            func main() {
                go startMetrics()
            }
            """,
    }
    root = _tree_project(tmp_path, files, "METRICS_ENABLED=false\n")
    assert _gated(root, "METRICS_ENABLED") == {"startMetrics": "svc/api/main.go:12"}
    (tmp_path / "svc/.env.production").write_text("METRICS_ENABLED=true\n")
    assert _gated(root, "METRICS_ENABLED") == {}


PLUGINS = {
    **STORAGE_PLUGIN,
    "plugins/slack/server/api/hooks.ts": """
        import Router from "koa-router";
        const router = new Router();

        router.post("hooks.unfurl", verifySlackToken(), async (ctx: APIContext) => {
          ctx.body = await unfurl(ctx.input.body);
        });

        export default router;
        """,
    "plugins/slack/server/index.ts": """
        import hooks from "./api/hooks";

        const enabled = !!process.env.SLACK_CLIENT_ID && !!process.env.SLACK_CLIENT_SECRET;

        if (enabled) {
          PluginManager.add([{ type: Hook.API, value: hooks }]);
        }
        """,
}


def test_routes_of_a_router_a_plugin_mounts_only_under_a_test(tmp_path: Path) -> None:
    root = _tree_project(tmp_path, PLUGINS, "FILE_STORAGE=s3\nFILE_STORAGE_LOCAL_ROOT_DIR=/data\n")
    assert _gated(root, "FILE_STORAGE") == {"files.create": "svc/plugins/storage/server/index.ts:6"}
    # Two credentials, both unset: neither alone opens the test, and each is its switch.
    assert set(_gated(root, "SLACK_CLIENT_ID")) == {"hooks.unfurl"}
    assert set(_gated(root, "SLACK_CLIENT_SECRET")) == {"hooks.unfurl"}
    # FILE_STORAGE_LOCAL_ROOT_DIR is set: it is not what keeps the route off.
    assert _gated(root, "FILE_STORAGE_LOCAL_ROOT_DIR") == {}
    (tmp_path / "svc/.env.production").write_text("FILE_STORAGE=local\nFILE_STORAGE_LOCAL_ROOT_DIR=/data\n")
    assert _gated(root, "FILE_STORAGE") == {}
