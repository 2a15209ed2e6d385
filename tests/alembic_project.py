"""A small Alembic project in the standard template's style, written into a tmp folder: three
revisions, ``env.py`` reading ``sqlalchemy.url`` from the config as ``alembic init`` writes it."""

from __future__ import annotations

from pathlib import Path

ENV_PY = """\
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)
target_metadata = None


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
"""

INI = """\
[alembic]
script_location = %(here)s/alembic
sqlalchemy.url = sqlite:///not-this-one.db

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = generic

[formatter_generic]
format = %(levelname)s %(message)s
"""

REVISIONS = {
    "r1": (
        None,
        "create users",
        'op.create_table("users", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(50)))',
        'op.drop_table("users")',
    ),
    "r2": (
        "r1",
        "add email to users",
        'op.add_column("users", sa.Column("email", sa.String(100), nullable=True))',
        'with op.batch_alter_table("users") as b:\n        b.drop_column("email")',
    ),
    "r3": (
        "r2",
        "create orders",
        'op.create_table("orders", sa.Column("id", sa.Integer, primary_key=True), '
        'sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id")))',
        'op.drop_table("orders")',
    ),
}
#: A third revision that fails on rows production has: a UNIQUE index over duplicate names.
FAILING_R3 = (
    "r2",
    "unique user names",
    'op.create_table("audit", sa.Column("id", sa.Integer, primary_key=True))\n'
    '    op.create_index("ux_users_name", "users", ["name"], unique=True)',
    'op.drop_index("ux_users_name", "users")\n    op.drop_table("audit")',
)


def write_revision(folder: Path, rid: str, down: str | None, message: str, up: str, downgrade: str) -> None:
    (folder / f"{rid}_{message.replace(' ', '_')}.py").write_text(
        f'"""{message}\n\nRevision ID: {rid}\n"""\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f"revision = {rid!r}\ndown_revision = {down!r}\n\n\n"
        f"def upgrade():\n    {up}\n\n\ndef downgrade():\n    {downgrade}\n"
    )


def write_project(root: Path, url: str, *, failing: bool = False) -> Path:
    """The project (alembic.ini, alembic/env.py, alembic/versions/r1..r3, .env.production)."""
    versions = root / "alembic" / "versions"
    versions.mkdir(parents=True)
    (root / "alembic.ini").write_text(INI)
    (root / "alembic" / "env.py").write_text(ENV_PY)
    (root / "alembic" / "script.py.mako").write_text("")
    revisions = dict(REVISIONS)
    if failing:
        revisions["r3"] = FAILING_R3
    for rid, (down, message, up, downgrade) in revisions.items():
        write_revision(versions, rid, down, message, up, downgrade)
    (root / ".env.example").write_text("DATABASE_URL=\n")
    (root / ".env.production").write_text(f"DATABASE_URL={url}\n")
    return root
