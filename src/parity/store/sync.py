"""``parity store sync``: add the field a record class lacks for a new nullable or defaulted column.

Only dataclasses, pydantic models and TypedDicts are edited (the records an in-memory store
keeps); a NamedTuple would change tuple unpacking and a SQLAlchemy model is the migration's
business. A NOT NULL column without a default gets no proposal: no default would be right.
Edits go through libcst so every comment and blank line of the file survives, and a field
is only ever added, never removed.
"""

from __future__ import annotations

import ast
import difflib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import MetadataWrapper, PositionProvider

from parity.errors import FileRefused, ParityError, WriteRefused
from parity.safefs import Repo
from parity.store.coverage import Coverage
from parity.store.proposals import FieldProposal, Skipped, propose
from parity.store.source import gc_paused


class _AddFields(cst.CSTTransformer):
    """Adds the wanted fields to classes found by name (the name is unique in the file)."""

    def __init__(self, wanted: dict[tuple[str, int], list[FieldProposal]]) -> None:
        self.wanted = wanted
        self.done: set[tuple[str, int]] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # record classes are not defined inside functions; skipping bodies is most of the speed

    def _key(self, node: cst.ClassDef) -> tuple[str, int] | None:
        return next((k for k in self.wanted if k[0] == node.name.value), None)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        key = self._key(original_node)
        if key is None or key in self.done or not isinstance(updated_node.body, cst.IndentedBlock):
            return updated_node
        self.done.add(key)
        body = list(updated_node.body.body)
        last_field = -1
        for i, stmt in enumerate(body):
            if isinstance(stmt, cst.SimpleStatementLine) and any(
                isinstance(s, cst.AnnAssign) and isinstance(s.target, cst.Name) for s in stmt.body
            ):
                last_field = i
        if last_field < 0:
            # No field yet: after the docstring, else first; drop a lone ``pass``/``...``.
            last_field = 0 if body and _is_docstring(body[0]) else -1
        new = [cst.parse_statement(p.statement() + "\n") for p in self.wanted[key]]
        body[last_field + 1 : last_field + 1] = new
        body = [s for s in body if not _is_placeholder(s)] or body
        return updated_node.with_changes(body=updated_node.body.with_changes(body=body))


class _AddFieldsAt(_AddFields):
    """The same, telling apart classes of one name by the line the scan saw (needs positions)."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def _key(self, node: cst.ClassDef) -> tuple[str, int] | None:
        pos = self.get_metadata(PositionProvider, node)
        return next(
            (k for k in self.wanted if k[0] == node.name.value and pos.start.line <= k[1] <= pos.end.line),
            None,
        )


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _is_placeholder(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and (
            isinstance(stmt.body[0], cst.Pass)
            or (isinstance(stmt.body[0], cst.Expr) and isinstance(stmt.body[0].value, cst.Ellipsis))
        )
    )


def edit_source(text: str, proposals: Sequence[FieldProposal], file: Path | None = None) -> str:
    """``text`` with each proposal's field added to its class (and the imports the types need)."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise ParityError(f"cannot parse: {exc.message}", file=file, line=exc.raw_line) from exc
    wanted: dict[tuple[str, int], list[FieldProposal]] = {}
    for p in proposals:
        wanted.setdefault((p.model.name, p.model.line), []).append(p)
    names = Counter(n.name for n in ast.walk(ast.parse(text)) if isinstance(n, ast.ClassDef))
    transformer: _AddFields
    if all(names[name] == 1 for name, _ in wanted):
        transformer = _AddFields(wanted)
        edited = module.visit(transformer)
    else:
        # Positions cost a full code generation pass: only when two classes share a name.
        transformer = _AddFieldsAt(wanted)
        edited = MetadataWrapper(module).visit(transformer)
    missing = set(wanted) - transformer.done
    if missing:
        name, line = sorted(missing)[0]
        raise ParityError(f"class {name} not found where it was scanned", file=file, line=line)
    context = CodemodContext()
    for p in proposals:
        for mod, obj in p.imports:
            AddImportsVisitor.add_needed_import(context, mod, obj)
    if any(p.imports for p in proposals):
        edited = AddImportsVisitor(context).transform_module(edited)
    out = edited.code
    _check_only_added(text, out, proposals, file)
    return out


