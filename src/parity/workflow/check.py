"""``parity check``: every capability's gap analysis in one report, changing nothing.

The sections follow the report's fixed order: Environment Gap Report, Feature Flags, Schema
Impact Analysis, Store Parity, Consolidation Plan, Implementation, Verification & Rollback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from parity.code.audit import build_flags_section, keys_read_by_code
from parity.code.refs import ScanResult
from parity.code.scan import scan_project
from parity.env.layers import EnvFiles, all_effective
from parity.env.reference import ReferenceChoice, choose_reference
from parity.env.sections import consolidation_section, env_gap_section, plan_blocks
from parity.errors import DatabaseUnreachable, DiscoveryError
from parity.facts import env_files, gather
from parity.facts import env_files as _env_files
from parity.model.findings import Finding, Report, Section, Severity, Table
from parity.project import Project
from parity.sources import blocked_values
from parity.verify.smoke import SmokeResult, run_smoke
from parity.workflow.envflow import load_project, run_consolidation_plan, run_diff, run_sync_plan
from parity.workflow.migrations import implementation_section
from parity.workflow.steps import steps_from


def run_smoke_checks(project: Project, environment: str) -> list[SmokeResult]:
    """Every smoke check of parity.toml's ``[smoke]``, each with its service's effective env."""
    effective = all_effective(project, environment, _env_files(project))
    results: list[SmokeResult] = []
    for service_name, checks in project.config.smoke.items():
        service = project.service(service_name)
        results += [
            run_smoke(service, check, effective[service.name], project.config.secrets) for check in checks
        ]
    return results


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the Verification section: what was checked and whether it held."""

    name: str
    ok: bool
    detail: str = ""


def verification_section(
    checks: list[Check], rollback_hint: str, extra_notes: tuple[str, ...] = (), *, as_findings: bool = True
) -> Section:
    """``as_findings=False`` when the failed checks only restate findings of earlier sections (``check``)."""
    rows = tuple((c.name, "ok" if c.ok else "FAILED", c.detail) for c in checks)
    findings = (
        ()
        if not as_findings
        else tuple(
            Finding(
                "APL002",
                Severity.ERROR,
                "verify",
                f"verification failed: {c.name}" + (f" ({c.detail})" if c.detail else ""),
            )
            for c in checks
            if not c.ok
        )
    )
    return Section(
        "verify",
        "Verification & Rollback",
        findings,
        (Table("", ("check", "result", "detail"), rows),),
        (*extra_notes, rollback_hint),
    )


def env_checks(project: Project, findings: tuple[Finding, ...]) -> list[Check]:
    def none_of(*codes: str) -> tuple[bool, str]:
        hits = [f for f in findings if f.code in codes and f.severity is not Severity.INFO]
        return not hits, ", ".join(sorted({f"{f.service or '-'}:{f.key or f.line}" for f in hits}))

    ok, detail = none_of("ENV001", "ENV002", "ENV008")
    checks = [Check("every service sees every key its reference lists", ok, detail)]
    ok, detail = none_of("ENV005")
    checks.append(Check("no duplicate keys with conflicting values", ok, detail))
    ok, detail = none_of("ENV009")
    checks.append(Check("every env line parses", ok, detail))
    return checks


def analysis_sections(
    project: Project,
    env: str,
    files: EnvFiles | None = None,
    progress: Callable[[str], None] | None = None,
    reference: ReferenceChoice | None = None,
    scan: ScanResult | None = None,
) -> list[Section]:
    """The gap-analysis sections (env, flags, schema, store): what ``check`` reports and what
    ``apply`` re-runs to verify its own work. ``progress`` hears of each long step; ``reference``
    is what the env is compared against (None: the config's, else the default); ``scan`` the
    code scan when the caller has made it already."""
    say = progress or (lambda _message: None)
    files = files or env_files(project)
    choice = reference or choose_reference(project, env)
    if scan is None:
        say("scanning the code for env reads and flags")
    code = scan or scan_project(project)
    say(f"comparing env files across services against {choice.label}")
    diff = run_diff(project, env, choice, files, keys_read_by_code(project, code), scan=code)
    from parity.store.check import build_store_section

    # Flags flip against an environment: the one chosen as reference, else staging (audit default).
    flag_reference = choice.name if choice.name not in ("example", "code") else None
    sections = [env_gap_section(diff), build_flags_section(project, env, code, flag_reference)]
    blocked = blocked_values(project, env)
    if blocked:
        sections = [told_by_the_source(s, blocked) for s in sections]
    say("inspecting the database and the declared schema")
    sections.append(schema_section(project, env))
    say("checking models and stores against the schema")
    sections.append(build_store_section(project, env))
    return sections


# A key missing only because compose cannot build its value: the error is the source's.
_CONSEQUENCES = frozenset({"ENV001", "FLG004"})


def told_by_the_source(section: Section, blocked: dict[tuple[str, str], tuple[str, int]]) -> Section:
    """ENV001/FLG004 for a key whose compose value cannot be built (``DATABASE_URL:
    postgresql://…${POSTGRES_PASSWORD:?…}@db`` with the password unset) tell the SRC004 at that
    line again: they become notes that point at it, so one gap is one error."""
    out = []
    for f in section.findings:
        where = blocked.get((f.service or "", f.key or "")) if f.code in _CONSEQUENCES else None
        if where is not None and f.severity in (Severity.ERROR, Severity.WARNING):
            f = replace(
                f,
                severity=Severity.INFO,
                message=f"{f.message} — because compose cannot build its value at {where[0]}:{where[1]} "
                "(the error there)",
            )
        out.append(f)
    return replace(section, findings=tuple(out))


