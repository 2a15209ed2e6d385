"""What every dialect provides. Core code talks to a :class:`Dialect`, never to a dialect name.

A dialect states its differences as capability attributes (with a docstring saying why) and
implements a handful of methods: inspect a live database read-only, count rows, give a
scratch database for the desired schema, run DDL on it, render changes to SQL and say what
a change costs on this engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from parity.dialects.gate import Purpose, Screened
from parity.errors import ParityError
from parity.model.changes import Change, CompareOptions, Impact
from parity.model.schema import Schema

__all__ = ["CompareOptions", "Dialect", "RenderError", "RowCount"]


class RenderError(ParityError):
    """A change cannot be rendered on this dialect (unknown kind, or context missing)."""


@dataclass(frozen=True, slots=True)
class RowCount:
    """Rows in a table; ``estimated`` when read from statistics rather than counted."""

    rows: int
    estimated: bool = False


class Dialect:
    """Base class; one instance per dialect lives in ``parity.dialects.<name>``."""

    name: ClassVar[str] = "base"
    url_schemes: ClassVar[tuple[str, ...]] = ()
    sqlalchemy_name: ClassVar[str] = ""
    """SQLAlchemy's dialect+driver name, for rendering models' DDL without a connection."""
    compare_options: ClassVar[CompareOptions] = CompareOptions()
    transactional_ddl: ClassVar[bool] = False
    """Whether DDL runs inside a transaction that a failure rolls back (PostgreSQL, SQLite: yes;
    MySQL: no, every DDL statement commits implicitly)."""

    def inspect(self, url: str) -> Schema:
        """Read the schema of the database at ``url``, strictly read-only."""
        raise NotImplementedError

    def inspect_scratch(self, url: str) -> Schema:
        """Inspect a scratch database parity itself filled (it may prepare it first)."""
        return self.inspect(url)

    def row_counts(self, url: str, tables: Sequence[str]) -> dict[str, RowCount]:
        """Rows per table, estimated from statistics where the engine keeps them."""
        raise NotImplementedError

    def scratch(self, dev_url: str | None = None, target: str | None = None) -> AbstractContextManager[str]:
        """A context manager giving the URL of an empty scratch database, removed on exit.

        Never on the ``target`` server: on ``dev_url``'s when the user names one, else where
        parity itself keeps it (memory, a throwaway server); ``target`` only informs the choice
        (a matching server version)."""
        raise NotImplementedError

    def execute_script(
        self, url: str, sql: str, file: Path | None = None, purpose: Purpose | None = None
    ) -> None:
        """Run DDL ``sql`` on ``url`` (a scratch database); errors carry ``file`` and line.

        ``purpose`` says the script comes from the repository: a dialect that can restrict the
        session further (SQLite's authorizer) does so."""
        raise NotImplementedError

    def screen(self, sql: str, file: Path | None = None, purpose: Purpose = Purpose.SCHEMA) -> Screened:
        """``sql`` cleared to run on a scratch database, or :class:`UnsafeStatement` naming the
        first statement that may not (see :mod:`parity.dialects.gate`)."""
        raise NotImplementedError

    def load_script(
        self, url: str, sql: str, file: Path | None = None, purpose: Purpose = Purpose.SCHEMA
    ) -> Screened:
        """Screen repository SQL, then run what was cleared on the scratch database ``url``."""
        screened = self.screen(sql, file, purpose)
        self.execute_script(url, screened.text, file=file, purpose=purpose)
        return screened

    def render(self, change: Change, context: Schema | None = None) -> list[str]:
        """The SQL statements for ``change``; ``context`` is the schema it applies to."""
        raise NotImplementedError

    def impact(self, change: Change, context: Schema | None = None) -> Impact:
        """Safety class, rewrite and lock of ``change`` on this engine."""
        raise NotImplementedError

    def quote(self, ident: str) -> str:
        raise NotImplementedError

    def sqlalchemy_url(self, url: str) -> str:
        """``url`` spelled for SQLAlchemy with the driver parity ships (psycopg 3, PyMySQL, pysqlite)."""
        raise NotImplementedError

    def render_script(self, current: Schema, changes: Sequence[Change]) -> list[str]:
        """All statements for ``changes`` applied in order to ``current``.

        Each change is rendered against the schema as it stands after the changes before
        it, so dialects that rebuild tables see the right table shape.
        """
        from parity.diff.apply import apply_change

        out: list[str] = []
        schema = current
        for change in changes:
            out.extend(self.render(change, schema))
            schema = apply_change(schema, change)
        return out

    def iter_impacts(
        self, current: Schema, changes: Sequence[Change]
    ) -> Iterator[tuple[Change, Impact, list[str]]]:
        """Each change with its impact and SQL, in order (for the Schema Impact Analysis)."""
        from parity.diff.apply import apply_change

        schema = current
        for change in changes:
            yield change, self.impact(change, schema), self.render(change, schema)
            schema = apply_change(schema, change)
