"""Liquibase: the project's changelogs, their changesets, and which of them production has run.

A Liquibase project is found by what names its master changelog: ``changeLogFile`` in a
``liquibase.properties``, Spring Boot's ``spring.liquibase.change-log``, else the conventional
``db/changelog/db.changelog-master.{xml,yaml,yml,json,sql}``. The master and every changelog it
``include``s (or ``includeAll``s) are parsed, never run: XML with entity declarations refused (a
repository is untrusted input), YAML with the safe loader, formatted SQL by its ``--changeset``
lines. Each changeset is known as Liquibase knows it, by id, author and the file path it records
(the path relative to the search path, or the ``logicalFilePath`` the changelog declares); the
database's ``DATABASECHANGELOG`` holds the same three for each changeset it ran.

The SQL a changeset carries (formatted SQL, ``sql`` changes, ``sqlFile``) is kept for parity's
lint; the other change types (``createTable``, ``addColumn`` …) are Liquibase's to render.
"""

from __future__ import annotations

import json
import posixpath
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: The extensions Liquibase reads as changelogs (``includeAll`` takes only these).
CHANGELOG_SUFFIXES = (".xml", ".yaml", ".yml", ".json", ".sql")
_MASTER_NAMES = tuple(f"db.changelog-master{s}" for s in CHANGELOG_SUFFIXES)
_MAX_FILES = 5000  # changelogs read for one project: a bound on a hostile include graph
_MAX_BYTES = 4 * 1024 * 1024

_FORMATTED = re.compile(r"^--\s*liquibase\s+formatted\s+sql\b(.*)$", re.IGNORECASE)
_CHANGESET = re.compile(r'^--\s*changeset\s+("[^"]+"|[^:\s]+):("[^"]+"|\S+)(.*)$', re.IGNORECASE)
_ROLLBACK = re.compile(r"^--\s*rollback\b", re.IGNORECASE)
_COMMENT = re.compile(r"^--\s*comment:?\s*(.*)$", re.IGNORECASE)
_ATTR = re.compile(r"(\w+):(\"[^\"]*\"|\S+)")
_PROPERTY = re.compile(
    r"^\s*(?:changeLogFile|changelog-file|liquibase\.command\.changelogFile)\s*[:=]\s*(\S+)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_SPRING_PROPERTY = re.compile(
    r"^\s*spring\.liquibase\.change-?log\s*[:=]\s*(\S+)\s*$", re.IGNORECASE | re.MULTILINE
)


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """One changeset. ``path`` is the file path Liquibase records for it; ``sql`` the SQL it
    runs when parity can read it (None: a change type Liquibase renders); ``line`` where it
    starts in a formatted-SQL file (0: no line numbers, the SQL came from XML/YAML/JSON)."""

    id: str
    author: str
    path: str
    file: Path
    sql: str | None = None
    line: int = 0
    transactional: bool = True
    comment: str = ""
    context: str = ""  # the changeset's context expression (``faker``, ``!test``): "" runs everywhere
    dbms: str = ""  # the databases it runs on (``postgresql``, ``!h2``): "" all

    @property
    def key(self) -> str:
        """Liquibase's own way of naming a changeset: ``path::id::author``."""
        return f"{self.path}::{self.id}::{self.author}"


@dataclass(frozen=True, slots=True)
class Changelog:
    """A project's master changelog, the search path its paths are relative to, the changesets
    in run order, and the folders the master ``includeAll``s (where the next changeset may go)."""

    master: Path
    search_root: Path
    changesets: tuple[ChangeSet, ...]
    include_all: tuple[Path, ...] = ()
    problems: tuple[str, ...] = ()
    contexts: tuple[str, ...] | None = None  # production's contexts, when the project names them
    contexts_from: str = ""  # the file that names them


def split_key(key: str) -> tuple[str, str, str]:
    """``path::id::author`` back into (path, id, author)."""
    parts = key.split("::")
    if len(parts) < 3:
        return key, "", ""
    return parts[0], "::".join(parts[1:-1]), parts[-1]


def _norm_path(p: str) -> str:
    """A path as Liquibase compares them: no ``classpath:`` prefix, no leading slash, posix."""
    p = p.strip().replace("\\", "/")
    if p.lower().startswith("classpath*:"):
        p = p[len("classpath*:") :]
    elif p.lower().startswith("classpath:"):
        p = p[len("classpath:") :]
    return posixpath.normpath(p.lstrip("/")) if p.strip("/") else ""


