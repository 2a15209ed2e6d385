"""``parity why SYMBOL`` for TypeScript/JavaScript and Go, read by tree-sitter.

The same answer as for Python (:mod:`parity.code.why`), built from syntax trees:

* **definitions**: JS/TS ``function f``, ``const f = …`` (an arrow, or a call chain that takes one,
  such as a tRPC ``procedure.query(async () => …)``), class methods (``Class.method``), route
  handlers named by their path (``router.post("users.invite", …, async (ctx) => …)``); Go
  functions and methods (``Type.Method``). ``file:symbol`` picks one of several; several are listed,
  never merged.
* **gates**: an early ``throw``/``return`` on an env test among the function's own statements
  (``if (!IS_BILLING_ENABLED()) throw …``, ``if os.Getenv("X") != "1" { return }``), and the
  ``if``/``else``/``&&``/ternary/``case`` around each place the symbol is used.
* **paths**: from each use (a call, a registration such as ``router({ get: route })`` or
  ``http.HandleFunc("/x", h)``, ``go f()``) up through the functions that contain it to an entry
  point: module-level code (it runs on import), Go ``main``/``init``, a gRPC service registration
  of a method's receiver. A path is open when every test on it holds in the target env.

Tests are conditions of :mod:`parity.model.condition` (three-valued), read by
:mod:`parity.code.js_conditions` for JS/TS, with ``env.X`` resolved through the project's settings
module (a class of fields over ``process.env``, a zod/t3 schema with defaults), and by a small Go
reader here. REACHABLE needs an open path from an entry point; BLOCKED, every path closed (or the
function's own gate); anything else is UNKNOWN, with the undecided test shown.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tree_sitter import Node

from parity.code import js_conditions
from parity.code.files import source_files
from parity.code.scan import service_of
from parity.code.treesitter import line_of, parse, text_of, walk
from parity.code.why_result import Blocker, Step, WhyResult
from parity.model.condition import (
    All,
    Any_,
    Condition,
    Equals,
    Not,
    Source,
    Truthy,
    Unknown,
    describe,
    holds,
    keys,
)

if TYPE_CHECKING:
    from parity.code.why import _Ctx

JS_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
_TEST_PARTS = ("/__tests__/", "/e2e/", "/test/", "/tests/", "/cypress/", "/node_modules/", "/dist/")
_TEST_NAME = re.compile(r"\.(?:test|spec|stories|d)\.[cm]?[jt]sx?\Z|_test\.go\Z")
_ENV_READERS = frozenset({"env", "requireEnv", "getEnv", "readEnv", "getEnvVar"})
_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "all", "use", "head", "options"})
_CANDIDATES = ("true", "1", "yes", "on", "enabled")
_MAX_DEPTH = 4  # settings fields and predicates through each other
_MAX_CHAIN = 7  # functions between a definition and its entry point (a job handler is 6 deep)
_MAX_PATHS = 64  # paths kept per function: a helper called from everywhere needs only a few
_MAX_FILES = 300  # files parsed per searched name: a common name is not worth the whole tree

JS_FUNCTIONS = frozenset(
    {
        "function_declaration",
        "function_expression",
        "arrow_function",
        "method_definition",
        "generator_function_declaration",
        "function",
    }
)
GO_FUNCTIONS = frozenset({"function_declaration", "method_declaration", "func_literal"})


def language_of(rel: str) -> str | None:
    if rel.endswith(JS_SUFFIXES):
        return "javascript"
    if rel.endswith(".go"):
        return "go"
    return None


def _is_test(rel: str) -> bool:
    return any(p in "/" + rel for p in _TEST_PARTS) or bool(_TEST_NAME.search(rel))


@dataclass
class TreeFile:
    rel: str
    lang: str  # "javascript" | "go"
    data: bytes
    _root: Node | None = None

    @property
    def root(self) -> Node:
        if self._root is None:
            grammar = js_conditions.grammar(self.rel) if self.lang == "javascript" else "go"
            self._root = parse(self.data.decode("utf-8", "replace"), grammar)
        return self._root


class TreeCorpus:
    """The project's JS/TS and Go source files (tests, builds and vendored code left out)."""

    def __init__(self, root: Path) -> None:
        from parity.code.why import _read_source_bytes

        self.root = root
        self._read = _read_source_bytes
        self.files = sorted(
            rel
            for rel, lang in source_files(root)
            if lang in ("javascript", "go") and language_of(rel) is not None and not _is_test(rel)
        )
        self._cache: dict[str, TreeFile | None] = {}
        self._stems: dict[str, str] | None = None
        self.cut: set[str] = set()  # names found in more files than were read

    def file(self, rel: str) -> TreeFile | None:
        if rel not in self._cache:
            data = self._read(str(self.root), rel)
            lang = language_of(rel)
            self._cache[rel] = TreeFile(rel, lang, data) if data is not None and lang else None
        return self._cache[rel]

    def by_stem(self, stem: str) -> str | None:
        """The JS/TS file an import path names (``./api/files`` → ``…/api/files.ts`` or ``…/index.ts``)."""
        if self._stems is None:
            self._stems = {}
            for rel in self.files:
                if language_of(rel) == "javascript":
                    self._stems.setdefault(_stem(rel), rel)
        return self._stems.get(stem)

    def containing(self, name: str, lang: str | None = None, prefer: str = "") -> Iterator[TreeFile]:
        """The files that name ``name`` (as a word), those that also mention ``prefer`` (the
        definition's module) first, at most ``_MAX_FILES`` of them (the cut ones go in ``cut``)."""
        word = re.compile(rb"(?<![\w$])" + re.escape(name.encode()) + rb"(?![\w$])")
        n = 0
        order = self.files
        if prefer:
            hint = prefer.encode()
            first = [r for r in self.files if (d := self.file(r)) is not None and hint in d.data]
            order = first + [r for r in self.files if r not in set(first)]
        for rel in order:
            if lang is not None and language_of(rel) != lang:
                continue
            f = self.file(rel)
            if f is not None and word.search(f.data):
                n += 1
                if n > _MAX_FILES:
                    self.cut.add(name)
                    return
                yield f


