"""Which statements of a declared schema may run on a PostgreSQL scratch database.

Each statement is parsed with PostgreSQL's own parser (pglast, libpg_query) and judged by its
node type, so quoting, dollar-quoted bodies and comments cannot hide a statement. The loading
session on parity's throwaway server is a role without superuser rights, so even a function
body that the screen cannot see into (PL/pgSQL's ``EXECUTE``) cannot read or write server files,
load libraries or reach another server.

``pg_dump`` (17.6 and later) brackets its output with ``\\restrict KEY`` / ``\\unrestrict KEY``
psql meta-commands; those lines are blanked. Any other meta-command (``\\connect``, ``\\!``) is
refused: it is psql's, not SQL, and ``\\!`` runs a shell.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from parity.dialects.gate import Purpose, Screened, blank, refuse, shown
from parity.errors import SchemaSourceError

_RESTRICT = re.compile(r"^\\(?:un)?restrict\s+\S+[ \t]*$", re.M)
_META = re.compile(r"^\\\S*", re.M)
_LEADING = re.compile(rb"(?:\s+|;|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)

#: Node types that describe a schema: they run as they are.
_SCHEMA = frozenset(
    {
        "CreateStmt",
        "IndexStmt",
        "ViewStmt",
        "CreateSeqStmt",
        "AlterSeqStmt",
        "CreateEnumStmt",
        "AlterEnumStmt",
        "CompositeTypeStmt",
        "CreateDomainStmt",
        "AlterDomainStmt",
        "CreateRangeStmt",
        "CommentStmt",
        "CreateTrigStmt",
        "RuleStmt",
        "DropStmt",
        "RenameStmt",
        "AlterObjectSchemaStmt",
        "AlterFunctionStmt",
        "CreatePolicyStmt",
        "AlterPolicyStmt",
        "DefineStmt",
        "AlterTypeStmt",
        "CreateStatsStmt",
        "AlterStatsStmt",
        "AlterExtensionStmt",
        "TransactionStmt",
    }
)
#: Node types a migrations folder may also run: its backfills, on the scratch database's tables.
_MIGRATION_ONLY = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "DoStmt"})
_REFUSED_WHY = {
    "CopyStmt": "COPY reads or writes files and programs",
    "CreateRoleStmt": "roles are not part of a schema",
    "AlterRoleStmt": "roles are not part of a schema",
    "AlterRoleSetStmt": "roles are not part of a schema",
    "DropRoleStmt": "roles are not part of a schema",
    "GrantRoleStmt": "roles are not part of a schema",
    "GrantStmt": "grants are not part of a schema (pg_dump --no-privileges leaves them out)",
    "AlterDefaultPrivilegesStmt": "grants are not part of a schema",
    "CreatedbStmt": "it works on another database",
    "DropdbStmt": "it works on another database",
    "AlterDatabaseStmt": "it works on another database",
    "AlterDatabaseSetStmt": "it works on another database",
    "AlterDatabaseRefreshCollStmt": "it works on another database",
    "CreateTableSpaceStmt": "tablespaces are server files",
    "DropTableSpaceStmt": "tablespaces are server files",
    "AlterSystemStmt": "it changes the server's configuration",
    "LoadStmt": "it loads a library into the server",
    "CreateFdwStmt": "it reaches other servers",
    "CreateForeignServerStmt": "it reaches other servers",
    "CreateUserMappingStmt": "it reaches other servers",
    "ImportForeignSchemaStmt": "it reaches other servers",
    "CreateSubscriptionStmt": "it reaches other servers",
    "CreatePublicationStmt": "replication is not part of a schema",
    "CreateEventTrigStmt": "an event trigger runs code on every later statement",
    "CreatePLangStmt": "a procedural language runs code in the server",
    "DoStmt": "DO runs code",
    "CallStmt": "CALL runs code",
    "ExecuteStmt": "EXECUTE runs a prepared query",
    "PrepareStmt": "not a schema statement",
    "VacuumStmt": "not a schema statement",
    "ClusterStmt": "not a schema statement",
    "CheckPointStmt": "not a schema statement",
    "NotifyStmt": "not a schema statement",
    "ListenStmt": "not a schema statement",
    "TruncateStmt": "a schema file may not change data",
    "InsertStmt": "a schema file may not change data",
    "UpdateStmt": "a schema file may not change data",
    "DeleteStmt": "a schema file may not change data",
    "MergeStmt": "a schema file may not change data",
    "LockStmt": "not a schema statement",
    "SelectStmt": "a query is not a schema statement",
    "CreateTableAsStmt": "CREATE TABLE … AS runs a query (WITH NO DATA does not)",
    "RefreshMatViewStmt": "it runs a query",
}
#: Settings a schema file may not change: who the session is, and which libraries it loads.
_REFUSED_SETTINGS = frozenset(
    {"role", "session_authorization", "local_preload_libraries", "session_preload_libraries"}
)
#: The functions pg_dump calls in a schema dump; with constant arguments they only set a
#: session setting or a sequence's next value.
_SELECTABLE = frozenset({"set_config", "setval"})
_LANGUAGES = frozenset({"sql", "plpgsql"})
#: Extensions that reach other servers or the server's files, and untrusted languages.
_REFUSED_EXTENSIONS = frozenset({"dblink", "postgres_fdw", "file_fdw", "adminpack", "pageinspect"})


def screen(sql: str, file: Path | str | None, purpose: Purpose) -> Screened:
    """The script, cleared statement by statement (see :mod:`parity.dialects.gate`)."""
    from pglast import parse_sql
    from pglast.parser import ParseError

    text = blank(sql, ((m.start(), m.end()) for m in _RESTRICT.finditer(sql)))
    data = text.encode("utf-8")
    try:
        statements = parse_sql(text)
    except ParseError as exc:
        meta = _META.search(text)
        if meta is not None:
            line = text.count("\n", 0, meta.start()) + 1
            raise refuse(
                f"the psql meta-command {meta.group(0)}", "it is psql's, not SQL", file, line
            ) from exc
        # libpg_query reports a 1-based byte position of the error.
        at = exc.args[1] if len(exc.args) > 1 else None
        where = data[: max(0, int(at) - 1)].count(b"\n") + 1 if isinstance(at, int) and at > 0 else None
        raise SchemaSourceError(
            f"PostgreSQL cannot parse the statement: {exc.args[0]}", file=file, line=where
        ) from exc
    skipped: list[tuple[int, str]] = []
    blanks: list[tuple[int, int]] = []
    for raw in statements:
        start = int(raw.stmt_location or 0)
        end = start + int(raw.stmt_len) if raw.stmt_len else len(data)
        lead = _LEADING.match(data, start)
        begin = lead.end() if lead else start
        line = data.count(b"\n", 0, begin) + 1
        statement = data[begin:end].decode("utf-8", "replace")
        verdict = _judge(raw.stmt, purpose)
        if verdict is None:
            continue
        action, why = verdict
        if action == "skip":
            # Offsets are bytes; blanking works on characters: map back through the prefix.
            c_start = len(data[:begin].decode("utf-8", "replace"))
            blanks.append((c_start, c_start + len(statement)))
            skipped.append((line, why))
            continue
        raise refuse(shown(statement), why, file, line)
    return Screened(blank(text, blanks), tuple(skipped))


def _judge(node: Any, purpose: Purpose) -> tuple[str, str] | None:
    """None when ``node`` may run; ``("skip", why)`` or ``("refuse", why)`` otherwise."""
    kind = type(node).__name__
    if kind == "CreateStmt" or kind in _SCHEMA:
        return None
    if kind == "AlterTableStmt":
        owners = [c for c in node.cmds or () if _enum_name(c.subtype) == "AT_ChangeOwner"]
        if owners and len(owners) == len(node.cmds):
            return ("skip", "ownership: the scratch database has no such roles")
        return ("refuse", "it names a role") if owners else None
    if kind == "AlterOwnerStmt":
        return ("skip", "ownership: the scratch database has no such roles")
    if kind == "CreateSchemaStmt":
        if node.authrole is not None:
            return ("refuse", "CREATE SCHEMA … AUTHORIZATION names a role")
        for element in node.schemaElts or ():
            inner = _judge(element, purpose)
            if inner is not None:
                return ("refuse", inner[1])
        return None
    if kind == "CreateExtensionStmt":
        name = (node.extname or "").lower()
        if name in _REFUSED_EXTENSIONS or name.endswith("_fdw") or _untrusted_language(name):
            return ("refuse", f"the extension {name} reaches outside the database")
        return None
    if kind == "CreateFunctionStmt":
        language = _option(node.options, "language")
        if language is not None and language.lower() not in _LANGUAGES:
            return ("refuse", f"functions in LANGUAGE {language} run outside SQL")
        return None
    if kind == "CreateTableAsStmt":
        if node.into is not None and node.into.skipData:
            return None
        return ("refuse", _REFUSED_WHY[kind])
    if kind == "VariableSetStmt":
        if (node.name or "").lower() in _REFUSED_SETTINGS:
            return ("refuse", f"SET {node.name} changes who the session is or what it loads")
        return None
    if kind == "SelectStmt" and _settings_call(node):
        return None
    if kind == "InsertStmt" and purpose is Purpose.SCHEMA and _literal_insert(node):
        return ("skip", "INSERT … VALUES: data does not shape the schema")
    if purpose is Purpose.MIGRATIONS and kind in _MIGRATION_ONLY:
        return None
    return ("refuse", _REFUSED_WHY.get(kind, "not a schema statement"))


def _enum_name(value: Any) -> str:
    return str(getattr(value, "name", value))


def _option(options: Any, name: str) -> str | None:
    for opt in options or ():
        if getattr(opt, "defname", None) == name:
            arg = opt.arg
            return str(getattr(arg, "sval", arg))
    return None


def _untrusted_language(name: str) -> bool:
    return name.startswith("pl") and name.endswith("u")


def _constant(node: Any) -> bool:
    kind = type(node).__name__
    if kind == "A_Const":
        return True
    if kind == "TypeCast":
        return _constant(node.arg)
    return False


def _settings_call(node: Any) -> bool:
    """``SELECT pg_catalog.set_config('search_path', '', false)`` and ``setval`` alike: one call
    of a known function with constant arguments, no FROM."""
    if node.fromClause or node.whereClause or node.withClause or not node.targetList:
        return False
    for target in node.targetList:
        call = target.val
        if type(call).__name__ != "FuncCall":
            return False
        name = call.funcname[-1].sval.lower()
        if name not in _SELECTABLE or not all(_constant(a) for a in call.args or ()):
            return False
        if len(call.funcname) == 2 and call.funcname[0].sval.lower() != "pg_catalog":
            return False
    return True


def _literal_insert(node: Any) -> bool:
    returning = getattr(node, "returningClause", None) or getattr(node, "returningList", None)
    if node.onConflictClause or returning or node.withClause or node.selectStmt is None:
        return False
    values = node.selectStmt.valuesLists
    return bool(values) and all(_constant(v) for row in values for v in row)
