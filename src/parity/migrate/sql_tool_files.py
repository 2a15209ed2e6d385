"""``parity migrate new`` in a project whose migrations are another tool's plain SQL folder.

A project migrated by Flyway, golang-migrate, goose, dbmate, Prisma or Liquibase (a master
changelog that ``includeAll``s a folder) must get its next migration as
*that tool's* next file, in its folder, named and numbered as the tool expects: the tool's own
history table then moves with it, and parity's ``V000N__x.up.sql`` files (which the tool would
skip, or take for its own) and its history table stay out of the project.

Numbering follows the folder: a sequence keeps its zero-padding width; a folder of
``YYYYMMDDhhmmss`` (or Unix epoch) versions gets the current time, and always a version after
the highest one present (a clock behind the folder must not slot the file before applied ones).

Each tool's transaction handling decides the file's shape:

- Flyway runs a migration in one transaction; a file of PostgreSQL's non-transactional steps
  (``CREATE INDEX CONCURRENTLY``) gets a ``.sql.conf`` with ``executeInTransaction=false`` and
  no session settings, which Flyway would count as "mixed" statements. The down part is
  Flyway's undo file ``U<version>__name.sql``.
- golang-migrate sends a file as one string: on PostgreSQL that is one implicit transaction, so
  the transactional file says ``BEGIN``/``COMMIT`` itself (``SET LOCAL`` needs a real block),
  and each non-transactional step becomes a migration of its own (PostgreSQL refuses
  ``CONCURRENTLY`` inside a multi-statement string). SQLite's driver wraps a file in a
  transaction itself; MySQL's DDL commits statement by statement anyway.
- goose runs statement by statement inside its own transaction, ``-- +goose NO TRANSACTION``
  outside one; ``StatementBegin``/``End`` wrap only statements that hold a semicolon.
- dbmate wraps each block in a transaction (``transaction:false`` for the others) and sends a
  block as one string: non-transactional steps become one migration each, as for golang-migrate.
- Prisma (``prisma/migrations/<YYYYMMDDhhmmss>_name/migration.sql``) sends the file as one string
  too, so it is cut as golang-migrate's are. Prisma has no down migrations: the undo goes to a
  ``down.sql`` beside it (Prisma's own advice for one), run by hand with ``prisma db execute``;
  parity's rollback of its own run restores its backup instead.
- Liquibase takes an ``includeAll`` folder's files in the order of their names: the next file is
  named after the highest there (refused when no name would sort after it), one formatted-SQL
  changeset per transaction (``runInTransaction:false`` for the others), each statement ending at
  a ``/`` line when one of them holds a semicolon of its own, the undo as ``--rollback`` lines.

Rendering is pure (:func:`render`); :func:`write` only creates the files, never over one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from parity.errors import MigrationError, ParityError
from parity.schema.listed_tools import ToolScript

if TYPE_CHECKING:
    from parity.plan.model import Plan, Step
    from parity.safefs import Repo
    from parity.schema.listed_tools import ListedTool

#: The tools whose migrations parity writes in their own naming and format (Liquibase: only
#: into a folder its master changelog ``includeAll``s, see :func:`writes`).
PLAIN_SQL_TOOLS = frozenset({"Flyway", "golang-migrate", "goose", "dbmate", "Prisma", "Liquibase"})


def writes(tool: ListedTool) -> bool:
    """Whether parity can write ``tool``'s next migration where the tool will find it."""
    if tool.tool == "Liquibase":
        return tool.new_folder is not None
    return tool.tool in PLAIN_SQL_TOOLS


def target_folder(tool: ListedTool) -> Path:
    """The folder the new migration's files go to."""
    return tool.new_folder if tool.tool == "Liquibase" and tool.new_folder is not None else tool.folder


