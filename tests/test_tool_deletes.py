"""A data migration of the app's own tool that deletes rows on purpose (healthchecks'
``api.0122_delete_msteams_linenotify`` deletes the channels of two retired integrations): the
fall in row count is a warning naming the migration, in the tables its code deletes from and in
those whose foreign keys reach them; a fall nobody's code names stays an error and rolls back.
Real runs of ``manage.py migrate`` on SQLite and PostgreSQL, and the reading of migration code."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.django_project import write_django_project
from tests.helpers import run_cli
from tests.test_django_run import _manage

from parity.migrate.alembic_run import sqlalchemy_url
from parity.migrate.django_run import applied
from parity.migrate.tool_deletes import deleted_tables, excuse_deletes, with_referencing
from parity.model.findings import Finding, Severity
from parity.verify.integrity import Snapshot, TableDigest

HEALTHCHECKS_0122 = """
def delete_channels(apps, schema_editor):
    Channel = apps.get_model("api", "Channel")
    Channel.objects.filter(kind="msteams").delete()
    Channel.objects.filter(kind="linenotify").delete()
"""


def test_a_model_from_get_model_deleting_names_its_table() -> None:
    assert deleted_tables(HEALTHCHECKS_0122) == {"api_channel"}


@pytest.mark.parametrize(
    ("source", "tables"),
    [
        # an instance a loop took from the model's rows
        ("M = apps.get_model('shop.Order')\nfor o in M.objects.all():\n    o.delete()\n", {"shop_order"}),
        ("apps.get_model('shop', 'Order').objects.filter(x=1).delete()\n", {"shop_order"}),
        ("op.execute('DELETE FROM \"user\" WHERE is_active = false')\n", {"user"}),
        ("migrations.RunSQL('delete from public.audit_log where ts < now()')\n", {"audit_log"}),
        # updates and saves delete nothing (the shape of healthchecks' 0117 and 0120)
        (
            "Check = apps.get_model('api', 'Check')\nfor c in Check.objects.filter(k=None):\n"
            "    c.k = 1\n    c.save()\nCheck.objects.filter(kind='').update(kind=None)\n",
            set(),
        ),
        ("cache.delete('key')\nsession.delete(obj)\n", set()),  # not a model of the migration
        ("schema_editor.execute('DELETE FROM ' + table)\n", set()),  # a table the text does not name
    ],
)
def test_what_counts_as_deleting(source: str, tables: set[str]) -> None:
    assert deleted_tables(source) == tables


def test_tables_whose_foreign_keys_reach_a_deleting_table_lose_rows_through_it() -> None:
    deletes = {"accounts_project": ("api.0005_x",)}
    fks = {"api_check": {"accounts_project"}, "api_ping": {"api_check"}, "api_flag": {"api_unrelated"}}
    assert with_referencing(deletes, fks) == {
        "accounts_project": (("api.0005_x",), None),
        "api_check": (("api.0005_x",), "accounts_project"),
        "api_ping": (("api.0005_x",), "api_check"),
    }


def test_only_fewer_rows_in_a_named_table_become_a_warning() -> None:
    before = Snapshot((TableDigest("a", 5, ()), TableDigest("b", 5, ()), TableDigest("c", 5, ())))
    after = Snapshot((TableDigest("a", 3, ()), TableDigest("b", 7, ()), TableDigest("c", 4, ())))
    found = [
        Finding("VER002", Severity.ERROR, "verify", f"table {t} had 5 rows before", key=t)
        for t in ("a", "b", "c")
    ]
    deletes = {"a": (("m1",), None), "b": (("m1",), None)}
    out = {f.key: f for f in excuse_deletes(found, before, after, deletes)}
    assert (
        out["a"].severity is Severity.WARNING and "deleted by the app's own migration m1" in out["a"].message
    )
    assert out["b"].severity is Severity.ERROR  # more rows: no deletion explains it
    assert out["c"].severity is Severity.ERROR  # fewer rows, but no migration deletes there


DELETE_OLD_PROJECT = """\
from django.db import migrations


def drop_old(apps, schema_editor):
    Project = apps.get_model("accounts", "Project")
    Project.objects.filter(name="old").delete()


class Migration(migrations.Migration):
    dependencies = [("checks", "0004_fill_slug")]
    operations = [migrations.RunPython(drop_old, migrations.RunPython.noop)]
"""

DELETE_UNNAMED = """\
from django.db import migrations

TABLE = "checks_" + "check"


def drop_old(apps, schema_editor):
    schema_editor.execute("DELETE FROM " + TABLE + " WHERE name = 'backup'")


class Migration(migrations.Migration):
    dependencies = [("checks", "0004_fill_slug")]
    operations = [migrations.RunPython(drop_old, migrations.RunPython.noop)]
"""


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'prod.db'}"
    return str(request.getfixturevalue("pg_url"))


def _production(root: Path, url: str, migration: str) -> None:
    """The Django project with ``migration`` as checks.0005, production at checks.0001 (made by
    Django) with projects 'main' (3 checks) and 'old' (1 check)."""
    write_django_project(root, url)
    (root / "hc" / "api" / "migrations" / "0005_drop_old.py").write_text(migration)
    proc = _manage(root, url, "migrate", "checks", "0001_initial")
    assert proc.returncode == 0, proc.stderr
    engine = sa.create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO accounts_project (id, name) VALUES (1, 'main'), (2, 'old')"))
        for name, project in (("Web Server", 1), ("backup", 1), ("nightly", 1), ("legacy", 2)):
            conn.execute(
                sa.text("INSERT INTO checks_check (name, project_id) VALUES (:n, :p)"),
                {"n": name, "p": project},
            )
    engine.dispose()


def _counts(url: str) -> tuple[int, int]:
    engine = sa.create_engine(sqlalchemy_url(url))
    with engine.connect() as conn:
        n = tuple(
            conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("accounts_project", "checks_check")
        )
    engine.dispose()
    return n  # type: ignore[return-value]


def test_a_deleting_data_migration_applies_with_a_warning_naming_it(tmp_path: Path, url: str) -> None:
    root = tmp_path / "app"
    _production(root, url, DELETE_OLD_PROJECT)
    assert _counts(url) == (2, 4)
    proc = run_cli("apply", str(root), "--env", "production", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = " ".join(proc.stdout.split())
    assert "applied 4 Django migration(s)" in out
    assert (
        "VER002 table accounts_project had 2 rows before and has 1 after: deleted by the app's own migration "
        "checks.0005_drop_old (its code deletes them)" in out
    ), out
    # Django's collector took the old project's check with it: excused through the foreign key.
    assert "table checks_check had 4 rows before and has 3 after: deleted by the app's own migration" in out
    assert "rows referencing accounts_project" in out
    assert _counts(url) == (1, 3) and "checks.0005_drop_old" in applied(url)


def test_rows_deleted_by_code_no_migration_names_still_roll_back(
    tmp_path: Path, url: str, request: pytest.FixtureRequest
) -> None:
    # A RunPython with a noop reverse gives no row back by Django's own undo: on PostgreSQL the
    # whole-database backup does (on SQLite the file copy).
    root = tmp_path / "app"
    _production(root, url, DELETE_UNNAMED)
    proc = run_cli("apply", str(root), "--env", "production", "--yes")
    assert proc.returncode != 0
    out = " ".join(proc.stdout.split())
    assert "✗ VER002 table checks_check had 4 rows before and has 3 after" in out, out
    assert "rolled back" in out
    assert applied(url) == {"accounts.0001_initial", "checks.0001_initial"} and _counts(url) == (2, 4)
