"""How the code around a read copes with an unset variable: defaults after method chains, tests,
comparisons, guards that raise, try/except, Rails ERB config. Shaped after real Rails, Node and
Python apps (optional integrations behind ``.present?``, ``.presence || default``, ``if (!x) throw``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from parity.code.files import source_files
from parity.code.patterns import go_references, js_references, ruby_references
from parity.code.python_refs import python_references
from parity.code.refs import RawRef


def _by_name(refs: list[RawRef]) -> dict[str, list[RawRef]]:
    out: dict[str, list[RawRef]] = {}
    for r in refs:
        out.setdefault(r.name, []).append(r)
    return out


RUBY = """\
config.port = ENV['MAIL_PORT']&.to_i || 587
config.pool = ENV['DB_POOL'].presence || "5"
on = (key = ENV["TWITTER_KEY"]).present? && ENV["TWITTER_SECRET"].present?
return if ENV['SLACK_HOOK'].blank?
open = ENV['SKIP_INVITES'] != 'true'
length = ENV['LOG_LENGTH'].present? ? ENV['LOG_LENGTH'].to_i : 200
within = Utils.parse_duration(ENV['CONFIRM_WITHIN']).presence || 3.days
raise "APP_SECRET must be set" unless ENV['APP_SECRET'].present?
key = ENV['PLAIN_KEY']
loud = ENV['LOUD'].downcase == 'true'
"""


@pytest.mark.parametrize(
    ("key", "default"),
    [("MAIL_PORT", "587"), ("DB_POOL", "5"), ("CONFIRM_WITHIN", "3.days")],
)
def test_ruby_default_after_a_nil_safe_chain_or_a_helper(key: str, default: str) -> None:
    (ref,) = _by_name(ruby_references(RUBY))[key]
    assert ref.has_default and ref.default == default and not ref.crashes


@pytest.mark.parametrize("key", ["TWITTER_KEY", "TWITTER_SECRET", "SLACK_HOOK", "LOG_LENGTH"])
def test_ruby_tested_reads_cope(key: str) -> None:
    refs = _by_name(ruby_references(RUBY))[key]
    # LOG_LENGTH: the second read is the ternary branch behind the first read's test.
    assert refs and all(r.has_default and not r.crashes for r in refs)


def test_ruby_comparison_is_a_switch_and_a_raise_is_a_requirement() -> None:
    got = _by_name(ruby_references(RUBY))
    (skip,) = got["SKIP_INVITES"]
    assert skip.boolean and skip.has_default
    (secret,) = got["APP_SECRET"]
    assert secret.crashes and not secret.has_default
    (plain,) = got["PLAIN_KEY"]
    assert not plain.has_default and not plain.crashes
    # ``nil.downcase`` raises: a switch, but not one that copes with being unset.
    (loud,) = got["LOUD"]
    assert loud.boolean and not loud.has_default


JS = """\
if (!process.env.DATABASE_URL) {
  throw new Error("DATABASE_URL is required");
}
if (process.env.SENTRY_DSN) init(process.env.SENTRY_DSN);
const on = process.env.FEATURE_SEARCH === "true";
const proxy = process.env.HTTP_PROXY ? agent() : undefined;
const list = process.env.ALLOWED_HOSTS?.split(",") ?? [];
const bucket = process.env.BUCKET;
if (!process.env.CDN_HOST) return null;
"""


def test_js_guards() -> None:
    got = _by_name(js_references(JS))
    assert got["DATABASE_URL"][0].crashes
    assert got["SENTRY_DSN"][0].has_default  # the test; the call inside runs only when set
    assert got["FEATURE_SEARCH"][0].boolean and got["FEATURE_SEARCH"][0].has_default
    assert got["HTTP_PROXY"][0].has_default
    assert not got["BUCKET"][0].has_default and not got["BUCKET"][0].crashes
    assert got["CDN_HOST"][0].has_default and not got["CDN_HOST"][0].crashes  # returns, does not throw


# Shaped after a Node server's logger options and a Rails initializer: optional chaining on the read.
JS_CHAINED = """\
const logging = (msg) => process.env.DEBUG?.includes("database") && log(msg);
const region = process.env.AWS_REGION.toLowerCase();
if (!process.env.SMTP_HOST?.length) { throw new Error("SMTP_HOST is required"); }
if (process.env.CDN_URL?.startsWith("https")) { useCdn(); }
"""


def test_optional_chaining_on_a_read_copes_unless_a_throw_follows_the_missing_branch() -> None:
    got = _by_name(js_references(JS_CHAINED))
    assert got["DEBUG"][0].has_default and not got["DEBUG"][0].crashes
    assert not got["AWS_REGION"][0].has_default  # plain `.`: throws when unset
    assert got["SMTP_HOST"][0].crashes
    assert got["CDN_URL"][0].has_default and not got["CDN_URL"][0].crashes
    ruby = _by_name(ruby_references("host = ENV['MAIL_HOST']&.strip\nport = ENV['MAIL_PORT'].strip\n"))
    assert ruby["MAIL_HOST"][0].has_default
    assert not ruby["MAIL_PORT"][0].has_default


def test_go_comparison_with_a_boolean_literal() -> None:
    src = 'import "os"\nfunc main() {\n\tif os.Getenv("ENABLE_TRACING") == "1" {\n\t\tgo trace()\n\t}\n\tu := os.Getenv("UPSTREAM")\n}\n'
    got = _by_name(go_references(src))
    assert got["ENABLE_TRACING"][0].boolean
    assert not got["UPSTREAM"][0].boolean and not got["UPSTREAM"][0].has_default


PY = """\
import os
A = os.environ.get("POOL_SIZE") or str(DEFAULT_POOL)
B = int_or_default(os.environ.get("MAX_UPLOAD"), 20000)
C = int_or_none(os.environ.get("TIMEOUT"))
D = os.getenv("SIGNUP_ENABLED") == "true"
if os.getenv("SENTRY_DSN"):
    import sentry_sdk
