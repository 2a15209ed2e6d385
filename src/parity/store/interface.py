"""Store interfaces (a ``Protocol`` or an ABC) and the classes that implement them, from source.

An interface is a Protocol/ABC whose name ends in ``Store`` or ``Repository`` (or a class
named in ``[store] interfaces``). Its implementations are the classes that inherit from it,
and the classes whose name ends in the interface's name (``SqlStore``, ``InMemoryStore`` for
``Store``) and that define at least half of its methods: a structural implementation of a
Protocol need not inherit, and a ``SessionStore`` from an unrelated library shares none.

Compatibility is judged from a caller's side (the Liskov rule): any call written against
the interface must also be a valid call of the implementation.
"""

from __future__ import annotations

import ast
import re
import subprocess
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from parity.errors import ParityError
from parity.store.source import ClassInfo, SourceIndex, SourceProblem, dotted, parse_source

INTERFACE_SUFFIXES = ("Store", "Repository")
# Dunders that are part of a store's contract (context managers, containers); the rest
# (__init__, __repr__, …) are construction details each implementation chooses itself.
_CONTRACT_DUNDERS = frozenset(
    {
        "__call__",
        "__enter__",
        "__exit__",
        "__aenter__",
        "__aexit__",
        "__len__",
        "__iter__",
        "__aiter__",
        "__contains__",
        "__getitem__",
    }
)
_TYPING_BASES = frozenset({"object", "Protocol", "ABC", "Generic", "ABCMeta"})


class ParamKind(StrEnum):
    POSITIONAL_ONLY = "positional-only"
    POSITIONAL = "positional"  # positional-or-keyword
    VAR_POSITIONAL = "*args"
    KEYWORD_ONLY = "keyword-only"
    VAR_KEYWORD = "**kwargs"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: ParamKind
    has_default: bool = False

    @property
    def required(self) -> bool:
        return not self.has_default and self.kind not in (ParamKind.VAR_POSITIONAL, ParamKind.VAR_KEYWORD)

    def text(self) -> str:
        prefix = {ParamKind.VAR_POSITIONAL: "*", ParamKind.VAR_KEYWORD: "**"}.get(self.kind, "")
        return prefix + self.name + ("=…" if self.has_default else "")


class MemberKind(StrEnum):
    METHOD = "method"
    PROPERTY = "property"
    ATTRIBUTE = "attribute"


@dataclass(frozen=True, slots=True)
class Member:
    """A method, property or attribute of a class. ``params`` leaves out ``self``/``cls``."""

    name: str
    line: int
    kind: MemberKind = MemberKind.METHOD
    params: tuple[Param, ...] = ()
    is_async: bool = False
    abstract: bool = False  # an explicit subclass must define it
    checkable: bool = True  # False for overloads: one signature cannot stand for them

    def signature(self) -> str:
        if self.kind is not MemberKind.METHOD:
            return self.name
        parts: list[str] = []
        kinds = [p.kind for p in self.params]
        for i, p in enumerate(self.params):
            if (
                p.kind is ParamKind.KEYWORD_ONLY
                and ParamKind.VAR_POSITIONAL not in kinds[:i]
                and "*" not in parts
            ):
                parts.append("*")
            parts.append(p.text())
            if p.kind is ParamKind.POSITIONAL_ONLY and (
                i + 1 == len(self.params) or kinds[i + 1] is not ParamKind.POSITIONAL_ONLY
            ):
                parts.append("/")
        return ("async " if self.is_async else "") + f"{self.name}({', '.join(parts)})"


@dataclass(frozen=True, slots=True)
class StoreClass:
    info: ClassInfo
    members: dict[str, Member]
    is_interface: bool
    protocol: bool

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def file(self) -> Path:
        return self.info.file

    @property
    def line(self) -> int:
        return self.info.line


