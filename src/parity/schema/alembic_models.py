"""The SQLAlchemy models an Alembic project declares, found from its ``env.py`` (read, never run).

Alembic's autogenerate compares the database with ``target_metadata``; the same metadata is the
declared schema. ``env.py`` names it (``target_metadata = Base.metadata``, ``= SQLModel.metadata``,
``= metadata``) after importing it, and often imports the model modules for their side effect
alone (``import app.models.all  # noqa: F401``: each model class registers its table on the base
when its module is imported). Both become an import path for
:func:`parity.schema.sources.load_desired`: ``app.models.all,app.db.base:Base@backend``, the
modules imported first, then the base, from the folder Alembic runs in.
"""

from __future__ import annotations

import ast
from pathlib import Path

from parity.schema.apptool import AlembicProject, find_alembic


def _local(module: str, base: Path) -> bool:
    """Whether ``module`` is the repository's own (a file or package below ``base``)."""
    rel = Path(*module.split("."))
    return (base / rel.with_suffix(".py")).is_file() or (base / rel / "__init__.py").is_file()


def _run_folder(alembic: AlembicProject, root: Path) -> Path:
    """Where the app's Alembic imports from: ``alembic.ini``'s folder (``prepend_sys_path = .``),
    else the folder above the script folder (Flask-Migrate's ``migrations/``)."""
    return alembic.ini.parent if alembic.ini is not None else alembic.script_dir.parent


def models_source(root: Path) -> str | None:
    """The import path of the project's Alembic ``target_metadata``; None when there is none."""
    alembic = find_alembic(root)
    if alembic is None:
        return None
    env = alembic.script_dir / "env.py"
    try:
        if env.is_symlink() or not env.is_file():
            return None
        tree = ast.parse(env.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError, RecursionError):
        return None
    base = _run_folder(alembic, root)
    names: dict[str, str] = {}  # a name env.py binds → "module:attr" or "module" (import X as n)
    preload: list[str] = []
    target: ast.expr | None = None
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                elif _local(alias.name, base):
                    names[alias.name.split(".")[0]] = alias.name.split(".")[0]
                    preload.append(alias.name)  # imported for what importing it registers
        elif isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
            for alias in stmt.names:
                if alias.name == "*":
                    if _local(stmt.module, base):
                        preload.append(stmt.module)
                    continue
                names[alias.asname or alias.name] = f"{stmt.module}:{alias.name}"
                if _local(f"{stmt.module}.{alias.name}", base):
                    preload.append(f"{stmt.module}.{alias.name}")  # ``from app import models``
        elif isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "target_metadata" for t in stmt.targets
        ):
            target = stmt.value
    found = _resolve(target, names)
    if found is None:
        return None
    module = found.split(":", 1)[0]
    if not _local(module, base) and not preload:
        return None  # a metadata of an installed package with no model module of the app's
    first = [p for p in dict.fromkeys(preload) if p != module]
    try:
        folder = base.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None
    return ",".join([*first, found]) + ("" if folder == "." else f"@{folder}")


def _resolve(expr: ast.expr | None, names: dict[str, str]) -> str | None:
    """``Base.metadata`` / ``metadata`` / ``models.Base.metadata`` as ``module:attr``."""
    parts: list[str] = []
    node = expr
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in names:
        return None
    parts.reverse()
    if parts and parts[-1] == "metadata" and len(parts) >= 1:
        parts = parts[:-1]  # a base's .metadata: the base itself is the source
    bound = names[node.id]
    if ":" in bound:
        module, attr = bound.split(":", 1)
        return f"{module}:{'.'.join([attr, *parts])}"
    if not parts:
        return None  # ``target_metadata = module``: not a metadata
    return f"{bound}:{'.'.join(parts)}"