if not os.getenv("SECRET_KEY"):
    raise RuntimeError("SECRET_KEY is required")
try:
    E = os.environ["REDIS_URL"]
except KeyError:
    E = None
if "WORKERS" in os.environ:
    F = os.environ["WORKERS"]
G = os.environ["DATABASE_URL"]
H = os.getenv("DEBUG_SQL").lower() == "true"
I = json.loads(os.environ["PROXY_HEADER"]) if "PROXY_HEADER" in os.environ else None
"""


@pytest.mark.parametrize(
    ("key", "default"),
    [("POOL_SIZE", "str(DEFAULT_POOL)"), ("MAX_UPLOAD", "20000"), ("TIMEOUT", "None")],
)
def test_python_defaults_through_or_and_defaulting_casts(key: str, default: str) -> None:
    (ref,) = _by_name(python_references(PY))[key]
    assert ref.has_default and ref.default == default


def test_python_guards() -> None:
    got = _by_name(python_references(PY))
    assert got["SIGNUP_ENABLED"][0].boolean and got["SIGNUP_ENABLED"][0].has_default
    assert got["SENTRY_DSN"][0].has_default
    assert got["SECRET_KEY"][0].crashes
    assert got["REDIS_URL"][0].has_default and not got["REDIS_URL"][0].crashes  # KeyError caught
    assert all(r.has_default and not r.crashes for r in got["WORKERS"])  # read only when present
    assert got["DATABASE_URL"][0].crashes
    assert all(r.has_default and not r.crashes for r in got["PROXY_HEADER"])  # behind `if … in os.environ`
    # ``None.lower()`` raises: a switch, not one that copes.
    assert got["DEBUG_SQL"][0].boolean and not got["DEBUG_SQL"][0].has_default


def test_rails_erb_config_is_read_as_ruby(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "database.yml").write_text(
        "production:\n  pool: <%= ENV['DATABASE_POOL'].presence || \"20\" %>\n"
    )
    (tmp_path / "config" / "app.yml").write_text("name: <%= ENV['NOT_ERB'] %>\n")
    (tmp_path / "database.yml").write_text("pool: <%= ENV['TOP_LEVEL'] %>\n")
    (tmp_path / "views").mkdir()
    (tmp_path / "views" / "home.html.erb").write_text("<%= ENV['BANNER_TEXT'] %>\n")
    langs = dict(source_files(tmp_path))
    assert langs == {"config/database.yml": "ruby", "views/home.html.erb": "ruby"}
    pool = ruby_references((tmp_path / "config" / "database.yml").read_text())
    assert [(r.name, r.default) for r in pool] == [("DATABASE_POOL", "20")]


def test_walrus_test_is_a_guard() -> None:
    src = 'import os\nif admins := os.getenv("ADMINS"):\n    ADMINS = admins.split(",")\n'
    (ref,) = python_references(src)
    assert ref.name == "ADMINS" and ref.has_default


def test_settings_fields_the_module_passes_are_not_required() -> None:
    # Shaped after apps whose factory generates secrets into the data dir when unset.
    src = """\
