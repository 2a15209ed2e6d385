"""A migration plan: ordered steps, each with its SQL, reverse SQL, a comment and the change it came from.

A plan says whether it is transactional (every step may run inside one transaction) and
reversible (every step has reverse SQL). Safety problems are diagnostics (findings with
stable codes), never exceptions, so a caller can show all of them at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from parity.model.changes import Change, Safety
from parity.model.findings import Finding, Severity

NO_TRANSACTION = "-- parity:no-transaction"


@dataclass(frozen=True, slots=True)
class SafeSQL:
    """What a dialect's ``safe_steps`` returns for one change: one step's SQL and reverse."""

    sql: tuple[str, ...]
    reverse_sql: tuple[str, ...]
    transactional: bool = True
    note: str = ""


@dataclass(frozen=True, slots=True)
class Step:
    sql: tuple[str, ...]
    reverse_sql: tuple[str, ...]
    comment: str
    change: Change | None = None
    transactional: bool = True
    safety: Safety = Safety.SAFE
    rewrites_table: bool = False
    lock: str | None = None
    reverse_note: str = (
        ""  # why a step without reverse SQL is still undone (e.g. by an earlier step's reverse)
    )

    @property
    def reversible(self) -> bool:
        return bool(self.reverse_sql or self.reverse_note or not self.sql)


@dataclass(frozen=True, slots=True)
class MigrationText:
    """The text of one migration file pair generated from consecutive steps."""

    suffix: str  # appended to the migration name ("" for the first)
    up: str
    down: str
    transactional: bool


@dataclass(frozen=True, slots=True)
class Plan:
    dialect: str
    steps: tuple[Step, ...]
    diagnostics: tuple[Finding, ...] = ()
    kept: tuple[Change, ...] = ()  # production-only objects, reported and left alone
    preamble: tuple[str, ...] = ()  # per-migration settings (PostgreSQL timeouts)
    no_tx_preamble: tuple[str, ...] = ()  # the same for migrations run outside a transaction

    @property
    def empty(self) -> bool:
        return not any(s.sql for s in self.steps)

    @property
    def transactional(self) -> bool:
        return all(s.transactional for s in self.steps)

    @property
    def reversible(self) -> bool:
        return all(s.reversible for s in self.steps)

    @property
    def refused(self) -> tuple[Finding, ...]:
        return tuple(d for d in self.diagnostics if d.severity is Severity.ERROR)

    @property
    def safety(self) -> Safety:
        worst = Safety.SAFE
        for s in self.steps:
            if s.safety.rank > worst.rank:
                worst = s.safety
        return worst

    def migrations(self) -> tuple[MigrationText, ...]:
        """The migration files: one for the transactional steps, one for those that cannot run in a
        transaction (PostgreSQL ``CONCURRENTLY``/``VALIDATE``), each with its preamble.

        The down of each file undoes only what its up created, in reverse order.
        """
        groups: list[list[Step]] = []
        # Transactional steps first, then the ones that must run outside a transaction
        # (CONCURRENTLY, VALIDATE): these only depend on earlier steps, so at most two files.
        ordered = [s for s in self.steps if s.transactional] + [s for s in self.steps if not s.transactional]
        for step in ordered:
            if not step.sql:
                continue
            if groups and groups[-1][0].transactional == step.transactional:
                groups[-1].append(step)
            else:
                groups.append([step])
        out = []
        for i, group in enumerate(groups):
            tx = group[0].transactional
            head = [] if tx else [NO_TRANSACTION]
            pre = list(self.preamble if tx else self.no_tx_preamble)
            up_lines = [*head, *(p + ";" for p in pre)]
            down_lines = [*head, *(p + ";" for p in pre)]
            for step in group:
                up_lines.append("")
                up_lines.append(f"-- {step.comment}")
                up_lines.extend(_stmt(s) for s in step.sql)
            for step in reversed(group):
                if not step.reverse_sql:
                    continue
                down_lines.append("")
                down_lines.append(f"-- undo: {step.comment}")
                down_lines.extend(_stmt(s) for s in step.reverse_sql)
            suffix = "" if i == 0 else "_online"
            out.append(
                MigrationText(
                    suffix,
                    "\n".join(up_lines).lstrip("\n") + "\n",
                    "\n".join(down_lines).lstrip("\n") + "\n",
                    tx,
                )
            )
        return tuple(out)

    def up_sql(self) -> str:
        return "\n".join(m.up for m in self.migrations())


def _stmt(sql: str) -> str:
    s = sql.rstrip().rstrip(";")
    return s + ";"
