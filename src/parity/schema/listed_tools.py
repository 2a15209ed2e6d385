"""Migration tools whose history is a list of applied ids: Django, Rails, Prisma, Flyway,
Liquibase, golang-migrate, goose, dbmate, Knex, Sequelize and TypeORM.

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
class ToolScript:
    """The SQL a migration runs, when the checkout holds it as SQL (Liquibase's formatted-SQL and
    ``sql`` changesets), for parity's lint. ``lines``: the text keeps the file's line numbers."""

    sql: str
    transactional: bool
    lines: bool


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
    scripts: dict[str, ToolScript] = field(default_factory=dict, repr=False, compare=False)
    problems: tuple[str, ...] = ()  # what could not be read (a broken include, a refused file)
    notes: tuple[str, ...] = ()  # how the list was made (Liquibase: contexts production runs with)
    dbms: dict[str, str] = field(default_factory=dict, repr=False, compare=False)  # Liquibase: id → dbms

    def for_dialect(self, dialect: str) -> ListedTool:
        """The migrations that run on ``dialect`` (Liquibase's ``dbms="postgresql"`` changesets
        never run on SQLite: not pending there)."""
        if not self.dbms:
            return self
        from dataclasses import replace

        from parity.schema.liquibase import runs_on

        kept = tuple(m for m in self.migrations if runs_on(self.dbms.get(m.id, ""), dialect))
        return replace(self, migrations=kept) if len(kept) != len(self.migrations) else self

    new_folder: Path | None = None  # where the tool takes new migration files from (includeAll)

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


def _app_label(app_folder: Path) -> str:
    """The Django app label of the app in ``app_folder``: an ``AppConfig``'s ``label = "…"`` in
    its apps.py (read from the syntax tree), else the folder's name (Django's default: the last
    part of the app's module path)."""
    tree = _tree(app_folder / "apps.py")
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if (
                        isinstance(stmt, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == "label" for t in stmt.targets)
                        and isinstance(stmt.value, ast.Constant)
                        and isinstance(stmt.value.value, str)
                    ):
                        return stmt.value.value
    return app_folder.name


def _tree(path: Path) -> ast.Module | None:
    try:
        if path.is_symlink() or not path.is_file():
            return None
        return ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError, RecursionError):
        return None


