"""Env reads in C# and Rust, read from their syntax trees (tree-sitter).

C#: ``Environment.GetEnvironmentVariable("X")`` (null when unset; ``?? "d"`` is a default) and the
.NET configuration, which the environment fills with ``__`` for ``:`` (``Configuration["Jwt:Key"]``
is ``Jwt__Key``; ``GetValue<T>("K", d)``, ``GetConnectionString("Default")`` is
``ConnectionStrings__Default``). Rust: ``std::env::var("X")`` returns a ``Result``, so what the code
does with it decides: ``.unwrap()``/``.expect()``/``?`` fail when unset, ``.unwrap_or(…)``/``.ok()``
/``match`` cope; ``env!("X")`` is read by the compiler (build time), ``option_env!`` too, optional.
"""

from __future__ import annotations

from tree_sitter import Node

from parity.code.context import BUILD
from parity.code.refs import RawRef
from parity.code.treesitter import line_of, parse, text_of, walk

_CONFIG_OWNERS = ("configuration", "config", "_configuration", "_config", "cfg", "settings")


def _string_arg(args: Node | None, index: int = 0) -> tuple[str, Node] | None:
    """The literal text of argument ``index`` of an argument list, when it is a plain string."""
    if args is None:
        return None
    values = [
        c for c in args.named_children if c.type in ("argument", "string_literal", "raw_string_literal")
    ]
    if len(values) <= index:
        return None
    node = values[index]
    lit = node.named_children[0] if node.type == "argument" and node.named_children else node
    if lit.type not in ("string_literal", "verbatim_string_literal", "raw_string_literal"):
        return None
    if any(c.type == "interpolation" for c in lit.named_children):
        return None
    raw = text_of(lit)
    inner = raw[1:-1] if raw.startswith('"') else raw.split('"', 1)[-1].rsplit('"', 1)[0]
    return inner, node


def _coalesced(node: Node) -> str | None:
    """The right side of ``node ?? default``, when ``node`` is its left side."""
    parent = node.parent
    if parent is not None and parent.type == "binary_expression":
        op = parent.child_by_field_name("operator")
        right = parent.child_by_field_name("right")
        if op is not None and text_of(op) == "??" and right is not None and right != node:
            text = text_of(right)
            return text[1:-1] if right.type == "string_literal" else text
    return None


def csharp_references(text: str) -> list[RawRef]:
    out: list[RawRef] = []
    for n in walk(parse(text, "csharp")):
        if n.type == "invocation_expression":
            fn = n.child_by_field_name("function")
            name = text_of(fn) if fn is not None else ""
            args = n.child_by_field_name("arguments")
            found = _string_arg(args)
            if found is None:
                continue
            key, _ = found
            owner, _, method = name.rpartition(".")
            method = method.split("<", 1)[0]
            if method == "GetEnvironmentVariable" and owner.endswith("Environment"):
                d = _coalesced(n)
                out.append(
                    RawRef(
                        key,
                        line_of(n),
                        "Environment.GetEnvironmentVariable",
                        default=d,
                        has_default=d is not None,
                    )
                )
            elif owner.rsplit(".", 1)[-1].lower() in _CONFIG_OWNERS and method in (
                "GetValue",
                "GetConnectionString",
            ):
                env = (
                    ("ConnectionStrings__" + key)
                    if method == "GetConnectionString"
                    else key.replace(":", "__")
                )
                given = _string_arg(args, 1)
                extra = [c for c in (args.named_children if args else []) if c.type == "argument"]
                d = given[0] if given else (text_of(extra[1]) if len(extra) > 1 else _coalesced(n))
                out.append(
                    RawRef(env, line_of(n), f"IConfiguration.{method}", default=d, has_default=d is not None)
                )
        elif n.type == "element_access_expression":
            target = n.child_by_field_name("expression")
            if target is None or text_of(target).rsplit(".", 1)[-1].lower() not in _CONFIG_OWNERS:
                continue
            found = _string_arg(n.child_by_field_name("subscript"))
            if found is None:
                continue
            d = _coalesced(n)
            out.append(
                RawRef(
                    found[0].replace(":", "__"),
                    line_of(n),
                    "IConfiguration[]",
                    default=d,
                    has_default=d is not None,
                )
            )
    return out


_RUST_READERS = (
    "env::var",
    "env::var_os",
    "std::env::var",
    "std::env::var_os",
    "dotenvy::var",
    "dotenv::var",
)
_FAILS = frozenset({"unwrap", "expect"})
_COPES = frozenset(
    {
        "unwrap_or",
        "unwrap_or_else",
        "unwrap_or_default",
        "ok",
        "is_ok",
        "is_err",
        "map_or",
        "map_or_else",
    }
)


def _rust_use(call: Node) -> tuple[bool, bool, str | None]:
    """``(fails when unset, copes, default)`` from what the code does with the ``Result``."""
    parent = call.parent
    if parent is not None and parent.type == "try_expression":
        return True, False, None
    if parent is not None and parent.type == "field_expression":
        field = parent.child_by_field_name("field")
        method = text_of(field) if field is not None else ""
        outer = parent.parent
        if method in _FAILS:
            return True, False, None
        if method in _COPES:
            default = None
            args = outer.child_by_field_name("arguments") if outer is not None else None
            if method == "unwrap_or" and args is not None:
                # ``"8080".to_string()``, ``String::from("8080")``, ``"8080".into()``: the literal.
                lits = [c for c in walk(args) if c.type == "string_literal"]
                default = text_of(lits[0])[1:-1] if len(lits) == 1 else text_of(args)[1:-1]
            return False, True, default
    if parent is not None and parent.type in ("match_expression", "let_condition", "if_let_expression"):
        return False, True, None
    return False, False, None


def rust_references(text: str) -> list[RawRef]:
    out: list[RawRef] = []
    for n in walk(parse(text, "rust")):
        if n.type == "call_expression":
            fn = n.child_by_field_name("function")
            if fn is None or text_of(fn) not in _RUST_READERS:
                continue
            found = _string_arg(n.child_by_field_name("arguments"))
            if found is None:
                continue
            fails, copes, default = _rust_use(n)
            out.append(
                RawRef(found[0], line_of(n), text_of(fn), default=default, has_default=copes, crashes=fails)
            )
        elif n.type == "macro_invocation":
            macro = n.child_by_field_name("macro")
            name = text_of(macro) if macro is not None else ""
            if name not in ("env", "option_env", "std::env", "std::option_env"):
                continue
            tree = next((c for c in n.named_children if c.type == "token_tree"), None)
            lit = next((c for c in (tree.named_children if tree else []) if c.type == "string_literal"), None)
            if lit is None:
                continue
            # The compiler reads it: a build argument, never the running service's env.
            optional = name.endswith("option_env")
            out.append(
                RawRef(
                    text_of(lit)[1:-1],
                    line_of(n),
                    f"{name}!",
                    has_default=optional,
                    crashes=not optional,
                    context=BUILD,
                )
            )
    return out
