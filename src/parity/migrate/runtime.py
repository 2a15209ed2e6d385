"""A live connection as the migration machinery needs it: transactions, a lock, statement splitting.

Each dialect declares its runtime in ``parity.dialects.<name>.safe`` as a subclass of
:class:`Runtime`; this module only knows the URL scheme → dialect mapping and the shared
behaviour, so no ``if dialect == …`` appears in the executor.
"""

from __future__ import annotations

import importlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import EllipsisType
from typing import TYPE_CHECKING, Any

from parity.errors import DatabaseError, LockTimeout, redact_url

# URL scheme (before any ``+driver``) → dialect package under ``parity.dialects``.
SCHEMES = {
    "sqlite": "sqlite",
    "postgresql": "postgres",
    "postgres": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
}

DEFAULT_LOCK_TIMEOUT = 30.0

if TYPE_CHECKING:
    from parity.migrate.convert import Conversion, Precheck


def dialect_of(url: str) -> str:
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    try:
        return SCHEMES[scheme]
    except KeyError:
        raise DatabaseError(
            f"unsupported database URL scheme '{scheme}'",
            url=url,
            hint="use sqlite:///, postgresql:// or mysql://",
        ) from None


class Runtime(ABC):
    """One open connection, in autocommit mode; transactions are explicit (``begin``/``commit``).

    Capabilities (class attributes) say how the dialect differs, with the reason next to them.
    """

    dialect: str = ""
    #: the name sqlglot knows the dialect by (parsing hand-written SQL)
    sqlglot_dialect: str = ""
    #: DDL inside BEGIN … COMMIT rolls back with the data (SQLite, PostgreSQL: yes; MySQL: no,
    #: every DDL statement commits implicitly).
    transactional_ddl: bool = True
    #: The lock is taken per migration by ``begin()`` itself (SQLite ``BEGIN IMMEDIATE``) rather
    #: than once around the run (PostgreSQL advisory lock, MySQL ``GET_LOCK``).
    lock_in_begin: bool = False
    #: DB-API parameter marker.
    param: str = "%s"
    #: type of the boolean column of the history table
    bool_type: str = "BOOLEAN"
    timestamp_type: str = "VARCHAR(40)"

    def __init__(
        self, url: str, *, read_only: bool = False, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> None:
        self.url = url
        self.safe_url = redact_url(url)
        self.read_only = read_only
        self.lock_timeout = lock_timeout
        self.in_transaction = False
        #: Rows this runtime's own migrations inserted, updated or deleted, per table (where the
        #: engine reports it): verification tells them from other sessions' writes.
        self.own_writes: dict[str, int] = {}
        self._connect()

    # --- connection -------------------------------------------------------------------------
    @abstractmethod
    def _connect(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def _cursor_execute(self, sql: str, params: Sequence[Any] | None) -> Any: ...

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self._cursor_execute(sql, params)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        cur = self._cursor_execute(sql, params)
        return [tuple(r) for r in cur.fetchall()]

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    # --- transactions -----------------------------------------------------------------------
    def begin(self) -> None:
        self.execute("BEGIN")
        self.in_transaction = True

    def commit(self) -> None:
        self.execute("COMMIT")
        self.in_transaction = False

    def rollback(self) -> None:
        if self.in_transaction:
            try:
                self.execute("ROLLBACK")
            finally:
                self.in_transaction = False

    def before_commit(self) -> None:
        """Checks that must pass before a migration commits (SQLite: ``foreign_key_check``)."""

    def write_counts(self, tables: Sequence[str]) -> dict[str, int] | None:
        """Rows inserted, updated or deleted so far in each of ``tables`` by every session (a
        counter the engine's statistics keep), or None where parity has no such counter."""
        return None

    def has_triggers(self, table: str) -> bool:
        """Whether ``table`` has triggers of the user's (True where the runtime cannot tell)."""
        return True

    def clock(self) -> Any:
        """The database's own time now, for :meth:`written_elsewhere` (None where unused)."""
        return None

    def written_elsewhere(self, statements: Sequence[str], tables: Sequence[str], since: Any) -> set[str]:
        """Those of ``tables`` that other sessions, and nothing ``statements`` set off, wrote to
        after ``since`` (from :meth:`clock`). Empty wherever the runtime cannot be sure."""
        return set()

    def backup_tables(self, tables: Sequence[str], statements: Sequence[str] | None) -> list[str]:
        """Those of ``tables`` a backup must hold so that restoring them undoes ``statements``
        (None: not readable). Default: all of them."""
        return list(tables)

    def may_change_row_counts(self, statements: Sequence[str] | None) -> bool:
        """Whether ``statements`` (None: not readable) can insert or delete rows of any table,
        themselves or through what they set off. True wherever the runtime cannot tell."""
        return True

    def before_statement(self, statement: str) -> None:
        """Hook run before each migration statement (PostgreSQL: drop an invalid index of the
        same name left by an interrupted ``CREATE INDEX CONCURRENTLY``)."""

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.begin()
        try:
            yield
            self.commit()
        except BaseException:
            self.rollback()
            raise

    # --- the run-wide lock ---------------------------------------------------------------------
    def acquire_lock(self) -> None:
        """Take the migration lock, waiting up to ``lock_timeout`` seconds."""

    def release_lock(self) -> None:
        pass

    def _poll_lock(self, try_once: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.05
        while not try_once():
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    f"another parity run holds the migration lock ({what}); waited {self.lock_timeout:g}s",
                    url=self.url,
                    hint="retry when it has finished",
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    # --- SQL text -----------------------------------------------------------------------------
    @abstractmethod
    def split(self, script: str) -> list[str]:
        """Split a migration file into statements (comments-only chunks dropped)."""

    def quote(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    # --- catalog questions -------------------------------------------------------------------
    @abstractmethod
    def table_names(self) -> list[str]:
        """User tables of the current schema/database, sorted."""

    def has_table(self, name: str) -> bool:
        return name in self.table_names()

    @abstractmethod
    def primary_key(self, table: str) -> list[str]:
        """The primary-key columns of ``table`` in key order (empty when none)."""

    @abstractmethod
    def column_names(self, table: str) -> list[str]:
        """The columns of ``table`` in order."""

    # --- verification ---------------------------------------------------------------------
    #: The chunk query returns a digest the database computed (PostgreSQL/MySQL ``md5``) rather
    #: than the chunk's text (SQLite has no hash function; Python hashes one string per chunk).
    #: Text chunks hash the same however the rows are split into chunks; digests do not, so
    #: those are always taken with the same chunk size over the same key order.
    digest_in_db: bool = True
    #: The chunk query can also digest converted columns by value (:mod:`parity.migrate.convert`).
    digests_by_value: bool = False

    def order_key(self, table: str) -> str | None:
        """The single column to walk ``table`` in chunks by (its one-column primary key), or None
        to read it as one chunk."""
        pk = self.primary_key(table)
        return pk[0] if len(pk) == 1 else None

    @abstractmethod
    def chunk_digest_sql(
        self,
        table: str,
        columns: Sequence[str],
        key: str | None,
        chunk: int,
        first: bool,
        values: Sequence[tuple[str, str]] = (),
    ) -> str:
        """SQL returning one row for the next ``chunk`` rows in ``key`` order after the key passed as
        the one parameter (none when ``first``): ``count``, the chunk's last key, then per column
        the text or digest the database built from the chunk's values (NULLs distinguished),
        then (where :attr:`digests_by_value`) one digest per ``(column, value family)`` of
        ``values``, of the column's values in that family."""

    def column_chunks(
        self,
        table: str,
        columns: Sequence[str],
        chunk: int,
        key: str | EllipsisType | None = ...,
        values: Sequence[tuple[str, str]] = (),
    ) -> Iterator[tuple[int, Sequence[Any]]]:
        """``(rows, per-column text or digest)`` for consecutive chunks of ``table`` (keyset walk)
        in ``key`` order (default: :meth:`order_key`)."""
        if key is ...:
            key = self.order_key(table)
        last: Any = None
        first = True
        while True:
            row = self.query(
                self.chunk_digest_sql(table, columns, key, chunk, first, values), None if first else (last,)
            )[0]
            count = int(row[0] or 0)
            if count == 0:
                return
            yield count, row[2:]
            if key is None or count < chunk:
                return
            last, first = row[1], False

    # --- type conversions (parity.migrate.convert) ---------------------------------------------
    def conversions(self, statements: Sequence[str]) -> list[Conversion]:
        """The column type conversions ``statements`` make (empty where the runtime cannot tell)."""
        return []

    def precheck(self, conversion: Conversion) -> Precheck | None:
        """What the existing rows say about ``conversion``, without writing (None: not checked)."""
        return None

    def restore_columns(self, backup: Path, table: str, columns: Sequence[str]) -> int:
        """Put ``columns`` of ``table`` back to their values in the ``backup`` file, by primary key;
        the rows written. Raises LookupError where that backup cannot give them back."""
        raise LookupError("this database's backups cannot restore single columns")

    def health_checks(self) -> list[tuple[str, str]]:
        """(code, message) for each problem the database's own consistency checks report."""
        return []

    def error(self, exc: BaseException) -> str:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def open_runtime(url: str, *, read_only: bool = False, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> Runtime:
    """Open ``url`` with its dialect's runtime. ``read_only`` opens SQLite with ``mode=ro`` and
    PostgreSQL/MySQL sessions as read-only, so status questions can never write."""
    dialect = dialect_of(url)
    module = importlib.import_module(f"parity.dialects.{dialect}.safe")
    cls: type[Runtime] = module.Runtime
    return cls(url, read_only=read_only, lock_timeout=lock_timeout)