def _pairs(node: ast.AST | None) -> tuple[str, ...]:
    """``[("app", "0001_x"), …]`` as ``app.0001_x`` ids; entries that are not two string literals
    (``swappable_dependency(settings.AUTH_USER_MODEL)``) are left out."""
    out = []
    for elt in getattr(node, "elts", []) or []:
        parts = [
            e.value
            for e in getattr(elt, "elts", [])
            if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
        if len(parts) == 2 and len(getattr(elt, "elts", [])) == 2:
            out.append(f"{parts[0]}.{parts[1]}")
    return tuple(out)


@dataclass(frozen=True, slots=True)
class DjangoMigration:
    """What a Django migration file declares: ``dependencies``, ``replaces`` and ``run_before``
    of its ``Migration`` class, read from the syntax tree (never imported)."""

    dependencies: tuple[str, ...] = ()
    replaces: tuple[str, ...] = ()
    run_before: tuple[str, ...] = ()


def read_django_migration(path: Path) -> DjangoMigration:
    tree = _tree(path)
    if tree is None:
        return DjangoMigration()
    values: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Migration":
            for stmt in node.body:
                if isinstance(stmt, ast.Assign):
                    for t in stmt.targets:
                        if isinstance(t, ast.Name):
                            values[t.id] = stmt.value
    return DjangoMigration(
        _pairs(values.get("dependencies")), _pairs(values.get("replaces")), _pairs(values.get("run_before"))
    )


def _django_order(migrations: list[Revision], run_before: dict[str, tuple[str, ...]]) -> list[Revision]:
    """Migrations in an order Django could run them: each after its dependencies (those of the
    checkout), ties by app then number, as ``showmigrations --plan`` lists them."""
    by_id = {m.id: m for m in migrations}
    after: dict[str, set[str]] = {m.id: {d for d in m.down if d in by_id} for m in migrations}
    for mid, later in run_before.items():
        for other in later:
            if other in after:
                after[other].add(mid)
    out: list[Revision] = []
    done: set[str] = set()
    todo = sorted(by_id)
    while todo:
        ready = [m for m in todo if after[m] <= done] or todo[:1]  # a cycle: keep going in file order
        first = ready[0]
        out.append(by_id[first])
        done.add(first)
        todo.remove(first)
    return out


def find_manage_py(root: Path, folder: Path) -> Path | None:
    """The project's ``manage.py``: in the repository root, beside the apps' package, or one
    folder below the root (``src/manage.py``, ``backend/manage.py``)."""
    for candidate in (root / "manage.py", folder / "manage.py", *sorted(root.glob("*/manage.py"))):
        if candidate.is_file() and not candidate.is_symlink():
            return candidate
    return None


def _django(folders: Iterable[Path]) -> ListedTool | None:
    migrations: list[Revision] = []
    replaces: dict[str, tuple[str, ...]] = {}
    run_before: dict[str, tuple[str, ...]] = {}
    first: Path | None = None
    for folder in folders:
        if folder.name != "migrations" or not (folder / "__init__.py").is_file():
            continue
        if "tests" in folder.parts or "test" in folder.parts:
            continue
        files = _files(folder, "[0-9][0-9][0-9][0-9]_*.py")
        if not files:
            continue
        app = _app_label(folder.parent)
        for f in files:
            mid = f"{app}.{f.stem}"
            declared = read_django_migration(f)
            migrations.append(Revision(mid, declared.dependencies, f.stem[5:].replace("_", " "), f))
            if declared.replaces:
                replaces[mid] = declared.replaces
            if declared.run_before:
                run_before[mid] = declared.run_before
        first = first or folder
    if not migrations or first is None:
        return None
    return ListedTool(
        "Django",
        first.parent.parent,
        tuple(_django_order(migrations, run_before)),
        "django_migrations",
        "SELECT app, name FROM django_migrations",
        "python manage.py migrate",
        _django_ids,
        replaces,
    )


_RAILS = re.compile(r"^(\d{14})_(\w+)\.rb$")
# Node tools keep the file (Knex, Sequelize) or the class (TypeORM) name in their history table.
_KNEX = re.compile(r"^(\d{14})_(.+)\.(?:js|cjs|mjs|ts)$")
_SEQUELIZE = re.compile(r"^(\d{14})-(.+)\.(?:js|cjs|ts)$")
_TYPEORM = re.compile(r"^(\d{13})-(.+)\.(?:ts|js)$")
_TYPEORM_CLASS = re.compile(r"\bclass\s+(\w+)\s+implements\s+MigrationInterface\b")
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


def _node_files(folder: Path, pattern: re.Pattern[str], marker: str) -> list[Revision]:
    """Migration files of a Node tool whose first lines show the tool's API (``knex``,
    ``queryInterface``, ``MigrationInterface``); the id is what its history table stores: the file
    name, or for TypeORM the class name. The files are read, never run."""
    out = []
    for f in sorted(folder.iterdir()) if folder.is_dir() else []:
        m = pattern.match(f.name)
        if not m or not f.is_file():
            continue
        head = _head(f, 4096)
        if marker not in head:
            continue
        mid = f.name
        if pattern is _TYPEORM:
            cls = _TYPEORM_CLASS.search(head)
            if cls is None:
                continue
            mid = cls.group(1)
        out.append(Revision(mid, (), m.group(2).replace("_", " ").replace("-", " "), f))
    return sorted(out, key=lambda r: r.file.name if r.file is not None else r.id)


def _head(path: Path, size: int = 2048) -> str:
    try:
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            return fh.read(size)
    except OSError:
        return ""


def find_listed_tool(root: Path, max_depth: int = 5) -> ListedTool | None:
    """The first migration tool of the project found by the shape of its folders, or None.
    Five levels: Spring Boot keeps Flyway's files in ``src/main/resources/db/migration``."""
    folders = list(_walk(root, max_depth))
    django = _django(folders)
    if django is not None:
        return django
    liquibase = _liquibase(root, folders)
    if liquibase is not None:
        return liquibase
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
        node = _node_tool(folder)
        if node is not None:
            return node
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


def _liquibase_ids(rows: list[tuple[object, ...]], tool: ListedTool) -> set[str]:
    """DATABASECHANGELOG rows (ID, AUTHOR, FILENAME) as the keys of the changesets they record."""
    from parity.schema.liquibase import ChangeSet, applied_keys, split_key

    changesets = []
    for m in tool.migrations:
        path, cs_id, author = split_key(m.id)
        changesets.append(ChangeSet(cs_id, author, path, m.file))
    return applied_keys(rows, changesets)


def _liquibase(root: Path, folders: list[Path]) -> ListedTool | None:
    """A Liquibase project: its changesets, in run order, by ``path::id::author``."""
    from parity.schema.liquibase import read_changelog, runs_in

    log = read_changelog(root, folders)
    if log is None:
        return None
    revisions: list[Revision] = []
    scripts: dict[str, ToolScript] = {}
    seen: set[str] = set()
    left_out: list[str] = []
    dbms: dict[str, str] = {}
    for cs in log.changesets:
        if cs.key in seen:
            continue  # Liquibase runs a changeset once, however many times it is included
        seen.add(cs.key)
        if log.contexts is not None and runs_in(cs.context, log.contexts) is False:
            left_out.append(cs.context)  # never runs in production (JHipster's faker, test data)
            continue
        revisions.append(Revision(cs.key, (), cs.comment, cs.file))
        if cs.dbms:
            dbms[cs.key] = cs.dbms
        if cs.sql is not None:
            scripts[cs.key] = ToolScript(cs.sql, cs.transactional, cs.line > 0)
    return ListedTool(
        "Liquibase",
        log.master.parent,
        tuple(revisions),
        "databasechangelog",
        "SELECT id, author, filename FROM {table}",
        "liquibase update",
        _liquibase_ids,
        scripts=scripts,
        problems=log.problems,
        notes=(
            (
                f"production runs Liquibase with contexts {', '.join(log.contexts) or '(none)'} ({log.contexts_from}): "
                f"{len(left_out)} changeset(s) of other contexts ({', '.join(sorted(set(left_out)))}) are not counted",
            )
            if log.contexts is not None and left_out
            else ()
        ),
        new_folder=log.include_all[-1] if log.include_all else None,
        dbms=dbms,
    )


#: (tool, file pattern, a word of its API in the file, history table, the command that runs them)
_NODE_TOOLS = (
    ("Knex", _KNEX, "knex", "knex_migrations", "npx knex migrate:latest"),
    ("Sequelize", _SEQUELIZE, "queryInterface", "sequelizemeta", "npx sequelize-cli db:migrate"),
    ("TypeORM", _TYPEORM, "MigrationInterface", "migrations", "npx typeorm migration:run -d <data source>"),
)


def _node_tool(folder: Path) -> ListedTool | None:
    """Knex, Sequelize or TypeORM migrations in ``folder``; their history tables keep a ``name``."""
    for tool, pattern, marker, table, command in _NODE_TOOLS:
        revs = _node_files(folder, pattern, marker)
        if revs:
            return ListedTool(tool, folder, tuple(revs), table, "SELECT name FROM {table}", command, _ids)
    return None
