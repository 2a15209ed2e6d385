"""JS/TS env keys read through type declarations, schemas, class-validator classes, aliases and helpers."""

from __future__ import annotations

import subprocess
from pathlib import Path

from parity.code.files import language_of
from parity.code.js_schema import helper_reads, helpers_in, js_references
from parity.code.refs import RawRef
from parity.code.scan import scan

PROCESS_ENV_DTS = """\
declare namespace NodeJS {
  export interface ProcessEnv {
    APP_PORT?: string;
    APP_DATABASE_URL: string;
    // APP_COMMENTED?: string;
    APP_MODE?: 'a' | 'b';
    APP_NESTED?: { inner: string };
  }
}
"""


def test_process_env_members_are_known_keys_optional_when_marked() -> None:
    refs = {r.name: r for r in js_references(PROCESS_ENV_DTS)}
    assert set(refs) == {"APP_PORT", "APP_DATABASE_URL", "APP_MODE", "APP_NESTED"}
    assert refs["APP_PORT"].via == refs["APP_MODE"].via == "ProcessEnv type (optional)"
    # A type runs nothing: even a required member makes no key required by itself (real reads decide).
    assert refs["APP_DATABASE_URL"].has_default and not refs["APP_DATABASE_URL"].crashes
    assert refs["APP_DATABASE_URL"].line == 4 and refs["APP_DATABASE_URL"].via == "ProcessEnv type"


def test_vite_import_meta_env_members() -> None:
    text = "interface ImportMetaEnv {\n  readonly VITE_API_URL: string\n  readonly VITE_SENTRY?: string\n}\n"
    refs = {r.name: r for r in js_references(text)}
    assert set(refs) == {"VITE_API_URL", "VITE_SENTRY"}
    assert refs["VITE_SENTRY"].via == "ImportMetaEnv type (optional)"
    assert refs["VITE_API_URL"].via == "ImportMetaEnv type"


def test_env_declaration_files_are_scanned_other_dts_not() -> None:
    for name in ("process-env.d.ts", "env.d.ts", "vite-env.d.ts", "environment.d.ts", "global.d.ts"):
        assert language_of(name) == "javascript", name
    assert language_of("types.d.ts") is None
    assert language_of("index.d.ts") is None


ZOD_ENV = """\
import { z } from "zod";
const schema = z.object({
  SHOP_SECRET: z.string().min(32),
  SHOP_REGION: z.string().default("eu-west-1"),
  SHOP_SENTRY_DSN: z.string().url().optional(),
  SHOP_RETRIES: z.coerce.number().catch(3),
  SHOP_BETA: z.coerce.boolean(),
  SHOP_LEGACY: z.enum(["true", "false"]).default("false"),
  SHOP_COLOUR: z.enum(["red", "blue"]),
  nested: z.object({ lower: z.string() }),
});
export const env = schema.parse(process.env);
"""


def test_zod_fields_required_fail_at_start_optional_cope() -> None:
    refs = {r.name: r for r in js_references(ZOD_ENV)}
    assert {"SHOP_SECRET", "SHOP_REGION", "SHOP_SENTRY_DSN", "SHOP_RETRIES", "SHOP_BETA"} <= set(refs)
    assert "lower" not in refs and "nested" not in refs  # lower-case members are app data, not env
    assert refs["SHOP_SECRET"].crashes and not refs["SHOP_SECRET"].has_default
    assert refs["SHOP_REGION"].has_default and refs["SHOP_REGION"].default == "eu-west-1"
    assert refs["SHOP_SENTRY_DSN"].has_default and not refs["SHOP_SENTRY_DSN"].crashes
    assert refs["SHOP_RETRIES"].default == "3"
    assert refs["SHOP_BETA"].boolean and refs["SHOP_LEGACY"].boolean
    assert not refs["SHOP_COLOUR"].boolean


def test_zod_object_without_env_in_the_file_is_not_env() -> None:
    text = 'import { z } from "zod";\nexport const Body = z.object({ TITLE: z.string() });\n'
    assert js_references(text) == []


T3_ENV = """\
import { createEnv } from "@t3-oss/env-nextjs";
export const env = createEnv({
  server: { AUTH_SECRET: z.string(), MAIL_HOST: z.string().optional() },
  client: { NEXT_PUBLIC_SITE: z.string().url().default("https://example.test") },
  runtimeEnv: { AUTH_SECRET: process.env.AUTH_SECRET },
});
"""


def test_t3_create_env_server_and_client_blocks() -> None:
    refs = [r for r in js_references(T3_ENV) if r.via == "zod schema"]
    got = {r.name: r for r in refs}
    assert set(got) == {"AUTH_SECRET", "MAIL_HOST", "NEXT_PUBLIC_SITE"}
    assert got["AUTH_SECRET"].crashes
    assert got["NEXT_PUBLIC_SITE"].default == "https://example.test"


CLASS_ENV = """\
import { IsNotEmpty, IsOptional, IsUrl } from "class-validator";
import environment from "./utils/environment";

export class Settings {
  @IsNotEmpty()
  public SESSION_KEY = environment.SESSION_KEY ?? "";

  @IsOptional()
  @IsUrl()
  public CDN_HOST = this.toOptionalString(environment.CDN_HOST);

  public MAIL_USER = environment.MAIL_USER;

  @IsUrl()
  public BASE_URL = environment.BASE_URL ?? (environment.PAAS_NAME ? "x" : "");

  @IsUrl()
  public STATUS_URL = environment.STATUS_URL ?? "https://status.example.test";
}
"""


