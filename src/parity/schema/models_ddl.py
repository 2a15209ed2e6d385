"""Child process: import SQLAlchemy models and print the DDL ``create_all`` would run.

Run as ``python -c <this file's text> ROOT SOURCE DIALECT``; prints one JSON line,
``{"ddl": [statement, …]}`` or ``{"error": "…"}``. It runs the repository's code, so the parent
starts it with none of its own environment, and it connects to nothing: the DDL is rendered
against SQLAlchemy's mock engine, then screened and loaded by the parent like a schema file.

The file imports nothing of parity (only the standard library and SQLAlchemy): it may run under
the application's own interpreter, whose virtualenv has what the models import, and not parity.

``SOURCE`` is ``[pre1,pre2,…,]module:attr[@folder]``: the ``pre`` modules are imported first (an
Alembic ``env.py``'s ``import app.models.all  # noqa`` that registers the tables on the base),
then ``attr`` of ``module``, a declarative base or a ``MetaData``; ``folder`` (below ROOT) goes
first on ``sys.path`` instead of ROOT, as where the app's own Alembic runs from.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any


class SourceError(Exception):
    pass


def split_source(source: str) -> tuple[list[str], str, str, str]:
    """``a,b,mod:attr@dir`` → (["a", "b"], "mod", "attr", "dir")."""
    folder = ""
    if "@" in source:
        source, folder = source.rsplit("@", 1)
    head, attr = source.rsplit(":", 1)
    *preload, module = head.split(",")
    return [p for p in preload if p], module, attr, folder


def import_metadata(source: str, root: Path) -> Any:
    """The ``MetaData`` behind the source, imported with the root (or its folder) on ``sys.path``."""
    preload, module_name, attr_path, folder = split_source(source)
    base = (root / folder).resolve() if folder else root
    if folder and not str(base).startswith(str(root.resolve()) + os.sep) and base != root.resolve():
        raise SourceError(f"{folder!r} is outside the repository")
    sys.path.insert(0, str(base))
    for name in [*preload, module_name]:
        try:
            module = importlib.import_module(name)
        except Exception as exc:
            raise SourceError(f"cannot import '{name}': {type(exc).__name__}: {exc}") from exc
    obj: Any = module
    for part in attr_path.split("."):
        if not hasattr(obj, part):
            raise SourceError(f"'{module_name}' has no attribute '{attr_path}'")
        obj = getattr(obj, part)
    from sqlalchemy import MetaData

    metadata = obj if isinstance(obj, MetaData) else getattr(obj, "metadata", None)
    if not isinstance(metadata, MetaData):
        raise SourceError("not a SQLAlchemy MetaData or declarative base")
    return metadata


def render(source: str, root: Path, dialect_name: str) -> list[str]:
    from sqlalchemy import create_mock_engine

    metadata = import_metadata(source, root)
    statements: list[str] = []

    def collect(sql: Any, *_args: Any, **_kwargs: Any) -> None:
        statements.append(str(sql.compile(dialect=engine.dialect)).strip())

    engine = create_mock_engine(f"{dialect_name}://", collect)
    metadata.create_all(engine, checkfirst=False)
    return [s for s in statements if s]


def main(argv: list[str]) -> int:
    root, source, dialect_name = Path(argv[0]), argv[1], argv[2]
    try:
        answer: dict[str, Any] = {"ddl": render(source, root, dialect_name)}
    except SourceError as exc:
        answer = {"error": str(exc)}
    except Exception as exc:
        answer = {
            "error": f"create_all failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        }
    sys.stdout.write("\n" + json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
