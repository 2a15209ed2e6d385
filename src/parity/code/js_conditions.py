"""The branch a JavaScript/TypeScript read sits in, as a :mod:`parity.model.condition`.

The regex reader sees ``env('RESEND_API_KEY')`` and whether a default follows; it cannot see that
the read is inside ``if (transport === 'resend') {…}``, in ``case 'csc':``, after
``if (!IS_CSC_MODE()) throw …`` at the top of its function, or on the right of ``x && …``. This
module parses the file (tree-sitter) for the few reads that have no default, walks from each read
up to its function, and turns each test on the way into a condition on env values: a comparison
of a read (directly, through a ``const x = env('K') ?? 'd'``, or through a small predicate function
such as ``const isCsc = () => env('K') === 'csc'``, in this file or another) with a string literal,
a truthiness test, and ``!``/``&&``/``||`` over those. Anything else is :class:`Unknown`, which never
hides a read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from tree_sitter import Node

from parity.code.treesitter import line_of, parse, text_of, walk
from parity.model.condition import (
    All,
    Any_,
    Choice,
    Condition,
    Equals,
    Not,
    Source,
    Truthy,
    Unknown,
    simplify,
)

_FUNCTIONS = frozenset(
    {
        "function_declaration",
        "function_expression",
        "arrow_function",
        "method_definition",
        "generator_function_declaration",
        "function",
    }
)
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_MAX_DEPTH = 3

# A predicate defined elsewhere, by name → its condition (None: not found or not readable).
Resolver = Callable[[str], Condition | None]


def grammar(rel: str) -> str:
    return (
        "tsx"
        if rel.endswith((".tsx", ".jsx"))
        else "typescript"
        if rel.endswith((".ts", ".mts", ".cts"))
        else "javascript"
    )


def _string(node: Node) -> str | None:
    if node.type == "string":
        return "".join(
            text_of(c) for c in node.named_children if c.type in ("string_fragment", "escape_sequence")
        )
    if node.type == "template_string" and not any(
        c.type == "template_substitution" for c in node.named_children
    ):
        return text_of(node)[1:-1]
    return None


class _Reader:
    """Reads conditions out of one parsed file; ``readers`` are the call names that read env
    (``env``, ``requireEnv``: what the scanner saw this project use)."""

    def __init__(self, root: Node, readers: frozenset[str], resolve: Resolver, depth: int = 0) -> None:
        self.root = root
        self.readers = readers
        self.resolve = resolve
        self.depth = depth
        # ``process.env.X = …`` in this file: a test of X no longer says what the environment set.
        self.written = frozenset(
            key
            for n in walk(root)
            if n.type == "assignment_expression"
            and (left := n.child_by_field_name("left")) is not None
            and (key := self.env_key(left)) is not None
        )

    # -- values -------------------------------------------------------------------------------

    def env_key(self, node: Node) -> str | None:
        """``process.env.K``, ``process.env['K']``, ``import.meta.env.K``, ``env('K')``."""
        if node.type == "member_expression":
            obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
            if obj is not None and prop is not None and text_of(obj) in ("process.env", "import.meta.env"):
                return text_of(prop)
        if node.type == "subscript_expression":
            obj, index = node.child_by_field_name("object"), node.child_by_field_name("index")
            if obj is not None and index is not None and text_of(obj) == "process.env":
                return _string(index)
        if node.type == "call_expression":
            fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
            if fn is not None and args is not None and text_of(fn) in self.readers:
                first = args.named_children[:1]
                name = _string(first[0]) if first else None
                if name and _ENV_NAME.match(name):
                    return name
        return None

    def source(self, node: Node, at: Node, depth: int = 0) -> Source | None:
        node = _unwrap(node)
        key = self.env_key(node)
        if key:
            return None if key in self.written else Source(key)
        if node.type == "binary_expression":
            op = _operator(node)
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if op in ("??", "||") and left is not None and right is not None:
                inner = self.source(left, at, depth)
                default = _string(_unwrap(right))
                if inner is not None and default is not None and inner.default is None:
                    return Source(inner.key, default, op == "||")
        if node.type == "identifier" and depth < _MAX_DEPTH:
            value = _const_value(text_of(node), at)
            if value is not None:
                return self.source(value, value, depth + 1)
        return None

    # -- tests --------------------------------------------------------------------------------

    def condition(self, node: Node) -> Condition:
        node = _unwrap(node)
        if node.type == "unary_expression" and _operator(node) == "!":
            arg = node.child_by_field_name("argument")
            return Not(self.condition(arg)) if arg is not None else Unknown(text_of(node))
        if node.type == "binary_expression":
            op = _operator(node)
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is None or right is None:
                return Unknown(text_of(node))
            if op == "&&":
                return All((self.condition(left), self.condition(right)))
            if op == "||":
                return Any_((self.condition(left), self.condition(right)))
            if op in ("===", "==", "!==", "!="):
                eq = self.equals(left, right) or self.equals(right, left)
                if eq is None:
                    return Unknown(text_of(node))
                return eq if op in ("===", "==") else Not(eq)
        if node.type == "call_expression":
            fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
            if fn is not None and fn.type == "identifier" and args is not None and not args.named_children:
                found = self.predicate(text_of(fn))
                if found is not None:
                    return found
        src = self.source(node, node)
        if src is not None:
            return Truthy(src)
        return Unknown(text_of(node))

    def equals(self, value: Node, literal: Node) -> Condition | None:
        lit = _string(_unwrap(literal))
        if lit is None:
            return None
        src = self.source(value, value)
        return Equals(src, frozenset({lit})) if src is not None else None

    def predicate(self, name: str) -> Condition | None:
        """A zero-argument function of this file, else of another (``resolve``), as a condition."""
        if self.depth >= _MAX_DEPTH:
            return None
        body = _function_body(self.root, name)
        if body is not None:
            return _returns(body, self)
        return self.resolve(name)

    # -- the walk -----------------------------------------------------------------------------

    def reached_when(self, read: Node) -> Condition | None:
        """The tests between ``read`` and its function that must hold for the code to get there."""
        parts: list[Condition] = []
        child, parent = read, read.parent
        while parent is not None and parent.type not in _FUNCTIONS:
            self._step(child, parent, parts)
            child, parent = parent, parent.parent
        return simplify(parts)

    def _step(self, child: Node, parent: Node, parts: list[Condition]) -> None:
        t = parent.type
        if t == "if_statement":
            test = parent.child_by_field_name("condition")
            if test is None:
                return
            if child == parent.child_by_field_name("consequence"):
                parts.append(self.condition(test))
            elif child == parent.child_by_field_name("alternative"):
                parts.append(Not(self.condition(test)))
        elif t == "statement_block":
            for sib in parent.named_children:
                if sib == child:
                    break
                if sib.type == "if_statement" and sib.child_by_field_name("alternative") is None:
                    body, test = sib.child_by_field_name("consequence"), sib.child_by_field_name("condition")
                    if body is not None and test is not None and _exits(body):
                        parts.append(Not(self.condition(test)))
        elif t == "ternary_expression":
            test = parent.child_by_field_name("condition")
            if test is None:
                return
            if child == parent.child_by_field_name("consequence"):
                parts.append(self.condition(test))
            elif child == parent.child_by_field_name("alternative"):
                parts.append(Not(self.condition(test)))
        elif t == "binary_expression" and child == parent.child_by_field_name("right"):
            left = parent.child_by_field_name("left")
            op = _operator(parent)
            if left is not None and op == "&&":
                parts.append(self.condition(left))
            elif left is not None and op == "||":
                parts.append(Not(self.condition(left)))
        elif t == "switch_case":
            parts.append(self._case(parent))

    def _case(self, case: Node) -> Condition:
        body = case.parent
        switch = body.parent if body is not None else None
        disc = switch.child_by_field_name("value") if switch is not None else None
        src = self.source(disc, disc) if disc is not None else None
        if src is None or body is None:
            return Unknown("switch")
        # ``case 'a': case 'b': …`` — the empty cases just before fall through into this one.
        values: list[str] = []
        cases = [c for c in body.named_children if c.type == "switch_case"]
        i = cases.index(case)
        while i >= 0:
            lit = cases[i].child_by_field_name("value")
            text = _string(_unwrap(lit)) if lit is not None else None
            if text is None:
                return Unknown("switch")
            values.append(text)
            i -= 1
            if i < 0 or any(c.type != "comment" for c in cases[i].named_children[1:]):
                break
        return Equals(src, frozenset(values))


def _unwrap(node: Node) -> Node:
    while (
        node.type in ("parenthesized_expression", "as_expression", "non_null_expression")
        and node.named_children
    ):
        node = node.named_children[0]
    return node


def _operator(node: Node) -> str:
    op = node.child_by_field_name("operator")
    return text_of(op) if op is not None else ""


def _exits(node: Node) -> bool:
    """``{ …; throw … }`` / ``return …;``: the branch leaves the function."""
    if node.type in ("throw_statement", "return_statement"):
        return True
    if node.type == "statement_block" and node.named_children:
        last = [c for c in node.named_children if c.type != "comment"]
        return bool(last) and last[-1].type in ("throw_statement", "return_statement")
    return False


def _const_value(name: str, at: Node) -> Node | None:
    """The initial value of ``const name = …`` in a block that encloses ``at``, declared before it."""
    node: Node | None = at
    while node is not None:
        parent = node.parent
        if parent is not None and parent.type in ("statement_block", "program"):
            for sib in parent.named_children:
                if sib.start_byte >= node.start_byte:
                    break
                if sib.type == "export_statement" and sib.named_children:
                    sib = sib.named_children[0]
                if sib.type == "lexical_declaration" and text_of(sib).startswith("const"):
                    for d in sib.named_children:
                        n = d.child_by_field_name("name")
                        if d.type == "variable_declarator" and n is not None and text_of(n) == name:
                            return d.child_by_field_name("value")
        node = parent
    return None


def _function_body(root: Node, name: str) -> Node | None:
    """The body of a top-level ``function name()`` or ``const name = () => …`` without parameters."""
    for top in root.named_children:
        node = top.named_children[0] if top.type == "export_statement" and top.named_children else top
        if node.type == "function_declaration":
            n = node.child_by_field_name("name")
            params = node.child_by_field_name("parameters")
            if n is not None and text_of(n) == name and params is not None and not params.named_children:
                return node.child_by_field_name("body")
        elif node.type == "lexical_declaration":
            for d in node.named_children:
                n, value = d.child_by_field_name("name"), d.child_by_field_name("value")
                if n is None or value is None or text_of(n) != name:
                    continue
                if value.type == "arrow_function":
                    params = value.child_by_field_name("parameters")
                    if params is None or not params.named_children:
                        return value.child_by_field_name("body")
    return None


def _returns(body: Node, reader: _Reader) -> Condition | None:
    """A predicate's body as one condition: ``return test`` or ``if (c) { return a } return b``."""
    if body.type != "statement_block":
        return reader.condition(body)  # an arrow function's expression body
    stmts = [s for s in body.named_children if s.type != "comment"]
    return _sequence(stmts, reader)


