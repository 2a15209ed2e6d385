"""The env capability as the CLI and ``check`` call it: discover, read, compare, plan, write.

It lives above ``parity.env`` (the model and editor of env files), because it brings in what
``env`` must not import: the code scan and the runtime sources."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from parity.env.changes import EnvPlan, apply_plan
from parity.env.consolidate import ConsolidationPlan, plan_consolidation
from parity.env.diff import EnvDiff, diff_env
from parity.env.layers import EnvFiles, all_effective
from parity.env.reference import (
    CODE,
    CodeReference,
    ReferenceChoice,
    RequiredRead,
    choose_reference,
    code_reference,
)
from parity.env.sync import parse_assignments, plan_sync
from parity.env.write import BackupSet, latest_backup, restore
from parity.errors import DiscoveryError, ParityError
from parity.facts import env_files
from parity.model.condition import Condition, describe, holds
from parity.model.env import EffectiveEnv
from parity.project import Project, discover, normalize_environment

if TYPE_CHECKING:
    from parity.code.refs import Reference, ScanResult


def load_project(
    path: Path, environment: str | None = None, reference: str | None = None
) -> tuple[Project, str]:
    """Discover ``path`` and check ``environment`` (and ``reference``, when given) against it."""
    project = discover(path)
    if not project.services:
        raise DiscoveryError(
            "no services found: no compose service, Kubernetes workload, or folder up to depth 3 "
            "with a .env.example or .env.<environment> file",
            file=project.root,
            hint="run `parity init` after adding env files, or list services in parity.toml",
        )
    env = normalize_environment(environment or "production")
    standin = env == "production" or not project.environments  # never a typo's stand-in
    if env not in project.environments and project.units and env != "example" and standin:
        # Compose or manifests run the services, but nothing is specific to ``env``: the base
        # runtime files are what it would run, so they are analysed, and the report says so.
        project = replace(project, environments=(*project.environments, env), layerless=(env,))
    if env not in project.environments:
        known = ", ".join(project.environments) or "none"
        raise ParityError(f"unknown environment '{env}' (known: {known})", file=project.root)
    choose_reference(project, env, reference)
    return project, env


def code_keys(project: Project) -> set[str]:
    """Keys the code reads: a key no reference and no code knows is stale."""
    from parity.code.audit import keys_read_by_code

    return set(keys_read_by_code(project))


def required_reads(scan: ScanResult) -> list[RequiredRead]:
    """The reads of ``scan`` that give no default: what the ``code`` reference lists. A flag read
    as off when unset is no requirement (unless the read raises); process variables are not the
    service's config."""
    from parity.code.refs import SYSTEM_VARS

    return [
        RequiredRead(r.name, r.service, r.file, r.line, r.crashes)
        for r in scan.references
        if r.kind == "env"
        and not r.dynamic
        and not r.has_default
        and (not r.is_flag or r.crashes)
        and r.name not in SYSTEM_VARS
        and r.context == "service"
    ]


# Variables that libraries and platforms read by convention, so no read in the app's own code
# proves nothing: ``DATABASE_URL`` (Rails, Prisma), ``AWS_*`` (every AWS SDK), ``OTEL_*``
# (OpenTelemetry SDKs), ``SENTRY_*``, ``PG*`` (libpq), proxies, ``PORT`` (platforms).
_IMPLICIT = re.compile(
    r"DATABASE_URL|REDIS_URL|SECRET_KEY_BASE|RACK_ENV|NODE_ENV|DJANGO_SETTINGS_MODULE|PORT|"
    r"WEB_CONCURRENCY|TZ|HTTPS?_PROXY|NO_PROXY|PG[A-Z]+|"
    r"(?:RAILS|SENTRY|AWS|GOOGLE|GCP|AZURE|OTEL|DD|NEW_RELIC|SSL|REQUESTS|PYTHON|NODE|JAVA|SPRING|"
    r"CELERY|PRISMA|NEXTAUTH|NEXT|VERCEL|LOG)_[A-Z0-9_]+"
)
# Languages whose runtime binds env vars to config without naming them in code (Spring's relaxed
# binding, .NET's configuration providers): for their services, no read proves nothing either.
_BINDS_IMPLICITLY = frozenset({"java", "csharp"})


