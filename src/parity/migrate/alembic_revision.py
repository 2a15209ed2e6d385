"""``parity migrate new`` in an Alembic project: parity's safe plan written as an Alembic revision.

An application that migrates with Alembic must get its next migration as *its* next revision:
a file in its ``versions/`` folder whose ``down_revision`` is the current head, so ``alembic
upgrade head`` (or ``flask db upgrade``) runs it and ``alembic_version`` moves with it. parity's
own ``V000N`` files there would be ignored by Alembic and leave its history behind.

The revision runs parity's planned SQL through ``op.execute`` (the lock and statement timeouts
included, as parity's own files would set them), the steps PostgreSQL cannot run in a transaction
(``CREATE INDEX CONCURRENTLY``) inside Alembic's ``autocommit_block``, and ``downgrade`` runs the
plan's reverse SQL in reverse order. Rendering is pure; :func:`write` only picks the file name
from the project's ``file_template`` and refuses to overwrite.
"""

from __future__ import annotations

import configparser
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from parity.errors import MigrationError

if TYPE_CHECKING:
    from parity.plan.model import Plan, Step
    from parity.schema.apptool import AlembicProject

DEFAULT_TEMPLATE = "%(rev)s_%(slug)s"
SLUG_LENGTH = 40  # Alembic's default truncate_slug_length
# A colon that SQLAlchemy's text() would read as a bind parameter (``:name``); ``::type`` casts
# and colons inside words are left alone, as text() itself leaves them.
_SET = re.compile(r"^SET\s+(\w+)\s*(?:=|TO)", re.IGNORECASE)
_BIND = re.compile(r"(?<![:\w\\]):(?=\w)")


@dataclass(frozen=True, slots=True)
class RevisionFile:
    path: Path
    revision: str
    down_revision: str
    text: str


def slug(message: str, length: int = SLUG_LENGTH) -> str:
    """The file-name part Alembic derives from a message: lower-case words joined by ``_``."""
    words = re.sub(r"\W+", "_", message.lower()).strip("_")
    if len(words) <= length:
        return words or "revision"
    cut = words[:length]
    if words[length] != "_" and "_" in cut:
        cut = cut.rsplit("_", 1)[0]  # no word cut in half
    return cut or "revision"


def _literal(sql: str) -> str:
    """``sql`` as a Python string literal for ``sa.text(…)``: bind-looking colons escaped;
    a statement of several lines kept readable in triple quotes where that is exact."""
    text = _BIND.sub(r"\\:", sql.rstrip().rstrip(";"))
    if "\n" in text and '"' not in text and "\\" not in text:
        return '"""' + text + '"""'
    return repr(text)


def _execute_lines(statements: tuple[str, ...] | list[str], indent: str) -> list[str]:
    return [f"{indent}op.execute(sa.text({_literal(s)}))" for s in statements]


def _body(plan: Plan, steps: list[Step], *, reverse: bool) -> list[str]:
    """The function body running ``steps``' SQL (or reverse SQL): transactional ones in Alembic's
    transaction after the plan's preamble, the others in an ``autocommit_block`` (after the
    transactional ones going up, before them going down: the reverse of the upgrade)."""
    lines: list[str] = []
    for tx in (False, True) if reverse else (True, False):
        group = [s for s in steps if s.transactional is tx and (s.reverse_sql if reverse else s.sql)]
        if not group:
            continue
        indent = "    " if tx else "        "
        if not tx:
            lines.append("    # PostgreSQL runs these only outside a transaction block.")
            lines.append("    with op.get_context().autocommit_block():")
        preamble = list(plan.preamble if tx else plan.no_tx_preamble)
        lines += _execute_lines(preamble, indent)
        for step in group:
            lines.append(f"{indent}# {'undo: ' if reverse else ''}{step.comment}")
            lines += _execute_lines(step.reverse_sql if reverse else step.sql, indent)
        if not tx:
            # Session settings outlive the block: the revisions after this one get the defaults.
            resets = [f"RESET {m.group(1)}" for p in preamble if (m := _SET.match(p))]
            lines += _execute_lines(resets, indent)
    return lines


