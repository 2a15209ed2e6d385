"""``check`` names each pending migration of the app's own tool once: in Schema Impact Analysis
(SCH009 and its table). The Implementation section says how they would run and points there; it
neither lists them again nor plans parity's own ``V000N`` files for what they do. ``migrate up``'s
dry run, which has no Schema Impact Analysis, still lists them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.alembic_project import write_project
from tests.helpers import run_cli

from parity.migrate.alembic_run import run_child
from parity.schema.apptool import find_alembic


def _report(root: Path) -> tuple[dict, str]:  # type: ignore[type-arg]
    data = json.loads(run_cli("check", str(root), "--env", "production", "--format", "json").stdout)
    return data, run_cli("check", str(root), "--env", "production").stdout


def test_alembic_pending_revisions_are_listed_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    root = write_project(tmp_path / "app", url)
    alembic = find_alembic(root)
    assert alembic is not None
    run_child(alembic, {"op": "upgrade", "to": "r1"}, url=url)
    data, text = _report(root)
    schema = next(s for s in data["sections"] if s["id"] == "schema")
    assert [r[0] for r in schema["tables"][0]["rows"]] == ["r2", "r3"]
    impl = next(s for s in data["sections"] if s["id"] == "implementation-migrations")
    assert not [n for n in impl["notes"] if n.startswith("pending:")]
    assert any("2 revision(s) from r1 to r3" in n for n in impl["notes"])
    assert text.count("r2_add_email_to_users.py") == 1 and text.count("r3_create_orders.py") == 1, text
    # migrate up's dry run has no schema section: there they are named.
    dry = run_cli("migrate", "up", str(root), "--env", "production").stdout
    assert "pending: r2 add email to users" in dry and "pending: r3 create orders" in dry


def test_flyway_pending_migration_is_listed_once_and_not_planned_again(tmp_path: Path) -> None:
    root = tmp_path / "app"
    folder = root / "db" / "migration"
    folder.mkdir(parents=True)
    (folder / "V1__create_a.sql").write_text("CREATE TABLE a (id INT);\n")
    (folder / "V2__create_b.sql").write_text("CREATE TABLE b (id INT);\n")
    (root / "db" / "schema.sql").write_text("CREATE TABLE a (id INT);\nCREATE TABLE b (id INT);\n")
    db = tmp_path / "prod.db"
    conn = sqlite3.connect(db)
    conn.executescript(
        "CREATE TABLE a (id INT); CREATE TABLE flyway_schema_history (version TEXT, success BOOLEAN);"
        "INSERT INTO flyway_schema_history VALUES ('1', 1);"
    )
    conn.close()
    (root / ".env.example").write_text("DATABASE_URL=\n")
    (root / ".env.production").write_text(f"DATABASE_URL=sqlite:///{db}\n")
    data, text = _report(root)
    schema = next(s for s in data["sections"] if s["id"] == "schema")
    (sch9,) = [f for f in schema["findings"] if f["code"] == "SCH009"]
    assert "1 Flyway migration pending" in sch9["message"]
    impl = next(s for s in data["sections"] if s["id"] == "implementation-migrations")
    assert impl["blocks"] == [] and not any("V0001" in n for n in impl["notes"]), impl
    assert any(
        "`flyway migrate`: 1 pending migration(s), listed in Schema Impact Analysis" in n
        for n in impl["notes"]
    )
    assert text.count("V2__create_b.sql") == 1 and "V0001__parity_apply" not in text, text
    assert not (root / "migrations").exists()
