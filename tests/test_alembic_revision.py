"""``parity migrate new`` in an Alembic project writes the app's next Alembic revision (never
V000N files in its versions folder): ``down_revision`` the current head, parity's safe SQL in
``op.execute``, a real ``downgrade``. The revision is then run by the app's own Alembic
(``alembic upgrade head`` through its env.py) on real SQLite and PostgreSQL, and undone by
``alembic downgrade -1``."""

from __future__ import annotations

import ast
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.alembic_project import write_project
from tests.helpers import run_cli

from parity.migrate.alembic_revision import file_name, slug
from parity.migrate.alembic_run import applied_revisions, run_child, sqlalchemy_url
from parity.schema.apptool import find_alembic, read_revision

# main's models after r3, with what the new revision must add: a column whose default holds a
# colon (SQLAlchemy's text() would take ``:y`` for a bind parameter), an index and a new table.
SCHEMA = {
    "sqlite": (
        "CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50), email VARCHAR(100));\n"
        "CREATE INDEX ix_users_name ON users (name);\n"
        "CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, user_id INTEGER REFERENCES users (id),"
        " status VARCHAR(20) DEFAULT 'new:open');\n"
        "CREATE TABLE tags (id INTEGER NOT NULL PRIMARY KEY, label VARCHAR(30) NOT NULL);\n"
    ),
    "postgres": (
        "CREATE TABLE users (id SERIAL NOT NULL PRIMARY KEY, name VARCHAR(50), email VARCHAR(100));\n"
        "CREATE INDEX ix_users_name ON users (name);\n"
        "CREATE TABLE orders (id SERIAL NOT NULL PRIMARY KEY, user_id INTEGER REFERENCES users (id),"
        " status VARCHAR(20) DEFAULT 'new:open');\n"
        "CREATE TABLE tags (id SERIAL NOT NULL PRIMARY KEY, label VARCHAR(30) NOT NULL);\n"
    ),
}


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    if request.param == "sqlite":
        return "sqlite", f"sqlite:///{tmp_path / 'prod.db'}"
    return "postgres", str(request.getfixturevalue("pg_url"))


def _state(url: str) -> tuple[list[str], dict[str, list[str]], list[str], list[tuple[object, ...]]]:
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        insp = sa.inspect(engine)
        tables = sorted(insp.get_table_names())
        columns = {t: [c["name"] for c in insp.get_columns(t)] for t in tables if t != "alembic_version"}
        indexes = sorted(i["name"] or "" for i in insp.get_indexes("users"))
        with engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(sa.text("SELECT id, user_id FROM orders ORDER BY id"))]
    finally:
        engine.dispose()
    return tables, columns, indexes, rows