def _params(args: ast.arguments, drop_first: bool) -> tuple[Param, ...]:
    out: list[Param] = []
    positional = [*args.posonlyargs, *args.args]
    n_defaults = len(args.defaults)
    first_default = len(positional) - n_defaults
    for i, a in enumerate(positional):
        kind = ParamKind.POSITIONAL_ONLY if i < len(args.posonlyargs) else ParamKind.POSITIONAL
        out.append(Param(a.arg, kind, i >= first_default))
    if drop_first and out:
        out.pop(0)
    if args.vararg:
        out.append(Param(args.vararg.arg, ParamKind.VAR_POSITIONAL))
    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        out.append(Param(a.arg, ParamKind.KEYWORD_ONLY, d is not None))
    if args.kwarg:
        out.append(Param(args.kwarg.arg, ParamKind.VAR_KEYWORD))
    return tuple(out)


def _trivial_body(body: list[ast.stmt]) -> bool:
    """``...``, ``pass``, a docstring, or ``raise NotImplementedError``: a declaration, not an implementation."""
    for stmt in body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # docstring or ``...``
        if (
            isinstance(stmt, ast.Raise)
            and stmt.exc is not None
            and dotted(stmt.exc).endswith("NotImplementedError")
        ):
            continue
        return False
    return True


def _raises_not_implemented(body: list[ast.stmt]) -> bool:
    return any(
        isinstance(s, ast.Raise) and s.exc is not None and dotted(s.exc).endswith("NotImplementedError")
        for s in body
    )


def class_members(node: ast.ClassDef, protocol: bool) -> dict[str, Member]:
    """Members defined in the class body (plus ``self.x = …`` attributes set in its methods)."""
    members: dict[str, Member] = {}
    overloaded: set[str] = set()
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            decos = {dotted(d).rsplit(".", 1)[-1] for d in stmt.decorator_list}
            attr_decos = {dotted(d) for d in stmt.decorator_list}
            if "overload" in decos:
                overloaded.add(stmt.name)
                continue
            if any(d.endswith((".setter", ".deleter")) for d in attr_decos):
                continue
            abstract = "abstractmethod" in decos or (
                _trivial_body(stmt.body) if protocol else _raises_not_implemented(stmt.body)
            )
            if decos & {"property", "cached_property", "abstractproperty"}:
                members[stmt.name] = Member(stmt.name, stmt.lineno, MemberKind.PROPERTY, abstract=abstract)
                continue
            members[stmt.name] = Member(
                stmt.name,
                stmt.lineno,
                MemberKind.METHOD,
                _params(stmt.args, drop_first="staticmethod" not in decos),
                isinstance(stmt, ast.AsyncFunctionDef),
                abstract,
                stmt.name not in overloaded,
            )
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name = stmt.target.id
            if dotted(stmt.annotation).rsplit(".", 1)[-1] == "ClassVar" and not protocol:
                continue
            members[name] = Member(name, stmt.lineno, MemberKind.ATTRIBUTE, abstract=stmt.value is None)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    members[target.id] = Member(target.id, stmt.lineno, MemberKind.ATTRIBUTE)
    for name in overloaded - members.keys():
        members[name] = Member(name, node.lineno, MemberKind.METHOD, checkable=False)
    for name in overloaded & members.keys():
        m = members[name]
        members[name] = Member(m.name, m.line, m.kind, m.params, m.is_async, m.abstract, False)
    return members


def self_attributes(node: ast.ClassDef) -> dict[str, Member]:
    """``self.x = …`` in any method: attributes an implementation offers without declaring them."""
    out: dict[str, Member] = {}
    for stmt in node.body:
        if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for sub in ast.walk(stmt):
            if (
                isinstance(sub, ast.Attribute)
                and isinstance(sub.ctx, ast.Store)
                and isinstance(sub.value, ast.Name)
                and sub.value.id == "self"
            ):
                out.setdefault(sub.attr, Member(sub.attr, sub.lineno, MemberKind.ATTRIBUTE))
    return out


def is_contract_member(name: str) -> bool:
    return not name.startswith("_") or name in _CONTRACT_DUNDERS


# --- compatibility ------------------------------------------------------------------------


