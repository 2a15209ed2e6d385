"""Python extractor, on the standard library's ``ast`` (a real parser, so comments and strings
that merely mention a name are never references).

It tracks how ``os`` and its members are bound in the module — ``import os as o``,
``from os import getenv as ge``, ``env = os.environ`` — and reads:
``getenv(K[, d])``, ``environ[K]``, ``environ.get(K[, d])``, ``environ.setdefault(K, d)``,
``K in environ``, pydantic-settings fields (``class S(BaseSettings): name: str = "x"``, with
``env_prefix``, ``alias``/``validation_alias``), and flag-SDK calls with a literal key. Names built
by f-strings, ``+``, ``%`` or ``.format`` are reported as dynamic globs (``FEATURE_*``).
"""

from __future__ import annotations

import ast
import bisect
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

import ahocorasick_rs

from parity.code.context import MAIN_BLOCK
from parity.code.python_guards import PyCope, python_guards
from parity.code.refs import RawRef

# django-environ ``Env`` methods taking (var, default=...), and those that read a fixed variable.
ENV_METHODS = ("str", "bool", "int", "float", "list", "tuple", "dict", "json", "url", "path", "bytes")
ENV_URL_METHODS = {
    "db": "DATABASE_URL", "db_url": "DATABASE_URL", "cache": "CACHE_URL", "cache_url": "CACHE_URL",
    "email": "EMAIL_URL", "email_url": "EMAIL_URL", "search_url": "SEARCH_URL",
}  # fmt: skip

# method name → (SDK, index of the default argument or None). Keys are the first argument.
SDK_METHODS: dict[str, tuple[str, int | None]] = {
    "variation": ("LaunchDarkly", 2),
    "bool_variation": ("LaunchDarkly", 2),
    "boolVariation": ("LaunchDarkly", 2),
    "BoolVariation": ("LaunchDarkly", 2),
    "is_enabled": ("Unleash", None),
    "isEnabled": ("Unleash", None),
    "IsEnabled": ("Unleash", None),
    "get_boolean_value": ("OpenFeature", 1),
    "getBooleanValue": ("OpenFeature", 1),
    "is_on": ("GrowthBook", None),
    "isOn": ("GrowthBook", None),
    "IsOn": ("GrowthBook", None),
}


