"""Liquibase: changelogs parsed (XML, YAML, JSON, formatted SQL; include and includeAll), the
DATABASECHANGELOG read read-only, pending changesets listed by id, author and changelog path in
``check``, and the SQL of pending formatted-SQL changesets linted with parity's rules.

Shaped after Spring Boot apps of the corpus: ``src/main/resources/application.yml`` naming
``classpath:db/changelog/db.changelog-master.yaml``, whose ``include``s name files by
``/db/changelog/changes/NN-name.yaml`` from the classpath root; JHipster's XML changelogs with
the dbchangelog namespace; and an ``includeAll`` folder of formatted-SQL files.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from tests.helpers import run_cli

from parity.project import discover
from parity.schema.liquibase import runs_in, runs_on, same_file, split_key
from parity.schema.listed_tools import find_listed_tool
from parity.schema.service import tool_status

RES = "src/main/resources"
NS = 'xmlns="http://www.liquibase.org/xml/ns/dbchangelog"'

# Liquibase's documented DATABASECHANGELOG columns.
HISTORY_DDL = (
    "CREATE TABLE DATABASECHANGELOG (ID VARCHAR(255) NOT NULL, AUTHOR VARCHAR(255) NOT NULL, "
    "FILENAME VARCHAR(255) NOT NULL, DATEEXECUTED TIMESTAMP NOT NULL, ORDEREXECUTED INT NOT NULL, "
    "EXECTYPE VARCHAR(10) NOT NULL, MD5SUM VARCHAR(35), DESCRIPTION VARCHAR(255), COMMENTS VARCHAR(255), "
    "TAG VARCHAR(255), LIQUIBASE VARCHAR(20), CONTEXTS VARCHAR(255), LABELS VARCHAR(255), "
    "DEPLOYMENT_ID VARCHAR(10))"
)
INSERT = (
    "INSERT INTO DATABASECHANGELOG (ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED, EXECTYPE) "
    "VALUES (%s, %s, %s, CURRENT_TIMESTAMP, %s, 'EXECUTED')"
)

FILES = {
    f"{RES}/application.yml": "spring:\n  liquibase:\n    change-log: classpath:db/changelog/db.changelog-master.yaml\n",
    f"{RES}/db/changelog/db.changelog-master.yaml": (
        "databaseChangeLog:\n"
        "  - include:\n      file: /db/changelog/changes/01-create-users.yaml\n"
        "  - include:\n      file: changes/02-create-orders.xml\n      relativeToChangelogFile: true\n"
        "  - include:\n      file: db/changelog/changes/03-tags.json\n"
        "  - includeAll:\n      path: db/changelog/sql/\n"
    ),
    f"{RES}/db/changelog/changes/01-create-users.yaml": (
        "databaseChangeLog:\n"
        "  - changeSet:\n      id: create-users\n      author: alice\n      changes:\n"
        "        - createTable:\n            tableName: users\n"
        "            columns:\n              - column: { name: id, type: bigint }\n"
    ),
    f"{RES}/db/changelog/changes/02-create-orders.xml": (
        f'<?xml version="1.0" encoding="utf-8"?>\n<databaseChangeLog {NS}>\n'
        '  <changeSet id="20240101-1" author="jhipster">\n'
        "    <comment>orders</comment>\n"
        '    <createTable tableName="orders"><column name="id" type="bigint"/></createTable>\n'
        "  </changeSet>\n"
        '  <changeSet id="20240101-2" author="jhipster">\n'
        "    <sql>DROP TABLE legacy_orders</sql>\n"
        "  </changeSet>\n"
        "</databaseChangeLog>\n"
    ),
    f"{RES}/db/changelog/changes/03-tags.json": json.dumps(
        {"databaseChangeLog": [{"changeSet": {"id": "tags", "author": "bob", "changes": []}}]}
    ),
    f"{RES}/db/changelog/sql/001-add-age.sql": (
        "--liquibase formatted sql\n"
        "\n"
        "--changeset carol:1\n"
        "--comment: users get an email index\n"
        "CREATE INDEX users_email ON users (email);\n"
        "--rollback DROP INDEX users_email;\n"
        "\n"
        "--changeset carol:2 runInTransaction:false\n"
        "ALTER TABLE users ADD COLUMN age INTEGER NOT NULL;\n"
        "--rollback ALTER TABLE users DROP COLUMN age;\n"
    ),
}

KEYS = [
    "db/changelog/changes/01-create-users.yaml::create-users::alice",
    "db/changelog/changes/02-create-orders.xml::20240101-1::jhipster",
    "db/changelog/changes/02-create-orders.xml::20240101-2::jhipster",
    "db/changelog/changes/03-tags.json::tags::bob",
    "db/changelog/sql/001-add-age.sql::1::carol",
    "db/changelog/sql/001-add-age.sql::2::carol",
]
# What Liquibase recorded when the app ran at the first three changesets (Spring Boot's
# classpath form, a leading slash, the plain path: launchers and versions differ).
APPLIED = [
    ("create-users", "alice", "classpath:/db/changelog/changes/01-create-users.yaml"),
    ("20240101-1", "jhipster", "/db/changelog/changes/02-create-orders.xml"),
    ("20240101-2", "jhipster", "db/changelog/changes/02-create-orders.xml"),
    ("tags", "someone-else", "db/changelog/changes/03-tags.json"),  # not the same changeset: author differs
]


def _files(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def _sqlite_prod(path: Path, rows: list[tuple[str, str, str]]) -> str:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)")
    conn.execute("INSERT INTO users (email) VALUES ('a@example.com')")
    conn.execute(HISTORY_DDL)
    for n, r in enumerate(rows, 1):
        conn.execute(INSERT.replace("%s", "?"), (*r, n))
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


def test_changelogs_of_every_format_are_read_in_run_order(tmp_path: Path) -> None:
    _files(tmp_path, FILES)
    tool = find_listed_tool(tmp_path)
    assert tool is not None and tool.tool == "Liquibase"
    assert [m.id for m in tool.migrations] == KEYS
    assert tool.problems == ()
    assert tool.new_folder == (tmp_path / RES / "db/changelog/sql").resolve()
    # Only SQL a changeset runs is kept for lint: not the rollback, not createTable.
    script = tool.scripts[KEYS[4]]
    assert "CREATE INDEX users_email" in script.sql and "DROP INDEX" not in script.sql
    assert script.sql.split("\n")[4].startswith("CREATE INDEX") and script.transactional and script.lines
    assert not tool.scripts[KEYS[5]].transactional
    assert tool.scripts[KEYS[2]].sql == "DROP TABLE legacy_orders;" and not tool.scripts[KEYS[2]].lines
    assert KEYS[0] not in tool.scripts
    assert tool.migrations[1].message == "orders"


def test_recorded_file_names_match_whatever_prefix_the_launcher_used() -> None:
    assert same_file("classpath:/db/changelog/a.yaml", "db/changelog/a.yaml")
    assert same_file("src/main/resources/db/changelog/a.yaml", "db/changelog/a.yaml")
    assert not same_file("db/changelog/a.yaml", "db/changelog/b.yaml")
    assert not same_file("other/a.yaml", "db/changelog/a.yaml")


def test_pending_changesets_are_listed_by_check(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _files(root, FILES)
    db = tmp_path / "prod.db"
    url = _sqlite_prod(db, APPLIED)
    (root / ".env.example").write_text("DATABASE_URL=\n")
    (root / ".env.production").write_text(f"DATABASE_URL={url}\n")
    before = db.read_bytes()
    data = json.loads(run_cli("check", str(root), "--env", "production", "--format", "json").stdout)
    schema = next(s for s in data["sections"] if s["id"] == "schema")
    (sch9,) = [f for f in schema["findings"] if f["code"] == "SCH009"]
    assert sch9["severity"] == "error"
    assert "3 Liquibase migrations pending" in sch9["message"], sch9["message"]
    assert "3 of main's 6 applied" in sch9["message"]
    (table,) = [t for t in schema["tables"] if t["title"] == "Pending Liquibase changesets"]
    assert [r[:3] for r in table["rows"]] == [
        ["tags", "bob", "db/changelog/changes/03-tags.json"],
        ["1", "carol", "db/changelog/sql/001-add-age.sql"],
        ["2", "carol", "db/changelog/sql/001-add-age.sql"],
    ]
    assert table["rows"][1][3] == "users get an email index"
    # The pending formatted-SQL changesets are linted where they stand in their file.
    impl = next(s for s in data["sections"] if s["id"] == "implementation-migrations")
    lint = {(f["code"], f["file"], f["line"]) for f in impl["findings"]}
    assert ("MIG003", f"{RES}/db/changelog/sql/001-add-age.sql", 9) in lint, impl["findings"]
    # Applied changesets are not linted (the XML DROP TABLE ran already).
    assert not [f for f in impl["findings"] if f["code"] == "MIG001"]
    assert db.read_bytes() == before


def test_a_database_liquibase_never_ran_on_is_a_warning_and_every_changeset_linted(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _files(root, FILES)
    db = tmp_path / "prod.db"
    sqlite3.connect(db).execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)").connection.close()
    url = f"sqlite:///{db}"
    d = __import__("parity.dialects", fromlist=["get"]).get(url)
    status = tool_status(discover(root), d.name, url, d.inspect(url))
    assert status is not None and status.applied is None and status.history_table == "databasechangelog"
    (root / ".env.example").write_text("DATABASE_URL=\n")
    (root / ".env.production").write_text(f"DATABASE_URL={url}\n")
    data = json.loads(run_cli("check", str(root), "--env", "production", "--format", "json").stdout)
    impl = next(s for s in data["sections"] if s["id"] == "implementation-migrations")
    assert {"MIG001", "MIG003"} <= {f["code"] for f in impl["findings"]}


@pytest.mark.postgres
def test_history_read_from_postgres_where_the_table_is_lowercase(tmp_path: Path, pg_url: str) -> None:
    import psycopg

    from parity import dialects

    _files(tmp_path, FILES)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(HISTORY_DDL)  # unquoted: PostgreSQL spells it databasechangelog
        for n, r in enumerate(APPLIED[:2], 1):
            conn.execute(INSERT, (*r, n))  # type: ignore[arg-type]
    d = dialects.get(pg_url)
    current = d.inspect(pg_url)
    assert current.table("databasechangelog") is not None
    status = tool_status(discover(tmp_path), d.name, pg_url, current)
    assert status is not None and status.tool == "Liquibase"
    assert [r.id for r in status.pending] == KEYS[2:]


def test_liquibase_properties_names_the_changelog(tmp_path: Path) -> None:
    _files(
        tmp_path,
        {
            "liquibase.properties": "url=jdbc:postgresql://db/app\nchangeLogFile: changelog/main.xml\n",
            "changelog/main.xml": f'<databaseChangeLog {NS}>\n  <include file="changelog/a.sql"/>\n</databaseChangeLog>\n',
            "changelog/a.sql": '-- liquibase formatted sql\n--changeset "Jane Doe":init\nCREATE TABLE a (id int);\n',
        },
    )
    tool = find_listed_tool(tmp_path)
    assert tool is not None and [m.id for m in tool.migrations] == ["changelog/a.sql::init::Jane Doe"]


def test_hostile_changelogs_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("databaseChangeLog:\n  - changeSet: {id: x, author: y, changes: []}\n")
    root = tmp_path / "repo"
    _files(
        root,
        {
            "db/changelog/db.changelog-master.xml": (
                f'<databaseChangeLog {NS}>\n  <include file="../../../outside.yaml" relativeToChangelogFile="true"/>\n'
                '  <include file="db/changelog/bomb.xml"/>\n  <include file="db/changelog/db.changelog-master.xml"/>\n'
                '  <changeSet id="1" author="a"><sql>SELECT 1</sql></changeSet>\n</databaseChangeLog>\n'
            ),
            "db/changelog/bomb.xml": (
                '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>\n'
                f'<databaseChangeLog {NS}><changeSet id="&b;" author="x"/></databaseChangeLog>\n'
            ),
        },
    )
    tool = find_listed_tool(root)
    assert tool is not None
    assert [m.id for m in tool.migrations] == ["db/changelog/db.changelog-master.xml::1::a"]
    assert any("outside the repository" in p for p in tool.problems)
    assert any("entity declarations" in p for p in tool.problems)


def test_jhipster_layout_and_production_contexts(tmp_path: Path) -> None:
    # JHipster names classpath:config/liquibase/master.xml in Java code; its sample data changesets
    # run only in the faker context, which application-prod.yml leaves out.
    _files(
        tmp_path,
        {
            f"{RES}/config/application-prod.yml": "spring:\n  liquibase:\n    contexts: prod\n",
            f"{RES}/config/application-dev.yml": "spring:\n  liquibase:\n    contexts: dev, faker\n",
            f"{RES}/config/liquibase/master.xml": (
                f"<databaseChangeLog {NS}>\n"
                '  <include file="config/liquibase/changelog/20240101_added_entity_Bank.xml" relativeToChangelogFile="false"/>\n'
                "</databaseChangeLog>\n"
            ),
            f"{RES}/config/liquibase/changelog/20240101_added_entity_Bank.xml": (
                f"<databaseChangeLog {NS}>\n"
                '  <changeSet id="20240101-1" author="jhipster"><createTable tableName="bank"/></changeSet>\n'
                '  <changeSet id="20240101-1-data" author="jhipster" context="faker"><loadData file="x.csv" tableName="bank"/></changeSet>\n'
                '  <changeSet id="20240101-2" author="jhipster" context="!test"><sql>SELECT 1</sql></changeSet>\n'
                "</databaseChangeLog>\n"
            ),
        },
    )
    tool = find_listed_tool(tmp_path)
    assert tool is not None and tool.tool == "Liquibase"
    assert [split_key(m.id)[1] for m in tool.migrations] == ["20240101-1", "20240101-2"]
    assert tool.migrations[0].id.startswith("config/liquibase/changelog/20240101_added_entity_Bank.xml::")
    assert any("contexts prod" in n and "faker" in n for n in tool.notes), tool.notes


def test_context_expressions() -> None:
    assert runs_in("", ("prod",)) is True
    assert runs_in("faker", ("prod",)) is False
    assert runs_in("dev, faker", ("faker",)) is True
    assert runs_in("!test", ("prod",)) is True and runs_in("!test", ("test",)) is False
    assert runs_in("prod and eu", ("prod",)) is False
    assert runs_in("(prod or dev) and !test", ("prod",)) is None  # not read: counted as running


def test_changesets_for_another_database_are_not_pending_here(tmp_path: Path) -> None:
    _files(
        tmp_path,
        {
            "db/changelog/db.changelog-master.sql": "--liquibase formatted sql\n"
            "--changeset a:1\nCREATE TABLE t (id int);\n"
            "--changeset a:2 dbms:postgresql\nCREATE EXTENSION pg_trgm;\n"
            "--changeset a:3 dbms:!sqlite\nALTER TABLE t ADD CONSTRAINT c CHECK (id > 0);\n"
        },
    )
    url = _sqlite_prod(tmp_path / "prod.db", [("1", "a", "db/changelog/db.changelog-master.sql")])
    from parity import dialects

    d = dialects.get(url)
    status = tool_status(discover(tmp_path), d.name, url, d.inspect(url))
    assert status is not None and status.pending == () and status.total == 1
    assert runs_on("postgresql", "postgres") and runs_on("mysql, mariadb", "mysql")
    assert (
        not runs_on("!postgresql", "postgres") and runs_on("all", "sqlite") and not runs_on("none", "sqlite")
    )
