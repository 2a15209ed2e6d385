"""``parity why SYMBOL``: where a symbol is defined, what makes it reachable, and the switch that is off.

This module reads Python (by ``ast``); TypeScript/JavaScript and Go symbols are answered by
:mod:`parity.code.why_tree` (tree-sitter) with the same result (:mod:`parity.code.why_result`).
In Python, SYMBOL is a function, method (``Class.method`` or ``method``), class, route
path (``/exports``) or CLI command name (``export-orders``). The chain is built from

* the definition, its enclosing ``if`` blocks (an ``else`` branch counts as the negated test) and its
  decorators (``@app.get("/x")``, ``@app.command()``);
* registration calls that pass the symbol as an argument anywhere in the project
  (``router.add("/x", fn)``, ``path("x/", views.fn)`` in ``urlpatterns``, ``app.command()(fn)``) and
  the ``if`` blocks around them;
* for a decorator on a router/blueprint/typer object, the calls that mount that object
  (``app.include_router(router)``, ``app.register_blueprint(bp)``, ``app.add_typer(sub)``) and their ``if`` blocks.

Each condition is evaluated against the target environment's effective env of the service the file
belongs to, by a small evaluator that understands env reads, string methods, comparisons, boolean
operators and module-level names (anything else reads as *unknown*, never guessed). A false
condition is **the switch**; the fix is the value that makes it true, found by trying it.
"""

from __future__ import annotations

import ast
import difflib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parity.code.audit import fix_file as audit_fix_file
from parity.code.files import source_files
from parity.code.python_refs import Bindings, SettingsField, dotted, name_of, reads_in, settings_fields
from parity.code.refs import SYSTEM_VARS
from parity.code.scan import MAX_BYTES, project_services, service_of
from parity.code.why_result import Blocker, KeyState, Step, WhyResult
from parity.code.words import WordIndex
from parity.env.clip import clip
from parity.env.layers import EnvFiles, effective_env
from parity.env.secrets import display_value
from parity.errors import FileRefused, ParityError
from parity.project import normalize_environment
from parity.safefs import open_beneath

if TYPE_CHECKING:
    from parity.model.env import EffectiveEnv, EnvValue
    from parity.model.findings import Section
    from parity.project import EnvLayer, Project

MOUNT_METHODS = frozenset(
    {"include_router", "register_blueprint", "add_typer", "mount", "include", "add_router"}
)
_CANDIDATES = ("true", "1", "yes", "on", "enabled")


class SymbolNotFound(ParityError):
    """No definition, route or command of that name in the project's Python code."""


class Unknown(Exception):
    """The evaluator cannot decide an expression statically."""


@dataclass
class Module:
    rel: str
    tree: ast.Module
    bindings: Bindings
    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)
    assigns: dict[str, ast.expr] = field(default_factory=dict)
    functions: set[str] = field(default_factory=set)  # module-level ``def`` names
    imported_settings: set[str] = field(default_factory=set)  # ``from app.settings import X``
    imports: dict[str, str] | None = None  # alias → module path, filled by ``_imported_as``
    _calls: tuple[dict[str, list[ast.Call]], dict[str, list[ast.Call]]] | None = None
    _defs: dict[str, list[ast.AST]] | None = None

    def _index_calls(self) -> tuple[dict[str, list[ast.Call]], dict[str, list[ast.Call]]]:
        """The module's calls by the names they call and by the names their arguments hand on,
        in walk order: the edges of the call graph, found in one walk and kept for the run."""
        if self._calls is None:
            callee: dict[str, list[ast.Call]] = {}
            handed: dict[str, list[ast.Call]] = {}
            for node in ast.walk(self.tree):
                if not isinstance(node, ast.Call):
                    continue
                f = node.func
                if isinstance(f, ast.Name):
                    callee.setdefault(f.id, []).append(node)
                elif isinstance(f, ast.Attribute) and dotted(f) is not None:
                    callee.setdefault(f.attr, []).append(node)
                names: set[str] = set()
                for top in [*node.args, *(k.value for k in node.keywords)]:
                    for a in _spread(top):
                        path = dotted(a.func if isinstance(a, ast.Call) else a)
                        if path is not None:
                            names.update(path.split("."))
                for n in names:
                    handed.setdefault(n, []).append(node)
            self._calls = (callee, handed)
        return self._calls

    def calls_of(self, name: str) -> list[ast.Call]:
        """``name(...)`` and ``x.name(...)`` calls."""
        return self._index_calls()[0].get(name, [])

    def calls_handing(self, name: str) -> list[ast.Call]:
        """Calls with an argument that names ``name`` (``router.add("/x", views.name)``)."""
        return self._index_calls()[1].get(name, [])

    def defined(self, name: str) -> list[ast.AST]:
        """The ``def``/``class`` nodes called ``name``, anywhere in the module, in walk order."""
        if self._defs is None:
            self._defs = {}
            for n in ast.walk(self.tree):
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    self._defs.setdefault(n.name, []).append(n)
        return self._defs.get(name, [])

    @classmethod
    def parse(cls, rel: str, text: str) -> Module:
        tree = ast.parse(text)
        m = cls(rel, tree, Bindings.of(tree))
        for stmt in tree.body:
            if isinstance(stmt, ast.FunctionDef):
                m.functions.add(stmt.name)
            elif isinstance(stmt, ast.ImportFrom) and (stmt.module or "").rsplit(".", 1)[-1] in (
                "settings",
                "config",
            ):
                m.imported_settings.update(a.asname or a.name for a in stmt.names)
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                m.parents[child] = node
        for stmt in tree.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
            ):
                m.assigns[stmt.targets[0].id] = stmt.value
        return m


def _read_source_bytes(root: str, rel: str) -> bytes | None:
    """A source file's bytes through safefs (a link out of the repository or a FIFO is never read);
    None when it cannot be read or is over the scanner's limit."""
    try:
        fd, st = open_beneath(root, rel)
    except (OSError, FileRefused):
        return None
    try:
        return os.read(fd, MAX_BYTES + 1) if st.st_size <= MAX_BYTES else None
    except OSError:
        return None
    finally:
        os.close(fd)


