"""The code a switch keeps off, in TypeScript/JavaScript and Go: functions whose own early exit
(``if (!IS_BILLING_ENABLED()) throw …``, ``if os.Getenv("X") != "1" { return }``) tests the key,
and the routes of a router mounted only under such a test (``if (enabled) PluginManager.add(…)``).

The test rarely names the key itself: a predicate (``IS_BILLING_ENABLED``), a settings field
(``env.EMAIL_ENABLED``) or a local (``const enabled = !!env.SLACK_CLIENT_ID``) sits between them.
So the words looked for are the key and the short declarations whose text holds it. A candidate
counts when its gate is closed in the target and this key can open it; a mounted route also
needs ``why`` to find no other open path to it.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from parity.code.treesitter import line_of, text_of, walk
from parity.code.why_tree import (
    GO_FUNCTIONS,
    JS_FUNCTIONS,
    Definition,
    _explain_safely,
    _function_name,
    _holds,
    route_call,
    service_for,
)
from parity.model.condition import keys

if TYPE_CHECKING:
    from tree_sitter import Node

    from parity.code.why import CodeGraph
    from parity.code.why_corpus import TreeCorpus, TreeFile
    from parity.code.why_result import WhyResult

#: Declarations whose name stands for what their text reads.
_DECLARATIONS = frozenset(
    {
        "variable_declarator",
        "function_declaration",
        "method_definition",
        "public_field_definition",
        "pair",
        "const_spec",
        "var_spec",
    }
)
#: Values a switch usually takes, tried to see whether the key can open a gate at all.
_TRIALS = ("true", "1", "yes", "on", "enabled", "false", "0", "", "local", "development")
#: Candidates asked per key (each is a ``why``).
MAX_CANDIDATES = 24


class _TreeIndex:
    """Per file, once a run: its declarations (with their text) and the names its function-
    shutting early exits test. Every key asked is then a few dictionary lookups per file."""

    def __init__(self) -> None:
        self._declared: dict[str, tuple[list[tuple[str, bytes]], list[tuple[set[str], bytes]]]] = {}
        self._gates: dict[str, dict[str, list[tuple[Node, Node]]]] = {}
        self._routes: dict[str, list[tuple[Node, str]]] = {}

    def declared(self, f: TreeFile) -> tuple[list[tuple[str, bytes]], list[tuple[set[str], bytes]]]:
        """``([(name, text)] of declarations, [(names, text)] of Go short variable declarations)``."""
        if f.rel not in self._declared:
            shared: list[tuple[str, bytes]] = []
            local: list[tuple[set[str], bytes]] = []
            for n in walk(f.root):
                if n.type == "short_var_declaration":
                    left = n.child_by_field_name("left")
                    names = {
                        text_of(c) for c in (left.named_children if left else []) if c.type == "identifier"
                    }
                    local.append((names - {"_", "err"}, text_of(n).encode()))
                elif n.type in _DECLARATIONS:
                    name = n.child_by_field_name("name") or n.child_by_field_name("key")
                    if name is not None and name.type in (
                        "identifier",
                        "property_identifier",
                        "field_identifier",
                    ):
                        shared.append((text_of(name), text_of(n).encode()))
            self._declared[f.rel] = (shared, local)
        return self._declared[f.rel]

    def routes(self, f: TreeFile) -> list[tuple[Node, str]]:
        """``(handler, path)`` of each ``router.<verb>("path", …, handler)`` in the file."""
        if f.rel not in self._routes:
            calls = (route_call(n) for n in walk(f.root))
            self._routes[f.rel] = [(h, path) for path, h in filter(None, calls) if h.type in JS_FUNCTIONS]
        return self._routes[f.rel]

    def gates(self, f: TreeFile) -> dict[str, list[tuple[Node, Node]]]:
        """Name → ``(if, function)`` for each ``if`` standing directly in a function's body that
        shuts it (see :func:`_refuses`) and whose condition names it."""
        if f.rel not in self._gates:
            kinds = GO_FUNCTIONS if f.lang == "go" else JS_FUNCTIONS
            found: dict[str, list[tuple[Node, Node]]] = {}
            for p in f.ifs():
                cond = p.child_by_field_name("condition")
                body = p.parent
                if body is not None and body.type == "statement_list":  # Go wraps a block's statements
                    body = body.parent
                fn = body.parent if body is not None else None
                if cond is None or fn is None or fn.type not in kinds or not _refuses(f, p):
                    continue
                for n in walk(cond):
                    if n.type in _IDENTIFIERS:
                        found.setdefault(text_of(n), []).append((p, fn))
            self._gates[f.rel] = found
        return self._gates[f.rel]


def _index(graph: CodeGraph) -> _TreeIndex:
    found = getattr(graph, "gate_tree_index", None)
    if not isinstance(found, _TreeIndex):
        found = _TreeIndex()
        graph.gate_tree_index = found
    return found


#: A declaration this long is code that uses a key (a method, a config object), not a name that
#: stands for it (``IS_BILLING_ENABLED = () => env(KEY) === 'true'``, a settings field).
_MAX_STANDING = 240
#: A key, or a name standing for it, in more files than this is a common word (``PORT``,
#: ``config``), not a switch's name: its files are not searched for gates.
_MAX_WORD_FILES = 60


_IDENTIFIERS = frozenset({"identifier", "property_identifier", "field_identifier", "string_fragment"})
#: What an early ``return`` hands back when it refuses the call rather than answering it.
_REFUSING = re.compile(
    r"\b(?:[A-Z]\w*Error|error|notFound|redirect|forbidden|unauthorized|status\(\s*[45]\d\d)", re.I
)


def _refuses(f: TreeFile, if_node: Node) -> bool:
    """The ``if`` shuts the function: a ``throw``, a bare ``return``, or a return of an error or a
    4xx/5xx response (Go: any early return). ``if (!BILLING) return 'form'`` is the feature
    answering differently, not a switch that keeps the function off."""
    if f.lang == "go":
        return True
    then = if_node.child_by_field_name("consequence")
    if then is None:
        return False
    last = then.named_children[-1] if then.type == "statement_block" and then.named_children else then
    if last.type == "throw_statement":
        return True
    if last.type == "return_statement":
        value = last.named_children[0] if last.named_children else None
        if value is not None and _REFUSING.search(text_of(value)):
            return True
        # A bare return shuts a function or a route's handler, but only skips the rest of another
        # callback (``.superRefine((data) => { if (!CSC) return; … })``): its caller goes on.
        fn = if_node.parent.parent if if_node.parent is not None else None
        callback = (
            fn is not None and fn.parent is not None and fn.parent.type == "arguments" and not _route_of(fn)
        )
        return not callback and (value is None or text_of(value) in ("null", "undefined"))
    return False


#: Where a router is mounted under a test: the file and the node naming the router.
Site = tuple["TreeFile", "Node"]


def candidates(graph: CodeGraph, key: str) -> list[tuple[Definition, str, Site | None]]:
    """``(function, what to call it, mount)`` for each function whose own early exit tests ``key``
    or a name standing for it, or that a router mounted under such a test serves (``mount``: where);
    called by its name, or the route path an anonymous handler serves."""
    corpus, _walker = graph.tree()
    index = _index(graph)
    needle = re.compile(rb"(?<![\w$])" + re.escape(key.encode()) + rb"(?![\w$])")
    holding = list(corpus.containing(key))
    if len(holding) > _MAX_WORD_FILES:
        return []
    words = {key}
    local: dict[str, set[str]] = {}
    for f in holding:
        shared, mine = index.declared(f)
        words |= {
            name
            for name, text in shared
            if name != key and len(name) > 2 and len(text) <= _MAX_STANDING and needle.search(text)
        }
        # Names of this file stand for the key here whatever their spread elsewhere
        # (``const enabled = !!env.SLACK_CLIENT_ID``, Go's ``enabled, _ := …``).
        local[f.rel] = {n for names, text in mine if needle.search(text) for n in names} | {
            name
            for name, text in shared
            if name != key and len(text) <= _MAX_STANDING and needle.search(text)
        }
    searches: list[tuple[set[str], list[TreeFile]]] = []
    for w in sorted(words):
        files = list(corpus.containing(w))
        if len(files) <= _MAX_WORD_FILES:
            searches.append(({w}, files))
    searches += [
        (names, [f]) for rel, names in local.items() if names and (f := corpus.file(rel)) is not None
    ]
    out: list[tuple[Definition, str, Site | None]] = []
    seen: set[tuple[str, int]] = set()
    for names, files in searches:
        tested = _tested_in_an_if(names | {key})
        for f in files:
            if not tested.search(f.data):
                continue  # no ``if`` tests one of the names: nothing to parse this file for
            for d, path, site in _mounted(corpus, index, f, names | {key}):
                if (d.file.rel, d.node.start_byte) not in seen:
                    seen.add((d.file.rel, d.node.start_byte))
                    out.append((d, path, site))
            gates = index.gates(f)
            for w in names:
                for _if, fn in gates.get(w, ()):
                    if (f.rel, fn.start_byte) in seen:
                        continue
                    name, decl = _function_name(fn)
                    route = "" if name else _route_of(fn)
                    if not (name or route):
                        continue
                    seen.add((f.rel, fn.start_byte))
                    out.append(
                        (Definition(f, decl if decl is not None else fn, name, fn), name or route, None)
                    )
    out.sort(key=lambda c: (c[0].file.rel, c[0].function.start_byte if c[0].function else 0))
    return out


def _tested_in_an_if(names: set[str]) -> re.Pattern[bytes]:
    """Bytes of an ``if`` whose test (up to its ``{`` or ``;``) names one of ``names``: a file
    without one has no gate on them, and is not parsed for one."""
    alternatives = b"|".join(re.escape(n.encode()) for n in sorted(names))
    return re.compile(rb"\bif\b[^{;]*?(?<![\w$])(?:" + alternatives + rb")(?![\w$])")


def _mounted(
    corpus: TreeCorpus, index: _TreeIndex, f: TreeFile, names: set[str]
) -> list[tuple[Definition, str, Site]]:
    """The route handlers of the routers an ``if`` naming one of ``names`` mounts:
    ``if (enabled) { PluginManager.add([{ value: router }]) }`` with ``import router from "./api/files"``."""
    if f.lang != "javascript":
        return []
    imports = f.default_imports()
    if not imports:
        return []
    out: list[tuple[Definition, str, Site]] = []
    for p in f.ifs():
        cond, then = p.child_by_field_name("condition"), p.child_by_field_name("consequence")
        if (
            cond is None
            or then is None
            or not any(text_of(n) in names for n in walk(cond) if n.type in _IDENTIFIERS)
        ):
            continue
        for n in walk(then):
            spec = (
                imports.get(text_of(n)) if n.type in ("identifier", "shorthand_property_identifier") else None
            )
            if spec is None or not spec.startswith("."):
                continue
            target = corpus.by_stem(posixpath.normpath(posixpath.join(posixpath.dirname(f.rel), spec)))
            routed = corpus.file(target) if target is not None else None
            if routed is not None:
                out += [
                    (Definition(routed, handler, "", handler), path, (f, n))
                    for handler, path in index.routes(routed)
                ]
    return out


def _route_of(fn: Node) -> str:
    """The path of the route whose handler ``fn`` is (any argument of the call), else ""."""
    args = fn.parent
    call = args.parent if args is not None and args.type == "arguments" else None
    found = route_call(call) if call is not None else None
    return found[0] if found is not None else ""


def gated_by_tree(graph: CodeGraph, key: str, environment: str) -> list[tuple[Definition, str, str]]:
    """``(function, its name, file:line of the switch)`` for each TS/JS or Go function ``key``
    keeps off in ``environment``.

    A function whose own early exit on the key is closed does no work in the target, whatever
    path reaches it: that is read off the gate, without walking its callers. A route a router
    serves that is mounted under a closed test may be mounted elsewhere too: ``why`` walks its
    paths, and only a BLOCKED answer on this key counts."""
    _corpus, walker = graph.tree()
    ctx = graph.context(environment)
    out: list[tuple[Definition, str, str]] = []
    asked = 0
    for d, name, mount in candidates(graph, key):
        if mount is not None:
            gates = [t for t in walker.tests_around(*mount) if t.kind != "requires"]
        else:
            gates = walker.body_gates(d.file, d.function) if d.function is not None else []
            # A "requires" exit (``if (!SECRET) throw``) is a crash, not a switch: why says CRASHES.
            gates = [t for t in gates if t.kind == "gate"]
        mine = [t for t in gates if key in keys(t.cond)]
        if not mine:
            continue  # the key is read inside, or required, not tested as a switch before the work
        env = ctx.env(service_for(d.file.rel, graph.services)).as_dict()
        closed = [t for t in mine if _holds(t.cond, env) is False]
        if not closed:
            continue  # its own gate lets the call through here: this key keeps nothing off in it
        opened = [
            t
            for t in closed
            if any(_holds(t.cond, e) is not False for e in opening_trials(env, key, keys(t.cond)))
        ]
        if not opened:
            continue  # no value of this key opens it: another key is the switch there
        if mount is None:
            out.append((d, name, f"{opened[0].file}:{opened[0].line}"))
            continue
        asked += 1
        if asked > MAX_CANDIDATES:
            break
        # One answer per route a run: ``SMTP_HOST || SMTP_SERVICE`` asks twice about each.
        k = (environment, d.file.rel, str(d.node.start_byte))
        cached = graph.answers.get(k)
        answer = cached[0] if cached else _explain_safely(ctx, walker, f"{d.file.rel}:{name}", d)
        graph.answers[k] = [answer]
        if closed_by(answer, key):
            out.append((d, name, f"{opened[0].file}:{opened[0].line}"))
    return out


def opening_trials(env: dict[str, str], key: str, tested: frozenset[str] | set[str]) -> list[dict[str, str]]:
    """Envs to try whether ``key`` can open a test: it unset or set to a usual switch value, alone
    and with the test's other unset keys set to the same value (``A && B`` with both unset is
    opened by neither alone, and is still A's switch)."""
    others = {k: v for k, v in env.items() if k != key}
    unset = [k for k in tested if k != key and k not in env]
    out = [others]
    for v in _TRIALS:
        out.append({**others, key: v})
        if unset:
            out.append({**others, **dict.fromkeys(unset, v), key: v})
    return out


def closed_by(answer: WhyResult, key: str) -> bool:
    """``why`` answers BLOCKED, and the switch, or a false condition on the way, reads ``key``
    (a blocker names one key of its condition; ``SMTP_HOST || SMTP_SERVICE`` is closed by either)."""
    if answer.verdict != "BLOCKED":
        return False
    if any(b.kind == "switch" and b.key == key for b in answer.blockers):
        return True
    return any(s.verdict == "false" and any(k.key == key for k in s.keys) for s in answer.steps)


def where(d: Definition) -> str:
    return f"{d.file.rel}:{line_of(d.node)}"
