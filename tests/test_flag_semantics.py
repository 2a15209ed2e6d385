"""Flags a person would agree with: names by meaning, polarity, the code's default, flips against
the reference environment and the example, and values that are no switch."""

from __future__ import annotations

from pathlib import Path

import pytest

from parity.code.audit import audit, keys_read_by_code
from parity.code.flag_state import feature_state, raw_for
from parity.model.findings import Finding
from parity.model.flagvalue import classify, is_inverted
from parity.project import discover


def make(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def findings(root: Path, env: str = "production") -> list[Finding]:
    return list(audit(discover(root), env).findings)


def by(found: list[Finding], code: str, key: str) -> list[Finding]:
    return [f for f in found if f.code == code and f.key == key]


@pytest.mark.parametrize(
    ("key", "inverted"),
    [("APP_FEATURE_DISABLE_X", True), ("DISABLE_SIGNUP", True), ("SIGNUP_DISABLED", True),
     ("APP_ENABLE_Y", False), ("SEARCH_ENABLED", False), ("DISABLED_REASON_TEXT", True),
     ("DISABLEMENT_MODE", False)],
)  # fmt: skip
def test_disable_names_invert_the_feature(key: str, inverted: bool) -> None:
    assert is_inverted(key) is inverted


def test_feature_state_takes_the_code_default_and_the_polarity() -> None:
    assert feature_state("unset", "true", inverted=False) == "on"
    assert feature_state("unset", "true", inverted=True) == "off"
    assert feature_state("false", "true", inverted=True) == "on"
    assert feature_state("unset", "unknown", inverted=False) == "unknown"
    assert feature_state("invalid", "false", inverted=False) == "invalid"
    assert raw_for("off", inverted=True) == "true" and raw_for("off", inverted=False) == "false"
    assert classify(" No ") == "false"


WIDE = (
    "import os\n"
    'A = os.getenv("APP_FEATURE_X", "false") == "true"\n'
    'B = os.getenv("APP_ENABLE_Y", "false") == "true"\n'
    'C = os.getenv("ENABLE_Z", "false") == "true"\n'
    'D = os.getenv("APP_DISABLE_Q", "false") == "true"\n'
    'E = os.getenv("UPLOADS_DISABLED", "false") == "true"\n'
    'F = os.getenv("FF_ROUTING", "false") == "true"\n'
)


def test_widened_names_report_flips(tmp_path: Path) -> None:
    keys = ("APP_FEATURE_X", "APP_ENABLE_Y", "ENABLE_Z", "APP_DISABLE_Q", "UPLOADS_DISABLED", "FF_ROUTING")
    root = make(
        tmp_path,
        {
            "svc/app.py": WIDE,
            "svc/.env.staging": "".join(f"{k}=true\n" for k in keys),
            "svc/.env.production": "".join(f"{k}=false\n" for k in keys),
        },
    )
    found = findings(root)
    flipped = {f.key for f in found if f.code == "FLG002" and f.severity == "error"}
    assert flipped == set(keys)


def test_a_boolean_read_is_a_flag_whatever_its_name(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "svc/app.py": 'import os\nBETA = os.environ.get("BETA_SEARCH") == "true"\n',
            "svc/.env.staging": "BETA_SEARCH=true\n",
            "svc/.env.production": "BETA_SEARCH=false\n",
        },
    )
    a = audit(discover(root), "production")
    assert ("BETA_SEARCH", "svc") in a.matrix
    (flip,) = by(list(a.findings), "FLG002", "BETA_SEARCH")
    assert flip.severity == "error"
    assert "the feature is off in production but on in staging" in flip.message


def test_disable_flag_says_what_happens_to_the_feature(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "svc/app.py": 'import os\nOFF = os.getenv("APP_FEATURE_DISABLE_X", "false") == "true"\n',
            "svc/.env.staging": "APP_FEATURE_DISABLE_X=false\n",
            "svc/.env.production": "APP_FEATURE_DISABLE_X=true\n",
        },
    )
    (flip,) = by(findings(root), "FLG002", "APP_FEATURE_DISABLE_X")
    assert flip.severity == "error"
    assert flip.message.startswith("APP_FEATURE_DISABLE_X is true in svc (production), false in staging")
    assert "the feature is off in production but on in staging" in flip.message
    assert flip.fix == "set APP_FEATURE_DISABLE_X=false in svc/.env.production"


def test_the_reverse_flip_is_an_error_too(tmp_path: Path) -> None:
    # Off in staging, on in production: the feature goes live untried.
    root = make(
        tmp_path,
        {
            "svc/app.py": 'import os\nON = os.getenv("APP_ENABLE_Y", "false") == "true"\n',
            "svc/.env.staging": "APP_ENABLE_Y=false\n",
            "svc/.env.production": "APP_ENABLE_Y=true\n",
        },
    )
    (flip,) = by(findings(root), "FLG002", "APP_ENABLE_Y")
    assert flip.severity == "error" and "on in production but off in staging" in flip.message


