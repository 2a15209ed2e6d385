"""Find the Python classes that model a table, and their fields, from source alone.

Kinds recognised: SQLAlchemy declarative models (``__tablename__``, SQLModel ``table=True``)
and imperative ``Table("name", metadata, Column(...))``; dataclasses (and attrs classes);
pydantic models; ``TypedDict``; ``NamedTuple``/``namedtuple``. A record class is matched to a
table by name (singular/plural and case variants, an optional ``Record``/``Row``/``Model``/
``Entity`` suffix) or through ``[store] models`` in the config; a SQLAlchemy model by its
table name.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from parity.store.source import ClassInfo, SourceIndex, dotted


class ModelKind(StrEnum):
    SQLALCHEMY = "sqlalchemy"
    DATACLASS = "dataclass"
    PYDANTIC = "pydantic"
    TYPEDDICT = "typeddict"
    NAMEDTUPLE = "namedtuple"

    @property
    def label(self) -> str:
        return {
            "sqlalchemy": "SQLAlchemy model",
            "dataclass": "dataclass",
            "pydantic": "pydantic model",
            "typeddict": "TypedDict",
            "namedtuple": "NamedTuple",
        }[self.value]


@dataclass(frozen=True, slots=True)
class ModelField:
    name: str
    line: int
    annotation: str | None = None
    has_default: bool = False
    column: str = ""  # the column it maps to: a SQLAlchemy name override or a pydantic alias

    def __post_init__(self) -> None:
        if not self.column:
            object.__setattr__(self, "column", self.name)


@dataclass(frozen=True, slots=True)
class ModelClass:
    name: str
    kind: ModelKind
    file: Path
    line: int
    fields: tuple[ModelField, ...]
    tablename: str | None = None  # SQLAlchemy only
    functional: bool = False  # ``X = TypedDict("X", {...})``: no class body to edit
    total: bool = True  # TypedDict ``total=``

    def field_for(self, column: str) -> ModelField | None:
        for f in self.fields:
            if f.column == column:
                return f
        low = column.lower()
        for f in self.fields:
            if f.column.lower() == low:
                return f
        return None


_SA_COLUMN_CALLS = frozenset({"Column", "mapped_column"})
_SA_NOT_COLUMNS = frozenset(
    {
        "relationship",
        "association_proxy",
        "column_property",
        "synonym",
        "composite",
        "query_expression",
        "dynamic_loader",
    }
)
_DATACLASS_DECORATORS = frozenset({"dataclass", "define", "frozen", "mutable", "attrs", "s"})
_PYDANTIC_BASES = frozenset({"BaseModel", "SQLModel", "RootModel"})
_NOT_RECORD_BASES = frozenset({"BaseSettings", "Enum", "IntEnum", "StrEnum", "Exception"})


def _str_const(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _call_name(node: ast.expr | None) -> str | None:
    return dotted(node.func).rsplit(".", 1)[-1] if isinstance(node, ast.Call) else None


def _is_classvar(annotation: ast.expr) -> bool:
    name = dotted(annotation).rsplit(".", 1)[-1]
    return name in {"ClassVar", "InitVar", "KW_ONLY", "Final"}


class _Kinds:
    """Works out each class's kind, following bases defined elsewhere in the project."""

    def __init__(self, index: SourceIndex) -> None:
        self.index = index
        self._memo: dict[int, ModelKind | None] = {}

    def ancestors(self, cls: ClassInfo, seen: set[int] | None = None) -> list[ClassInfo]:
        seen = seen if seen is not None else {id(cls)}
        out: list[ClassInfo] = []
        for base in cls.bases:
            parent = self.index.resolve(base, cls.file)
            if parent is None or id(parent) in seen or not isinstance(parent.node, ast.ClassDef):
                continue
            seen.add(id(parent))
            out.append(parent)
            out.extend(self.ancestors(parent, seen))
        return out

    def external_bases(self, cls: ClassInfo) -> set[str]:
        names = set(cls.base_names)
        for a in self.ancestors(cls):
            names.update(a.base_names)
        return names

    def kind(self, cls: ClassInfo) -> ModelKind | None:
        key = id(cls)
        if key not in self._memo:
            self._memo[key] = self._kind(cls)
        return self._memo[key]

    def _kind(self, cls: ClassInfo) -> ModelKind | None:
        node = cls.node
        if isinstance(node, ast.Assign):
            base = cls.bases[0]
            return {
                "TypedDict": ModelKind.TYPEDDICT,
                "NamedTuple": ModelKind.NAMEDTUPLE,
                "namedtuple": ModelKind.NAMEDTUPLE,
                "Table": ModelKind.SQLALCHEMY,
            }.get(base)
        bases = self.external_bases(cls)
        if bases & _NOT_RECORD_BASES:
            return None
        if _tablename(node) is not None or cls.keyword("table") == "True":
            return ModelKind.SQLALCHEMY
        if set(cls.decorator_names) & _DATACLASS_DECORATORS and any(
            d.split(".")[0]
            in {"dataclass", "dataclasses", "attr", "attrs", "define", "frozen", "mutable", "pydantic"}
            for d in cls.decorators
        ):
            return ModelKind.DATACLASS
        if bases & _PYDANTIC_BASES:
            return ModelKind.PYDANTIC
        if "TypedDict" in bases:
            return ModelKind.TYPEDDICT
        if "NamedTuple" in bases:
            return ModelKind.NAMEDTUPLE
        return None