def render(plan: Plan, revision: str, down_revision: str, message: str, created: datetime) -> str:
    """The revision file's text (pure)."""
    ordered = [s for s in plan.steps if s.transactional] + [s for s in plan.steps if not s.transactional]
    up = _body(plan, ordered, reverse=False) or ["    pass"]
    irreversible = [s.comment for s in ordered if s.sql and not s.reversible]
    if irreversible:
        down = [
            "    raise NotImplementedError(",
            f"        {('cannot be undone by SQL: ' + '; '.join(irreversible))!r}",
            "    )",
        ]
    else:
        # Reverse order: a step's undo runs before the undo of what it built on.
        down = _body(plan, list(reversed(ordered)), reverse=True) or ["    pass"]
    doc = message.replace('"""', "'''").replace("\\", "/")
    return "\n".join(
        [
            f'"""{doc}',
            "",
            f"Revision ID: {revision}",
            f"Revises: {down_revision}",
            f"Create Date: {created.strftime('%Y-%m-%d %H:%M:%S.%f')}",
            "",
            f"Written by `parity migrate new` from its {plan.dialect} plan (safety class "
            f"{plan.safety.value}); review it like any other revision.",
            '"""',
            "",
            "import sqlalchemy as sa",
            "from alembic import op",
            "",
            "# revision identifiers, used by Alembic.",
            f"revision = {revision!r}",
            f"down_revision = {down_revision!r}",
            "branch_labels = None",
            "depends_on = None",
            "",
            "",
            "def upgrade() -> None:",
            *up,
            "",
            "",
            "def downgrade() -> None:",
            *down,
            "",
        ]
    )


def file_template(alembic: AlembicProject) -> str:
    """The project's ``file_template`` (alembic.ini), or Alembic's default."""
    if alembic.ini is None:
        return DEFAULT_TEMPLATE
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(alembic.ini, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return DEFAULT_TEMPLATE
    raw = parser.get("alembic", "file_template", fallback="") or DEFAULT_TEMPLATE
    return raw.replace("%%", "%")


def file_name(template: str, revision: str, message: str, created: datetime) -> str:
    values: dict[str, object] = {
        "rev": revision,
        "slug": slug(message),
        "epoch": int(created.timestamp()),
        "year": created.year,
        "month": created.month,
        "day": created.day,
        "hour": created.hour,
        "minute": created.minute,
        "second": created.second,
    }
    try:
        name = template % values
    except (KeyError, ValueError, TypeError):
        name = DEFAULT_TEMPLATE % values
    if "/" in name or "\\" in name or name.startswith("."):
        name = DEFAULT_TEMPLATE % values  # a template may not lead out of versions/
    return name + ".py"


def head_of(alembic: AlembicProject) -> str:
    heads = alembic.heads
    if len(heads) != 1:
        raise MigrationError(
            f"the Alembic history has {len(heads)} heads ({', '.join(heads) or 'none'}); a new revision "
            "needs one to follow",
            file=alembic.versions_dir,
            hint="merge them first (`alembic merge heads`)",
        )
    return heads[0]


def write(
    alembic: AlembicProject, plan: Plan, message: str, *, created: datetime | None = None
) -> RevisionFile:
    """Write the revision into the project's versions folder (never over an existing file)."""
    created = created or datetime.now(UTC).replace(tzinfo=None)
    down = head_of(alembic)
    revision = uuid.uuid4().hex[-12:]
    text = render(plan, revision, down, message, created)
    path = alembic.versions_dir / file_name(file_template(alembic), revision, message, created)
    try:
        with path.open("x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError as exc:
        raise MigrationError("a revision file of that name exists already", file=path) from exc
    return RevisionFile(path, revision, down, text)
