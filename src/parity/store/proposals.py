"""What ``parity store sync`` would add: one field per missing nullable or defaulted column.

Pure planning with no libcst: ``parity store`` and ``parity check`` call it for their fix
lines, and only ``store sync`` itself pays for the concrete-syntax-tree import.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from pathlib import Path

from parity.model.schema import Column
from parity.store.coverage import Coverage
from parity.store.models import ModelClass, ModelKind

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