def _tablename(node: ast.ClassDef) -> str | None:
    for stmt in node.body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            target, value = stmt.target, stmt.value
        if isinstance(target, ast.Name) and target.id == "__tablename__":
            return _str_const(value)
    return None


def _sa_fields(node: ast.ClassDef) -> list[ModelField]:
    out: list[ModelField] = []
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name, value, ann = stmt.target.id, stmt.value, stmt.annotation
            if _is_classvar(ann):
                continue
            ann_text: str | None = ast.unparse(ann)
            is_column = _call_name(value) in _SA_COLUMN_CALLS or (
                value is None and "Mapped" in (ann_text or "")
            )
        elif (
            isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
        ):
            name, value, ann_text = stmt.targets[0].id, stmt.value, None
            is_column = _call_name(value) in _SA_COLUMN_CALLS
        else:
            continue
        if name.startswith("__") or not is_column or _call_name(value) in _SA_NOT_COLUMNS:
            continue
        column = name
        if isinstance(value, ast.Call) and value.args and _str_const(value.args[0]):
            column = _str_const(value.args[0]) or name
        out.append(ModelField(name, stmt.lineno, ann_text, value is not None, column))
    return out


def _sqlmodel_fields(node: ast.ClassDef) -> list[ModelField]:
    """A SQLModel class's columns: every annotated attribute (``email: str = Field(...)``,
    ``is_active: bool = True``, inherited from its non-table bases too), as pydantic declares them;
    not a ``Relationship(...)``, a ClassVar or a private name."""
    out: list[ModelField] = []
    for stmt in node.body:
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        name = stmt.target.id
        if _is_classvar(stmt.annotation) or name.startswith("_") or name == "model_config":
            continue
        if _call_name(stmt.value) in {"Relationship", "relationship"}:
            continue
        out.append(ModelField(name, stmt.lineno, ast.unparse(stmt.annotation), stmt.value is not None))
    return out


def _record_fields(node: ast.ClassDef, kind: ModelKind) -> list[ModelField]:
    out: list[ModelField] = []
    for stmt in node.body:
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        name = stmt.target.id
        if _is_classvar(stmt.annotation):
            continue
        if kind is ModelKind.PYDANTIC and (name.startswith("_") or name == "model_config"):
            continue
        column = name
        if (
            kind is ModelKind.PYDANTIC
            and _call_name(stmt.value) == "Field"
            and isinstance(stmt.value, ast.Call)
        ):
            for kw in stmt.value.keywords:
                if kw.arg in {"alias", "validation_alias"} and _str_const(kw.value):
                    column = _str_const(kw.value) or name
        out.append(
            ModelField(name, stmt.lineno, ast.unparse(stmt.annotation), stmt.value is not None, column)
        )
    return out


def _fields_of(node: ast.ClassDef, kind: ModelKind, sqlmodel: bool) -> list[ModelField]:
    if sqlmodel:
        return _sqlmodel_fields(node)
    return _sa_fields(node) if kind is ModelKind.SQLALCHEMY else _record_fields(node, kind)


def _functional_fields(node: ast.Assign) -> tuple[list[ModelField], str | None, bool]:
    """Fields of ``X = TypedDict(...)``, ``namedtuple(...)``, ``NamedTuple(...)``, ``Table(...)``."""
    call = node.value
    assert isinstance(call, ast.Call)
    kind = _call_name(call)
    line = node.lineno
    fields: list[ModelField] = []
    tablename: str | None = None
    total = True
    for kw in call.keywords:
        if kw.arg == "total" and isinstance(kw.value, ast.Constant):
            total = bool(kw.value.value)
    if kind == "Table":
        tablename = _str_const(call.args[0]) if call.args else None
        for arg in call.args[1:]:
            if (
                _call_name(arg) == "Column"
                and isinstance(arg, ast.Call)
                and arg.args
                and _str_const(arg.args[0])
            ):
                col = _str_const(arg.args[0]) or ""
                fields.append(ModelField(col, arg.lineno, None, False, col))
        return fields, tablename, total
    spec = call.args[1] if len(call.args) > 1 else None
    if isinstance(spec, ast.Dict):
        for k, v in zip(spec.keys, spec.values, strict=False):
            if _str_const(k):
                fields.append(ModelField(_str_const(k) or "", k.lineno if k else line, ast.unparse(v)))
    elif isinstance(spec, ast.List | ast.Tuple):
        for elt in spec.elts:
            if isinstance(elt, ast.Tuple) and elt.elts and _str_const(elt.elts[0]):
                ann = ast.unparse(elt.elts[1]) if len(elt.elts) > 1 else None
                fields.append(ModelField(_str_const(elt.elts[0]) or "", elt.lineno, ann))
            elif _str_const(elt):
                fields.append(ModelField(_str_const(elt) or "", elt.lineno))
    elif _str_const(spec):
        for name in re.split(r"[\s,]+", (_str_const(spec) or "").strip()):
            if name:
                fields.append(ModelField(name, line))
    elif spec is None:
        for kw in call.keywords:
            if kw.arg and kw.arg not in {"total", "defaults", "rename", "module"}:
                fields.append(ModelField(kw.arg, kw.value.lineno, ast.unparse(kw.value)))
    return fields, tablename, total


