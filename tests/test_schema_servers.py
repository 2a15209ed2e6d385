"""PostgreSQL and MariaDB through the CLI: the shop's diff, read-only inspection, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
import pymysql
import pytest
from typer.testing import CliRunner

from conftest import mysql_connect_args, with_database, with_user
from parity import dialects
from parity.cli.app import app
from schema_helpers import execute

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "shop"
runner = CliRunner()

SHOP_CURRENT = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL UNIQUE, name VARCHAR(100) NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    total_cents INTEGER NOT NULL, legacy_note VARCHAR(200));
CREATE INDEX idx_orders_customer ON orders(customer_id);
INSERT INTO customers VALUES (1, 'ada@example.invalid', 'Ada');
INSERT INTO orders VALUES (1, 1, 1999, 'imported'), (2, 1, 500, NULL);
"""
SHOP_DESIRED = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL UNIQUE, name VARCHAR(100) NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    total_cents INTEGER NOT NULL,
    status VARCHAR(200) NOT NULL DEFAULT 'new',
    exported_at VARCHAR(200));
CREATE INDEX idx_orders_customer ON orders(customer_id);
CREATE INDEX idx_orders_status ON orders(status);
CREATE TABLE exports (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id), bucket VARCHAR(100) NOT NULL);
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "shop"
    shutil.copytree(EXAMPLE, dest)
    (dest / "db" / "server_schema.sql").write_text(SHOP_DESIRED)
    return dest


@pytest.fixture
def scratch_name(monkeypatch: pytest.MonkeyPatch) -> str:
    """The scratch database name this test's run will use (so the test can prove it is gone)."""
    import uuid

    import parity.dialects.mysql as my_dialect
    import parity.dialects.postgres as pg_dialect

    fixed = uuid.uuid4()
    for module in (pg_dialect, my_dialect):
        monkeypatch.setattr(module.uuid, "uuid4", lambda: fixed)
    return f"parity_scratch_{fixed.hex[:12]}"


def _pg_databases(server: str) -> set[str]:
    with psycopg.connect(server, autocommit=True) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}


def _mysql_databases(server: str) -> set[str]:
    conn = pymysql.connect(**mysql_connect_args(server))  # type: ignore[arg-type]
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW DATABASES")
            return {r[0] for r in cur.fetchall()}
    finally:
        conn.close()


def _diff(project: Path, url: str, *extra: str) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(
        app,
        [
            "schema",
            "diff",
            str(project),
            "--db",
            url,
            "--schema",
            "db/server_schema.sql",
            "--format",
            "json",
            *extra,
        ],
    )
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _check_shop(data: dict) -> None:  # type: ignore[type-arg]
    got = [(c["kind"], c["object"]) for c in data["changes"]]
    assert got == [
        ("add_table", "exports"),
        ("add_column", "orders.status"),
        ("add_column", "orders.exported_at"),
        ("add_index", "idx_orders_status"),
        ("production_only", "orders.legacy_note"),
    ]
    status = data["changes"][1]
    assert "NOT NULL DEFAULT 'new'" in status["sql"][0] and status["safety"] == "safe"
    assert data["changes"][4]["sql"] == []


def test_postgres_shop_diff_is_read_only_and_cleans_up(
    project: Path, pg_url: str, pg_server_url: str, scratch_name: str
) -> None:
    execute(pg_url, [s for s in SHOP_CURRENT.split(";") if s.strip()])
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    d = dialects.get("postgres")
    before = d.inspect(pg_url)
    data = _diff(project, pg_url)
    _check_shop(data)
    assert data["changes"][1]["rows"] == 2 and data["changes"][1]["rows_estimated"] is True
    assert "ACCESS EXCLUSIVE" in data["changes"][1]["lock"]
    assert data["changes"][3]["safety"] == "needs care"
    assert d.inspect(pg_url) == before
    assert scratch_name not in _pg_databases(pg_server_url)  # the scratch database was dropped