def _sequence(stmts: list[Node], reader: _Reader) -> Condition | None:
    if not stmts:
        return None
    first = stmts[0]
    if first.type == "return_statement":
        value = first.named_children[:1]
        return reader.condition(value[0]) if value else None
    if first.type == "if_statement" and first.child_by_field_name("alternative") is None:
        test, then = first.child_by_field_name("condition"), first.child_by_field_name("consequence")
        if test is None or then is None:
            return None
        inner = (
            [s for s in then.named_children if s.type != "comment"]
            if then.type == "statement_block"
            else [then]
        )
        if len(inner) != 1 or inner[0].type != "return_statement":
            return None
        yes, rest = _sequence(inner, reader), _sequence(stmts[1:], reader)
        if yes is None or rest is None:
            return None
        return Choice(_typeof_server(test) or reader.condition(test), yes, rest)
    return None


def _typeof_server(test: Node) -> Condition | None:
    """``typeof window === 'undefined'`` (server side) is not an env test: parity cannot say which
    side runs, so it stays unknown and both branches must agree (see :class:`Choice`)."""
    text = text_of(_unwrap(test)).replace(" ", "")
    if text.startswith("typeofwindow") or text.endswith("typeofwindow"):
        return Unknown(text_of(test))
    return None


def read_nodes(root: Node, reader: _Reader, wanted: set[tuple[int, str]]) -> dict[tuple[int, str], Node]:
    """The syntax node of each wanted read, by ``(line, key)``."""
    out: dict[tuple[int, str], Node] = {}
    for node in walk(root):
        if node.type not in ("member_expression", "subscript_expression", "call_expression"):
            continue
        key = reader.env_key(node)
        if key is None:
            continue
        at = (line_of(node), key)
        if at in wanted and at not in out:
            out[at] = node
    return out