def dotted(node: ast.AST) -> str | None:
    """``os.environ`` → ``"os.environ"``; anything that is not a plain name chain → None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


@dataclass
class Bindings:
    """How this module spells ``os.environ`` and ``os.getenv``, and its string constants."""

    environ: set[str] = field(default_factory=set)
    getters: set[str] = field(default_factory=set)  # callables taking (key, default)
    constants: dict[str, str] = field(default_factory=dict)
    settings_bases: set[str] = field(default_factory=lambda: {"BaseSettings"})
    # python-decouple ``config`` and django-environ ``Env`` instances: (key, default=...) that raise
    # when the key is missing and no default is given.
    strict: set[str] = field(default_factory=set)
    env_classes: set[str] = field(default_factory=set)
    # class name → fields the module passes when it builds the class (``S(SECRET=…, **extra)``)
    given_fields: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, tree: ast.Module, stmts: list[ast.stmt] | None = None) -> Bindings:
        """Imports and assignments are statements: walking statements only is enough (and cheap)."""
        b = cls()
        stmts = stmts if stmts is not None else list(all_statements(tree.body))
        for node in stmts:
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name == "os":
                        b._add_os(a.asname or "os")
                    elif a.name == "decouple":
                        b.strict.add(f"{a.asname or a.name}.config")
                    elif a.name == "environ":
                        b.env_classes.add(f"{a.asname or a.name}.Env")
                    elif a.name in ("pydantic_settings", "pydantic"):
                        b.settings_bases.add(f"{a.asname or a.name}.BaseSettings")
            elif isinstance(node, ast.ImportFrom) and node.module in ("os", "posix"):
                for a in node.names:
                    if a.name == "environ":
                        b.environ.add(a.asname or a.name)
                    elif a.name == "getenv":
                        b.getters.add(a.asname or a.name)
            elif isinstance(node, ast.ImportFrom) and node.module in ("pydantic_settings", "pydantic"):
                for a in node.names:
                    if a.name == "BaseSettings":
                        b.settings_bases.add(a.asname or a.name)
            elif isinstance(node, ast.ImportFrom) and node.module == "decouple":
                b.strict.update(a.asname or a.name for a in node.names if a.name == "config")
            elif isinstance(node, ast.ImportFrom) and node.module == "environ":
                b.env_classes.update(a.asname or a.name for a in node.names if a.name == "Env")
        b._environ_getters()
        # ``class AppSettings(AppLoggingSettings)`` where ``AppLoggingSettings(BaseSettings)``: a
        # subclass of a settings class is one too (a few rounds settle chains in any order).
        classes = [n for n in stmts if isinstance(n, ast.ClassDef)]
        for _ in range(3):
            grew = False
            for c in classes:
                if c.name not in b.settings_bases and any(dotted(x) in b.settings_bases for x in c.bases):
                    b.settings_bases.add(c.name)
                    grew = True
            if not grew:
                break
        dicts = {
            n.targets[0].id: {
                k.value for k in n.value.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)
            }
            for n in stmts
            if isinstance(n, ast.Assign)
            and len(n.targets) == 1
            and isinstance(n.targets[0], ast.Name)
            and isinstance(n.value, ast.Dict)
        }
        for n in stmts:
            call = n.value if isinstance(n, ast.Assign | ast.Return | ast.Expr) else None
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id in b.settings_bases
            ):
                names = b.given_fields.setdefault(call.func.id, set())
                for kw in call.keywords:
                    if kw.arg is not None:
                        names.add(kw.arg)
                    elif isinstance(kw.value, ast.Name):
                        names |= dicts.get(kw.value.id, set())
        # Aliases by assignment (``env = os.environ``; ``get = env.get``) may chain; a few rounds settle them.
        assigns = [n for n in stmts if isinstance(n, ast.Assign) and len(n.targets) == 1]
        for _ in range(3):
            before = (len(b.environ), len(b.getters))
            for n in assigns:
                target = n.targets[0]
                if not isinstance(target, ast.Name):
                    continue
                if isinstance(n.value, ast.Call) and dotted(n.value.func) in b.env_classes:
                    b.strict.add(target.id)
                    b.strict.update(f"{target.id}.{m}" for m in ENV_METHODS)
                    continue
                src = dotted(n.value)
                if src in b.environ:
                    b.environ.add(target.id)
                elif src in b.getters:
                    b.getters.add(target.id)
            b._environ_getters()
            if (len(b.environ), len(b.getters)) == before:
                break
        for stmt in tree.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, str)
            ):
                b.constants[stmt.targets[0].id] = stmt.value.value
        return b

    def _add_os(self, name: str) -> None:
        self.environ.add(f"{name}.environ")
        self.getters.add(f"{name}.getenv")

    def _environ_getters(self) -> None:
        for e in list(self.environ):
            self.getters.update({f"{e}.get", f"{e}.setdefault"})

    def is_environ(self, node: ast.AST) -> bool:
        return dotted(node) in self.environ

    def is_getter(self, node: ast.AST) -> bool:
        return dotted(node) in self.getters


def name_of(node: ast.AST, b: Bindings) -> tuple[str, bool] | None:
    """The env name an expression evaluates to, and whether it is dynamic (then a glob)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, False
    if isinstance(node, ast.Name) and node.id in b.constants:
        return b.constants[node.id], False
    if isinstance(node, ast.JoinedStr):
        parts = [
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "*" for v in node.values
        ]
        return _glob(parts), True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = name_of(node.left, b), name_of(node.right, b)
        if left and right and not left[1] and not right[1]:
            return left[0] + right[0], False
        return _glob([left[0] if left else "*", right[0] if right else "*"]), True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant):
        return _glob([str(node.left.value).replace("%s", "*").replace("%d", "*")]), True
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
    ):
        import re

        return _glob([re.sub(r"\{[^}]*\}", "*", str(node.func.value.value))]), True
    return "*", True


def _glob(parts: list[str]) -> str:
    text = "".join(parts)
    while "**" in text:
        text = text.replace("**", "*")
    return text


def _literal(node: ast.AST) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value) if node.value is not None else "None"
    return ast.unparse(node)