def incompatibilities(
    expected: Member,
    actual: Member,
    actual_label: str = "the implementation",
    expected_label: str = "the interface",
) -> list[str]:
    """Why a call written against ``expected`` could fail against ``actual`` (empty: compatible).

    Same required parameters, none removed, no new required one; keyword-only, defaults,
    ``*args``/``**kwargs`` and ``async`` all count.
    """
    if expected.kind is MemberKind.METHOD and actual.kind is not MemberKind.METHOD:
        return [
            f"is a method in {expected_label} but {'a property' if actual.kind is MemberKind.PROPERTY else 'an attribute'} in {actual_label}"
        ]
    if expected.kind is not MemberKind.METHOD or actual.kind is not MemberKind.METHOD:
        return []
    if not (expected.checkable and actual.checkable):
        return []
    problems: list[str] = []
    if expected.is_async != actual.is_async:
        said = "async" if expected.is_async else "not async"
        problems.append(
            f"is {said} in {expected_label} but {'async' if actual.is_async else 'not async'} in {actual_label}"
        )
    pos_kinds = (ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL)
    exp_pos = [p for p in expected.params if p.kind in pos_kinds]
    act_pos = [p for p in actual.params if p.kind in pos_kinds]
    act_varargs = any(p.kind is ParamKind.VAR_POSITIONAL for p in actual.params)
    act_varkw = any(p.kind is ParamKind.VAR_KEYWORD for p in actual.params)
    act_by_name = {
        p.name: p for p in actual.params if p.kind in (ParamKind.POSITIONAL, ParamKind.KEYWORD_ONLY)
    }

    def lost_default(p: Param, q: Param) -> None:
        if p.has_default and not q.has_default:
            problems.append(
                f"parameter '{p.name}' has a default in {expected_label} but is required in {actual_label}"
            )

    for i, p in enumerate(exp_pos):
        q = act_pos[i] if i < len(act_pos) else None
        if p.kind is ParamKind.POSITIONAL_ONLY:
            if q is None and not act_varargs:
                problems.append(f"positional parameter {i + 1} ('{p.name}') is missing in {actual_label}")
            elif q is not None:
                lost_default(p, q)
            continue
        if q is not None and q.name != p.name:
            if p.name in act_by_name:
                problems.append(f"parameter '{p.name}' moved from position {i + 1} in {actual_label}")
            else:
                problems.append(f"parameter '{p.name}' is renamed '{q.name}' in {actual_label}")
            continue
        if q is None:
            kw = act_by_name.get(p.name)
            if kw is not None:
                problems.append(
                    f"parameter '{p.name}' is keyword-only in {actual_label} but positional in {expected_label}"
                )
            elif not act_varargs or not act_varkw:
                problems.append(f"parameter '{p.name}' is missing in {actual_label}")
            continue
        if q.kind is ParamKind.POSITIONAL_ONLY:
            problems.append(
                f"parameter '{p.name}' is positional-only in {actual_label}: calls passing it by name fail"
            )
        lost_default(p, q)
    for p in expected.params:
        if p.kind is ParamKind.KEYWORD_ONLY:
            q = act_by_name.get(p.name)
            if q is None and not act_varkw:
                problems.append(f"keyword-only parameter '{p.name}' is missing in {actual_label}")
            elif q is not None:
                lost_default(p, q)
        elif p.kind is ParamKind.VAR_POSITIONAL and not act_varargs:
            problems.append(f"*{p.name} is not accepted by {actual_label}")
        elif p.kind is ParamKind.VAR_KEYWORD and not act_varkw:
            problems.append(f"**{p.name} is not accepted by {actual_label}")
    exp_names = {p.name for p in expected.params}
    for j, q in enumerate(actual.params):
        if not q.required or q.name in exp_names:
            continue
        if q.kind in pos_kinds and j < len(exp_pos):
            continue  # already reported as a rename
        problems.append(f"new required parameter '{q.name}' in {actual_label}")
    return problems


# --- discovery ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberGap:
    """One problem of one implementation: a missing member, or an incompatible one."""

    implementation: StoreClass
    interface: StoreClass
    member: str
    expected: Member
    actual: Member | None  # None: missing
    problems: tuple[str, ...] = ()
    uncertain: bool = False  # the implementation inherits from a class parity cannot read


@dataclass(frozen=True, slots=True)
class Conformance:
    interface: StoreClass
    contract: dict[str, Member]
    implementations: tuple[StoreClass, ...]
    gaps: tuple[MemberGap, ...]