class Corpus:
    """The project's Python files, parsed on demand; a bytes search keeps most of them unparsed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = sorted(rel for rel, lang in source_files(root) if lang == "python")
        self._data: dict[str, bytes | None] = {}
        self._parsed: dict[str, Module | None] = {}
        self._words = WordIndex(self.files, self._bytes, _WORD_BYTES)

    def _bytes(self, rel: str) -> bytes | None:
        if rel not in self._data:
            self._data[rel] = _read_source_bytes(str(self.root), rel)
        return self._data[rel]

    def module(self, rel: str) -> Module | None:
        if rel not in self._parsed:
            data = self._bytes(rel)
            try:
                self._parsed[rel] = Module.parse(rel, data.decode("utf-8")) if data is not None else None
            except (SyntaxError, UnicodeDecodeError, ValueError, RecursionError):
                self._parsed[rel] = None
        return self._parsed[rel]

    def containing(self, *needles: str) -> Iterator[Module]:
        if needles and all(_WORD.fullmatch(n) for n in needles):
            yield from self._with_words(needles)
            return
        raw = [n.encode() for n in needles if n]
        for rel in self.files:
            data = self._bytes(rel)
            if data is not None and any(n in data for n in raw):
                m = self.module(rel)
                if m is not None:
                    yield m

    def _with_words(self, words: tuple[str, ...]) -> Iterator[Module]:
        """The modules that hold one of ``words`` as a whole word, in file order."""
        for i in self._words.positions(words):
            m = self.module(self.files[i])
            if m is not None:
                yield m


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORD_BYTES = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def _line_text(node: ast.AST, limit: int = 100) -> str:
    text = (
        ast.unparse(node).splitlines()[0]
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        else ""
    )
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        text = f"def {node.name}({ast.unparse(node.args)})"
    elif isinstance(node, ast.ClassDef):
        text = f"class {node.name}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------- finding


def _definitions(corpus: Corpus, symbol: str) -> list[tuple[Module, ast.AST, list[ast.Call]]]:
    """``(module, def node, registration calls naming it by a route/command literal)``."""
    found: list[tuple[Module, ast.AST, list[ast.Call]]] = []
    if symbol.startswith("/"):
        variants = {
            symbol,
            symbol.rstrip("/") or "/",
            symbol + "/",
            symbol.lstrip("/"),
            symbol.strip("/") + "/",
        }
        for m in corpus.containing(symbol.strip("/") or "/"):
            for node in ast.walk(m.tree):
                if not isinstance(node, ast.Call):
                    continue
                if not any(isinstance(a, ast.Constant) and a.value in variants for a in node.args):
                    continue
                parent = m.parents.get(node)
                if (
                    isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                    and node in parent.decorator_list
                ):
                    found.append((m, parent, []))
                    continue
                for arg in [*node.args[1:], *(k.value for k in node.keywords)]:
                    # ``views.export``, or ``views.Export.as_view()``: the last part that is defined.
                    handler = dotted(arg.func if isinstance(arg, ast.Call) else arg)
                    for part in reversed((handler or "").split(".")):
                        handlers = _definitions(corpus, part) if part.isidentifier() else []
                        found.extend((hm, hnode, [node]) for hm, hnode, _ in handlers)
                        if handlers:
                            break
        return found
    cls_name, _, name = symbol.rpartition(".")
    names = {name, name.replace("-", "_")}
    for m in corpus.containing(*names):
        for node in [n for name_ in sorted(names) for n in m.defined(name_)]:
            parent = m.parents.get(node)
            if cls_name and not (
                isinstance(parent, ast.ClassDef) and parent.name == cls_name.rsplit(".", 1)[-1]
            ):
                continue
            found.append((m, node, []))
    # CLI commands named explicitly: @app.command("export-orders").
    for m in corpus.containing(symbol):
        for node in ast.walk(m.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name not in names:
                for d in node.decorator_list:
                    if (
                        isinstance(d, ast.Call)
                        and d.args
                        and isinstance(d.args[0], ast.Constant)
                        and d.args[0].value == symbol
                    ):
                        found.append((m, node, []))
    return found


def _all_names(corpus: Corpus) -> list[str]:
    names: set[str] = set()
    for rel in corpus.files:
        m = corpus.module(rel)
        if m is None:
            continue
        for node in ast.walk(m.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif (
                (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and node.value.startswith("/")
                )
                and 1 < len(node.value) < 60
                and " " not in node.value
            ):
                names.add(node.value)
    return sorted(names)


# ---------------------------------------------------------------------------------------------- evaluating


class SettingsIndex(dict[str, dict[str, SettingsField]]):
    """Instance name (``settings`` in ``settings = Settings()``) → field → its env var; ``modules``
    holds the upper-case names a settings module assigns (``SHELL_ENABLED = envbool(...)`` in a
    ``settings.py``), read as ``settings.SHELL_ENABLED`` (Django) or a name imported from it."""

    def __init__(self) -> None:
        super().__init__()
        self.modules: dict[str, tuple[Module, ast.expr]] = {}


def _is_settings_module(rel: str) -> bool:
    parts = rel.split("/")
    return parts[-1] in ("settings.py", "config.py") or (len(parts) > 1 and parts[-2] == "settings")


def settings_index(corpus: Corpus) -> SettingsIndex:
    """Module-level instances of pydantic-settings classes anywhere in the project, by name.

    ``if settings.enable_exports:`` is then read as the env var that fills the field. Matching by
    the instance's name across modules is a guess (imports are not resolved); names are rarely reused.
    """
    index = SettingsIndex()
    for m in corpus.containing("BaseSettings"):
        classes = {
            n.name: {f.field: f for f in settings_fields(n, m.bindings)}
            for n in ast.walk(m.tree)
            if isinstance(n, ast.ClassDef)
        }
        for name, value in m.assigns.items():
            if (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and classes.get(value.func.id)
            ):
                index[name] = classes[value.func.id]
    # Shallow settings modules first, so that a project's own settings.py wins over a test one.
    for rel in sorted((r for r in corpus.files if _is_settings_module(r)), key=lambda r: (r.count("/"), r)):
        if "/test" in "/" + rel:
            continue
        sm = corpus.module(rel)
        if sm is None:
            continue
        for name, value in sm.assigns.items():
            if name.isupper():
                index.modules.setdefault(name, (sm, value))
        # ``class Config: CLEANUP_ENABLED = ...`` read as ``Config.CLEANUP_ENABLED``.
        for cls in sm.tree.body:
            if isinstance(cls, ast.ClassDef):
                for stmt in cls.body:
                    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                        t = stmt.targets[0]
                        if isinstance(t, ast.Name) and t.id.isupper():
                            index.modules.setdefault(f"{cls.name}.{t.id}", (sm, stmt.value))
    return index


def _module_setting(node: ast.AST, index: SettingsIndex, module: Module) -> tuple[Module, ast.expr] | None:
    """``settings.X`` (any object named ``settings``) or a bare ``X`` imported from a settings module."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        if node.value.id == "settings":
            return index.modules.get(node.attr)
        return index.modules.get(f"{node.value.id}.{node.attr}")
    if isinstance(node, ast.Name) and node.id not in module.assigns and node.id in module.imported_settings:
        return index.modules.get(node.id)
    return None