# -- definitions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Definition:
    file: TreeFile
    node: Node  # the declaration (or the handler function of a route)
    name: str  # what its callers call it ("" for a route handler)
    function: Node | None  # the function whose body runs


def _first_function(node: Node, kinds: frozenset[str]) -> Node | None:
    for n in walk(node):
        if n.type in kinds:
            return n
    return None


def _name(node: Node, field_name: str = "name") -> str:
    n = node.child_by_field_name(field_name)
    return text_of(n) if n is not None else ""


def _class_name(node: Node) -> str:
    p = node.parent
    while p is not None and p.type not in ("class_declaration", "class", "abstract_class_declaration"):
        p = p.parent
    return _name(p) if p is not None else ""


def _receiver_type(node: Node) -> str:
    recv = node.child_by_field_name("receiver")
    if recv is None:
        return ""
    for n in walk(recv):
        if n.type == "type_identifier":
            return text_of(n)
    return ""


def js_definitions(f: TreeFile, name: str, owner: str | None) -> list[Definition]:
    out: list[Definition] = []
    for n in walk(f.root):
        t = n.type
        if t in ("function_declaration", "generator_function_declaration") and owner is None:
            if _name(n) == name:
                out.append(Definition(f, n, name, n))
        elif t == "variable_declarator" and owner is None:
            value = n.child_by_field_name("value")
            if _name(n) == name and value is not None:
                fn = _first_function(value, JS_FUNCTIONS)
                if fn is not None:
                    out.append(Definition(f, n, name, fn))
        elif t in ("method_definition", "public_field_definition") and _name(n) == name:
            cls = _class_name(n)
            if owner is not None and cls != owner:
                continue
            fn = n if t == "method_definition" else _first_function(n, JS_FUNCTIONS)
            if fn is not None:
                out.append(Definition(f, n, name, fn))
        elif t == "assignment_expression" and owner is None:
            # CommonJS: ``module.exports.charge = async (request) => {…}``, ``exports.charge = …``
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            if (
                left is not None
                and right is not None
                and left.type == "member_expression"
                and _name(left, "property") == name
                and text_of(left.child_by_field_name("object") or left) in ("module.exports", "exports")
                and right.type in JS_FUNCTIONS
            ):
                out.append(Definition(f, n, name, right))
        elif t == "class_declaration" and owner is None and _name(n) == name:
            out.append(Definition(f, n, name, None))
    return out


def js_routes(f: TreeFile, path: str) -> list[Definition]:
    """``router.post("users.invite", …, handler)``: the handler (the last argument) of that route."""
    out: list[Definition] = []
    for n in walk(f.root):
        if n.type != "call_expression":
            continue
        fn, args = n.child_by_field_name("function"), n.child_by_field_name("arguments")
        if fn is None or args is None or fn.type != "member_expression":
            continue
        if _name(fn, "property") not in _HTTP_VERBS or not args.named_children:
            continue
        first = js_conditions._string(args.named_children[0])
        if first != path:
            continue
        handler = args.named_children[-1]
        func = handler if handler.type in JS_FUNCTIONS else None
        out.append(Definition(f, handler, text_of(handler) if func is None else "", func))
    return out


def go_definitions(f: TreeFile, name: str, owner: str | None) -> list[Definition]:
    out: list[Definition] = []
    for n in f.root.named_children:
        if n.type not in ("function_declaration", "method_declaration") or _name(n) != name:
            continue
        if owner is None or (n.type == "method_declaration" and _receiver_type(n) == owner):
            out.append(Definition(f, n, name, n))
    return out


def definitions(corpus: TreeCorpus, symbol: str) -> list[Definition]:
    """Every definition ``symbol`` (``[file:]name``, ``[file:]Class.method`` or a route path) names."""
    where, sep, name = symbol.rpartition(":")
    if not sep:
        where, name = "", symbol
    owner: str | None = None
    route = name.startswith("/") or bool(re.fullmatch(r"[a-z][\w]*\.[a-z][\w.]*", name))
    if not route and "." in name:
        owner, name = name.rsplit(".", 1)
    out: list[Definition] = []
    for f in corpus.containing(name.rsplit(".", 1)[-1] if route else name):
        if where and not (f.rel == where or f.rel.endswith("/" + where.lstrip("/"))):
            continue
        if f.lang == "go":
            out += go_definitions(f, name, owner) if not route else []
        else:
            out += js_routes(f, name) if route else js_definitions(f, name, owner)
    return out


# -- conditions -------------------------------------------------------------------------------


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
                name = _name(n)
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
                    self.fields.setdefault(_name(n), (f, ret.named_children[0]))
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
        calls.append((_name(fn, "property"), args))
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
    name = _name(fn, "property") if fn.type == "member_expression" else text_of(fn)
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


