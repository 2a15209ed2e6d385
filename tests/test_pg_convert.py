"""Column type conversions on a real PostgreSQL (issue 17): verified by value, pre-checked on the
existing rows before anything runs, and restored to the exact original text when they must be
undone.

PostgreSQL's jsonb keeps no key order and no whitespace (``{"b":1,"a":2}`` reads back as
``{"a": 2, "b": 1}``), and ``numeric(12,4)`` prints ``1.50`` as ``1.5000``: the same values in
another spelling, which a comparison of the text alone took for data loss.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from helpers import production_project
from parity.cli.app import app
from parity.dialects.postgres.convert import _input_is_valid_sql, _row_by_row_sql
from parity.errors import MigrationError
from parity.migrate import dir as mdir
from parity.migrate import service
from parity.migrate.convert import Conversion
from parity.migrate.runtime import open_runtime
from parity.project import discover

pytestmark = pytest.mark.postgres
runner = CliRunner()

# Keys in an order jsonb changes, whitespace it drops, a nested object, an array, a NULL.
DOCS = (
    "CREATE TABLE docs (id serial PRIMARY KEY, body text, n integer, price numeric(10,2), "
    "amount numeric(10,2));"
    "INSERT INTO docs (body, n, price, amount) VALUES "
    """('{"b":1,"a":2}', 1, 1.50, 2.50), """
    """('{ "z" : [1, 2],  "a":{"y":1,"x":2} }', 2147483647, 99999999.99, -0.15), """
    "(NULL, NULL, NULL, NULL), "
    "('[3, 2,1]', -7, 0, 12345678.9)"
)
DECLARED = (
    "CREATE TABLE docs (id serial PRIMARY KEY, body jsonb, n bigint, price numeric(12,2), "
    "amount numeric(12,4));\n"
)
SECRET = "token=s3cr3t-value"


def _rows(url: str) -> list[tuple[object, ...]]:
    """Every value as the text PostgreSQL prints for it: the byte-for-byte comparison."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT id, body::text, n::text, price::text, amount::text FROM docs ORDER BY id"
        ).fetchall()


def _types(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'docs'::regclass AND attnum > 0 AND NOT attisdropped"
        ).fetchall()
    return dict(rows)


