"""Model discovery (AST only) and coverage against a desired schema loaded from real DDL."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from parity import dialects
from parity.model.schema import Schema
from parity.schema.sources import load_sql
from parity.store.coverage import check_coverage
from parity.store.models import (
    ModelClass,
    ModelKind,
    class_variants,
    find_models,
    matches_table,
    singular,
    table_variants,
)
from parity.store.source import scan_project

DDL = """
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    total_cents INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'new',
    exported_at TEXT
);
CREATE TABLE order_items (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, sku TEXT NOT NULL);
CREATE TABLE categories (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def desired(tmp_path: Path) -> Schema:
    ddl = tmp_path / "schema.sql"
    ddl.write_text(DDL, encoding="utf-8")
    return load_sql([ddl], dialects.get("sqlite"))


def models_of(root: Path) -> dict[str, ModelClass]:
    return {m.name: m for m in find_models(scan_project(root))}


def test_every_model_kind_and_its_fields(tmp_path: Path) -> None:
    write(
        tmp_path / "src",
        {
            "sa.py": """
                from sqlalchemy import Column, Integer, String, ForeignKey
                from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

                class Base(DeclarativeBase):
                    pass

                class TimestampMixin:
                    created_at: Mapped[str] = mapped_column(String)

                class OrderModel(TimestampMixin, Base):
                    __tablename__ = "orders"
                    __table_args__ = {"sqlite_autoincrement": True}
                    id: Mapped[int] = mapped_column(primary_key=True)
                    customer: Mapped[int] = mapped_column("customer_id", ForeignKey("customers.id"))
                    total_cents = Column(Integer, nullable=False)
                    note: Mapped[str | None]
                    items: Mapped[list["Item"]] = relationship(back_populates="order")
            """,
            "records.py": """
                import dataclasses
                from dataclasses import dataclass, field
                from typing import ClassVar, NamedTuple, TypedDict
                from collections import namedtuple
                from pydantic import BaseModel, Field

                @dataclass(frozen=True)
                class Category:
                    id: int
                    label: str = "x"
                    KIND: ClassVar[str] = "category"

                @dataclasses.dataclass
                class Plain:
                    a: int

                class OrderOut(BaseModel):
                    id: int
                    total: int = Field(alias="total_cents")
                    _secret: str = "hidden"

                class ItemDict(TypedDict, total=False):
                    id: int
                    sku: str

                class ItemRow(NamedTuple):
                    id: int
                    order_id: int

                OrderTuple = namedtuple("OrderTuple", "id customer_id")
                OrderItem = TypedDict("OrderItem", {"id": int, "order_id": int})
                Pair = NamedTuple("Pair", [("a", int), ("b", str)])

                class NotAModel:
                    x: int
            """,
            "tables.py": """
                from sqlalchemy import Table, Column, Integer, MetaData
                metadata = MetaData()
                legacy = Table("legacy", metadata, Column("id", Integer), Column("code", Integer))
            """,
        },
    )
    m = models_of(tmp_path)
    assert "NotAModel" not in m and "Base" not in m and "TimestampMixin" not in m
    order = m["OrderModel"]
    assert order.kind is ModelKind.SQLALCHEMY and order.tablename == "orders"
    cols = [f.column for f in order.fields]
    assert cols == ["created_at", "id", "customer_id", "total_cents", "note"]  # mixin first, no relationship
    assert m["Category"].kind is ModelKind.DATACLASS
    assert [f.name for f in m["Category"].fields] == ["id", "label"]
    assert m["Plain"].kind is ModelKind.DATACLASS
    out = m["OrderOut"]
    assert out.kind is ModelKind.PYDANTIC
    assert [f.column for f in out.fields] == ["id", "total_cents"]
    assert m["ItemDict"].kind is ModelKind.TYPEDDICT and not m["ItemDict"].total
    assert m["ItemRow"].kind is ModelKind.NAMEDTUPLE
    assert [f.name for f in m["OrderTuple"].fields] == ["id", "customer_id"]
    assert [f.name for f in m["OrderItem"].fields] == ["id", "order_id"]
    assert m["OrderItem"].functional
    assert [f.name for f in m["Pair"].fields] == ["a", "b"]
    legacy = m["legacy"]
    assert legacy.kind is ModelKind.SQLALCHEMY and legacy.tablename == "legacy"
    assert [f.name for f in legacy.fields] == ["id", "code"]


def test_pydantic_base_defined_elsewhere_in_the_project(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "base.py": "from pydantic import BaseModel\n\nclass Schema(BaseModel):\n    model_config = {}\n",
            "order.py": "from base import Schema\n\nclass Order(Schema):\n    id: int\n",
            "settings.py": "from pydantic_settings import BaseSettings\n\nclass Settings(BaseSettings):\n    url: str\n",
        },
    )
    m = models_of(tmp_path)
    assert m["Order"].kind is ModelKind.PYDANTIC
    assert "Settings" not in m