def _arg(call: ast.Call, index: int, keyword: str) -> ast.AST | None:
    if len(call.args) > index and not isinstance(call.args[index], ast.Starred):
        return call.args[index]
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return None


def reads_in(node: ast.AST, b: Bindings) -> list[RawRef]:
    """Every env read and flag check inside ``node`` (a module, a function, an ``if`` test)."""
    return reads_among(ast.walk(node), b)


def is_read(node: ast.AST, b: Bindings) -> bool:
    """``os.getenv(…)``/``os.environ.get(…)`` or ``os.environ[…]`` (a load) under ``b``."""
    if isinstance(node, ast.Call):
        return b.is_getter(node.func)
    return isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and b.is_environ(node.value)


def _coped(ref: RawRef, cope: PyCope | None) -> RawRef:
    if cope is None:
        return ref
    if ref.has_default:
        return replace(ref, boolean=ref.boolean or cope.boolean)
    if cope.crashes:
        return replace(ref, crashes=True, boolean=cope.boolean)
    if cope.default is not None or cope.guarded or cope.caught:
        return replace(ref, default=cope.default, has_default=True, crashes=False, boolean=cope.boolean)
    return replace(ref, boolean=cope.boolean)


def reads_among(
    nodes: Iterable[ast.AST], b: Bindings, guards: dict[int, PyCope] | None = None
) -> list[RawRef]:
    """The reads among ``nodes``; ``guards`` (:func:`python_guards`) says how each copes when unset."""
    guards = guards or {}
    out: list[RawRef] = []
    for n in nodes:
        if isinstance(n, ast.Call):
            out.extend(_coped(r, guards.get(id(n))) for r in _call(n, b))
        elif isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load) and b.is_environ(n.value):
            nm = name_of(n.slice, b)
            if nm:
                ref = RawRef(nm[0], n.lineno, f"{dotted(n.value)}[]", crashes=True, dynamic=nm[1])
                out.append(_coped(ref, guards.get(id(n))))
        elif isinstance(n, ast.Compare) and len(n.ops) == 1 and isinstance(n.ops[0], ast.In | ast.NotIn):
            if b.is_environ(n.comparators[0]):
                nm = name_of(n.left, b)
                if nm:
                    out.append(
                        RawRef(
                            nm[0], n.lineno, f"in {dotted(n.comparators[0])}", has_default=True, dynamic=nm[1]
                        )
                    )
        elif isinstance(n, ast.ClassDef):
            out.extend(_settings_fields(n, b))
    return out


def _call(n: ast.Call, b: Bindings) -> list[RawRef]:
    func = dotted(n.func)
    if func is not None and b.strict:
        owner, _, method = func.rpartition(".")
        if func in b.strict:
            return _strict_call(n, b, func)
        if owner in b.strict and method in ENV_URL_METHODS and not n.args:
            url_default = next((k.value for k in n.keywords if k.arg == "default"), None)
            return [
                RawRef(
                    ENV_URL_METHODS[method],
                    n.lineno,
                    f"django-environ {method}",
                    default=_literal(url_default) if url_default is not None else None,
                    has_default=url_default is not None,
                    crashes=url_default is None,
                )
            ]
    if b.is_getter(n.func):
        key = _arg(n, 0, "key")
        if key is None:
            return []
        nm = name_of(key, b)
        if nm is None:
            return []
        default = _arg(n, 1, "default")
        return [
            RawRef(
                nm[0],
                n.lineno,
                dotted(n.func) or "getenv",
                default=_literal(default) if default is not None else None,
                has_default=default is not None,
                dynamic=nm[1],
            )
        ]
    if isinstance(n.func, ast.Attribute) and n.func.attr in SDK_METHODS and n.args:
        first = n.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            sdk, index = SDK_METHODS[n.func.attr]
            default = n.args[index] if index is not None and len(n.args) > index else None
            if default is None:
                for kw in n.keywords:
                    if kw.arg in ("default", "default_value", "fallback"):
                        default = kw.value
            return [
                RawRef(
                    first.value,
                    n.lineno,
                    f"{sdk} {n.func.attr}",
                    kind="sdk",
                    default=_literal(default) if default is not None else None,
                    has_default=default is not None,
                )
            ]
    return []


