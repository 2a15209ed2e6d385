"""A small Django project in healthchecks' shape, written into a tmp folder: ``manage.py`` setting
``DJANGO_SETTINGS_MODULE`` to ``hc.settings``, settings that read ``DB``/``DB_NAME`` from the
environment (not ``DATABASE_URL``), and two apps, ``hc.accounts`` and ``hc.api``, whose
migrations depend on each other. The models match the last migration (makemigrations finds no
change), and ``hc/api/apps.py`` sets its own label as real apps may."""

from __future__ import annotations

from pathlib import Path

MANAGE_PY = """\
#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hc.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

SETTINGS = """\
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "not-a-secret"
USE_TZ = True
INSTALLED_APPS = ["hc.accounts", "hc.api.apps.ApiConfig"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.getenv("DB_NAME", BASE_DIR / "not-this-one.sqlite3"),
    }
}
if os.getenv("DB") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.getenv("DB_NAME", "hc"),
            "HOST": os.getenv("DB_HOST", ""),
            "USER": os.getenv("DB_USER", "postgres"),
            "OPTIONS": {"sslmode": "prefer"},
        }
    }
"""

ACCOUNTS_MODELS = """\
from django.db import models


class Project(models.Model):
    name = models.CharField(max_length=200)
"""

API_APPS = """\
from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "hc.api"
    label = "checks"
"""

API_MODELS = """\
from django.db import models


class Check(models.Model):
    project = models.ForeignKey("accounts.Project", models.CASCADE)
    name = models.CharField(max_length=100)
    tags = models.CharField(max_length=500, blank=True, default="")
    slug = models.CharField(max_length=100, blank=True, default="")
"""

# app → [(file stem, text)]
MIGRATIONS = {
    "accounts": [
        (
            "0001_initial",
            """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Project",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=200)),
            ],
        ),
    ]
""",
        ),
    ],
    "api": [
        (
            "0001_initial",
            """\
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [("accounts", "0001_initial")]
    operations = [
        migrations.CreateModel(
            name="Check",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100)),
                (
                    "project",
                    models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="accounts.project"),
                ),
            ],
        ),
    ]
""",
        ),
        (
            "0002_check_tags",
            """\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("checks", "0001_initial")]
    operations = [
        migrations.AddField(
            model_name="check", name="tags", field=models.CharField(blank=True, default="", max_length=500)
        ),
    ]
""",
        ),
        (
            "0003_check_slug",
            """\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("checks", "0002_check_tags")]
    operations = [
        migrations.AddField(
            model_name="check", name="slug", field=models.CharField(blank=True, default="", max_length=100)
        ),
    ]
""",
        ),
        (
            "0004_fill_slug",
            """\
from django.db import migrations


def fill(apps, schema_editor):
    Check = apps.get_model("checks", "Check")
    for check in Check.objects.all():
        check.slug = check.name.lower().replace(" ", "-")
        check.save()


class Migration(migrations.Migration):
    dependencies = [("checks", "0003_check_slug")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
""",
        ),
    ],
}

#: A last migration that fails on the rows production has: a UNIQUE index over duplicate names.
FAILING = (
    "0005_unique_name",
    """\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("checks", "0004_fill_slug")]
    operations = [
        migrations.AddIndex(model_name="check", index=models.Index(fields=["tags"], name="check_tags_idx")),
        migrations.AlterField(model_name="check", name="name", field=models.CharField(max_length=100, unique=True)),
    ]
""",
)


def write_django_project(root: Path, url: str, *, failing: bool = False) -> Path:
    """manage.py, hc/{settings,accounts,api}, their migrations, .env.production naming ``url``."""
    (root / "hc").mkdir(parents=True)
    (root / "manage.py").write_text(MANAGE_PY)
    (root / "hc" / "__init__.py").write_text("")
    (root / "hc" / "settings.py").write_text(SETTINGS)
    for app, models in (("accounts", ACCOUNTS_MODELS), ("api", API_MODELS)):
        folder = root / "hc" / app
        (folder / "migrations").mkdir(parents=True)
        (folder / "__init__.py").write_text("")
        (folder / "models.py").write_text(models)
        (folder / "migrations" / "__init__.py").write_text("")
        files = MIGRATIONS[app] + ([FAILING] if failing and app == "api" else [])
        for stem, text in files:
            (folder / "migrations" / f"{stem}.py").write_text(text)
    (root / "hc" / "api" / "apps.py").write_text(API_APPS)
    (root / ".env.example").write_text("DATABASE_URL=\n")
    (root / ".env.production").write_text(f"DATABASE_URL={url}\n")
    return root
