"""Migration tools whose history is a list of applied ids (Django, Rails, Prisma, Flyway,
golang-migrate, goose, dbmate): the migrations main holds that production has not run are the gap.

Shaped after the corpus: paperless-ngx and healthchecks keep Django apps with ``<app>/migrations/
NNNN_name.py`` (squashed ones with ``replaces``), huginn has Rails' ``db/migrate/<14 digits>_name.rb``,
documenso and hoppscotch keep Prisma's ``prisma/migrations/<timestamp>_name/migration.sql`` in a
package folder. Nothing in a migration file is run: a marker file would show it.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pymysql
import pytest
from tests.helpers import run_cli

from parity.project import discover
from parity.schema.listed_tools import find_listed_tool
from parity.schema.service import tool_status

MARKER = "executed.txt"
RUN_ME = f"open({MARKER!r}, 'w').write('ran')\n"


def _django(root: Path) -> None:
    for app, names in (
        ("documents", ["0001_initial", "0002_tags", "0003_notes"]),
        ("mail", ["0001_initial"]),
    ):
        folder = root / "src" / app / "migrations"
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("")
        for n in names:
            (folder / f"{n}.py").write_text(RUN_ME + "class Migration:\n    pass\n")
    (root / "src/documents/migrations/0004_squashed.py").write_text(
        RUN_ME
        + "class Migration:\n    replaces = [('documents', '0002_tags'), ('documents', '0003_notes')]\n"
    )


def _sqlite(path: Path, ddl: str, rows: list[tuple[object, ...]], insert: str) -> str:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE documents (id INTEGER PRIMARY KEY, title TEXT)")
    conn.execute("INSERT INTO documents (title) VALUES ('old row')")
    conn.execute(ddl)
    conn.executemany(insert, rows)
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


def test_django_pending_migrations_are_reported_by_check_without_a_declared_schema(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _django(root)
    db = tmp_path / "prod.db"
    url = _sqlite(
        db,
        "CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app TEXT, name TEXT, applied TEXT)",
        [("documents", "0001_initial"), ("auth", "0001_initial"), ("contenttypes", "0001_initial")],
        "INSERT INTO django_migrations (app, name) VALUES (?, ?)",
    )
    (root / ".env.example").write_text("DATABASE_URL=sqlite:///dev.db\n")
    (root / ".env.production").write_text(f"DATABASE_URL={url}\n")
    before = db.read_bytes()
    res = run_cli("check", str(root), "--env", "production", "--format", "json")
    data = json.loads(res.stdout)
    schema = next(s for s in data["sections"] if s["id"] == "schema")
    (sch9,) = [f for f in schema["findings"] if f["code"] == "SCH009"]
    assert sch9["severity"] == "error"
    # 0002 and 0003 are pending, the squash of both is not counted twice; mail.0001 too.
    assert "3 Django migrations pending" in sch9["message"], sch9["message"]
    assert "documents.0002_tags" in sch9["message"] and "mail.0001_initial" in sch9["message"]
    assert "python manage.py migrate" in sch9["fix"]
    assert any("Django history only" in n for n in schema["notes"])
    assert not (root / MARKER).exists() and not (Path.cwd() / MARKER).exists()
    assert db.read_bytes() == before


def test_a_squashed_migration_counts_once_its_replaced_ones_ran(tmp_path: Path) -> None:
    _django(tmp_path)
    tool = find_listed_tool(tmp_path)
    assert tool is not None and tool.tool == "Django"
    applied = {"documents.0001_initial", "documents.0002_tags", "documents.0003_notes", "mail.0001_initial"}
    assert tool.pending(applied) == []
    assert [m.id for m in tool.pending({"documents.0001_initial"})] == [
        "documents.0002_tags",
        "documents.0003_notes",
        "mail.0001_initial",
    ]


def _files(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


CASES = [
    (
        "Rails",
        {
            "db/migrate/20240101000000_create_agents.rb": RUN_ME,
            "db/migrate/20240202000000_add_guid_to_agents.rb": RUN_ME,
            "db/migrate/20240303000000_create_events.rb": RUN_ME,
        },
        "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY)",
        [("20240101000000",)],
        "INSERT INTO schema_migrations VALUES (?)",
        ["20240202000000", "20240303000000"],
    ),
    (
        "Prisma",
        {
            "packages/prisma/migrations/20240101_init/migration.sql": "CREATE TABLE a (id int);",
            "packages/prisma/migrations/20240202_add_b/migration.sql": "CREATE TABLE b (id int);",
            "packages/prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n',
        },
        "CREATE TABLE _prisma_migrations (migration_name TEXT, finished_at TEXT, rolled_back_at TEXT)",
        [("20240101_init", "2024-01-01", None), ("20240202_add_b", None, None)],
        "INSERT INTO _prisma_migrations VALUES (?, ?, ?)",
        ["20240202_add_b"],  # started, never finished: still pending
    ),
    (
        "Flyway",
        {
            "db/migration/V1__init.sql": "CREATE TABLE a (id int);",
            "db/migration/V1_1__add_b.sql": "CREATE TABLE b (id int);",
            "db/migration/V2__add_c.sql": "CREATE TABLE c (id int);",
        },
        "CREATE TABLE flyway_schema_history (version TEXT, success BOOLEAN)",
        [("1", 1), ("1.1", 0)],
        "INSERT INTO flyway_schema_history VALUES (?, ?)",
        ["1.1", "2"],
    ),
    (
        "golang-migrate",
        {
            "migrations/000001_init.up.sql": "CREATE TABLE a (id int);",
            "migrations/000001_init.down.sql": "DROP TABLE a;",
            "migrations/000002_add_b.up.sql": "CREATE TABLE b (id int);",
            "migrations/000002_add_b.down.sql": "DROP TABLE b;",
        },
        "CREATE TABLE schema_migrations (version BIGINT, dirty BOOLEAN)",
        [(1, 0)],
        "INSERT INTO schema_migrations VALUES (?, ?)",
        ["000002"],
    ),
    (
        "goose",
        {
            "db/migrations/00001_init.sql": "-- +goose Up\nCREATE TABLE a (id int);\n",
            "db/migrations/00002_add_b.sql": "-- +goose Up\nCREATE TABLE b (id int);\n",
        },
        "CREATE TABLE goose_db_version (version_id BIGINT, is_applied BOOLEAN)",
        [(0, 1), ("00001", 1)],
        "INSERT INTO goose_db_version VALUES (?, ?)",
        ["00002"],
    ),
    (
        "dbmate",
        {
            "db/migrations/20240101000000_init.sql": "-- migrate:up\nCREATE TABLE a (id int);\n",
            "db/migrations/20240202000000_add_b.sql": "-- migrate:up\nCREATE TABLE b (id int);\n",
        },
        "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY)",
        [("20240101000000",)],
        "INSERT INTO schema_migrations VALUES (?)",
        ["20240202000000"],
    ),
    (
        "Knex",
        {
            "migrations/20240101000000_create_users.js": "exports.up = function (knex) {\n"
            "  return knex.schema.createTable('users', (t) => { t.increments('id'); });\n};\n",
            "migrations/20240202000000_add_email.ts": "import type { Knex } from 'knex';\n"
            "export async function up(knex: Knex): Promise<void> {}\n",
            "migrations/README.md": "notes\n",
        },
        "CREATE TABLE knex_migrations (id INTEGER PRIMARY KEY, name TEXT, batch INTEGER)",
        [("20240101000000_create_users.js", 1)],
        "INSERT INTO knex_migrations (name, batch) VALUES (?, ?)",
        ["20240202000000_add_email.ts"],
    ),
    (
        "Sequelize",
        {
            "db/migrations/20240101000000-create-user.js": "'use strict';\nmodule.exports = {\n"
            "  async up(queryInterface, Sequelize) { await queryInterface.createTable('Users', {}); },\n};\n",
            "db/migrations/20240202000000-add-role.js": "module.exports = {\n"
            "  up: async (queryInterface) => queryInterface.addColumn('Users', 'role', {}),\n};\n",
        },
        'CREATE TABLE "SequelizeMeta" (name TEXT PRIMARY KEY)',
        [("20240101000000-create-user.js",)],
        'INSERT INTO "SequelizeMeta" VALUES (?)',
        ["20240202000000-add-role.js"],
    ),
    (
        "TypeORM",
        {
            "src/migrations/1700000000000-Init.ts": "import { MigrationInterface, QueryRunner } from 'typeorm';\n"
            "export class Init1700000000000 implements MigrationInterface {\n"
            "  public async up(queryRunner: QueryRunner): Promise<void> {}\n}\n",
            "src/migrations/1700000100000-AddPosts.ts": "import { MigrationInterface, QueryRunner } from 'typeorm';\n"
            "export class AddPosts1700000100000 implements MigrationInterface {\n"
            "  public async up(queryRunner: QueryRunner): Promise<void> {}\n}\n",
        },
        "CREATE TABLE migrations (id INTEGER PRIMARY KEY, timestamp BIGINT, name TEXT)",
        [(1700000000000, "Init1700000000000")],
        "INSERT INTO migrations (timestamp, name) VALUES (?, ?)",
        ["AddPosts1700000100000"],
    ),
]


@pytest.mark.parametrize(
    ("tool", "files", "ddl", "rows", "insert", "pending"), CASES, ids=[c[0] for c in CASES]
)
def test_each_tool_is_found_and_its_pending_migrations_listed(
    tmp_path: Path,
    tool: str,
    files: dict[str, str],
    ddl: str,
    rows: list[tuple[object, ...]],
    insert: str,
    pending: list[str],
) -> None:
    root = tmp_path / "repo"
    _files(root, files)
    url = _sqlite(tmp_path / "prod.db", ddl, rows, insert)
    from parity import dialects

    d = dialects.get(url)
    status = tool_status(discover(root), d.name, url, d.inspect(url))
    assert status is not None and status.tool == tool
    assert [r.id for r in status.pending] == pending
    assert not (root / MARKER).exists()


def test_parity_own_migrations_folder_is_not_taken_for_flyway(tmp_path: Path) -> None:
    _files(tmp_path, {"migrations/V0001__init.up.sql": "CREATE TABLE a (id int);"})
    assert find_listed_tool(tmp_path) is None


@pytest.mark.mysql
def test_rails_history_read_from_mariadb(tmp_path: Path, mysql_url: str) -> None:
    from urllib.parse import urlparse

    from parity import dialects

    _files(tmp_path, dict(CASES[0][1]))
    u = urlparse(mysql_url)
    conn = pymysql.connect(
        host=u.hostname,
        port=u.port or 3306,
        user=u.username,
        password=u.password or "",
        database=u.path.lstrip("/"),
    )
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE schema_migrations (version VARCHAR(14) PRIMARY KEY)")
        cur.execute("INSERT INTO schema_migrations VALUES ('20240101000000'), ('20240202000000')")
    conn.commit()
    conn.close()
    d = dialects.get(mysql_url)
    status = tool_status(discover(tmp_path), d.name, mysql_url, d.inspect(mysql_url))
    assert status is not None and [r.id for r in status.pending] == ["20240303000000"]


def test_a_js_folder_that_is_no_tool_s_is_not_taken_for_one(tmp_path: Path) -> None:
    # Timestamped files that do not use the tool's API (a build's output, notes) are not migrations.
    _files(tmp_path, {"migrations/20240101000000_notes.js": "console.log('hello');\n"})
    assert find_listed_tool(tmp_path) is None


@pytest.mark.postgres
def test_sequelize_history_read_from_postgres_with_its_mixed_case_table(tmp_path: Path, pg_url: str) -> None:
    import psycopg

    from parity import dialects

    sequelize = next(c for c in CASES if c[0] == "Sequelize")
    _files(tmp_path, dict(sequelize[1]))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute('CREATE TABLE "SequelizeMeta" (name TEXT PRIMARY KEY)')
        conn.execute("""INSERT INTO "SequelizeMeta" VALUES ('20240101000000-create-user.js')""")
    d = dialects.get(pg_url)
    status = tool_status(discover(tmp_path), d.name, pg_url, d.inspect(pg_url))
    assert status is not None and status.tool == "Sequelize"
    assert [r.id for r in status.pending] == ["20240202000000-add-role.js"]


def test_pending_plain_sql_migrations_are_linted_in_check(tmp_path: Path) -> None:
    # check lints what the tool would run: Flyway's pending V2, goose's Up section only.
    for tool, files, history in (
        (
            "Flyway",
            {
                "db/migration/V1__init.sql": "CREATE TABLE a (id int);\n",
                "db/migration/V2__drop_a.sql": "-- clean up\nDROP TABLE a;\n",
            },
            "CREATE TABLE flyway_schema_history (version TEXT, success BOOLEAN);"
            "INSERT INTO flyway_schema_history VALUES ('1', 1);",
        ),
        (
            "goose",
            {
                "db/migrations/00001_init.sql": "-- +goose Up\nCREATE TABLE a (id int);\n",
                "db/migrations/00002_b.sql": "-- +goose Up\nCREATE TABLE b (id int);\nDROP TABLE a;\n"
                "-- +goose Down\nDROP TABLE b;\n",
            },
            "CREATE TABLE goose_db_version (version_id BIGINT, is_applied BOOLEAN);"
            "INSERT INTO goose_db_version VALUES (1, 1);",
        ),
    ):
        root = tmp_path / tool / "repo"
        _files(root, files)
        db = tmp_path / tool / "prod.db"
        conn = sqlite3.connect(db)
        conn.executescript("CREATE TABLE a (id int);" + history)
        conn.close()
        (root / ".env.example").write_text("DATABASE_URL=\n")
        (root / ".env.production").write_text(f"DATABASE_URL=sqlite:///{db}\n")
        data = json.loads(run_cli("check", str(root), "--env", "production", "--format", "json").stdout)
        impl = next(s for s in data["sections"] if s["id"] == "implementation-migrations")
        drops = [(f["file"], f["line"]) for f in impl["findings"] if f["code"] == "MIG001"]
        pending = "db/migration/V2__drop_a.sql" if tool == "Flyway" else "db/migrations/00002_b.sql"
        # One finding: the Up part's DROP TABLE a (goose's Down DROP TABLE b is the undo, not run).
        assert drops == [(pending, 2 if tool == "Flyway" else 3)], impl["findings"]
        assert any("linted the SQL of 1 pending" in n for n in impl["notes"]), impl["notes"]