def test_migrate_new_writes_an_alembic_revision_that_alembic_runs_and_undoes(
    tmp_path: Path, target: tuple[str, str]
) -> None:
    dialect, url = target
    root = write_project(tmp_path / "app", url)
    alembic = find_alembic(root)
    assert alembic is not None
    run_child(alembic, {"op": "upgrade", "to": "head"}, url=url)
    engine = sa.create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (name) VALUES ('ann'), ('bob')"))
        conn.execute(sa.text("INSERT INTO orders (user_id) VALUES (1), (2), (2)"))
    engine.dispose()
    (root / "db").mkdir()
    (root / "db" / "schema.sql").write_text(SCHEMA[dialect])
    before = _state(url)

    proc = run_cli("migrate", "new", "add_order_status", str(root), "--env", "production")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    versions = root / "alembic" / "versions"
    new = sorted(set(versions.glob("*.py")) - {r.file for r in alembic.revisions.values()})
    assert len(new) == 1 and new[0].name.endswith("_add_order_status.py"), new
    assert not list(root.rglob("V0*.sql")) and not (root / "migrations").exists()
    rev = read_revision(new[0])
    assert rev is not None and rev.down == ("r3",) and rev.message == "add order status"
    assert f"wrote Alembic revision {rev.id} (down_revision r3)" in proc.stdout
    text = new[0].read_text()
    ast.parse(text)
    up, down = text.split("def downgrade() -> None:")
    assert "ADD COLUMN status" in up and "DROP COLUMN status" in down and "DROP TABLE tags" in down
    assert down.index("DROP COLUMN status") < down.index("DROP TABLE tags")  # reverse order
    if dialect == "postgres":
        assert "autocommit_block()" in up and "CREATE INDEX CONCURRENTLY" in up
        assert "SET LOCAL lock_timeout" in up and "RESET lock_timeout" in up
        # Going down, what ran last (outside the transaction) is undone first.
        assert down.index("DROP INDEX CONCURRENTLY") < down.index("DROP COLUMN status")

    # The app's own Alembic (its env.py) runs it; the database is at the new head.
    run_child(find_alembic(root), {"op": "upgrade", "to": "head"}, url=url)  # type: ignore[arg-type]
    assert applied_revisions(url) == (rev.id,)
    tables, columns, indexes, rows = _state(url)
    assert tables == sorted([*before[0], "tags"])
    assert "status" in columns["orders"] and columns["tags"] == ["id", "label"]
    assert "ix_users_name" in indexes and rows == before[3]
    engine = sa.create_engine(sqlalchemy_url(url))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT DISTINCT status FROM orders")).scalars().all() in (
            [None],
            ["new:open"],
        )
        conn.execute(sa.text("INSERT INTO tags (label) VALUES ('x')"))  # its id comes by itself
        conn.rollback()
    engine.dispose()
    # parity now sees no difference, and names no pending revision.
    proc = run_cli("schema", "diff", str(root), "--env", "production")
    assert "no differences" in proc.stdout, proc.stdout

    run_child(find_alembic(root), {"op": "downgrade", "to": "-1"}, url=url)  # type: ignore[arg-type]
    assert applied_revisions(url) == ("r3",)
    assert _state(url) == before


def test_migrate_new_refuses_while_revisions_are_pending(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    root = write_project(tmp_path / "app", url)
    alembic = find_alembic(root)
    assert alembic is not None
    run_child(alembic, {"op": "upgrade", "to": "r1"}, url=url)
    (root / "db").mkdir()
    (root / "db" / "schema.sql").write_text(SCHEMA["sqlite"])
    proc = run_cli("migrate", "new", "too_early", str(root), "--env", "production")
    assert proc.returncode != 0
    assert "not at head r3 (2 revision(s) pending)" in proc.stdout + proc.stderr
    assert sorted(p.name for p in (root / "alembic" / "versions").glob("*.py"))[0].startswith("r1")
    assert len(list((root / "alembic" / "versions").glob("*.py"))) == 3


def test_file_names_follow_the_projects_template() -> None:
    when = datetime(2024, 3, 9, 7, 5, 2)
    assert file_name("%(rev)s_%(slug)s", "ab12", "Add order status", when) == "ab12_add_order_status.py"
    dated = "%(year)d-%(month).2d-%(day).2d-%(hour).2d.%(minute).2d.%(second).2d_%(rev)s_%(slug)s"
    assert file_name(dated, "ab12", "x", when) == "2024-03-09-07.05.02_ab12_x.py"
    assert file_name("../%(rev)s", "ab12", "x", when) == "ab12_x.py"  # never out of versions/
    assert (
        slug("Add a very long message that goes on and on past forty chars")
        == "add_a_very_long_message_that_goes_on_and"
    )


def test_migrate_new_refuses_a_database_alembic_does_not_track(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    root = write_project(tmp_path / "app", url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50))"))
    engine.dispose()
    (root / "db").mkdir()
    (root / "db" / "schema.sql").write_text(SCHEMA["sqlite"])
    proc = run_cli("migrate", "new", "untracked", str(root), "--env", "production")
    assert proc.returncode != 0 and "has no alembic_version" in proc.stdout + proc.stderr
    assert len(list((root / "alembic" / "versions").glob("*.py"))) == 3
