"""SQLite: inspection (read-only), the example shop's diff through the CLI, bad input."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from parity import dialects
from parity.cli.app import app
from parity.dialects.sqlite import inspect as sqlite_inspect
from parity.diff import compare
from parity.model.changes import AddColumn, AddIndex, AddTable, ProductionOnly
from parity.model.schema import IndexPart
from schema_helpers import execute

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "shop"
runner = CliRunner()


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    dest = tmp_path / "shop"
    shutil.copytree(EXAMPLE, dest)
    return dest


def _desired(sql: str):  # type: ignore[no-untyped-def]
    d = dialects.get("sqlite")
    with d.scratch() as url:
        d.execute_script(url, sql)
        return d.inspect(url)


def _file_db(tmp_path: Path, sql: str, name: str = "cur.db") -> str:
    path = tmp_path / name
    with sqlite3.connect(path) as conn:
        conn.executescript(sql)
    conn.close()
    return f"sqlite:///{path}"


def test_shop_diff_shows_mains_changes_and_keeps_legacy_note(shop: Path) -> None:
    result = runner.invoke(app, ["schema", "diff", str(shop), "--env", "production", "--format", "json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    by_object = {(c["kind"], c["object"]): c for c in data["changes"]}
    status = by_object[("add_column", "orders.status")]
    assert "NOT NULL DEFAULT 'new'" in status["sql"][0]
    assert ("add_column", "orders.exported_at") in by_object
    assert ("add_index", "idx_orders_status") in by_object
    assert ("add_table", "exports") in by_object
    legacy = by_object[("production_only", "orders.legacy_note")]
    assert legacy["sql"] == [] and legacy["rows"] == 5
    assert not any("DROP" in s for c in data["changes"] for s in c["sql"])
    assert {f["code"] for f in data["findings"]} >= {"SCH001", "SCH002", "SCH004", "SCH007"}
    assert data["verdict"] == "FAIL"


def test_shop_text_and_sql_formats(shop: Path) -> None:
    text = runner.invoke(app, ["schema", "diff", str(shop), "--env", "production"])
    assert text.exit_code == 1
    assert "orders.legacy_note" in text.stdout and "kept" in text.stdout
    assert "ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'new';" in text.stdout
    sql = runner.invoke(app, ["schema", "diff", str(shop), "--format", "sql"])
    assert "CREATE INDEX idx_orders_status ON orders (status);" in sql.stdout
    assert "production-only objects are never dropped" in sql.stdout
    assert sql.stdout.count("BEGIN;") == 1 and sql.stdout.rstrip().endswith("COMMIT;")


def test_inspecting_never_writes(shop: Path) -> None:
    db = shop / "db" / "shop.db"
    before = (db.read_bytes(), os.stat(db).st_mtime_ns, sorted(p.name for p in db.parent.iterdir()))
    result = runner.invoke(app, ["schema", "diff", str(shop), "--env", "production"])
    assert result.exit_code == 1
    after = (db.read_bytes(), os.stat(db).st_mtime_ns, sorted(p.name for p in db.parent.iterdir()))
    assert before == after


def test_applying_rendered_sql_converges_on_the_shop(shop: Path) -> None:
    d = dialects.get("sqlite")
    url = f"sqlite:///{shop / 'db' / 'shop.db'}"
    current = d.inspect(url)
    desired = _desired((shop / "db" / "schema.sql").read_text())
    changes = compare(current, desired, d.compare_options)
    with sqlite3.connect(shop / "db" / "shop.db") as conn:
        for stmt in d.render_script(current, changes):
            conn.execute(stmt)
    conn.close()
    again = compare(d.inspect(url), desired, d.compare_options)
    assert again == [ProductionOnly("column", "orders", "legacy_note", "TEXT")]


def test_relative_sqlite_path_resolves_against_the_service(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(shop / "services")  # anything but the service folder
    result = runner.invoke(app, ["schema", "diff", str(shop), "--format", "json"])
    assert json.loads(result.stdout)["database"].endswith(["", "shop/db/shop.db"][1])


def test_noise_normalises_away(tmp_path: Path) -> None:
    url = _file_db(
        tmp_path,
        "CREATE TABLE T (Id INTEGER PRIMARY KEY, Name VARCHAR ( 20 ) NOT NULL DEFAULT ('x'),"
        " n INT CHECK(n>0), created TEXT DEFAULT current_timestamp);"
        "CREATE INDEX ix ON t(lower( name )) WHERE n>1;",
    )
    desired = _desired(
        "CREATE TABLE t (\"id\" integer primary key, name varchar(20) not null default 'x',"
        " N int check ( n > 0 ), CREATED text default CURRENT_TIMESTAMP);"
        "create index IX on t (LOWER(name)) where (n > 1);"
    )
    d = dialects.get("sqlite")
    assert compare(d.inspect(url), desired, d.compare_options) == []


def test_inspector_reads_every_kind(tmp_path: Path) -> None:
    url = _file_db(
        tmp_path,
        "CREATE TABLE p (id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT COLLATE NOCASE UNIQUE);"
        "CREATE TABLE c (a INT, b INT, p_id INT, total INT GENERATED ALWAYS AS (a + b) STORED,"
        " v INT AS (a * 2), PRIMARY KEY (a, b), CONSTRAINT fk_p FOREIGN KEY (p_id) REFERENCES p ON DELETE SET NULL,"
        " CONSTRAINT ck_a CHECK (a >= 0));"
        "CREATE UNIQUE INDEX ix_c ON c (p_id, b DESC) WHERE p_id IS NOT NULL;"
        "CREATE VIEW vc AS SELECT a, b FROM c;"
        "CREATE TRIGGER tr AFTER INSERT ON c BEGIN SELECT 1; END;",
    )
    s = dialects.get("sqlite").inspect(url)
    p, c = s.table("p"), s.table("c")
    assert p is not None and c is not None
    assert p.column("id").identity == "auto" and not p.column("id").nullable  # type: ignore[union-attr]
    assert p.column("code").collation == "NOCASE"  # type: ignore[union-attr]
    assert p.uniques[0].columns == ("code",)
    assert c.primary_key is not None and c.primary_key.columns == ("a", "b")
    assert c.column("total").generated == "a + b" and c.column("total").generated_stored  # type: ignore[union-attr]
    assert c.column("v").generated == "a * 2" and not c.column("v").generated_stored  # type: ignore[union-attr]
    fk = c.foreign_keys[0]
    assert (fk.name, fk.ref_table, fk.ref_columns, fk.on_delete) == ("fk_p", "p", ("id",), "SET NULL")
    assert [(k.name, k.expression) for k in c.checks] == [("ck_a", "a >= 0")]
    ix = c.index("ix_c")
    assert ix is not None and ix.unique and ix.where == "NOT p_id IS NULL"
    assert ix.parts == (IndexPart("p_id"), IndexPart("b", descending=True))
    assert [v.name for v in s.views] == ["vc"] and [t.name for t in s.triggers] == ["tr"]


def test_table_options_are_cut_off_before_parsing() -> None:
    split = sqlite_inspect.split_table_options
    body = 'CREATE TABLE "t(" (a TEXT PRIMARY KEY, b INT CHECK (b > 0))'
    assert split(body + " WITHOUT ROWID") == (body, frozenset({"without_rowid"}))
    assert split(body + " /* ) */ without\n rowid , STRICT;") == (
        body,
        frozenset({"without_rowid", "strict"}),
    )
    assert split(body + " STRICT -- note (x)") == (body, frozenset({"strict"}))
    assert split(body) == (body, frozenset())
    assert split(body + " SOMETHING") == (body + " SOMETHING", frozenset())


def test_rebuild_keeps_without_rowid_strict_and_what_the_text_says(tmp_path: Path) -> None:
    url = _file_db(
        tmp_path,
        "CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT);"
        "CREATE TABLE pets (owner INT NOT NULL, name TEXT NOT NULL COLLATE NOCASE, age INT,"
        " half INT AS (age / 2), PRIMARY KEY (owner, name),"
        " CONSTRAINT fk_pets_owner FOREIGN KEY (owner) REFERENCES owners (id)) WITHOUT ROWID, STRICT;"
        "INSERT INTO owners VALUES (1, 'ann'); INSERT INTO pets (owner, name, age) VALUES (1, 'Rex', 3);",
    )
    d = dialects.get("sqlite")
    current = d.inspect(url)
    pets = current.table("pets")
    assert pets is not None and pets.without_rowid
    assert pets.column("name").collation == "NOCASE"  # type: ignore[union-attr]
    assert pets.column("half").generated == "age / 2"  # type: ignore[union-attr]
    assert pets.foreign_keys[0].name == "fk_pets_owner"
    assert pets.strict and pets.without_rowid
    desired = _desired(
        "CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT);"
        "CREATE TABLE pets (owner INT NOT NULL, name TEXT NOT NULL COLLATE NOCASE, age INT CHECK (age >= 0),"
        " half INT AS (age / 2), PRIMARY KEY (owner, name),"
        " CONSTRAINT fk_pets_owner FOREIGN KEY (owner) REFERENCES owners (id)) WITHOUT ROWID, STRICT;"
    )
    changes = compare(current, desired, d.compare_options)
    assert [c.kind for c in changes] == ["add_check"]
    script = d.render_script(current, changes)
    assert any(
        s.startswith("CREATE TABLE _parity_new_pets") and s.endswith("WITHOUT ROWID, STRICT") for s in script
    )
    execute(url, script)
    after = d.inspect(url)
    assert compare(after, desired, d.compare_options) == []
    assert after.table("pets") == desired.table("pets")
    assert after.table("pets").strict  # type: ignore[union-attr]
    conn = sqlite3.connect(url.split(":///", 1)[1])
    try:  # STRICT is enforced on the rebuilt table.
        with pytest.raises(sqlite3.IntegrityError, match="cannot store TEXT value in INT column"):
            conn.execute("INSERT INTO pets (owner, name, age) VALUES (1, 'Tom', 'old')")
    finally:
        conn.close()


def test_compare_kinds_and_order() -> None:
    current = _desired("CREATE TABLE a (id INTEGER PRIMARY KEY, old_name TEXT, gone INT);")
    desired = _desired(
        "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INT REFERENCES a(id));"
        "CREATE TABLE a (id INTEGER PRIMARY KEY, new_name TEXT, extra REAL NOT NULL DEFAULT 0);"
        "CREATE INDEX ix_a ON a(extra);"
    )
    changes = compare(current, desired, dialects.get("sqlite").compare_options)
    kinds = [(c.kind, c.object_name) for c in changes]
    assert kinds == [
        ("add_table", "b"),
        ("add_column", "a.extra"),
        ("possible_rename", "a.old_name → new_name"),
        ("add_index", "ix_a"),
        ("production_only", "a.gone"),
    ]
    assert (
        isinstance(changes[0], AddTable)
        and isinstance(changes[1], AddColumn)
        and isinstance(changes[3], AddIndex)
    )


# --- bad input: one line, exit 2, nothing changed -----------------------------------------


def _run_error(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("parity: error: ")
    return lines[0]


def test_missing_sqlite_file_is_not_created(shop: Path) -> None:
    target = shop / "nope.db"
    line = _run_error(["schema", "diff", str(shop), "--db", f"sqlite:///{target}"])
    assert "no such SQLite database file" in line
    assert not target.exists()


def test_corrupt_sqlite_file(shop: Path) -> None:
    bad = shop / "bad.db"
    bad.write_bytes(b"this is not a database, just text" * 100)
    before = bad.read_bytes()
    line = _run_error(["schema", "diff", str(shop), "--db", f"sqlite:///{bad}"])
    assert "corrupt" in line
    assert bad.read_bytes() == before


def test_locked_sqlite_file(shop: Path) -> None:
    db = shop / "db" / "shop.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        line = _run_error(["schema", "diff", str(shop)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "locked" in line


def test_ddl_syntax_error_names_file_and_line(shop: Path) -> None:
    bad = shop / "db" / "broken.sql"
    bad.write_text("-- header\nCREATE TABLE ok (id INTEGER);\n\nCREATE TABLEE oops (id INT);\n")
    db = shop / "db" / "shop.db"
    before = db.read_bytes()
    line = _run_error(["schema", "diff", str(shop), "--schema", "db/broken.sql"])
    assert "broken.sql:4:" in line and "syntax error" in line
    assert db.read_bytes() == before


def test_failing_sqlalchemy_import_path(shop: Path) -> None:
    line = _run_error(["schema", "diff", str(shop), "--schema", "no_such_pkg.models:Base"])
    assert "cannot import 'no_such_pkg.models'" in line


def test_sqlalchemy_models_source(shop: Path) -> None:
    (shop / "shopmodels.py").write_text(
        "from sqlalchemy import ForeignKey, Integer, String, Text\n"
        "from sqlalchemy.orm import DeclarativeBase, mapped_column\n\n"
        "class Base(DeclarativeBase):\n    pass\n\n"
        "class Customer(Base):\n    __tablename__ = 'customers'\n"
        "    id = mapped_column(Integer, primary_key=True)\n"
        "    email = mapped_column(Text, nullable=False, unique=True)\n"
        "    name = mapped_column(Text, nullable=False)\n"
        "    tier = mapped_column(String(10))\n"
    )
    result = runner.invoke(
        app, ["schema", "diff", str(shop), "--schema", "shopmodels:Base", "--format", "json"]
    )
    data = json.loads(result.stdout)
    kinds = {(c["kind"], c["object"]) for c in data["changes"]}
    assert ("add_column", "customers.tier") in kinds
    assert ("production_only", "orders") in kinds  # tables the models do not declare are kept


def test_scripts_run_atomically_unless_they_manage_transactions(tmp_path: Path) -> None:
    from parity.errors import SchemaSourceError

    d = dialects.get("sqlite")
    url = _file_db(tmp_path, "CREATE TABLE keep (id INTEGER);")
    with pytest.raises(SchemaSourceError) as err:
        d.execute_script(url, "CREATE TABLE a (id INTEGER);\nINSERT INTO nope VALUES (1);\n")
    assert err.value.line == 2
    assert d.inspect(url).table_names == ("keep",)  # table a was rolled back
    d.execute_script(url, "BEGIN;\nCREATE TABLE b (id INTEGER);\nCOMMIT;\n")
    assert d.inspect(url).table_names == ("b", "keep")


def test_same_storage_spelling_is_a_note_and_new_tables_keep_not_null_on_the_rowid(tmp_path: Path) -> None:
    # Shaped after SQLAlchemy on SQLite: Float rendered as FLOAT by one version and DOUBLE by
    # another, and `id INTEGER NOT NULL PRIMARY KEY` in every new table.
    from parity.diff.compare import compare
    from parity.project import discover
    from parity.schema.service import diff_schema, section_from_diff

    cur, des = tmp_path / "cur.db", tmp_path / "des.db"
    with sqlite3.connect(cur) as c:
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, price FLOAT, code VARCHAR(20))")
        c.execute("INSERT INTO t VALUES (1, 2.5, 'a')")
    with sqlite3.connect(des) as c:
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, price DOUBLE, code VARCHAR(50))")
        c.execute("CREATE TABLE u (id INTEGER NOT NULL PRIMARY KEY, v TEXT)")
    d = dialects.get(f"sqlite:///{cur}")
    current, desired = d.inspect(f"sqlite:///{cur}"), d.inspect(f"sqlite:///{des}")
    changes = compare(current, desired, d.compare_options)
    script = d.render_script(current, changes)
    assert script == [
        "CREATE TABLE u (\n    id INTEGER PRIMARY KEY NOT NULL,\n    v TEXT\n)"
    ]  # no rebuild of t
    with sqlite3.connect(cur) as c:
        for s in script:
            c.execute(s)
    after = d.inspect(f"sqlite:///{cur}")
    assert after.table("u") == desired.table("u")  # the ORM sees no drift in the new table
    # The spellings stay as notes.
    (tmp_path / "schema.sql").write_text(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, price DOUBLE, code VARCHAR(50));\n"
        "CREATE TABLE u (id INTEGER NOT NULL PRIMARY KEY, v TEXT);\n"
    )
    project = discover(tmp_path)
    result = diff_schema(project, "production", db=f"sqlite:///{cur}", schema="schema.sql")
    section = section_from_diff(result, project, "production")
    notes = [f for f in section.findings if f.code == "SCH003"]
    assert len(notes) == 2 and all(f.severity == "info" for f in notes)
    assert any("REAL affinity" in r.impact.note for r in result.rows)
    assert not section.failed
