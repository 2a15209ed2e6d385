"""Parsers for the languages parity reads by their syntax tree (everything but Python, which ``ast`` reads).

Each grammar comes from its own wheel, compiled in: nothing is downloaded at run time, so a scan works
offline and in CI. Parsers are cached per process (the scanner's workers each build their own).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from tree_sitter import Language, Node, Parser


def _grammar(name: str) -> object:
    if name == "typescript":
        import tree_sitter_typescript

        return tree_sitter_typescript.language_typescript()
    if name == "tsx":
        import tree_sitter_typescript

        return tree_sitter_typescript.language_tsx()
    if name == "javascript":
        import tree_sitter_javascript

        return tree_sitter_javascript.language()
    if name == "go":
        import tree_sitter_go

        return tree_sitter_go.language()
    if name == "ruby":
        import tree_sitter_ruby

        return tree_sitter_ruby.language()
    if name == "csharp":
        import tree_sitter_c_sharp

        return tree_sitter_c_sharp.language()
    if name == "rust":
        import tree_sitter_rust

        return tree_sitter_rust.language()
    raise KeyError(name)


@functools.cache
def language(name: str) -> Language:
    return Language(_grammar(name))


@functools.cache
def parser(name: str) -> Parser:
    return Parser(language(name))


def parse(text: str, name: str) -> Node:
    """The root node of ``text`` parsed with grammar ``name``; a syntax error leaves ERROR nodes, never raises."""
    return parser(name).parse(text.encode("utf-8")).root_node


def walk(node: Node) -> Iterator[Node]:
    """Every node under ``node`` (itself included), depth first, without recursion."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def text_of(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def line_of(node: Node) -> int:
    return node.start_point[0] + 1