def _rejected(mod: tuple[Module, ast.expr], env: dict[str, str]) -> tuple[str, str, str] | None:
    """``(key, value, helper)`` when a helper like ``envbool`` would raise on the env value: its
    body tests ``if v not in ("", "True", "False"): raise`` and the value is not one of those."""
    sm, expr = mod
    read = _helper_read(sm, expr) if isinstance(expr, ast.Call) else None
    if read is None or read[0] not in env or not isinstance(expr, ast.Call):
        return None
    fname = dotted(expr.func) or ""
    for fn in sm.tree.body:
        if not (isinstance(fn, ast.FunctionDef) and fn.name == fname):
            continue
        for n in ast.walk(fn):
            if (
                isinstance(n, ast.If)
                and any(isinstance(b, ast.Raise) for b in n.body)
                and isinstance(n.test, ast.Compare)
                and len(n.test.ops) == 1
                and isinstance(n.test.ops[0], ast.NotIn)
                and isinstance(n.test.comparators[0], ast.Tuple | ast.List | ast.Set)
            ):
                allowed = [c.value for c in n.test.comparators[0].elts if isinstance(c, ast.Constant)]
                if env[read[0]] not in allowed:
                    return read[0], env[read[0]], fname
    return None


def _helper_read(module: Module, node: ast.Call) -> tuple[str, ast.expr | None, str] | None:
    """``envbool("X", "False")``: a call to a function of the same module whose first argument is an
    upper-case string reads as an env read of X with that default, cast by the helper's name."""
    if not (isinstance(node.func, ast.Name) and node.func.id in module.functions and node.args):
        return None
    first = node.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.isupper()):
        return None
    default = node.args[1] if len(node.args) > 1 else None
    for kw in node.keywords:
        if kw.arg == "default":
            default = kw.value
    fname = node.func.id.lower()
    kind = "bool" if "bool" in fname else "int" if "int" in fname else ""
    return first.value, default, kind


def _settings_attr(node: ast.AST, index: SettingsIndex) -> SettingsField | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in index:
        return index[node.value.id].get(node.attr)
    return None


_PYDANTIC_TRUE = {"1", "true", "yes", "on", "t", "y"}
_PYDANTIC_FALSE = {"0", "false", "no", "off", "f", "n"}


def _settings_value(f: SettingsField, env: dict[str, str]) -> Any:
    """What pydantic would put in the field, for the types a switch uses (bool, int, str)."""
    raw = env.get(f.env)
    if raw is None:
        if not f.has_default or f.default is None:
            raise Unknown  # required and missing: the app fails at start-up (reported as a missing key)
        try:
            return ast.literal_eval(f.default)
        except ValueError:
            raise Unknown from None
    kind = (
        "bool"
        if re.search(r"\bbool\b", f.annotation)
        else "int"
        if re.search(r"\bint\b", f.annotation)
        else ""
    )
    return _cast(raw, kind)


def _cast(raw: str, kind: str | None) -> Any:
    """``raw`` as a settings library turns it into ``bool`` or ``int`` (else the string itself)."""
    if kind == "bool":
        v = raw.strip().lower()
        if v in _PYDANTIC_TRUE:
            return True
        if v in _PYDANTIC_FALSE:
            return False
        raise Unknown
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise Unknown from None
    return raw


_STR_METHODS = {"lower", "upper", "strip", "lstrip", "rstrip", "casefold", "title"}


class Evaluator:
    """Evaluate a condition with ``env`` as the process environment; raise :class:`Unknown` when unsure."""

    def __init__(self, module: Module, env: dict[str, str], settings: SettingsIndex | None = None) -> None:
        self.m, self.env = module, env
        self.settings = settings if settings is not None else SettingsIndex()
        self.depth = 0

    def __call__(self, node: ast.AST) -> Any:
        self.depth += 1
        try:
            if self.depth > 40:
                raise Unknown
            return self._eval(node)
        finally:
            self.depth -= 1

    def _name(self, node: ast.AST) -> str:
        nm = name_of(node, self.m.bindings)
        if nm is None or nm[1]:
            raise Unknown
        return nm[0]

    def _strict(self, node: ast.Call, func: str) -> Any:
        """python-decouple ``config(K, default=, cast=)`` and django-environ ``env.bool(K, default=)``."""
        key = self._name(node.args[0])
        kws = {k.arg: k.value for k in node.keywords if k.arg}
        method = func.rsplit(".", 1)[1] if "." in func else ""
        default = kws.get("default", node.args[1] if method and len(node.args) > 1 else None)
        if key not in self.env:
            if default is None:
                raise Unknown  # raises at start-up: reported as a missing key
            return self(default)
        return _cast(self.env[key], dotted(kws["cast"]) if "cast" in kws else method)

    def _eval(self, node: ast.AST) -> Any:
        b = self.m.bindings
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return [self(e) for e in node.elts]
        if isinstance(node, ast.Call):
            func = dotted(node.func)
            if func is not None and func in b.strict and node.args:
                return self._strict(node, func)
            if b.is_getter(node.func):
                key = self._name(
                    node.args[0] if node.args else next(k.value for k in node.keywords if k.arg == "key")
                )
                default: ast.AST | None = node.args[1] if len(node.args) > 1 else None
                for kw in node.keywords:
                    if kw.arg == "default":
                        default = kw.value
                return self.env[key] if key in self.env else (self(default) if default is not None else None)
            helper = _helper_read(self.m, node)
            if helper is not None:
                key, default, kind = helper
                if key in self.env:
                    return _cast(self.env[key], kind)
                raw = self(default) if default is not None else None
                return _cast(raw, kind) if isinstance(raw, str) else raw
            if isinstance(node.func, ast.Attribute) and node.func.attr in _STR_METHODS and not node.args:
                v = self(node.func.value)
                if not isinstance(v, str):
                    raise Unknown
                return getattr(v, node.func.attr)()
            if (
                isinstance(node.func, ast.Name)
                and node.func.id in ("bool", "str", "int")
                and len(node.args) == 1
            ):
                v = self(node.args[0])
                try:
                    return {"bool": bool, "str": str, "int": int}[node.func.id](v)
                except (TypeError, ValueError):
                    raise Unknown from None
            raise Unknown
        if isinstance(node, ast.Subscript) and b.is_environ(node.value):
            key = self._name(node.slice)
            if key not in self.env:
                raise Unknown  # KeyError at run time: reported as a missing key, not as a value
            return self.env[key]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return not self(node.operand)
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                result: Any = True
                for v in node.values:
                    result = self(v)
                    if not result:
                        return result
                return result
            for v in node.values:
                result = self(v)
                if result:
                    return result
            return result
        if isinstance(node, ast.Compare):
            left = self(node.left)
            for op, comp in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, ast.In | ast.NotIn) and b.is_environ(comp):
                    ok = self._name(node.left) in self.env
                    ok = ok if isinstance(op, ast.In) else not ok
                    if not ok:
                        return False
                    continue
                right = self(comp)
                ok = _compare(op, left, right)
                if not ok:
                    return False
                left = right
            return True
        field_ = _settings_attr(node, self.settings)
        if field_ is not None:
            return _settings_value(field_, self.env)
        mod = _module_setting(node, self.settings, self.m)
        if mod is not None:
            return Evaluator(mod[0], self.env, self.settings)(mod[1])
        if isinstance(node, ast.Name):
            if node.id in self.m.assigns:
                return self(self.m.assigns[node.id])
            if node.id in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[node.id]
        raise Unknown