def test_postgres_dev_url_and_sql_format(project: Path, pg_url: str, pg_server_url: str) -> None:
    execute(pg_url, [s for s in SHOP_CURRENT.split(";") if s.strip()])
    result = runner.invoke(
        app,
        [
            "schema",
            "diff",
            str(project),
            "--db",
            pg_url,
            "--schema",
            "db/server_schema.sql",
            "--dev-url",
            pg_server_url,
            "--format",
            "sql",
        ],
    )
    assert result.exit_code == 1
    # What migrate runs: on PostgreSQL an index is built without blocking writes.
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_orders_status ON orders (status);" in result.stdout
    assert "DROP" not in result.stdout


def test_mysql_shop_diff_is_read_only_and_cleans_up(
    project: Path, mysql_url: str, mysql_server_url: str, scratch_name: str
) -> None:
    execute(mysql_url, [s for s in SHOP_CURRENT.split(";") if s.strip()])
    d = dialects.get("mysql")
    before = d.inspect(mysql_url)
    data = _diff(project, mysql_url)
    _check_shop(data)
    assert data["changes"][1]["rows_estimated"] is True
    assert d.inspect(mysql_url) == before
    assert scratch_name not in _mysql_databases(mysql_server_url)


# --- bad input: one clear line, exit 2, nothing changed -----------------------------------