def _go_statements(block: Node) -> list[Node]:
    kids = block.named_children
    if kids and kids[0].type == "statement_list":
        kids = kids[0].named_children
    return [k for k in kids if k.type != "comment"]


_GO_EXITS = re.compile(r"(?:panic|os\.Exit|log\.Fatal\w*|\w+\.Fatal\w*)\Z")


def _go_exits(block: Node) -> bool:
    """``{ …; return }``, ``panic(…)``, ``os.Exit(1)``, ``log.Fatal(…)``: the branch leaves the function."""
    stmts = _go_statements(block)
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
            if spec.type == "var_spec" and _name(spec) == name:
                value = spec.child_by_field_name("value")
                if value is not None and value.named_children:
                    return value.named_children[0]
    return None


# -- paths ------------------------------------------------------------------------------------


Site = tuple[str, int, int]  # (file, start byte, end byte): a node, comparable across trees


def _site(f: TreeFile, node: Node) -> Site:
    return (f.rel, node.start_byte, node.end_byte)


@dataclass(frozen=True)
class Test:
    """One condition on a path: where it is and what it says."""

    file: str
    line: int
    text: str
    cond: Condition
    kind: str  # "if" | "gate"


@dataclass
class Path_:
    tests: list[Test] = field(default_factory=list)
    via: list[Step] = field(default_factory=list)  # the uses on the way (call sites, registrations)
    entry: bool = False