def _has_history(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT to_regclass('parity_schema_history') IS NOT NULL").fetchone()
    assert row is not None
    return bool(row[0])


def _project(tmp_path: Path, url: str, setup: str, declared: str = DECLARED) -> Path:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(setup.encode())
    root = production_project(tmp_path, url)
    (root / "db").mkdir()
    (root / "db" / "schema.sql").write_text(declared)
    return root


def _dumps(root: Path) -> list[Path]:
    return sorted((root / ".parity" / "backups").glob("*/tables.sql"))


def test_text_to_jsonb_with_reordered_keys_and_numeric_widening_apply_and_roll_back_exactly(
    tmp_path: Path, pg_url: str
) -> None:
    root = _project(tmp_path, pg_url, DOCS)
    before = _rows(pg_url)

    result = runner.invoke(app, ["apply", str(root), "--yes"])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("PASS")
    assert "VER004" not in result.output
    assert "compared by value: docs.amount as numeric, docs.body as jsonb" in result.output
    assert _types(pg_url) == {
        "id": "integer",
        "body": "jsonb",
        "n": "bigint",
        "price": "numeric(12,2)",
        "amount": "numeric(12,4)",
    }
    after = _rows(pg_url)
    # The values are equal as jsonb and as numbers, though their text changed (so the test
    # would have caught a comparison by text).
    assert after[0][1] == '{"a": 2, "b": 1}' and after[0][1] != before[0][1]
    assert after[0][4] == "2.5000" and before[0][4] == "2.50"
    for (i, body, n, price, amount), (j, body0, n0, price0, amount0) in zip(after, before, strict=True):
        assert i == j
        assert (json.loads(body) if body else None) == (json.loads(body0) if body0 else None)
        for now, was in ((n, n0), (price, price0), (amount, amount0)):
            assert (Decimal(now) if now else None) == (Decimal(was) if was else None)

    # Undone: the old types, and the old text of every value (the key order and whitespace
    # jsonb dropped come back from the pg_dump backup, not from converting back).
    result = runner.invoke(app, ["rollback", str(root)])
    assert result.exit_code == 0, result.output
    assert "restored the original values of docs.body" in " ".join(result.output.split())
    assert _rows(pg_url) == before
    assert _types(pg_url)["body"] == "text" and _types(pg_url)["amount"] == "numeric(10,2)"


def test_a_row_that_is_not_json_refuses_the_plan_before_anything_runs(tmp_path: Path, pg_url: str) -> None:
    setup = DOCS + f", ('{SECRET}', 5, 1, 1)"
    root = _project(tmp_path, pg_url, setup)
    before = _rows(pg_url)

    result = runner.invoke(app, ["apply", str(root), "--yes"])
    out = " ".join(result.output.split())
    assert result.exit_code == 1 and out.endswith("FAIL"), result.output
    assert (
        "PLN006 refused before anything ran: converting docs.body text → jsonb would fail on 1 of 5 row(s) (id 5)"
        in out
    )
    assert "s3cr3t" not in result.output  # the value may be a secret: only its key is named
    # Nothing ran: no history table, no migration file, no backup, the same types and values.
    assert not _has_history(pg_url)
    assert not (root / "migrations").exists() or not any((root / "migrations").glob("*.sql"))
    assert _dumps(root) == []
    assert _types(pg_url)["body"] == "text" and _rows(pg_url) == before

    # `check` says the same without writing anything.
    result = runner.invoke(app, ["check", str(root)])
    assert "PLN006" in result.output and "(id 5)" in " ".join(result.output.split())
    assert not _has_history(pg_url)


def test_a_pending_migration_that_would_fail_is_refused_before_the_backup(
    tmp_path: Path, pg_url: str
) -> None:
    setup = DOCS + f", ('{SECRET}', 5, 1, 1), ('also not json', 6, 1, 1), ('', 7, 1, 1)"
    root = _project(tmp_path, pg_url, setup)
    project = discover(root)
    mdir.write(
        service.migrations_folder(project),
        "to_jsonb",
        "ALTER TABLE docs ALTER COLUMN n TYPE bigint;\nALTER TABLE docs ALTER COLUMN body TYPE jsonb USING body::jsonb;\n",
        "ALTER TABLE docs ALTER COLUMN body TYPE text;\n",
    )
    result = service.apply(project, "production", verify_schema=False)
    assert result.run is None and result.backup is None and not result.ok
    [refusal] = result.verification
    assert refusal.code == "MGR009" and refusal.key == "docs"
    assert refusal.message == (
        "refused before anything ran: converting docs.body text → jsonb would fail on 3 of 7 row(s) (id 5; 6; 7)"
    )
    assert any("docs.n integer → bigint converts all 7 row(s)" in n for n in result.notes)
    assert _dumps(root) == [] and not _has_history(pg_url)
    assert _types(pg_url)["body"] == "text"

    # The dry run and `migrate up --yes` say the same; the latter still changes nothing.
    for args in (["migrate", "up", str(root)], ["migrate", "up", str(root), "--yes"]):
        out = runner.invoke(app, args)
        text = " ".join(out.output.split())
        assert "MGR009 refused before anything ran" in text and "(id 5; 6; 7)" in text, out.output
        assert "s3cr3t" not in out.output
        assert out.exit_code == (0 if "--yes" not in args else 1)
    assert _dumps(root) == [] and not _has_history(pg_url) and _types(pg_url)["n"] == "integer"


def test_a_lossy_conversion_fails_verification_and_every_value_is_restored_byte_for_byte(
    tmp_path: Path, pg_url: str
) -> None:
    """numeric(10,2) → numeric(10,1) rounds: equal by text nowhere, by value not either. The
    automatic rollback must leave exactly the original text of every value, jsonb included."""
    root = _project(tmp_path, pg_url, DOCS)
    project = discover(root)
    before = _rows(pg_url)
    mdir.write(
        service.migrations_folder(project),
        "lossy",
        "ALTER TABLE docs ALTER COLUMN body TYPE jsonb USING body::jsonb;\n"
        "ALTER TABLE docs ALTER COLUMN amount TYPE numeric(10,1);\n",
        "ALTER TABLE docs ALTER COLUMN body TYPE text USING body::text;\n"
        "ALTER TABLE docs ALTER COLUMN amount TYPE numeric(10,2);\n",
    )
    result = service.apply(project, "production", verify_schema=False)
    assert result.rolled_back and not result.ok
    assert [(f.code, f.key) for f in result.verification] == [("VER004", "docs")]
    assert (
        "docs.amount changed during the migration (compared as numeric too" in result.verification[0].message
    )
    how = " ".join(result.notes)
    assert "restored the original values of docs.body, docs.amount" in how
    assert "byte for byte" in how
    assert _rows(pg_url) == before  # the text of each value: key order, whitespace, scale
    assert _types(pg_url)["body"] == "text" and _types(pg_url)["amount"] == "numeric(10,2)"


@pytest.fixture
def rt(pg_url: str):  # type: ignore[no-untyped-def]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE pairs (a int, b text, v text, PRIMARY KEY (a, b));"
            "INSERT INTO pairs VALUES (1, 'x', '1'), (2, 'y', 'two'), (1, 'z', '3.5'), (3, 'q', NULL);"
            "CREATE TABLE loose (v text); INSERT INTO loose VALUES ('1'), ('x');"
        )
    runtime = open_runtime(pg_url, read_only=True)
    try:
        yield runtime
    finally:
        runtime.close()


