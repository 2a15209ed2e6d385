"""The database a Django project's settings select, read from their syntax tree with an environment.

Many Django apps build ``DATABASES`` from variables of their own rather than one
``DATABASE_URL``: healthchecks' ``hc/settings.py`` has a SQLite default and, under ``if
os.getenv("DB") == "postgres":``, a PostgreSQL entry of ``DB_NAME``, ``DB_HOST``, ``DB_USER``,
``DB_PASSWORD``, ``DB_PORT``. parity reads the settings file (never imports it: it is the
repository's code), runs its top-level ``DATABASES = …`` assignments and the ``if`` tests around
them against the service's effective env, and turns ``DATABASES["default"]`` into a URL.

Understood: string and number constants; ``os.getenv(K, d)``, ``os.environ.get(K, d)``,
``os.environ[K]`` and helpers named like ``env*(K, d)`` (healthchecks' ``envint``,
``envsecret``) as env lookups; ``==``, ``!=``, ``in``, ``not in``, ``not``, ``and``, ``or`` in
tests. Anything else makes a value unknown; a test that cannot be decided, or a default whose
NAME is unknown, gives no URL rather than a guess.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

_SCHEMES = {
    "django.db.backends.sqlite3": "sqlite",
    "django.db.backends.postgresql": "postgresql",
    "django.db.backends.postgresql_psycopg2": "postgresql",
    "django.db.backends.mysql": "mysql",
}


class _Unknown(Exception):
    """A value or test the reader cannot evaluate."""


@dataclass(frozen=True, slots=True)
class SettingsDatabase:
    url: str
    line: int  # of the DATABASES assignment that gave it


def _is_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def _value(node: ast.AST, env: Mapping[str, str]) -> object:
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float | bool | type(None)):
        return node.value
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [_value(e, env) for e in node.elts]
    if isinstance(node, ast.Dict):
        out: dict[object, object] = {}
        for k, v in zip(node.keys, node.values, strict=True):
            if k is None:
                raise _Unknown
            try:
                out[_value(k, env)] = _value(v, env)
            except _Unknown:
                out[_value(k, env)] = _Unknown  # an unknown entry (OPTIONS, CONN_MAX_AGE…) may not matter
        return out
    if isinstance(node, ast.Subscript) and _is_environ(node.value):
        key = _value(node.slice, env)
        if isinstance(key, str) and key in env:
            return env[key]
        raise _Unknown
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        environ_get = isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value)
        if environ_get or name == "getenv" or name.lower().startswith("env"):
            key = node.args[0].value
            if not isinstance(key, str):
                raise _Unknown
            if key in env:
                return env[key]
            if len(node.args) > 1:
                return _value(node.args[1], env)
            return None
    raise _Unknown


def _test(node: ast.AST, env: Mapping[str, str]) -> bool:
    if isinstance(node, ast.BoolOp):
        results = [_test(v, env) for v in node.values]
        return all(results) if isinstance(node.op, ast.And) else any(results)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return not _test(node.operand, env)
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, right = _value(node.left, env), _value(node.comparators[0], env)
        op = node.ops[0]
        if isinstance(op, ast.Eq):
            return left == right
        if isinstance(op, ast.NotEq):
            return left != right
        if isinstance(op, ast.In | ast.NotIn) and isinstance(right, list):
            return (left in right) == isinstance(op, ast.In)
    return bool(_value(node, env))


def _walk(body: list[ast.stmt], env: Mapping[str, str], found: list[tuple[object, int]]) -> None:
    """Top-level statements in order: DATABASES assignments, and ``if`` blocks around them."""
    for stmt in body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if (
                any(isinstance(t, ast.Name) and t.id == "DATABASES" for t in targets)
                and stmt.value is not None
            ):
                try:
                    found.append((_value(stmt.value, env), stmt.lineno))
                except _Unknown:
                    found.append((_Unknown, stmt.lineno))
        elif isinstance(stmt, ast.If):
            if not any(_assigns(s) for s in [*stmt.body, *stmt.orelse]):
                continue
            try:
                taken = _test(stmt.test, env)
            except _Unknown:
                found.append((_Unknown, stmt.lineno))
                continue
            _walk(stmt.body if taken else stmt.orelse, env, found)


def _assigns(stmt: ast.stmt) -> bool:
    return any(
        isinstance(n, ast.Name) and n.id == "DATABASES" and isinstance(n.ctx, ast.Store)
        for n in ast.walk(stmt)
    )


def settings_database(source: str, env: Mapping[str, str]) -> SettingsDatabase | None:
    """The URL of ``DATABASES["default"]`` that ``source`` (a settings module) selects with ``env``;
    None when it has none, or when any part of it cannot be read for certain."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return None
    found: list[tuple[object, int]] = []
    _walk(tree.body, env, found)
    if not found:
        return None
    databases, line = found[-1]  # the last assignment taken wins, as when Python runs the file
    if not isinstance(databases, dict) or not isinstance(databases.get("default"), dict):
        return None
    default: dict[object, object] = databases["default"]
    scheme = _SCHEMES.get(str(default.get("ENGINE")))
    name = default.get("NAME")
    if scheme is None or not isinstance(name, str) or not name:
        return None
    if scheme == "sqlite":
        return SettingsDatabase(f"sqlite:///{name}", line)
    parts = {k: default.get(k) for k in ("USER", "PASSWORD", "HOST", "PORT")}
    if any(v is _Unknown for v in parts.values()):
        return None
    user, password, host, port = (str(v) if v not in (None, "") else "" for v in parts.values())
    auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    netloc = (auth + "@" if auth else "") + (host or "localhost") + (f":{port}" if port else "")
    return SettingsDatabase(f"{scheme}://{netloc}/{quote(name, safe='')}", line)


def settings_module(manage_py: Path) -> str:
    """``os.environ.setdefault("DJANGO_SETTINGS_MODULE", "…")`` of ``manage.py`` (syntax tree)."""
    try:
        tree = ast.parse(manage_py.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError, RecursionError):
        return ""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "setdefault"
            and len(node.args) == 2
            and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)
            and node.args[0].value == "DJANGO_SETTINGS_MODULE"  # type: ignore[attr-defined]
        ):
            return str(node.args[1].value)  # type: ignore[attr-defined]
    return ""
