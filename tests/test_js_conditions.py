"""A JS/TS read inside a branch is needed only where the branch is taken. Shaped after documenso:
its mailer reads each transport's key only under ``if (transport === 'resend')``, and its CSC
signing transport opens with ``if (!IS_INSTANCE_CSC_MODE()) throw`` where the predicate lives in
another package and compares ``env('NEXT_PRIVATE_SIGNING_TRANSPORT')`` with ``'csc'``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.helpers import run_cli

from parity.code.js_conditions import conditions
from parity.model.condition import describe, holds

READERS = frozenset({"env", "requireEnv"})


def _conds(text: str, reads: list[tuple[int, str]], resolve=lambda name: None):  # type: ignore[no-untyped-def]
    return conditions(text, "x.ts", reads, READERS, resolve)


def test_if_branches_and_early_returns() -> None:
    text = (
        "export const getTransport = () => {\n"  # 1
        "  const transport = env('MAIL_TRANSPORT') ?? 'smtp-auth';\n"  # 2
        "  if (transport === 'resend') {\n"  # 3
        "    return resend(env('RESEND_API_KEY'));\n"  # 4
        "  }\n"  # 5
        "  if (transport !== 'smtp-api') {\n"  # 6
        "    return smtp(env('SMTP_HOST'));\n"  # 7
        "  }\n"  # 8
        "  return api(requireEnv('SMTP_APIKEY'));\n"  # 9
        "};\n"
    )
    got = _conds(text, [(4, "RESEND_API_KEY"), (7, "SMTP_HOST"), (9, "SMTP_APIKEY")])
    resend, host, apikey = got[(4, "RESEND_API_KEY")], got[(7, "SMTP_HOST")], got[(9, "SMTP_APIKEY")]
    unset: dict[str, str] = {}
    # Unset takes the code's own default, 'smtp-auth'.
    assert holds(resend, unset.get) is False
    assert holds(host, unset.get) is True
    assert holds(apikey, unset.get) is False
    assert holds(resend, {"MAIL_TRANSPORT": "resend"}.get) is True
    # Past the early returns the transport is neither resend nor anything but smtp-api.
    assert holds(apikey, {"MAIL_TRANSPORT": "smtp-api"}.get) is True
    assert describe(resend) == "MAIL_TRANSPORT is 'resend'"


def test_switch_case_with_fall_through_and_and_chain() -> None:
    text = (
        "function build() {\n"  # 1
        "  switch (process.env.STORAGE) {\n"  # 2
        "    case 's3':\n"  # 3
        "    case 'minio':\n"  # 4
        "      return s3(process.env.S3_BUCKET);\n"  # 5
        "    default:\n"  # 6
        "      return disk();\n"  # 7
        "  }\n"  # 8
        "}\n"  # 9
        "const prompt = process.env.OIDC && check(process.env.OIDC_PROMPT);\n"  # 10
    )
    got = _conds(text, [(5, "S3_BUCKET"), (10, "OIDC_PROMPT")])
    bucket = got[(5, "S3_BUCKET")]
    assert holds(bucket, {"STORAGE": "minio"}.get) is True
    assert holds(bucket, {"STORAGE": "s3"}.get) is True
    assert holds(bucket, {"STORAGE": "disk"}.get) is False
    prompt = got[(10, "OIDC_PROMPT")]
    assert holds(prompt, {}.get) is False
    assert holds(prompt, {"OIDC": "1"}.get) is True


def test_predicate_from_another_file_and_unknown_tests() -> None:
    text = (
        "const build = async () => {\n"  # 1
        "  if (!IS_CSC_MODE()) {\n"  # 2
        "    throw new Error('not csc');\n"  # 3
        "  }\n"  # 4
        "  if (cache.ready) return cache.value;\n"  # 5
        "  return requireEnv('CSC_URL');\n"  # 6
        "};\n"  # 7
        "const other = () => { if (isReady()) { return requireEnv('OTHER_URL'); } };\n"  # 8
    )
    predicate = (
        "export const IS_CSC_MODE = (): boolean => {\n"
        "  if (typeof window === 'undefined') {\n"
        "    return env('SIGNING_TRANSPORT') === 'csc';\n"
        "  }\n"
        "  return env('PUBLIC_TRANSPORT_IS_CSC') === 'true';\n"
        "};\n"
    )
    from parity.code.js_conditions import predicate_in

    def resolve(name: str):  # type: ignore[no-untyped-def]
        return predicate_in(predicate, "app.ts", name, READERS, resolve) if name == "IS_CSC_MODE" else None

    got = _conds(text, [(6, "CSC_URL"), (8, "OTHER_URL")], resolve)
    csc = got[(6, "CSC_URL")]
    # Which side runs (browser or server) is unknown, but both sides say "not CSC" when unset.
    assert holds(csc, {}.get) is False
    assert holds(csc, {"SIGNING_TRANSPORT": "csc"}.get) is None
    assert holds(csc, {"SIGNING_TRANSPORT": "csc", "PUBLIC_TRANSPORT_IS_CSC": "true"}.get) is True
    # A test parity cannot read (a cache, a call with no env behind it) never hides a read.
    assert (8, "OTHER_URL") not in got


def test_a_key_the_code_writes_is_no_test_of_the_environment() -> None:
    text = (
        "export const url = () => {\n"  # 1
        "  if (process.env.POSTGRES_URL) {\n"  # 2
        "    process.env.DATABASE_URL = process.env.POSTGRES_URL;\n"  # 3
        "  }\n"  # 4
        "  if (!process.env.DATABASE_URL) return undefined;\n"  # 5
        "  return new URL(process.env.DIRECT_URL);\n"  # 6
        "};\n"
    )
    got = _conds(text, [(6, "DIRECT_URL")])
    assert (6, "DIRECT_URL") not in got


def _documenso_like(root: Path, transport: str) -> None:
    (root / "packages" / "email").mkdir(parents=True)
    (root / "packages" / "email" / "mailer.ts").write_text(
        "import { env } from '../env';\n"
        "export const getTransport = () => {\n"
        "  const transport = env('MAIL_TRANSPORT') ?? 'smtp-auth';\n"
        "  if (transport === 'resend') {\n"
        "    if (!env('RESEND_API_KEY')) {\n"
        "      throw new Error('Resend transport requires RESEND_API_KEY');\n"
        "    }\n"
        "    return resend(env('RESEND_API_KEY'));\n"
        "  }\n"
        "  return smtp(env('SMTP_HOST'));\n"
        "};\n"
    )
    (root / "packages" / "env.ts").write_text(
        "export const env = (name: string) => process.env[name];\n"
        "export const requireEnv = (name: string) => {\n"
        "  const v = process.env[name];\n"
        "  if (!v) throw new Error(`${name} is required`);\n"
        "  return v;\n"
        "};\n"
    )
    (root / "packages" / "signing").mkdir()
    (root / "packages" / "signing" / "mode.ts").write_text(
        "import { env } from '../env';\n"
        "export const IS_CSC_MODE = () => env('SIGNING_TRANSPORT') === 'csc';\n"
    )
    (root / "packages" / "signing" / "csc.ts").write_text(
        "import { requireEnv } from '../env';\n"
        "import { IS_CSC_MODE } from './mode';\n"
        "export const buildCsc = async () => {\n"
        "  if (!IS_CSC_MODE()) {\n"
        "    throw new Error('CSC transport requested but SIGNING_TRANSPORT is not csc');\n"
        "  }\n"
        "  return connect(requireEnv('CSC_BASE_URL'));\n"
        "};\n"
    )
    (root / "package.json").write_text('{"name": "app", "scripts": {"start": "node server.js"}}\n')
    (root / ".env.example").write_text(
        "MAIL_TRANSPORT=smtp-auth\nSMTP_HOST=smtp.example.test\nRESEND_API_KEY=re_fake\n"
        "SIGNING_TRANSPORT=local\nCSC_BASE_URL=https://csc.example.test\n"
    )
    signing = "csc" if transport == "resend" else "local"
    (root / ".env.production").write_text(
        f"MAIL_TRANSPORT={transport}\nSMTP_HOST=smtp.example.test\nSIGNING_TRANSPORT={signing}\n"
    )


@pytest.mark.parametrize("transport", ["smtp-auth", "resend"])
def test_check_asks_for_a_branch_key_only_where_the_branch_runs(tmp_path: Path, transport: str) -> None:
    _documenso_like(tmp_path, transport)
    out = run_cli("check", str(tmp_path), "--env", "production", "--format", "json").stdout
    report = json.loads(out)
    loud = {
        (f["code"], f["key"])
        for s in report["sections"]
        for f in s["findings"]
        if f["severity"] in ("error", "warning")
    }
    branch_keys = {"RESEND_API_KEY", "CSC_BASE_URL"}
    flagged = {key for _, key in loud if key in branch_keys}
    if transport == "smtp-auth":
        # Production sends through SMTP and signs locally: neither branch runs.
        assert flagged == set()
    else:
        # Production chose Resend and CSC: both keys are needed and missing.
        assert flagged == branch_keys


def test_describe_groups_an_or_inside_an_and_and_negation_flips_both() -> None:
    from parity.model.condition import All, Any_, Not, Source, Truthy, describe

    a, b, c = (Truthy(Source(k)) for k in ("A", "B", "C"))
    cond = All((a, Any_((b, c))))
    assert describe(cond) == "A is set and (B is set or C is set)"
    # Negated (De Morgan): the outer "and" becomes "or", the inner "or" an "and" — still grouped.
    assert (
        describe(cond, negate=True) == "A is unset or empty or (B is unset or empty and C is unset or empty)"
    )
    # The same joiner needs no parentheses, a Not in between is seen through.
    assert describe(Any_((a, Any_((b, c))))) == "A is set or B is set or C is set"
    assert describe(All((a, Not(All((b, c)))))) == "A is set and (B is unset or empty or C is unset or empty)"
