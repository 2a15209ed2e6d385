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
import keyword
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import MetadataWrapper, PositionProvider

from parity.errors import ParityError, WriteRefused
from parity.model.schema import Column
from parity.store.coverage import Coverage
from parity.store.models import ModelClass, ModelKind
from parity.store.source import gc_paused

EDITABLE = (ModelKind.DATACLASS, ModelKind.PYDANTIC, ModelKind.TYPEDDICT)

# Substrings of a normalised column type → (Python type, import it needs). Order matters:
# ``interval`` before ``int``, ``timestamp`` before ``time``, ``datetime`` before ``date``.
_TYPE_MAP: tuple[tuple[tuple[str, ...], str, tuple[str, str] | None], ...] = (
    (("interval",), "timedelta", ("datetime", "timedelta")),
    (("point", "polygon", "geometry", "geography"), "Any", ("typing", "Any")),
    (("bool",), "bool", None),
    (("tinyint(1)",), "bool", None),
    (("int", "serial"), "int", None),
    (("char", "text", "clob", "string", "enum", "citext", "inet", "cidr"), "str", None),
    (("real", "floa", "doub"), "float", None),
    (("numeric", "decimal", "money"), "Decimal", ("decimal", "Decimal")),
    (("timestamp", "datetime"), "datetime", ("datetime", "datetime")),
    (("date",), "date", ("datetime", "date")),
    (("time",), "time", ("datetime", "time")),
    (("uuid",), "UUID", ("uuid", "UUID")),
    (("json",), "Any", ("typing", "Any")),
    (("blob", "bytea", "binary"), "bytes", None),
)
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def python_type(sql_type: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``varchar(20)`` → ``str``; ``numeric(10,2)`` → ``Decimal`` (+ its import); unknown → ``Any``."""
    t = sql_type.strip().lower()
    if t.endswith("[]"):
        inner, imports = python_type(t[:-2])
        return f"list[{inner}]", imports
    for needles, py, imp in _TYPE_MAP:
        if any(n in t for n in needles):
            return py, (imp,) if imp else ()
    return "Any", (("typing", "Any"),)


def python_default(column: Column, py_type: str) -> str | None:
    """The column default as a Python literal, or None when it is an expression the database evaluates."""
    d = column.default
    if d is None:
        return None
    text = d.strip()
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        value = text[1:-1].replace("''", "'")
        return _str_literal(value) if py_type in {"str", "Any"} else None
    if py_type == "bool" and text.lower() in {"true", "false", "1", "0"}:
        return "True" if text.lower() in {"true", "1"} else "False"
    if _NUMBER.fullmatch(text) and py_type == "Decimal":
        return f'Decimal("{text}")'
    if _NUMBER.fullmatch(text) and py_type in {"int", "float", "Any"}:
        if py_type == "int" and "." in text:
            return None
        return text
    return None


def _str_literal(value: str) -> str:
    if '"' not in value:
        return '"' + value.replace("\\", "\\\\") + '"'
    return repr(value)


@dataclass(frozen=True, slots=True)
class FieldProposal:
    model: ModelClass
    table: str
    column: Column
    annotation: str
    default: str | None  # Python source; None: no default (TypedDict keys)
    imports: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return self.column.name

    def statement(self) -> str:
        return f"{self.name}: {self.annotation}" + (f" = {self.default}" if self.default is not None else "")


@dataclass(frozen=True, slots=True)
class Skipped:
    model: ModelClass
    table: str
    column: Column
    reason: str


def propose(
    coverage: Coverage, optional_style: dict[Path, bool] | None = None
) -> tuple[list[FieldProposal], list[Skipped]]:
    """A field for every gap that can be filled safely; the reason for every one that cannot."""
    proposals: list[FieldProposal] = []
    skipped: list[Skipped] = []
    optional_style = optional_style or {}
    for gap in coverage.missing:
        model, column = gap.model, gap.column
        if model.kind not in EDITABLE:
            skipped.append(
                Skipped(
                    model,
                    gap.table,
                    column,
                    f"a {model.kind.label} is not edited by sync; add the field by hand",
                )
            )
            continue
        if model.functional:
            skipped.append(
                Skipped(model, gap.table, column, "defined with the functional syntax; add the key by hand")
            )
            continue
        if not column.name.isidentifier() or keyword.iskeyword(column.name):
            skipped.append(Skipped(model, gap.table, column, "the column name is not a Python identifier"))
            continue
        py, imports = python_type(column.type or column.raw_type)
        literal = python_default(column, py)
        db_filled = column.default is not None or column.generated is not None or column.identity is not None
        if not column.nullable and not db_filled:
            skipped.append(
                Skipped(
                    model, gap.table, column, "NOT NULL without a default: no safe default to give the field"
                )
            )
            continue
        # The database fills an expression default (CURRENT_TIMESTAMP, a sequence), an identity
        # or a generated column on insert; the record leaves it unset, so the field is optional.
        optional = column.nullable or literal is None
        annotation = py
        if optional:
            if optional_style.get(model.file):
                annotation = f"Optional[{py}]"
                imports = (*imports, ("typing", "Optional"))
            else:
                annotation = f"{py} | None"
        default: str | None = literal if literal is not None else "None"
        if model.kind is ModelKind.TYPEDDICT:
            default = None
            if model.total:
                annotation = f"NotRequired[{annotation}]"
                imports = (*imports, ("typing", "NotRequired"))
        proposals.append(FieldProposal(model, gap.table, column, annotation, default, imports))
    return proposals, skipped


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


def _read(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ParityError(f"cannot read: {exc}", file=path) from exc


def plan_sync(coverage: Coverage) -> SyncPlan:
    """What ``sync`` would write: one edit per file, computed, nothing written."""
    texts: dict[Path, str] = {}
    for gap in coverage.missing:
        if gap.model.file not in texts:
            texts[gap.model.file] = _read(gap.model.file)
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


def apply_sync(root: Path, plan: SyncPlan) -> Path | None:
    """Write the plan: a backup set first, then one atomic write per file. Returns the backup folder."""
    from parity.env.write import atomic_write_text, backup_files

    if not plan.edits:
        return None
    for edit in plan.edits:
        if _read(edit.path) != edit.before:
            raise WriteRefused("changed since it was read; nothing written, run sync again", file=edit.path)
    backup = backup_files(root, [e.path for e in plan.edits], label="store-sync")
    for edit in plan.edits:
        atomic_write_text(edit.path, edit.after)
    return backup.path
