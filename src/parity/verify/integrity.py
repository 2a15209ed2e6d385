"""Prove old data survived a migration: row counts and per-column content hashes, before and after.

The database does the heavy work: rows are walked in chunks of ``chunk`` rows in key order
(keyset pagination, so each chunk is an index range scan), and for each chunk the database
returns one digest per column (PostgreSQL/MySQL ``md5(string_agg(quote(col)))``) or, on
SQLite which has no hash function, one ``group_concat`` string per column that Python hashes
in a single call. No Python code runs per row, so verification costs about one table scan.

Column values are quoted by the database (``quote``/``quote_nullable``/``QUOTE``), so NULL and
the string ``'NULL'`` hash differently.

A column the migration converts to another type is digested twice in the same scan: by its text
and by value in its family (:mod:`parity.migrate.convert`: jsonb, numeric, float), so a jsonb
column whose keys PostgreSQL reordered compares equal, and a rounded number does not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import EllipsisType
from typing import TYPE_CHECKING

from parity.model.findings import Finding, Severity

if TYPE_CHECKING:
    from parity.migrate.runtime import Runtime

CHUNK = 50_000
#: Tables parity itself owns; their content changes on purpose.
OWN_TABLES = frozenset({"parity_schema_history"})

Progress = Callable[[str, int], None]  # (table, rows done so far in this table)
_RS = b"\x1e"  # the record separator SQLite's text chunks use between rows


@dataclass(frozen=True, slots=True)
class TableDigest:
    table: str
    rows: int
    columns: tuple[tuple[str, str], ...]  # (column, hex digest)
    #: The key the rows were walked by (SQLite: ``rowid``); None: primary-key order, or unknown.
    #: Digests compare only when taken in the same order.
    order: str | None = None
    #: (column, value family, digest of its values in that family) for converted columns
    values: tuple[tuple[str, str, str], ...] = ()

    def column(self, name: str) -> str | None:
        for c, d in self.columns:
            if c == name:
                return d
        return None

    def value(self, name: str) -> tuple[str, str] | None:
        """(family, digest) of column ``name`` compared by value, None when it is not."""
        for c, family, d in self.values:
            if c == name:
                return family, d
        return None


@dataclass(frozen=True, slots=True)
class Snapshot:
    tables: tuple[TableDigest, ...]

    def table(self, name: str) -> TableDigest | None:
        for t in self.tables:
            if t.table == name:
                return t
        return None

    def as_dict(self) -> dict[str, object]:
        return {t.table: {"rows": t.rows, "columns": dict(t.columns)} for t in self.tables}

    @staticmethod
    def from_dict(data: dict[str, dict[str, object]]) -> Snapshot:
        out = []
        for table, d in sorted(data.items()):
            cols = d.get("columns") or {}
            assert isinstance(cols, dict)
            out.append(TableDigest(table, int(d["rows"]), tuple(sorted(cols.items()))))  # type: ignore[call-overload]
        return Snapshot(tuple(out))


def digest_table(
    rt: Runtime,
    table: str,
    *,
    chunk: int = CHUNK,
    progress: Progress | None = None,
    order: str | EllipsisType | None = ...,
    by_value: Mapping[str, str] | None = None,
) -> TableDigest:
    """Row count and one sha256 per column of ``table``, streamed chunk by chunk, walking the
    rows by ``order`` (default: the runtime's :meth:`~Runtime.order_key` for the table).

    ``by_value``: column → value family of the columns to digest by value too (where the
    runtime can; others are compared by text only)."""
    columns = rt.column_names(table)
    key = rt.order_key(table) if order is ... else order
    fams = [(c, f) for c, f in (by_value or {}).items() if c in columns] if rt.digests_by_value else []
    names = [*columns, *(f"{c}\0{f}" for c, f in fams)]
    hashes = {c: hashlib.sha256() for c in names}
    rows = 0
    for count, values in rt.column_chunks(table, columns, chunk, key, fams):
        rows += count
        for c, value in zip(names, values, strict=True):
            h = hashes[c]
            data = (
                value
                if isinstance(value, bytes)
                else str(value if value is not None else "").encode("utf-8", "surrogatepass")
            )
            if rt.digest_in_db:
                h.update(f"{count}:".encode() + data + b";")
            else:
                h.update(data + _RS)  # the database's text already separates rows with the same byte
        if progress:
            progress(table, rows)
    return TableDigest(
        table,
        rows,
        tuple((c, hashes[c].hexdigest()) for c in columns),
        key,
        tuple((c, f, hashes[f"{c}\0{f}"].hexdigest()) for c, f in fams),
    )


def snapshot(
    rt: Runtime,
    tables: Iterable[str] | None = None,
    *,
    chunk: int = CHUNK,
    progress: Progress | None = None,
    by_value: Mapping[str, Mapping[str, str]] | None = None,
) -> Snapshot:
    """Digests of ``tables`` (default: every user table except parity's own).

    ``by_value``: table → column → value family of converted columns, digested by value too. A
    table whose values cannot be read in their family (a custom ``USING`` that accepts what a
    plain cast refuses) is digested by text only: compared more strictly, never less."""
    names = [t for t in (tables if tables is not None else rt.table_names()) if t not in OWN_TABLES]
    wanted = by_value or {}
    out = []
    for t in sorted(names):
        if t in wanted and rt.digests_by_value:
            try:
                out.append(digest_table(rt, t, chunk=chunk, progress=progress, by_value=wanted[t]))
                continue
            except Exception:  # the database refused a cast: by text, below
                pass
        out.append(digest_table(rt, t, chunk=chunk, progress=progress))
    return Snapshot(tuple(out))


def compare(before: Snapshot, after: Snapshot, written: dict[str, int] | None = None) -> tuple[Finding, ...]:
    """Findings for every pre-existing table or column whose rows or content changed.

    VER001 table gone, VER002 row count differs, VER003 a column gone, VER004 a column's content
    differs. ``written``: tables other sessions wrote to meanwhile (row changes per the engine's
    statistics, -1 when unknown); their counts and contents cannot be compared exactly, so a
    difference there is VER008, a warning (the old columns still read back in full, or the
    digest would have failed).
    """
    written = written or {}
    out: list[Finding] = []
    for b in before.tables:
        a = after.table(b.table)
        if a is None:
            out.append(_f("VER001", f"table {b.table} existed before the migration and is gone", b.table))
            continue
        if b.table in written and (a.rows != b.rows or a.columns != b.columns):
            # Other sessions' writes make counts and digests incomparable, not the column list.
            gone = [col for col, _ in b.columns if a.column(col) is None]
            out.extend(
                _f("VER003", f"column {b.table}.{col} existed before the migration and is gone", b.table)
                for col in gone
            )
            out.append(
                Finding(
                    "VER008",
                    Severity.WARNING,
                    "verify",
                    f"table {b.table} was written by other sessions during the migration ("
                    + (f"about {written[b.table]} row changes; " if written[b.table] > 0 else "")
                    + f"{b.rows} rows before, {a.rows} after): compared for readability only, "
                    + (
                        "its other old columns read back in full"
                        if gone
                        else "its old columns read back in full"
                    ),
                    key=b.table,
                    fix="for an exact check, migrate while writes to it are paused",
                )
            )
            continue
        if a.rows != b.rows:
            out.append(
                _f("VER002", f"table {b.table} had {b.rows} rows before and has {a.rows} after", b.table)
            )
        for col, digest in b.columns:
            now = a.column(col)
            if now is None:
                out.append(
                    _f("VER003", f"column {b.table}.{col} existed before the migration and is gone", b.table)
                )
            elif now != digest and a.rows == b.rows:
                was, became = b.value(col), a.value(col)
                if was is not None and was == became:
                    continue  # converted: the same values in their family (jsonb, numeric, float)
                how = f" (compared as {was[0]} too: the values differ)" if was is not None and became else ""
                out.append(
                    _f(
                        "VER004",
                        f"content of column {b.table}.{col} changed during the migration{how}",
                        b.table,
                    )
                )
    return tuple(out)


def health(rt: Runtime) -> tuple[Finding, ...]:
    """The database's own consistency checks (SQLite ``integrity_check`` and ``foreign_key_check``)."""
    return tuple(_f(code, message, None) for code, message in rt.health_checks())


def _f(code: str, message: str, table: str | None) -> Finding:
    return Finding(
        code,
        Severity.ERROR,
        "verify",
        message,
        key=table,
        fix="roll back with `parity migrate rollback` and inspect the migration",
    )