class Walker:
    """The paths from entry points to a definition, through the uses of each function on the way."""

    def __init__(self, corpus: TreeCorpus, settings: Settings) -> None:
        self.corpus = corpus
        self.settings = settings
        self._readers: dict[str, JsReader | GoReader] = {}
        self._predicates: dict[str, Condition | None] = {}
        self._uses: dict[tuple[str, str, str], list[tuple[TreeFile, Node]]] = {}
        self.partial: set[str] = set()  # names whose uses were not all read (see _MAX_FILES)

    # readers

    def reader(self, f: TreeFile) -> JsReader | GoReader:
        if f.rel not in self._readers:
            self._readers[f.rel] = (
                GoReader() if f.lang == "go" else JsReader(f.root, self._resolve, self.settings)
            )
        return self._readers[f.rel]

    def _resolve(self, name: str) -> Condition | None:
        """A predicate (``IS_BILLING_ENABLED()``) defined in another file."""
        if name not in self._predicates:
            self._predicates[name] = None  # a cycle reads as "not found"
            for f in self.corpus.containing(name, "javascript"):
                if f"{name} =".encode() in f.data or f"function {name}".encode() in f.data:
                    reader = JsReader(f.root, self._resolve, self.settings, depth=1)
                    body = js_conditions._function_body(f.root, name)
                    found = js_conditions._returns(body, reader) if body is not None else None
                    if found is not None:
                        self._predicates[name] = found
                        break
        return self._predicates[name]

    def tests_around(self, f: TreeFile, node: Node) -> list[Test]:
        """The tests between ``node`` and its function (if/else, early exits before it, ``&&``, …)."""
        reader = self.reader(f)
        go = isinstance(reader, GoReader)
        out: list[Test] = []
        child, parent = node, node.parent
        while parent is not None and parent.type not in (GO_FUNCTIONS if go else JS_FUNCTIONS):
            if parent.type in ("statement_block", "block", "statement_list"):
                out += self._early_exits(f, reader, child, parent)
            elif isinstance(reader, GoReader):
                for cond in reader.branch(child, parent):
                    if _envish(cond):
                        out.append(Test(f.rel, line_of(parent), _test_text(child, parent)[:100], cond, "if"))
            else:
                parts: list[Condition] = []
                reader._step(child, parent, parts)
                if parent.type == "arguments":
                    case = _pattern_case(reader, child, parent)
                    if case is not None:
                        parts.append(case)
                for cond in parts:
                    if _envish(cond):  # a test on data is not a switch
                        out.append(Test(f.rel, line_of(parent), _test_text(child, parent)[:100], cond, "if"))
            child, parent = parent, parent.parent
        return out

    def _early_exits(self, f: TreeFile, reader: JsReader | GoReader, child: Node, block: Node) -> list[Test]:
        """``if (test) { throw … }`` / ``if test { return }`` before ``child`` in ``block``: the code
        gets past each only when its test is false."""
        out: list[Test] = []
        for sib in block.named_children:
            if sib == child:
                break
            if sib.type != "if_statement" or sib.child_by_field_name("alternative") is not None:
                continue
            then, test = sib.child_by_field_name("consequence"), sib.child_by_field_name("condition")
            if then is None or test is None:
                continue
            if not (_go_exits(then) if f.lang == "go" else js_conditions._exits(then)):
                continue
            exit_test = reader.condition(test)
            cond = Not(exit_test)
            if _envish(cond):
                kind = "requires" if _requires_key(exit_test, then) else "if"
                out.append(Test(f.rel, line_of(sib), "not " + text_of(test)[:96], cond, kind))
        return out

    def body_gates(self, f: TreeFile, function: Node) -> list[Test]:
        """Early exits among the function's own statements: ``if (!ENABLED) throw …`` before its work."""
        body = function.child_by_field_name("body")
        if body is None:
            return []
        if f.lang == "go" and body.named_children and body.named_children[0].type == "statement_list":
            body = body.named_children[0]
        # Past its last statement: every early exit of the body stands before the work.
        gates = self._early_exits(f, self.reader(f), body, body)
        return [replace(t, kind="gate") if t.kind == "if" else t for t in gates]

    # uses

    def uses(self, name: str, lang: str, prefer: str = "") -> list[tuple[TreeFile, Node]]:
        k = (name, lang, prefer)
        if k not in self._uses:
            found: list[tuple[TreeFile, Node]] = []
            for f in self.corpus.containing(name, lang, prefer):
                for n in walk(f.root):
                    if (
                        n.type in ("identifier", "property_identifier", "field_identifier")
                        and text_of(n) == name
                        and _is_use(n, lang)
                    ):
                        found.append((f, n))
            self._uses[k] = found
            if name in self.corpus.cut:
                self.partial.add(name)
        return self._uses[k]

    def paths(self, f: TreeFile, site: Node, depth: int, seen: frozenset[Site]) -> list[Path_]:
        """Every way the code reaches ``site`` from an entry point (or not: ``entry=False``)."""
        tests = self.tests_around(f, site)
        function = _enclosing(site, GO_FUNCTIONS if f.lang == "go" else JS_FUNCTIONS)
        if function is None:
            # Module-level code runs when the module is loaded: a call or a registration there is an entry.
            entry = f.lang != "go" and _runs_at_load(site)
            here = _step(f, site, "registered" if entry else "used", entry)
            mounted = self.mounts(f, site, depth, seen) if entry else []
            if mounted:
                # ``router.post(…)`` on a router the module exports: it serves only where the
                # router is mounted (``if (enabled) PluginManager.add([{ value: router }])``).
                return [Path_(tests + p.tests, [here, *p.via], p.entry) for p in mounted]
            return [Path_(tests, [here], entry)]
        if f.lang == "go":
            fname = _name(function)
            if (
                function.type == "function_declaration"
                and fname in ("main", "init")
                and _go_package(f) == "main"
            ):
                return [Path_(tests, [_step(f, function, f"func {fname}", True)], True)]
        if depth >= _MAX_CHAIN or _site(f, function) in seen:
            return [Path_(tests, [], False)]
        return [
            Path_(tests + p.tests, [_step(f, site, "called"), *p.via], p.entry)
            for p in self.function_paths(f, function, depth + 1, seen | {_site(f, function)})
        ]

    def mounts(self, f: TreeFile, site: Node, depth: int, seen: frozenset[Site]) -> list[Path_]:
        """The paths to the places that mount the default-exported router ``site`` registers on."""
        obj = _router_of(site)
        if obj is None or depth >= _MAX_CHAIN:
            return []
        exported = any(
            top.type == "export_statement" and text_of(top).replace(";", "").split()[-1] == obj
            for top in f.root.named_children
        )
        if not exported:
            return []
        stem = f.rel.rsplit(".", 1)[0]
        tail = "/".join(stem.split("/")[-2:])  # ``api/files`` of ``…/api/files.ts``
        out: list[Path_] = []
        for g in self.corpus.containing(tail.rsplit("/", 1)[-1], "javascript", prefer=tail):
            for top in g.root.named_children:
                if top.type != "import_statement" or tail not in text_of(top):
                    continue
                clause = next((c for c in top.named_children if c.type == "import_clause"), None)
                local = clause.named_children[0] if clause is not None and clause.named_children else None
                if local is None or local.type != "identifier":
                    continue
                for n in walk(g.root):
                    if (
                        n.type == "identifier"
                        and text_of(n) == text_of(local)
                        and _is_use(n, "javascript")
                        and _site(g, n) not in seen
                    ):
                        out += self.paths(g, n, depth + 1, seen | {_site(g, n)})
        return out

    def function_paths(self, f: TreeFile, function: Node, depth: int, seen: frozenset[Site]) -> list[Path_]:
        """The paths to a function: through its name's uses, or, when anonymous, through where it sits."""
        name, owner = _function_name(function)
        if (
            f.lang == "go"
            and function.type == "method_declaration"
            and _grpc_registered(self.corpus, f, function)
        ):
            return [Path_([], [_step(f, function, f"gRPC service {_receiver_type(function)}", True)], True)]
        if not name:
            return self.paths(f, function, depth, seen)
        if f.lang == "javascript" and _framework_entry(f, name):
            return [Path_([], [_step(f, function, f"exported {name} of a route module", True)], True)]
        go_main = f.lang == "go" and function.type == "function_declaration" and name in ("main", "init")
        if go_main and _go_package(f) == "main":
            return [Path_([], [_step(f, function, f"func {name}", True)], True)]
        # A method is called on its class's instances: only files that name the class can (a
        # NestJS service is injected by its class name), which keeps ``.register(`` everywhere out.
        cls = _class_name(function) if function.type == "method_definition" else ""
        cls_word = re.compile(rb"(?<![\w$])" + re.escape(cls.encode()) + rb"(?![\w$])") if cls else None
        out: list[Path_] = []
        module = _stem(f.rel).rsplit("/", 1)[-1] if f.lang == "javascript" else ""
        for uf, use in self.uses(name, f.lang, module):
            if _site(uf, use) in seen or _within(use, owner):
                continue
            if cls_word is not None and uf.rel != f.rel and not cls_word.search(uf.data):
                continue
            if cls_word is None and not _sees(self.corpus, uf, use, f, name):
                continue
            out += self.paths(uf, use, depth, seen | {_site(uf, use)})
            if len(out) >= _MAX_PATHS:
                if not any(p.entry and not p.tests for p in out):
                    self.partial.add(name)  # more uses than followed: an open one may be left
                break
        return out


_FLAGGISH = re.compile(r"ENABLE|DISABLE|FEATURE|ALLOW|USE_|_MODE\b")