def _check_only_added(before: str, after: str, proposals: Sequence[FieldProposal], file: Path | None) -> None:
    """The edit parses, and every name the file defined before is still there: sync never removes."""
    try:
        tree_after = ast.parse(after)
    except SyntaxError as exc:  # pragma: no cover - libcst emits valid code; this guards the guarantee
        raise WriteRefused(
            "the edited file would not parse; nothing written", file=file, line=exc.lineno
        ) from exc

    def targets(tree: ast.AST) -> set[tuple[str, str]]:
        out: set[tuple[str, str]] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                        out.add((node.name, stmt.target.id))
        return out

    lost = targets(ast.parse(before)) - targets(tree_after)
    if lost:  # pragma: no cover - same guard
        raise WriteRefused("the edit would remove a field; nothing written", file=file)


@dataclass(frozen=True, slots=True)
class FileEdit:
    path: Path
    before: str
    after: str
    proposals: tuple[FieldProposal, ...]

    def diff(self, rel: str) -> str:
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=f"a/{rel}",
                tofile=f"b/{rel}",
            )
        )


@dataclass(frozen=True, slots=True)
class SyncPlan:
    edits: tuple[FileEdit, ...]
    skipped: tuple[Skipped, ...]


def _read(path: Path, repo: Repo | None = None) -> str:
    # Through safefs (no FIFO, no huge file, no link leaving the repository — without a repository,
    # the file's folder) and without newline translation, as the writer keeps them.
    try:
        return (repo or Repo.at(path.parent)).read_text(path)
    except FileRefused as exc:
        raise ParityError(exc.message, file=path) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ParityError(f"cannot read: {exc}", file=path) from exc


def plan_sync(coverage: Coverage, repo: Repo | None = None) -> SyncPlan:
    """What ``sync`` would write: one edit per file, computed, nothing written."""
    texts: dict[Path, str] = {}
    for gap in coverage.missing:
        if gap.model.file not in texts:
            texts[gap.model.file] = _read(gap.model.file, repo)
    style = {p: "Optional[" in t and "| None" not in t for p, t in texts.items()}
    proposals, skipped = propose(coverage, style)
    by_file: dict[Path, list[FieldProposal]] = {}
    for p in proposals:
        by_file.setdefault(p.model.file, []).append(p)
    with gc_paused():  # libcst trees are acyclic; see gc_paused for why this matters at scale
        edits = [
            FileEdit(path, texts[path], edit_source(texts[path], props, path), tuple(props))
            for path, props in sorted(by_file.items())
        ]
    return SyncPlan(tuple(e for e in edits if e.after != e.before), tuple(skipped))


def apply_sync(root: Path, plan: SyncPlan, repo: Repo | None = None) -> Path | None:
    """Write the plan: a backup set first, then one atomic write per file. Returns the backup folder."""
    from parity.env.write import atomic_write_text, backup_files

    if not plan.edits:
        return None
    repo = repo or Repo.at(root)
    targets: list[Path] = []
    for edit in plan.edits:
        try:
            targets.append(repo.write_target(edit.path))  # a link out of the repository is never written
        except FileRefused as exc:
            raise WriteRefused(f"{exc.message}; nothing was written", file=edit.path) from exc
        if _read(edit.path, repo) != edit.before:
            raise WriteRefused("changed since it was read; nothing written, run sync again", file=edit.path)
    backup = backup_files(root, targets, label="store-sync")
    for edit, target in zip(plan.edits, targets, strict=True):
        atomic_write_text(target, edit.after)
    return backup.path
