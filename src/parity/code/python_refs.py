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
from dataclasses import dataclass, field

from parity.code.refs import RawRef

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

    @classmethod
    def of(cls, tree: ast.Module) -> Bindings:
        b = cls()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name == "os":
                        b._add_os(a.asname or "os")
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
        b._environ_getters()
        # Aliases by assignment (``env = os.environ``; ``get = env.get``) may chain; a few rounds settle them.
        assigns = [n for n in ast.walk(tree) if isinstance(n, ast.Assign) and len(n.targets) == 1]
        for _ in range(3):
            before = (len(b.environ), len(b.getters))
            for n in assigns:
                target = n.targets[0]
                if not isinstance(target, ast.Name):
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
    out: list[RawRef] = []
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            out.extend(_call(n, b))
        elif isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load) and b.is_environ(n.value):
            nm = name_of(n.slice, b)
            if nm:
                out.append(RawRef(nm[0], n.lineno, f"{dotted(n.value)}[]", crashes=True, dynamic=nm[1]))
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


def _settings_fields(cls: ast.ClassDef, b: Bindings) -> list[RawRef]:
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
    out: list[RawRef] = []
    for stmt in cls.body:
        if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
            continue
        fname = stmt.target.id
        if fname.startswith("_") or fname == "model_config" or "ClassVar" in ast.unparse(stmt.annotation):
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
                    has_default = True
            if isinstance(default, ast.Constant) and default.value is Ellipsis:
                default, has_default = None, False
        if not case_sensitive:
            env_name = env_name.upper()
        out.append(
            RawRef(
                env_name,
                stmt.lineno,
                f"pydantic-settings {cls.name}.{fname}",
                default=_literal(default) if default is not None and has_default else None,
                has_default=has_default,
                crashes=not has_default,
            )
        )
    return out


def python_references(text: str) -> list[RawRef]:
    """All references in a Python module's source. Raises ``SyntaxError`` when it does not parse."""
    tree = ast.parse(text)
    return reads_in(tree, Bindings.of(tree))
