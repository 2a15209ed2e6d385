"""A repository's declared schema is untrusted: nothing in it may reach the production database,
the server's files or its roles (the corpus in tests/hostile/schema/, on real SQLite, PostgreSQL
and MariaDB).

Every hostile file must end in one line naming the file and the statement's line, exit 2, with
production's rows, tables, databases and roles as they were and no planted file created. The
accepted files (pg_dump and mysqldump output, a Rails structure.sql) must still load.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import uuid
from pathlib import Path

import psycopg
import pymysql
import pytest
from typer.testing import CliRunner

from conftest import mysql_connect_args, with_database
from helpers import copy_shop, run_cli
from parity import dialects
from parity.cli.app import app
from parity.dialects import throwaway
from parity.dialects.gate import Purpose
from parity.errors import SchemaSourceError
from schema_helpers import execute

CORPUS = Path(__file__).parent / "hostile" / "schema"
runner = CliRunner()

PRODUCTION = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, total_cents INTEGER NOT NULL);
INSERT INTO customers VALUES (1, 'ada@example.invalid');
INSERT INTO orders VALUES (1, 1, 1999), (2, 1, 500), (3, 1, 42);
"""


def _header(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"--\s*(\w+):\s*(.*)$", line)
        if not m:
            break
        out[m.group(1)] = m.group(2).strip()
    return out


def _cases(kind: str) -> list[tuple[str, Path]]:
    folder = CORPUS / "accepted" if kind == "accepted" else CORPUS
    cases = []
    for path in sorted(folder.glob("*.sql")):
        for dialect in _header(path)["dialects"].split():
            cases.append(pytest.param(dialect, path, id=f"{dialect}-{path.stem}"))
    return cases


class Production:
    """The production database of one dialect, and everything about it that must not change."""

    def __init__(self, dialect: str, request: pytest.FixtureRequest, root: Path) -> None:
        self.dialect = dialect
        self.request = request
        if dialect == "sqlite":
            self.file = root / "prod.db"
            self.url = f"sqlite:///{self.file}"
            conn = sqlite3.connect(self.file)
            conn.executescript(PRODUCTION)
            conn.commit()
            conn.close()
            self.name = "prod"
        else:
            self.url = request.getfixturevalue("pg_url" if dialect == "postgres" else "mysql_url")
            execute(self.url, [s for s in PRODUCTION.split(";") if s.strip()])
            self.name = self.url.split("?", 1)[0].rsplit("/", 1)[1]

    def state(self) -> object:
        if self.dialect == "sqlite":
            return self.file.read_bytes()
        if self.dialect == "postgres":
            server = self.request.getfixturevalue("pg_server_url")
            with psycopg.connect(self.url, autocommit=True) as conn:
                rows = conn.execute("SELECT id, total_cents FROM orders ORDER BY id").fetchall()
                tables = conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                ).fetchall()
            with psycopg.connect(server, autocommit=True) as conn:
                roles = conn.execute("SELECT rolname, rolsuper FROM pg_roles ORDER BY 1").fetchall()
                dbs = conn.execute(
                    "SELECT datname FROM pg_database WHERE datname = %s", (self.name,)
                ).fetchall()
            return rows, sorted(tables), roles, dbs
        server = self.request.getfixturevalue("mysql_server_url")
        conn = pymysql.connect(**mysql_connect_args(self.url))  # type: ignore[arg-type]
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT id, total_cents FROM orders ORDER BY id")
                rows = cur.fetchall()
                cur.execute("SHOW TABLES")
                tables = sorted(cur.fetchall())
        finally:
            conn.close()
        conn = pymysql.connect(**mysql_connect_args(server))  # type: ignore[arg-type]
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT user, host FROM mysql.user ORDER BY 1, 2")
                users = cur.fetchall()
                cur.execute("SELECT @@GLOBAL.max_connections")
                settings = cur.fetchall()
        finally:
            conn.close()
        return rows, tables, users, settings