@dataclass(frozen=True, slots=True)
class SettingsField:
    """One field of a pydantic-settings class and the env var that fills it."""

    field: str
    env: str
    line: int
    annotation: str
    default: ast.AST | None
    has_default: bool


def settings_fields(cls: ast.ClassDef, b: Bindings) -> list[SettingsField]:
    """The fields of ``cls`` when it derives from ``BaseSettings`` (else none)."""
    if not any(dotted(base) in b.settings_bases for base in cls.bases):
        return []
    prefix, case_sensitive = "", False
    for stmt in cls.body:
        # pydantic-settings v2: model_config = SettingsConfigDict(env_prefix=...); v1: class Config.
        is_config = isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "model_config" for t in stmt.targets
        )
        if is_config and isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
            for kw in stmt.value.keywords:
                if kw.arg == "env_prefix" and isinstance(kw.value, ast.Constant):
                    prefix = str(kw.value.value)
                if kw.arg == "case_sensitive" and isinstance(kw.value, ast.Constant):
                    case_sensitive = bool(kw.value.value)
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
            for s in stmt.body:
                if isinstance(s, ast.Assign) and isinstance(s.value, ast.Constant):
                    for t in s.targets:
                        if isinstance(t, ast.Name) and t.id == "env_prefix":
                            prefix = str(s.value.value)
                        if isinstance(t, ast.Name) and t.id == "case_sensitive":
                            case_sensitive = bool(s.value.value)
    out: list[SettingsField] = []
    for stmt in cls.body:
        if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
            continue
        fname = stmt.target.id
        annotation = ast.unparse(stmt.annotation)
        if fname.startswith("_") or fname == "model_config" or "ClassVar" in annotation:
            continue
        env_name = prefix + fname
        default: ast.AST | None = stmt.value
        has_default = stmt.value is not None
        if isinstance(stmt.value, ast.Call) and dotted(stmt.value.func) in ("Field", "pydantic.Field"):
            call = stmt.value
            default = call.args[0] if call.args else None
            has_default = default is not None
            for kw in call.keywords:
                if kw.arg in ("alias", "validation_alias", "env") and isinstance(kw.value, ast.Constant):
                    env_name = str(kw.value.value)
                elif kw.arg == "default":
                    default, has_default = kw.value, True
                elif kw.arg == "default_factory":
                    default, has_default = None, True
            if isinstance(default, ast.Constant) and default.value is Ellipsis:
                default, has_default = None, False
        if not case_sensitive:
            env_name = env_name.upper()
        out.append(SettingsField(fname, env_name, stmt.lineno, annotation, default, has_default))
    return out


def _strict_call(n: ast.Call, b: Bindings, func: str) -> list[RawRef]:
    key = _arg(n, 0, "var") or _arg(n, 0, "option")
    nm = name_of(key, b) if key is not None else None
    if nm is None:
        return []
    default = next((k.value for k in n.keywords if k.arg == "default"), None)
    if default is None and "." in func and func.rsplit(".", 1)[1] in ENV_METHODS:
        default = n.args[1] if len(n.args) > 1 else None  # env.bool("X", False)
    return [
        RawRef(
            nm[0],
            n.lineno,
            func,
            default=_literal(default) if default is not None else None,
            has_default=default is not None,
            crashes=default is None,
            dynamic=nm[1],
        )
    ]


