"""The JS/TS and Go files ``parity why`` reads (:mod:`parity.code.why_tree`), parsed on demand.

Tests, builds and vendored code are left out; bytes are read through safefs (a link out of the
repository or a FIFO is never followed) and a plain bytes search keeps most files unparsed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node, Query, QueryCursor

from parity.code import js_conditions
from parity.code.files import source_files
from parity.code.treesitter import language, parse, text_of
from parity.code.words import WordIndex

MAX_FILES = 300  # files parsed per searched name: a common name is not worth the whole tree
_TEST_NAME = re.compile(r"\.(?:test|spec|stories|d)\.[cm]?[jt]sx?\Z|_test\.go\Z")
_TEST_PARTS = ("/__tests__/", "/e2e/", "/test/", "/tests/", "/cypress/", "/node_modules/", "/dist/")
JS_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")


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

    _names: dict[str, list[Node]] | None = None
    _ifs: list[Node] | None = None
    _imports: dict[str, str] | None = None

    @property
    def root(self) -> Node:
        if self._root is None:
            grammar = js_conditions.grammar(self.rel) if self.lang == "javascript" else "go"
            self._root = parse(self.data.decode("utf-8", "replace"), grammar)
        return self._root

    def _index(self) -> None:
        # A query runs the walk in the grammar's C code; only the captured nodes reach Python.
        grammar = js_conditions.grammar(self.rel) if self.lang == "javascript" else "go"
        captures = QueryCursor(_index_query(grammar)).captures(self.root)
        names: dict[str, list[Node]] = {}
        for n in captures.get("name", []):
            names.setdefault(text_of(n), []).append(n)
        self._names, self._ifs = names, list(captures.get("if", []))

    def named(self, name: str) -> list[Node]:
        """The identifier nodes spelled ``name``, in walk order: one walk of the file a run,
        however many names are looked up in it."""
        if self._names is None:
            self._index()
        assert self._names is not None
        return self._names.get(name, [])

    def default_imports(self) -> dict[str, str]:
        """``router`` → ``./api/files`` for each ``import router from "./api/files"``."""
        if self._imports is None:
            self._imports = {}
            for top in self.root.named_children:
                if top.type != "import_statement":
                    continue
                clause = next((c for c in top.named_children if c.type == "import_clause"), None)
                local = clause.named_children[0] if clause is not None and clause.named_children else None
                source = top.child_by_field_name("source")
                spec = js_conditions._string(source) if source is not None else None
                if local is not None and local.type == "identifier" and spec:
                    self._imports[text_of(local)] = spec
        return self._imports

    def ifs(self) -> list[Node]:
        """The file's ``if`` statements, in walk order."""
        if self._ifs is None:
            self._index()
        assert self._ifs is not None
        return self._ifs


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
        self._words = WordIndex(
            self.files, lambda rel: d.data if (d := self.file(rel)) is not None else None, _WORD
        )
        #: ``(file, defining file, name)`` → whether the file imports the name from there.
        self.imports_seen: dict[tuple[str, str, str], bool] = {}

    def file(self, rel: str) -> TreeFile | None:
        if rel not in self._cache:
            data = self._read(str(self.root), rel)
            lang = language_of(rel)
            self._cache[rel] = TreeFile(rel, lang, data) if data is not None and lang else None
        return self._cache[rel]

    def _with_word(self, name: str) -> list[str]:
        """The files holding ``name`` as a word, in file order."""
        return [self.files[i] for i in self._words.positions((name,))]

    def declared_names(self) -> list[str]:
        """Names the JS/TS and Go files declare (functions, consts, classes, methods), read by a
        pattern, not a parse: for "did you mean" when a symbol is found nowhere."""
        out: set[str] = set()
        for rel in self.files:
            f = self.file(rel)
            if f is not None:
                pattern = _GO_DECLARED if f.lang == "go" else _JS_DECLARED
                out.update(m.decode() for m in pattern.findall(f.data))
        return sorted(out)

    def by_stem(self, stem: str) -> str | None:
        """The JS/TS file an import path names (``./api/files`` → ``…/api/files.ts`` or ``…/index.ts``)."""
        if self._stems is None:
            self._stems = {}
            for rel in self.files:
                if language_of(rel) == "javascript":
                    self._stems.setdefault(module_stem(rel), rel)
        return self._stems.get(stem)

    def containing(self, name: str, lang: str | None = None, prefer: str = "") -> Iterator[TreeFile]:
        """The files that name ``name`` (as a word), those that also mention ``prefer`` (the
        definition's module) first, at most ``MAX_FILES`` of them (the cut ones go in ``cut``)."""
        word = re.compile(rb"(?<![\w$])" + re.escape(name.encode()) + rb"(?![\w$])")
        n = 0
        order = self.files
        if _WORD.fullmatch(name.encode()):
            order = self._with_word(name)
        if prefer:
            hint = prefer.encode()
            first = [r for r in order if (d := self.file(r)) is not None and hint in d.data]
            chosen = set(first)
            order = first + [r for r in order if r not in chosen]
        for rel in order:
            if lang is not None and language_of(rel) != lang:
                continue
            f = self.file(rel)
            if f is not None and word.search(f.data):
                n += 1
                if n > MAX_FILES:
                    self.cut.add(name)
                    return
                yield f


_WORD = re.compile(rb"[A-Za-z_$][\w$]*")


@functools.cache
def _index_query(grammar: str) -> Query:
    """Every identifier (by its grammar's node names) as ``name``, every ``if`` as ``if``."""
    member = "field_identifier" if grammar == "go" else "property_identifier"
    return Query(language(grammar), f"(identifier) @name ({member}) @name (if_statement) @if")


_JS_DECLARED = re.compile(
    rb"(?:\bfunction\*?\s+|\b(?:const|let|var|class)\s+|^[ \t]+(?:async\s+)?(?=\w+\s*\([^)\n]*\)\s*\{))"
    rb"([A-Za-z_$][\w$]*)",
    re.M,
)
_GO_DECLARED = re.compile(rb"^func\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)", re.M)


def field_text(node: Node, field_name: str = "name") -> str:
    n = node.child_by_field_name(field_name)
    return text_of(n) if n is not None else ""


def module_stem(rel: str) -> str:
    stem = rel.rsplit(".", 1)[0] if "." in rel.rsplit("/", 1)[-1] else rel
    return stem[: -len("/index")] if stem.endswith("/index") else stem
