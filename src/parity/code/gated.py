"""The code a switch keeps off: for an env key, the functions it keeps from running in the target.

``why`` goes from a function to its switch; ``check`` needs the other direction, from each switch
that is off in the target to the code it keeps from running. Candidates come from the places the
key is tested: the ``if`` blocks whose test reads it (directly, through a settings module or a
pydantic-settings field) give the functions defined in them, called only from them and registered
from them (``jobs.append({"func": cleanup})``), the routes of a router mounted in them, and an
early ``if not FLAG: return`` gives the function it guards. A candidate whose test is open in the
target, or that no value of this key opens, is dropped; each one left is asked ``why`` through
the run's one :class:`~parity.code.why.CodeGraph`, and only the answers BLOCKED by this very key
are kept: a candidate another path reaches, or another switch closes, is not this switch's code.
TypeScript/JavaScript and Go functions come from :mod:`parity.code.gated_tree`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING

from parity.code.python_refs import dotted
from parity.code.scan import service_of
from parity.code.why import python_answers

if TYPE_CHECKING:
    from parity.code.why import CodeGraph, Module

#: Candidates asked per key: a flag tested around hundreds of calls (a ``DEBUG``) is not a
#: feature switch, and each question costs a walk of the modules that name the candidate.
MAX_CANDIDATES = 12


@dataclass(frozen=True, slots=True)
class GatedCode:
    key: str
    symbol: str  # the function's name
    definition: str  # file:line
    gate: str  # file:line of the test that is false
    service: str | None


def _needles(graph: CodeGraph, key: str) -> list[str]:
    """The words a test of ``key`` may use: the key, the settings fields and settings-module names it fills."""
    return [key, *_resolver(graph).filled_by().get(key, [])]


def _named(node: ast.AST) -> str | None:
    path = dotted(node.func if isinstance(node, ast.Call) else node)
    return path if path and path.split(".")[0] != "self" else None


def _refs_in(stmts: list[ast.stmt]) -> list[tuple[str, ast.Call | None]]:
    """What a block defines, calls or hands to a registration (``jobs.append({"func": cleanup})``),
    as dotted names in order of appearance, each with the call it came from (None: a ``def``)."""
    out: list[tuple[str, ast.Call | None]] = []
    for stmt in stmts:
        for n in ast.walk(stmt):
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                out.append((n.name, None))
            elif isinstance(n, ast.Call):
                args = [*n.args, *(k.value for k in n.keywords)]
                for arg in list(args):
                    if isinstance(arg, ast.Dict):
                        args += [v for v in arg.values if v is not None]
                    elif isinstance(arg, ast.List | ast.Tuple):
                        args += arg.elts
                out += [(name, n) for name in map(_named, [n, *args]) if name]
    return out


class _Resolver:
    """Which file defines a name a module uses: its own ``def``, or the module an import names."""

    def __init__(self, graph: CodeGraph) -> None:
        self.graph = graph
        self._by_path: dict[str, list[str]] | None = None
        self._filled: dict[str, list[str]] | None = None
        self._tests: dict[
            str,
            tuple[
                list[tuple[ast.If, list[str]]], list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef, int]]
            ],
        ] = {}

    def files_of(self, module: str) -> list[str]:
        """The project files a dotted module path names (``app.api.routes.private``)."""
        from parity.code.why import module_path

        if self._by_path is None:
            self._by_path = {}
            for rel in self.graph.corpus.files:
                self._by_path.setdefault(module_path(rel).rsplit(".", 1)[-1], []).append(rel)
        stem = module.rsplit(".", 1)[-1]
        return [
            rel
            for rel in self._by_path.get(stem, [])
            if (p := module_path(rel)) == module or p.endswith("." + module) or module.endswith("." + p)
        ]

    def resolve(self, m: Module, path: str) -> list[tuple[str, str]]:
        """``(file, name)`` a dotted use in ``m`` names: ``fn`` defined here or imported,
        ``views.fn`` with ``views`` imported; an attribute of anything else is not followed
        (``self.notify`` and ``obj.notify`` cannot be told apart statically)."""
        from parity.code.why import imported_as

        parts = path.split(".")
        name = parts[-1]
        if len(parts) == 1 and m.defined(name):
            return [(m.rel, name)]
        imported = imported_as(m, parts[0])
        if imported is None:
            return []
        module = ".".join([imported, *parts[1:-1]]) if len(parts) > 1 else imported.rsplit(".", 1)[0]
        return [(rel, name) for rel in self.files_of(module)]

    def filled_by(self) -> dict[str, list[str]]:
        """Env key → the settings fields and settings-module names whose value reads it."""
        from parity.code.why import keys_in

        if self._filled is None:
            filled: dict[str, list[str]] = {}
            index = self.graph.settings
            for fields in index.values():
                for f in fields.values():
                    filled.setdefault(f.env, []).append(f.field)
            for name, (module, value) in index.modules.items():
                for key in keys_in(module, value, index):
                    filled.setdefault(key, []).append(name.rsplit(".", 1)[-1])
            self._filled = {k: list(dict.fromkeys(v)) for k, v in filled.items()}
        return self._filled

    def tests(
        self, m: Module
    ) -> tuple[list[tuple[ast.If, list[str]]], list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef, int]]]:
        """The module's ``if`` tests with the keys each reads, and its functions behind a gate
        decorator with the setting it tests: found once per module, whatever key is asked."""
        from parity.code.why import decorator_gate, keys_in

        if m.rel not in self._tests:
            ifs: list[tuple[ast.If, list[str]]] = []
            decorated: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef, int]] = []
            for node in ast.walk(m.tree):
                if isinstance(node, ast.If):
                    keys = keys_in(m, node.test, self.graph.settings)
                    if keys:
                        ifs.append((node, keys))
                elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    for d in node.decorator_list:
                        gate = decorator_gate(self.graph.corpus, d)
                        if gate is not None:
                            decorated.append((gate, node, d.lineno))
            self._tests[m.rel] = (ifs, decorated)
        return self._tests[m.rel]

    def only_here(self, name: str, m: Module, gate: ast.If) -> bool:
        """Every use of ``name`` outside tests is inside ``gate``: a helper the block also calls
        (``envint`` in a settings module) runs from elsewhere, and is not the switch's code."""
        from parity.code.why import inside, is_test_module

        for other in self.graph.corpus.containing(name):
            if is_test_module(other.rel):
                continue
            for call in [*other.calls_of(name), *other.calls_handing(name)]:
                if other is not m or not inside(m, call, gate):
                    return False
        return True

    def routes(self, rel: str, owner: str) -> list[tuple[str, str]]:
        """The functions of ``rel`` decorated by ``owner`` (``@router.get(...)``): what mounting it adds."""
        m = self.graph.corpus.module(rel)
        if m is None:
            return []
        return [
            (rel, n.name)
            for n in ast.walk(m.tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            and any(
                (dotted(d.func if isinstance(d, ast.Call) else d) or "").split(".")[0] == owner
                for d in n.decorator_list
            )
        ]


def _resolver(graph: CodeGraph) -> _Resolver:
    """The graph's resolver, kept on the graph so each module's tests are read once a run."""
    found = getattr(graph, "gate_resolver", None)
    if not isinstance(found, _Resolver):
        found = _Resolver(graph)
        graph.gate_resolver = found
    return found


@dataclass(frozen=True, slots=True)
class Candidate:
    """A function a test of the key may keep off, and the test: it runs only when ``test`` is
    ``runs_when`` ("true" or "false"; None: a decorator's gate, asked as it is)."""

    rel: str
    name: str
    module: Module
    test: ast.expr | None
    runs_when: str | None
    #: The function itself, when the test is its own gate (a leading ``if not X: return``, a gate
    #: decorator): closed, it does no work however it is reached, so no path needs walking.
    own: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    line: int = 0  # the gate's line


def candidates(graph: CodeGraph, key: str) -> list[Candidate]:
    """The functions worth asking ``why`` about, in the order the gates were found."""
    from parity.code.why import MOUNT_METHODS, is_test_module, leading_guards

    out: list[Candidate] = []
    resolver = _resolver(graph)
    needles = _needles(graph, key)
    for m in graph.corpus.containing(*needles):
        if is_test_module(m.rel):
            continue
        ifs, decorated = resolver.tests(m)
        for gate, function, line in decorated:
            if gate in needles:
                # ``@require_setting("SHELL_ENABLED")``: the wrapper runs the view only when the
                # setting is truthy, as ``if settings.SHELL_ENABLED:`` would.
                test = ast.Attribute(value=ast.Name(id="settings", ctx=ast.Load()), attr=gate, ctx=ast.Load())
                out.append(Candidate(m.rel, function.name, m, test, "true", function, line))
        for node, keys in ifs:
            if key not in keys:
                continue
            parent = m.parents.get(node)
            if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef) and node in leading_guards(
                m, parent, graph.settings
            ):
                # ``if not FLAG: return`` guards the whole function: it runs when the test is false.
                out.append(Candidate(m.rel, parent.name, m, node.test, "false", parent, node.lineno))
            for branch, runs_when in ((node.body, "true"), (node.orelse, "false")):
                for path, call in _refs_in(branch):
                    if call is not None and path.rsplit(".", 1)[-1] in MOUNT_METHODS:
                        continue
                    mounted = (
                        call is not None
                        and isinstance(call.func, ast.Attribute)
                        and call.func.attr in MOUNT_METHODS
                        and "." in path
                    )
                    if mounted:
                        # ``app.include_router(private.router)``: the routes of private.py.
                        owner = path.rsplit(".", 1)[-1]
                        targets = [
                            t
                            for rel in resolver.files_of(imported_module(m, path) or "")
                            for t in resolver.routes(rel, owner)
                        ]
                    else:
                        targets = [t for t in resolver.resolve(m, path) if resolver.only_here(t[1], m, node)]
                    out += [Candidate(rel, name, m, node.test, runs_when) for rel, name in targets]
    first: dict[tuple[str, str], Candidate] = {}
    for c in out:
        first.setdefault((c.rel, c.name), c)
    return list(first.values())


