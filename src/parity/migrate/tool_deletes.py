"""The tables whose rows the pending migrations of the app's own tool delete, read from their code.

After the app's tool ran, verification counts the old rows of every table, and fewer rows is an
error (data lost) — unless a pending migration is written to delete them. Real apps ship such
data migrations: healthchecks' ``api.0122_delete_msteams_linenotify`` deletes the channels of two
retired integrations. A migration counts as deleting rows of a table when its code has

* ``.delete()`` called on a model it got from ``apps.get_model("app", "Model")`` (Django's data
  migrations; the table is Django's default ``app_model``), on a queryset of it or on an instance
  a ``for`` loop took from one;
* ``DELETE FROM table`` in a string (``op.execute``, ``RunSQL``, ``schema_editor.execute``).

The tables whose foreign keys point at such a table lose rows with it (Django's collector and ON
DELETE CASCADE). Only fewer rows are excused, only in those tables, and the finding stays, as a
warning naming the migration; a count that fell anywhere else, or rose, stays an error.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from parity.model.findings import Finding, Severity

if TYPE_CHECKING:
    from parity.schema.apptool import Revision
    from parity.verify.integrity import Snapshot

_DELETE_SQL = re.compile(r"\bDELETE\s+FROM\s+[`\"\[]?(?:\w+[`\"\]]?\.[`\"\[]?)?(\w+)", re.IGNORECASE)


def _get_model_table(call: ast.AST) -> str | None:
    """``apps.get_model("api", "Channel")`` / ``apps.get_model("api.Channel")`` → ``api_channel``."""
    if not (
        isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "get_model"
    ):
        return None
    args = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if len(args) == 2:
        app, model = args
    elif len(args) == 1 and args[0].count(".") == 1:
        app, model = args[0].split(".")
    else:
        return None
    return f"{app}_{model}".lower()


def _root_name(node: ast.AST) -> str | None:
    """The name a chain of attributes and calls starts at: ``Channel.objects.filter(…)`` → Channel."""
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def deleted_tables(source: str) -> set[str]:
    """The tables a migration's code deletes rows from (see the module's docstring)."""
    out = {m.group(1).lower() for m in _DELETE_SQL.finditer(source)}
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return out
    models: dict[str, str] = {}  # name → table, for names bound to a model or to rows of one
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            table = _get_model_table(node.value)
            if table is not None:
                models[node.targets[0].id] = table
    # Loops over a model's rows (``for c in Check.objects.filter(…)``) bind their variable to it.
    for node in ast.walk(tree):
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            root = _root_name(node.iter)
            if root in models:
                models[node.target.id] = models[root]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "delete":
            root = _root_name(node.func.value)
            if root in models:
                out.add(models[root])
            elif (table := _get_model_table(_chain_start(node.func.value))) is not None:
                out.add(table)  # apps.get_model("a", "M").objects.all().delete()
    return out


def _chain_start(node: ast.AST) -> ast.AST:
    """The innermost call of a chain whose function is ``get_model`` (or the node itself)."""
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        if _get_model_table(node) is not None:
            return node
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def deleting_migrations(pending: Sequence[Revision]) -> dict[str, tuple[str, ...]]:
    """table → the ids of the pending migrations whose code deletes rows of it."""
    out: dict[str, list[str]] = {}
    for rev in pending:
        try:
            source = rev.file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for table in sorted(deleted_tables(source)):
            out.setdefault(table, []).append(rev.id)
    return {t: tuple(ids) for t, ids in out.items()}


def with_referencing(
    deletes: Mapping[str, tuple[str, ...]], foreign_keys: Mapping[str, Iterable[str]]
) -> dict[str, tuple[tuple[str, ...], str | None]]:
    """``deletes`` plus the tables whose foreign keys (``foreign_keys``: table → the tables it
    references) reach a deleting table, transitively: table → (migrations, the referenced table it
    loses rows through, None for a table the migrations name)."""
    out: dict[str, tuple[tuple[str, ...], str | None]] = {t: (ids, None) for t, ids in deletes.items()}
    changed = True
    while changed:
        changed = False
        for table, parents in sorted(foreign_keys.items()):
            if table in out:
                continue
            for parent in sorted(parents):
                if parent in out and parent != table:
                    out[table] = (out[parent][0], parent)
                    changed = True
                    break
    return out


def excuse_deletes(
    findings: Iterable[Finding],
    before: Snapshot,
    after: Snapshot,
    deletes: Mapping[str, tuple[tuple[str, ...], str | None]],
) -> list[Finding]:
    """VER002 (row count changed) as a warning for a table that has fewer rows and that the
    pending migrations delete from (``deletes``, from :func:`with_referencing`); the rest as given."""
    out = []
    for f in findings:
        key = f.key or ""
        b, a = before.table(key), after.table(key)
        if f.code == "VER002" and key in deletes and b is not None and a is not None and a.rows < b.rows:
            ids, via = deletes[key]
            how = (
                f"rows referencing {via}, which {', '.join(ids)} deletes from"
                if via
                else "its code deletes them"
            )
            f = replace(
                f,
                severity=Severity.WARNING,
                message=f"{f.message}: deleted by the app's own migration {', '.join(ids)} ({how})",
                fix="nothing to do if that deletion is meant; `parity rollback` restores the rows otherwise",
            )
        out.append(f)
    return out


def foreign_keys(url: str, tables: Iterable[str]) -> dict[str, set[str]]:
    """table → the tables its foreign keys reference, read from the database ``url``."""
    import sqlalchemy as sa

    from parity.migrate.alembic_run import sqlalchemy_url

    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        insp = sa.inspect(engine)
        return {
            t: {fk["referred_table"] for fk in insp.get_foreign_keys(t)} for t in tables if insp.has_table(t)
        }
    finally:
        engine.dispose()
