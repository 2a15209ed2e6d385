"""The code a switch keeps off, in TypeScript/JavaScript and Go: functions whose own early exit
(``if (!IS_BILLING_ENABLED()) throw …``, ``if os.Getenv("X") != "1" { return }``) tests the key.

The test rarely names the key itself: a predicate (``IS_BILLING_ENABLED``) or a settings getter
(``env.EMAIL_ENABLED``) sits between them. So the words looked for are the key and the names
declared, in the files that read the key, by a declaration whose text holds it. Each function of
the files holding one of those words whose body names one of them is a candidate; its early exits
are read by the ``why`` walker, and it is kept only when ``why`` answers BLOCKED by this key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from parity.code import js_conditions
from parity.code.treesitter import line_of, text_of, walk
from parity.code.why_corpus import field_text
from parity.code.why_tree import (
    _HTTP_VERBS,
    GO_FUNCTIONS,
    JS_FUNCTIONS,
    Definition,
    _explain_safely,
    _function_name,
)
from parity.model.condition import keys

if TYPE_CHECKING:
    from tree_sitter import Node

    from parity.code.why import CodeGraph
    from parity.code.why_corpus import TreeFile
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
#: Candidates asked per key (each is a ``why``).
MAX_CANDIDATES = 24


def _standing_for(f: TreeFile, key: str) -> tuple[set[str], set[str]]:
    """Names declared in ``f`` by a declaration whose text holds ``key``: ``(names other files
    import, names local to f)`` — Go's ``enabled, _ := strconv.ParseBool(os.Getenv(KEY))`` is local."""
    shared: set[str] = set()
    local: set[str] = set()
    word = key.encode()
    for n in walk(f.root):
        if n.type == "short_var_declaration" and word in text_of(n).encode():
            left = n.child_by_field_name("left")
            local |= {
                text_of(c)
                for c in (left.named_children if left is not None else [])
                if c.type == "identifier"
            }
            continue
        if n.type not in _DECLARATIONS or word not in text_of(n).encode():
            continue
        name = n.child_by_field_name("name") or n.child_by_field_name("key")
        if name is not None and name.type in ("identifier", "property_identifier", "field_identifier"):
            text = text_of(name)
            if text != key and len(text) > 2:
                shared.add(text)
    return shared, local - {"_", "err"}


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


def candidates(graph: CodeGraph, key: str) -> list[tuple[Definition, str]]:
    """``(function, what to call it)`` for each function whose own early exit tests ``key`` or a
    name standing for it: its name, or the route path an anonymous handler serves."""
    corpus, _walker = graph.tree()
    words = {key}
    local: dict[str, set[str]] = {}
    for f in corpus.containing(key):
        shared, mine = _standing_for(f, key)
        words |= shared
        local[f.rel] = mine
    out: list[tuple[Definition, str]] = []
    seen: set[tuple[str, int]] = set()
    searches: list[tuple[set[str], Iterable[TreeFile]]] = [
        ({w} | words, corpus.containing(w)) for w in sorted(words)
    ]
    searches += [
        (names | words, [f]) for rel, names in local.items() if names and (f := corpus.file(rel)) is not None
    ]
    for words_here, files in searches:
        for f in files:
            kinds = GO_FUNCTIONS if f.lang == "go" else JS_FUNCTIONS
            for n in walk(f.root):
                if n.type not in _IDENTIFIERS or text_of(n) not in words_here:
                    continue
                # The ``if`` whose condition holds the word, standing directly in a function's body.
                p = n.parent
                while p is not None and p.type != "if_statement" and p.type not in kinds:
                    p = p.parent
                if p is None or p.type != "if_statement":
                    continue
                cond = p.child_by_field_name("condition")
                if cond is None or not (cond.start_byte <= n.start_byte < cond.end_byte):
                    continue
                body = p.parent
                if body is not None and body.type == "statement_list":  # Go wraps a block's statements
                    body = body.parent
                fn = body.parent if body is not None else None
                if fn is None or fn.type not in kinds or (f.rel, fn.start_byte) in seen:
                    continue
                if not _refuses(f, p):
                    continue
                name, decl = _function_name(fn)
                route = "" if name else _route_of(fn)
                if not (name or route):
                    continue
                seen.add((f.rel, fn.start_byte))
                out.append((Definition(f, decl if decl is not None else fn, name, fn), name or route))
    return out


def _route_of(fn: Node) -> str:
    """The path of the route whose handler ``fn`` is, else ""."""
    args = fn.parent
    call = args.parent if args is not None and args.type == "arguments" else None
    target = call.child_by_field_name("function") if call is not None else None
    if args is None or target is None or target.type != "member_expression":
        return ""
    if field_text(target, "property") not in _HTTP_VERBS or not args.named_children:
        return ""
    return js_conditions._string(args.named_children[0]) or ""


def gated_by_tree(graph: CodeGraph, key: str, environment: str) -> list[tuple[Definition, str, WhyResult]]:
    """``(function, its name, answer)`` for each TS/JS or Go function ``key`` keeps off in ``environment``."""
    _corpus, walker = graph.tree()
    ctx = graph.context(environment)
    out: list[tuple[Definition, str, WhyResult]] = []
    for d, name in candidates(graph, key)[:MAX_CANDIDATES]:
        gates = walker.body_gates(d.file, d.function) if d.function is not None else []
        if not any(key in keys(t.cond) for t in gates):
            continue  # the key is read inside, not tested before the work
        answer = _explain_safely(ctx, walker, f"{d.file.rel}:{name}", d)
        if closed_by(answer, key):
            out.append((d, name, answer))
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