def test_class_validator_fields() -> None:
    got: dict[str, RawRef] = {}
    for r in js_references(CLASS_ENV):
        got.setdefault(r.name, r)
    assert got["SESSION_KEY"].crashes and not got["SESSION_KEY"].has_default
    assert got["CDN_HOST"].has_default and not got["CDN_HOST"].crashes
    assert got["MAIL_USER"].has_default  # not validated: the class accepts it unset
    assert got["BASE_URL"].crashes
    assert not got["PAAS_NAME"].crashes  # a fallback inside another key's field
    assert got["STATUS_URL"].has_default and got["STATUS_URL"].default == "https://status.example.test"


def test_aliases_of_process_env() -> None:
    text = 'const e = process.env;\nconst port = e.SHOP_PORT || "8080";\nconst key = e.SHOP_KEY;\n'
    refs = {r.name: r for r in js_references(text)}
    assert refs["SHOP_PORT"].default == "8080" and refs["SHOP_PORT"].via == "process.env alias"
    assert not refs["SHOP_KEY"].has_default and refs["SHOP_KEY"].line == 3
    destructured = {r.name: r for r in js_references('const { A_ONE, A_TWO = "d" } = process.env;\n')}
    assert destructured["A_TWO"].default == "d" and not destructured["A_ONE"].has_default


def test_import_of_unrelated_module_is_no_alias() -> None:
    text = 'import config from "./config";\nconst x = config.SHOP_PORT;\n'
    assert js_references(text) == []


HELPERS = """\
export const env = <K extends string>(variable: K): string | undefined => {
  if (typeof window !== "undefined") {
    return window.__ENV__[variable];
  }
  return typeof process !== "undefined" ? process?.env?.[variable] : undefined;
};

export const requireEnv = (variable: string, error?: Error): string => {
  const value = env(variable);
  if (!value) {
    throw error ?? new Error("missing");
  }
  return value;
};

export function getEnv(name: string, fallback: string): string {
  return process.env[name] ?? fallback;
}

export const envBool = (name: string) => process.env[name] === "true";
"""


def test_helpers_in_finds_readers_and_helpers_of_helpers() -> None:
    got = {h.name: h for h in helpers_in(HELPERS)}
    assert set(got) == {"env", "requireEnv", "getEnv", "envBool"}
    assert not got["env"].crashes and got["requireEnv"].crashes
    assert got["getEnv"].default_index == 1 and got["env"].default_index is None
    assert got["envBool"].boolean and not got["env"].boolean


def test_helper_calls_are_reads_with_default_and_crash() -> None:
    caller = """\
import { env, requireEnv, getEnv } from "./env";
const a = env("PAY_MODE") || "local";
const b = requireEnv("PAY_SECRET");
const c = getEnv("PAY_REGION", "eu");
const d = env("PAY_WEBHOOK");
const e = env(someName);
const f = myenv("NOT_A_HELPER");
"""
    refs = {r.name: r for r in helper_reads(caller, helpers_in(HELPERS))}
    assert set(refs) == {"PAY_MODE", "PAY_SECRET", "PAY_REGION", "PAY_WEBHOOK"}
    assert refs["PAY_MODE"].default == "local" and not refs["PAY_MODE"].crashes
    assert refs["PAY_SECRET"].crashes and not refs["PAY_SECRET"].has_default
    assert refs["PAY_REGION"].default == "eu"
    assert not refs["PAY_WEBHOOK"].has_default and not refs["PAY_WEBHOOK"].crashes
    assert refs["PAY_SECRET"].line == 3 and refs["PAY_SECRET"].via == "requireEnv()"


def test_scan_reads_through_helpers_across_files(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "env.ts").write_text(HELPERS)
    (tmp_path / "app.ts").write_text('import { requireEnv } from "./lib/env";\nrequireEnv("PAY_SECRET");\n')
    (tmp_path / "process-env.d.ts").write_text(PROCESS_ENV_DTS)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    result = scan(tmp_path, workers=1)
    reads = {(r.name, r.file): r for r in result.references}
    assert reads[("PAY_SECRET", "app.ts")].crashes
    assert ("APP_PORT", "process-env.d.ts") in reads
    # The helpers' own reads of "any key" are explained by their callers.
    assert not any(r.name == "*" and r.file == "lib/env.ts" for r in result.references)


def test_reads_of_a_key_typed_optional_cope(tmp_path: Path) -> None:
    (tmp_path / "env.d.ts").write_text(
        "declare namespace NodeJS { interface ProcessEnv { OPT_KEY?: string; REQ_KEY: string } }\n"
    )
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "env.ts").write_text(HELPERS)
    (tmp_path / "app.ts").write_text(
        'const a = process.env.OPT_KEY;\nconst b = process.env.REQ_KEY;\nrequireEnv("OPT_KEY");\n'
    )
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    reads = {(r.name, r.line): r for r in scan(tmp_path, workers=1).references if r.file == "app.ts"}
    assert reads[("OPT_KEY", 1)].has_default
    assert not reads[("REQ_KEY", 2)].has_default
    assert reads[("OPT_KEY", 3)].crashes and not reads[("OPT_KEY", 3)].has_default