def _compare(op: ast.cmpop, a: Any, b: Any) -> bool:
    try:
        if isinstance(op, ast.Eq):
            return bool(a == b)
        if isinstance(op, ast.NotEq):
            return bool(a != b)
        if isinstance(op, ast.In):
            return bool(a in b)
        if isinstance(op, ast.NotIn):
            return bool(a not in b)
        if isinstance(op, ast.Is):
            return a is b
        if isinstance(op, ast.IsNot):
            return a is not b
        if isinstance(op, ast.Lt):
            return bool(a < b)
        if isinstance(op, ast.LtE):
            return bool(a <= b)
        if isinstance(op, ast.Gt):
            return bool(a > b)
        if isinstance(op, ast.GtE):
            return bool(a >= b)
    except TypeError:
        pass
    raise Unknown


def _keys_in(
    module: Module,
    node: ast.AST,
    settings: SettingsIndex | None = None,
    seen: set[str] | None = None,
    seen_ids: set[int] | None = None,
) -> list[str]:
    """Env keys a condition depends on, following module-level names and settings fields it mentions."""
    seen = seen if seen is not None else set()
    seen_ids = seen_ids if seen_ids is not None else set()
    keys = [r.name for r in reads_in(node, module.bindings) if not r.dynamic and r.kind == "env"]
    for n in ast.walk(node):
        field_ = _settings_attr(n, settings if settings is not None else SettingsIndex())
        mod = _module_setting(n, settings, module) if isinstance(settings, SettingsIndex) else None
        helper = _helper_read(module, n) if isinstance(n, ast.Call) else None
        if field_ is not None:
            keys.append(field_.env)
        elif helper is not None:
            keys.append(helper[0])
        elif mod is not None and id(mod[1]) not in seen_ids:
            seen_ids.add(id(mod[1]))
            keys.extend(_keys_in(mod[0], mod[1], settings, seen, seen_ids))
        elif isinstance(n, ast.Name) and n.id in module.assigns and n.id not in seen:
            seen.add(n.id)
            keys.extend(_keys_in(module, module.assigns[n.id], settings, seen, seen_ids))
    return list(dict.fromkeys(keys))


# ---------------------------------------------------------------------------------------------- the chain


class CodeGraph:
    """One run's view of the code that every ``why`` question of the run shares: Python modules
    parsed once, the settings index built once, the TypeScript/JavaScript and Go trees and the
    uses found between them read once. ``check`` builds one and asks it about every switch that
    is off (:mod:`parity.code.gated`); each ``parity why`` without one builds its own."""

    def __init__(self, project: Project) -> None:
        from parity.facts import env_files

        self.project = project
        self.services = project_services(project)
        self.files = env_files(project)
        self._corpus: Corpus | None = None
        self._settings: SettingsIndex | None = None
        self._tree: tuple[Any, Any] | None = None
        self._contexts: dict[str, _Ctx] = {}
        #: ``(environment, file, name)`` → the answers :func:`python_answers` gave.
        self.answers: dict[tuple[str, str, str], list[WhyResult]] = {}
        self.gate_resolver: object = None  # parity.code.gated's per-run index of each module's tests
        self.gate_tree_index: object = None  # parity.code.gated_tree's, for TS/JS and Go files

    @property
    def corpus(self) -> Corpus:
        if self._corpus is None:
            self._corpus = Corpus(self.project.root)
        return self._corpus

    @property
    def settings(self) -> SettingsIndex:
        if self._settings is None:
            self._settings = settings_index(self.corpus)
        return self._settings

    def tree(self) -> tuple[Any, Any]:
        """``(TreeCorpus, Walker)`` for TS/JS and Go, made on first use."""
        if self._tree is None:
            from parity.code.why_conditions import Settings
            from parity.code.why_corpus import TreeCorpus
            from parity.code.why_tree import Walker

            corpus = TreeCorpus(self.project.root)
            self._tree = (corpus, Walker(corpus, Settings(corpus)))
        return self._tree

    def has_tree_code(self) -> bool:
        """The project has TS/JS or Go source (outside tests) for the tree walker to read."""
        return bool(self.tree()[0].files)

    def context(self, environment: str, project: Project | None = None) -> _Ctx:
        """The answers' context for ``environment`` (effective envs are per environment), kept
        for the run when it is the graph's own project."""
        if project is not None and project is not self.project:
            return _Ctx(project, self.corpus, environment, self.services, self.files, graph=self)
        if environment not in self._contexts:
            self._contexts[environment] = _Ctx(
                self.project, self.corpus, environment, self.services, self.files, graph=self
            )
        return self._contexts[environment]


@dataclass
class _Ctx:
    project: Project
    corpus: Corpus
    environment: str
    services: list[tuple[str, str]]
    files: EnvFiles = field(default_factory=EnvFiles)
    envs: dict[tuple[str | None, str], EffectiveEnv] = field(default_factory=dict)
    _settings: SettingsIndex | None = None
    graph: CodeGraph | None = None

    @property
    def settings(self) -> SettingsIndex:
        if self._settings is None:
            self._settings = self.graph.settings if self.graph is not None else settings_index(self.corpus)
        return self._settings

    def layer(self, service: str | None) -> EnvLayer:
        return self.project.service(service) if service else self.project.shared

    def env(self, service: str | None, environment: str | None = None) -> EffectiveEnv:
        environment = environment or self.environment
        k = (service, environment)
        if k not in self.envs:
            self.envs[k] = effective_env(self.project, self.layer(service), environment, self.files)
        return self.envs[k]

    def where(self, service: str | None) -> str:
        return self.project.rel(self.layer(service).path)

    def fix_file(self, service: str | None, key: str | None = None) -> str:
        if service is not None and key is not None:
            chosen = audit_fix_file(self.project, service, self.environment, key)
            others = [e for e in self.project.environments if e != self.environment]
            if any(chosen.endswith(f".{e}") or f".{e}." in chosen for e in others):
                # A key nothing sets, in an environment without files of its own (the base runtime
                # files run it): the env file that already feeds the service, not another
                # environment's file.
                feeding = [
                    v.file
                    for v in self.env(service).values.values()
                    if v.file.name.startswith(".env")
                    and not any(v.file.name.endswith(f".{e}") for e in others)
                ]
                if feeding:
                    return self.project.rel(max(set(feeding), key=feeding.count))
            return chosen
        return self.project.rel(self.layer(service).file_for(self.environment))

    def hint(self, key: str, service: str | None) -> str:
        """`` (staging has X)``: the value another environment uses, masked when secret."""
        for other in self.project.environments:
            v = self.env(service, other).values.get(key) if other != self.environment else None
            if v is not None and v.value:
                return f" ({other} has {self.shown(v)})"
        return ""

    def shown(self, v: EnvValue) -> str:
        return clip(display_value(v, self.project.config.secrets))

    def key_state(self, key: str, service: str | None) -> KeyState:
        v = self.env(service).values.get(key)
        state = "unset" if v is None else ("empty" if v.value.strip() == "" else "set")
        return KeyState(
            key, service or ".", self.environment, self.shown(v) if v is not None else None, state
        )


