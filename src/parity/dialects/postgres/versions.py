"""What a change's SQL needs of the target server's version (PostgreSQL 13 to 17 are supported).

main's schema is loaded on a scratch server that may be newer than production, so what it holds
can use a feature the target does not have. Such a change is refused with the reason instead of
rendered to fail (the generated-expression case, ``SET EXPRESSION`` from 17, is in render).
Pure: the target's version is the inspected ``server_version_num`` in the schema's meta.
"""

from __future__ import annotations

import re

from parity.dialects.postgres.diff import server_version
from parity.model.changes import (
    AddColumn,
    AddFunction,
    AddGrant,
    AddTable,
    AddView,
    AlterFunction,
    AlterView,
    Change,
)
from parity.model.schema import Function, Schema, View

# pg_get_functiondef prints a string body as a line "AS $function$…", a SQL-standard one as a line
# "BEGIN ATOMIC" or "RETURN …"; the first such line decides (a plpgsql body may hold RETURN lines).
_BODY = re.compile(r"^(AS |BEGIN ATOMIC|RETURN )", re.MULTILINE)

#: Table privileges by the release that added them.
NEW_PRIVILEGES = {"MAINTAIN": 170000}


def sql_standard_body(fn: Function) -> bool:
    found = _BODY.search(fn.definition)
    return found is not None and found.group(1) != "AS "


def _view_needs(v: View) -> tuple[int, str] | None:
    if any(o.startswith("security_invoker=") for o in v.options):
        return 150000, "the security_invoker view option"
    return None


def needs(change: Change) -> tuple[int, str] | None:
    """``(server_version_num, feature)``: the oldest server the change's SQL runs on, when newer
    than the oldest supported one."""
    match change:
        case AddView(view=v) | AlterView(desired=v):
            return _view_needs(v)
        case AddColumn(column=col) if col.generated is not None and not col.generated_stored:
            return 180000, "virtual generated columns"
        case AddTable(definition=t) if any(
            c.generated is not None and not c.generated_stored for c in t.columns
        ):
            return 180000, "virtual generated columns"
        case AddFunction(function=fn) | AlterFunction(desired=fn) if sql_standard_body(fn):
            return 140000, "SQL-standard function bodies (BEGIN ATOMIC, RETURN)"
    return None


def refused(change: Change, context: Schema | None) -> str | None:
    """Why ``change`` cannot run on the target server, or None (also when its version is unknown)."""
    version = server_version(context)
    need = needs(change)
    if version is None or need is None or version >= need[0]:
        return None
    return (
        f"{need[1]}: needs PostgreSQL {need[0] // 10000}, the target server is {version // 10000}; "
        "declare it without that for this server, or upgrade the server first"
    )


def grantable(change: AddGrant, context: Schema | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(privileges the target knows, those it does not): a schema loaded on PostgreSQL 17 lists
    MAINTAIN in what ``GRANT ALL`` gave; an older server has no such privilege."""
    version = server_version(context)
    if version is None:
        return change.grant.privileges, ()
    ok = tuple(p for p in change.grant.privileges if version >= NEW_PRIVILEGES.get(p, 0))
    return ok, tuple(p for p in change.grant.privileges if p not in ok)
