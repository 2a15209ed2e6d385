"""``store sync``: proposals from real DDL, libcst edits that keep formatting, safe writes."""

from __future__ import annotations

import ast
import json
import os
import stat
import textwrap
from pathlib import Path

import pytest

from parity import dialects
from parity.errors import WriteRefused
from parity.model.schema import Column
from parity.schema.sources import load_sql
from parity.store.coverage import check_coverage
from parity.store.models import find_models
from parity.store.proposals import python_default, python_type
from parity.store.source import scan_project
from parity.store.sync import apply_sync, plan_sync


@pytest.mark.parametrize(
    ("sql", "py", "module"),
    [
        ("integer", "int", None),
        ("bigint", "int", None),
        ("bigserial", "int", None),
        ("varchar(20)", "str", None),
        ("character varying", "str", None),
        ("text", "str", None),
        ("boolean", "bool", None),
        ("tinyint(1)", "bool", None),
        ("double precision", "float", None),
        ("real", "float", None),
        ("numeric(10,2)", "Decimal", "decimal"),
        ("timestamp with time zone", "datetime", "datetime"),
        ("datetime", "datetime", "datetime"),
        ("date", "date", "datetime"),
        ("time", "time", "datetime"),
        ("interval", "timedelta", "datetime"),
        ("uuid", "UUID", "uuid"),
        ("jsonb", "Any", "typing"),
        ("bytea", "bytes", None),
        ("blob", "bytes", None),
        ("integer[]", "list[int]", None),
        ("", "Any", "typing"),
    ],
)
def test_python_type(sql: str, py: str, module: str | None) -> None:
    got, imports = python_type(sql)
    assert got == py
    assert (imports[0][0] if imports else None) == module


@pytest.mark.parametrize(
    ("default", "py", "expected"),
    [
        ("'new'", "str", '"new"'),
        ("'it''s'", "str", '"it\'s"'),
        ("'say \"hi\"'", "str", "'say \"hi\"'"),
        ("0", "int", "0"),
        ("-5", "int", "-5"),
        ("1.5", "float", "1.5"),
        ("1.5", "int", None),
        ("0.50", "Decimal", 'Decimal("0.50")'),
        ("1", "bool", "True"),
        ("false", "bool", "False"),
        ("CURRENT_TIMESTAMP", "str", None),
        ("nextval('orders_id_seq')", "int", None),
        (None, "str", None),
    ],
)
def test_python_default(default: str | None, py: str, expected: str | None) -> None:
    assert python_default(Column("c", "x", default=default), py) == expected


def project(tmp_path: Path, ddl: str, files: dict[str, str]) -> Path:
    (tmp_path / "schema.sql").write_text(textwrap.dedent(ddl), encoding="utf-8")
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def plan_for(root: Path):  # type: ignore[no-untyped-def]
    desired = load_sql([root / "schema.sql"], dialects.get("sqlite"))
    cov = check_coverage(desired, find_models(scan_project(root)), root)
    return plan_sync(cov)


ORDERS = """
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    total NUMERIC(10,2) NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'new',
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    exported_at TEXT,
    flagged BOOLEAN NOT NULL DEFAULT 0,
    reference TEXT NOT NULL
);
"""


