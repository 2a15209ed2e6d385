"""Coverage and sync proposals against desired schemas loaded on real PostgreSQL and MariaDB
servers (the production dialect decides the column types the fields get)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from parity.project import discover
from parity.store.check import inspect_store
from parity.store.sync import plan_sync

RECORD = """
from dataclasses import dataclass


@dataclass
class Order:
    id: int
"""

PG_DDL = """
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  ref uuid NOT NULL DEFAULT gen_random_uuid(),
  total numeric(10,2) NOT NULL DEFAULT 0,
  paid boolean NOT NULL DEFAULT false,
  placed_at timestamptz NOT NULL DEFAULT now(),
  meta jsonb,
  status varchar(20) NOT NULL DEFAULT 'new',
  note text,
  code text NOT NULL
);
"""

MYSQL_DDL = """
CREATE TABLE orders (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  total DECIMAL(10,2) NOT NULL DEFAULT 0,
  paid TINYINT(1) NOT NULL DEFAULT 0,
  placed_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  status VARCHAR(20) NOT NULL DEFAULT 'new',
  note TEXT,
  code TEXT NOT NULL
);
"""


def make(tmp_path: Path, url: str, ddl: str) -> Path:
    root = tmp_path / "proj"
    (root / "api/app").mkdir(parents=True)
    (root / "api/.env.production").write_text(f"DATABASE_URL={url}\n")
    (root / "schema.sql").write_text(textwrap.dedent(ddl))
    (root / "api/app/records.py").write_text(textwrap.dedent(RECORD))
    return root


def added_lines(root: Path) -> list[str]:
    result = inspect_store(discover(root), "production")
    assert result.coverage is not None
    plan = plan_sync(result.coverage)
    (edit,) = plan.edits
    assert [s.column.name for s in plan.skipped] == ["code"]  # NOT NULL, no default: left to a human
    return [
        line[1:]
        for line in edit.diff("api/app/records.py").splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]


@pytest.mark.postgres
def test_postgres_types_and_defaults(tmp_path: Path, pg_url: str) -> None:
    lines = added_lines(make(tmp_path, pg_url, PG_DDL))
    assert lines == [
        "from datetime import datetime",
        "from decimal import Decimal",
        "from typing import Any",
        "from uuid import UUID",
        "    ref: UUID | None = None",
        '    total: Decimal = Decimal("0")',
        "    paid: bool = False",
        "    placed_at: datetime | None = None",
        "    meta: Any | None = None",
        '    status: str = "new"',
        "    note: str | None = None",
    ]


@pytest.mark.mysql
def test_mariadb_types_and_defaults(tmp_path: Path, mysql_url: str) -> None:
    lines = added_lines(make(tmp_path, mysql_url, MYSQL_DDL))
    assert lines == [
        "from datetime import datetime",
        "from decimal import Decimal",
        '    total: Decimal = Decimal("0.00")',
        "    paid: bool = False",
        "    placed_at: datetime | None = None",
        '    status: str = "new"',
        "    note: str | None = None",
    ]