def _error(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("parity: error: ")
    return lines[0]


def test_postgres_unreachable_server(project: Path) -> None:
    line = _error(["schema", "diff", str(project), "--db", "postgresql://postgres:s3cret-FAKE@127.0.0.1:1/x"])
    assert "cannot reach the PostgreSQL server" in line and "s3cret-FAKE" not in line


def test_postgres_unknown_user(project: Path, pg_server_url: str) -> None:
    # The fixture's server, TCP or unix socket, as a user it does not know.
    url = with_user(pg_server_url, "no_such_user_x", "s3cret-FAKE")
    assert "no_such_user_x:s3cret-FAKE@" in url
    line = _error(["schema", "diff", str(project), "--db", url])
    assert "refused the credentials" in line and "s3cret-FAKE" not in line


def test_postgres_missing_database(project: Path, pg_server_url: str) -> None:
    url = with_database(pg_server_url, "parity_no_such_db")
    line = _error(["schema", "diff", str(project), "--db", url])
    assert "no such PostgreSQL database" in line


def test_postgres_ddl_error_names_file_and_line(
    project: Path, pg_url: str, pg_server_url: str, scratch_name: str
) -> None:
    execute(pg_url, [s for s in SHOP_CURRENT.split(";") if s.strip()])
    (project / "db" / "server_schema.sql").write_text(
        "CREATE TABLE a (id int);\n\nCREATE TABLE b (\n  id int,\n  x nosuchtype\n);\n"
    )
    before = dialects.get("postgres").inspect(pg_url)
    line = _error(["schema", "diff", str(project), "--db", pg_url, "--schema", "db/server_schema.sql"])
    assert "server_schema.sql:5:" in line and 'type "nosuchtype" does not exist' in line
    assert dialects.get("postgres").inspect(pg_url) == before
    assert scratch_name not in _pg_databases(pg_server_url)


def test_mysql_wrong_password(project: Path, mysql_url: str, mysql_server_url: str) -> None:
    user = "parity_t_" + Path(mysql_url).name[-8:]
    execute(
        mysql_server_url,
        [
            f"CREATE USER '{user}'@'%' IDENTIFIED BY 'right-FAKE'",
            f"CREATE USER '{user}'@'localhost' IDENTIFIED BY 'right-FAKE'",
        ],
    )
    try:
        host = mysql_server_url.split("@", 1)[1]
        line = _error(["schema", "diff", str(project), "--db", f"mysql://{user}:wrong-FAKE@{host}"])
    finally:
        execute(mysql_server_url, [f"DROP USER '{user}'@'%'", f"DROP USER '{user}'@'localhost'"])
    assert "refused the credentials" in line and "wrong-FAKE" not in line


def test_mysql_missing_database_and_unreachable(project: Path, mysql_server_url: str) -> None:
    line = _error(
        ["schema", "diff", str(project), "--db", with_database(mysql_server_url, "parity_no_such_db")]
    )
    assert "no such MySQL database" in line
    line = _error(["schema", "diff", str(project), "--db", "mysql://root:s3cret-FAKE@127.0.0.1:1/x"])
    assert "cannot reach the MySQL server" in line and "s3cret-FAKE" not in line


def test_mysql_ddl_error_names_file_and_line(
    project: Path, mysql_url: str, mysql_server_url: str, scratch_name: str
) -> None:
    (project / "db" / "server_schema.sql").write_text(
        "CREATE TABLE a (id int);\n-- note\nCREATE TABLE b (\n  id int,\n  x int,,\n);\n"
    )
    line = _error(["schema", "diff", str(project), "--db", mysql_url, "--schema", "db/server_schema.sql"])
    assert "server_schema.sql:5:" in line and "syntax" in line
    assert scratch_name not in _mysql_databases(mysql_server_url)


def test_postgres_foreign_key_to_a_table_in_another_schema_names_its_columns(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE SCHEMA billing;"
            "CREATE TABLE billing.accounts (code text, region text, PRIMARY KEY (code, region));"
            "CREATE TABLE invoices (id bigint PRIMARY KEY, account_code text, account_region text,"
            " CONSTRAINT fk_invoice_account FOREIGN KEY (account_region, account_code)"
            " REFERENCES billing.accounts (region, code) ON DELETE CASCADE)"
        )
    invoices = dialects.get("postgres").inspect(pg_url).table("invoices")
    assert invoices is not None and invoices.primary_key is not None
    assert invoices.primary_key.columns == ("id",)
    (fk,) = invoices.foreign_keys
    assert (fk.columns, fk.ref_schema, fk.ref_table, fk.ref_columns, fk.on_delete) == (
        ("account_region", "account_code"),
        None,  # billing is a user schema read with public: its table is named as the model names it
        "billing.accounts",
        ("region", "code"),
        "CASCADE",
    )


def test_mysql_foreign_key_into_another_database_names_it_and_renders_it(
    mysql_url: str, mysql_server_url: str
) -> None:
    import uuid

    from parity.dialects.mysql.render import fk_sql

    other = f"parity_t_billing_{uuid.uuid4().hex[:8]}"
    conn = pymysql.connect(**mysql_connect_args(mysql_server_url))  # type: ignore[arg-type]
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{other}`")
            cur.execute(f"CREATE TABLE `{other}`.accounts (code varchar(20) PRIMARY KEY) ENGINE=InnoDB")
        execute(
            mysql_url,
            [
                "CREATE TABLE accounts (code varchar(20) PRIMARY KEY) ENGINE=InnoDB",
                "CREATE TABLE invoices (id int PRIMARY KEY, account_code varchar(20), local_code varchar(20),"
                f" CONSTRAINT fk_billing FOREIGN KEY (account_code) REFERENCES `{other}`.accounts (code),"
                " CONSTRAINT fk_local FOREIGN KEY (local_code) REFERENCES accounts (code)) ENGINE=InnoDB",
            ],
        )
        invoices = dialects.get("mysql").inspect(mysql_url).table("invoices")
        assert invoices is not None
        by_name = {fk.name: fk for fk in invoices.foreign_keys}
        assert (by_name["fk_billing"].ref_schema, by_name["fk_billing"].ref_table) == (other, "accounts")
        assert (by_name["fk_local"].ref_schema, by_name["fk_local"].ref_table) == (None, "accounts")
        assert f"REFERENCES {other}.accounts (code)" in fk_sql(by_name["fk_billing"])
    finally:
        with conn.cursor() as cur:
            cur.execute("SET FOREIGN_KEY_CHECKS = 0")  # invoices still points into it
            cur.execute(f"DROP DATABASE IF EXISTS `{other}`")
        conn.close()