def test_a_code_default_true_is_on_when_unset_everywhere(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "svc/app.py": 'import os\nON = os.environ.get("EXPORTS_ENABLED", "true").lower() == "true"\n',
            "svc/.env.staging": "OTHER=1\n",
            "svc/.env.production": "OTHER=1\n",
        },
    )
    found = findings(root)
    assert not by(found, "FLG008", "EXPORTS_ENABLED")  # the code default turns it on
    (note,) = by(found, "FLG001", "EXPORTS_ENABLED")
    assert note.severity == "info" and "the feature is on" in note.message
    (ready,) = by(found, "FLG007", "EXPORTS_ENABLED")
    assert "on in every environment" in ready.message
    assert not by(found, "FLG002", "EXPORTS_ENABLED")


def test_unset_against_an_explicit_value_equal_to_the_default_is_no_flip(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "svc/app.py": 'import os\nON = os.environ.get("EXPORTS_ENABLED", "true") == "true"\n',
            "svc/.env.staging": "EXPORTS_ENABLED=true\n",
            "svc/.env.production": "OTHER=1\n",
        },
    )
    found = findings(root)
    assert not by(found, "FLG002", "EXPORTS_ENABLED")
    assert not by(found, "FLG008", "EXPORTS_ENABLED")
    assert by(found, "FLG007", "EXPORTS_ENABLED")


def test_unset_with_default_true_against_staging_off_is_a_flip(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "svc/app.py": 'import os\nON = os.environ.get("EXPORTS_ENABLED", "true") == "true"\n',
            "svc/.env.staging": "EXPORTS_ENABLED=false\n",
            "svc/.env.production": "OTHER=1\n",
        },
    )
    (flip,) = by(findings(root), "FLG002", "EXPORTS_ENABLED")
    assert "the code default 'true' decides, so the feature is on in production but off in staging" in (
        flip.message
    )
    assert flip.fix == "set EXPORTS_ENABLED=false in svc/.env.production"


def test_javascript_nullish_default_true(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "svc/index.js": 'const on = (process.env.SIGNUP_ENABLED ?? "true") === "true";\n',
            "svc/.env.staging": "OTHER=1\n",
            "svc/.env.production": "OTHER=1\n",
        },
    )
    a = audit(discover(root), "production")
    assert a.defaults[("SIGNUP_ENABLED", "svc")].state == "true"
    assert not by(list(a.findings), "FLG008", "SIGNUP_ENABLED")
    assert by(list(a.findings), "FLG007", "SIGNUP_ENABLED")


def test_a_comparison_without_a_default_is_off_when_unset(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "svc/app.rb": "use_tls = ENV['SMTP_ENABLE_STARTTLS_AUTO'] == 'true'\n",
            "svc/.env.staging": "SMTP_ENABLE_STARTTLS_AUTO=true\n",
            "svc/.env.production": "OTHER=1\n",
        },
    )
    (flip,) = by(findings(root), "FLG002", "SMTP_ENABLE_STARTTLS_AUTO")
    assert flip.severity == "error" and "off in production but on in staging" in flip.message


def test_the_example_flip_is_a_warning_when_the_target_leaves_it_to_the_default(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "svc/app.py": 'import os\nTLS = os.getenv("SMTP_STARTTLS_ENABLED", "false") == "true"\n',
            "svc/.env.example": "SMTP_STARTTLS_ENABLED=true\n",
            "svc/.env.production": "OTHER=1\n",
        },
    )
    (warn,) = by(findings(root), "FLG002", "SMTP_STARTTLS_ENABLED")
    assert warn.severity == "warning"
    assert "true in the example" in warn.message and "off in production but on in the example" in warn.message


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        # huginn's .env.example, word for word in shape: the comment gives production's value.
        ("# Set to true in development, false in production", None),
        # The comment makes the example's value an opt-in: a note, not a gap.
        ("# Set to 'true' if you would prefer new users to start with a default set of agents", "info"),
        # The comment gives production the example's value: production, unset, is off against it.
        ("# Keep this true in production", "warning"),
        # A comment that says neither changes nothing.
        ("# Sends mail through STARTTLS", "warning"),
    ],
)
def test_the_example_comment_says_what_production_should_have(
    tmp_path: Path, comment: str, expected: str | None
) -> None:
    root = make(
        tmp_path,
        {
            "svc/app.rb": 'SANDBOX = ENV["USE_SANDBOX"] == "true"\n',
            "svc/.env.example": f"OTHER=1\n\n{comment}\nUSE_SANDBOX=true\n",
            "svc/.env.production": "OTHER=1\n",
        },
    )
    got = by(findings(root), "FLG002", "USE_SANDBOX")
    assert [f.severity for f in got] == ([] if expected is None else [expected])


