"""Report sections of the env capability, built from the pure results (no I/O)."""

from __future__ import annotations

from parity.env.changes import EnvPlan
from parity.env.consolidate import ConsolidationPlan
from parity.env.diff import EnvDiff
from parity.model.findings import Section, Table


def env_gap_section(diff: EnvDiff, *, all_rows: bool = False) -> Section:
    """Environment Gap Report: per service, key × reference × target × status, then the findings."""
    tables: list[Table] = []
    by_service: dict[str, list[tuple[str, ...]]] = {}
    for r in diff.rows:
        if all_rows or r.status not in ("ok", "extra"):
            by_service.setdefault(r.service, []).append(
                (r.key, r.reference or "—", r.target or "—", r.status, r.source or "")
            )
    for service, rows in by_service.items():
        tables.append(
            Table(
                f"{service}: {diff.reference} → {diff.environment}",
                ("key", diff.reference, diff.environment, "status", "source"),
                tuple(rows),
            )
        )
    notes = () if by_service else (f"every service has every reference key in {diff.environment}",)
    return Section("env", "Environment Gap Report", diff.findings, tuple(tables), notes)


def consolidation_section(cp: ConsolidationPlan) -> Section:
    """Consolidation Plan: what moves to the root layer, what stays, what conflicts."""
    rows: list[tuple[str, ...]] = [(k, "move to root", "same value in every service") for k in cp.moved]
    rows += [(k, "keep", why) for k, why in cp.kept]
    rows += [(key, "override", f"intentional in {svc}") for svc, key in cp.overrides]
    rows += [(c.key, "conflict", ", ".join(f"{s}={v}" for s, v in c.values)) for c in cp.conflicts]
    tables = (Table("", ("key", "action", "why"), tuple(rows)),) if rows else ()
    notes = () if rows else ("nothing to consolidate",)
    return Section("consolidation", "Consolidation Plan", (), tables, (*notes, *cp.plan.notes))


def plan_blocks(plan: EnvPlan) -> tuple[tuple[str, str], ...]:
    """The env-file edits as unified diffs, secrets masked."""
    secrets = list(plan.secret_values)
    return tuple(("diff", ch.unified_diff(secrets)) for ch in plan.changes)


def env_plan_section(plan: EnvPlan, title: str = "Implementation") -> Section:
    notes = [f"{ch.rel}: " + "; ".join(ch.summary) for ch in plan.changes] or [
        f"no env-file change needed ({plan.action})"
    ]
    notes += [f"left alone: {r}" for r in plan.refused]
    return Section(f"env-{plan.action}", title, (), (), tuple(notes), plan_blocks(plan))