class CopedKeys(dict[tuple[str, str], str]):
    """:func:`defaulted_reads`' answer: the keys found, and for services whose code was scanned
    whole (``unread``), any other key that no code of the service reads at all."""

    def __init__(self, unread: dict[str, frozenset[str]]) -> None:
        super().__init__()
        self.unread = unread  # service → the keys (and glob prefixes) its code reads
        # (service, key) its production code reads without a default, and never so that it raises:
        # the key missing reads as None/empty (a feature off, not a crash).
        self.soft: set[tuple[str, str]] = set()

    def get(self, key: tuple[str, str], default: str | None = None) -> str | None:  # type: ignore[override]
        found = super().get(key)
        if found is not None:
            return found
        service, name = key
        reads = self.unread.get(service)
        if reads is None or name in reads or _IMPLICIT.fullmatch(name):
            return default
        if any("*" in r and fnmatch.fnmatchcase(name, r) for r in reads):
            return default  # ``ENV["#{provider}_KEY"]`` may read it
        return f"no code of {service} reads it"


def unread_services(project: Project, scan: ScanResult) -> dict[str, frozenset[str]]:
    """Service → every key its code reads (literal names, ``PREFIX*`` for names built at run
    time), for the services whose code is here and in languages parity reads whole."""
    reads: dict[str, set[str]] = {}
    langs: dict[str, set[str]] = {}
    runtime_known = any(s.units and s.code_folder is not None for s in project.services)
    coded = [s.name for s in project.code_services()]
    for r in scan.references:
        if r.kind != "env":
            continue
        owners = project.sharing_code(r.service) if r.service else ([] if runtime_known else coded)
        for svc in owners:
            reads.setdefault(svc, set()).add(r.name)
            langs.setdefault(svc, set()).add(r.language)
    return {
        svc: frozenset(keys) for svc, keys in reads.items() if not (langs.get(svc, set()) & _BINDS_IMPLICITLY)
    }


def defaulted_reads(
    project: Project, scan: ScanResult, envs: Mapping[str, EffectiveEnv] | None = None
) -> CopedKeys:
    """``(service, key) → why`` for the keys a service copes without: its production code reads
    them only where it copes with a missing value (a default, a guard), or only code that does not
    run in production (tests, CI, build, development config) reads them. A reference listing such
    a key describes an option, so its absence is no gap. A key also read without a default in
    production code is not here. With ``envs`` (each service's effective env in the target), a
    read in a branch that env does not take (``if (transport === 'resend')``) is left out too."""
    from parity.code.refs import SYSTEM_VARS

    by: dict[tuple[str, str], list[Reference]] = {}
    coded = [s.name for s in project.code_services()]
    runtime_known = any(s.units and s.code_folder is not None for s in project.services)
    for r in scan.references:
        if r.kind != "env" or r.dynamic or r.name in SYSTEM_VARS:
            continue
        owners = project.sharing_code(r.service) if r.service else ([] if runtime_known else coded)
        for svc in owners:
            by.setdefault((svc, r.name), []).append(r)
    out = CopedKeys(unread_services(project, scan))
    branched: dict[tuple[str, int, str], Condition] = {}
    if envs is not None:
        from parity.code.scan import with_branches

        # Only the reads of keys the target lacks learn their branch (it costs a parse).
        lacking = [
            r
            for (svc, key), refs in by.items()
            if svc in envs and not (envs[svc].get(key) or "").strip()
            for r in refs
            if r.context == "service"
        ]
        branched = {
            (r.file, r.line, r.name): r.when
            for r in with_branches(project.root, lacking, scan.references)
            if r.when is not None
        }
    for k, refs in by.items():
        live = [r for r in refs if r.context == "service"]
        env = envs.get(k[0]) if envs is not None else None
        if live and env is not None:
            taken = [
                r
                for r in live
                if (when := branched.get((r.file, r.line, r.name))) is None
                or holds(when, env.get) is not False
            ]
            if not taken:
                first = live[0]
                out[k] = (
                    f"the code reads it only when {describe(branched[(first.file, first.line, first.name)])} ({first.where})"
                )
                continue
            live = taken
        if live and all(r.has_default and not r.crashes for r in live):
            out[k] = f"the code copes without it at {live[0].where}"
        elif live and not any(r.crashes for r in live):
            out.soft.add(k)
        elif not live:
            # Read only by tests, CI, build or development config (config/environments/development.rb).
            out[k] = f"only {refs[0].context} code reads it ({refs[0].where})"
    return out


def _code_reference(project: Project, scan: ScanResult | None) -> CodeReference:
    from parity.code.scan import scan_project

    return code_reference(project, required_reads(scan if scan is not None else scan_project(project)))


def _as_choice(
    project: Project, environment: str, reference: ReferenceChoice | str | None
) -> ReferenceChoice:
    return (
        reference
        if isinstance(reference, ReferenceChoice)
        else choose_reference(project, environment, reference)
    )


