"""Python functions that wrap an env read, and the reads made through them.

``def envbool(s, default): v = os.getenv(s, default=default); return v == "True"`` reads the
variable its first argument names, so ``DEBUG = envbool("DEBUG", "False")`` is a read of
``DEBUG`` with the default ``"False"``, and a switch. A function is a reader when one of its
parameters is the key of an env read in its body (``os.getenv(p)``, ``os.environ.get(p, d)``,
``os.environ[p]``); the key at each call site is the argument in that position. The scanner finds
the wrappers in modules whose reads name no key (the wrapper's own read), then reads every Python
module that calls one (:func:`parity.code.scan.scan`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from parity.code.guards import BOOLEAN_LITERALS
from parity.code.python_refs import Bindings, all_statements, dotted, is_read
from parity.code.refs import RawRef

_MISSING = object()


@dataclass(frozen=True, slots=True)
class Helper:
    """A function that reads the variable one of its parameters names."""

    name: str
    key_index: int  # the key's position among the call's positional arguments
    key_name: str  # … or its keyword
    default_index: int | None  # where the caller passes the default, when the read takes one
    default_name: str | None
    default: str | None  # the default when the caller passes none (None: the read gets None)
    fixed_default: str | None  # a default written in the helper itself (``os.getenv(p, "20")``)
    crashes: bool  # ``os.environ[p]``: raises when unset
    boolean: bool  # it returns a comparison with a boolean-ish literal
    line_start: int
    line_end: int


def _const(node: ast.AST | None) -> object:
    if node is None:
        return _MISSING
    if isinstance(node, ast.Constant):
        return node.value
    return ast.unparse(node)


def _is_boolean(fn: ast.FunctionDef) -> bool:
    if "bool" in fn.name.lower():
        return True
    for n in ast.walk(fn):
        if isinstance(n, ast.Compare) and len(n.comparators) == 1:
            right = n.comparators[0]
            consts = right.elts if isinstance(right, ast.Tuple | ast.List | ast.Set) else [right]
            if any(isinstance(c, ast.Constant) and str(c.value).lower() in BOOLEAN_LITERALS for c in consts):
                return True
    return False


def helpers_in(text: str) -> list[Helper]:
    """The module-level functions of ``text`` that read the variable a parameter names."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return []
    b = Bindings.of(tree, list(all_statements(tree.body)))
    out: list[Helper] = []
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
        defaults = dict(zip(reversed(params), reversed(fn.args.defaults), strict=False))
        for n in ast.walk(fn):
            if not is_read(n, b):
                continue
            key = n.slice if isinstance(n, ast.Subscript) else (n.args[0] if n.args else None)  # type: ignore[attr-defined]
            if not isinstance(key, ast.Name) or key.id not in params:
                continue
            default_node: ast.AST | None = None
            if isinstance(n, ast.Call):
                default_node = (
                    n.args[1]
                    if len(n.args) > 1
                    else next((k.value for k in n.keywords if k.arg == "default"), None)
                )
            d_param = (
                default_node.id if isinstance(default_node, ast.Name) and default_node.id in params else None
            )
            if d_param is None and default_node is None and "default" in params:
                # ``if key not in os.environ: return default``: the caller's fallback all the same.
                d_param = "default"
            guarded = any(
                isinstance(c, ast.Compare)
                and isinstance(c.left, ast.Name)
                and c.left.id == key.id
                and isinstance(c.ops[0], ast.In | ast.NotIn)
                for c in ast.walk(fn)
            )
            fixed = None if d_param or default_node is None else _const(default_node)
            d_default = _const(defaults.get(d_param)) if d_param else _MISSING
            out.append(
                Helper(
                    fn.name,
                    params.index(key.id),
                    key.id,
                    params.index(d_param) if d_param else None,
                    d_param,
                    None if d_default is _MISSING or d_default is None else str(d_default),
                    None if fixed is None or fixed is _MISSING else str(fixed),
                    isinstance(n, ast.Subscript) and not guarded,
                    _is_boolean(fn),
                    fn.lineno,
                    fn.end_lineno or fn.lineno,
                )
            )
            break
    return out


def helper_reads(text: str, helpers: dict[str, Helper]) -> list[RawRef]:
    """Reads through ``helpers`` in ``text``: one per call whose key argument is a literal."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return []
    out: list[RawRef] = []
    for n in ast.walk(tree):
        if not isinstance(n, ast.Call):
            continue
        func = dotted(n.func)
        h = helpers.get(func.rsplit(".", 1)[-1]) if func else None
        if h is None:
            continue
        key = n.args[h.key_index] if len(n.args) > h.key_index else None
        key = key or next((k.value for k in n.keywords if k.arg == h.key_name), None)
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)) or not key.value:
            continue
        given: object = _MISSING
        if h.default_index is not None:
            node = n.args[h.default_index] if len(n.args) > h.default_index else None
            node = node or next((k.value for k in n.keywords if k.arg == h.default_name), None)
            given = _const(node)
        if h.fixed_default is not None:
            default: str | None = h.fixed_default
        elif given is not _MISSING:
            default = None if given is None else str(given)
        else:
            default = h.default
        out.append(
            RawRef(
                key.value,
                n.lineno,
                f"{h.name}()",
                default=default,
                has_default=default is not None,
                crashes=h.crashes and default is None,
                boolean=h.boolean,
            )
        )
    return out