def same_file(recorded: str, ours: str) -> bool:
    """Whether the FILENAME a history row records is the changelog path parity read. Liquibase
    versions and launchers record it differently (``classpath:/db/…``, ``src/main/resources/db/…``,
    ``db/…``): equal once normalised, or one the other's tail at a folder boundary."""
    a, b = _norm_path(recorded), _norm_path(ours)
    if not a or not b:
        return False
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def applied_keys(rows: Iterable[tuple[object, ...]], changesets: Iterable[ChangeSet]) -> set[str]:
    """The keys of the changesets the DATABASECHANGELOG rows (ID, AUTHOR, FILENAME) record."""
    by_id: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        if len(r) >= 3:
            by_id.setdefault((str(r[0]), str(r[1])), []).append(str(r[2]))
    out = set()
    for cs in changesets:
        if any(same_file(f, cs.path) for f in by_id.get((cs.id, cs.author), ())):
            out.add(cs.key)
    return out


# --- finding the master changelog ----------------------------------------------------------------


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (OSError, ValueError):
        return False
    return True


def _read(path: Path, root: Path) -> str | None:
    """A file's text, when it is a regular file below ``root`` (no link out) of a sane size."""
    try:
        if path.is_symlink() or not path.is_file() or not _inside(root, path):
            return None
        if path.stat().st_size > _MAX_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _resolve_configured(value: str, bases: Iterable[Path], root: Path) -> tuple[Path, Path] | None:
    """A configured changelog path (``classpath:db/x.yaml``) as (file, search root)."""
    rel = _norm_path(value)
    if not rel or rel.startswith("../") or "${" in rel:
        return None
    for base in bases:
        candidate = base / rel
        if candidate.is_file() and not candidate.is_symlink() and _inside(root, candidate):
            return candidate, base
    return None


def _spring_yaml_value(text: str) -> str | None:
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return None
    for doc in docs:
        spring = doc.get("spring") if isinstance(doc, dict) else None
        lb = spring.get("liquibase") if isinstance(spring, dict) else None
        if isinstance(lb, dict):
            value = lb.get("change-log", lb.get("changeLog", lb.get("changelog")))
            if isinstance(value, str):
                return value
    return None


def find_master(root: Path, folders: Iterable[Path]) -> tuple[Path, Path] | None:
    """The master changelog and its search root: a ``liquibase.properties``' ``changeLogFile``,
    Spring Boot's ``spring.liquibase.change-log``, else ``db/changelog/db.changelog-master.*``."""
    folders = list(folders)
    for folder in folders:
        props = folder / "liquibase.properties"
        text = _read(props, root)
        m = _PROPERTY.search(text) if text else None
        if m:
            bases = [folder, folder / "src/main/resources", root, root / "src/main/resources"]
            found = _resolve_configured(m.group(1), bases, root)
            if found:
                return found
    for folder in folders:
        if folder.name != "resources":
            continue
        for name in ("application.properties", "application.yml", "application.yaml"):
            text = _read(folder / name, root)
            if not text:
                continue
            m = _SPRING_PROPERTY.search(text) if name.endswith(".properties") else None
            value = (
                m.group(1) if m else (_spring_yaml_value(text) if not name.endswith(".properties") else None)
            )
            if value:
                found = _resolve_configured(value, [folder], root)
                if found:
                    return found
    for folder in folders:
        if folder.name == "changelog" and folder.parent.name == "db":
            for name in _MASTER_NAMES:
                f = folder / name
                if f.is_file() and not f.is_symlink():
                    return f, folder.parent.parent
        # JHipster names ``classpath:config/liquibase/master.xml`` in Java code (its
        # LiquibaseConfiguration), which is not read: its fixed place is known instead.
        if (
            folder.name == "liquibase"
            and folder.parent.name == "config"
            and folder.parent.parent.name == "resources"
        ):
            f = folder / "master.xml"
            if f.is_file() and not f.is_symlink():
                return f, folder.parent.parent
    return None