def keywords_passed(text: str, classes: frozenset[str]) -> dict[str, set[str]]:
    """The keyword arguments each of ``classes`` is called with in a module (``Settings(X=…)``,
    ``settings.Settings(X=…)``); a module that does not parse passes nothing."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return {}
    out: dict[str, set[str]] = {}
    for n in ast.walk(tree):
        if not isinstance(n, ast.Call):
            continue
        f = n.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
        if name in classes:
            out.setdefault(name, set()).update(kw.arg for kw in n.keywords if kw.arg is not None)
    return out


def _settings_fields(cls: ast.ClassDef, b: Bindings) -> list[RawRef]:
    given = b.given_fields.get(cls.name, set())
    return [
        RawRef(
            f.env,
            f.line,
            f"pydantic-settings {cls.name}.{f.field}",
            default=_literal(f.default) if f.default is not None and f.has_default else None,
            # ``AppSettings(SECRET=generate(...))``: the module passes it, the env need not.
            has_default=f.has_default or f.field in given,
            crashes=not (f.has_default or f.field in given),
        )
        for f in settings_fields(cls, b)
    ]


# Bodies of compound statements, walked one statement at a time.
_BODIES = ("body", "orelse", "finalbody")
# What a compound statement holds besides its bodies (its "header").
_HEADERS: dict[type, tuple[str, ...]] = {
    ast.If: ("test",), ast.While: ("test",), ast.For: ("target", "iter"), ast.AsyncFor: ("target", "iter"),
    ast.With: ("items",), ast.AsyncWith: ("items",), ast.FunctionDef: ("decorator_list", "args", "returns"),
    ast.AsyncFunctionDef: ("decorator_list", "args", "returns"), ast.ClassDef: ("decorator_list", "bases", "keywords"),
    ast.Try: (), ast.Match: ("subject",),
}  # fmt: skip
if hasattr(ast, "TryStar"):
    _HEADERS[ast.TryStar] = ()
# Text that every read or flag check contains: a line without any of them holds none.
_TRIGGER = re.compile(r"env|Env|ENV|Settings|ariation|nabled|oolean|sOn|s_on")


def all_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    for stmt in body:
        yield stmt
        for name in _BODIES:
            yield from all_statements(getattr(stmt, name, None) or [])
        for h in getattr(stmt, "handlers", None) or []:
            yield from all_statements(h.body)
        for case in getattr(stmt, "cases", None) or []:
            yield from all_statements(case.body)


def _lines_of(text: str, pattern: re.Pattern[str] | None = None) -> set[int]:
    """Lines holding a match of ``pattern`` (default: a trigger word, found by Aho-Corasick)."""
    if pattern is None:
        offsets = [start for _, start, _ in _trigger_automaton().find_matches_as_indexes(text)]
    else:
        offsets = [m.start() for m in pattern.finditer(text)]
    lines: set[int] = set()
    line, pos = 1, 0
    for off in offsets:
        line += text.count("\n", pos, off)
        pos = off
        lines.add(line)
    return lines


@functools.cache
def _trigger_automaton() -> ahocorasick_rs.AhoCorasick:
    words = ["env", "Env", "ENV", "Settings", "ariation", "nabled", "oolean", "sOn", "s_on"]
    return ahocorasick_rs.AhoCorasick(words, matchkind=ahocorasick_rs.MATCHKIND_LEFTMOST_FIRST)


def _touches(lines: list[int], start: int, end: int) -> bool:
    i = bisect.bisect_left(lines, start)
    return i < len(lines) and lines[i] <= end


def _candidate_nodes(stmts: list[ast.stmt], line_set: set[int]) -> Iterator[ast.AST]:
    """Nodes of the statements (or statement headers) that touch one of ``lines``."""
    lines = sorted(line_set)
    for stmt in stmts:
        header = _HEADERS.get(type(stmt))
        if header is None:
            end = stmt.end_lineno or stmt.lineno
            if _touches(lines, stmt.lineno, end):
                yield from ast.walk(stmt)
            continue
        first_body = getattr(stmt, "body", None)
        end = first_body[0].lineno - 1 if first_body else (stmt.end_lineno or stmt.lineno)
        start = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", []))])
        if not _touches(lines, start, max(end, stmt.lineno)):
            continue
        if isinstance(stmt, ast.ClassDef):
            yield stmt  # pydantic-settings fields are read from the class itself
        for name in header:
            value = getattr(stmt, name, None)
            for part in value if isinstance(value, list) else [value]:
                if part is not None:
                    yield from ast.walk(part)
        for h in getattr(stmt, "handlers", None) or []:
            if h.type is not None:
                yield from ast.walk(h.type)


_TOP_LEVEL = re.compile(r"^(?![ \t#)\]}]|$|else\b|elif\b|except\b|finally\b|case\b)", re.M)
_CONST = re.compile(r"[A-Za-z_]\w*\s*=\s*[rbuRBU]?[\"']")


def _reduced(text: str, lines: set[int]) -> str | None:
    """``text`` with every top-level statement that touches none of ``lines`` (and imports nothing,
    and binds no string constant) blanked out, keeping line numbers. None when nothing is dropped.

    Parsing is most of the cost of a Python file; a module's reads sit in a few statements. Chunk
    boundaries come from the text (a line starting in column 0, outside a triple-quoted string); when
    that guess is wrong the reduced text does not parse and the caller parses the whole module.
    """
    starts = [m.start() for m in _TOP_LEVEL.finditer(text)]
    if len(starts) < 8:
        return None
    # Drop boundaries that fall inside a triple-quoted string (counted naively, good enough to guess).
    chunks: list[tuple[int, int]] = []
    if '"""' not in text and "'''" not in text:
        bounds = starts if starts[0] == 0 else [0, *starts]
        chunks = list(zip(bounds, [*bounds[1:], len(text)], strict=True))
    else:
        begin, open_quote = 0, False
        for a, b in zip(starts, [*starts[1:], len(text)], strict=True):
            if not open_quote and a != begin:
                chunks.append((begin, a))
                begin = a
            if (text.count('"""', a, b) + text.count("'''", a, b)) % 2:
                open_quote = not open_quote
        chunks.append((begin, len(text)))
    keep_lines = sorted(lines)
    out: list[str] = []
    line, dropped = 1, False
    for a, b in chunks:
        piece = text[a:b]
        n = piece.count("\n")
        i = bisect.bisect_left(keep_lines, line)
        keep = i < len(keep_lines) and keep_lines[i] <= line + n
        keep = keep or "import" in piece or _CONST.match(piece) is not None
        if keep:
            out.append(piece)
        else:
            out.append("\n" * n)
            dropped = True
        line += n
    return "".join(out) if dropped else None


