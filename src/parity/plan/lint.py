"""Migration lint: rules with stable ids for SQL that is dangerous on a live production database.

In the spirit of Squawk and strong_migrations. Works on hand-written files as well as on
planned ones: PostgreSQL is parsed with pglast (the server's own parser), SQLite and
MySQL/MariaDB with sqlglot. A statement about a table created earlier in the same file is
exempt from the locking rules (a new table is empty and unused).

A rule's severity can be changed per project (``[lint] error/warn/info/ignore`` in parity.toml),
and one statement can be exempted by a comment right above it (or on its first line):
``-- parity:ignore MIG004 the table has 40 rows``. ``-- parity:ignore-file MIG030`` exempts the file.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from parity.errors import FileRefused, ParityError
from parity.model.findings import Finding, Severity
from parity.plan.lint_rules import RULES, Hit, Rule
from parity.safefs import DEFAULT_MAX_FILE_BYTES, Repo, within

if TYPE_CHECKING:
    from parity.config import LintConfig  # pydantic: a tenth of a lint run to import
    from parity.plan.sqlite_uses import ColumnUses

__all__ = ["RULES", "LintSettings", "Rule", "lint_files", "lint_sql"]

_TRANSACTION_DIRECTIVE = "-- parity:no-transaction"
_IGNORE = re.compile(r"--\s*parity:ignore(-file)?\s+((?:MIG\d{3}[\s,]*)+)", re.I)


@dataclass(frozen=True, slots=True)
class LintSettings:
    """Per-project choices: a severity per rule id (None: the rule is off) and the PostgreSQL major
    version the files will run on (None: a current one, 13 or newer)."""

    severities: Mapping[str, Severity | None] = field(default_factory=dict)
    pg_version: int | None = None

    @classmethod
    def from_lists(
        cls,
        *,
        error: Iterable[str] = (),
        warn: Iterable[str] = (),
        info: Iterable[str] = (),
        ignore: Iterable[str] = (),
        pg_version: int | None = None,
    ) -> LintSettings:
        """Rule ids or names, as parity.toml lists them; an unknown one is a :class:`ParityError`."""
        by_name = {r.name: r.id for r in RULES.values()}
        out: dict[str, Severity | None] = {}
        for names, sev in (
            (error, Severity.ERROR),
            (warn, Severity.WARNING),
            (info, Severity.INFO),
            (ignore, None),
        ):
            for n in names:
                rid = n.upper() if n.upper() in RULES else by_name.get(n)
                if rid is None:
                    raise ParityError(f"unknown lint rule '{n}' (see parity lint --rules)")
                out[rid] = sev
        return cls(out, pg_version)

    @classmethod
    def from_config(cls, config: LintConfig, pg_version: int | None = None) -> LintSettings:
        """``[lint]`` of parity.toml; ``pg_version`` (a command-line choice) wins over its own."""
        return cls.from_lists(
            error=config.error,
            warn=config.warn,
            info=config.info,
            ignore=config.ignore,
            pg_version=pg_version or config.pg_version,
        )


def lint_sql(
    sql: str,
    dialect: str,
    *,
    file: str | None = None,
    transactional: bool | None = None,
    settings: LintSettings | None = None,
    earlier: ColumnUses | None = None,
) -> tuple[Finding, ...]:
    """Lint one migration script. ``dialect`` is ``postgres``, ``sqlite`` or ``mysql``.

    ``transactional`` says whether parity will run it in a transaction; None reads the
    ``-- parity:no-transaction`` directive from the text. ``earlier`` (SQLite): what the
    migrations applied before this one left in the schema (:func:`lint_files` reads them).
    """
    settings = settings or LintSettings()
    if transactional is None:
        # The per-line look only when the directive's text is there at all (one pass in C).
        transactional = "parity:no-transaction" not in sql.lower() or not any(
            line.strip().lower() == _TRANSACTION_DIRECTIVE for line in sql.splitlines()
        )
    # The parsers load only for the dialect at hand (pglast or sqlglot: each is a large import).
    with _gc_paused():
        if dialect == "postgres":
            from parity.plan import lint_postgres

            raw = lint_postgres.check(sql, transactional, settings.pg_version)
        else:
            from parity.plan import lint_generic

            raw = list(lint_generic.check(sql, dialect, transactional, earlier))
    hits = [h for h in raw if not RULES[h.rule].dialects or dialect in RULES[h.rule].dialects]
    ignored_file, ignored_at = _suppressions(sql)
    out: list[Finding] = []
    # Hits in offset order: each line number counts the newlines since the previous hit only.
    line, counted = 1, 0
    for h in sorted(hits, key=lambda h: (h.offset, h.rule)):
        at = max(h.offset, 0)
        line += sql.count("\n", counted, at)
        counted = max(counted, at)
        if h.rule in ignored_file or h.rule in ignored_at.get(line, ()):
            continue
        severity = settings.severities.get(h.rule, h.severity or RULES[h.rule].severity)
        if severity is None:
            continue
        out.append(_finding(h, severity, line, file))
    return tuple(out)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Run the checker with the cycle collector paused: a parse tree is hundreds of thousands of
    small dicts and lists without cycles, and the collector's passes over them while they are
    built took longer than building them (half the lint of a 10,000-statement file). The pause
    wraps the call itself, not its result: the PostgreSQL checker returns a finished list."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def lint_files(
    paths: Iterable[Path],
    dialect: str,
    root: Path | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    settings: LintSettings | None = None,
) -> tuple[Finding, ...]:
    """Lint files; an unreadable file is a :class:`ParityError`.

    Files are read through safefs: a file below ``root`` may not link out of it, a file named outside
    it not out of its own folder; FIFOs, devices and files over ``max_file_bytes`` are refused.
    """
    out: list[Finding] = []
    real_root = os.path.realpath(root) if root is not None else None
    replays: dict[str, _Replay] = {}
    for path in paths:
        absolute = os.path.abspath(path)
        base = real_root if real_root and within(absolute, real_root) else os.path.dirname(absolute)
        repo = Repo.at(base, max_file_bytes)
        try:
            text = repo.read_text(absolute)
        except FileRefused as exc:
            raise ParityError(f"SQL file {exc.message}", file=path) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ParityError(f"cannot read SQL file: {exc}", file=path) from exc
        shown = path.relative_to(root).as_posix() if root and path.is_relative_to(root) else str(path)
        earlier = None
        if dialect == "sqlite":
            folder = os.path.dirname(absolute)
            earlier = replays.setdefault(folder, _Replay(folder, repo)).before(os.path.basename(absolute))
        out.extend(lint_sql(text, dialect, file=shown, settings=settings, earlier=earlier))
    return tuple(out)


class _Replay:
    """The SQLite schema as the ``.sql`` files of one folder leave it, file after file in apply
    order (name order, ``*.down.sql`` left out, as a declared-schema folder is read): a migration
    that drops a column indexed by an earlier one fails as surely as one that indexes it itself.
    Each file is parsed once however many of the folder's files are linted."""

    def __init__(self, folder: str, repo: Repo) -> None:
        self.repo = repo
        try:
            names = os.listdir(folder)
        except OSError:
            names = []
        self.files = sorted(n for n in names if n.endswith(".sql") and not n.endswith(".down.sql"))
        self.folder = folder
        self.done: list[tuple[str, ColumnUses]] = []  # (file name, the schema after it)

    def before(self, name: str) -> ColumnUses | None:
        """The schema the files named before ``name`` leave; None when there are none."""
        from parity.plan.lint_generic import schema_after
        from parity.plan.sqlite_uses import ColumnUses

        for file in self.files[len(self.done) :]:
            if file >= name:
                break
            uses = self.done[-1][1] if self.done else ColumnUses()
            path = os.path.join(self.folder, file)
            try:
                # Through the same gate as the linted file: no link out, no FIFO, the size cap.
                text = self.repo.read_text(path) if self.repo.is_file(path) else None
            except (FileRefused, OSError, UnicodeDecodeError):
                text = None  # an unreadable earlier file adds nothing
            self.done.append((file, schema_after(text, uses, file) if text is not None else uses))
        known = [uses for file, uses in self.done if file < name]
        return known[-1] if known else None


def _suppressions(sql: str) -> tuple[set[str], dict[int, set[str]]]:
    """Rule ids ignored in the whole file, and per line: a comment covers its own line and, with the
    comment lines right below it, the first line of code after them."""
    whole: set[str] = set()
    at: dict[int, set[str]] = {}
    pending: set[str] = set()
    if "parity:ignore" not in sql.lower():
        return whole, at
    for number, line in enumerate(sql.splitlines(), start=1):
        m = _IGNORE.search(line)
        ids = set(re.findall(r"MIG\d{3}", m.group(2).upper())) if m else set()
        if m and m.group(1):
            whole |= ids
            continue
        stripped = line.strip()
        if ids:
            at.setdefault(number, set()).update(ids)
        if stripped.startswith("--") or not stripped:
            pending |= ids
            continue
        if pending:
            at.setdefault(number, set()).update(pending)
            pending = set()
    return whole, at


def _finding(hit: Hit, severity: Severity, line: int, file: str | None) -> Finding:
    rule = RULES[hit.rule]
    return Finding(
        rule.id,
        severity,
        "lint",
        f"{rule.name}: {hit.message}",
        file=file,
        line=line,
        fix=rule.fix,
    )