def _enclosing(m: Module, node: ast.AST) -> Iterator[tuple[str, ast.If]]:
    """``("if" | "else", if-node)`` for every ``if`` around ``node``, innermost first."""
    child = node
    parent = m.parents.get(child)
    while parent is not None:
        if isinstance(parent, ast.If):
            if child in parent.body:
                yield "if", parent
            elif child in parent.orelse:
                yield "else", parent
        child, parent = parent, m.parents.get(parent)


def _callers(corpus: Corpus, name: str, exclude: ast.AST | None) -> Iterator[tuple[Module, ast.Call]]:
    """Calls that pass ``name`` (a Name or an attribute ``x.name``) as an argument."""
    for m in corpus.containing(name):
        for node in m.calls_handing(name):
            if exclude is not None and _inside(m, node, exclude):
                continue
            yield m, node


def _spread(arg: ast.AST) -> Iterator[ast.AST]:
    """An argument and, for ``{"func": cleanup}`` or ``[a, b]``, the values inside it: handlers
    registered in a data structure (``jobs.append({"func": cleanup, ...})``)."""
    yield arg
    if isinstance(arg, ast.Dict):
        for v in arg.values:
            yield from _spread(v)
    elif isinstance(arg, ast.List | ast.Tuple | ast.Set):
        for e in arg.elts:
            yield from _spread(e)


def _names_symbol(arg: ast.AST, name: str) -> bool:
    """``fn``, ``views.fn`` and ``views.View.as_view()`` all hand ``fn``/``View`` to a registration."""
    if isinstance(arg, ast.Call):
        arg = arg.func
    path = dotted(arg)
    return path is not None and name in path.split(".")


def _inside(m: Module, node: ast.AST, container: ast.AST) -> bool:
    p = m.parents.get(node)
    while p is not None:
        if p is container:
            return True
        p = m.parents.get(p)
    return False


def _decorator_gate(corpus: Corpus, d: ast.AST) -> str | None:
    """``@require_setting("SHELL_ENABLED")``: a decorator factory whose wrapper tests
    ``getattr(settings, <its first parameter>)`` gates the view on that setting; its name, else None."""
    if not (isinstance(d, ast.Call) and d.args and isinstance(d.args[0], ast.Constant)):
        return None
    key, fname = d.args[0].value, (dotted(d.func) or "").rsplit(".", 1)[-1]
    if not (isinstance(key, str) and key.isidentifier() and fname):
        return None
    for m in corpus.containing(f"def {fname}"):
        for node in ast.walk(m.tree):
            if not (isinstance(node, ast.FunctionDef) and node.name == fname and node.args.args):
                continue
            param = node.args.args[0].arg
            for n in ast.walk(node):
                if (
                    isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Name)
                    and n.func.id == "getattr"
                    and len(n.args) >= 2
                    and isinstance(n.args[0], ast.Name)
                    and n.args[0].id == "settings"
                    and isinstance(n.args[1], ast.Name)
                    and n.args[1].id == param
                    and any(isinstance(p, ast.If) for p in _ancestors(m, n))
                ):
                    return key
    return None


def _ancestors(m: Module, node: ast.AST) -> Iterator[ast.AST]:
    p = m.parents.get(node)
    while p is not None:
        yield p
        p = m.parents.get(p)


# The last name of a decorator that makes a function an entry point: routes, CLI commands, task
# queues and schedulers, signal receivers. ``@login_required`` or ``@wraps`` do not.
ENTRY_DECORATORS = frozenset(
    {
        "get", "post", "put", "patch", "delete", "head", "options", "route", "api_route", "websocket",
        "command", "callback", "group", "task", "shared_task", "periodic_task", "job", "scheduled_job",
        "cron", "interval", "receiver", "on_event", "exception_handler", "middleware", "view_config",
        "action", "actor", "listener", "subscriber", "consumer", "handler",
    }
)  # fmt: skip


def _is_entry_decorator(d: ast.AST) -> bool:
    name = (dotted(d.func if isinstance(d, ast.Call) else d) or "").rsplit(".", 1)[-1]
    return name in ENTRY_DECORATORS or name.endswith("_task")


