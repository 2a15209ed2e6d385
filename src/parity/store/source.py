"""Read the project's Python source once: every class (and functional TypedDict/namedtuple/Table)
with its file:line, without importing anything.

Static analysis on purpose: importing an application runs its module-level code, needs its
dependencies and, often, its database. A file that does not parse is recorded as a
:class:`SourceProblem` and the rest of the project is still read.
"""

from __future__ import annotations

import ast
import gc
import os
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from parity.errors import FileRefused
from parity.project import SKIP_DIRS
from parity.safefs import Repo, open_beneath

# Tests hold fakes and partial doubles on purpose; checking them as implementations or
# record types would report noise, so they are left out of the scan.
TEST_DIRS = frozenset({"tests", "test", "testing"})
MAX_FILE_BYTES = 2_000_000  # generated files (protobuf, vendored bundles) are not models


def is_test_file(rel: Path) -> bool:
    name = rel.name
    if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
        return True
    return any(part in TEST_DIRS for part in rel.parts[:-1])


@dataclass(frozen=True, slots=True)
class ClassInfo:
    """A class statement (or a functional ``TypedDict``/``namedtuple``/``Table`` assignment)."""

    name: str
    file: Path
    line: int
    bases: tuple[str, ...]  # dotted source text; ``Protocol[T]`` → ``Protocol``
    decorators: tuple[
        str, ...
    ]  # dotted source text without the call: ``dataclass(frozen=True)`` → ``dataclass``
    keywords: tuple[tuple[str, str], ...]  # class keywords: (("metaclass", "ABCMeta"), ("table", "True"))
    node: ast.ClassDef | ast.Assign = field(compare=False, repr=False)

    @property
    def base_names(self) -> tuple[str, ...]:
        """The last component of each base: ``typing.Protocol`` → ``Protocol``."""
        return tuple(b.rsplit(".", 1)[-1] for b in self.bases)

    @property
    def decorator_names(self) -> tuple[str, ...]:
        return tuple(d.rsplit(".", 1)[-1] for d in self.decorators)

    def keyword(self, name: str) -> str | None:
        for k, v in self.keywords:
            if k == name:
                return v
        return None


@dataclass(frozen=True, slots=True)
class SourceProblem:
    """A Python file that could not be read or parsed."""

    file: Path
    line: int | None
    message: str


@dataclass(frozen=True, slots=True)
class SourceIndex:
    root: Path
    classes: tuple[ClassInfo, ...] = ()
    problems: tuple[SourceProblem, ...] = ()
    files: int = 0
    _by_name: dict[str, list[ClassInfo]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for c in self.classes:
            self._by_name.setdefault(c.name, []).append(c)

    def by_name(self, name: str) -> list[ClassInfo]:
        return self._by_name.get(name.rsplit(".", 1)[-1], [])

    def resolve(self, name: str, near: Path) -> ClassInfo | None:
        """The class ``name`` as seen from file ``near``: same file first, then the closest folder.

        Two services may each define a ``Store``; a base named ``Store`` most likely means
        the one that shares the longest path with the file using it.
        """
        found = self.by_name(name)
        if not found:
            return None
        return max(found, key=lambda c: (c.file == near, _common_parts(c.file, near), -len(c.file.parts)))


def _common_parts(a: Path, b: Path) -> int:
    n = 0
    for x, y in zip(a.parts, b.parts, strict=False):
        if x != y:
            break
        n += 1
    return n


def dotted(node: ast.expr) -> str:
    """``a.b.C`` → ``"a.b.C"``; ``C[T]`` → ``"C"``; ``f(x)`` → ``"f"``; anything else → its source text."""
    if isinstance(node, ast.Subscript):
        return dotted(node.value)
    if isinstance(node, ast.Call):
        return dotted(node.func)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return ast.unparse(node)


_FUNCTIONAL = frozenset({"TypedDict", "NamedTuple", "namedtuple", "Table"})


def classes_in(tree: ast.Module, file: Path) -> Iterator[ClassInfo]:
    """Module-level classes (and classes nested in them), plus functional record assignments."""
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop(0)
        if isinstance(node, ast.ClassDef):
            yield ClassInfo(
                name=node.name,
                file=file,
                line=node.lineno,
                bases=tuple(dotted(b) for b in node.bases),
                decorators=tuple(dotted(d) for d in node.decorator_list),
                keywords=tuple((k.arg, ast.unparse(k.value)) for k in node.keywords if k.arg),
                node=node,
            )
            stack.extend(s for s in node.body if isinstance(s, ast.ClassDef))
        elif isinstance(node, ast.If | ast.Try):
            # ``if TYPE_CHECKING:`` / ``try: … except ImportError:`` blocks hold real definitions too.
            stack.extend(node.body)
            stack.extend(getattr(node, "orelse", []))
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and dotted(node.value.func).rsplit(".", 1)[-1] in _FUNCTIONAL
        ):
            kind = dotted(node.value.func).rsplit(".", 1)[-1]
            yield ClassInfo(node.targets[0].id, file, node.lineno, (kind,), (), (), node)