class StoreGraph:
    """The project's classes as seen by the interface check: members, ancestry, interfaces."""

    def __init__(self, index: SourceIndex, configured: list[str] | None = None) -> None:
        self.index = index
        self.configured = list(configured or [])
        # Members are read lazily: most classes of a code base are neither an interface, nor an
        # implementation, nor a base of one, and reading their bodies is most of the work.
        self.classes: dict[int, StoreClass] = {}
        self._ancestors: dict[int, tuple[list[StoreClass], bool]] = {}
        self._info_ancestors: dict[int, list[ClassInfo]] = {}
        self._impls: dict[int, list[StoreClass]] | None = None
        self._interfaces = [
            c for c in (self.of(i) for i in self._class_infos() if self._named(i)) if c.is_interface
        ]

    def _class_infos(self) -> list[ClassInfo]:
        return [i for i in self.index.classes if isinstance(i.node, ast.ClassDef)]

    def _named(self, info: ClassInfo) -> bool:
        return info.name in self.configured if self.configured else info.name.endswith(INTERFACE_SUFFIXES)

    def info_ancestors(self, info: ClassInfo) -> list[ClassInfo]:
        """Ancestors by name resolution only, without reading any class body."""
        key = id(info)
        cached = self._info_ancestors.get(key)
        if cached is not None:
            return cached
        out: list[ClassInfo] = []
        seen = {key}
        stack = [info]
        while stack:
            current = stack.pop(0)
            for base in current.bases:
                parent = self.index.resolve(base, current.file)
                if parent is None or id(parent) in seen or not isinstance(parent.node, ast.ClassDef):
                    continue
                seen.add(id(parent))
                out.append(parent)
                stack.append(parent)
        self._info_ancestors[key] = out
        return out

    def _build(self, info: ClassInfo) -> StoreClass:
        node = info.node
        assert isinstance(node, ast.ClassDef)
        protocol = "Protocol" in info.base_names
        members = class_members(node, protocol)
        for name, m in self_attributes(node).items():
            members.setdefault(name, m)
        abc = (
            "ABC" in info.base_names
            or (info.keyword("metaclass") or "").endswith("ABCMeta")
            or any(
                dotted(d).endswith("abstractmethod")
                for s in node.body
                if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
                for d in s.decorator_list
            )
        )
        named = self._named(info)
        return StoreClass(info, members, named and (protocol or abc or bool(self.configured)), protocol)

    def of(self, info: ClassInfo) -> StoreClass:
        cls = self.classes.get(id(info))
        if cls is None:
            cls = self.classes[id(info)] = self._build(info)
        return cls

    def ancestors(self, cls: StoreClass) -> tuple[list[StoreClass], bool]:
        """Indexed ancestors in lookup order, and whether some base is a class parity cannot read."""
        key = id(cls.info)
        cached = self._ancestors.get(key)
        if cached is not None:
            return cached
        out: list[StoreClass] = []
        opaque = False
        seen = {key}
        stack = [cls]
        while stack:
            current = stack.pop(0)
            for base in current.info.bases:
                short = base.rsplit(".", 1)[-1]
                parent_info = self.index.resolve(base, current.file)
                if parent_info is None or not isinstance(parent_info.node, ast.ClassDef):
                    if short not in _TYPING_BASES and not base.startswith(
                        ("typing.", "abc.", "typing_extensions.")
                    ):
                        opaque = True
                    continue
                if id(parent_info) in seen:
                    continue
                seen.add(id(parent_info))
                parent = self.of(parent_info)
                out.append(parent)
                stack.append(parent)
        self._ancestors[key] = (out, opaque)
        return out, opaque

    def _ancestor_ids(self, cls: StoreClass) -> set[int]:
        return {id(a.info) for a in self.ancestors(cls)[0]}

    def interfaces(self) -> list[StoreClass]:
        return list(self._interfaces)

    def contract(self, iface: StoreClass) -> dict[str, Member]:
        """The interface's members, including those of the interfaces it extends."""
        members: dict[str, Member] = {}
        chain, _ = self.ancestors(iface)
        for cls in [*reversed(chain), iface]:
            if cls is not iface and not (cls.is_interface or cls.protocol):
                continue
            for name, m in cls.members.items():
                if not is_contract_member(name):
                    continue
                if m.kind is MemberKind.ATTRIBUTE and not (cls.protocol and m.abstract):
                    continue  # a concrete class attribute of an ABC is inherited, not a duty
                members[name] = m
        return members

    def _assign(self) -> dict[int, list[StoreClass]]:
        """Each implementation → the one interface it is checked against (computed once)."""
        if self._impls is not None:
            return self._impls
        interfaces = self.interfaces()
        by_name: dict[str, list[StoreClass]] = {}
        for i in interfaces:
            by_name.setdefault(i.name, []).append(i)
        methods = {
            id(i.info): {n for n, m in self.contract(i).items() if m.kind is MemberKind.METHOD}
            for i in interfaces
        }
        out: dict[int, list[StoreClass]] = {id(i.info): [] for i in interfaces}
        iface_ids = {id(i.info) for i in interfaces}
        for info in self._class_infos():
            if id(info) in iface_ids:
                continue
            related = any(id(a) in iface_ids for a in self.info_ancestors(info)) or any(
                info.name[k:] in by_name for k in range(1, len(info.name))
            )
            if not related:
                continue
            cls = self.of(info)
            if cls.is_interface:
                continue
            chain, _ = self.ancestors(cls)
            inherited = [a for a in chain if a.is_interface]
            if inherited:
                # Check against the most derived interface only: it carries its parents' members.
                for a in inherited:
                    if not any(id(a.info) in self._ancestor_ids(b) for b in inherited if b is not a):
                        out[id(a.info)].append(cls)
                continue
            name = cls.name
            suffix_matches = [i for k in range(1, len(name)) for i in by_name.get(name[k:], [])]
            if not suffix_matches:
                continue
            best = max(suffix_matches, key=lambda i: (len(i.name), _closeness(i, cls)))
            wanted = methods[id(best.info)]
            own = set(cls.members)
            for a in chain:
                own.update(a.members)
            if wanted and len(wanted & own) >= max(1, (len(wanted) + 1) // 2):
                out[id(best.info)].append(cls)
        for key, impls in out.items():
            # An intermediate base (``_Base(BlobStore)`` under ``DiskBlobStore``) is abstract on
            # purpose; its concrete subclasses are what must be complete.
            bases_of_others = {x for c in impls for x in self._ancestor_ids(c)}
            kept = [
                c for c in impls if id(c.info) not in bases_of_others and not c.name.startswith("Abstract")
            ]
            out[key] = sorted(kept, key=lambda c: (str(c.file), c.line))
        self._impls = out
        return out

    def implementations(self, iface: StoreClass) -> list[StoreClass]:
        return list(self._assign().get(id(iface.info), []))

    def lookup(self, cls: StoreClass, name: str, iface: StoreClass) -> Member | None:
        if name in cls.members:
            return cls.members[name]
        chain, _ = self.ancestors(cls)
        iface_family = {id(iface.info)} | self._ancestor_ids(iface)
        for a in chain:
            if id(a.info) in iface_family:
                continue
            if name in a.members:
                return a.members[name]
        return None

    def check(self, iface: StoreClass) -> Conformance:
        contract = self.contract(iface)
        impls = self.implementations(iface)
        gaps: list[MemberGap] = []
        for impl in impls:
            chain, opaque = self.ancestors(impl)
            subclass = any(a is iface for a in chain)
            dynamic = "__getattr__" in impl.members or any("__getattr__" in a.members for a in chain)
            for name, expected in contract.items():
                actual = self.lookup(impl, name, iface)
                if actual is None:
                    if subclass and not expected.abstract:
                        continue  # inherited from the interface itself
                    if dynamic:
                        continue
                    gaps.append(MemberGap(impl, iface, name, expected, None, (), opaque))
                    continue
                problems = incompatibilities(expected, actual)
                if problems:
                    gaps.append(MemberGap(impl, iface, name, expected, actual, tuple(problems)))
        return Conformance(iface, contract, tuple(impls), tuple(gaps))


def _closeness(a: StoreClass, b: StoreClass) -> int:
    n = 0
    for x, y in zip(a.file.parts, b.file.parts, strict=False):
        if x != y:
            break
        n += 1
    return n


def check_interfaces(index: SourceIndex, configured: list[str] | None = None) -> list[Conformance]:
    graph = StoreGraph(index, configured)
    return [graph.check(i) for i in sorted(graph.interfaces(), key=lambda c: (str(c.file), c.line))]


# --- breaking changes since a git ref -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class InterfaceChange:
    """How one member of ``interface`` changed between ``ref`` and the working tree."""

    interface: StoreClass
    member: str
    change: str  # "removed" | "changed" | "added"
    old: Member | None
    new: Member | None
    problems: tuple[str, ...] = ()
    renamed_to: str | None = None

    @property
    def breaking(self) -> bool:
        return self.change in {"removed", "changed"}


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ParityError(f"cannot run git: {exc}", file=root) from exc


def index_at_ref(root: Path, ref: str, names: list[str]) -> SourceIndex:
    """The classes named ``names`` as they were at ``ref`` (read with ``git show REF:path``).

    Files are found with ``git grep`` at the ref, so an interface that moved files is still
    found; paths in the index are where the file lived at ``ref``, under ``root``.
    """
    top = _git(root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise ParityError("not inside a git repository; --since needs one", file=root)
    toplevel = Path(top.stdout.decode().strip()).resolve()
    if _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise ParityError(
            f"unknown git ref '{ref}'", file=root, hint="a branch, tag or commit, e.g. production"
        )
    prefix = root.resolve().relative_to(toplevel).as_posix()
    pattern = r"class\s+(" + "|".join(re.escape(n) for n in names) + r")\b"
    grep = _git(toplevel, "grep", "-l", "-E", "-I", pattern, ref, "--", prefix if prefix != "." else ".")
    classes: list[ClassInfo] = []
    problems: list[SourceProblem] = []
    paths = [
        line.split(":", 1)[1] for line in grep.stdout.decode(errors="replace").splitlines() if ":" in line
    ]
    for rel in paths:
        if not rel.endswith(".py"):
            continue
        shown = _git(toplevel, "show", f"{ref}:{rel}")
        if shown.returncode != 0:
            continue
        found, problem = parse_source(shown.stdout, toplevel / rel)
        classes.extend(found)
        if problem:
            problems.append(problem)
    return SourceIndex(root, tuple(classes), tuple(problems), len(paths))


def changes_since(
    root: Path, ref: str, current: list[Conformance], configured: list[str] | None = None
) -> tuple[list[InterfaceChange], list[StoreClass]]:
    """Member-level changes of each current interface since ``ref``; also the interfaces new since then."""
    if not current:
        return [], []
    old_index = index_at_ref(root, ref, sorted({c.interface.name for c in current}))
    old_graph = StoreGraph(old_index, configured)
    changes: list[InterfaceChange] = []
    new_interfaces: list[StoreClass] = []
    for conf in current:
        iface = conf.interface
        rel = iface.file.resolve().relative_to(root.resolve())
        candidates = [c for c in old_graph.interfaces() if c.name == iface.name]
        if not candidates:
            new_interfaces.append(iface)
            continue
        old = max(
            candidates, key=lambda c: (c.file.resolve() == (root / rel).resolve(), _closeness(c, iface))
        )
        old_contract = old_graph.contract(old)
        new_contract = conf.contract
        removed = [n for n in old_contract if n not in new_contract]
        added = [n for n in new_contract if n not in old_contract]
        for name in removed:
            was = old_contract[name]
            renamed = next(
                (
                    n
                    for n in added
                    if new_contract[n].kind is was.kind
                    and new_contract[n].params == was.params
                    and new_contract[n].is_async == was.is_async
                ),
                None,
            )
            changes.append(InterfaceChange(iface, name, "removed", was, None, (), renamed))
        for name in added:
            changes.append(InterfaceChange(iface, name, "added", None, new_contract[name]))
        for name, was in old_contract.items():
            now = new_contract.get(name)
            if now is None:
                continue
            problems = incompatibilities(was, now, actual_label="main", expected_label=ref)
            if problems:
                changes.append(InterfaceChange(iface, name, "changed", was, now, tuple(problems)))
    return changes, new_interfaces
