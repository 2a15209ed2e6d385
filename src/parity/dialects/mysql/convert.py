"""MySQL/MariaDB type conversions (``MODIFY COLUMN``): found in migration statements and compared
by value (:mod:`parity.migrate.convert`), so ``DECIMAL(10,2)`` → ``DECIMAL(12,4)`` (``2.50`` now
printed ``2.5000``) is not taken for data loss. A failed verification here restores the tables
backup as before; the pre-check on existing rows is PostgreSQL's only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from parity.migrate.convert import Conversion

if TYPE_CHECKING:
    from parity.migrate.runtime import Runtime


def value_expr(column_sql: str, family: str, mariadb: bool) -> str:
    """The expression a converted column is digested by, before and after."""
    if family == "jsonb":
        # Key order and whitespace: MariaDB's JSON is text (JSON_NORMALIZE since 10.7), MySQL's
        # is binary and prints normalised.
        return f"JSON_NORMALIZE({column_sql})" if mariadb else f"CAST({column_sql} AS JSON)"
    if family == "float":
        return f"CAST({column_sql} AS DOUBLE)"
    if family == "time":
        return f"CAST({column_sql} AS DATETIME(6))"
    # Trailing zeros after the point are the scale, not the number (an integer keeps its own).
    text = f"CAST({column_sql} AS CHAR)"
    return f"IF(LOCATE('.', {text}) > 0, TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM {text})), {text})"


def find_conversions(rt: Runtime, statements: Sequence[str]) -> list[Conversion]:
    """Every ``ALTER TABLE … MODIFY [COLUMN] c TYPE …`` (and ``CHANGE c c TYPE``) of an existing
    column whose type spelling changes, with the column's type before it."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    out: list[Conversion] = []
    types: dict[tuple[str, str], str] = {}
    for statement in statements:
        try:
            tree = sqlglot.parse_one(statement, read="mysql")
        except (ParseError, TokenError):
            continue
        if not isinstance(tree, exp.Alter) or not isinstance(tree.this, exp.Table):
            continue
        table = tree.this.name
        for action in tree.args.get("actions") or []:
            if not isinstance(action, exp.ModifyColumn) or not isinstance(action.this, exp.ColumnDef):
                continue
            column = action.this.name
            renamed = action.args.get("rename_from")
            if renamed is not None and renamed.name != column:
                continue  # a rename: its values are compared under the old name, as a gone column
            kind = action.this.args.get("kind")
            if kind is None:
                continue
            old = types.get((table, column)) or _catalog_type(rt, table, column)
            if old is None:
                continue
            new = kind.sql(dialect="mysql").lower()
            if _spelling(new) != _spelling(old):
                out.append(Conversion(table, column, old, new))
            types[(table, column)] = new
    return out


def _spelling(type_text: str) -> str:
    # int(11) and INT are one type (display width); so are decimal(12,4) and DECIMAL(12, 4).
    t = type_text.lower().replace(" ", "")
    return t.split("(")[0] if t.split("(")[0] in {"tinyint", "smallint", "mediumint", "int", "bigint"} else t


def _catalog_type(rt: Runtime, table: str, column: str) -> str | None:
    row = rt.query(
        "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_NAME = %s AND COLUMN_NAME = %s",
        (table, column),
    )
    return str(row[0][0]) if row else None
