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
:mod:`parity.code.why_conditions` (``env.X`` through the project's settings module for JS/TS,
``os.Getenv`` for Go); the files come from :mod:`parity.code.why_corpus`. REACHABLE needs an open path from an entry point; BLOCKED, every path closed (or the
function's own gate); anything else is UNKNOWN, with the undecided test shown.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from tree_sitter import Node

from parity.code import js_conditions
from parity.code.scan import service_of
from parity.code.treesitter import line_of, text_of, walk
from parity.code.why_conditions import GoReader, JsReader, Settings, go_exits
from parity.code.why_corpus import MAX_FILES, TreeCorpus, TreeFile, field_text, module_stem
from parity.code.why_result import Blocker, Step, WhyResult
from parity.model.condition import (
    All,
    Any_,
    Condition,
    Equals,
    Not,
    Truthy,
    Unknown,
    describe,
    holds,
    keys,
)

if TYPE_CHECKING:
    from parity.code.why import _Ctx

_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "all", "use", "head", "options"})
_CANDIDATES = ("true", "1", "yes", "on", "enabled")
_MAX_CHAIN = 7  # functions between a definition and its entry point (a job handler is 6 deep)
_MAX_PATHS = 64  # paths kept per function: a helper called from everywhere needs only a few

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


def _class_name(node: Node) -> str:
    p = node.parent
    while p is not None and p.type not in ("class_declaration", "class", "abstract_class_declaration"):
        p = p.parent
    return field_text(p) if p is not None else ""


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
            if field_text(n) == name:
                out.append(Definition(f, n, name, n))
        elif t == "variable_declarator" and owner is None:
            value = n.child_by_field_name("value")
            if field_text(n) == name and value is not None:
                fn = _first_function(value, JS_FUNCTIONS)
                if fn is not None:
                    out.append(Definition(f, n, name, fn))
        elif t in ("method_definition", "public_field_definition") and field_text(n) == name:
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
                and field_text(left, "property") == name
                and text_of(left.child_by_field_name("object") or left) in ("module.exports", "exports")
                and right.type in JS_FUNCTIONS
            ):
                out.append(Definition(f, n, name, right))
        elif t == "class_declaration" and owner is None and field_text(n) == name:
            out.append(Definition(f, n, name, None))
    return out


def route_call(n: Node) -> tuple[str, Node] | None:
    """``(path, handler)`` when ``n`` is ``router.<verb>("path", …, handler)``, else None."""
    if n.type != "call_expression":
        return None
    fn, args = n.child_by_field_name("function"), n.child_by_field_name("arguments")
    if fn is None or args is None or fn.type != "member_expression":
        return None
    if field_text(fn, "property") not in _HTTP_VERBS or not args.named_children:
        return None
    path = js_conditions._string(args.named_children[0])
    return (path, args.named_children[-1]) if path else None


def js_routes(f: TreeFile, path: str) -> list[Definition]:
    """``router.post("users.invite", …, handler)``: the handler (the last argument) of that route."""
    out: list[Definition] = []
    for n in walk(f.root):
        found = route_call(n)
        if found is None or found[0] != path:
            continue
        handler = found[1]
        func = handler if handler.type in JS_FUNCTIONS else None
        out.append(Definition(f, handler, text_of(handler) if func is None else "", func))
    return out


def go_definitions(f: TreeFile, name: str, owner: str | None) -> list[Definition]:
    out: list[Definition] = []
    for n in f.root.named_children:
        if n.type not in ("function_declaration", "method_declaration") or field_text(n) != name:
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
        self.partial: set[str] = set()  # names whose uses were not all read (see MAX_FILES)

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
            if not (go_exits(then) if f.lang == "go" else js_conditions._exits(then)):
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
                found += [(f, n) for n in f.named(name) if _is_use(n, lang)]
            self._uses[k] = found
        if name in self.corpus.cut:
            # Outside the cache: a walker shared by several questions marks each one's answer.
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
            fname = field_text(function)
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
            for local, spec in g.default_imports().items():
                if tail not in spec:
                    continue
                for n in g.named(local):
                    if n.type == "identifier" and _is_use(n, "javascript") and _site(g, n) not in seen:
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
        module = module_stem(f.rel).rsplit("/", 1)[-1] if f.lang == "javascript" else ""
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
    k = (f.rel, home.rel, name)
    if k not in corpus.imports_seen:
        # Per file pair and name, once a run: a file's imports do not change between its uses.
        corpus.imports_seen[k] = _imports(corpus, f, home, name)
    if corpus.imports_seen[k]:
        return True
    return _enclosing(use, frozenset({"class_body"})) is not None and use.type == "property_identifier"


def _imports(corpus: TreeCorpus, f: TreeFile, home: TreeFile, name: str) -> bool:
    """A JS/TS file ``f`` imports ``name`` from ``home`` (or may: see :func:`_may_resolve_to`)."""
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
    return False


def _resolves_to(f: TreeFile, spec: str, home: TreeFile) -> bool:
    return posixpath.normpath(posixpath.join(_folder(f.rel), spec)) == module_stem(home.rel)


def _may_resolve_to(corpus: TreeCorpus, f: TreeFile, spec: str, home: TreeFile, name: str) -> bool:
    """``import { name } from spec`` in ``f`` may bind the definition in ``home``: a relative path
    that names another file only when that file neither is ``home`` nor re-exports. A package
    path (``@app/lib/…``, tsconfig aliases) cannot be resolved here, so it may."""
    if not spec.startswith("."):
        return True
    target = posixpath.normpath(posixpath.join(_folder(f.rel), spec))
    if target == module_stem(home.rel):
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
    if fn is None or fn.type != "member_expression" or field_text(fn, "property") != "with":
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
        return field_text(function), function
    if function.type == "method_definition":
        return field_text(function), function
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
            return field_text(left, "property"), p
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
            if (
                fn is not None
                and fn.type == "member_expression"
                and field_text(fn, "property") in _HTTP_VERBS
            ):
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


def service_for(rel: str, services: list[tuple[str, str]]) -> str | None:
    """The service whose env a file's code sees: its folder's, else a monorepo's one app (which
    runs its packages)."""
    svc = service_of(rel, services)
    if svc is None:
        with_code = [name for name, folder in services if folder not in ("", ".")]
        svc = with_code[0] if len(with_code) == 1 else None
    return svc


def explain(ctx: _Ctx, walker: Walker, symbol: str, d: Definition) -> WhyResult:
    f = d.file
    services = ctx.services
    svc = service_for(f.rel, services)
    env = ctx.env(svc).as_dict()
    walker.partial = set()  # this question's own; the walker may have answered others before

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
        text = f"uses of {cut} in over {MAX_FILES} files, not all read"
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
    if ctx.graph is not None:
        corpus, walker = ctx.graph.tree()
    else:
        corpus = TreeCorpus(ctx.project.root)
        walker = Walker(corpus, Settings(corpus))
    defs = definitions(corpus, symbol)
    if not defs:
        return None
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
