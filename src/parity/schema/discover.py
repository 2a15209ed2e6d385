"""Where the declared schema and the production database are, found from the project.

Order: explicit option (``--schema`` / ``--db``) → ``parity.toml`` ``[schema]`` → discovery.
The schema file is ``schema.sql``, ``db/schema.sql`` or ``*/schema.sql``, else the SQLAlchemy
models an Alembic ``env.py`` names as ``target_metadata``; the database URL
is the ``DATABASE_URL`` (key configurable) of the target environment's effective env, a
relative SQLite path resolving against the folder of the service whose env file gave it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity.errors import DiscoveryError
from parity.facts import env_files as _env_files
from parity.project import Project

SCHEMA_CANDIDATES = ("schema.sql", "db/schema.sql")
#: Set to 1 to let discovery import the models an Alembic env.py names (runs repository code).
IMPORT_MODELS_ENV = "PARITY_IMPORT_MODELS"


def find_schema_source(project: Project, explicit: str | None = None) -> str:
    """The desired-schema source as given, or discovered (a path relative to the root)."""
    if explicit:
        return explicit
    if project.config.schema_.source:
        return project.config.schema_.source
    for name in SCHEMA_CANDIDATES:
        if (project.root / name).is_file():
            return name
    found = sorted(p for p in project.root.glob("*/schema.sql") if p.is_file())
    if not found:
        found = sorted(p for p in project.root.glob("*/*/schema.sql") if p.is_file())
    if found:
        return found[0].relative_to(project.root).as_posix()
    # An Alembic project declares its schema as the models env.py hands autogenerate. Loading
    # them imports the repository's code (in a child process with none of parity's environment),
    # and a repository is untrusted: found by reading env.py, they are imported only when asked.
    from parity.schema.alembic_models import models_source

    models = models_source(project.root)
    if models is not None:
        if os.environ.get(IMPORT_MODELS_ENV, "").strip().lower() in ("1", "true", "yes"):
            return models
        raise DiscoveryError(
            f"an Alembic env.py names its models ({models}); importing them runs the repository's code, "
            "which parity does only when asked",
            file=project.root,
            hint=f"compare against them with --schema '{models}' or {IMPORT_MODELS_ENV}=1 "
            "(imported in a child process without parity's environment)",
        )
    raise DiscoveryError(
        "no declared schema found (looked for schema.sql, db/schema.sql, */schema.sql, an Alembic env.py's target_metadata)",
        file=project.root,
        hint="pass --schema FILE|FOLDER|module:Base or set [schema] source in parity.toml",
    )


def is_discovered_models(project: Project, source: str) -> bool:
    """Whether ``source`` is models parity found in an Alembic ``env.py`` rather than a source the
    user or the config named: a failure to import them is then no verdict on the schema."""
    from parity.schema.sources import is_import_path

    return not project.config.schema_.source and is_import_path(source)


@dataclass(frozen=True, slots=True)
class DatabaseLocation:
    """A database URL and where it came from (for messages; the URL may hold a password)."""

    url: str
    service: str | None = None
    file: Path | None = None
    line: int | None = None


def resolve_sqlite_url(url: str, base: Path) -> str:
    """``sqlite:///../db/x.db`` relative to ``base`` → ``sqlite:////abs/db/x.db``."""
    if not url.lower().startswith("sqlite"):
        return url
    rest = url.split("://", 1)[1] if "://" in url else ""
    if (
        not rest.startswith("/")
        or rest.startswith("//")
        or rest[1:].startswith("file:")
        or rest[1:] == ":memory:"
    ):
        return url
    return "sqlite:///" + str((base / rest[1:]).resolve())


def find_database_url(project: Project, environment: str, explicit: str | None = None) -> DatabaseLocation:
    """The production (target) database: ``--db``, else the effective env's ``DATABASE_URL``."""
    if explicit:
        return DatabaseLocation(resolve_sqlite_url(explicit, Path.cwd()))
    from parity.env.layers import all_effective

    key = project.config.schema_.database_url_key
    wanted = project.config.schema_.service
    effective = all_effective(project, environment, _env_files(project))
    for service in project.services:
        if wanted and service.name != wanted:
            continue
        value = effective[service.name].values.get(key)
        if value is None or not value.value:
            continue
        # A service runs from its own folder, so a relative path means that folder, whichever
        # layer (root .env, compose, a k8s ConfigMap) supplied the value.
        url = resolve_sqlite_url(value.value, service.path)
        return DatabaseLocation(url, service.name, value.file, value.line)
    if key == "DATABASE_URL":
        found = _from_django_settings(
            project, {s.name: effective[s.name] for s in project.services if not wanted or s.name == wanted}
        )
        if found is not None:
            return found
    raise DiscoveryError(
        f"no {key} in the effective env of any service for '{environment}'",
        file=project.root,
        hint="pass --db URL or set [schema] database_url_key / service in parity.toml",
    )


def _from_django_settings(project: Project, effective: dict[str, Any]) -> DatabaseLocation | None:
    """A Django project whose settings build ``DATABASES`` from env keys of their own (``DB``,
    ``DB_NAME``…): the database they select with a service's effective env, the first service for
    which they select one (:mod:`parity.schema.django_settings`; the file is read, never run)."""
    from parity.schema.django_settings import settings_database, settings_module
    from parity.schema.listed_tools import find_listed_tool, find_manage_py

    tool = find_listed_tool(project.root)
    if tool is None or tool.tool != "Django":
        return None
    manage = find_manage_py(project.root, tool.folder)
    module = settings_module(manage) if manage is not None else ""
    if manage is None or not module:
        return None
    path = manage.parent.joinpath(*module.split(".")).with_suffix(".py")
    if not path.is_file() or path.is_symlink() or not path.resolve().is_relative_to(project.root.resolve()):
        return None
    source = path.read_text(encoding="utf-8", errors="replace")
    for name, env in effective.items():
        values = {k: v.value for k, v in env.values.items() if v.value is not None}
        db = settings_database(source, values)
        if db is not None:
            service = next(s for s in project.services if s.name == name)
            return DatabaseLocation(resolve_sqlite_url(db.url, service.path), name, path, db.line)
    return None