class _Chain:
    def __init__(self, ctx: _Ctx) -> None:
        self.ctx = ctx
        self.steps: list[Step] = []
        self.blockers: list[Blocker] = []
        self._seen: set[tuple[str, int, str]] = set()

    def add(self, step: Step) -> bool:
        k = (step.file, step.line, step.kind)
        if k in self._seen:
            return False
        self._seen.add(k)
        self.steps.append(step)
        return True

    def condition(self, m: Module, kind: str, node: ast.If) -> None:
        svc = service_of(m.rel, self.ctx.services)
        keys = [k for k in _keys_in(m, node.test, self.ctx.settings) if k not in SYSTEM_VARS]
        env = self.ctx.env(svc).as_dict()
        verdict = _verdict(m, node.test, env, self.ctx.settings, negate=kind == "else")
        text = ("not " if kind == "else" else "") + _line_text(node.test)
        states = tuple(self.ctx.key_state(k, svc) for k in keys)
        if not self.add(Step(kind, m.rel, node.lineno, text, svc, verdict, states)):
            return
        if verdict == "false":
            self.blockers.append(self._switch(m, node, kind, keys, svc, env))
        for n in ast.walk(node.test):
            mod = _module_setting(n, self.ctx.settings, m)
            bad = _rejected(mod, env) if mod is not None else None
            if mod is None or bad is None:
                continue
            key, value, helper = bad
            self.blockers.append(
                Blocker(
                    "invalid",
                    key,
                    f"{key}={clip(value)} in {self.ctx.where(svc)} ({self.ctx.environment}) is rejected by "
                    f"{helper}() in {mod[0].rel}: the settings module raises on import",
                    f"set {key} to a value {helper}() accepts in {self.ctx.fix_file(svc, key)}",
                    mod[0].rel,
                    getattr(mod[1], "lineno", 0),
                    svc,
                )
            )

    def _switch(
        self, m: Module, node: ast.If, kind: str, keys: list[str], svc: str | None, env: dict[str, str]
    ) -> Blocker:
        where = self.ctx.where(svc)
        consts = [
            str(c.value)
            for c in ast.walk(node.test)
            if isinstance(c, ast.Constant) and isinstance(c.value, str)
        ]
        # The smallest change first: one key (unset ones before set ones), then the unset ones
        # together, then all of them; each with the values a flag usually takes.
        ordered = sorted(keys, key=lambda k: k in env)
        groups = [[k] for k in ordered] + [[k for k in keys if k not in env], keys]
        tried: set[tuple[str, ...]] = set()
        for group in groups:
            if not group or tuple(group) in tried:
                continue
            tried.add(tuple(group))
            for candidate in dict.fromkeys([*_CANDIDATES, *consts]):
                trial = {**env, **dict.fromkeys(group, candidate)}
                if _verdict(m, node.test, trial, self.ctx.settings, negate=kind == "else") != "true":
                    continue
                described = []
                for k in group:
                    v = self.ctx.env(svc).values.get(k)
                    described.append(f"{k} is unset" if v is None else f"{k}={self.ctx.shown(v)}")
                files = list(dict.fromkeys(self.ctx.fix_file(svc, k) for k in group))
                sets = " and ".join(f"{k}={candidate}" for k in group)
                return Blocker(
                    "switch",
                    group[0],
                    f"{', '.join(described)} in {where} ({self.ctx.environment})",
                    f"set {sets} in {' and '.join(files)}",
                    m.rel,
                    node.lineno,
                    svc,
                )
        return Blocker(
            "switch",
            keys[0] if keys else None,
            f"the condition at {m.rel}:{node.lineno} is false in {where} ({self.ctx.environment})",
            f"make `{_line_text(node.test)}` true" + (f" (it reads {', '.join(keys)})" if keys else ""),
            m.rel,
            node.lineno,
            svc,
        )

    def around(self, m: Module, node: ast.AST) -> None:
        for kind, if_node in _enclosing(m, node):
            if (
                kind == "if"
                and "__main__" in ast.unparse(if_node.test)
                and "__name__" in ast.unparse(if_node.test)
            ):
                # Running the module is the entry point, not a switch.
                svc = service_of(m.rel, self.ctx.services)
                self.add(Step("main", m.rel, if_node.lineno, 'if __name__ == "__main__"', svc, entry=True))
                continue
            self.condition(m, kind, if_node)

    def body_reads(self, m: Module, node: ast.AST, name: str) -> None:
        svc = service_of(m.rel, self.ctx.services)
        reads = [
            r
            for r in reads_in(node, m.bindings)
            if r.kind == "env" and not r.dynamic and r.name not in SYSTEM_VARS
        ]
        for r in reads:
            state = self.ctx.key_state(r.name, svc)
            how = "no default" if not r.has_default else f"default {r.default!r}"
            self.add(Step("reads", m.rel, r.line, f"{r.name} ({how}, {r.via})", svc, "", (state,)))
            if not r.has_default and state.state == "unset":
                consequence = "raises" if r.crashes else "reads None"
                self.blockers.append(
                    Blocker(
                        "missing",
                        r.name,
                        f"{r.name} is missing in {self.ctx.where(svc)} ({self.ctx.environment}); "
                        f"{name} reads it without a default at {m.rel}:{r.line} ({consequence})",
                        f"set {r.name}=<value> in {self.ctx.fix_file(svc, r.name)}{self.ctx.hint(r.name, svc)}",
                        m.rel,
                        r.line,
                        svc,
                    )
                )

    def definition(self, m: Module, node: ast.AST, via: list[ast.Call], depth: int = 0) -> None:
        svc = service_of(m.rel, self.ctx.services)
        name = getattr(node, "name", "?")
        self.add(Step("defined", m.rel, getattr(node, "lineno", 0), _line_text(node), svc))
        self.around(m, node)
        for d in getattr(node, "decorator_list", []):
            self.add(
                Step("decorator", m.rel, d.lineno, "@" + _line_text(d), svc, entry=_is_entry_decorator(d))
            )
            self.around(m, d)
            gate = _decorator_gate(self.ctx.corpus, d)
            if gate is not None:
                # The wrapper returns early unless the setting is truthy: the same as ``if settings.X:``.
                test = ast.Attribute(value=ast.Name(id="settings", ctx=ast.Load()), attr=gate, ctx=ast.Load())
                if_node = ast.If(test=test, body=[], orelse=[], lineno=d.lineno, col_offset=0)
                self.condition(m, "if", if_node)
            owner = d.func.value if isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) else None
            owner_name = dotted(owner) if owner is not None else None
            if owner_name and depth < 2:
                self.mounts(owner_name.rsplit(".", 1)[-1], depth, m)
        for call in via:
            self.registration(m, call)
        for cm, call in _callers(self.ctx.corpus, name, exclude=node):
            if cm.rel == m.rel and call in via:
                continue
            if _is_test(cm.rel) or not _may_name(cm, call, name, m):
                continue  # ``views.add`` of another package's views.py
            self.registration(cm, call, depth)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self.guards(m, node)
            if depth < 4:
                self.calls(m, node, name, depth)
        # A method is reachable through its class; the class's own conditions count too.
        parent = m.parents.get(node)
        if isinstance(parent, ast.ClassDef) and depth < 2:
            self.around(m, parent)

    def guards(self, m: Module, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """``if not FLAG: return`` before any other statement: the body runs only when the test is
        false, the same as an ``else`` branch."""
        for stmt in leading_guards(m, node, self.ctx.settings):
            self.condition(m, "else", stmt)

    def calls(self, m: Module, node: ast.AST, name: str, depth: int) -> None:
        """Direct calls ``name(...)``/``mod.name(...)``: each is an edge, guarded by its ``if`` blocks;
        the calling function is followed in turn, and a call at module level of a module that builds
        an app (FastAPI/Flask/Celery/…) or runs ``__main__`` is an entry point."""
        for cm in self.ctx.corpus.containing(name):
            if _is_test(cm.rel):
                continue  # a test calling it is not a way production reaches it
            for call in cm.calls_of(name):
                if _inside(cm, call, node) or not _may_name_func(cm, call.func, name, m):
                    continue
                svc = service_of(cm.rel, self.ctx.services)
                if not self.add(Step("called", cm.rel, call.lineno, _line_text(call), svc)):
                    continue
                self.around(cm, call)
                caller = next(
                    (
                        a
                        for a in _ancestors(cm, call)
                        if isinstance(a, ast.FunctionDef | ast.AsyncFunctionDef)
                    ),
                    None,
                )
                if caller is not None:
                    self.definition(cm, caller, [], depth + 1)
                elif _runs_app(cm):
                    self.add(
                        Step("main", cm.rel, call.lineno, "module level of an app module", svc, entry=True)
                    )

    def registration(self, m: Module, call: ast.Call, depth: int = 0) -> None:
        svc = service_of(m.rel, self.ctx.services)
        # Registered from inside a function (``def schedule(): jobs.append(...)``): that function
        # must run too, so its own callers and conditions are part of the chain, and only a
        # module-level registration is an entry point by itself.
        caller = next(
            (a for a in _ancestors(m, call) if isinstance(a, ast.FunctionDef | ast.AsyncFunctionDef)), None
        )
        step = Step("registered", m.rel, call.lineno, _line_text(call), svc, entry=caller is None)
        if not self.add(step):
            return
        self.around(m, call)
        if caller is not None and depth < 4:
            self.definition(m, caller, [], depth + 1)

    def mounts(self, owner: str, depth: int, home: Module) -> None:
        stem = home.rel.rsplit("/", 1)[-1].removesuffix(".py")
        for m, call in _callers(self.ctx.corpus, owner, exclude=None):
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in MOUNT_METHODS:
                # ``private.router`` mounts the router of private.py, not every module's ``router``.
                if m.rel != home.rel and not any(_mounts_from(a, owner, stem) for a in call.args):
                    continue
                svc = service_of(m.rel, self.ctx.services)
                if self.add(Step("mounted", m.rel, call.lineno, _line_text(call), svc)):
                    self.around(m, call)


def leading_guards(
    m: Module, node: ast.FunctionDef | ast.AsyncFunctionDef, settings: SettingsIndex
) -> list[ast.If]:
    """The early exits before any other statement of ``node`` that are switches: configuration
    tests (a guard on runtime data, a query or a file on disk, says nothing about whether the
    deployment can run the function) whose exit shuts the function (see :func:`_closes`)."""
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    out: list[ast.If] = []
    for stmt in body:
        if not (
            isinstance(stmt, ast.If) and not stmt.orelse and isinstance(stmt.body[-1], ast.Return | ast.Raise)
        ):
            break
        keys = _keys_in(m, stmt.test, settings)
        if keys and _closes(stmt, keys):
            out.append(stmt)
    return out


def _closes(stmt: ast.If, keys: list[str]) -> bool:
    """An early exit is a switch when it shuts the function when a feature is off: a ``raise``, a
    bare ``return``, a negative test (``if not X:``, ``X is None``, ``X != "1"``), or a DISABLE
    flag's test. ``if settings.DEBUG: return banner`` is the feature itself answering early."""
    exit_ = stmt.body[-1]
    if isinstance(exit_, ast.Raise) or (isinstance(exit_, ast.Return) and exit_.value is None):
        return True
    if (
        isinstance(exit_, ast.Return)
        and isinstance(exit_.value, ast.Constant)
        and exit_.value.value in (None, False)
    ):
        return True
    from parity.model.flagvalue import is_inverted

    return _negative(stmt.test) or any(is_inverted(k) for k in keys)


def _negative(test: ast.AST) -> bool:
    """The test is true when a setting is off or absent."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return True
    if isinstance(test, ast.BoolOp):
        return any(_negative(v) for v in test.values)
    if isinstance(test, ast.Compare):
        if any(isinstance(op, ast.NotEq | ast.IsNot | ast.NotIn) for op in test.ops):
            return True
        return any(
            isinstance(c, ast.Constant) and c.value in (None, "", False, 0)
            for c in [test.left, *test.comparators]
        )
    return False


def _module_path(rel: str) -> str:
    """``hc/integrations/shell/views.py`` → ``hc.integrations.shell.views`` (package ``__init__`` too)."""
    return rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def _imported_as(m: Module, alias: str) -> str | None:
    """The module path ``alias`` is bound to by an import in ``m`` (``from a.b import views``)."""
    if m.imports is None:
        # Once per module: a shared graph asks the same module about many names.
        m.imports = {}
        for stmt in ast.walk(m.tree):
            if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
                for a in stmt.names:
                    m.imports.setdefault(a.asname or a.name, f"{stmt.module}.{a.name}")
            elif isinstance(stmt, ast.Import):
                for a in stmt.names:
                    m.imports.setdefault(
                        a.asname or a.name.split(".")[0], a.name if a.asname else a.name.split(".")[0]
                    )
    return m.imports.get(alias)


def _may_name(caller: Module, call: ast.Call, name: str, home: Module) -> bool:
    """False when every argument naming ``name`` is ``alias.name`` with ``alias`` imported from
    another module than the one defining it; unresolved (relative imports, attributes) stays True."""
    target = _module_path(home.rel)
    for a in [a for top in [*call.args, *(k.value for k in call.keywords)] for a in _spread(top)]:
        if not _names_symbol(a, name):
            continue
        path = (dotted(a.func if isinstance(a, ast.Call) else a) or "").split(".")
        if len(path) < 2 or path[-1] != name:
            return True
        imported = _imported_as(caller, path[0])
        if imported is None:
            return True
        full = ".".join([imported, *path[1:-1]])
        if target == full or target.endswith("." + full) or full.endswith("." + target):
            return True
    return False


_APP_FACTORIES = frozenset(
    {
        "FastAPI",
        "Flask",
        "Celery",
        "Starlette",
        "Quart",
        "Sanic",
        "get_wsgi_application",
        "get_asgi_application",
    }
)


def _is_test(rel: str) -> bool:
    parts = rel.split("/")
    return any(p in ("tests", "test") for p in parts[:-1]) or parts[-1].startswith(("test_", "conftest"))


def _runs_app(m: Module) -> bool:
    """The module builds an app object or has a ``__main__`` block: its module-level code runs."""
    for n in ast.walk(m.tree):
        if isinstance(n, ast.Call) and (dotted(n.func) or "").rsplit(".", 1)[-1] in _APP_FACTORIES:
            return True
        if isinstance(n, ast.If) and "__main__" in ast.unparse(n.test):
            return True
    return False


def _calls_name(func: ast.AST, name: str) -> bool:
    return (isinstance(func, ast.Name) and func.id == name) or (
        isinstance(func, ast.Attribute) and func.attr == name and dotted(func) is not None
    )


def _may_name_func(caller: Module, func: ast.AST, name: str, home: Module) -> bool:
    """``spa.mount_spa`` resolves to the module defining it; ``self.x``/unresolved attributes do not
    count (a method call cannot be told apart statically), a bare name must be local or imported."""
    if isinstance(func, ast.Name):
        return caller.rel == home.rel or _imported_as(caller, name) is not None
    path = (dotted(func) or "").split(".")
    imported = _imported_as(caller, path[0])
    if imported is None:
        return False
    full = ".".join([imported, *path[1:-1]])
    target = _module_path(home.rel)
    return target == full or target.endswith("." + full) or full.endswith("." + target)


def _mounts_from(arg: ast.AST, owner: str, stem: str) -> bool:
    path = (dotted(arg) or "").split(".")
    return len(path) >= 2 and path[-1] == owner and path[-2] == stem


def _verdict(m: Module, test: ast.AST, env: dict[str, str], settings: SettingsIndex, *, negate: bool) -> str:
    try:
        value = bool(Evaluator(m, env, settings)(test))
    except Unknown:
        return "unknown"
    return "true" if value != negate else "false"


def why(project: Project, symbol: str, environment: str, graph: CodeGraph | None = None) -> WhyResult:
    """Explain what keeps ``symbol`` from running in ``environment`` (see the module docstring).
    ``graph``: the run's :class:`CodeGraph`, when the caller asks several questions."""
    env = normalize_environment(environment)
    if env == "production" and env not in project.environments and project.units:
        # As check does: compose or manifests run the services and nothing is specific to
        # production, so the base runtime files are what it would run.
        project = replace(project, environments=(*project.environments, env), layerless=(env,))
    if project.environments and env not in project.environments:
        raise ParityError(
            f"unknown environment '{env}' (known: {', '.join(project.environments)})", file=project.root
        )
    graph = graph if graph is not None and graph.project.root == project.root else CodeGraph(project)
    corpus = graph.corpus
    # ``views/auth.py:login`` picks one of several definitions by (the end of) its file path.
    where, sep, name = symbol.rpartition(":") if not symbol.startswith("/") else ("", "", symbol)
    from parity.code.why_corpus import language_of
    from parity.code.why_tree import why_tree

    tree = sep and language_of(where) is not None  # ``src/x.ts:f``, ``main.go:f``: not Python
    defs = [] if tree else _definitions(corpus, name if sep else symbol)
    if sep:
        defs = [d for d in defs if d[0].rel == where or d[0].rel.endswith("/" + where.lstrip("/"))]
    ctx = graph.context(env, project)
    if not defs:
        # TypeScript/JavaScript and Go, read by tree-sitter (parity.code.why_tree).
        answer = why_tree(ctx, symbol)
        if answer is not None:
            return answer
        names = _all_names(corpus) + graph.tree()[0].declared_names()
        close = difflib.get_close_matches(symbol, sorted(set(names)), n=5, cutoff=0.6)
        raise SymbolNotFound(
            f"'{symbol}' is defined nowhere in the Python, TypeScript/JavaScript or Go code",
            file=project.root,
            hint=("did you mean: " + ", ".join(close)) if close else "no close match",
        )
    if not symbol.startswith("/") and len({(m.rel, id(n)) for m, n, _ in defs}) > 1:
        # Four unrelated ``login`` functions are four answers, each with its own chain; merging
        # them would lend one's switch to the others. A route path names one endpoint: merged.
        alternatives = tuple(
            _explain(ctx, f"{m.rel}:{getattr(n, 'name', symbol)}", [(m, n, via)]) for m, n, via in defs
        )
        return WhyResult(symbol, env, (), (), tuple(a.definitions[0] for a in alternatives), alternatives)
    return _explain(ctx, symbol, defs)


def _explain(ctx: _Ctx, symbol: str, defs: list[tuple[Module, ast.AST, list[ast.Call]]]) -> WhyResult:
    env = ctx.environment
    chain = _Chain(ctx)
    for m, node, via in defs:
        chain.definition(m, node, via)
    for m, node, _ in defs:
        chain.body_reads(m, node, getattr(node, "name", symbol))
    for m, node, _ in defs:
        if _under_main(m, node):
            chain.add(
                Step("main", m.rel, getattr(node, "lineno", 0), 'if __name__ == "__main__"', None, entry=True)
            )
    blockers = list(dict.fromkeys(chain.blockers))
    blockers.sort(key=lambda b: (b.kind != "switch", b.file, b.line))
    definitions = tuple(dict.fromkeys(f"{m.rel}:{getattr(n, 'lineno', 0)}" for m, n, _ in defs))
    return WhyResult(symbol, env, tuple(chain.steps), tuple(blockers), definitions)


#: Definitions of one name asked about in :func:`python_answers` (the nearest first).
_MAX_DEFINITIONS = 6


def python_answers(ctx: _Ctx, name: str, near: str = "", only: str | None = None) -> list[WhyResult]:
    """One answer per Python definition of ``name`` outside tests (``only``: in that file), those
    nearest to the file ``near`` first: :mod:`parity.code.gated` asks about what a switch's block names."""
    cache = ctx.graph.answers if ctx.graph is not None and only is not None else None
    if cache is not None and (ctx.environment, only or "", name) in cache:
        return cache[(ctx.environment, only or "", name)]
    folder = near.rsplit("/", 1)[0] + "/" if "/" in near else ""
    defs: list[tuple[Module, ast.AST, list[ast.Call]]] = []
    if only is not None:
        home = ctx.corpus.module(only)
        defs = [(home, n, []) for n in home.defined(name)] if home is not None else []
    else:
        defs = [d for d in _definitions(ctx.corpus, name) if not _is_test(d[0].rel)]
    defs.sort(key=lambda d: not d[0].rel.startswith(folder))
    answers = [
        _explain(ctx, f"{m.rel}:{getattr(n, 'name', name)}", [(m, n, via)])
        for m, n, via in defs[:_MAX_DEFINITIONS]
    ]
    if cache is not None:
        cache[(ctx.environment, only or "", name)] = answers
    return answers


keys_in = _keys_in
inside = _inside
is_test_module = _is_test
imported_as = _imported_as
module_path = _module_path
decorator_gate = _decorator_gate
verdict_of = _verdict


def _under_main(m: Module, node: ast.AST) -> bool:
    """The module runs ``node`` from its ``if __name__ == "__main__":`` block."""
    name = getattr(node, "name", None)
    for stmt in m.tree.body:
        if isinstance(stmt, ast.If) and "__main__" in ast.unparse(stmt.test):
            for n in ast.walk(stmt):
                if isinstance(n, ast.Call) and name is not None and _names_symbol(n.func, name):
                    return True
    return False


def build_why_section(result: WhyResult) -> Section:
    """The result as a report section: a finding per blocker (WHY001 switch, WHY002 missing key)."""
    from parity.model.findings import Finding, Section, Severity, Table

    findings = tuple(
        Finding(
            "WHY001" if b.kind == "switch" else "WHY002",
            Severity.ERROR,
            "flags",
            b.message,
            service=b.service,
            environment=result.environment,
            file=b.file,
            line=b.line,
            key=b.key,
            fix=b.fix,
        )
        for b in result.blockers
    )
    rows = tuple(
        (
            f"{s.file}:{s.line}",
            s.kind,
            s.text,
            s.verdict or "",
            ", ".join(f"{k.key}={k.value if k.value is not None else 'unset'}" for k in s.keys),
        )
        for s in result.steps
    )
    table = Table(f"Why {result.symbol}", ("at", "step", "code", "verdict", "env"), rows)
    return Section("why", f"Why {result.symbol} ({result.environment})", findings, (table,))