_STAMP = "%Y%m%d%H%M%S"
_LEADING = re.compile(r"^V?(\d+)")
_SET = re.compile(r"^SET\s+(\w+)\s*(?:=|TO)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Numbering:
    """How the folder numbers its migrations: ``last`` is the highest (first part, for Flyway)."""

    kind: Literal["sequence", "timestamp", "epoch"]
    width: int  # zero padding of a sequence (0: none)
    last: int


@dataclass(frozen=True, slots=True)
class ToolFile:
    name: str
    text: str


@dataclass(frozen=True, slots=True)
class ToolMigration:
    """One migration of the tool: its version and its files (up and down, or V and U)."""

    version: str
    files: tuple[ToolFile, ...]


@dataclass(frozen=True, slots=True)
class _Group:
    steps: tuple[Step, ...]
    transactional: bool
    suffix: str


def _is_stamp(raw: str) -> bool:
    if len(raw) != 14:
        return False
    try:
        datetime.strptime(raw, _STAMP)
    except ValueError:
        return False
    return True


def numbering(tool: ListedTool) -> Numbering:
    """The folder's numbering, read from its file names (dbmate's is always a timestamp)."""
    raws = [m.group(1) for r in tool.migrations if (m := _LEADING.match(r.file.name))]
    last = max((int(r) for r in raws), default=0)
    if tool.tool == "dbmate" or (raws and all(_is_stamp(r) for r in raws)):
        return Numbering("timestamp", 14, last)
    if raws and all(len(r) == 10 and int(r) >= 1_000_000_000 for r in raws):
        return Numbering("epoch", 10, last)  # golang-migrate's `-format unix`
    padded = [len(r) for r in raws if len(r) > 1 and r.startswith("0")]
    return Numbering("sequence", max(padded, default=0), last)


def next_versions(n: Numbering, count: int, now: datetime) -> list[str]:
    """``count`` versions after ``n.last``, as the folder would spell them."""
    if n.kind == "timestamp":
        start = now
        if int(now.strftime(_STAMP)) <= n.last:
            try:
                start = datetime.strptime(str(n.last), _STAMP) + timedelta(seconds=1)
            except ValueError:  # dbmate versions that are not dates: count on from the highest
                return [str(n.last + 1 + i) for i in range(count)]
        return [(start + timedelta(seconds=i)).strftime(_STAMP) for i in range(count)]
    if n.kind == "epoch":
        first = max(int(now.timestamp()), n.last + 1)
        return [str(first + i) for i in range(count)]
    return [str(n.last + 1 + i).zfill(n.width) for i in range(count)]


def slug(name: str) -> str:
    return re.sub(r"\W+", "_", name.lower()).strip("_") or "migration"


def _stmt(sql: str) -> str:
    return sql.rstrip().rstrip(";") + ";"


def _resets(preamble: tuple[str, ...] | list[str]) -> list[str]:
    """Session settings outlive a file run outside a transaction: reset them at its end."""
    return [f"RESET {m.group(1)};" for p in preamble if (m := _SET.match(p))]


def _groups(plan: Plan, split_no_tx: bool) -> list[_Group]:
    """Transactional steps in one migration, then the others: in one more, or (``split_no_tx``:
    tools that send a file as one string) one migration per step."""
    tx = tuple(s for s in plan.steps if s.transactional and s.sql)
    no_tx = tuple(s for s in plan.steps if not s.transactional and s.sql)
    out = [_Group(tx, True, "")] if tx else []
    if no_tx and split_no_tx:
        out += [
            _Group((s,), False, f"_online_{i}" if len(no_tx) > 1 else "_online")
            for i, s in enumerate(no_tx, 1)
        ]
    elif no_tx:
        out.append(_Group(no_tx, False, "_online"))
    return out


def _lines(steps: tuple[Step, ...], *, reverse: bool, wrap: bool = False) -> list[str]:
    """The steps' SQL (or, reversed, their undo) with a comment per step; ``wrap``: goose's
    StatementBegin/End around a statement holding a semicolon of its own."""
    out: list[str] = []
    ordered = tuple(reversed(steps)) if reverse else steps
    irreversible = [s.comment for s in ordered if reverse and not s.reversible]
    if irreversible:
        out.append("-- cannot be undone by SQL: " + "; ".join(irreversible))
    for step in ordered:
        sql = step.reverse_sql if reverse else step.sql
        if not sql:
            continue
        out.append("")
        out.append(f"-- {'undo: ' if reverse else ''}{step.comment}")
        for s in sql:
            text = _stmt(s)
            if wrap and ";" in text[:-1]:
                out += ["-- +goose StatementBegin", text, "-- +goose StatementEnd"]
            else:
                out.append(text)
    return out


def _part(
    plan: Plan, group: _Group, *, reverse: bool, wrap: bool = False, settings: bool = True
) -> list[str]:
    """One direction of a migration: the plan's session settings, the statements, the resets."""
    pre = list(plan.preamble if group.transactional else plan.no_tx_preamble) if settings else []
    body = [*(_stmt(p) for p in pre), *_lines(group.steps, reverse=reverse, wrap=wrap)]
    if not group.transactional:
        body += _resets(pre)
    return body


def _header(plan: Plan, tool: str) -> str:
    return (
        f"-- Written by `parity migrate new` from its {plan.dialect} plan (safety class "
        f"{plan.safety.value}) in {tool}'s format; review it like any other migration."
    )


def _text(lines: list[str]) -> str:
    return "\n".join(lines).replace("\n\n\n", "\n\n").strip("\n") + "\n"


def _flyway(plan: Plan, group: _Group, version: str, name: str) -> tuple[ToolFile, ...]:
    # Flyway counts a SET beside CONCURRENTLY as a mixed migration: no settings outside a transaction.
    settings = group.transactional
    up = _text([_header(plan, "Flyway"), *_part(plan, group, reverse=False, settings=settings)])
    down = _text(
        [
            _header(plan, "Flyway") + " The undo of V" + version + " (Flyway's `flyway undo`).",
            *_part(plan, group, reverse=True, settings=settings),
        ]
    )
    files = [ToolFile(f"V{version}__{name}.sql", up), ToolFile(f"U{version}__{name}.sql", down)]
    if not group.transactional:
        conf = "# PostgreSQL runs these statements only outside a transaction.\nexecuteInTransaction=false\n"
        files += [
            ToolFile(f"V{version}__{name}.sql.conf", conf),
            ToolFile(f"U{version}__{name}.sql.conf", conf),
        ]
    return tuple(files)


def _golang(plan: Plan, group: _Group, version: str, name: str) -> tuple[ToolFile, ...]:
    explicit_tx = group.transactional and plan.dialect == "postgres"
    settings = group.transactional  # a non-transactional file is one statement, sent alone

    def direction(reverse: bool) -> str:
        body = _part(plan, group, reverse=reverse, settings=settings)
        if explicit_tx:
            body = ["BEGIN;", *body, "", "COMMIT;"]
        return _text([_header(plan, "golang-migrate"), *body])

    return (
        ToolFile(f"{version}_{name}.up.sql", direction(False)),
        ToolFile(f"{version}_{name}.down.sql", direction(True)),
    )


def _goose(plan: Plan, group: _Group, version: str, name: str) -> tuple[ToolFile, ...]:
    lines = ["-- +goose NO TRANSACTION"] if not group.transactional else []
    lines += [
        "-- +goose Up",
        _header(plan, "goose"),
        *_part(plan, group, reverse=False, wrap=True),
        "",
        "-- +goose Down",
        *_part(plan, group, reverse=True, wrap=True),
    ]
    return (ToolFile(f"{version}_{name}.sql", _text(lines)),)


def _dbmate(plan: Plan, group: _Group, version: str, name: str) -> tuple[ToolFile, ...]:
    tx = "" if group.transactional else " transaction:false"
    settings = group.transactional  # a block outside a transaction is one statement, sent alone
    lines = [
        f"-- migrate:up{tx}",
        _header(plan, "dbmate"),
        *_part(plan, group, reverse=False, settings=settings),
        "",
        f"-- migrate:down{tx}",
        *_part(plan, group, reverse=True, settings=settings),
    ]
    return (ToolFile(f"{version}_{name}.sql", _text(lines)),)


def _prisma(plan: Plan, group: _Group, version: str, name: str) -> tuple[ToolFile, ...]:
    explicit_tx = group.transactional and plan.dialect == "postgres"
    settings = group.transactional
    folder = f"{version}_{name}"

    def direction(reverse: bool, header: str) -> str:
        body = _part(plan, group, reverse=reverse, settings=settings)
        if explicit_tx:
            body = ["BEGIN;", *body, "", "COMMIT;"]
        return _text([header, *body])

    up_header = (
        _header(plan, "Prisma") + "\n-- Prisma has no down migrations: the undo is in down.sql beside this "
        "file (run it with `npx prisma db execute --file` and then `npx prisma migrate resolve --rolled-back "
        f"{folder}`); parity's own rollback of a run restores the backup it took before applying."
    )
    down_header = (
        _header(plan, "Prisma") + f" The undo of {folder}, which Prisma never runs by itself: "
        f"`npx prisma db execute --file prisma/migrations/{folder}/down.sql`, then "
        f"`npx prisma migrate resolve --rolled-back {folder}`."
    )
    return (
        ToolFile(f"{folder}/migration.sql", direction(False, up_header)),
        ToolFile(f"{folder}/down.sql", direction(True, down_header)),
    )


def _liquibase_changeset(plan: Plan, group: _Group, version: str, name: str) -> tuple[ToolFile, ...]:
    """One formatted-SQL changeset (the file's header is added by :func:`render`)."""
    attrs = "" if group.transactional else " runInTransaction:false"
    statements = [s for st in group.steps for s in st.sql]
    slash = any(";" in _stmt(s)[:-1] for s in statements)
    if slash:
        attrs += " endDelimiter:/"  # a function body's own semicolons do not end the statement

    def ends(lines: list[str]) -> list[str]:
        if not slash:
            return lines
        return [ln[:-1] + "\n/" if ln.endswith(";") and not ln.startswith("--") else ln for ln in lines]

    up = ends(_part(plan, group, reverse=False))
    down = [line for line in ends(_part(plan, group, reverse=True)) if line.strip()]
    rollback = [
        ("-- " + line[3:]) if line.startswith("-- ") else "--rollback " + line
        for text in down
        for line in text.splitlines()
    ]
    lines = [
        "",
        f"--changeset parity:{version}-{name}{attrs}",
        f"--comment: {name.replace('_', ' ')} (parity migrate new, safety class {plan.safety.value})",
        *up,
        "",
        *rollback,
    ]
    return (ToolFile("", "\n".join(lines) + "\n"),)


_RENDER = {
    "Flyway": _flyway,
    "golang-migrate": _golang,
    "goose": _goose,
    "dbmate": _dbmate,
    "Prisma": _prisma,
    "Liquibase": _liquibase_changeset,
}
# Tools that send a file (or block) to the database as one string.
_ONE_STRING = frozenset({"golang-migrate", "dbmate", "Prisma"})
_LEADING_NAME = re.compile(r"^(\d+)([-_.]?)")


def liquibase_file_name(tool: ListedTool, name: str, now: datetime) -> tuple[str, str]:
    """The next file of the ``includeAll`` folder and its version: numbered after the highest
    there, as the folder numbers them; refused when no such name sorts after every one there."""
    folder = target_folder(tool)
    from parity.schema.liquibase import CHANGELOG_SUFFIXES

    names = (
        sorted(p.name for p in folder.iterdir() if p.suffix.lower() in CHANGELOG_SUFFIXES)
        if folder.is_dir()
        else []
    )
    leads = [m for n in names if (m := _LEADING_NAME.match(n))]
    if names and len(leads) != len(names):
        raise MigrationError(
            "the includeAll folder's files are not all numbered: no new file name is sure to run after them",
            file=folder,
            hint="write the changeset into a changelog yourself; Liquibase runs an includeAll folder in name order",
        )
    raws = [m.group(1) for m in leads]
    last = max((int(r) for r in raws), default=0)
    if raws and all(_is_stamp(r) for r in raws):
        kind: Literal["sequence", "timestamp", "epoch"] = "timestamp"
        width = 14
    else:
        kind, width = "sequence", max((len(r) for r in raws), default=3)
    version = next_versions(Numbering(kind, width, last), 1, now)[0]
    seps = [m.group(2) for m in leads if m.group(2)]
    sep = max(set(seps), key=seps.count) if seps else "-"
    file_name = f"{version}{sep}{slug(name)}.sql"
    if names and file_name <= names[-1]:
        raise MigrationError(
            f"{file_name} would not sort after {names[-1]}: Liquibase would run it before the folder's others",
            file=folder,
            hint="rename the folder's files with zero-padded numbers, or write the changeset into a changelog yourself",
        )
    return file_name, version


def render(tool: ListedTool, plan: Plan, name: str, now: datetime) -> list[ToolMigration]:
    """The migrations ``migrate new NAME`` writes into ``tool``'s folder (pure)."""
    if tool.tool not in _RENDER or not writes(tool):
        raise MigrationError(f"parity does not write {tool.tool} migrations here", file=tool.folder)
    groups = _groups(plan, split_no_tx=tool.tool in _ONE_STRING and plan.dialect == "postgres")
    base = slug(name)
    if tool.tool == "Liquibase":
        # One file, its changesets in plan order: the transactional one, then the others.
        file_name, version = liquibase_file_name(tool, name, now)
        head = f"--liquibase formatted sql\n\n{_header(plan, 'Liquibase')}\n"
        bodies = [_liquibase_changeset(plan, g, version, base + g.suffix)[0].text for g in groups]
        return [ToolMigration(version, (ToolFile(file_name, head + "".join(bodies)),))]
    if tool.tool == "Prisma":
        stamps = [m.group(1) for r in tool.migrations if (m := re.match(r"^(\d{14})", r.id))]
        n = Numbering("timestamp", 14, max((int(x) for x in stamps), default=0))
        versions = next_versions(n, len(groups), now)
    else:
        versions = next_versions(numbering(tool), len(groups), now)
    return [
        ToolMigration(v, _RENDER[tool.tool](plan, g, v, base + g.suffix))
        for v, g in zip(versions, groups, strict=True)
    ]


def write(tool: ListedTool, migrations: list[ToolMigration]) -> list[Path]:
    """Create the files in the tool's folder, none over an existing one (all or none)."""
    written: list[Path] = []
    made: list[Path] = []
    folder = target_folder(tool)
    try:
        for m in migrations:
            for f in m.files:
                path = folder / f.name
                if path.parent != folder and not path.parent.exists():
                    path.parent.mkdir()  # Prisma's folder per migration
                    made.append(path.parent)
                with path.open("x", encoding="utf-8") as fh:
                    written.append(path)
                    fh.write(f.text)
    except FileExistsError as exc:
        for p in written:
            p.unlink(missing_ok=True)
        for d in reversed(made):
            d.rmdir()
        raise MigrationError(
            "a migration file of that name exists already", file=Path(str(exc.filename))
        ) from exc
    return written


def tool_file_script(tool: str, path: Path, repo: Repo) -> ToolScript | None:
    """The up part of a plain-SQL tool's migration file, as the tool runs it: Flyway's and
    golang-migrate's whole file, Prisma's migration.sql, goose's and dbmate's up section (the down
    section blanked, so a finding keeps its line). None for a file that is not SQL or unreadable."""
    if path.suffix != ".sql" or tool not in {"Flyway", "golang-migrate", "Prisma", "goose", "dbmate"}:
        return None
    try:
        text = repo.read_text(path, errors="replace")
    except (OSError, ValueError, ParityError):
        return None
    transactional = True
    if tool == "Flyway":
        conf = path.with_name(path.name + ".conf")
        try:
            transactional = "executeintransaction=false" not in repo.read_text(conf).replace(" ", "").lower()
        except (OSError, ValueError, ParityError):
            transactional = True  # no .conf: Flyway's default, one transaction
    if tool in {"goose", "dbmate"}:
        down = "-- +goose down" if tool == "goose" else "-- migrate:down"
        kept: list[str] = []
        in_down = False
        for line in text.splitlines():
            low = line.strip().lower()
            if low.startswith(down):
                in_down = True
            elif low.startswith("-- +goose up" if tool == "goose" else "-- migrate:up"):
                in_down = False
            kept.append("" if in_down else line)
        text = "\n".join(kept)
        lowered = text.lower()
        transactional = "+goose no transaction" not in lowered and "transaction:false" not in lowered
    return ToolScript(text, transactional, True)