def parse_source(text: str | bytes, file: Path) -> tuple[list[ClassInfo], SourceProblem | None]:
    """Parse one file's text; a syntax error becomes a problem, never an exception."""
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences in user code are their business, not a parity warning.
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(text, filename=str(file))
    except SyntaxError as exc:
        return [], SourceProblem(file, exc.lineno, f"syntax error: {exc.msg}")
    except (ValueError, UnicodeDecodeError) as exc:  # null bytes, undecodable text
        return [], SourceProblem(file, None, f"cannot parse: {exc}")
    return list(classes_in(tree, file)), None


def python_files(root: Path, *, include_tests: bool = False) -> list[Path]:
    """Every ``*.py`` below ``root``, skipping virtualenvs, caches, hidden and gitignored folders."""
    ignore = _gitignore(root)
    out: list[Path] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        rel_dir = here.relative_to(root)
        keep = []
        for d in sorted(dirs):
            if d in SKIP_DIRS or d.startswith(".") or d.endswith(".egg-info"):
                continue
            rel = (rel_dir / d).as_posix() + "/"
            if ignore.match_file(rel):
                continue
            keep.append(d)
        dirs[:] = keep
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            rel_file = rel_dir / name
            if ignore.match_file(rel_file.as_posix()):
                continue
            if not include_tests and is_test_file(rel_file):
                continue
            out.append(here / name)
    return out


def _gitignore(root: Path) -> pathspec.PathSpec:
    lines: list[str] = []
    try:
        lines = Repo.at(root).read_text(root / ".gitignore", errors="replace").splitlines()
    except (OSError, FileRefused):
        lines = []
    return pathspec.PathSpec.from_lines("gitwildmatch", lines)


def _read_source(root: str, path: Path) -> bytes | None:
    """The bytes of a Python file below ``root`` through safefs; None when over the size limit."""
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        raise FileRefused("is outside the repository; not read", file=path, reason="outside") from None
    fd, st = open_beneath(root, rel)
    try:
        return os.read(fd, MAX_FILE_BYTES + 1) if st.st_size <= MAX_FILE_BYTES else None
    finally:
        os.close(fd)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while the index is built and read.

    The index keeps the AST of every class alive; with the GC on, every collection walks all
    of them again and the analysis turns quadratic in the size of the code base (4-6x slower
    at 4,000 files). AST nodes and the values built from them form no cycles to collect.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def scan_files(root: Path, files: Iterable[Path]) -> SourceIndex:
    with gc_paused():
        return _scan_files(root, files)


def _scan_files(root: Path, files: Iterable[Path]) -> SourceIndex:
    classes: list[ClassInfo] = []
    problems: list[SourceProblem] = []
    count = 0
    base = str(root)
    for path in files:
        count += 1
        try:
            data = _read_source(base, path)
        except FileRefused:
            continue  # a link out of the repository, a FIFO: never read (the code scanner notes it)
        except OSError as exc:
            problems.append(SourceProblem(path, None, f"cannot read: {exc.strerror}"))
            continue
        if data is None:
            continue
        # Most files define no class at all; skipping their parse is most of the speed.
        if b"class" not in data and b"Table(" not in data and b"uple(" not in data and b"Dict(" not in data:
            continue
        found, problem = parse_source(data, path)
        classes.extend(found)
        if problem:
            problems.append(problem)
    return SourceIndex(root, tuple(classes), tuple(problems), count)


def scan_project(root: Path, *, include_tests: bool = False) -> SourceIndex:
    root = root.resolve()
    return scan_files(root, python_files(root, include_tests=include_tests))