def test_a_value_the_target_sets_is_its_choice_not_an_example_flip(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "svc/app.py": 'import os\nSSL = os.getenv("FORCE_SSL_ENABLED", "false") == "true"\n',
            "svc/.env.example": "FORCE_SSL_ENABLED=false\n",
            "svc/.env.production": "FORCE_SSL_ENABLED=true\n",
        },
    )
    assert not by(findings(root), "FLG002", "FORCE_SSL_ENABLED")


def test_staging_is_the_reference_when_both_exist(tmp_path: Path) -> None:
    # Staging agrees with production: the example's other value is only a template's.
    root = make(
        tmp_path,
        {
            "svc/app.py": 'import os\nON = os.getenv("APP_ENABLE_Y", "false") == "true"\n',
            "svc/.env.example": "APP_ENABLE_Y=true\n",
            "svc/.env.staging": "APP_ENABLE_Y=false\n",
            "svc/.env.production": "APP_ENABLE_Y=false\n",
            "svc/.env.development": "APP_ENABLE_Y=true\n",
        },
    )
    assert not by(findings(root), "FLG002", "APP_ENABLE_Y")


def test_compose_interpolation_is_no_code_read(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "svc/app.py": "import os\nURL = os.getenv('DATABASE_URL', '')\n",
            "svc/.env.production": "DATABASE_URL=postgres://db/app\n",
            "compose.yml": (
                "services:\n  svc:\n    build: ./svc\n    env_file:\n      - ./svc/.env.production\n"
                "    environment:\n      FEATURE_BETA: ${FEATURE_BETA:-false}\n"
            ),
        },
    )
    project = discover(root)
    assert "FEATURE_BETA" not in keys_read_by_code(project)
    a = audit(project, "production")
    assert not any(f.key == "FEATURE_BETA" and f.code in ("FLG001", "FLG004", "FLG008") for f in a.findings)
    assert not any(r.name == "FEATURE_BETA" for r in a.scan.references)


def test_a_non_boolean_value_under_a_flag_name_is_no_switch(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "svc/app.py": (
                "import os\n"
                'SIGNUP = os.getenv("ENABLE_SIGNUP_URL", "")\n'
                'LIST = os.getenv("FEATURE_LIST", "").split(",")\n'
            ),
            "svc/.env.staging": "ENABLE_SIGNUP_URL=https://staging.example.test/signup\nFEATURE_LIST=a,b\n",
            "svc/.env.production": "ENABLE_SIGNUP_URL=https://example.test/signup\nFEATURE_LIST=a\n",
        },
    )
    a = audit(discover(root), "production")
    flagged = {f.key for f in a.findings if f.code in ("FLG002", "FLG003", "FLG007", "FLG008")}
    assert not flagged & {"ENABLE_SIGNUP_URL", "FEATURE_LIST"}
    assert ("ENABLE_SIGNUP_URL", "svc") not in a.matrix and ("FEATURE_LIST", "svc") not in a.matrix


def test_a_typo_in_a_switch_is_still_no_boolean(tmp_path: Path) -> None:
    # The code reads it as a boolean, so "ture" is a broken switch, not some other kind of value.
    root = make(
        tmp_path,
        {
            "svc/app.py": 'import os\nOFF = os.getenv("DISABLE_SIGNUP") == "true"\n',
            "svc/.env.staging": "DISABLE_SIGNUP=true\n",
            "svc/.env.production": "DISABLE_SIGNUP=ture\n",
        },
    )
    found = findings(root)
    (bad,) = by(found, "FLG003", "DISABLE_SIGNUP")
    assert bad.severity == "error"
    assert not by(found, "FLG002", "DISABLE_SIGNUP")  # no state to compare: FLG003 says it


def test_codes_agree_on_a_default_on_disable_flag(tmp_path: Path) -> None:
    # DISABLE flag, unset everywhere, read without a default: None is false, so the feature is on.
    root = make(
        tmp_path,
        {
            "svc/app.py": 'import os\nOFF = os.getenv("UPLOADS_DISABLED") == "true"\n',
            "svc/.env.staging": "OTHER=1\n",
            "svc/.env.production": "OTHER=1\n",
        },
    )
    found = findings(root)
    (note,) = by(found, "FLG001", "UPLOADS_DISABLED")
    assert "the feature is on" in note.message
    assert by(found, "FLG007", "UPLOADS_DISABLED") and not by(found, "FLG008", "UPLOADS_DISABLED")