def python_references(text: str) -> list[RawRef]:
    """All references in a Python module's source. Raises ``SyntaxError`` when it does not parse.

    Only statements on lines that mention a trigger (``env``, ``Settings``, an SDK method) — or an
    alias the module binds to ``os.environ``/``os.getenv`` — are walked: most of a module is skipped.
    """
    lines = _lines_of(text)
    tree: ast.Module | None = None
    small = _reduced(text, lines)
    if small is not None:
        try:
            tree = ast.parse(small)
        except SyntaxError:
            tree = None
    full = tree is None
    if tree is None:
        tree = ast.parse(text)
    stmts = list(all_statements(tree.body))
    b = Bindings.of(tree, stmts)
    aliases = {n for n in b.environ | b.getters if "." not in n} | {n.split(".")[0] for n in b.strict}
    aliases = {n for n in aliases if not _TRIGGER.search(n)}
    if aliases:
        lines |= _lines_of(text, re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(aliases))) + r")\b"))
        if not full:
            # Aliases (``e = os.environ``) are used on lines the first reduction may have dropped.
            tree = ast.parse(text)
            stmts = list(all_statements(tree.body))
    nodes = list(_candidate_nodes(stmts, lines))
    refs = reads_among(nodes, b, python_guards(nodes, stmts, lambda n: is_read(n, b)))
    blocks = _main_blocks(tree)
    if blocks:
        refs = [replace(r, context=MAIN_BLOCK) if _within(r.line, blocks) else r for r in refs]
    return refs


def _main_blocks(tree: ast.Module) -> list[tuple[int, int]]:
    """Line ranges of the module's ``if __name__ == "__main__":`` blocks: code there runs only when
    the file is started as a script, never when a server (gunicorn, uvicorn) imports the module."""
    out = []
    for stmt in tree.body:
        if not isinstance(stmt, ast.If):
            continue
        t = stmt.test
        if (
            isinstance(t, ast.Compare)
            and isinstance(t.left, ast.Name)
            and t.left.id == "__name__"
            and len(t.ops) == 1
            and isinstance(t.ops[0], ast.Eq)
            and isinstance(t.comparators[0], ast.Constant)
            and t.comparators[0].value == "__main__"
        ):
            out.append((stmt.body[0].lineno, stmt.end_lineno or stmt.lineno))
    return out


def _within(line: int, blocks: list[tuple[int, int]]) -> bool:
    return any(a <= line <= b for a, b in blocks)