_CONTEXTS_PROPERTY = re.compile(
    r"^\s*(?:spring\.liquibase\.contexts|contexts|liquibase\.command\.contexts)\s*[:=]\s*(.+?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
#: Spring profile files read for production's contexts, most specific first.
_PROFILE_FILES = tuple(
    f"application{p}.{ext}" for p in ("-prod", "-production", "") for ext in ("yml", "yaml", "properties")
)


def _contexts(value: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in value.split(",") if c.strip())


def production_contexts(root: Path, folders: Iterable[Path]) -> tuple[tuple[str, ...], str] | None:
    """The contexts Liquibase runs with in production, when the project says: Spring's
    ``spring.liquibase.contexts`` of the prod profile (else the default one), or the
    ``contexts`` of a ``liquibase.properties``. None: not said, so every changeset runs."""
    folders = [f for f in folders if f.name in ("resources", "config")] + list(folders)
    for name in _PROFILE_FILES:
        for folder in folders:
            if folder.name not in ("resources", "config"):
                continue
            text = _read(folder / name, root)
            if not text:
                continue
            value: str | None = None
            if name.endswith(".properties"):
                m = _CONTEXTS_PROPERTY.search(text)
                value = m.group(1) if m and "liquibase" in m.group(0).lower() else None
            else:
                try:
                    docs = list(yaml.safe_load_all(text))
                except yaml.YAMLError:
                    docs = []
                for doc in docs:
                    spring = doc.get("spring") if isinstance(doc, dict) else None
                    lb = spring.get("liquibase") if isinstance(spring, dict) else None
                    if isinstance(lb, dict) and lb.get("contexts") is not None:
                        value = str(lb["contexts"])
            if value is not None:
                return _contexts(value), (folder / name).relative_to(root).as_posix()
    for folder in folders:
        text = _read(folder / "liquibase.properties", root)
        m = _CONTEXTS_PROPERTY.search(text) if text else None
        if m:
            return _contexts(m.group(1)), (folder / "liquibase.properties").relative_to(root).as_posix()
    return None


#: Liquibase's names of the databases parity's dialects are.
_DBMS = {"postgres": {"postgresql"}, "sqlite": {"sqlite"}, "mysql": {"mysql", "mariadb"}}


def runs_on(dbms: str, dialect: str) -> bool:
    """Whether a changeset of ``dbms="…"`` runs on ``dialect`` (a list, ``!`` excludes; ``all``,
    ``none``)."""
    names = [n.strip().lower() for n in dbms.split(",") if n.strip()]
    if not names or "all" in names:
        return True
    if "none" in names:
        return False
    mine = _DBMS.get(dialect, {dialect})
    if any(n.startswith("!") and n[1:].strip() in mine for n in names):
        return False
    positive = [n for n in names if not n.startswith("!")]
    return not positive or any(n in mine for n in positive)


def runs_in(expression: str, contexts: tuple[str, ...]) -> bool | None:
    """Whether a changeset of context ``expression`` runs with ``contexts`` (Liquibase: a
    changeset without one always does; ``a, b`` / ``a or b`` any, ``a and b`` all, ``!a`` not).
    None for an expression this does not read (parentheses): then it is counted as running."""
    if not expression.strip():
        return True
    if "(" in expression or ")" in expression:
        return None
    have = {c.lower() for c in contexts}

    def atom(a: str) -> bool:
        a = a.strip().lower()
        return a[1:].strip() not in have if a.startswith("!") else a in have

    alternatives = re.split(r"\s*,\s*|\s+or\s+", expression.strip(), flags=re.IGNORECASE)
    return any(
        all(atom(t) for t in re.split(r"\s+and\s+", alt, flags=re.IGNORECASE)) for alt in alternatives if alt
    )


# --- parsing changelogs ---------------------------------------------------------------------------


@dataclass
class _Reader:
    root: Path
    search_root: Path
    changesets: list[ChangeSet] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    include_all: list[Path] = field(default_factory=list)
    seen: set[Path] = field(default_factory=set)

    def rel(self, path: Path) -> str:
        for base in (self.search_root, self.root):
            try:
                return path.resolve().relative_to(base.resolve()).as_posix()
            except (OSError, ValueError):
                continue
        return path.name

    def target(self, value: str, parent: Path, parent_path: str, relative: bool) -> tuple[Path, str] | None:
        """An ``include``'s file: (where it is, the path Liquibase records for it)."""
        if relative:
            recorded = posixpath.normpath(
                posixpath.join(posixpath.dirname(parent_path), value.replace("\\", "/"))
            )
            path = (parent.parent / value).resolve()
        else:
            recorded = _norm_path(value)
            path = (self.search_root / recorded).resolve()
        if not _inside(self.root, path):
            self.problems.append(
                f"{self.rel(parent)}: include {value!r} is outside the repository (not read)"
            )
            return None
        return path, recorded

    def read(self, path: Path, recorded: str, depth: int = 0) -> None:
        real = path.resolve()
        if real in self.seen or depth > 50:
            return
        if len(self.seen) >= _MAX_FILES:
            self.problems.append(f"more than {_MAX_FILES} changelogs: the rest were not read")
            return
        self.seen.add(real)
        text = _read(path, self.root)
        if text is None:
            self.problems.append(f"{recorded}: changelog missing or unreadable")
            return
        suffix = path.suffix.lower()
        try:
            if suffix == ".xml":
                self._xml(path, recorded, text, depth)
            elif suffix in (".yaml", ".yml"):
                self._items(path, recorded, yaml.safe_load(text), depth)
            elif suffix == ".json":
                self._items(path, recorded, json.loads(text), depth)
            elif suffix == ".sql":
                self._sql(path, recorded, text)
        except (ET.ParseError, yaml.YAMLError, ValueError, RecursionError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.problems.append(f"{recorded}: not a readable changelog ({first})")

    def _include_all(self, parent: Path, parent_path: str, value: str, relative: bool, depth: int) -> None:
        found = self.target(value.rstrip("/") or ".", parent, parent_path, relative)
        if found is None:
            return
        folder, recorded = found
        if not folder.is_dir():
            self.problems.append(f"{parent_path}: includeAll folder {value!r} does not exist")
            return
        self.include_all.append(folder)
        # Liquibase takes the folder's changelogs in the order of their paths, sub-folders included.
        files = sorted(
            (p for p in folder.rglob("*") if p.suffix.lower() in CHANGELOG_SUFFIXES and p.is_file()),
            key=lambda p: p.relative_to(folder).as_posix(),
        )
        for f in files:
            if f.is_symlink() or f.resolve() == parent.resolve():
                continue
            self.read(f, posixpath.join(recorded, f.relative_to(folder).as_posix()), depth + 1)

    def _include(self, parent: Path, parent_path: str, value: object, relative: object, depth: int) -> None:
        if not isinstance(value, str) or not value:
            return
        found = self.target(value, parent, parent_path, _true(relative))
        if found is not None:
            self.read(found[0], found[1], depth + 1)

    def _xml(self, path: Path, recorded: str, text: str, depth: int) -> None:
        if "<!ENTITY" in text or "<!entity" in text:
            # Entities expand (a billion laughs) or read other files: a changelog needs none.
            self.problems.append(f"{recorded}: XML with entity declarations is not read")
            return
        top = ET.fromstring(text)
        if _local(top.tag) != "databaseChangeLog":
            return
        logical = top.get("logicalFilePath") or recorded
        for el in top:
            tag = _local(el.tag)
            if tag == "changeSet":
                sql_parts = []
                for child in el.iter():
                    ctag = _local(child.tag)
                    if ctag in ("sql", "createProcedure") and child.text and child.text.strip():
                        sql_parts.append(child.text.strip())
                    elif ctag == "sqlFile" and child.get("path"):
                        sql_parts.extend(
                            self._sql_file(
                                path, recorded, child.get("path", ""), child.get("relativeToChangelogFile")
                            )
                        )
                comment = next((c.text or "" for c in el if _local(c.tag) == "comment"), "").strip()
                self._add(
                    el.get("id"),
                    el.get("author"),
                    el.get("logicalFilePath") or logical,
                    path,
                    sql_parts,
                    el.get("runInTransaction"),
                    comment,
                    context=el.get("contextFilter") or el.get("context"),
                    dbms=el.get("dbms"),
                )
            elif tag == "include":
                self._include(path, recorded, el.get("file"), el.get("relativeToChangelogFile"), depth)
            elif tag == "includeAll" and el.get("path"):
                self._include_all(
                    path, recorded, el.get("path", ""), _true(el.get("relativeToChangelogFile")), depth
                )

    def _items(self, path: Path, recorded: str, data: Any, depth: int) -> None:
        items = data.get("databaseChangeLog") if isinstance(data, dict) else None
        if not isinstance(items, list):
            return
        logical = recorded
        for item in items:
            if not isinstance(item, dict):
                continue
            if isinstance(item.get("logicalFilePath"), str):
                logical = item["logicalFilePath"]
            cs = item.get("changeSet")
            if isinstance(cs, dict):
                sql_parts: list[str] = []
                for change in cs.get("changes") or []:
                    if not isinstance(change, dict):
                        continue
                    sql = change.get("sql")
                    if isinstance(sql, dict):
                        sql = sql.get("sql")
                    if isinstance(sql, str) and sql.strip():
                        sql_parts.append(sql.strip())
                    sf = change.get("sqlFile")
                    if isinstance(sf, dict) and isinstance(sf.get("path"), str):
                        sql_parts.extend(
                            self._sql_file(path, recorded, sf["path"], sf.get("relativeToChangelogFile"))
                        )
                comment = str(cs.get("comment") or "")
                self._add(
                    cs.get("id"),
                    cs.get("author"),
                    cs.get("logicalFilePath") or logical,
                    path,
                    sql_parts,
                    cs.get("runInTransaction"),
                    comment,
                    context=cs.get("contextFilter") or cs.get("context"),
                    dbms=cs.get("dbms"),
                )
            inc = item.get("include")
            if isinstance(inc, dict):
                self._include(path, recorded, inc.get("file"), inc.get("relativeToChangelogFile"), depth)
            inc_all = item.get("includeAll")
            if isinstance(inc_all, dict) and isinstance(inc_all.get("path"), str):
                self._include_all(
                    path, recorded, inc_all["path"], _true(inc_all.get("relativeToChangelogFile")), depth
                )

    def _sql_file(self, parent: Path, parent_path: str, value: str, relative: object) -> list[str]:
        found = self.target(value, parent, parent_path, _true(relative))
        text = _read(found[0], self.root) if found else None
        return [text] if text and text.strip() else []

    def _add(
        self,
        cs_id: object,
        author: object,
        logical: object,
        file: Path,
        sql_parts: list[str],
        run_in_tx: object,
        comment: str,
        line: int = 0,
        context: object = None,
        dbms: object = None,
    ) -> None:
        if cs_id is None or author is None:
            return
        self.changesets.append(
            ChangeSet(
                str(cs_id),
                str(author),
                str(logical),
                file,
                ";\n".join(p.rstrip().rstrip(";") for p in sql_parts) + ";" if sql_parts else None,
                line,
                not (run_in_tx is False or str(run_in_tx).lower() == "false"),
                comment,
                str(context or ""),
                str(dbms or ""),
            )
        )

    def _sql(self, path: Path, recorded: str, text: str) -> None:
        lines = text.splitlines()
        first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
        head = _FORMATTED.match(lines[first].strip()) if first is not None else None
        if head is None:
            # A plain .sql file in a changelog: one changeset Liquibase names raw/includeAll.
            self.changesets.append(ChangeSet("raw", "includeAll", recorded, path, text, 1))
            return
        logical = dict(_ATTR.findall(head.group(1))).get("logicalFilePath", recorded).strip('"')
        current: tuple[str, str, dict[str, str], int] | None = None
        body: list[str] = []
        comment = ""

        def close() -> None:
            if current is None:
                return
            cs_author, cs_id, attrs, at = current
            # The SQL padded to its own lines, so that a lint finding names the file's line.
            sql = "\n" * (at - 1) + "\n".join(body)
            self.changesets.append(
                ChangeSet(
                    cs_id,
                    cs_author,
                    attrs.get("logicalFilePath", logical).strip('"'),
                    path,
                    sql if "".join(body).strip() else None,
                    at,
                    attrs.get("runInTransaction", "true").lower() != "false",
                    comment,
                    (attrs.get("contextFilter") or attrs.get("context") or "").strip('"'),
                    attrs.get("dbms", "").strip('"'),
                )
            )

        for n, raw_line in enumerate(lines, 1):
            stripped = raw_line.strip()
            m = _CHANGESET.match(stripped)
            if m:
                close()
                current = (m.group(1).strip('"'), m.group(2).strip('"'), dict(_ATTR.findall(m.group(3))), n)
                body, comment = [""], ""
                continue
            if current is None:
                continue
            if _ROLLBACK.match(stripped):
                body.append("")  # the undo is not what the changeset runs
                continue
            c = _COMMENT.match(stripped)
            if c and not comment:
                comment = c.group(1).strip()
            body.append(raw_line)
        close()


def _true(value: object) -> bool:
    return value is True or str(value).lower() == "true"


def _local(tag: object) -> str:
    """An XML tag without its namespace (``{http://www.liquibase.org/xml/ns/dbchangelog}include``)."""
    return str(tag).rsplit("}", 1)[-1]


def read_changelog(root: Path, folders: Iterable[Path]) -> Changelog | None:
    """The project's Liquibase changelog, parsed; None when the project has no master changelog."""
    folders = list(folders)
    found = find_master(root, folders)
    if found is None:
        return None
    master, search_root = found
    reader = _Reader(root, search_root)
    reader.read(master, reader.rel(master))
    contexts = production_contexts(root, folders)
    return Changelog(
        master,
        search_root,
        tuple(reader.changesets),
        tuple(reader.include_all),
        tuple(reader.problems),
        contexts[0] if contexts else None,
        contexts[1] if contexts else "",
    )