def _requires_key(cond: Condition, then: Node) -> bool:
    """``cond`` is the test that leaves: ``if (!keyPath) throw new Error('No key path')`` on a plain
    read makes the key required (it crashes when missing), not a switch; a flag-like key
    (``…_ENABLED``) stays a switch."""
    if isinstance(cond, Equals) and cond.values == frozenset({""}):  # Go: ``if port == "" {``
        source = cond.source
    elif isinstance(cond, Not) and isinstance(cond.inner, Truthy):  # ``if (!keyPath) {``
        source = cond.inner.source
    else:
        return False
    text = text_of(then)
    throws = "throw" in text or "panic(" in text or "Fatal" in text or "os.Exit(" in text
    return throws and not _FLAGGISH.search(source.key)


def _folder(rel: str) -> str:
    return rel.rsplit("/", 1)[0] if "/" in rel else ""


def _sees(corpus: TreeCorpus, f: TreeFile, use: Node, home: TreeFile, name: str) -> bool:
    """``use`` can refer to the definition in ``home``: the same file; in JS/TS a file that imports
    the name; in Go the same package, or ``pkg.Name`` from another."""
    if f.rel == home.rel:
        return True
    if f.lang == "go":
        if _folder(f.rel) == _folder(home.rel):
            return True
        return use.parent is not None and use.parent.type == "selector_expression"
    word = re.compile(r"(?<![\w$])" + re.escape(name) + r"(?![\w$])")
    for top in f.root.named_children:
        if top.type == "import_statement" and word.search(text_of(top)):
            source = top.child_by_field_name("source")
            spec = js_conditions._string(source) if source is not None else None
            if spec is None or _may_resolve_to(corpus, f, spec, home, name):
                return True
        if top.type == "lexical_declaration" and "require(" in text_of(top) and word.search(text_of(top)):
            return True
    if b"import(" in f.data:
        # ``const handler = await import('./seal-document.handler'); handler.run(…)``
        for n in walk(f.root):
            if n.type == "call_expression" and (fn := n.child_by_field_name("function")) is not None:
                args = n.child_by_field_name("arguments")
                first = args.named_children[:1] if fn.type == "import" and args is not None else []
                spec = js_conditions._string(first[0]) if first else None
                if spec and spec.startswith(".") and _resolves_to(f, spec, home):
                    return True
    return _enclosing(use, frozenset({"class_body"})) is not None and use.type == "property_identifier"


def _stem(rel: str) -> str:
    stem = rel.rsplit(".", 1)[0] if "." in rel.rsplit("/", 1)[-1] else rel
    return stem[: -len("/index")] if stem.endswith("/index") else stem


def _resolves_to(f: TreeFile, spec: str, home: TreeFile) -> bool:
    return posixpath.normpath(posixpath.join(_folder(f.rel), spec)) == _stem(home.rel)


def _may_resolve_to(corpus: TreeCorpus, f: TreeFile, spec: str, home: TreeFile, name: str) -> bool:
    """``import { name } from spec`` in ``f`` may bind the definition in ``home``: a relative path
    that names another file only when that file neither is ``home`` nor re-exports. A package
    path (``@app/lib/…``, tsconfig aliases) cannot be resolved here, so it may."""
    if not spec.startswith("."):
        return True
    target = posixpath.normpath(posixpath.join(_folder(f.rel), spec))
    if target == _stem(home.rel):
        return True
    other = corpus.by_stem(target)
    if other is None:
        return True  # not a file parity reads (generated, outside): cannot tell
    data = corpus.file(other)
    text = data.data if data is not None else b""
    return b"export *" in text or (b"export {" in text and name.encode() in text)


def _pattern_case(reader: JsReader, child: Node, args: Node) -> Condition | None:
    """``match(transport).with('local', () => …)`` (ts-pattern): the handler runs when the matched
    value is one of the literals before it."""
    call = args.parent
    if call is None or call.type != "call_expression" or child != args.named_children[-1]:
        return None
    fn = call.child_by_field_name("function")
    if fn is None or fn.type != "member_expression" or _name(fn, "property") != "with":
        return None
    values = [js_conditions._string(a) for a in args.named_children[:-1]]
    if not values or any(v is None for v in values):
        return None
    base = fn.child_by_field_name("object")
    while base is not None and base.type == "call_expression":
        inner = base.child_by_field_name("function")
        if inner is not None and inner.type == "identifier" and text_of(inner) == "match":
            first = (base.child_by_field_name("arguments") or base).named_children[:1]
            src = reader.source(first[0], first[0]) if first else None
            return Equals(src, frozenset(v for v in values if v is not None)) if src is not None else None
        base = (
            inner.child_by_field_name("object")
            if inner is not None and inner.type == "member_expression"
            else None
        )
    return None


def _test_text(child: Node, parent: Node) -> str:
    cond = parent.child_by_field_name("condition")
    if cond is not None:
        branch = "not " if child == parent.child_by_field_name("alternative") else ""
        return branch + text_of(cond)
    if parent.type == "statement_block":
        return "after an early exit"
    if parent.type == "arguments":
        return ".with(" + ", ".join(text_of(a) for a in parent.named_children[:-1]) + ", …)"
    return text_of(parent).split("\n", 1)[0]


def _step(f: TreeFile, node: Node, kind: str, entry: bool = False) -> Step:
    return Step(kind, f.rel, line_of(node), text_of(node).split("\n", 1)[0][:100], None, entry=entry)


