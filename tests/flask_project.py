"""A Flask-Migrate project as ``flask db init`` / ``flask db migrate`` leave it, written into a
tmp folder: ``migrations/alembic.ini`` (logging only, no ``script_location``), a
``migrations/env.py`` that takes its engine from the running Flask app (``current_app``), and
revisions with hex ids, ``branch_labels``/``depends_on`` and batch operations for SQLite.

Flask is not installed in parity's test environment: an env.py run would fail at its first
import, which is how the tests show parity never runs it."""

from __future__ import annotations

from pathlib import Path

ENV_PY = """\
import logging
from logging.config import fileConfig

from flask import current_app

from alembic import context

config = context.config
fileConfig(config.config_file_name)
log = logging.getLogger("alembic.env")


def engine():
    return current_app.extensions["migrate"].db.engine


config.set_main_option("sqlalchemy.url", engine().url.render_as_string(hide_password=False))
metadata = current_app.extensions["migrate"].db.metadata


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    with engine().connect() as connection:
        context.configure(
            connection=connection, target_metadata=metadata, **current_app.extensions["migrate"].configure_args
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
"""

INI = """\
[alembic]

[loggers]
keys = root,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console
qualname =

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
"""

APP_PY = """\
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
import os

db = SQLAlchemy()
migrate = Migrate()


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)
    return app
"""

#: id → (down, message, upgrade body, downgrade body)
REVISIONS = {
    "4b1f0c2d9e10": (
        None,
        "initial tables",
        'op.create_table("user", sa.Column("id", sa.Integer(), nullable=False), '
        'sa.Column("username", sa.String(length=64), nullable=False), sa.PrimaryKeyConstraint("id"))\n'
        '    with op.batch_alter_table("user", schema=None) as batch_op:\n'
        '        batch_op.create_index(batch_op.f("ix_user_username"), ["username"], unique=True)',
        'with op.batch_alter_table("user", schema=None) as batch_op:\n'
        '        batch_op.drop_index(batch_op.f("ix_user_username"))\n'
        '    op.drop_table("user")',
    ),
    "7a3e55c8b2f1": (
        "4b1f0c2d9e10",
        "posts table",
        'op.create_table("post", sa.Column("id", sa.Integer(), nullable=False), '
        'sa.Column("body", sa.String(length=140), nullable=True), '
        'sa.Column("user_id", sa.Integer(), nullable=True), '
        'sa.ForeignKeyConstraint(["user_id"], ["user.id"], ), sa.PrimaryKeyConstraint("id"))',
        'op.drop_table("post")',
    ),
    "c9d2a0e4f6b3": (
        "7a3e55c8b2f1",
        "user about me",
        'with op.batch_alter_table("user", schema=None) as batch_op:\n'
        '        batch_op.add_column(sa.Column("about_me", sa.String(length=140), nullable=True))',
        'with op.batch_alter_table("user", schema=None) as batch_op:\n'
        '        batch_op.drop_column("about_me")',
    ),
}
#: A revision of the kind data migrations are written as: it imports the application's models.
IMPORTS_APP = (
    "c9d2a0e4f6b3",
    "backfill about me",
    'op.execute(sa.update(User.__table__).values(about_me=""))',
    "pass",
    "from app.models import User\n",
)


def write_revision(
    folder: Path, rid: str, down: str | None, message: str, up: str, downgrade: str, imports: str = ""
) -> None:
    (folder / f"{rid}_{message.replace(' ', '_')}.py").write_text(
        f'"""{message}\n\nRevision ID: {rid}\nRevises: {down or ""}\nCreate Date: 2024-05-02 10:11:12\n\n"""\n'
        f"from alembic import op\nimport sqlalchemy as sa\n{imports}\n\n"
        f"revision = {rid!r}\ndown_revision = {down!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
        f"def upgrade():\n    {up}\n\n\ndef downgrade():\n    {downgrade}\n"
    )


def write_flask_project(root: Path, url: str, *, imports_app: bool = False) -> Path:
    """app/__init__.py, migrations/{alembic.ini,env.py,script.py.mako,versions/…}, .env.production."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "app").mkdir()
    (root / "app" / "__init__.py").write_text(APP_PY)
    (root / "migrations" / "alembic.ini").write_text(INI)
    (root / "migrations" / "env.py").write_text(ENV_PY)
    (root / "migrations" / "script.py.mako").write_text("")
    (root / "migrations" / "README").write_text("Single-database configuration for Flask.\n")
    for rid, (down, message, up, downgrade) in REVISIONS.items():
        write_revision(versions, rid, down, message, up, downgrade)
    if imports_app:
        down, message, up, downgrade, imports = IMPORTS_APP
        write_revision(versions, "e1f7b9a3c5d0", down, message, up, downgrade, imports)
    (root / ".flaskenv").write_text("FLASK_APP=app:create_app\n")
    (root / ".env.example").write_text("DATABASE_URL=\n")
    (root / ".env.production").write_text(f"DATABASE_URL={url}\n")
    return root