def test_the_precheck_counts_failing_rows_names_keys_and_stays_read_only(rt, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    version = int(rt.scalar("SHOW server_version_num"))
    check = rt.precheck(Conversion("pairs", "v", "text", "integer"))
    assert (check.rows, check.failing, check.key_columns, check.keys) == (4, 2, ("a", "b"), ("1, z", "2, y"))
    assert check.method == ("pg_input_is_valid" if version >= 160000 else "per row")
    # A USING expression is evaluated row by row on its own row (it may read any column).
    using = rt.precheck(Conversion("pairs", "v", "text", "integer", "(v || b)::integer"))
    assert (using.failing, using.method) == (3, "per row")
    # A table without a primary key names rows by ctid; a cast that cannot exist is not about rows.
    assert rt.precheck(Conversion("loose", "v", "text", "integer")).keys == ("(0,2)",)
    unknown = rt.precheck(Conversion("loose", "v", "text", "no_such_type"))
    assert unknown.failing is None and "no_such_type" in unknown.reason
    assert rt.precheck(Conversion("pairs", "b", "text", "jsonb")).failing == 4  # 'x', 'y', 'z', 'q': all
    # A question the database refuses is UNKNOWN, never a pass.
    refused = rt.precheck(Conversion("no_such_table", "v", "text", "integer"))
    assert refused.failing is None and "UndefinedTable" in refused.reason
    assert not rt.in_transaction
    with psycopg.connect(pg_url) as conn:  # nothing was created, not even temporarily
        row = conn.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'parity%'").fetchone()
    assert row == (0,)


def test_conversions_are_read_from_the_statements_with_the_catalog_type_before(rt) -> None:  # type: ignore[no-untyped-def]
    found = rt.conversions(
        [
            "ALTER TABLE pairs ALTER COLUMN v TYPE jsonb USING v::jsonb, ALTER COLUMN a TYPE bigint",
            "ALTER TABLE pairs ALTER COLUMN v TYPE json",
            "ALTER TABLE pairs ADD COLUMN w text",
            "ALTER TABLE other_schema.pairs ALTER COLUMN v TYPE int",
        ]
    )
    assert [(c.column, c.old_type, c.new_type, c.family) for c in found] == [
        ("v", "text", "jsonb", "jsonb"),
        ("a", "integer", "bigint", "numeric"),
        ("v", "jsonb", "json", "jsonb"),
    ]
    assert found[0].using == "CAST(v AS jsonb)" and found[1].using is None


def test_the_pg16_path_and_the_do_block_are_one_query_each() -> None:
    """PostgreSQL 16+ counts with pg_input_is_valid in one scan; older servers run one DO block
    whose per-row handler catches data errors only and reports through settings, not writes."""
    sql = _input_is_valid_sql('"t"', '"c"', '"id"::text', '"id"')
    assert 'pg_input_is_valid("c"::text, %s)' in sql and "[1:5]" in sql
    block = _row_by_row_sql('"t"', '"c"', "jsonb", None, '"id"::text', '"id"')
    assert block.startswith("DO $parity$") and "EXCEPTION WHEN data_exception" in block
    assert "set_config('parity.precheck_failing'" in block
    assert not any(w in block.upper() for w in ("INSERT", "UPDATE", "DELETE", "CREATE"))


def test_a_conversion_without_a_value_family_is_restored_to_its_old_text(tmp_path: Path, pg_url: str) -> None:
    """text → integer turns '007' into 7, and converting back gives '7': the backup gives '007'."""
    setup = (
        "CREATE TABLE codes (id int PRIMARY KEY, code text); INSERT INTO codes VALUES (1, '007'), (2, '42')"
    )
    root = _project(tmp_path, pg_url, setup, "CREATE TABLE codes (id int PRIMARY KEY, code text);\n")
    project = discover(root)
    mdir.write(
        service.migrations_folder(project),
        "code_int",
        "ALTER TABLE codes ALTER COLUMN code TYPE integer USING code::integer;\n",
        "ALTER TABLE codes ALTER COLUMN code TYPE text;\n",
    )
    result = service.apply(project, "production", verify_schema=False)
    assert result.rolled_back and [(f.code, f.key) for f in result.verification] == [("VER004", "codes")]
    assert "restored the original values of codes.code (1 row(s))" in " ".join(result.notes)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT code FROM codes ORDER BY id").fetchall() == [("007",), ("42",)]


def test_a_type_or_using_text_that_is_not_one_expression_is_never_run(rt, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    """The pre-check runs text from files on production: a second statement smuggled into it is
    not run (the READ ONLY transaction would refuse its writes anyway)."""
    sneaky = Conversion(
        "pairs", "v", "text", "integer", "v::integer) FROM pairs; DROP TABLE loose; SELECT (1"
    )
    check = rt.precheck(sneaky)
    assert check.failing is None and "not a single expression" in check.reason
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('loose') IS NOT NULL").fetchone() == (True,)


def test_timestamps_and_dates_widened_compare_as_the_same_instant(tmp_path: Path, pg_url: str) -> None:
    setup = (
        "CREATE TABLE events (id int PRIMARY KEY, at timestamp, day date);"
        "INSERT INTO events VALUES (1, '2026-12-04 18:00:00.25', '2026-12-04'), (2, NULL, NULL)"
    )
    declared = "CREATE TABLE events (id int PRIMARY KEY, at timestamptz, day timestamp);\n"
    root = _project(tmp_path, pg_url, setup, declared)
    result = runner.invoke(app, ["apply", str(root), "--yes"])
    assert result.exit_code == 0, result.output
    assert "compared by value: events.at as time, events.day as time" in result.output
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SELECT day::text FROM events WHERE id = 1").fetchone()
    assert row == ("2026-12-04 00:00:00",)


def test_a_migration_that_cleans_the_values_up_first_is_not_refused(tmp_path: Path, pg_url: str) -> None:
    """The rows the conversion meets are those the earlier statements leave: an UPDATE that
    clears the invalid value first makes the pre-check of today's rows no refusal (UNKNOWN)."""
    root = _project(tmp_path, pg_url, DOCS + f", ('{SECRET}', 5, 1, 1)")
    project = discover(root)
    mdir.write(
        service.migrations_folder(project),
        "clean_then_convert",
        "UPDATE docs SET body = NULL WHERE id = 5;\nALTER TABLE docs ALTER COLUMN body TYPE jsonb USING body::jsonb;\n",
        "ALTER TABLE docs ALTER COLUMN body TYPE text;\n",
    )
    result = service.apply(project, "production", verify_schema=False)
    assert result.run is not None and [s.version for s in result.run.ran] == ["0001"]
    assert any(
        "UNKNOWN: an earlier statement of the run may change the rows first" in n for n in result.notes
    )
    # The UPDATE itself changed an old value: verification says so and rolls back, as before.
    assert result.rolled_back and _types(pg_url)["body"] == "text"
    assert "s3cr3t" in str(_rows(pg_url))  # restored from the backup, as it was


def test_migrate_new_then_up_converts_text_to_jsonb_and_passes(tmp_path: Path, pg_url: str) -> None:
    root = _project(tmp_path, pg_url, DOCS)
    before = _rows(pg_url)
    out = runner.invoke(app, ["migrate", "new", "to_jsonb", str(root)])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["migrate", "up", str(root), "--yes"])
    assert out.exit_code == 0 and out.output.rstrip().endswith("PASS"), out.output
    assert "docs.body text → jsonb converts all 4 row(s) (one scan)" in " ".join(out.output.split())
    assert _types(pg_url)["body"] == "jsonb"
    with psycopg.connect(pg_url) as conn:
        equal = conn.execute(
            "SELECT count(*) FROM docs d JOIN (VALUES " + ", ".join(f"({r[0]}, %s)" for r in before) + ") "
            "AS b(id, body) USING (id) WHERE d.body IS NOT DISTINCT FROM b.body::jsonb",
            [r[1] for r in before],
        ).fetchone()
    assert equal == (4,)  # every value equal as jsonb to the text it was


def test_a_conversion_that_fails_while_it_runs_does_not_print_the_value(tmp_path: Path, pg_url: str) -> None:
    """Not refused beforehand (an UPDATE runs first), the cast then fails on a row: the error
    names the type, not the value, and the migration rolls back."""
    root = _project(tmp_path, pg_url, DOCS + f", ('{SECRET}', 5, 1, 1)")
    project = discover(root)
    mdir.write(
        service.migrations_folder(project),
        "fails",
        "UPDATE docs SET n = n WHERE id = 1;\nALTER TABLE docs ALTER COLUMN body TYPE integer USING body::integer;\n",
        "ALTER TABLE docs ALTER COLUMN body TYPE text;\n",
    )
    with pytest.raises(MigrationError) as caught:
        service.apply(project, "production", verify_schema=False)
    assert "invalid input syntax for type integer: (the value is not shown)" in caught.value.message
    assert "s3cr3t" not in caught.value.message and "{" not in caught.value.message
    assert _types(pg_url)["body"] == "text"