def _enclosing(node: Node, kinds: frozenset[str]) -> Node | None:
    p = node.parent
    while p is not None and p.type not in kinds:
        p = p.parent
    return p


def _within(node: Node, container: Node | None) -> bool:
    p: Node | None = node
    while p is not None:
        if container is not None and p == container:
            return True
        p = p.parent
    return False


def _function_name(function: Node) -> tuple[str, Node | None]:
    """What callers call ``function`` (and the node that declares it, so its own name is skipped)."""
    if function.type in ("function_declaration", "generator_function_declaration", "method_declaration"):
        return _name(function), function
    if function.type == "method_definition":
        return _name(function), function
    p = function.parent
    while p is not None and p.type in (
        "call_expression",
        "arguments",
        "member_expression",
        "await_expression",
        "pair",
        "object",
        "array",
        "as_expression",
        "satisfies_expression",
        "parenthesized_expression",
    ):
        # ``const r = procedure.query(async () => …)``, ``const JOB = { handler: async () => … }``:
        # the const names it, and the code that takes the const (a job registry) runs it.
        p = p.parent
    if p is not None and p.type in ("variable_declarator", "public_field_definition", "pair"):
        key = p.child_by_field_name("name") or p.child_by_field_name("key")
        # ``const { a, b } = await io.runTask(…, async () => …)`` names values, not the function.
        if key is not None and p.type != "pair" and key.type in ("identifier", "property_identifier"):
            return text_of(key), p
    if p is not None and p.type == "assignment_expression":  # ``module.exports.charge = async …``
        left = p.child_by_field_name("left")
        if left is not None and left.type == "member_expression":
            return _name(left, "property"), p
    return "", None


def _is_use(n: Node, lang: str) -> bool:
    """An identifier that refers to the symbol (not its declaration, an import, a type or a key)."""
    p = n.parent
    if p is None:
        return False
    skip = {
        "import_specifier",
        "import_clause",
        "namespace_import",
        "export_specifier",
        "type_identifier",
        "function_declaration",
        "method_definition",
        "method_declaration",
        "class_declaration",
        "public_field_definition",
        "type_annotation",
        "import_spec",
    }
    if p.type in skip:
        return False
    if p.type == "variable_declarator" and p.child_by_field_name("name") == n:
        return False
    if p.type == "pair" and p.child_by_field_name("key") == n:
        return False
    if p.type in ("member_expression", "selector_expression"):
        # ``obj.name``: a use only as the member (``svc.name()``), never as the object's own name
        prop = p.child_by_field_name("property") or p.child_by_field_name("field")
        return prop == n
    return n.type == "identifier"


def _router_of(site: Node) -> str | None:
    """``router`` of the module-level ``router.post("x", …, site)`` that ``site`` is passed to."""
    p = site.parent
    while p is not None and p.type != "program":
        if p.type == "call_expression":
            fn = p.child_by_field_name("function")
            if fn is not None and fn.type == "member_expression" and _name(fn, "property") in _HTTP_VERBS:
                obj = fn.child_by_field_name("object")
                return text_of(obj) if obj is not None and obj.type == "identifier" else None
        p = p.parent
    return None


def _runs_at_load(site: Node) -> bool:
    """A module-level use that runs or registers the symbol: inside a call, ``new``, or an object/array
    passed on, not a bare ``export``."""
    p = site.parent
    while p is not None and p.type != "program":
        if p.type in ("call_expression", "new_expression", "await_expression"):
            return True
        if p.type in ("export_statement", "export_clause"):
            return False
        p = p.parent
    return False


def _framework_entry(f: TreeFile, name: str) -> bool:
    """A file-routed handler: ``loader``/``action`` of a Remix route, a Next.js API route's handlers."""
    rel = "/" + f.rel
    if "/routes/" in rel and name in ("loader", "action", "default"):
        return True
    return ("/pages/api/" in rel or "/app/api/" in rel) and name in (
        "handler",
        "GET",
        "POST",
        "PUT",
        "DELETE",
    )


def _go_package(f: TreeFile) -> str:
    for n in f.root.named_children:
        if n.type == "package_clause":
            return text_of(n).split()[-1]
    return ""


def _grpc_registered(corpus: TreeCorpus, f: TreeFile, method: Node) -> bool:
    """A method of a type that the package registers as a gRPC service (``pb.RegisterXServer(srv, svc)``):
    the server calls it."""
    folder = f.rel.rsplit("/", 1)[0] if "/" in f.rel else ""
    if not _receiver_type(method):
        return False
    for rel in corpus.files:
        if rel.endswith(".go") and (rel.rsplit("/", 1)[0] if "/" in rel else "") == folder:
            other = corpus.file(rel)
            if other is not None and re.search(rb"\.Register\w+Server\(", other.data):
                return True
    return False


# -- the answer -------------------------------------------------------------------------------


_ENVISH = re.compile(
    r"process\.env|\benv\b|\benvironment\.[A-Z]|Getenv|LookupEnv|config(?:Service)?\.get\("
    r"|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\(\)"
    r"|isFeatureEnabled|featureFlag"
)


def _envish(cond: Condition) -> bool:
    """A test that reads the environment, or looks like it does (``configService.get('X')``,
    ``isFeatureEnabled()``): a switch parity cannot decide, unlike a test on data (``if (!user)``)."""
    if isinstance(cond, Unknown):
        return bool(_ENVISH.search(cond.text))
    if isinstance(cond, Not):
        return _envish(cond.inner)
    if isinstance(cond, (All, Any_)):
        return any(_envish(p) for p in cond.parts)
    return bool(keys(cond))


