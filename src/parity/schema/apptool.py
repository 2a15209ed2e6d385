"""The application's own migration tool: which one, its revisions, and how far production is.

Most applications migrate with their own tool; a database behind is usually *its* pending
revisions. Alembic (plain, or through Flask-Migrate) is read here: the revision graph from the
``versions/`` files, **parsed, never imported** (a repository is untrusted input, and its
``env.py`` would connect wherever it likes), and the database's ``alembic_version`` read in a
read-only session. Other tools' history tables are known by name so they are never reported as
tables only production has.
"""

from __future__ import annotations

import ast
import configparser
from dataclasses import dataclass
from pathlib import Path

# History tables of migration tools: part of the tool, not the application's schema.
TOOL_TABLES = frozenset(
    {
        "alembic_version",
        "django_migrations",
        "schema_migrations",  # Rails, golang-migrate, dbmate
        "ar_internal_metadata",  # Rails
        "_prisma_migrations",
        "flyway_schema_history",
        "databasechangelog",  # Liquibase
        "databasechangeloglock",
        "goose_db_version",
        "knex_migrations",
        "knex_migrations_lock",
        "sequelizemeta",
        "typeorm_migrations",
        "parity_schema_history",
    }
)


def is_tool_table(name: str) -> bool:
    return name.lower() in TOOL_TABLES


@dataclass(frozen=True, slots=True)
class Revision:
    id: str
    down: tuple[str, ...]
    message: str
    file: Path


@dataclass(frozen=True, slots=True)
class AlembicProject:
    """An Alembic script folder: ``versions_dir`` holds the revisions; ``flask`` for Flask-Migrate."""

    script_dir: Path
    versions_dir: Path
    revisions: dict[str, Revision]
    flask: bool = False
    ini: Path | None = None  # the alembic.ini naming this folder (None: found by its env.py)

    @property
    def heads(self) -> list[str]:
        below = {d for r in self.revisions.values() for d in r.down}
        return sorted(r for r in self.revisions if r not in below)

    @property
    def upgrade_command(self) -> str:
        return "flask db upgrade" if self.flask else "alembic upgrade head"

    def ancestors(self, rev: str) -> set[str]:
        """``rev`` and every revision it builds on."""
        out: set[str] = set()
        stack = [rev]
        while stack:
            r = stack.pop()
            if r in out or r not in self.revisions:
                continue
            out.add(r)
            stack.extend(self.revisions[r].down)
        return out

    def pending(self, applied: set[str]) -> list[Revision]:
        """The revisions between ``applied`` and the heads, oldest first."""
        done: set[str] = set()
        for a in applied:
            done |= self.ancestors(a)
        todo: set[str] = set()
        for h in self.heads:
            todo |= self.ancestors(h)
        todo -= done
        ordered: list[Revision] = []
        seen: set[str] = set(done)
        while todo:
            ready = sorted(
                r for r in todo if all(d in seen or d not in self.revisions for d in self.revisions[r].down)
            )
            if not ready:  # a cycle in a broken history: list the rest as found
                ready = sorted(todo)
            for r in ready:
                ordered.append(self.revisions[r])
                seen.add(r)
                todo.discard(r)
        return ordered


def _strings(node: ast.AST | None) -> tuple[str, ...]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, ast.Tuple | ast.List):
        return tuple(e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return ()


def read_revision(path: Path) -> Revision | None:
    """The revision a file declares (``revision = "…"``, ``down_revision = …``), or None."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
        return None
    values: dict[str, ast.AST] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            values[stmt.targets[0].id] = stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            values[stmt.target.id] = stmt.value
    rev = _strings(values.get("revision"))
    if len(rev) != 1:
        return None
    doc = ast.get_docstring(tree) or ""
    message = next((line.strip() for line in doc.splitlines() if line.strip()), "")
    return Revision(rev[0], _strings(values.get("down_revision")), message, path)


def _script_location(ini: Path) -> Path | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(ini, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    loc = parser.get("alembic", "script_location", fallback=None)
    if not loc:
        return None
    loc = loc.replace("%(here)s", str(ini.parent))
    if ":" in loc and not Path(loc).is_absolute():
        return None  # ``package:folder``: inside an installed package, not this checkout
    return (ini.parent / loc).resolve()


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (OSError, ValueError):
        return False
    return True


def _head(path: Path, size: int = 65536) -> str:
    try:
        if path.is_symlink() or not path.is_file():
            return ""
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            return fh.read(size)
    except OSError:
        return ""


def _is_flask_env(text: str) -> bool:
    """An env.py that takes its engine from the running Flask app (Flask-Migrate's templates,
    and apps that copied them): it cannot run without the app."""
    return "flask_migrate" in text or "current_app" in text or "from flask import" in text


def find_alembic(root: Path, max_depth: int = 3) -> AlembicProject | None:
    """The project's Alembic script folder: from ``alembic.ini``'s ``script_location``, else a
    folder holding ``env.py`` and ``versions/`` (Flask-Migrate's ``migrations/``), up to
    ``max_depth`` below ``root``. Never outside ``root``."""
    candidates: list[tuple[Path, bool, Path | None]] = []
    for ini in (
        sorted(root.glob("alembic.ini"))
        + sorted(root.glob("*/alembic.ini"))
        + sorted(root.glob("*/*/alembic.ini"))
    ):
        if ini.is_file() and not ini.is_symlink():
            loc = _script_location(ini)
            if loc is not None:
                candidates.append((loc, _is_flask_env(_head(loc / "env.py")), ini))
    for depth in range(max_depth):
        pattern = "/".join(["*"] * depth + ["env.py"])
        for env in sorted(root.glob(pattern)):
            if env.parent.name.startswith(".") or "node_modules" in env.parts:
                continue
            text = ""
            try:
                text = env.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if "alembic" in text and (env.parent / "versions").is_dir():
                # Flask-Migrate's ``flask db init`` writes an alembic.ini (logging only, no
                # script_location) beside env.py: the folder is found by env.py, the ini kept.
                ini = env.parent / "alembic.ini"
                own_ini = ini if ini.is_file() and not ini.is_symlink() else None
                candidates.append((env.parent, _is_flask_env(text), own_ini))
    for script_dir, flask, ini_file in candidates:
        versions = script_dir / "versions"
        if not versions.is_dir() or not _inside(root, versions):
            continue
        revisions: dict[str, Revision] = {}
        for f in sorted(versions.rglob("*.py")):
            if f.is_symlink() or not _inside(root, f):
                continue
            r = read_revision(f)
            if r is not None:
                revisions.setdefault(r.id, r)
        if revisions:
            return AlembicProject(script_dir, versions, revisions, flask, ini_file)
    return None