@pytest.mark.parametrize(
    ("cls", "table", "match"),
    [
        ("Order", "orders", True),
        ("Orders", "orders", True),
        ("OrderRecord", "orders", True),
        ("OrderRow", "order", True),
        ("OrderItem", "order_items", True),
        ("Category", "categories", True),
        ("Address", "addresses", True),
        ("Box", "boxes", True),
        ("ORDER", "Orders", True),
        ("OrderSummary", "orders", False),
        ("Customer", "orders", False),
    ],
)
def test_name_matching(cls: str, table: str, match: bool) -> None:
    assert bool(class_variants(cls) & table_variants(table)) is match


def test_singular_keeps_words_that_are_not_plural() -> None:
    assert "status" in table_variants("status")  # the table name itself is always a variant
    assert singular("class") == "class"


def test_coverage_reports_missing_and_extra_fields(tmp_path: Path, desired: Schema) -> None:
    write(
        tmp_path / "app",
        {
            "records.py": """
                from dataclasses import dataclass

                @dataclass
                class Order:
                    id: int
                    customer_id: int
                    total_cents: int
                    legacy_note: str | None = None

                @dataclass
                class Category:
                    id: int
                    label: str
            """,
            "models.py": """
                from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

                class Base(DeclarativeBase):
                    pass

                class OrderModel(Base):
                    __tablename__ = "orders"
                    id: Mapped[int] = mapped_column(primary_key=True)
                    customer_id: Mapped[int]
                    total_cents: Mapped[int]
                    status: Mapped[str]
                    exported_at: Mapped[str | None]

                class Audit(Base):
                    __tablename__ = "audit_log"
                    id: Mapped[int] = mapped_column(primary_key=True)
            """,
        },
    )
    models = find_models(scan_project(tmp_path))
    cov = check_coverage(desired, models, tmp_path)
    assert {t: sorted(m.name for m in ms) for t, ms in cov.matched.items()} == {
        "orders": ["Order", "OrderModel"],
        "categories": ["Category"],
    }
    assert sorted((g.model.name, g.column.name) for g in cov.missing) == [
        ("Order", "exported_at"),
        ("Order", "status"),
    ]
    assert [(e.model.name, e.field.name) for e in cov.extra] == [("Order", "legacy_note")]
    assert cov.unmodelled == ("order_items",)
    assert [o.name for o in cov.orphans] == ["Audit"]


def test_configured_models_replace_name_matching(tmp_path: Path, desired: Schema) -> None:
    write(
        tmp_path,
        {
            "a/x.py": "from dataclasses import dataclass\n\n@dataclass\nclass Order:\n    id: int\n",
            "b/y.py": "from dataclasses import dataclass\n\n@dataclass\nclass Purchase:\n    id: int\n    customer_id: int\n",
        },
    )
    models = find_models(scan_project(tmp_path))
    cov = check_coverage(desired, models, tmp_path, {"orders": ["b/y.py:Purchase", "Nope"]})
    assert [m.name for m in cov.matched["orders"]] == ["Purchase"]
    assert cov.unknown_refs == (("orders", "Nope"),)
    assert {g.column.name for g in cov.missing if g.model.name == "Purchase"} == {
        "total_cents",
        "status",
        "exported_at",
    }


def test_matches_table_uses_tablename_for_sqlalchemy(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "m.py": """
                class Order(Base):
                    __tablename__ = "legacy_orders"
                    id = Column(Integer, primary_key=True)
            """
        },
    )
    (model,) = find_models(scan_project(tmp_path))
    assert matches_table(model, "legacy_orders") and not matches_table(model, "orders")


def test_scanning_never_imports_or_writes(tmp_path: Path) -> None:
    # Module-level code that would fail (or write) on import: the AST scan must not run it.
    write(
        tmp_path,
        {
            "app.py": """
                import sqlite3
                sqlite3.connect("created-on-import.db").execute("CREATE TABLE t (x)")
                raise SystemExit("imported!")

                from dataclasses import dataclass

                @dataclass
                class Order:
                    id: int
            """
        },
    )
    models = find_models(scan_project(tmp_path))
    assert [m.name for m in models] == ["Order"]
    assert not (tmp_path / "created-on-import.db").exists()


def test_sqlmodel_table_fields_include_plain_annotations_and_inherited_ones(tmp_path: Path) -> None:
    # full-stack-fastapi-template's shape: the columns are pydantic annotations, most on a
    # non-table base; Relationship(...) is no column.
    write(
        tmp_path,
        {
            "models.py": """
                import uuid
                from sqlmodel import Field, Relationship, SQLModel

                class UserBase(SQLModel):
                    email: str = Field(unique=True, index=True, max_length=255)
                    is_active: bool = True
                    full_name: str | None = Field(default=None, max_length=255)

                class UserCreate(UserBase):
                    password: str = Field(min_length=8, max_length=128)

                class User(UserBase, table=True):
                    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
                    hashed_password: str
                    items: list["Item"] = Relationship(back_populates="owner", cascade_delete=True)
            """
        },
    )
    models = {m.name: m for m in find_models(scan_project(tmp_path))}
    user = models["User"]
    assert user.kind is ModelKind.SQLALCHEMY and user.tablename == "user"
    assert [f.name for f in user.fields] == ["email", "is_active", "full_name", "id", "hashed_password"]
    assert models["UserCreate"].kind is ModelKind.PYDANTIC  # no table: not a model of the database