def _in_revision_folder(file: Path, root: Path, memo: dict[Path, bool]) -> bool:
    """Whether ``file`` is an Alembic revision (a ``versions/`` folder beside an ``env.py``). A data
    migration declares a stub of a model as it was then: not the model the app runs with."""
    folder = file.parent if file.is_absolute() else (root / file).parent
    if folder not in memo:
        memo[folder] = folder.name == "versions" and (folder.parent / "env.py").is_file()
    return memo[folder]


def find_models(index: SourceIndex) -> list[ModelClass]:
    """Every model-like class of the project, with its fields (inherited project fields first)."""
    kinds = _Kinds(index)
    out: list[ModelClass] = []
    revisions: dict[Path, bool] = {}
    for cls in index.classes:
        if _in_revision_folder(cls.file, index.root, revisions):
            continue
        kind = kinds.kind(cls)
        if kind is None:
            continue
        node = cls.node
        if isinstance(node, ast.Assign):
            fields, tablename, total = _functional_fields(node)
            out.append(ModelClass(cls.name, kind, cls.file, cls.line, tuple(fields), tablename, True, total))
            continue
        collected: dict[str, ModelField] = {}
        sqlmodel = kind is ModelKind.SQLALCHEMY and "SQLModel" in kinds.external_bases(cls)
        for ancestor in reversed(kinds.ancestors(cls)):
            if not isinstance(ancestor.node, ast.ClassDef):
                continue
            for f in _fields_of(ancestor.node, kind, sqlmodel):
                collected[f.name] = f
        own = _fields_of(node, kind, sqlmodel)
        for f in own:
            collected[f.name] = f
        tablename = _tablename(node)
        if kind is ModelKind.SQLALCHEMY and tablename is None:
            tablename = cls.name.lower()  # SQLModel's default
        total = cls.keyword("total") != "False"
        out.append(
            ModelClass(cls.name, kind, cls.file, cls.line, tuple(collected.values()), tablename, False, total)
        )
    return out


# --- matching classes to tables ---------------------------------------------------------

_SUFFIXES = ("record", "row", "model", "entity")


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def singular(word: str) -> str:
    """English singular of a table-name word, for the regular forms table names use."""
    w = word.lower()
    if w.endswith("ies") and len(w) > 3:
        return word[:-3] + "y"
    if w.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if w.endswith("s") and not w.endswith("ss"):
        return word[:-1]
    return word


def plural(word: str) -> str:
    w = word.lower()
    if w.endswith("y") and len(w) > 1 and w[-2] not in "aeiou":
        return word[:-1] + "ies"
    if w.endswith(("s", "sh", "ch", "x", "z")):
        return word + "es"
    return word + "s"


def table_variants(table: str) -> set[str]:
    """``order_items`` → {"orderitems", "orderitem"}; ``Person`` → {"person", "persons"}."""
    head, _, last = table.rpartition("_")
    prefix = head + "_" if head else ""
    return {_norm(table), _norm(prefix + singular(last)), _norm(prefix + plural(last))}


def class_variants(name: str) -> set[str]:
    n = _norm(name)
    out = {n}
    for suffix in _SUFFIXES:
        if n.endswith(suffix) and len(n) > len(suffix):
            out.add(n[: -len(suffix)])
    return out


def matches_table(model: ModelClass, table: str) -> bool:
    if model.kind is ModelKind.SQLALCHEMY:
        return (model.tablename or "").lower() == table.lower()
    return bool(class_variants(model.name) & table_variants(table))


def resolve_ref(ref: str, models: list[ModelClass], root: Path) -> list[ModelClass]:
    """A configured model: ``Order`` or ``services/api/app/records.py:Order``."""
    path, _, name = ref.rpartition(":")
    found = [m for m in models if m.name == name]
    if path:
        target = (root / path).resolve()
        found = [m for m in found if m.file.resolve() == target]
    return found