def test_dataclass_gets_fields_and_keeps_comments_and_layout(tmp_path: Path) -> None:
    source = '''\
        """Records."""

        from dataclasses import dataclass


        @dataclass
        class Order:
            """One order."""

            id: int  # primary key

            # computed, not stored
            def label(self) -> str:
                return f"#{self.id}"
        '''
    root = project(tmp_path, ORDERS, {"app/records.py": source})
    plan = plan_for(root)
    (edit,) = plan.edits
    added = [
        line
        for line in edit.diff("app/records.py").splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    assert added == [
        "+from datetime import datetime",
        "+from decimal import Decimal",
        '+    total: Decimal = Decimal("0")',
        '+    status: str = "new"',
        "+    created_at: datetime | None = None",
        "+    exported_at: str | None = None",
        "+    flagged: bool = False",
    ]
    # Nothing else changed: every original line is still there, in order.
    before = textwrap.dedent(source).splitlines()
    after = edit.after.splitlines()
    it = iter(after)
    assert all(any(line == x for x in it) for line in before)
    assert "# primary key" in edit.after and "# computed, not stored" in edit.after
    ast.parse(edit.after)
    # reference is NOT NULL without a default: no proposal, a reason instead.
    assert [(s.column.name, "NOT NULL without a default" in s.reason) for s in plan.skipped] == [
        ("reference", True)
    ]


def test_pydantic_typeddict_and_optional_style(tmp_path: Path) -> None:
    ddl = "CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT NOT NULL DEFAULT 'new', note TEXT);"
    root = project(
        tmp_path,
        ddl,
        {
            "a.py": """
                from typing import Optional
                from pydantic import BaseModel

                class Order(BaseModel):
                    id: int
                    parent: Optional[int] = None
            """,
            "b.py": """
                from typing import TypedDict

                class OrderRecord(TypedDict):
                    id: int
            """,
            "c.py": """
                from typing import TypedDict

                class OrderRow(TypedDict, total=False):
                    id: int
            """,
        },
    )
    plan = plan_for(root)
    by_file = {e.path.name: e.after for e in plan.edits}
    # parent is an extra field: sync adds, never removes.
    assert 'status: str = "new"' in by_file["a.py"] and "note: Optional[str] = None" in by_file["a.py"]
    assert "parent: Optional[int] = None" in by_file["a.py"]
    assert (
        "status: NotRequired[str]" in by_file["b.py"] and "note: NotRequired[str | None]" in by_file["b.py"]
    )
    assert "from typing import NotRequired, TypedDict" in by_file["b.py"]
    assert "status: str\n" in by_file["c.py"] and "note: str | None" in by_file["c.py"]
    for text in by_file.values():
        ast.parse(text)


def test_models_sync_does_not_edit(tmp_path: Path) -> None:
    ddl = "CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT);"
    root = project(
        tmp_path,
        ddl,
        {
            "m.py": """
                from typing import NamedTuple
                from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

                class Base(DeclarativeBase):
                    pass

                class OrderModel(Base):
                    __tablename__ = "orders"
                    id: Mapped[int] = mapped_column(primary_key=True)

                class OrderRow(NamedTuple):
                    id: int
            """
        },
    )
    plan = plan_for(root)
    assert plan.edits == ()
    assert sorted((s.model.name, "not edited by sync" in s.reason) for s in plan.skipped) == [
        ("OrderModel", True),
        ("OrderRow", True),
    ]


def test_class_with_only_a_docstring_or_pass(tmp_path: Path) -> None:
    ddl = "CREATE TABLE orders (id INTEGER, note TEXT);"
    root = project(
        tmp_path,
        ddl,
        {"x.py": "from dataclasses import dataclass\n\n@dataclass\nclass Order:\n    pass\n"},
    )
    (edit,) = plan_for(root).edits
    assert edit.after.endswith("class Order:\n    id: int | None = None\n    note: str | None = None\n")


def test_apply_backs_up_writes_atomically_and_keeps_mode(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT);",
        {"app/records.py": "from dataclasses import dataclass\n\n@dataclass\nclass Order:\n    id: int\n"},
    )
    target = root / "app/records.py"
    os.chmod(target, 0o640)
    before = target.read_bytes()
    plan = plan_for(root)
    backup = apply_sync(root, plan)
    assert backup is not None and (backup / "app/records.py").read_bytes() == before
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["files"] == ["app/records.py"]
    assert "note: str | None = None" in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert not list(target.parent.glob("*.parity-tmp"))
    # Second run: nothing left to add.
    assert plan_for(root).edits == ()


def test_apply_refuses_a_file_changed_since_it_was_read(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT);",
        {"r.py": "from dataclasses import dataclass\n\n@dataclass\nclass Order:\n    id: int\n"},
    )
    plan = plan_for(root)
    (root / "r.py").write_text("# edited meanwhile\n" + (root / "r.py").read_text())
    with pytest.raises(WriteRefused) as err:
        apply_sync(root, plan)
    assert err.value.file and err.value.file.endswith("r.py")
    assert (root / "r.py").read_text().startswith("# edited meanwhile")
    assert not (root / ".parity").exists()


def test_two_classes_of_one_name_are_told_apart_by_line(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT);",
        {
            "v.py": """
                from dataclasses import dataclass


                class V1:
                    @dataclass
                    class Order:
                        id: int
                        note: str | None = None


                class V2:
                    @dataclass
                    class Order:
                        id: int

                    def helper(self) -> None:
                        class Order:  # local, not a record
                            pass
            """
        },
    )
    (edit,) = plan_for(root).edits
    added = [
        line for line in edit.diff("v.py").splitlines() if line.startswith("+") and not line.startswith("+++")
    ]
    assert added == ["+        note: str | None = None"]
    tree = ast.parse(edit.after)
    v2 = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "V2")
    order = next(n for n in v2.body if isinstance(n, ast.ClassDef))
    assert [
        s.target.id for s in order.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
    ] == [
        "id",
        "note",
    ]
