"""How Python code around an env read copes with the variable unset.

``os.environ.get("X") or str(OTHER)`` has a default, ``int_or_default(os.environ.get("X"), 20)``
too, ``os.getenv("X") == "true"`` is a switch that is off when unset, ``if os.getenv("X"):`` is a
guard, ``if not os.getenv("X"): raise …`` a requirement, and ``os.environ["X"]`` inside ``try: …
except KeyError:`` does not crash the service. :func:`python_guards` maps the read nodes (by id) to
what their surroundings say; :mod:`parity.code.python_refs` applies it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from parity.code.guards import BOOLEAN_LITERALS

# A cast helper that takes the read and a fallback: ``int_or_default(v, 20)``, ``get_or(v, "a")``,
# ``int_or_none(v)``. Named for what it does, so the name is the evidence.
_DEFAULTING_CALL = re.compile(r"(?:_or_|_or$|default|^or_|fallback)", re.I)
_CATCHES = frozenset({"KeyError", "LookupError", "Exception", "BaseException"})


@dataclass(slots=True)
class PyCope:
    default: str | None = None
    guarded: bool = False
    boolean: bool = False
    crashes: bool = False
    caught: bool = False  # a KeyError from ``os.environ["X"]`` is caught around it


def _text(node: ast.AST) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    text = ast.unparse(node)
    return text if len(text) <= 40 else text[:39] + "…"


def _boolean_literal(node: ast.AST) -> bool:
    consts = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    return any(
        isinstance(c, ast.Constant) and str(c.value).strip().lower() in BOOLEAN_LITERALS for c in consts
    )


def _func_name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _raises(body: list[ast.stmt]) -> bool:
    first = body[0] if body else None
    if isinstance(first, ast.Raise):
        return True
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Call):
        return _func_name(first.value.func) in ("exit", "abort", "fail")
    return False


def python_guards(
    nodes: Iterable[ast.AST], stmts: Iterable[ast.stmt], is_read: Callable[[ast.AST], bool]
) -> dict[int, PyCope]:
    """``id(read node) → PyCope`` for the reads among ``nodes`` whose surroundings say how they cope."""
    out: dict[int, PyCope] = {}

    def at(node: ast.AST) -> PyCope:
        return out.setdefault(id(node), PyCope())

    def read_in(node: ast.AST) -> tuple[ast.AST, bool] | None:
        """The read ``node`` is, or the read under a method call on it (``.lower()``: unsafe on None)."""
        if is_read(node):
            return node, True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and is_read(node.func.value):
            return node.func.value, False
        return None

    def tested(node: ast.AST, body: list[ast.stmt] | None) -> None:
        negated = isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
        inner = node.operand if isinstance(node, ast.UnaryOp) and negated else node
        parts = inner.values if isinstance(inner, ast.BoolOp) else [inner]
        for part in parts:
            if isinstance(part, ast.NamedExpr):  # ``if v := os.getenv("X"):``
                part = part.value
            if is_read(part):
                if negated and body is not None and _raises(body):
                    at(part).crashes = True
                elif not isinstance(part, ast.Subscript):  # ``if os.environ["X"]:`` raises unset
                    at(part).guarded = True

    for n in nodes:
        if isinstance(n, ast.BoolOp) and isinstance(n.op, ast.Or) and len(n.values) >= 2:
            if is_read(n.values[0]):
                at(n.values[0]).default = _text(n.values[1])
        elif isinstance(n, ast.Compare) and len(n.ops) == 1:
            found = read_in(n.left)
            if found and isinstance(n.ops[0], ast.Eq | ast.NotEq | ast.In | ast.NotIn | ast.Is | ast.IsNot):
                cope = at(found[0])
                cope.boolean = cope.boolean or _boolean_literal(n.comparators[0])
                # ``os.environ["X"] == "1"`` still raises KeyError when X is unset: no guard.
                cope.guarded = cope.guarded or (found[1] and not isinstance(found[0], ast.Subscript))
        elif isinstance(n, ast.IfExp | ast.While):
            tested(n.test, None)
            checked = _membership_key(n.test)
            if isinstance(n, ast.IfExp) and checked is not None:
                # ``json.loads(os.environ["X"]) if "X" in os.environ else None``
                for sub in ast.walk(n.body):
                    if isinstance(sub, ast.Subscript) and is_read(sub) and _key_of(sub.slice) == checked:
                        at(sub).caught = True
        elif isinstance(n, ast.Call) and n.args and is_read(n.args[0]):
            name = _func_name(n.func)
            if _DEFAULTING_CALL.search(name):
                fallback = n.args[1] if len(n.args) > 1 else next((k.value for k in n.keywords), None)
                cope = at(n.args[0])
                cope.default = _text(fallback) if fallback is not None else "None"
            elif name == "bool":
                at(n.args[0]).boolean = True
                at(n.args[0]).guarded = not isinstance(n.args[0], ast.Subscript)
    for stmt in stmts:
        if isinstance(stmt, ast.If):
            tested(stmt.test, stmt.body)
            checked = _membership_key(stmt.test)
            if checked is not None:
                # ``if "X" in os.environ: v = os.environ["X"]``: the read only runs when X is set.
                for sub in stmt.body:
                    for n in ast.walk(sub):
                        if isinstance(n, ast.Subscript) and is_read(n) and _key_of(n.slice) == checked:
                            at(n).caught = True
        elif isinstance(stmt, ast.Try) and any(_catches(h) for h in stmt.handlers):
            for sub in stmt.body:
                for n in ast.walk(sub):
                    if isinstance(n, ast.Subscript) and is_read(n):
                        at(n).caught = True
    return out


def _catches(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(_func_name(t) in _CATCHES for t in types)


def _key_of(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _membership_key(test: ast.AST) -> str | None:
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.In):
        return _key_of(test.left)
    return None