def _and3(values: list[bool | None]) -> bool | None:
    return False if False in values else (None if None in values else True)


def _or3(values: list[bool | None]) -> bool | None:
    return True if True in values else (None if None in values else False)


def _possible(cond: Condition, env: dict[str, str]) -> tuple[bool | None, bool | None]:
    """(can it be true, can it be false) in ``env``, whatever the data: a test on data is free
    either way, an env-like test parity cannot read is undecided (None)."""
    if isinstance(cond, Unknown):
        return (None, None) if _envish(cond) else (True, True)
    if isinstance(cond, Not):
        t, f = _possible(cond.inner, env)
        return f, t
    if isinstance(cond, (All, Any_)):
        parts = [_possible(p, env) for p in cond.parts]
        ts, fs = [p[0] for p in parts], [p[1] for p in parts]
        if isinstance(cond, All):
            return _and3(ts), _or3(fs)
        return _or3(ts), _and3(fs)
    v = holds(cond, env.get)
    return (None, None) if v is None else (v, not v)


def _holds(cond: Condition, env: dict[str, str]) -> bool | None:
    """Whether the code can get past the test in ``env`` (None: an env test parity cannot decide)."""
    return _possible(cond, env)[0]


def explain(ctx: _Ctx, walker: Walker, symbol: str, d: Definition) -> WhyResult:
    f = d.file
    services = ctx.services
    svc = service_of(f.rel, services)
    if svc is None:
        with_code = [name for name, folder in services if folder not in ("", ".")]
        svc = with_code[0] if len(with_code) == 1 else None  # a monorepo's one app runs its packages
    env = ctx.env(svc).as_dict()

    steps: list[Step] = [
        Step("defined", f.rel, line_of(d.node), text_of(d.node).split("\n", 1)[0][:100], svc)
    ]
    gates = walker.body_gates(f, d.function) if d.function is not None else []
    if d.function is not None:
        paths = walker.function_paths(f, d.function, 0, frozenset({_site(f, d.function)}))
    else:  # a class: its uses (``new X``, a registration)
        paths = [
            p for use_f, use in walker.uses(d.name, f.lang) for p in walker.paths(use_f, use, 1, frozenset())
        ]

    def value(tests: list[Test]) -> bool | None:
        """Whether the switches on a path let it through (a required key crashes, it does not switch)."""
        answers = [_holds(t.cond, env) for t in tests if t.kind != "requires"]
        return False if False in answers else (None if None in answers else True)

    blockers: list[Blocker] = []

    def as_step(t: Test) -> Step:
        v = _holds(t.cond, env)
        verdict = "unknown" if v is None else ("true" if v else "false")
        states = tuple(ctx.key_state(k, svc) for k in sorted(keys(t.cond)))
        return Step(t.kind, t.file, t.line, t.text, svc, verdict, states)

    def block(t: Test) -> None:
        blockers.append(_switch(ctx, t, env, svc))

    required = [t for t in gates if t.kind == "requires"]
    gates = [t for t in gates if t.kind == "gate"]
    closed_gate = next((t for t in gates if _holds(t.cond, env) is False), None)
    steps += [as_step(t) for t in gates]
    if closed_gate is not None:
        block(closed_gate)
        return WhyResult(
            symbol, ctx.environment, tuple(steps), tuple(blockers), (_where(d),), language=f.lang
        )
    entries = [p for p in paths if p.entry]
    open_ = [p for p in entries if value(p.tests) is True]
    if open_:
        best = min(open_, key=lambda p: len(p.tests))
        steps += [as_step(t) for t in best.tests] + best.via
        steps += [as_step(t) for t in required]
        for t in [*(t for t in best.tests if t.kind == "requires"), *required]:
            if _holds(t.cond, env) is False:
                blockers.append(_missing(ctx, t, svc))
        return WhyResult(
            symbol, ctx.environment, tuple(steps), tuple(blockers), (_where(d),), language=f.lang
        )
    if paths and all(value(p.tests) is False for p in paths) and not walker.partial:
        first = paths[0]
        t = next(t for t in first.tests if t.kind != "requires" and _holds(t.cond, env) is False)
        steps += [as_step(x) for x in first.tests] + first.via
        block(t)
        return WhyResult(
            symbol, ctx.environment, tuple(steps), tuple(blockers), (_where(d),), language=f.lang
        )
    # Undecided: show the entry path with the unknown test, else say no entry point reaches it.
    undecided = [p for p in entries if value(p.tests) is None]
    if walker.partial:
        # Every path read is closed, but not every use was read: an open one may be among them.
        cut = ", ".join(sorted(walker.partial))
        text = f"uses of {cut} in over {_MAX_FILES} files, not all read"
        steps.append(Step("called", f.rel, line_of(d.node), text, svc, "unknown"))
    elif undecided:
        p = undecided[0]
        steps += [as_step(t) for t in p.tests] + p.via
    elif entries:
        # Every entry point's path is closed, but another use (no entry point found) is not.
        p = entries[0]
        steps += [as_step(t) for t in p.tests] + p.via
        steps.append(Step("if", f.rel, line_of(d.node), "a use with no entry point found", svc, "unknown"))
    else:
        for p in paths[:3]:
            steps += [as_step(t) for t in p.tests] + p.via
    return WhyResult(symbol, ctx.environment, tuple(steps), (), (_where(d),), language=f.lang)


