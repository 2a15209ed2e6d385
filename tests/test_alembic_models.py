"""The declared schema of an Alembic project is the SQLAlchemy metadata its ``env.py`` hands
autogenerate, found without ``--schema``.

Shaped after mealie's pattern (not its code): a declarative base of its own whose columns every
model inherits (an id and timestamps), a mixin, a ``TypeDecorator`` GUID stored as CHAR(32), an
association table built with ``sa.Table(..., Base.metadata, ...)``, and model modules that only an
``_all`` module imports, which ``env.py`` imports for that side effect alone. The base's module by
itself declares no table: loading only it would find none of them.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.helpers import run_cli

from parity.schema.alembic_models import models_source

TYPES = """import uuid
from sqlalchemy import CHAR
from sqlalchemy.types import TypeDecorator


class GUID(TypeDecorator):
    impl = CHAR(32)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else uuid.UUID(str(value)).hex
"""
BASE = """from datetime import datetime
from sqlalchemy import DateTime, Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class KitchenBase(DeclarativeBase):
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)


class UpdateMixin:
    def update(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
"""
RECIPES = """import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ._base import KitchenBase, UpdateMixin
from ._types import GUID

recipes_to_tags = sa.Table(
    "recipes_to_tags",
    KitchenBase.metadata,
    sa.Column("recipe_id", GUID, sa.ForeignKey("recipes.id"), index=True),
    sa.Column("tag_id", GUID, sa.ForeignKey("tags.id"), index=True),
)


class Recipe(KitchenBase, UpdateMixin):
    __tablename__ = "recipes"
    id: Mapped[GUID] = mapped_column(GUID, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String, nullable=False)


class Tag(KitchenBase):
    __tablename__ = "tags"
    id: Mapped[GUID] = mapped_column(GUID, primary_key=True)
    slug: Mapped[str | None] = mapped_column(sa.String, index=True)
"""
USERS = """import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ._base import KitchenBase
from ._types import GUID


class User(KitchenBase):
    __tablename__ = "users"
    id: Mapped[GUID] = mapped_column(GUID, primary_key=True)
    email: Mapped[str] = mapped_column(sa.String, unique=True)
"""
ENV = """from alembic import context

import kitchen.db.models._all  # noqa: F401
from kitchen.db.models._base import KitchenBase

target_metadata = KitchenBase.metadata
open("env_py_ran.txt", "w").write("ran")  # never: env.py is read, not run
"""
REVISION = '"""init\n\nRevision ID: a1\n"""\nrevision = "a1"\ndown_revision = None\n'


def _project(app: Path) -> None:
    files = {
        "alembic.ini": "[alembic]\nscript_location = alembic\nprepend_sys_path = .\n",
        "alembic/env.py": ENV,
        "alembic/versions/a1_init.py": REVISION,
        "kitchen/__init__.py": "",
        "kitchen/db/__init__.py": "",
        "kitchen/db/models/__init__.py": "",
        "kitchen/db/models/_types.py": TYPES,
        "kitchen/db/models/_base.py": BASE,
        "kitchen/db/models/recipes.py": RECIPES,
        "kitchen/db/models/users.py": USERS,
        "kitchen/db/models/_all.py": "from .recipes import *  # noqa\nfrom .users import *  # noqa\n",
    }
    for rel, text in files.items():
        p = app / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def _diff(root: Path, db: Path) -> dict:  # type: ignore[type-arg]
    proc = run_cli(
        "schema",
        "diff",
        str(root),
        "--db",
        f"sqlite:///{db}",
        "--format",
        "json",
        env={"PARITY_IMPORT_MODELS": "1"},
    )
    assert proc.stdout, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_env_py_target_metadata_is_the_declared_schema(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _project(root)
    db = tmp_path / "prod.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE users (id CHAR(32) NOT NULL PRIMARY KEY, created_at DATETIME, email VARCHAR)")
    conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
    conn.execute("INSERT INTO alembic_version VALUES ('a1')")
    conn.commit()
    conn.close()

    assert models_source(root) == "kitchen.db.models._all,kitchen.db.models._base:KitchenBase"
    data = _diff(root, db)
    assert data["source"] == "kitchen.db.models._all,kitchen.db.models._base:KitchenBase"
    added = {c["object"] for c in data["changes"] if c["kind"] == "add_table"}
    assert added == {"recipes", "tags", "recipes_to_tags"}, data["changes"]
    # Every model has the base's columns, the GUID is CHAR(32), the inherited index is there.
    kinds = {(c["kind"], c["object"]) for c in data["changes"]}
    assert ("add_index", "ix_users_created_at") in kinds
    assert not [c for c in data["changes"] if c["kind"] == "production_only"]
    recipes_sql = next(c["sql"] for c in data["changes"] if c["object"] == "recipes")[0]
    assert "id CHAR(32) NOT NULL" in recipes_sql and "created_at DATETIME" in recipes_sql
    # env.py was read, not run; nothing was compiled into the repository.
    assert not list(root.rglob("env_py_ran.txt")) and not list(root.rglob("__pycache__"))


def test_an_app_in_a_subfolder_is_imported_from_where_its_alembic_runs(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _project(root / "backend")
    (root / "README.md").write_text("an app in backend/\n")
    db = tmp_path / "prod.db"
    sqlite3.connect(db).execute("CREATE TABLE keep (id INTEGER)").connection.close()
    assert models_source(root) == "kitchen.db.models._all,kitchen.db.models._base:KitchenBase@backend"
    data = _diff(root, db)
    added = {c["object"] for c in data["changes"] if c["kind"] == "add_table"}
    assert added == {"recipes", "tags", "recipes_to_tags", "users"}


def test_an_env_py_without_the_app_s_metadata_declares_nothing(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _project(root)
    (root / "alembic/env.py").write_text("from alembic import context\n\ntarget_metadata = None\n")
    assert models_source(root) is None
    proc = run_cli("schema", "diff", str(root), "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert proc.returncode == 2 and "no declared schema found" in proc.stderr


def test_a_revision_s_stub_of_a_model_is_not_taken_for_the_model(tmp_path: Path) -> None:
    from parity.store.models import find_models
    from parity.store.source import scan_project

    _project(tmp_path)
    # A data migration declares the model as it was at that revision (mealie's do).
    (tmp_path / "alembic/versions/a2_backfill.py").write_text(
        REVISION.replace('"a1"', '"a2"').replace("down_revision = None", 'down_revision = "a1"')
        + "import sqlalchemy as sa\nfrom sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n\n"
        "class Recipe(Base):\n    __tablename__ = 'recipes'\n    id = sa.Column(sa.Integer, primary_key=True)\n"
    )
    models = find_models(scan_project(tmp_path))
    recipes = [m for m in models if m.tablename == "recipes"]
    assert [m.file.as_posix().split("/")[-1] for m in recipes] == ["recipes.py"]
    # The real model has the base's columns too.
    assert {f.column for f in recipes[0].fields} == {"id", "created_at", "name"}


def test_an_import_folder_may_not_leave_the_repository() -> None:
    from parity.schema.sources import is_import_path

    assert is_import_path("app.models:Base@backend") and is_import_path("a.all,a.db:Base")
    assert not is_import_path("app.models:Base@../elsewhere")
    assert not is_import_path("app.models:Base@/etc")


def test_check_goes_on_when_the_discovered_models_do_not_import_here(tmp_path: Path) -> None:
    # The app's dependencies are not in parity's interpreter: check still reports the Alembic
    # history, says why the models were not compared, and exits with its verdict, not an error.
    root = tmp_path / "repo"
    _project(root)
    (root / "kitchen/db/models/_all.py").write_text("import kitchen_dependency_not_installed  # noqa\n")
    db = tmp_path / "prod.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
    conn.execute("INSERT INTO alembic_version VALUES ('a1')")
    conn.commit()
    conn.close()
    (root / ".env.example").write_text("DATABASE_URL=\n")
    (root / ".env.production").write_text(f"DATABASE_URL=sqlite:///{db}\n")
    proc = run_cli(
        "check",
        str(root),
        "--env",
        "production",
        "--format",
        "json",
        env={"PARITY_APP_PYTHON": "", "PARITY_IMPORT_MODELS": "1"},
    )
    assert proc.returncode in (0, 1), proc.stderr
    schema = next(s for s in json.loads(proc.stdout)["sections"] if s["id"] == "schema")
    note = " ".join(schema["notes"])
    assert "Alembic history only" in note and "kitchen_dependency_not_installed" in note, note
    assert "PARITY_APP_PYTHON" in note


def test_models_found_in_env_py_are_not_imported_unless_asked(tmp_path: Path) -> None:
    # Importing the models runs the repository's code: a repository is untrusted, so check and
    # schema diff only name them until the user asks (the models would write a marker file).
    root = tmp_path / "repo"
    _project(root)
    marker = tmp_path / "models_ran.txt"
    models = root / "kitchen/db/models/_all.py"
    models.write_text(f"open({str(marker)!r}, 'w').write('ran')\n" + models.read_text())
    db = tmp_path / "prod.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
    conn.execute("INSERT INTO alembic_version VALUES ('a1')")
    conn.commit()
    conn.close()
    proc = run_cli("schema", "diff", str(root), "--db", f"sqlite:///{db}", env={"PARITY_IMPORT_MODELS": ""})
    assert proc.returncode == 2 and "only when asked" in proc.stderr, proc.stderr
    assert "--schema 'kitchen.db.models._all,kitchen.db.models._base:KitchenBase'" in proc.stderr
    (root / ".env.example").write_text("DATABASE_URL=\n")
    (root / ".env.production").write_text(f"DATABASE_URL=sqlite:///{db}\n")
    proc = run_cli(
        "check", str(root), "--env", "production", "--format", "json", env={"PARITY_IMPORT_MODELS": ""}
    )
    assert proc.returncode in (0, 1), proc.stderr
    schema = next(s for s in json.loads(proc.stdout)["sections"] if s["id"] == "schema")
    assert "only when asked" in " ".join(schema["notes"]), schema["notes"]
    assert not marker.exists()
    # Asked, the same models load (and their code runs, in the child).
    proc = run_cli(
        "schema",
        "diff",
        str(root),
        "--db",
        f"sqlite:///{db}",
        "--format",
        "json",
        env={"PARITY_IMPORT_MODELS": "1"},
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert marker.read_text() == "ran"
