"""MySQL/MariaDB normalisation hooks.

- Defaults: MariaDB (10.2.7+) reports ``COLUMN_DEFAULT`` as an SQL expression (``'new'``,
  ``NULL`` as text, ``current_timestamp()``), MySQL 8 as the bare value (``new``) with
  ``DEFAULT_GENERATED`` in ``EXTRA`` for expressions. Both become one SQL spelling.
- Foreign-key actions: InnoDB treats ``RESTRICT`` and ``NO ACTION`` alike and reports
  ``RESTRICT`` for the default; both fold to ``NO ACTION``.
- View definitions carry the database name (```shop`.`orders```), which differs between
  production and the scratch database; it is removed.
- Column names are case-insensitive on every platform, hence ``fold_case``.
"""

from __future__ import annotations

import re

from parity.model.changes import CompareOptions

COMPARE_OPTIONS = CompareOptions(fold_case=True)

FK_ACTIONS = {
    "RESTRICT": "NO ACTION",
    "NO ACTION": "NO ACTION",
    "CASCADE": "CASCADE",
    "SET NULL": "SET NULL",
    "SET DEFAULT": "SET DEFAULT",
}
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_SPACES = re.compile(r"\s+")
_TS = re.compile(r"^current_timestamp(\(\d*\))?$|^now\(\)$", re.IGNORECASE)
_ON_UPDATE = re.compile(r"\bon update (?:current_timestamp|now)(?:\((\d*)\))?", re.IGNORECASE)


def on_update_sql(extra: str) -> str | None:
    """The ``ON UPDATE`` clause in ``COLUMNS.EXTRA``, normalised (None: there is none).

    MariaDB says ``on update current_timestamp()``, MySQL 8 ``DEFAULT_GENERATED on update
    CURRENT_TIMESTAMP``; both give ``CURRENT_TIMESTAMP`` (``CURRENT_TIMESTAMP(3)`` with a
    fractional-seconds precision, which must match the column's).
    """
    m = _ON_UPDATE.search(extra)
    if m is None:
        return None
    return f"CURRENT_TIMESTAMP({m.group(1)})" if m.group(1) else "CURRENT_TIMESTAMP"


def default_sql(raw: str | None, extra: str, mariadb: bool) -> str | None:
    """``COLUMN_DEFAULT`` as the SQL one would write after ``DEFAULT`` (None: no default)."""
    if raw is None:
        return None
    if mariadb:
        return None if raw == "NULL" else raw
    if "DEFAULT_GENERATED" in extra.upper() or _TS.match(raw):
        return raw if _TS.match(raw) else f"({raw})"
    if _NUMBER.match(raw):
        return raw
    return "'" + raw.replace("\\", "\\\\").replace("'", "''") + "'"


def normalize_default(sql: str | None) -> str | None:
    """``current_timestamp()`` → ``CURRENT_TIMESTAMP``; ``'0'`` of a number stays as written."""
    if sql is None:
        return None
    text = sql.strip()
    if _TS.match(text):
        return "CURRENT_TIMESTAMP"
    return text


def normalize_expression(text: str, database: str | None = None) -> str:
    """Whitespace collapsed, the database qualifier and identifier backquotes removed."""
    if database:
        text = text.replace(f"`{database}`.", "")
    text = re.sub(r"`([^`]+)`", r"\1", text)
    return _SPACES.sub(" ", text.strip())