def schema_section(project: Project, env: str) -> Section:
    """Schema Impact Analysis, or a note when the project declares no database or no schema."""
    from parity.schema.discover import find_database_url, find_schema_source
    from parity.schema.service import build_schema_section, tool_only_section

    try:
        find_database_url(project, env)
    except DiscoveryError as exc:
        return Section("schema", "Schema Impact Analysis", notes=(f"schema not checked: {exc.message}",))
    try:
        find_schema_source(project)
    except DiscoveryError as exc:
        # No declared schema: the app's own migration tool may still say the database is behind.
        return tool_only_section(project, env, exc.message) or Section(
            "schema", "Schema Impact Analysis", notes=(f"schema not checked: {exc.message}",)
        )
    try:
        return build_schema_section(project, env)
    except DatabaseUnreachable as exc:
        # An unreachable database (or no server to load the declared schema on) is no verdict
        # on the schema: say so, and let the rest of the report stand.
        return Section("schema", "Schema Impact Analysis", notes=(f"schema not checked: {exc.one_line()}",))


def section_checks(sections: list[Section]) -> list[Check]:
    """One verification line per analysis section: it holds when the section has no error."""
    checks = []
    for s in sections:
        errors = [f for f in s.findings if f.severity is Severity.ERROR]
        detail = ", ".join(sorted({f"{f.code} {f.key or f.file or ''}".strip() for f in errors}))
        checks.append(Check(f"{s.title}: no errors", not errors, detail))
    return checks


def run_check(
    path: Path,
    environment: str | None = "production",
    *,
    smoke: bool = False,
    progress: Callable[[str], None] | None = None,
    reference: str | None = None,
    deployed: str | None = None,
) -> Report:
    """``reference``: ``--reference`` (None: parity.toml's ``reference``, else the default);
    ``deployed``: the commit production runs (``--deployed``), to say what main added since."""
    project, env = load_project(path, environment)
    choice = choose_reference(project, env, reference)
    # The facts, gathered once (each file read once, the code scanned once); every section
    # below is computed from them.
    if progress is not None:
        progress("scanning the code for env reads and flags")
    facts = gather(project, env)
    files, code = facts.files, facts.scan
    sections = analysis_sections(project, env, files, progress, choice, code)
    env_findings = sections[0].findings
    deployed = deployed or project.config.deployed.get(env)
    if deployed is not None:
        from parity.code.since import since, since_section

        if progress is not None:
            progress(f"comparing the code with the deployed {deployed}")
        added = since_section(
            since(project.root, deployed), code.references, all_effective(project, env, files), env
        )
        sections.insert(2, added)
    # One call graph for the run: every switch that is off is asked about through it.
    if progress is not None:
        progress("following the switches that are off to the code they keep off")
    from parity.code.why import CodeGraph
    from parity.workflow.gated_step import with_gated_code

    graph = CodeGraph(project)
    sections = with_gated_code(project, graph, env, sections)

    cp = run_consolidation_plan(project, env, files)
    sections.append(consolidation_section(cp))

    sync = run_sync_plan(project, env, [], files, choice, code)
    impl_notes = tuple(f"{ch.rel}: " + "; ".join(ch.summary) for ch in sync.changes) or (
        "no env-file change needed",
    )
    by_id = {sec.id: sec for sec in sections}
    steps = steps_from(
        env_findings,
        by_id["flags"].findings if "flags" in by_id else (),
        by_id["store"].findings if "store" in by_id else (),
        sync.needs_value,
        sync.flags_left_off,
    )
    sections.append(
        Section(
            "implementation",
            "Implementation",
            notes=(
                *impl_notes,
                *(f"left alone: {r}" for r in sync.refused),
                *steps.lines(str(path), env),
            ),
            blocks=plan_blocks(sync),
        )
    )
    try:
        migrations = implementation_section(project, env, listed=False)
    except DatabaseUnreachable as exc:
        migrations = Section(
            "implementation-migrations",
            "Implementation: migrations",
            notes=(f"migrations not planned: {exc.one_line()}",),
        )
    if migrations is not None:
        sections.append(migrations)

    checks = env_checks(project, env_findings)
    smoke_checks = (
        [Check(f"smoke: {r.service}: {r.name}", r.ok, r.detail) for r in run_smoke_checks(project, env)]
        if smoke
        else []
    )
    verify = verification_section(
        checks,
        f"nothing was changed by check; after an apply, undo with: parity rollback {path} --env {env}",
        as_findings=False,
    )
    if smoke_checks:
        # Smoke checks are new evidence (not a restatement of a finding), so a failure fails the check.
        smoke_section = verification_section(smoke_checks, "", as_findings=True)
        verify = Section(
            verify.id,
            verify.title,
            smoke_section.findings,
            (*verify.tables, *smoke_section.tables),
            verify.notes,
        )
    stale = interrupted_run(project, env)
    if stale is not None:
        verify = Section(verify.id, verify.title, (stale, *verify.findings), verify.tables, verify.notes)
    sections.append(verify)
    return Report("check", project.root.name, env, tuple(sections), choice.name, choice.reason)


def interrupted_run(project: Project, env: str) -> Finding | None:
    """APL003 when an apply of ``env`` was killed and left changes nobody has undone yet (a run
    that holds the lock right now is running, not interrupted, and is left alone)."""
    from parity.workflow.journal import interrupted
    from parity.workflow.lock import is_free

    if not (project.root / ".parity" / "runs").is_dir() or not is_free(project.root, env):
        return None
    journal = interrupted(project.root, env)
    if journal is None:
        return None
    return Finding(
        "APL003",
        Severity.ERROR,
        "verify",
        f"run {journal.id} of parity {journal.command} was interrupted; the changes it made are still in place",
        environment=env,
        file=project.rel(journal.path),
        fix=f"parity rollback {project.root} --env {env}",
    )
