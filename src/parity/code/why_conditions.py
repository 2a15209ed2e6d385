"""Env tests in TypeScript/JavaScript and Go, read for ``parity why`` (:mod:`parity.code.why_tree`).

JS/TS: :class:`JsReader` extends :mod:`parity.code.js_conditions` with ``env.X`` read through the
project's settings module (:class:`Settings`: a class of fields over ``process.env`` with casts
and getters, or a zod/t3 schema with defaults and boolean transforms). Go: :class:`GoReader` reads
``os.Getenv`` (``""`` when unset), the variables and fields assigned from it, ``strconv.ParseBool``
and ``==``/``!=``/``!``/``&&``/``||``. Both give :mod:`parity.model.condition` conditions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from parity.code import js_conditions
from parity.code.treesitter import text_of, walk
from parity.code.why_corpus import TreeCorpus, TreeFile, field_text, language_of
from parity.model.condition import All, Any_, Condition, Equals, Not, Source, Truthy, Unknown, keys

_MAX_DEPTH = 4  # settings fields and predicates through each other
_ENV_READERS = frozenset({"env", "requireEnv", "getEnv", "readEnv", "getEnvVar"})


_GETTER = re.compile(r"(?:(?:public|private|protected|static|readonly)\s+)*get\s")
_ENV_ALIASES = (
    "process.env",
    "import.meta.env",
    "environment",
)  # ``import environment from "./utils/environment"``


class Settings:
    """``env.X`` in JS/TS: the field ``X`` of the project's settings module — a class whose fields
    read ``process.env`` (``public X = this.toBoolean(environment.X ?? "true")``) or a zod/t3 schema
    (``X: z.string().default("v")``) — as the condition or env source it stands for."""

    def __init__(self, corpus: TreeCorpus) -> None:
        self.fields: dict[str, tuple[TreeFile, Node]] = {}  # name → (file, value expression)
        self.schema: dict[str, SchemaField] = {}  # zod/t3 schema key → what it declares
        for rel in corpus.files:
            low = rel.rsplit("/", 1)[-1].lower()
            if language_of(rel) != "javascript" or not ("env" in low or "config" in low):
                continue
            f = corpus.file(rel)
            if f is None or not (b"process.env" in f.data or b"environment" in f.data or b"z." in f.data):
                continue
            self._read(f)

    def _read(self, f: TreeFile) -> None:
        for n in walk(f.root):
            if n.type == "public_field_definition":
                value = n.child_by_field_name("value")
                name = field_text(n)
                if value is not None and name:
                    self.fields.setdefault(name, (f, value))
            elif n.type == "method_definition" and _GETTER.match(text_of(n)):
                body = n.child_by_field_name("body")
                ret = (
                    next((s for s in body.named_children if s.type == "return_statement"), None)
                    if body
                    else None
                )
                if ret is not None and ret.named_children:
                    self.fields.setdefault(field_text(n), (f, ret.named_children[0]))
            elif n.type == "pair" and b"z." in f.data:
                key, value = n.child_by_field_name("key"), n.child_by_field_name("value")
                k = text_of(key).strip("'\"") if key is not None else ""
                if value is not None and _ENV_KEY.fullmatch(k):
                    declared = _zod_field(value)
                    if declared is not None:
                        self.schema.setdefault(k, declared)


_ENV_KEY = re.compile(r"[A-Z][A-Z0-9_]*")
_STRINGBOOL = frozenset({"true", "1", "yes", "on", "y", "enabled"})


@dataclass(frozen=True)
class SchemaField:
    """A zod field of an env schema: its ``.default("…")`` and, for a boolean, the raw values that
    read as true (``.transform((v) => v === "true")``, ``z.stringbool()``); None: JS truthiness."""

    default: str | None
    true_values: frozenset[str] | None


def _zod_field(value: Node) -> SchemaField | None:
    """``z.string().default("x")``, ``z.enum(["true", "false"]).default("false").transform(…)``."""
    calls: list[tuple[str, Node]] = []  # (method, arguments), outermost first
    node: Node | None = value
    while node is not None and node.type == "call_expression":
        fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
        if fn is None or args is None or fn.type != "member_expression":
            break
        calls.append((field_text(fn, "property"), args))
        node = fn.child_by_field_name("object")
        while node is not None and node.type == "member_expression":  # ``z.coerce.boolean()``
            node = node.child_by_field_name("object")
    if node is None or text_of(node) != "z" or not calls:
        return None
    default: str | None = None
    true_values: frozenset[str] | None = None
    for method, args in calls:
        first = args.named_children[:1]
        if method in ("default", "catch") and first:
            default = js_conditions._string(first[0])
        elif method == "stringbool":
            true_values = _STRINGBOOL
        elif method == "transform" and first and first[0].type == "arrow_function":
            body = first[0].child_by_field_name("body")
            found = _compared_literals(body) if body is not None else None
            if found:
                true_values = found
    return SchemaField(default, true_values)


def _compared_literals(body: Node) -> frozenset[str] | None:
    """``v === "true"`` or ``v === "true" || v === "1"``: the literals a transform calls true."""
    body = js_conditions._unwrap(body)
    if body.type != "binary_expression":
        return None
    op = js_conditions._operator(body)
    left, right = body.child_by_field_name("left"), body.child_by_field_name("right")
    if left is None or right is None:
        return None
    if op == "||":
        a, b = _compared_literals(left), _compared_literals(right)
        return a | b if a is not None and b is not None else None
    if op in ("===", "=="):
        lit = js_conditions._string(js_conditions._unwrap(right)) or js_conditions._string(
            js_conditions._unwrap(left)
        )
        return frozenset({lit}) if lit is not None else None
    return None


class JsReader(js_conditions._Reader):
    """:class:`js_conditions._Reader` that also reads ``env.X`` through :class:`Settings` and the
    casts a settings class applies (``this.toBoolean(…)``, ``this.toOptionalString(…)``)."""

    def __init__(
        self, root: Node, resolve: js_conditions.Resolver, settings: Settings, depth: int = 0
    ) -> None:
        super().__init__(root, _ENV_READERS, resolve, depth)
        self.settings = settings

    def _field(self, node: Node) -> tuple[TreeFile, Node] | None:
        if node.type != "member_expression" or self.depth >= _MAX_DEPTH:
            return None
        obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
        if obj is None or prop is None or text_of(obj) in _ENV_ALIASES:
            return None
        return self.settings.fields.get(text_of(prop))

    def _inner(self, f: TreeFile) -> JsReader:
        return JsReader(f.root, self.resolve, self.settings, self.depth + 1)

    def _schema(self, node: Node) -> tuple[str, SchemaField] | None:
        """``env.X`` where ``X`` is a key of an env schema (not ``process.env.X``)."""
        if node.type != "member_expression":
            return None
        obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
        if obj is None or prop is None or text_of(obj) in _ENV_ALIASES:
            return None
        found = self.settings.schema.get(text_of(prop))
        return (text_of(prop), found) if found is not None else None

    def env_key(self, node: Node) -> str | None:
        key = super().env_key(node)
        if key is None and node.type == "member_expression":
            obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
            if obj is not None and prop is not None and text_of(obj) in ("environment", "env"):
                name = text_of(prop)
                alias = text_of(obj) == "environment"
                if re.fullmatch(r"[A-Z][A-Z0-9_]*", name) and (alias or name not in self.settings.fields):
                    return name
        return key

    def source(self, node: Node, at: Node, depth: int = 0) -> Source | None:
        node = js_conditions._unwrap(node)
        found = self._field(node)
        if found is not None:
            return self._inner(found[0]).source(found[1], found[1], depth)
        cast = _cast_arg(node)
        if cast is not None and cast[0] != "toBoolean":
            return self.source(cast[1], at, depth)
        schema = self._schema(node)
        if schema is not None:
            return Source(schema[0], schema[1].default)
        return super().source(node, at, depth)

    def condition(self, node: Node) -> Condition:
        node = js_conditions._unwrap(node)
        found = self._field(node)
        if found is not None:
            return self._inner(found[0]).condition(found[1])
        schema = self._schema(node)
        if schema is not None and schema[1].true_values is not None:
            return Equals(Source(schema[0], schema[1].default), schema[1].true_values)
        cast = _cast_arg(node)
        if cast is not None:
            src = self.source(cast[1], cast[1])
            if src is None:
                return self.condition(cast[1])
            if cast[0] == "toBoolean":
                return Equals(src, frozenset({"true", "1"}))
            return Truthy(src)
        if node.type == "identifier" and self.depth < _MAX_DEPTH:
            value = js_conditions._const_value(text_of(node), node)
            if value is not None and js_conditions._unwrap(value).type != "identifier":
                return self.condition(value)
        if node.type == "binary_expression" and js_conditions._operator(node) == "??":
            # ``environment.SLACK_CLIENT_ID ?? environment.SLACK_KEY``: set when either is.
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            literal = js_conditions._unwrap(right) if right is not None else None
            if literal is not None and literal.type in ("number", "true") and text_of(literal) not in ("0",):
                return All(())  # ``… ?? 1000000``: always set, whatever the env says
            if left is not None and right is not None and self.source(node, node) is None:
                parts = (self.condition(left), self.condition(right))
                if all(keys(p) for p in parts):
                    return Any_(parts)
        if node.type == "unary_expression" and js_conditions._operator(node) == "!":
            arg = node.child_by_field_name("argument")
            inner = js_conditions._unwrap(arg) if arg is not None else None
            if (
                inner is not None
                and inner.type == "unary_expression"
                and js_conditions._operator(inner) == "!"
            ):
                deeper = inner.child_by_field_name("argument")  # ``!!x`` is x's truth
                if deeper is not None:
                    return self.condition(deeper)
        return super().condition(node)


def _cast_arg(node: Node) -> tuple[str, Node] | None:
    """``this.toBoolean(x)``, ``this.toOptionalString(x)``, ``String(x)``: (cast, x)."""
    if node.type != "call_expression":
        return None
    fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
    if fn is None or args is None or len(args.named_children) != 1:
        return None
    name = field_text(fn, "property") if fn.type == "member_expression" else text_of(fn)
    if fn.type == "member_expression" and text_of(fn.child_by_field_name("object") or fn) != "this":
        return None
    if not (name.startswith("to") or name in ("String", "Number", "Boolean")):
        return None
    return ("toBoolean" if name in ("toBoolean", "Boolean") else name), args.named_children[0]


_PARSEBOOL_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})


class GoReader:
    """Go tests on env values: ``os.Getenv("K")`` (``""`` when unset), a variable or field assigned
    from it earlier in the function (``svc.addr = os.Getenv("K")``, ``if v := os.Getenv("K"); …``),
    compared with a string literal, ``!``, ``&&``, ``||``."""

    def source(self, node: Node, at: Node, depth: int = 0) -> Source | None:
        node = _go_unwrap(node)
        if node.type == "call_expression":
            fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
            if fn is not None and args is not None and text_of(fn) == "os.Getenv" and args.named_children:
                key = _go_string(args.named_children[0])
                return Source(key, "") if key else None
        if node.type in ("identifier", "selector_expression") and depth < 3:
            value = _go_assigned(text_of(node), at)
            if value is not None:
                return self.source(value, value, depth + 1)
        return None

    def condition(self, node: Node, depth: int = 0) -> Condition:
        node = _go_unwrap(node)
        if node.type in ("identifier", "selector_expression") and depth < 3:
            # ``enabled, _ := strconv.ParseBool(os.Getenv("X")); if enabled {``
            value = _go_assigned(text_of(node), node)
            if value is not None:
                return self.condition(value, depth + 1)
        if node.type == "call_expression":
            fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
            if (
                fn is not None
                and args is not None
                and text_of(fn) == "strconv.ParseBool"
                and args.named_children
            ):
                src = self.source(args.named_children[0], node)
                if src is not None:
                    return Equals(src, _PARSEBOOL_TRUE)
        if node.type == "unary_expression" and text_of(node).startswith("!"):
            arg = node.child_by_field_name("operand")
            return Not(self.condition(arg)) if arg is not None else Unknown(text_of(node))
        if node.type == "binary_expression":
            op = text_of(node.child_by_field_name("operator") or node)
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is None or right is None:
                return Unknown(text_of(node))
            if op == "&&":
                return All((self.condition(left), self.condition(right)))
            if op == "||":
                return Any_((self.condition(left), self.condition(right)))
            if op in ("==", "!="):
                for value, lit in ((left, right), (right, left)):
                    text = _go_string(lit)
                    src = self.source(value, node) if text is not None else None
                    if src is not None and text is not None:
                        eq = Equals(src, frozenset({text}))
                        return eq if op == "==" else Not(eq)
        return Unknown(text_of(node))

    def branch(self, child: Node, parent: Node) -> list[Condition]:
        """The test ``child`` runs under when ``parent`` is an ``if`` (its else: the negation)."""
        if parent.type != "if_statement":
            return []
        test = parent.child_by_field_name("condition")
        if test is None:
            return []
        if child == parent.child_by_field_name("consequence"):
            return [self.condition(test)]
        if child == parent.child_by_field_name("alternative"):
            return [Not(self.condition(test))]
        return []


def _go_unwrap(node: Node) -> Node:
    while node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[0]
    return node


def _go_string(node: Node) -> str | None:
    node = _go_unwrap(node)
    if node.type == "interpreted_string_literal":
        return text_of(node)[1:-1]
    if node.type == "raw_string_literal":
        return text_of(node)[1:-1]
    return None


def go_statements(block: Node) -> list[Node]:
    kids = block.named_children
    if kids and kids[0].type == "statement_list":
        kids = kids[0].named_children
    return [k for k in kids if k.type != "comment"]


_GO_EXITS = re.compile(r"(?:panic|os\.Exit|log\.Fatal\w*|\w+\.Fatal\w*)\Z")


def go_exits(block: Node) -> bool:
    """``{ …; return }``, ``panic(…)``, ``os.Exit(1)``, ``log.Fatal(…)``: the branch leaves the function."""
    stmts = go_statements(block)
    if not stmts:
        return False
    last = stmts[-1]
    if last.type == "return_statement":
        return True
    call = last.named_children[0] if last.type == "expression_statement" and last.named_children else None
    fn = call.child_by_field_name("function") if call is not None and call.type == "call_expression" else None
    return fn is not None and bool(_GO_EXITS.match(text_of(fn)))


def _go_assigned(name: str, at: Node) -> Node | None:
    """The value last assigned to ``name`` (``x := …``, ``x = …``, ``var x = …``, an ``if`` initializer)
    before ``at`` in the blocks that enclose it."""
    node: Node | None = at
    while node is not None:
        parent = node.parent
        if parent is None:
            break
        if parent.type == "if_statement":
            init = parent.child_by_field_name("initializer")
            if init is not None and init != node:
                found = _go_assignment(init, name)
                if found is not None:
                    return found
        if parent.type in ("statement_list", "block", "source_file"):
            best = None
            for sib in parent.named_children:
                if sib.start_byte >= node.start_byte:
                    break
                found = _go_assignment(sib, name)
                if found is not None:
                    best = found
            if best is not None:
                return best
        node = parent
    return None


def _go_assignment(stmt: Node, name: str) -> Node | None:
    if stmt.type in ("short_var_declaration", "assignment_statement"):
        left, right = stmt.child_by_field_name("left"), stmt.child_by_field_name("right")
        if left is not None and right is not None:
            for i, target in enumerate(left.named_children):
                if text_of(target) == name and i < len(right.named_children):
                    return right.named_children[i]
    if stmt.type == "var_declaration":
        for spec in walk(stmt):
            if spec.type == "var_spec" and field_text(spec) == name:
                value = spec.child_by_field_name("value")
                if value is not None and value.named_children:
                    return value.named_children[0]
    return None