def run_diff(
    project: Project,
    environment: str,
    reference: ReferenceChoice | str | None = None,
    files: EnvFiles | None = None,
    known_keys: set[str] | None = None,
    scan: ScanResult | None = None,
) -> EnvDiff:
    """``reference``: a choice made already, a name asked for, or None (config, then default).
    ``known_keys`` / ``scan``: what the caller has scanned already (else scanned here)."""
    choice = _as_choice(project, environment, reference)
    if known_keys is None:
        if scan is None:
            from parity.code.scan import scan_project

            scan = scan_project(project)
        known_keys = {r.name for r in scan.references if r.kind == "env" and not r.dynamic}
    diff = _diff(project, environment, choice, files or env_files(project), known_keys, scan)
    from parity.sources import source_findings

    # Compose/Kubernetes/app-config problems and overrides that contradict an env file. A value a
    # compose env_file gives a parity service is in its effective env too, so its placeholder
    # can be told by both: once is enough.
    told = {(f.code, f.file, f.line, f.key) for f in diff.findings}
    extra = [f for f in source_findings(project, environment) if (f.code, f.file, f.line, f.key) not in told]
    return replace(diff, findings=(*diff.findings, *extra))


def _diff(
    project: Project,
    environment: str,
    choice: ReferenceChoice,
    files: EnvFiles,
    known_keys: set[str],
    scan: ScanResult | None,
) -> EnvDiff:
    # A key a compose file interpolates (``${POSTGRES_PASSWORD:?…}`` in a URL) is read by the
    # runtime, not stale, though no code reads it.
    known_keys = known_keys | _runtime_variables(project, environment)
    if choice.name == CODE:
        code = _code_reference(project, scan)
        return diff_env(
            project,
            environment,
            CODE,
            files,
            known_keys,
            references=code.envs,
            label=choice.label,
            optional=code.optional,
        )
    defaulted = (
        defaulted_reads(project, scan, all_effective(project, environment, files))
        if scan is not None
        else CopedKeys({})
    )
    return diff_env(
        project,
        environment,
        choice.name,
        files,
        known_keys,
        label=choice.label,
        defaulted=defaulted,
        nil_reads=defaulted.soft,
    )


def _runtime_variables(project: Project, environment: str) -> set[str]:
    """The variables the environment's compose files interpolate."""
    from parity.sources.compose import compose_files, compose_homes
    from parity.sources.interpolate import variables_named

    out: set[str] = set()
    for home in compose_homes(project):
        for path in compose_files(project, environment, home):
            try:
                out |= variables_named(project.fs.read_text(path, errors="replace"))
            except (OSError, ParityError):
                continue
    return out


def run_sync_plan(
    project: Project,
    environment: str,
    sets: list[str],
    files: EnvFiles | None = None,
    reference: ReferenceChoice | str | None = None,
    scan: ScanResult | None = None,
) -> EnvPlan:
    """The writes that close the gaps against ``reference`` (see :func:`run_diff`); values are
    copied from it only when :func:`parity.env.reference.proposable` allows."""
    files = files or env_files(project)
    choice = _as_choice(project, environment, reference)
    diff = _diff(project, environment, choice, files, set(), scan)
    return plan_sync(project, diff, parse_assignments(sets), files, choice)


def run_consolidation_plan(
    project: Project, environment: str, files: EnvFiles | None = None
) -> ConsolidationPlan:
    return plan_consolidation(project, environment, files or env_files(project))


def write_plan(
    project: Project, plan: EnvPlan, before_writes: Callable[[BackupSet], None] | None = None
) -> BackupSet | None:
    return apply_plan(project.root, plan, project.fs, before_writes)


def rollback_env(root: Path) -> tuple[BackupSet, list[str]]:
    backup = latest_backup(root)
    restored = restore(root, backup)
    mark_restored(backup)
    return backup, restored


def mark_restored(backup: BackupSet) -> None:
    """A restored set is kept (it may be needed again) but no longer counts as the latest."""
    backup.path.rename(backup.path.with_name(backup.path.name + ".restored"))


def enable_sets(flags: tuple[str, ...]) -> list[str]:
    """``--enable FLAG`` turns the feature on: ``--set FLAG=true``, or ``FLAG=false`` for a flag whose
    true turns it off (``APP_DISABLE_SIGNUP``); ``SERVICE:FLAG`` scopes it to one service."""
    from parity.model.flagvalue import is_inverted

    return [f"{flag}={'false' if is_inverted(flag.rsplit(':', 1)[-1]) else 'true'}" for flag in flags]
