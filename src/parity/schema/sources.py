"""The desired schema, from what main declares, loaded on a scratch database of the same dialect.

Three kinds of source, all turned into a :class:`Schema` by the same inspector that reads
production, so both sides are normalised by the database itself:

- a ``.sql`` file, or a folder of them (applied in name order);
- SQLAlchemy models by import path, ``package.module:Base`` or ``package.module:metadata``
  (``create_all`` on the scratch database);
- a migrations folder replayed in order (:func:`replay_migrations`, for the migrations code).
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parity.errors import SchemaSourceError
from parity.model.schema import Schema

if TYPE_CHECKING:
    from parity.dialects.base import Dialect

_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def is_import_path(source: str) -> bool:
    """``app.models:Base`` (and not an existing file such as ``C:schema.sql``)."""
    return bool(_IMPORT_PATH.match(source))


def sql_files(folder: Path) -> list[Path]:
    """The ``.sql`` files of ``folder`` in apply order (name order; ``*.down.sql`` left out)."""
    files = sorted(p for p in folder.rglob("*.sql") if p.is_file() and not p.name.endswith(".down.sql"))
    if not files:
        raise SchemaSourceError("the folder holds no .sql file", file=folder)
    return files


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SchemaSourceError("not a UTF-8 text file", file=path) from exc
    except OSError as exc:
        raise SchemaSourceError(f"cannot read: {exc.strerror}", file=path) from exc


def load_sql(paths: Sequence[Path], dialect: Dialect, dev_url: str | None = None) -> Schema:
    """Apply the SQL files in order to a fresh scratch database and inspect it."""
    texts = [(p, _read(p)) for p in paths]
    with dialect.scratch(dev_url) as url:
        for path, text in texts:
            dialect.execute_script(url, text, file=path)
        return dialect.inspect_scratch(url)


def replay_migrations(files: Sequence[Path], dialect: Dialect, dev_url: str | None = None) -> Schema:
    """The schema a migrations folder produces: each file applied in the given order on scratch.

    Errors name the failing file and line (:class:`SchemaSourceError`).
    """
    return load_sql(list(files), dialect, dev_url)


def import_metadata(source: str, root: Path) -> Any:
    """The ``MetaData`` behind ``module:attr`` (a declarative base or a MetaData), imported with
    ``root`` on ``sys.path``. Any failure is a :class:`SchemaSourceError` naming the path."""
    module_name, attr_path = source.split(":", 1)
    added = str(root) not in sys.path
    if added:
        sys.path.insert(0, str(root))
    try:
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise SchemaSourceError(
                f"cannot import '{module_name}': {type(exc).__name__}: {exc}", file=source
            ) from exc
        obj: Any = module
        for part in attr_path.split("."):
            if not hasattr(obj, part):
                raise SchemaSourceError(f"'{module_name}' has no attribute '{attr_path}'", file=source)
            obj = getattr(obj, part)
    finally:
        if added:
            sys.path.remove(str(root))
    from sqlalchemy import MetaData

    metadata = obj if isinstance(obj, MetaData) else getattr(obj, "metadata", None)
    if not isinstance(metadata, MetaData):
        raise SchemaSourceError("not a SQLAlchemy MetaData or declarative base", file=source)
    return metadata


def load_sqlalchemy(source: str, dialect: Dialect, root: Path, dev_url: str | None = None) -> Schema:
    """``create_all`` of the models at ``source`` on a scratch database, then inspected."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    metadata = import_metadata(source, root)
    with dialect.scratch(dev_url) as url:
        engine = create_engine(dialect.sqlalchemy_url(url), poolclass=NullPool)
        try:
            metadata.create_all(engine)
        except SQLAlchemyError as exc:
            raise SchemaSourceError(f"create_all failed: {str(exc).splitlines()[0]}", file=source) from exc
        finally:
            engine.dispose()
        return dialect.inspect_scratch(url)


def load_desired(source: str | Path, dialect: Dialect, root: Path, dev_url: str | None = None) -> Schema:
    """The desired schema from ``source``: a .sql file, a folder of them, or ``module:Base``.

    A relative file path resolves against ``root`` (the project folder).
    """
    text = str(source)
    path = Path(text)
    if not path.is_absolute():
        path = root / path
    if path.is_file():
        return load_sql([path], dialect, dev_url)
    if path.is_dir():
        return load_sql(sql_files(path), dialect, dev_url)
    if is_import_path(text):
        return load_sqlalchemy(text, dialect, root, dev_url)
    raise SchemaSourceError(
        "no such schema file or folder, and not a module:attribute import path", file=text
    )