def _qualified(graph: CodeGraph, rel: str, name: str, line: str) -> str:
    """``Middleware.__init__`` for a method, the bare name for a function."""
    m = graph.corpus.module(rel)
    for node in m.defined(name) if m is not None else []:
        parent = m.parents.get(node) if m is not None else None
        if str(getattr(node, "lineno", "")) == line and isinstance(parent, ast.ClassDef):
            return f"{parent.name}.{name}"
    return name


def imported_module(m: Module, path: str) -> str | None:
    """The module ``private`` in ``private.router`` is imported as, when it is."""
    from parity.code.why import imported_as

    return imported_as(m, path.split(".")[0])


def gated_by(graph: CodeGraph, key: str, environment: str) -> tuple[GatedCode, ...]:
    """The functions that ``key``, as set in ``environment``, keeps from running."""
    from parity.code.gated_tree import opening_trials
    from parity.code.why import keys_in, verdict_of

    ctx = graph.context(environment)
    found: dict[str, GatedCode] = {}
    asked = 0
    for c in candidates(graph, key):
        if c.test is not None:
            env = ctx.env(service_of(c.module.rel, graph.services)).as_dict()
            negate = c.runs_when == "false"
            if verdict_of(c.module, c.test, env, graph.settings, negate=negate) == "true":
                continue  # the test lets it run here: this key keeps nothing off through it
            trials = opening_trials(env, key, set(keys_in(c.module, c.test, graph.settings)))
            if not any(
                verdict_of(c.module, c.test, t, graph.settings, negate=negate) != "false" for t in trials
            ):
                continue  # no value of this key opens it: another key is the switch there
        rel, name = c.rel, c.name
        if c.own is not None:
            where = f"{rel}:{c.own.lineno}"
            symbol = _qualified(graph, rel, name, str(c.own.lineno))
            found.setdefault(
                where, GatedCode(key, symbol, where, f"{rel}:{c.line}", service_of(rel, graph.services))
            )
            continue
        asked += 1
        if asked > MAX_CANDIDATES:
            break
        for answer in python_answers(ctx, name, only=rel):
            switch = next((b for b in answer.blockers if b.kind == "switch" and b.key == key), None)
            if switch is None or answer.verdict != "BLOCKED":
                continue
            where = answer.definitions[0] if answer.definitions else f"{rel}:?"
            symbol = _qualified(graph, rel, name, where.rsplit(":", 1)[-1])
            found.setdefault(
                where,
                GatedCode(
                    key, symbol, where, f"{switch.file}:{switch.line}", service_of(rel, graph.services)
                ),
            )
    if graph.has_tree_code():
        from parity.code.gated_tree import gated_by_tree
        from parity.code.gated_tree import where as tree_where

        for d, name, tested in gated_by_tree(graph, key, environment):
            at = tree_where(d)
            found.setdefault(at, GatedCode(key, name, at, tested, service_of(d.file.rel, graph.services)))
    return tuple(found.values())
