"""Store parity as a report section: model coverage, interface conformance, the fallback.

Finding codes (stable; documented in docs/codes.md):

- STO001 error    a model class has no field for a column of its table
- STO002 error/warning  a model class has a field for a column the schema lacks (error for SQLAlchemy)
- STO003 warning  a SQLAlchemy model maps a table the desired schema lacks
- STO004 error    ``[store] models`` names a class that does not exist
- STO010 error    an implementation lacks a member of its Store interface (warning when a base is unreadable)
- STO011 error    an implementation's method is incompatible with the interface's
- STO012 warning  ``[store] interfaces`` names a class that does not exist
- STO020 error    since REF: an interface member was removed (or renamed)
- STO021 error    since REF: an interface method changed incompatibly
- STO022 info     since REF: an interface member was added
- STO030 warning  a Python file cannot be parsed (the rest is still checked)
- STO040 error    the migrations do not replay on an empty SQLite database
- STO041 error    the replayed migrations differ from the desired schema
- STO042 error    the fallback smoke command fails with the database URL unset
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from parity.facts import env_files as _env_files
from parity.model.findings import Finding, Section, Severity, Table
from parity.model.schema import Schema
from parity.project import Project
from parity.store.coverage import Coverage, check_coverage
from parity.store.interface import Conformance, InterfaceChange, StoreClass, changes_since, check_interfaces
from parity.store.models import ModelKind, find_models
from parity.store.source import SourceIndex, gc_paused, scan_project

AREA = "store"


@dataclass(frozen=True, slots=True)
class StoreResult:
    """Everything ``parity store`` found; the section and ``store sync`` are built from it."""

    project: Project
    environment: str
    index: SourceIndex
    desired: Schema | None
    schema_source: str | None
    coverage: Coverage | None
    conformance: tuple[Conformance, ...]
    since: str | None = None
    changes: tuple[InterfaceChange, ...] = ()
    new_interfaces: tuple[StoreClass, ...] = ()


def load_desired(project: Project, environment: str) -> tuple[Schema | None, str | None]:
    """The desired schema (schema helper's discovery and loader), in the production database's
    dialect; SQLite when no database URL is known. None when the project declares no schema."""
    from parity import dialects
    from parity.errors import DiscoveryError, SchemaSourceError
    from parity.schema.discover import find_database_url, find_schema_source
    from parity.schema.sources import dev_server
    from parity.schema.sources import load_desired as load

    try:
        source = find_schema_source(project)
    except DiscoveryError:
        return None, None
    try:
        url = find_database_url(project, environment).url
    except DiscoveryError:
        url = "sqlite"
    dialect = dialects.get(url if dialects.is_database_url(url) else "sqlite")
    # As ``schema diff`` does: never beside the target, on the named dev server or parity's own.
    is_url = dialects.is_database_url(url)
    scratch_server = dev_server(url, None, project.config.schema_.dev_url) if is_url else None
    try:
        return load(source, dialect, project.root, scratch_server, target=url if is_url else None), source
    except SchemaSourceError:
        from parity.schema.discover import is_discovered_models

        if not is_discovered_models(project, source):
            raise
        return None, None  # models found in an Alembic env.py that do not import here: no coverage


def inspect_store(project: Project, environment: str, since: str | None = None) -> StoreResult:
    """Scan the source, load the desired schema, check coverage and interfaces (read-only)."""
    desired, label = load_desired(project, environment)
    with gc_paused():
        index = scan_project(project.root)
        coverage = None
        if desired is not None:
            coverage = check_coverage(desired, find_models(index), project.root, project.config.store.models)
        conformance = tuple(check_interfaces(index, project.config.store.interfaces))
    changes: list[InterfaceChange] = []
    new_ifaces: list[StoreClass] = []
    if since:
        changes, new_ifaces = changes_since(
            project.root, since, list(conformance), project.config.store.interfaces
        )
    return StoreResult(
        project,
        environment,
        index,
        desired,
        label,
        coverage,
        conformance,
        since,
        tuple(changes),
        tuple(new_ifaces),
    )


def _where(project: Project, path: Path, line: int | None) -> str:
    return project.rel(path) + (f":{line}" if line else "")


def coverage_findings(result: StoreResult) -> list[Finding]:
    from parity.store.proposals import EDITABLE, propose

    project, cov, env = result.project, result.coverage, result.environment
    if cov is None:
        return []
    out: list[Finding] = []
    proposals, _ = propose(cov)
    proposed = {(id(p.model), p.column.name): p for p in proposals}
    for gap in cov.missing:
        m, c = gap.model, gap.column
        p = proposed.get((id(m), c.name))
        if p is not None:
            fix = f"parity store sync --apply adds `{p.statement()}` to {m.name}"
        elif m.kind is ModelKind.SQLALCHEMY:
            fix = f"add a mapped column `{c.name}` ({c.raw_type or c.type}) to {m.name}"
        else:
            fix = f"add a field `{c.name}` to {m.name}" + (
                "" if m.kind in EDITABLE else f" (a {m.kind.label} is not edited by sync)"
            )
        nullability = "NULL" if c.nullable else "NOT NULL"
        default = f" DEFAULT {c.raw_default}" if c.raw_default is not None else ""
        out.append(
            Finding(
                "STO001",
                Severity.ERROR,
                AREA,
                f"{m.kind.label} {m.name} has no field for column {gap.table}.{c.name} "
                f"({c.raw_type or c.type} {nullability}{default})",
                environment=env,
                file=project.rel(m.file),
                line=m.line,
                key=f"{gap.table}.{c.name}",
                fix=fix,
            )
        )
    for extra in cov.extra:
        m, f = extra.model, extra.field
        sa = m.kind is ModelKind.SQLALCHEMY
        out.append(
            Finding(
                "STO002",
                Severity.ERROR if sa else Severity.WARNING,
                AREA,
                f"{m.kind.label} {m.name} has field '{f.name}' but table {extra.table} has no column '{f.column}'"
                + (": every query of the model selects it" if sa else ""),
                environment=env,
                file=project.rel(m.file),
                line=f.line,
                key=f"{extra.table}.{f.column}",
                fix=f"add the column {extra.table}.{f.column} in a migration, or remove the field"
                if sa
                else "remove the field if the column is gone, or add the column",
            )
        )
    for m in cov.orphans:
        out.append(
            Finding(
                "STO003",
                Severity.WARNING,
                AREA,
                f"SQLAlchemy model {m.name} maps table '{m.tablename}', which the desired schema lacks",
                environment=env,
                file=project.rel(m.file),
                line=m.line,
                fix="add the table to the schema, or map the model with store.models in the config",
            )
        )
    for table, ref in cov.unknown_refs:
        out.append(
            Finding(
                "STO004",
                Severity.ERROR,
                AREA,
                f"config store.models maps table '{table}' to '{ref}', which is not a model class of the project",
                environment=env,
                file=project.rel(project.config_file) if project.config_file else None,
                key=f"store.models.{table}",
                fix="fix the class name (Class or path/to/file.py:Class)",
            )
        )
    return out


def interface_findings(result: StoreResult) -> list[Finding]:
    project, env = result.project, result.environment
    out: list[Finding] = []
    for conf in result.conformance:
        iface = conf.interface
        where = _where(project, iface.file, iface.line)
        for gap in conf.gaps:
            impl = gap.implementation
            if gap.actual is None:
                kind = gap.expected.kind.value
                sig = gap.expected.signature()
                msg = f"{impl.name} lacks {kind} {gap.member} of interface {iface.name} ({where})"
                if gap.uncertain:
                    msg += "; it may come from a base class parity cannot read"
                out.append(
                    Finding(
                        "STO010",
                        Severity.WARNING if gap.uncertain else Severity.ERROR,
                        AREA,
                        msg,
                        environment=env,
                        file=project.rel(impl.file),
                        line=impl.line,
                        key=f"{iface.name}.{gap.member}",
                        fix=f"implement `{sig}` in {impl.name}",
                    )
                )
            else:
                out.append(
                    Finding(
                        "STO011",
                        Severity.ERROR,
                        AREA,
                        f"{impl.name}.{gap.member} does not match interface {iface.name} ({where}): "
                        + "; ".join(gap.problems),
                        environment=env,
                        file=project.rel(impl.file),
                        line=gap.actual.line,
                        key=f"{iface.name}.{gap.member}",
                        fix=f"make it accept every call of `{gap.expected.signature()}`",
                    )
                )
    known = {c.name for c in result.index.classes}
    for name in result.project.config.store.interfaces:
        if name not in known:
            out.append(
                Finding(
                    "STO012",
                    Severity.WARNING,
                    AREA,
                    f"config store.interfaces names '{name}', which no Python file of the project defines",
                    environment=env,
                    file=project.rel(project.config_file) if project.config_file else None,
                    key="store.interfaces",
                    fix="fix the class name",
                )
            )
    for ch in result.changes:
        iface = ch.interface
        file = project.rel(iface.file)
        if ch.change == "removed":
            assert ch.old is not None
            renamed = f" (renamed to {ch.renamed_to}?)" if ch.renamed_to else ""
            out.append(
                Finding(
                    "STO020",
                    Severity.ERROR,
                    AREA,
                    f"breaking change since {result.since}: {iface.name}.{ch.member} was removed{renamed}; "
                    f"callers of `{ch.old.signature()}` break",
                    environment=env,
                    file=file,
                    line=iface.line,
                    key=f"{iface.name}.{ch.member}",
                    fix=f"keep `{ch.member}` (delegating to the new method) until every caller has moved",
                )
            )
        elif ch.change == "changed":
            assert ch.new is not None and ch.old is not None
            out.append(
                Finding(
                    "STO021",
                    Severity.ERROR,
                    AREA,
                    f"breaking change since {result.since}: {iface.name}.{ch.member}: "
                    + "; ".join(ch.problems),
                    environment=env,
                    file=file,
                    line=ch.new.line,
                    key=f"{iface.name}.{ch.member}",
                    fix=f"give new parameters a default so calls of `{ch.old.signature()}` still work",
                )
            )
        else:
            assert ch.new is not None
            out.append(
                Finding(
                    "STO022",
                    Severity.INFO,
                    AREA,
                    f"since {result.since}: {iface.name} gained `{ch.new.signature()}`; "
                    "every implementation, in-memory fakes included, must add it",
                    environment=env,
                    file=file,
                    line=ch.new.line,
                    key=f"{iface.name}.{ch.member}",
                )
            )
    return out


def source_findings(result: StoreResult) -> list[Finding]:
    return [
        Finding(
            "STO030",
            Severity.WARNING,
            AREA,
            f"cannot read this Python file ({p.message}); its classes were not checked, the rest were",
            environment=result.environment,
            file=result.project.rel(p.file),
            line=p.line,
            fix="fix the syntax error",
        )
        for p in result.index.problems
    ]


def fallback_findings(result: StoreResult, smoke: bool = True) -> tuple[list[Finding], list[str]]:
    from parity.env.layers import all_effective
    from parity.env.secrets import is_secret, mask_text
    from parity.store.fallback import replay_on_sqlite, run_smoke

    project, env = result.project, result.environment
    out: list[Finding] = []
    notes: list[str] = []
    folder = project.root / project.config.schema_.migrations
    if folder.is_dir():
        replay = replay_on_sqlite(folder, result.desired)
        rel = project.rel(folder)
        if replay.error is not None:
            err = replay.error
            out.append(
                Finding(
                    "STO040",
                    Severity.ERROR,
                    AREA,
                    f"the migrations in {rel} do not replay on an empty SQLite database: {err.message}",
                    environment=env,
                    file=project.rel(Path(err.file)) if err.file else rel,
                    line=err.line,
                    fix="make every migration run from scratch, so a fresh local or test setup can be built",
                )
            )
        elif replay.differences:
            shown = "; ".join(replay.differences[:8]) + (" …" if len(replay.differences) > 8 else "")
            out.append(
                Finding(
                    "STO041",
                    Severity.ERROR,
                    AREA,
                    f"replaying {replay.migrations} migration(s) of {rel} on empty SQLite does not give the "
                    f"desired schema: {shown}",
                    environment=env,
                    file=rel,
                    fix="add the migration that brings a fresh database to the declared schema",
                )
            )
        elif replay.migrations:
            notes.append(
                f"{replay.migrations} migration(s) of {rel} replay on empty SQLite to the desired schema"
            )
    else:
        notes.append(f"no migrations folder ({project.config.schema_.migrations}/): replay check skipped")
    command = project.config.store.fallback_smoke
    if command and smoke:
        key = project.config.schema_.database_url_key
        secrets = [
            v.value
            for e in all_effective(project, env, _env_files(project)).values()
            for v in e.values.values()
            if v.value and (v.secret or is_secret(v.key, v.value, project.config.secrets))
        ]
        res = run_smoke(command, project.root, key, secrets)
        shown = mask_text(command, secrets)
        if res.ok:
            notes.append(f"fallback smoke `{shown}` passed with {key} unset")
        else:
            status = "timed out or could not start" if res.returncode is None else f"exited {res.returncode}"
            out.append(
                Finding(
                    "STO042",
                    Severity.ERROR,
                    AREA,
                    f"fallback smoke `{shown}` {status} with {key} unset: {res.output or '(no output)'}",
                    environment=env,
                    file=project.rel(project.config_file) if project.config_file else None,
                    key="store.fallback_smoke",
                    fix="make the in-memory fallback start when no database is configured",
                )
            )
    elif command:
        notes.append("fallback smoke not run (--no-smoke)")
    return out, notes


def _tables(result: StoreResult) -> list[Table]:
    project = result.project
    tables: list[Table] = []
    cov = result.coverage
    if cov is not None and cov.matched:
        rows: list[tuple[str, ...]] = []
        for table, models in cov.matched.items():
            for m in models:
                missing = sorted(g.column.name for g in cov.missing if g.model is m)
                extra = sorted(e.field.name for e in cov.extra if e.model is m)
                rows.append(
                    (
                        table,
                        m.name,
                        m.kind.label,
                        _where(project, m.file, m.line),
                        ", ".join(missing) or "-",
                        ", ".join(extra) or "-",
                    )
                )
        tables.append(
            Table(
                "Model coverage",
                ("table", "class", "kind", "where", "missing fields", "extra fields"),
                tuple(rows),
            )
        )
    if result.conformance:
        irows: list[tuple[str, ...]] = []
        for conf in result.conformance:
            if not conf.implementations:
                irows.append(
                    (
                        conf.interface.name,
                        "(none found)",
                        _where(project, conf.interface.file, conf.interface.line),
                        "-",
                    )
                )
            for impl in conf.implementations:
                gaps = [g for g in conf.gaps if g.implementation is impl]
                status = "ok" if not gaps else f"{len(gaps)} problem(s)"
                irows.append((conf.interface.name, impl.name, _where(project, impl.file, impl.line), status))
        tables.append(
            Table("Store interfaces", ("interface", "implementation", "where", "status"), tuple(irows))
        )
    return tables


def section_from(result: StoreResult, smoke: bool = True) -> Section:
    findings = [*coverage_findings(result), *interface_findings(result), *source_findings(result)]
    fb_findings, fb_notes = fallback_findings(result, smoke)
    findings.extend(fb_findings)
    notes: list[str] = []
    if result.desired is None:
        notes.append(
            "no desired schema found (schema.sql, db/schema.sql or config schema.source): model coverage skipped"
        )
    else:
        notes.append(f"desired schema: {result.schema_source} ({len(result.desired.tables)} tables)")
    if result.coverage is not None and result.coverage.unmodelled:
        notes.append("tables no Python class models: " + ", ".join(result.coverage.unmodelled))
    if not result.conformance:
        notes.append(
            "no Store interface found (a Protocol or ABC named *Store/*Repository, or config store.interfaces)"
        )
    for iface in result.new_interfaces:
        notes.append(f"interface {iface.name} did not exist at {result.since}: nothing to compare")
    notes.extend(fb_notes)
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    findings.sort(key=lambda f: (order[f.severity], f.code, f.file or "", f.line or 0))
    return Section("store", "Store Parity", tuple(findings), tuple(_tables(result)), tuple(notes))


def build_store_section(
    project: Project, environment: str, since: str | None = None, smoke: bool = True
) -> Section:
    """The store section of the report (``parity store`` and ``parity check``)."""
    return section_from(inspect_store(project, environment, since), smoke)