def _where(d: Definition) -> str:
    return f"{d.file.rel}:{line_of(d.node)}"


def _literals(cond: Condition) -> list[str]:
    if isinstance(cond, Equals):
        return sorted(cond.values)
    if isinstance(cond, Not):
        return _literals(cond.inner)
    if isinstance(cond, (All, Any_)):
        return [v for p in cond.parts for v in _literals(p)]
    return []


def _missing(ctx: _Ctx, t: Test, svc: str | None) -> Blocker:
    key = sorted(keys(t.cond))[0]
    return Blocker(
        "missing",
        key,
        f"{key} is unset in {ctx.where(svc)} ({ctx.environment}): {t.file}:{t.line} throws without it",
        f"set {key} in {ctx.fix_file(svc, key)}",
        t.file,
        t.line,
        svc,
    )


def _compared(cond: Condition) -> frozenset[str]:
    """The keys the test compares with a value (the others it only wants set)."""
    if isinstance(cond, Equals):
        return frozenset({cond.source.key})
    if isinstance(cond, Not):
        return _compared(cond.inner)
    if isinstance(cond, (All, Any_)):
        return frozenset().union(*(_compared(p) for p in cond.parts))
    return frozenset()


def _said(t: Test) -> str:
    """The test in words (``X is 'true'``) when parity read all of it, else its code."""

    def whole(c: Condition) -> bool:
        if isinstance(c, Unknown):
            return False
        if isinstance(c, Not):
            return whole(c.inner)
        if isinstance(c, (All, Any_)):
            return all(whole(p) for p in c.parts)
        return True

    return describe(t.cond) if whole(t.cond) else f"`{' '.join(t.text.split())}` ({t.file}:{t.line})"


def _switch(ctx: _Ctx, t: Test, env: dict[str, str], svc: str | None) -> Blocker:
    """The keys (and value) that open the test: one key at a time, unset ones first, then the
    unset ones together (``!!SLACK_CLIENT_ID && !!SLACK_CLIENT_SECRET``), then all of them."""
    where = ctx.where(svc)
    ks = sorted(keys(t.cond), key=lambda k: (k in env, k))
    groups = [[k] for k in ks] + [[k for k in ks if k not in env], ks]
    tried: set[tuple[str, ...]] = set()
    for group in groups:
        if not group or tuple(group) in tried:
            continue
        tried.add(tuple(group))
        for candidate in dict.fromkeys([*_CANDIDATES, *_literals(t.cond), ""]):
            if _holds(t.cond, {**env, **dict.fromkeys(group, candidate)}) is not True:
                continue
            for k in reversed(list(group)):
                # The fewest keys: drop each one the test opens without (a deprecated alias).
                fewer = [g for g in group if g != k]
                if fewer and _holds(t.cond, {**env, **dict.fromkeys(fewer, candidate)}) is True:
                    group = fewer
            states = []
            for k in group:
                v = ctx.env(svc).values.get(k)
                states.append(f"{k} is unset" if v is None else f"{k}={ctx.shown(v)}")
            compared = _compared(t.cond)
            sets = " and ".join(k if k not in compared else f"{k}={candidate}" for k in group)
            files = " and ".join(dict.fromkeys(ctx.fix_file(svc, k) for k in group))
            loose = all(k not in compared for k in group)
            return Blocker(
                "switch",
                group[0],
                f"{', '.join(states)} in {where} ({ctx.environment}): {_said(t)} is false",
                f"set {sets} in {files}" + (" (any non-empty value opens it)" if loose else ""),
                t.file,
                t.line,
                svc,
            )
    return Blocker(
        "switch",
        ks[0] if ks else None,
        f"the condition at {t.file}:{t.line} is false in {where} ({ctx.environment})",
        f"make `{t.text}` true",
        t.file,
        t.line,
        svc,
    )


def _explain_safely(ctx: _Ctx, walker: Walker, symbol: str, d: Definition) -> WhyResult:
    """:func:`explain`, but a file nested past Python's recursion limit (hostile or generated)
    gives UNKNOWN with the reason rather than a crash."""
    try:
        return explain(ctx, walker, symbol, d)
    except RecursionError:
        text = "an expression nested too deeply to read"
        step = Step("if", d.file.rel, line_of(d.node), text, None, "unknown")
        return WhyResult(symbol, ctx.environment, (step,), (), (_where(d),), language=d.file.lang)


def why_tree(ctx: _Ctx, symbol: str) -> WhyResult | None:
    """The answer for a TS/JS or Go symbol, None when no such definition exists."""
    corpus = TreeCorpus(ctx.project.root)
    defs = definitions(corpus, symbol)
    if not defs:
        return None
    walker = Walker(corpus, Settings(corpus))
    if len(defs) > 1:
        alternatives = tuple(
            _explain_safely(ctx, walker, f"{d.file.rel}:{d.name or symbol}", d) for d in defs
        )
        if all(d.name == "" for d in defs) and len({a.verdict for a in alternatives}) == 1:
            # One route path, several methods (GET and POST): one endpoint, one answer.
            first = alternatives[0]
            return WhyResult(
                symbol,
                ctx.environment,
                first.steps,
                first.blockers,
                tuple(a.definitions[0] for a in alternatives),
                language=first.language,
            )
        return WhyResult(
            symbol,
            ctx.environment,
            (),
            (),
            tuple(a.definitions[0] for a in alternatives),
            alternatives,
            language=defs[0].file.lang,
        )
    return _explain_safely(ctx, walker, symbol, defs[0])