from pydantic_settings import BaseSettings

class AppSettings(BaseSettings):
    SECRET: str
    DATA_DIR: str

def build(data_dir):
    secrets = {"SECRET": generate(data_dir)}
    return AppSettings(**secrets)
"""
    got = {r.name: r for r in python_references(src)}
    assert got["SECRET"].has_default and not got["SECRET"].crashes
    assert got["DATA_DIR"].crashes


def _helper_project(root: Path) -> Path:
    files = {
        "app/parsers.py": (
            "import os\n\n"
            "def get_bool_from_env(key, default='NO'):\n"
            "    return os.getenv(key, default).lower() in ('y', 'yes', 't', 'true', '1')\n\n"
            "def get_int_from_env(key, default=None):\n"
            "    if key not in os.environ:\n        return default\n"
            "    return int(os.environ[key])\n\n"
            "def must(key):\n    return os.environ[key]\n"
        ),
        "app/settings.py": (
            "import os\nfrom app.parsers import get_bool_from_env, get_int_from_env, must\n\n"
            "def envsecret(s, default=None):\n"
            "    if path := os.getenv(s + '_FILE'):\n        return open(path).read()\n"
            "    return os.getenv(s, default)\n\n"
            "RECURSIVE = get_bool_from_env('CONSUMER_RECURSIVE')\n"
            "WORKERS = get_int_from_env('WEB_WORKERS', 2)\n"
            "TIMEOUT = get_int_from_env('TIMEOUT')\n"
            "SECRET_KEY = envsecret('SECRET_KEY')\n"
            "DB = must('DATABASE_NAME')\n"
        ),
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_reads_through_python_helper_functions_across_modules(tmp_path: Path) -> None:
    from parity.code.scan import scan

    refs = scan(_helper_project(tmp_path)).references
    got = {r.name: r for r in refs if not r.dynamic}
    recursive = got["CONSUMER_RECURSIVE"]
    assert (recursive.via, recursive.default, recursive.has_default, recursive.boolean) == (
        "get_bool_from_env()", "NO", True, True,
    )  # fmt: skip
    assert got["WEB_WORKERS"].default == "2" and got["WEB_WORKERS"].has_default
    # get_int_from_env checks `key not in os.environ` first: no crash, None when unset.
    assert not got["TIMEOUT"].has_default and not got["TIMEOUT"].crashes
    assert not got["SECRET_KEY"].has_default and not got["SECRET_KEY"].crashes
    assert got["DATABASE_NAME"].crashes
    # The wrappers' own generic reads are not reads of "any key" (only the `s + "_FILE"` one stays).
    assert [r.name for r in refs if r.dynamic] == ["*_FILE"]


def test_go_helper_functions_are_readers() -> None:
    # Shaped after Go services that map required env into struct fields through one helper.
    src = """package main

import (
\t"fmt"
\t"os"
)

func mustMapEnv(target *string, envKey string) {
\tv := os.Getenv(envKey)
\tif v == "" {
\t\tpanic(fmt.Sprintf("environment variable %q not set", envKey))
\t}
\t*target = v
}

func optional(key string) string { return os.Getenv(key) }

func main() {
\tvar addr, port string
\tmustMapEnv(&addr, "CART_ADDR")
\tmustMapEnv(&port, "CHECKOUT_PORT")
\tregion := optional("REGION")
\tfmt.Println(addr, port, region)
}
"""
    got = {r.name: r for r in go_references(src)}
    assert set(got) == {"CART_ADDR", "CHECKOUT_PORT", "REGION"}  # no "*" from the helpers' own reads
    assert got["CART_ADDR"].crashes and got["CART_ADDR"].via == "mustMapEnv()"
    assert got["CHECKOUT_PORT"].line == 21
    assert not got["REGION"].crashes and not got["REGION"].has_default


def test_csharp_environment_and_configuration_reads() -> None:
    from parity.code.tree_reads import csharp_references

    src = """
