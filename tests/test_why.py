"""`parity why SYMBOL`: the chain, the switch, the exact fix, exit codes — on examples/shop and planted apps."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import SHOP_SECRETS, copy_shop, run_cli
from parity.cli.app import app
from parity.code.why import SymbolNotFound, why
from parity.project import discover

runner = CliRunner()


def test_shop_export_orders_switch_and_missing_key_then_fixed(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    r = why(discover(shop), "export_orders", "production")
    kinds = [(s.kind, s.file, s.line) for s in r.steps]
    assert kinds[:3] == [
        ("defined", "services/api/app/exports.py", 9),
        ("registered", "services/api/app/main.py", 18),
        ("if", "services/api/app/main.py", 17),
    ]
    cond = r.steps[2]
    assert cond.verdict == "false"
    assert [(k.key, k.state) for k in cond.keys] == [("FEATURE_ENABLE_EXPORTS", "unset")]
    switch, missing = r.blockers
    assert (switch.kind, switch.key) == ("switch", "FEATURE_ENABLE_EXPORTS")
    assert f"{switch.message}; {switch.fix}" == (
        "FEATURE_ENABLE_EXPORTS is unset in services/api (production); "
        "set FEATURE_ENABLE_EXPORTS=true in services/api/.env.production"
    )
    assert (missing.kind, missing.key, missing.file, missing.line) == (
        "missing",
        "EXPORTS_BUCKET",
        "services/api/app/exports.py",
        10,
    )
    assert missing.fix.startswith("set EXPORTS_BUCKET=<value> in services/api/.env.production")

    cli = run_cli("why", "export_orders", str(shop), "--env", "production")
    assert cli.returncode == 1, cli.stderr
    assert (
        "the switch: FEATURE_ENABLE_EXPORTS is unset in services/api (production); "
        "set FEATURE_ENABLE_EXPORTS=true in services/api/.env.production"
    ) in cli.stdout
    assert "services/api/app/main.py:17" in cli.stdout
    assert "also needs: EXPORTS_BUCKET is missing in services/api (production)" in cli.stdout

    # The same chain from the route path.
    by_route = why(discover(shop), "/exports", "production")
    assert [b.key for b in by_route.blockers] == ["FEATURE_ENABLE_EXPORTS", "EXPORTS_BUCKET"]

    # Staging has both: nothing blocks there.
    assert not why(discover(shop), "export_orders", "staging").blocked

    sync = run_cli(
        "env", "sync", str(shop), "--env", "production", "--apply",
        "--set", "api:FEATURE_ENABLE_EXPORTS=true", "--set", "api:EXPORTS_BUCKET=shop-exports-prod",
    )  # fmt: skip
    assert sync.returncode in (0, 1), sync.stderr
    after = why(discover(shop), "export_orders", "production")
    assert not after.blocked
    assert next(s for s in after.steps if s.kind == "if").verdict == "true"
    result = runner.invoke(app, ["why", "export_orders", str(shop)])
    assert result.exit_code == 0, result.output
    assert "nothing blocks export_orders in production" in result.output


def test_symbol_not_found_exits_2_with_close_matches(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    with pytest.raises(SymbolNotFound) as err:
        why(discover(shop), "export_order", "production")
    assert err.value.hint is not None and "export_orders" in err.value.hint
    result = run_cli("why", "export_ordrs", str(shop))
    assert result.returncode == 2
    assert "did you mean: export_orders" in result.stderr
    assert result.stdout == ""


def test_json_format_and_no_secret(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    (shop / "services/api/app/signing.py").write_text(
        "import os\n\ndef sign(body):\n    return os.environ['API_SECRET_KEY'] + os.environ['EXPORTS_BUCKET']\n",
        encoding="utf-8",
    )
    for fmt in ("json", "text", "markdown"):
        result = runner.invoke(app, ["why", "sign", str(shop), "--env", "staging", "--format", fmt])
        assert result.exit_code == 0, result.output
        for secret in SHOP_SECRETS:
            assert secret not in result.output
    data = json.loads(runner.invoke(app, ["why", "sign", str(shop), "--format", "json"]).output)
    assert data["blocked"] is True
    assert [b["key"] for b in data["blockers"]] == ["EXPORTS_BUCKET"]


def planted(tmp_path: Path, files: dict[str, str], env: dict[str, str]) -> Path:
    svc = tmp_path / "svc"
    for rel, text in files.items():
        p = svc / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
    for name, text in env.items():
        (svc / f".env.{name}").write_text(text, encoding="utf-8")
    return tmp_path


FASTAPI = {
    "app/routes.py": """
        from fastapi import APIRouter

        router = APIRouter()

        @router.get("/reports")
        def list_reports():
            return []
        """,
    "app/main.py": """
        from os import getenv as ge
        from fastapi import FastAPI
        from app import routes

        ENABLED = ge("FF_REPORTS", "0") in ("1", "true")
        app = FastAPI()

        if ENABLED:
            app.include_router(routes.router)
        """,
}


def test_decorated_route_mounted_under_a_flag_via_module_constant(tmp_path: Path) -> None:
    root = planted(tmp_path, FASTAPI, {"staging": "FF_REPORTS=true\n", "production": "FF_REPORTS=false\n"})
    r = why(discover(root), "/reports", "production")
    steps = [(s.kind, s.file) for s in r.steps]
    assert ("decorator", "svc/app/routes.py") in steps
    assert ("mounted", "svc/app/main.py") in steps
    switch = r.blockers[0]
    assert switch.message == "FF_REPORTS=false in svc (production)"
    assert switch.fix == "set FF_REPORTS=true in svc/.env.production"
    assert not why(discover(root), "list_reports", "staging").blocked


def test_else_branch_typer_command_and_unknown_conditions(tmp_path: Path) -> None:
    files = {
        "cli.py": """
            import os
            import typer

            app = typer.Typer()

            if os.environ.get("LEGACY_MODE") == "on":
                pass
            else:
                @app.command("export-all")
                def export_all():
                    pass

            if some_runtime_check():
                @app.command()
                def purge_cache():
                    pass
            """
    }
    root = planted(tmp_path, files, {"production": "LEGACY_MODE=on\n"})
    r = why(discover(root), "export-all", "production")
    cond = next(s for s in r.steps if s.kind == "else")
    assert cond.verdict == "false" and cond.text.startswith("not ")
    assert r.blockers[0].message == "LEGACY_MODE=on in svc (production)"
    assert r.blockers[0].fix == "set LEGACY_MODE=true in svc/.env.production"
    # A condition parity cannot evaluate is shown as unknown and never reported as the switch.
    unknown = why(discover(root), "purge-cache", "production")
    assert [s.verdict for s in unknown.steps if s.kind == "if"] == ["unknown"]
    assert not unknown.blocked


def test_django_urlpatterns_and_method_of_a_class(tmp_path: Path) -> None:
    files = {
        "shop/urls.py": """
            import os
            from django.urls import path
            from shop import views

            urlpatterns = [path("health/", views.health)]
            if os.environ["FEATURE_ENABLE_BILLING"].lower() == "true":
                urlpatterns += [path("billing/", views.Billing.as_view())]
            """,
        "shop/views.py": """
            import os

            def health(request):
                return "ok"

            class Billing:
                def charge(self):
                    return os.environ["STRIPE_API_KEY"]
            """,
    }
    root = planted(
        tmp_path,
        files,
        {
            "production": "FEATURE_ENABLE_BILLING=false\n",
            "staging": "FEATURE_ENABLE_BILLING=true\nSTRIPE_API_KEY=sk_test_FAKE_0000\n",
        },
    )
    r = why(discover(root), "Billing", "production")
    assert any(s.kind == "registered" and s.file == "svc/shop/urls.py" for s in r.steps)
    assert r.blockers[0].fix == "set FEATURE_ENABLE_BILLING=true in svc/.env.production"
    m = why(discover(root), "Billing.charge", "production")
    missing = [b for b in m.blockers if b.kind == "missing"]
    assert [b.key for b in missing] == ["STRIPE_API_KEY"]
    assert "sk_test_FAKE_0000" not in missing[0].fix  # the hint from staging is masked
    assert not why(discover(root), "/health", "production").blocked
    route = why(discover(root), "/billing", "production")
    assert [(b.kind, b.key) for b in route.blockers] == [
        ("switch", "FEATURE_ENABLE_BILLING"),
        ("missing", "STRIPE_API_KEY"),
    ]


def test_condition_on_a_pydantic_settings_field(tmp_path: Path) -> None:
    files = {
        "app/config.py": """
            from pydantic_settings import BaseSettings, SettingsConfigDict

            class Settings(BaseSettings):
                model_config = SettingsConfigDict(env_prefix="SHOP_")
                enable_invoices: bool = False
                max_items: int = 10

            settings = Settings()
            """,
        "app/main.py": """
            from fastapi import FastAPI
            from app.config import settings

            app = FastAPI()

            if settings.enable_invoices and settings.max_items > 5:
                @app.get("/invoices")
                def invoices():
                    return []
            """,
    }
    root = planted(
        tmp_path, files, {"staging": "SHOP_ENABLE_INVOICES=yes\n", "production": "SHOP_MAX_ITEMS=20\n"}
    )
    r = why(discover(root), "/invoices", "production")
    cond = next(s for s in r.steps if s.kind == "if")
    assert cond.verdict == "false"
    assert [(k.key, k.state) for k in cond.keys] == [
        ("SHOP_ENABLE_INVOICES", "unset"),
        ("SHOP_MAX_ITEMS", "set"),
    ]
    assert r.blockers[0].message == "SHOP_ENABLE_INVOICES is unset in svc (production)"
    assert r.blockers[0].fix == "set SHOP_ENABLE_INVOICES=true in svc/.env.production"
    staging = why(discover(root), "invoices", "staging")
    assert [s.verdict for s in staging.steps if s.kind == "if"] == ["true"]
    assert not staging.blocked


def test_value_from_a_kubernetes_secret_is_masked_whatever_its_name(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    k8s = shop / "k8s" / "production"
    (k8s / "secrets.yaml").write_text(
        (k8s / "secrets.yaml").read_text(encoding="utf-8") + "  billing-account: YWNjdC0xMjM0NS1wbGFpbg==\n",
        encoding="utf-8",
    )  # base64 of acct-12345-plain: nothing in its name or value looks secret
    api = (k8s / "api.yaml").read_text(encoding="utf-8")
    entry = (
        "            - name: BILLING_ACCOUNT\n              valueFrom:\n                secretKeyRef:\n"
        "                  name: api-secrets\n                  key: billing-account\n"
    )
    (k8s / "api.yaml").write_text(
        api.replace("            - name: POD_NAME\n", entry + "            - name: POD_NAME\n")
    )
    (shop / "services/api/app/billing.py").write_text(
        "import os\n\ndef bill(order):\n    return os.environ['BILLING_ACCOUNT']\n", encoding="utf-8"
    )
    assert why(discover(shop), "bill", "production").blockers == ()  # the Secret provides it there
    r = why(discover(shop), "bill", "staging")
    assert [b.key for b in r.blockers] == ["BILLING_ACCOUNT"]
    assert "(production has hmac:" in r.blockers[0].fix
    flags = runner.invoke(app, ["flags", str(shop), "--env", "staging", "--format", "json"])
    assert "BILLING_ACCOUNT" in flags.output and "(production has hmac:" in flags.output
    for out in (flags.output, json.dumps(r.as_dict())):
        assert "acct-12345-plain" not in out


def test_django_settings_read_with_decouple(tmp_path: Path) -> None:
    files = {
        "shop/urls.py": """
            from decouple import config
            from django.urls import path
            from shop import views

            urlpatterns = []
            if config("REFUNDS_ENABLED", default=False, cast=bool):
                urlpatterns.append(path("refunds/", views.refund))
            """,
        "shop/views.py": "def refund(request):\n    return 'ok'\n",
    }
    root = planted(
        tmp_path, files, {"production": "REFUNDS_ENABLED=off\n", "staging": "REFUNDS_ENABLED=yes\n"}
    )
    r = why(discover(root), "refund", "production")
    assert r.blockers[0].message == "REFUNDS_ENABLED=off in svc (production)"
    assert r.blockers[0].fix == "set REFUNDS_ENABLED=true in svc/.env.production"
    assert not why(discover(root), "/refunds", "staging").blocked
