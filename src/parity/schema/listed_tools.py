"""Migration tools whose history is a list of applied ids: Django, Rails, Prisma, Flyway,
golang-migrate, goose and dbmate.

Each is found by the shape of its migrations folder, read from file names (Django's and Rails'
files are never imported or run: a repository is untrusted input), and matched against the
ids its history table holds. Alembic, whose history is a graph, lives in :mod:`apptool`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from parity.schema.apptool import Revision

_SKIP_PARTS = {"node_modules", "site-packages", "vendor", ".git", ".venv", "venv", "dist", "build"}


@dataclass(frozen=True, slots=True)
class ListedTool:
    """A project's migrations for one tool. ``query`` reads the applied ids; ``applied_ids``
    turns its rows into the ids the files carry (golang-migrate keeps only the latest version)."""

    tool: str
    folder: Path
    migrations: tuple[Revision, ...]
    history_table: str
    query: str
    command: str
    applied_ids: Callable[[list[tuple[object, ...]], ListedTool], set[str]] = field(repr=False, compare=False)
    replaces: dict[str, tuple[str, ...]] = field(default_factory=dict)  # Django squashed migrations

    def pending(self, applied: set[str]) -> list[Revision]:
        """Migrations of the checkout the database has not run, in the tool's order."""
        done = {_norm(a) for a in applied}
        present = {m.id for m in self.migrations}
        out = []
        for m in self.migrations:
            if _norm(m.id) in done:
                continue
            # A squashed Django migration stands for the ones it replaces: applied when they all
            # are, and not listed beside them while they are still in the checkout.
            replaced = self.replaces.get(m.id)
            if replaced and (all(r in done for r in replaced) or all(r in present for r in replaced)):
                continue
            out.append(m)
        return out


def _norm(mid: str) -> str:
    """Numbered ids compare as numbers: goose stores 00002 as 2."""
    return str(int(mid)) if mid.isdigit() else mid


def _ids(rows: list[tuple[object, ...]], tool: ListedTool) -> set[str]:
    return {str(r[0]) for r in rows}


def _django_ids(rows: list[tuple[object, ...]], tool: ListedTool) -> set[str]:
    return {f"{r[0]}.{r[1]}" for r in rows}


def _upto_version(rows: list[tuple[object, ...]], tool: ListedTool) -> set[str]:
    """golang-migrate keeps one row: the version reached (and whether it broke half-way)."""
    reached = [int(str(r[0])) for r in rows if str(r[0]).isdigit() and not (len(r) > 1 and r[1])]
    if not reached:
        return set()
    top = max(reached)
    return {m.id for m in tool.migrations if m.id.isdigit() and int(m.id) <= top}


def _walk(root: Path, max_depth: int) -> Iterator[Path]:
    """Folders below ``root`` up to ``max_depth``, skipping vendored and hidden ones; no links."""
    stack = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        yield folder
        if depth >= max_depth:
            continue
        try:
            children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())
        except OSError:
            continue
        stack.extend(
            (c, depth + 1)
            for c in reversed(children)
            if c.name not in _SKIP_PARTS and not c.name.startswith(".")
        )


def _files(folder: Path, pattern: str) -> list[Path]:
    return sorted(p for p in folder.glob(pattern) if p.is_file() and not p.is_symlink())


def _django(folders: Iterable[Path]) -> ListedTool | None:
    migrations: list[Revision] = []
    replaces: dict[str, tuple[str, ...]] = {}
    first: Path | None = None
    for folder in folders:
        if folder.name != "migrations" or not (folder / "__init__.py").is_file():
            continue
        if "tests" in folder.parts or "test" in folder.parts:
            continue
        app = folder.parent.name
        for f in _files(folder, "[0-9][0-9][0-9][0-9]_*.py"):
            mid = f"{app}.{f.stem}"
            migrations.append(Revision(mid, (), f.stem[5:].replace("_", " "), f))
            squashed = _django_replaces(f)
            if squashed:
                replaces[mid] = squashed
            first = first or folder
    if not migrations or first is None:
        return None
    return ListedTool(
        "Django",
        first.parent.parent,
        tuple(migrations),
        "django_migrations",
        "SELECT app, name FROM django_migrations",
        "python manage.py migrate",
        _django_ids,
        replaces,
    )