var host = Environment.GetEnvironmentVariable("DB_HOST") ?? "localhost";
var key = Environment.GetEnvironmentVariable("JWT_SECRET");
var issuer = builder.Configuration["Jwt:Issuer"];
var ttl = configuration.GetValue<int>("Cache:Ttl", 60);
var db = Configuration.GetConnectionString("Default");
var label = $"{Environment.GetEnvironmentVariable($"X_{n}")}";
"""
    got = {r.name: r for r in csharp_references(src)}
    assert set(got) == {"DB_HOST", "JWT_SECRET", "Jwt__Issuer", "Cache__Ttl", "ConnectionStrings__Default"}
    assert got["DB_HOST"].default == "localhost" and got["DB_HOST"].has_default
    assert not got["JWT_SECRET"].has_default
    assert got["Cache__Ttl"].default == "60"
    assert got["Jwt__Issuer"].line == 4


def test_rust_env_var_by_what_the_code_does_with_the_result() -> None:
    from parity.code.tree_reads import rust_references

    src = """use std::env;
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = env::var("DATABASE_URL").expect("DATABASE_URL must be set");
    let port = std::env::var("PORT").unwrap_or("8080".to_string());
    let debug = env::var("DEBUG").ok();
    let key = env::var("API_KEY")?;
    let sha = env!("GIT_SHA");
    let tag = option_env!("BUILD_TAG");
    Ok(())
}
"""
    got = {r.name: r for r in rust_references(src)}
    assert got["DATABASE_URL"].crashes and got["API_KEY"].crashes
    assert got["PORT"].has_default and got["PORT"].default == "8080"
    assert got["DEBUG"].has_default and not got["DEBUG"].crashes
    assert got["GIT_SHA"].context == "build" and got["BUILD_TAG"].context == "build"


def test_a_subscript_read_compared_or_tested_still_raises_when_unset(tmp_path: Path) -> None:
    """``os.environ["X"] == "1"`` and ``if os.environ["X"]:`` raise KeyError with X unset: a
    comparison is no guard for a subscript read (it is for ``os.environ.get``)."""
    from parity.code.scan import scan

    (tmp_path / "app.py").write_text(
        "import os\n"
        'if os.environ["FEATURE_X"] == "1":\n    pass\n'
        'if os.environ["Y_ENABLED"]:\n    pass\n'
        'soft = os.environ.get("SOFT") == "1"\n'
    )
    refs = {r.name: r for r in scan(tmp_path).references}
    assert refs["FEATURE_X"].crashes and refs["Y_ENABLED"].crashes
    assert not refs["SOFT"].crashes and refs["SOFT"].boolean


def test_settings_fields_another_module_passes_are_not_required(tmp_path: Path) -> None:
    # Shaped after an app whose logging settings class gets PRODUCTION from a config module
    # (which reads the env with a default) while the field itself has none.
    from parity.code.scan import scan

    (tmp_path / "app" / "settings").mkdir(parents=True)
    (tmp_path / "app" / "settings" / "settings.py").write_text(
        "from pydantic_settings import BaseSettings\n\n"
        "class LoggingSettings(BaseSettings):\n    PRODUCTION: bool\n    LOG_DIR: str\n"
    )
    (tmp_path / "app" / "config.py").write_text(
        "import os\nfrom app.settings import settings\n\n"
        'PRODUCTION = os.getenv("PRODUCTION", "True").lower() in ["true", "1"]\n\n'
        "def logging_settings():\n    return settings.LoggingSettings(PRODUCTION=PRODUCTION)\n"
    )
    fields = {r.name: r for r in scan(tmp_path).references if r.via.startswith("pydantic-settings")}
    assert not fields["PRODUCTION"].crashes and fields["PRODUCTION"].has_default
    assert fields["LOG_DIR"].crashes  # nobody passes it: the env must