def conditions(
    text: str,
    rel: str,
    reads: Iterable[tuple[int, str]],
    readers: frozenset[str],
    resolve: Resolver,
) -> dict[tuple[int, str], Condition]:
    """``(line, key) → condition`` for the reads of one file that sit in a branch parity can read."""
    wanted = set(reads)
    if not wanted:
        return {}
    root = parse(text, grammar(rel))
    reader = _Reader(root, readers, resolve)
    out: dict[tuple[int, str], Condition] = {}
    for at, node in read_nodes(root, reader, wanted).items():
        cond = reader.reached_when(node)
        if cond is not None:
            out[at] = cond
    return out


def predicate_in(
    text: str, rel: str, name: str, readers: frozenset[str], resolve: Resolver
) -> Condition | None:
    """The condition a predicate function ``name`` defined in this file returns, if it is one."""
    root = parse(text, grammar(rel))
    reader = _Reader(root, readers, resolve, depth=1)
    body = _function_body(root, name)
    return _returns(body, reader) if body is not None else None


def reader_names(vias: Iterable[str]) -> frozenset[str]:
    """The call names among the scanner's ``via`` strings (``env()`` → ``env``)."""
    return frozenset(v[:-2] for v in vias if v.endswith("()") and v[:-2].isidentifier())