def _project(tmp_path: Path, sql: str) -> Path:
    root = tmp_path / "repo"
    (root / "db").mkdir(parents=True)
    (root / "db" / "hostile.sql").write_text(sql)
    (root / ".env.example").write_text("DATABASE_URL=sqlite:///db/app.db\n")
    return root


def _fill(path: Path, prod: Production, marker: Path) -> str:
    text = path.read_text()
    prod_file = str(prod.file) if prod.dialect == "sqlite" else ""
    return (
        text.replace("{prod_file}", prod_file).replace("{prod}", prod.name).replace("{marker}", str(marker))
    )


@pytest.mark.parametrize(("dialect", "path"), _cases("refused"))
def test_hostile_schema_is_refused_and_changes_nothing(
    dialect: str, path: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    prod = Production(dialect, request, tmp_path)
    marker = tmp_path / f"planted-{uuid.uuid4().hex[:8]}"
    root = _project(tmp_path, _fill(path, prod, marker))
    before = prod.state()
    result = runner.invoke(app, ["schema", "diff", str(root), "--db", prod.url, "--schema", "db/hostile.sql"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("parity: error: "), result.stderr
    line, text = _header(path)["refused"].split(" ", 1)
    assert f"hostile.sql:{line}:" in lines[0], lines[0]
    assert text in lines[0], lines[0]
    assert prod.state() == before
    assert not marker.exists()


@pytest.mark.parametrize(("dialect", "path"), _cases("accepted"))
def test_real_dumps_still_load(
    dialect: str, path: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.db'}"
        sqlite3.connect(tmp_path / "empty.db").close()
    else:
        url = request.getfixturevalue("pg_url" if dialect == "postgres" else "mysql_url")
    root = _project(tmp_path, path.read_text())
    result = runner.invoke(
        app, ["schema", "diff", str(root), "--db", url, "--schema", "db/hostile.sql", "--format", "json"]
    )
    assert result.exit_code == 1, result.output
    added = {c["object"] for c in json.loads(result.stdout)["changes"] if c["kind"] == "add_table"}
    assert added == set(_header(path)["tables"].split())


def test_check_refuses_a_hostile_schema_before_touching_the_example(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    db = shop / "db" / "shop.db"
    (shop / "db" / "schema.sql").write_text(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY);\n"
        "ATTACH DATABASE 'db/shop.db' AS prod;\nDELETE FROM prod.orders;\n"
    )
    before = db.read_bytes()
    proc = run_cli("check", str(shop), "--env", "production")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "schema.sql:2:" in proc.stderr and "it opens another database file" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert db.read_bytes() == before


def test_sqlite_authorizer_holds_where_the_screen_is_passed_by(tmp_path: Path) -> None:
    """The second wall: a statement that reaches SQLite anyway cannot attach a file."""
    victim = tmp_path / "victim.db"
    conn = sqlite3.connect(victim)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = victim.read_bytes()
    d = dialects.get("sqlite")
    with d.scratch() as url:
        for sql in (
            f"ATTACH DATABASE '{victim}' AS v",
            "PRAGMA writable_schema = ON",
            "INSERT INTO t VALUES (1)",
        ):
            with pytest.raises(SchemaSourceError, match="not authorized"):
                d.execute_script(url, f"CREATE TABLE IF NOT EXISTS t (x);\n{sql};", purpose=Purpose.SCHEMA)
    assert victim.read_bytes() == before


@pytest.mark.postgres
def test_postgres_migrations_run_as_a_role_that_cannot_touch_server_files(
    tmp_path: Path, pg_url: str
) -> None:
    """The third wall: a migrations folder may run DO blocks and backfills, but on parity's
    throwaway server as a role without superuser rights, so PL/pgSQL's EXECUTE cannot write files."""
    marker = tmp_path / f"planted-{uuid.uuid4().hex[:8]}"
    root = tmp_path / "repo"
    (root / "migrations").mkdir(parents=True)
    (root / "migrations" / "001_init.sql").write_text("CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n")
    (root / "migrations" / "002_evil.sql").write_text(
        f"DO $$ BEGIN EXECUTE 'COPY (SELECT 1) TO ''{marker}'''; END $$;\n"
    )
    (root / ".env.example").write_text("X=1\n")
    result = runner.invoke(app, ["schema", "diff", str(root), "--db", pg_url, "--schema", "migrations"])
    assert result.exit_code == 2, result.output
    assert "002_evil.sql:1:" in result.stderr and "permission denied" in result.stderr
    assert not marker.exists()
    # The same folder without the hostile file loads: backfills are allowed in migrations.
    (root / "migrations" / "002_evil.sql").unlink()
    result = runner.invoke(app, ["schema", "diff", str(root), "--db", pg_url, "--schema", "migrations"])
    assert result.exit_code == 1, result.output


@pytest.mark.postgres
def test_postgres_production_role_without_createdb_still_compares(
    tmp_path: Path, pg_url: str, pg_server_url: str
) -> None:
    role = f"parity_ro_{uuid.uuid4().hex[:8]}"
    execute(pg_server_url, [f"CREATE ROLE {role} LOGIN NOCREATEDB NOSUPERUSER"])
    try:
        execute(
            pg_url,
            [s for s in PRODUCTION.split(";") if s.strip()]
            + [f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"],
        )
        prod_url = re.sub(r"://[^@/]*@", f"://{role}@", pg_url) if "@" in pg_url.split("?")[0] else pg_url
        if prod_url == pg_url:  # a unix-socket URL without a user part: add one
            prod_url = pg_url.replace("postgresql://", f"postgresql://{role}@", 1)
        root = _project(
            tmp_path, PRODUCTION.split("INSERT", 1)[0] + "CREATE TABLE exports (id INTEGER PRIMARY KEY);\n"
        )
        result = runner.invoke(
            app,
            ["schema", "diff", str(root), "--db", prod_url, "--schema", "db/hostile.sql", "--format", "json"],
        )
        assert result.exit_code == 1, result.output
        changes = {(c["kind"], c["object"]) for c in json.loads(result.stdout)["changes"]}
        # The SELECT granted to the role is production's own: kept and listed, never revoked.
        kept = {c for c in changes if c[0] == "production_only"}
        assert changes - kept == {("add_table", "exports")}
        assert kept == {("production_only", f"{t} to {role}") for t in ("orders", "customers")}
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}") if False else None
        execute(pg_url, [f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}"])
        execute(pg_server_url, [f"DROP ROLE {role}"])


@pytest.mark.postgres
def test_repository_dev_url_naming_the_production_server_is_refused(tmp_path: Path, pg_url: str) -> None:
    root = _project(tmp_path, "CREATE TABLE t (id int);\n")
    (root / "parity.toml").write_text(f'[schema]\ndev_url = "{with_database(pg_url, "postgres")}"\n')
    result = runner.invoke(app, ["schema", "diff", str(root), "--db", pg_url, "--schema", "db/hostile.sql"])
    assert result.exit_code == 2, result.output
    assert "dev_url names the production server" in result.stderr
    # The user's own word is taken: --dev-url on the command line may name that server.
    result = runner.invoke(
        app,
        [
            "schema",
            "diff",
            str(root),
            "--db",
            pg_url,
            "--schema",
            "db/hostile.sql",
            "--dev-url",
            with_database(pg_url, "postgres"),
        ],
    )
    assert result.exit_code == 1, result.output


def test_models_are_imported_without_parity_environment(tmp_path: Path) -> None:
    """Importing SQLAlchemy models runs the repository's code: it happens in a child process that
    sees none of the credentials in parity's environment."""
    shop = copy_shop(tmp_path)
    seen = tmp_path / "seen-env.json"
    (shop / "evilmodels.py").write_text(
        "import json, os\n"
        f"open({str(seen)!r}, 'w').write(json.dumps(dict(os.environ)))\n"
        "from sqlalchemy import Integer\n"
        "from sqlalchemy.orm import DeclarativeBase, mapped_column\n"
        "class Base(DeclarativeBase):\n    pass\n"
        "class Customer(Base):\n    __tablename__ = 'customers'\n"
        "    id = mapped_column(Integer, primary_key=True)\n"
    )
    proc = run_cli(
        "schema", "diff", str(shop), "--schema", "evilmodels:Base", "--format", "json",
        env={"PROD_DB_PASSWORD": "s3cret-FAKE-in-env", "DATABASE_URL": "postgresql://app:s3cret-FAKE@db/prod"},
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    assert json.loads(proc.stdout)["changes"], "the models' schema was compared"
    env = json.loads(seen.read_text())
    assert "PROD_DB_PASSWORD" not in env and "DATABASE_URL" not in env
    assert "s3cret-FAKE" not in seen.read_text()


def test_check_without_a_reachable_database_skips_the_schema_with_a_note(tmp_path: Path) -> None:
    root = _project(tmp_path, "CREATE TABLE t (id int);\n")
    (root / "db" / "schema.sql").write_text("CREATE TABLE t (id int);\n")
    (root / ".env.production").write_text("DATABASE_URL=postgresql://app:s3cret-FAKE@127.0.0.1:1/prod\n")
    proc = run_cli("check", str(root), "--env", "production")
    assert proc.returncode in (0, 1), proc.stderr
    assert "schema not checked" in proc.stdout and "cannot reach the PostgreSQL server" in proc.stdout
    assert "s3cret-FAKE" not in proc.stdout + proc.stderr


def test_a_killed_runs_throwaway_folder_is_swept(tmp_path: Path) -> None:
    import subprocess
    import sys
    import tempfile

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    folder = Path(tempfile.mkdtemp(prefix=f"{throwaway.PREFIX}pg-"))
    (folder / "owner.pid").write_text(dead.stdout.strip())
    mine = Path(tempfile.mkdtemp(prefix=f"{throwaway.PREFIX}pg-"))
    (mine / "owner.pid").write_text(str(os.getpid()))
    try:
        throwaway.sweep()
        assert not folder.exists()
        assert mine.exists()  # a live run's server is left alone
    finally:
        throwaway.discard(mine)


@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
def test_the_connections_check_reads_with_refuse_every_write(
    dialect: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Inspection opens production read-only by construction, so even a bug cannot write."""
    prod = Production(dialect, request, tmp_path)
    before = prod.state()
    if dialect == "sqlite":
        from parity.dialects.sqlite.inspect import connect_readonly

        conn = connect_readonly(prod.url)
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("DELETE FROM orders")
        conn.close()
    elif dialect == "postgres":
        from parity.dialects.postgres.inspect import connect

        with connect(prod.url) as pg, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            pg.execute("DELETE FROM orders")
    else:
        from parity.dialects.mysql.inspect import connect as my_connect

        my = my_connect(prod.url, read_only=True)
        try:
            with my.cursor() as cur, pytest.raises(pymysql.MySQLError, match="READ ONLY"):
                cur.execute("DELETE FROM orders")
        finally:
            my.close()
    assert prod.state() == before


@pytest.mark.parametrize("kind", ["link to a file outside", "fifo"])
def test_a_schema_file_that_is_a_link_out_or_a_fifo_is_refused(tmp_path: Path, kind: str) -> None:
    outside = tmp_path / "outside.sql"
    outside.write_text("CREATE TABLE planted_FAKE (id int);\n")
    root = _project(tmp_path, "CREATE TABLE t (id int);\n")
    schema = root / "db" / "schema.sql"
    if kind == "fifo":
        os.mkfifo(schema)
    else:
        schema.symlink_to(outside)
    sqlite3.connect(tmp_path / "prod.db").close()
    proc = run_cli("schema", "diff", str(root), "--db", f"sqlite:///{tmp_path / 'prod.db'}", timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "schema.sql" in lines[0], proc.stderr
    assert "planted_FAKE" not in proc.stdout + proc.stderr
