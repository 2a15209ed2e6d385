"""The shortcuts lint takes for speed find what the full path finds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parity.plan.lint import lint_sql
from parity.plan.lint_postgres import PLAIN_CALLS, _plain_call
from parity.report.jsonfmt import dumps_indented

LONG = "a" * 64


@pytest.mark.parametrize(
    "sql",
    [
        f"ALTER TABLE t ADD COLUMN {LONG} text;",  # plain ASCII, no quotes: the prefilter's case
        f'ALTER TABLE t ADD COLUMN "{"a b " * 17}" text;',  # quoted, with spaces
    ],
)
def test_long_identifier_found_past_the_prefilter(sql: str) -> None:
    codes = [f.code for f in lint_sql(sql, "postgres")]
    assert "MIG036" in codes


def test_short_identifiers_are_not_flagged() -> None:
    sql = f"ALTER TABLE t ADD COLUMN {'a' * 63} text; COMMENT ON TABLE t IS '{'x' * 100}';"
    assert "MIG036" not in [f.code for f in lint_sql(sql, "postgres")]


def test_default_calls_walk_nested_functions() -> None:
    sql = "ALTER TABLE t ADD COLUMN c text DEFAULT lower(my_fn(1));"
    messages = [f.message for f in lint_sql(sql, "postgres") if f.code == "MIG008"]
    assert messages and "my_fn()" in messages[0]


def test_cli_reads_lint_settings_from_pyproject_too(tmp_path: Path) -> None:
    """`parity lint` loads the config module only when a config file is there; pyproject.toml's
    [tool.parity] counts as one."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.parity.lint]\nignore = ["MIG009"]\n'
    )
    (tmp_path / "m.sql").write_text("SET statement_timeout = '5s';\nCOMMENT ON TABLE t IS 'x';\n")
    res = subprocess.run(
        [sys.executable, "-m", "parity", "lint", "m.sql", "-f", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert json.loads(res.stdout)["sections"][0]["findings"] == []
    (tmp_path / "pyproject.toml").unlink()
    res = subprocess.run(
        [sys.executable, "-m", "parity", "lint", "m.sql", "-f", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert [f["code"] for f in json.loads(res.stdout)["sections"][0]["findings"]] == ["MIG009"]


@pytest.mark.parametrize("count", [32, 31])
def test_identifier_limit_counts_utf8_bytes(count: int) -> None:
    """32 × 'é' is 32 characters but 64 bytes: over PostgreSQL's 63-byte limit; 31 are 62 bytes."""
    name = "é" * count
    for sql in (f"CREATE TABLE {name} (id bigint);", f'CREATE TABLE "{name}" (id bigint);'):
        found = [f for f in lint_sql(sql, "postgres") if f.code == "MIG036"]
        assert bool(found) is (count == 32), (sql, found)
        if found:
            assert "64 bytes" in found[0].message and found[0].line == 1


def test_lines_are_right_after_non_ascii_text() -> None:
    sql = "-- créé — déjà vu\n-- ünïcödé\nCREATE INDEX i ON orders (a);\n"
    assert [(f.code, f.line) for f in lint_sql(sql, "postgres") if f.code == "MIG004"] == [("MIG004", 3)]


def test_repeated_default_is_printed_for_each_statement() -> None:
    """The printed text of a default is shared between statements only when the expression is
    the same; a different argument is printed again."""
    sql = (
        "ALTER TABLE a ADD COLUMN t uuid DEFAULT gen_random_uuid();\n"
        "ALTER TABLE b ADD COLUMN t uuid DEFAULT gen_random_uuid();\n"
        "ALTER TABLE c ADD COLUMN n bigint DEFAULT nextval('c_seq');\n"
        "ALTER TABLE d ADD COLUMN n bigint DEFAULT nextval('d_seq');\n"
    )
    messages = [f.message for f in lint_sql(sql, "postgres") if f.code == "MIG008"]
    assert len(messages) == 4
    assert "a.t DEFAULT gen_random_uuid()" in messages[0] and "b.t DEFAULT gen_random_uuid()" in messages[1]
    assert "'c_seq'" in messages[2] and "'d_seq'" in messages[3]


def _parity(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parity", *args], capture_output=True, text=True, cwd=cwd, timeout=60
    )


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["-f", "json"],
        ["--format=sarif", "--dialect", "postgres", "--pg-version", "10"],
        ["-d", "mysql", "-f", "markdown"],
        ["-d", "sqlite", "--format", "json"],
    ],
)
def test_direct_lint_matches_the_framework(tmp_path: Path, options: list[str]) -> None:
    """`parity lint FILE… options` runs without typer; `--` before the files makes the same
    command go through typer: both print the same report with the same exit code."""
    (tmp_path / "a.sql").write_text("ALTER TABLE orders ADD COLUMN note text NOT NULL;\nDROP TABLE old;\n")
    (tmp_path / "b.sql").write_text("-- parity:no-transaction\nCREATE INDEX i ON orders (ref);\n")
    direct = _parity(tmp_path, "lint", "a.sql", "b.sql", *options)
    framework = _parity(tmp_path, "lint", *options, "--", "a.sql", "b.sql")
    assert direct.returncode == framework.returncode == 1
    assert direct.stdout == framework.stdout and direct.stderr == framework.stderr
    assert "MIG001" in direct.stdout


@pytest.mark.parametrize(
    "args",
    [["--pg-version", "8", "a.sql"], ["-d", "oracle", "a.sql"], ["a.sql", "-f"], ["--bogus", "a.sql"], []],
)
def test_direct_lint_leaves_bad_usage_to_the_framework(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "a.sql").write_text("SELECT 1;\n")
    res = _parity(tmp_path, "lint", *args)
    assert res.returncode == 2 and res.stderr.startswith("parity: error:"), res.stderr
    assert res.stdout == ""


def test_direct_lint_reports_a_missing_file(tmp_path: Path) -> None:
    res = _parity(tmp_path, "lint", "nope.sql")
    assert res.returncode == 2 and "nope.sql" in res.stderr and res.stdout == ""


_JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
_JSON = st.recursive(
    _JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@given(_JSON)
def test_report_json_writer_matches_the_standard_library(value: object) -> None:
    """The JSON report's writer prints what json.dumps(indent=2, ensure_ascii=False) prints."""
    assert dumps_indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


@pytest.mark.parametrize(
    "default",
    [
        *(f"{name}()" for name in sorted(PLAIN_CALLS)),
        "GEN_RANDOM_UUID ( )",
        "public.gen_random_uuid()",
        "random() * 10",
        "count(*)",
        "uuid_generate_v4() || 'x'",
    ],
)
def test_a_plain_call_is_printed_as_pglast_prints_it(default: str) -> None:
    from pglast import parse_sql
    from pglast.parser import parse_sql_json
    from pglast.stream import RawStream

    sql = f"ALTER TABLE t ADD COLUMN e text DEFAULT {default}"
    tree = json.loads(parse_sql_json(sql))["stmts"][0]["stmt"]["AlterTableStmt"]
    expr = tree["cmds"][0]["AlterTableCmd"]["def"]["ColumnDef"]["constraints"][0]["Constraint"]["raw_expr"]
    printed = str(RawStream()(parse_sql(sql)[0].stmt.cmds[0].def_.constraints[0].raw_expr))
    fast = _plain_call(expr)
    assert fast is None or fast == printed
    # The bare calls of the list take the shortcut; anything else is left to pglast's printer.
    assert (fast is not None) == (default.replace(" ", "").lower().rstrip("()") in PLAIN_CALLS)


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_the_checker_runs_with_the_cycle_collector_paused(
    dialect: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pause must wrap the checker's call (the PostgreSQL one returns a finished list, so
    pausing while its result is listed pauses nothing), and the collector is back on after."""
    import gc

    from parity.plan import lint_generic, lint_postgres

    seen: list[bool] = []
    module = lint_postgres if dialect == "postgres" else lint_generic
    real = module.check

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "check", spy)
    assert gc.isenabled()
    assert lint_sql("ALTER TABLE t DROP COLUMN c;", dialect)
    assert seen == [False] and gc.isenabled()