def test_the_matrix_says_what_unset_means(tmp_path: Path) -> None:
    from parity.code.audit import build_flags_section

    root = make(
        tmp_path,
        {
            "svc/app.py": (
                "import os\n"
                'A = os.getenv("EXPORTS_ENABLED", "true") == "true"\n'
                'B = os.getenv("UPLOADS_DISABLED") == "true"\n'
                'C = os.environ["FF_STRICT"]\n'
            ),
            "svc/.env.staging": "FF_STRICT=1\n",
            "svc/.env.production": "FF_STRICT=1\n",
        },
    )
    table = build_flags_section(discover(root), "production").tables[0]
    assert table.columns[-2] == "if unset"
    means = {row[0]: row[-2] for row in table.rows}
    assert means == {"EXPORTS_ENABLED": "on", "UPLOADS_DISABLED": "on", "FF_STRICT": "raises"}


def test_the_configured_reference_environment_is_the_one_compared(tmp_path: Path) -> None:
    code = 'import os\nON = os.getenv("APP_ENABLE_Y", "false") == "true"\n'
    files = {
        "svc/app.py": code,
        "svc/.env.staging": "APP_ENABLE_Y=true\n",
        "svc/.env.qa": "APP_ENABLE_Y=false\n",
        "svc/.env.production": "APP_ENABLE_Y=false\n",
    }
    # Without configuration staging is the reference: the flag flips.
    plain = make(tmp_path / "a", files)
    assert by(findings(plain), "FLG002", "APP_ENABLE_Y")
    # ``--reference qa`` as the caller passes it.
    assert not by(
        list(audit(discover(plain), "production", reference="qa").findings), "FLG002", "APP_ENABLE_Y"
    )
    # qa agrees with production: no flip, whatever staging says.
    root = make(tmp_path / "b", {**files, "parity.toml": 'reference = "qa"\n'})
    assert not by(findings(root), "FLG002", "APP_ENABLE_Y")


def test_check_flips_flags_against_the_reference_it_was_given(tmp_path: Path) -> None:
    """`check --reference preprod` compares flags with preprod, not staging: a flag production
    shares with preprod is no flip, the same flag against staging is."""
    import json

    from tests.helpers import run_cli

    api = tmp_path / "services" / "api"
    api.mkdir(parents=True)
    (api / "app.py").write_text('import os\nEXPORTS = os.environ.get("FEATURE_EXPORTS") == "true"\n')
    (api / ".env.example").write_text("FEATURE_EXPORTS=\n")
    (api / ".env.staging").write_text("FEATURE_EXPORTS=true\n")
    (api / ".env.preprod").write_text("FEATURE_EXPORTS=false\n")
    (api / ".env.production").write_text("FEATURE_EXPORTS=false\n")

    def flips(*extra: str) -> list[str]:
        out = run_cli("check", str(tmp_path), "--env", "production", "--format", "json", *extra).stdout
        flags = next(s for s in json.loads(out)["sections"] if s["id"] == "flags")
        return [
            f["code"] for f in flags["findings"] if f["key"] == "FEATURE_EXPORTS" and f["severity"] == "error"
        ]

    assert flips("--reference", "staging")
    assert flips("--reference", "preprod") == []


def test_enable_turns_the_feature_on_for_a_disable_flag_too() -> None:
    from parity.workflow.envflow import enable_sets

    assert enable_sets(("APP_DISABLE_SIGNUP", "api:FEATURE_EXPORTS", "worker:JOBS_DISABLED")) == [
        "APP_DISABLE_SIGNUP=false",
        "api:FEATURE_EXPORTS=true",
        "worker:JOBS_DISABLED=false",
    ]


def test_a_test_environment_is_no_reference_for_flips(tmp_path: Path) -> None:
    """Shaped after outline: `.env.test` turns the rate limiter off for the test run; production
    leaving it at the code's default (on) is no flip. A deployed environment that differs is."""
    import json

    from tests.helpers import run_cli

    (tmp_path / "server").mkdir()
    (tmp_path / "server" / "env.ts").write_text(
        'export const limiter = (process.env.RATE_LIMITER_ENABLED ?? "true") === "true";\n'
    )
    (tmp_path / ".env.example").write_text("URL=https://docs.example.test\n")
    (tmp_path / ".env.test").write_text("RATE_LIMITER_ENABLED=false\n")
    (tmp_path / ".env.production").write_text("URL=https://docs.example.test\n")

    def flips() -> list[str]:
        out = run_cli("check", str(tmp_path), "--env", "production", "--format", "json").stdout
        flags = next(s for s in json.loads(out)["sections"] if s["id"] == "flags")
        return [f["message"] for f in flags["findings"] if f["code"] == "FLG002"]

    assert flips() == []
    (tmp_path / ".env.preprod").write_text("RATE_LIMITER_ENABLED=false\nURL=https://pre.example.test\n")
    assert any("preprod" in m for m in flips())
