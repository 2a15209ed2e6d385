"""Column type conversions on a real MariaDB/MySQL (issue 17): ``DECIMAL`` widening is verified
by numeric equality (``2.50`` reads back ``2.5000``), and a lossy one still fails verification
and is undone from the tables backup to the exact old text."""

from __future__ import annotations

from pathlib import Path

import pymysql
import pytest
from typer.testing import CliRunner

from helpers import production_project
from parity.cli.app import app
from parity.dialects.mysql.inspect import connect_args
from parity.migrate import dir as mdir
from parity.migrate import service
from parity.migrate.runtime import open_runtime
from parity.project import discover

pytestmark = pytest.mark.mysql
runner = CliRunner()

SETUP = (
    "CREATE TABLE docs (id int PRIMARY KEY AUTO_INCREMENT, n int, amount decimal(10,2), ratio float)",
    "INSERT INTO docs (n, amount, ratio) VALUES (1, 2.50, 1.1), (NULL, NULL, NULL), (2147483647, -0.15, 0), "
    "(0, 10, -2.5)",
)


def _run(url: str, statements: tuple[str, ...] | list[str]) -> list[tuple[object, ...]]:
    conn = pymysql.connect(**connect_args(url))
    try:
        with conn.cursor() as cur:
            rows: list[tuple[object, ...]] = []
            for s in statements:
                cur.execute(s)
                rows = list(cur.fetchall())
            conn.commit()
            return rows
    finally:
        conn.close()


def _text(url: str) -> list[tuple[object, ...]]:
    return _run(
        url, ["SELECT id, CAST(n AS CHAR), CAST(amount AS CHAR), CAST(ratio AS CHAR) FROM docs ORDER BY id"]
    )


def _project(tmp_path: Path, url: str, declared: str) -> Path:
    _run(url, SETUP)
    root = production_project(tmp_path, url)
    (root / "db").mkdir()
    (root / "db" / "schema.sql").write_text(declared)
    return root


def test_decimal_and_integer_widening_apply_verified_by_value(tmp_path: Path, mysql_url: str) -> None:
    declared = "CREATE TABLE docs (id int PRIMARY KEY AUTO_INCREMENT, n bigint, amount decimal(12,4), ratio double);\n"
    root = _project(tmp_path, mysql_url, declared)
    before = _text(mysql_url)
    result = runner.invoke(app, ["apply", str(root), "--yes"])
    assert result.exit_code == 0, result.output
    assert "VER004" not in result.output
    assert (
        "compared by value: docs.amount as numeric, docs.n as numeric, docs.ratio as float" in result.output
    )
    after = _text(mysql_url)
    assert after[0][2] == "2.5000" and before[0][2] == "2.50"  # the text changed, the number did not
    assert [r[:2] for r in after] == [r[:2] for r in before]


def test_a_lossy_decimal_conversion_fails_and_the_backup_restores_the_old_text(
    tmp_path: Path, mysql_url: str
) -> None:
    root = _project(tmp_path, mysql_url, "CREATE TABLE docs (id int PRIMARY KEY, n int);\n")
    project = discover(root)
    before = _text(mysql_url)
    mdir.write(
        service.migrations_folder(project),
        "lossy",
        "ALTER TABLE docs MODIFY COLUMN amount decimal(10,1);\n",
        "ALTER TABLE docs MODIFY COLUMN amount decimal(10,2);\n",
    )
    result = service.apply(project, "production", verify_schema=False)
    assert result.rolled_back
    [finding] = result.verification
    assert (
        finding.code == "VER004"
        and "docs.amount" in finding.message
        and "compared as numeric" in finding.message
    )
    assert _text(mysql_url) == before


def test_modify_that_restates_the_same_type_is_no_conversion(mysql_url: str) -> None:
    _run(mysql_url, SETUP)
    rt = open_runtime(mysql_url, read_only=True)
    try:
        found = rt.conversions(
            [
                "ALTER TABLE docs MODIFY COLUMN n INT NOT NULL DEFAULT 0",  # int(11) in the catalog
                "ALTER TABLE docs MODIFY amount DECIMAL(12, 4), MODIFY COLUMN ratio double",
                "ALTER TABLE docs CHANGE n n2 bigint",  # a rename: not compared as a conversion
            ]
        )
    finally:
        rt.close()
    assert [(c.column, c.old_type, c.new_type, c.family) for c in found] == [
        ("amount", "decimal(10,2)", "decimal(12, 4)", "numeric"),
        ("ratio", "float", "double", "float"),
    ]