def _django_replaces(path: Path) -> tuple[str, ...]:
    """``replaces = [("app", "0001_x"), …]`` of a squashed migration, read from its syntax tree."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    if "replaces" not in text:
        return ()
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return ()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "replaces" for t in node.targets
        ):
            out = []
            for elt in getattr(node.value, "elts", []):
                parts = [
                    e.value
                    for e in getattr(elt, "elts", [])
                    if isinstance(e, ast.Constant) and isinstance(e.value, str)
                ]
                if len(parts) == 2:
                    out.append(f"{parts[0]}.{parts[1]}")
            return tuple(out)
    return ()


_RAILS = re.compile(r"^(\d{14})_(\w+)\.rb$")
_FLYWAY = re.compile(r"^V(\d+(?:[._]\d+)*)__(.+)\.sql$")
_GOLANG = re.compile(r"^(\d+)_(.+)\.up\.sql$")
_NUMBERED_SQL = re.compile(r"^(\d+)_(.+)\.sql$")


def _by_pattern(
    folder: Path, pattern: re.Pattern[str], glob: str, normalise: Callable[[str], str] = str
) -> list[Revision]:
    out = []
    for f in _files(folder, glob):
        if pattern is _FLYWAY and f.name.endswith((".up.sql", ".down.sql")):
            continue  # parity's own V0001__name.up.sql files, not Flyway's
        m = pattern.match(f.name)
        if m:
            out.append(Revision(normalise(m.group(1)), (), m.group(2).replace("_", " "), f))
    return sorted(out, key=lambda r: [int(p) if p.isdigit() else p for p in re.split(r"[._]", r.id)])


def _head(path: Path, size: int = 2048) -> str:
    try:
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            return fh.read(size)
    except OSError:
        return ""


def find_listed_tool(root: Path, max_depth: int = 4) -> ListedTool | None:
    """The first migration tool of the project found by the shape of its folders, or None."""
    folders = list(_walk(root, max_depth))
    django = _django(folders)
    if django is not None:
        return django
    for folder in folders:
        if folder.name == "migrate" and folder.parent.name == "db":
            revs = _by_pattern(folder, _RAILS, "*.rb")
            if revs:
                return ListedTool(
                    "Rails",
                    folder,
                    tuple(revs),
                    "schema_migrations",
                    "SELECT version FROM schema_migrations",
                    "bin/rails db:migrate",
                    _ids,
                )
        if folder.name == "migrations" and folder.parent.name == "prisma":
            revs = [
                Revision(d.name, (), re.sub(r"^\d+_", "", d.name).replace("_", " "), d / "migration.sql")
                for d in sorted(p for p in folder.iterdir() if p.is_dir() and (p / "migration.sql").is_file())
            ]
            if revs:
                return ListedTool(
                    "Prisma",
                    folder,
                    tuple(revs),
                    "_prisma_migrations",
                    "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL "
                    "AND rolled_back_at IS NULL",
                    "npx prisma migrate deploy",
                    _ids,
                )
        flyway = _by_pattern(folder, _FLYWAY, "V*__*.sql", lambda v: v.replace("_", "."))
        if flyway:
            return ListedTool(
                "Flyway",
                folder,
                tuple(flyway),
                "flyway_schema_history",
                "SELECT version FROM flyway_schema_history WHERE success",
                "flyway migrate",
                _ids,
            )
        golang = _by_pattern(folder, _GOLANG, "*.up.sql")
        if golang and _files(folder, "*.down.sql"):
            return ListedTool(
                "golang-migrate",
                folder,
                tuple(golang),
                "schema_migrations",
                "SELECT version, dirty FROM schema_migrations",
                f"migrate -path {folder.name} -database $DATABASE_URL up",
                _upto_version,
            )
        numbered = _by_pattern(folder, _NUMBERED_SQL, "[0-9]*_*.sql")
        if numbered:
            head = _head(numbered[0].file)
            if "+goose Up" in head:
                return ListedTool(
                    "goose",
                    folder,
                    tuple(numbered),
                    "goose_db_version",
                    "SELECT version_id FROM goose_db_version WHERE is_applied",
                    "goose up",
                    _ids,
                )
            if "migrate:up" in head:
                return ListedTool(
                    "dbmate",
                    folder,
                    tuple(numbered),
                    "schema_migrations",
                    "SELECT version FROM schema_migrations",
                    "dbmate up",
                    _ids,
                )
    return None
