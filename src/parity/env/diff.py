"""Env gap analysis: a pure function from env files and effective envs to rows and findings.

Stable codes (documented in docs/codes.md):
ENV001 missing key · ENV002 empty value · ENV003 stale key · ENV004 duplicate key, same value ·
ENV005 duplicate key, conflicting values · ENV006 drift across services · ENV007 consolidation
candidate · ENV008 placeholder value · ENV009 malformed line · ENV010 no env file for the environment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from parity.env.clip import clip
from parity.env.layers import EnvFiles, effective_env
from parity.env.lint import duplicates, is_boolean_typo, is_placeholder, linted_env_files
from parity.env.secrets import display, display_value, is_credential_key
from parity.model.env import EffectiveEnv, EnvFile, EnvValue
from parity.model.findings import Finding, Severity
from parity.project import Project


def _placeholder(project: Project, service: str, environment: str, key: str, tv: EnvValue) -> Finding:
    return Finding(
        "ENV008",
        Severity.ERROR,
        "env",
        f"{key} in {service} ({environment}) is still a placeholder ({clip(repr(tv.value))})",
        service,
        environment,
        project.rel(tv.file),
        tv.line,
        key,
        f"set the real value: `parity env sync --env {environment} --apply --set {key}=VALUE`",
    )


def _example_secret(key: str, value: str, example: str, extra: list[str]) -> bool:
    """A secret whose target value is the committed example's own (``SECRET_KEY=data encryption
    key with 32 char`` copied as is): everyone who reads the repository knows it."""
    v = value.strip()
    return bool(v) and v == example.strip() and len(v) >= 4 and is_credential_key(key, extra)


@dataclass(frozen=True, slots=True)
class KeyRow:
    service: str
    key: str
    reference: str | None  # already masked for display
    target: str | None
    status: str  # ok | missing | empty | placeholder | stale | extra
    source: str | None  # "file:line" of the target value


@dataclass(frozen=True, slots=True)
class EnvDiff:
    environment: str
    reference: str
    rows: tuple[KeyRow, ...]
    findings: tuple[Finding, ...]
    targets: Mapping[str, EffectiveEnv]
    references: Mapping[str, EffectiveEnv]


def _duplicate_findings(project: Project, f: EnvFile, service: str, environment: str) -> Iterable[Finding]:
    rel = project.rel(f.path)
    for dup in duplicates(f):
        key, entries = dup.key, dup.entries
        if dup.same:
            yield Finding(
                "ENV004",
                Severity.WARNING,
                "env",
                f"{key} is defined {len(entries)} times with the same value (lines {dup.lines})",
                service,
                environment,
                rel,
                entries[-1].line,
                key,
                f"remove the repeated {key} lines from {rel} (`parity env sync --apply` comments them out)",
            )
        else:
            yield Finding(
                "ENV005",
                Severity.ERROR,
                "env",
                f"{key} is defined {len(entries)} times with different values ({dup.shown(project.config.secrets)}); python-dotenv and Docker take the last, other loaders the first",
                service,
                environment,
                rel,
                entries[0].line,
                key,
                f"keep one {key} line in {rel}, or run `parity env sync --env {environment} --apply --set {key}=VALUE`",
            )


def _file_findings(project: Project, f: EnvFile, service: str, environment: str) -> Iterable[Finding]:
    rel = project.rel(f.path)
    for bad in f.malformed:
        yield Finding(
            "ENV009",
            Severity.ERROR,
            "env",
            "malformed line, ignored by loaders: expected KEY=VALUE",
            service,
            environment,
            rel,
            bad.line,
            None,
            f"fix line {bad.line} of {rel} (`parity env sync --apply` comments it out)",
        )
    yield from _duplicate_findings(project, f, service, environment)


def diff_env(
    project: Project,
    environment: str,
    reference: str = "example",
    files: EnvFiles | None = None,
    known_keys: Iterable[str] = (),
    *,
    references: Mapping[str, EffectiveEnv] | None = None,
    label: str | None = None,
    optional: Collection[tuple[str, str]] = (),
    defaulted: Mapping[tuple[str, str], str] | None = None,
    nil_reads: Collection[tuple[str, str]] = (),
) -> EnvDiff:
    """Compare every service's effective env in ``environment`` with its reference.

    ``reference`` is ``"example"`` (the example files), another environment such as
    ``"staging"``, or a name for ``references`` given ready-made (``"code"``: values of layer
    ``code``, empty, pointing at the read). ``label`` is how messages name it ("the example",
    "staging"). ``optional``: (service, key) pairs whose absence is a warning, not an error
    (code that reads the key as None/empty). ``known_keys`` are keys the code reads: a target
    key that no reference and no code knows is stale. ``defaulted``: (service, key) → why the service
    copes with the key missing ("the code copes without it at file:line": a default, a guard; or
    only code that does not run in production reads it); a reference file listing it describes an
    option, so its absence or emptiness is a note, not a gap. ``nil_reads``: (service, key) the
    code reads only as possibly None/empty, never so that it raises: missing where the example
    leaves it empty too, production behaves as the example does (a note).
    """
    defaulted = defaulted or {}
    files = files or EnvFiles(project.fs)
    secrets = project.config.secrets
    known = set(known_keys)
    optional = set(optional)
    said = label or ("the example" if reference == "example" else reference)
    targets = {s.name: effective_env(project, s, environment, files) for s in project.services}
    refs = (
        dict(references)
        if references is not None
        else {s.name: effective_env(project, s, reference, files) for s in project.services}
    )
    for s in project.services:
        refs.setdefault(s.name, EffectiveEnv(s.name, reference))
    all_ref_keys = {k for r in refs.values() for k in r.values}

    findings: list[Finding] = []
    rows: list[KeyRow] = []

    # One lint per file (env.lint.linted_env_files is the list other readers skip), named for
    # the first layer that has it: the root's ".", else the service's.
    owners: dict[str, str] = {}
    for layer, name in [(project.shared, "."), *((s, s.name) for s in project.services)]:
        path = layer.env_files.get(environment)
        if path is not None:
            owners.setdefault(str(path), name)
    for path in linted_env_files(project, environment):
        f = files.get(path)
        if f is not None:
            findings.extend(_file_findings(project, f, owners[str(path)], environment))

    for service in project.services:
        target, ref = targets[service.name], refs[service.name]
        target_file, target_line, writable = service.write_target(environment)
        rel_target = project.rel(target_file) + (f":{target_line}" if target_line else "")
        # A service the runtime configures (compose, manifests) needs no .env file of its own.
        if environment not in service.env_files and ref.values and not service.units:
            findings.append(
                Finding(
                    "ENV010",
                    Severity.WARNING,
                    "env",
                    f"{service.name} has no .env.{environment} file; it sees only the shared root layer",
                    service.name,
                    environment,
                    rel_target,
                    None,
                    None,
                    f"`parity env sync --env {environment} --apply` creates {rel_target}",
                )
            )
        for key in sorted(set(ref.values) | set(target.values), key=_key_order(ref, target)):
            rv, tv = ref.values.get(key), target.values.get(key)
            status = "ok"
            soft = (service.name, key) in optional
            if tv is None:
                status = "missing"
                if rv is not None and rv.layer == "code":
                    default = f" ({said} reads it without a default at {project.rel(rv.file)}:{rv.line})"
                elif rv is not None and rv.value:
                    default = f" ({said} has {clip(display(key, rv.value, secrets))})"
                else:
                    default = ""
                # With no layer of its own in the repository, the environment's values live
                # elsewhere (a host, a secret store): a key parity cannot see is no verdict.
                layerless = environment in project.layerless
                coped = defaulted.get((service.name, key)) if rv is not None and rv.layer != "code" else None
                nil = (service.name, key) in nil_reads
                if not coped and nil and reference == "example" and rv is not None:
                    # The example leaves it empty (or only says what to fill in) and no read
                    # raises: production, lacking it, behaves as the example does (the feature
                    # it configures is off).
                    if not rv.value:
                        coped = "the example leaves it empty too and no read of it raises"
                    elif is_placeholder(rv.value):
                        coped = "the example has only a placeholder and no read of it raises"
                findings.append(
                    Finding(
                        "ENV001",
                        Severity.INFO
                        if layerless or (coped and reference == "example")
                        # Another deployment sets it: the code copes, but production behaves
                        # differently from staging (a feature left at its default).
                        else Severity.WARNING
                        if soft or coped
                        else Severity.ERROR,
                        "env",
                        f"{key} is missing in {service.name} ({environment}){default}"
                        + (f" (the repository has no {environment} layer)" if layerless else "")
                        + (f"; optional: {coped}" if coped else ""),
                        service.name,
                        environment,
                        rel_target,
                        None,
                        key,
                        f"set {key}=VALUE in {rel_target}: `parity env sync --env {environment} --apply --set {key}=VALUE`"
                        if writable
                        else f"set {key} in the environment of {service.name} at {rel_target}",
                    )
                )
            elif rv is None and tv.value and is_placeholder(tv.value):
                # No reference lists it, but a placeholder is wrong wherever it is.
                status = "placeholder"
                findings.append(_placeholder(project, service.name, environment, key, tv))
            elif (
                rv is None
                and key not in all_ref_keys
                and key not in known
                and tv.from_env_file
                and not service.image_only  # its code is in an image: what reads the key is not here
            ):
                status = "stale"
                findings.append(
                    Finding(
                        "ENV003",
                        Severity.WARNING,
                        "env",
                        f"{key} is set in {service.name} ({environment}) but "
                        + ("no reference file" if reference == "example" else f"{said} does not have it")
                        + " and no code knows it",
                        service.name,
                        environment,
                        project.rel(tv.file),
                        tv.line,
                        key,
                        f"remove {key} from {project.rel(tv.file)}, or add it to {service.name}'s "
                        + ("example file" if reference == "example" else f"{reference} env file"),
                    )
                )
            elif rv is None:
                status = "extra"
            elif tv.value == "":
                status = "empty"
                coped = defaulted.get((service.name, key)) if rv.layer != "code" else None
                # Empty in the reference file too (``DISCORD_CLIENT_SECRET=`` under "leave empty
                # to disable"): the example runs that way, so empty is a documented choice.
                as_documented = rv.layer != "code" and rv.value == ""
                findings.append(
                    Finding(
                        "ENV002",
                        Severity.INFO
                        if coped or as_documented
                        else Severity.WARNING
                        if soft
                        else Severity.ERROR,
                        "env",
                        f"{key} is empty in {service.name} ({environment}) but {said} "
                        + ("reads it without a default" if rv.layer == "code" else "lists it")
                        + (f"; optional: {coped}" if coped else "")
                        + ("; empty there too" if as_documented and not coped else ""),
                        service.name,
                        environment,
                        project.rel(tv.file),
                        tv.line,
                        key,
                        f"give {key} a value: `parity env sync --env {environment} --apply --set {key}=VALUE`",
                    )
                )
            elif reference == "example" and _example_secret(key, tv.value, rv.value, secrets):
                status = "placeholder"
                findings.append(
                    Finding(
                        "ENV008",
                        Severity.ERROR,
                        "env",
                        f"{key} in {service.name} ({environment}) is the example file's value, which the "
                        "repository publishes: a secret must be its own",
                        service.name,
                        environment,
                        project.rel(tv.file),
                        tv.line,
                        key,
                        f"set a new secret: `parity env sync --env {environment} --apply --set {key}=VALUE`",
                    )
                )
            elif is_boolean_typo(tv.value, rv.value):
                status = "invalid"
                findings.append(
                    Finding(
                        "ENV011",
                        Severity.ERROR,
                        "env",
                        f"{key} in {service.name} ({environment}) is {clip(repr(tv.value))}, no boolean, where "
                        f"the reference has {clip(repr(rv.value))}: loaders read it as false or refuse it",
                        service.name,
                        environment,
                        project.rel(tv.file),
                        tv.line,
                        key,
                        f"set {key}=true or {key}=false in {project.rel(tv.file)}:{tv.line}",
                    )
                )
            elif is_placeholder(tv.value):
                status = "placeholder"
                findings.append(_placeholder(project, service.name, environment, key, tv))
            rows.append(
                KeyRow(
                    service.name,
                    key,
                    _shown(project, rv, secrets),
                    clip(display_value(tv, secrets)) if tv else None,
                    status,
                    f"{project.rel(tv.file)}:{tv.line}" if tv else None,
                )
            )

    findings.extend(_cross_service(project, environment, targets))
    return EnvDiff(environment, reference, tuple(rows), tuple(findings), targets, refs)


def _shown(project: Project, rv: EnvValue | None, secrets: list[str]) -> str | None:
    """The reference's cell: its value masked, or where the code reads it (the ``code`` reference)."""
    if rv is None:
        return None
    if rv.layer == "code":
        return clip(f"read at {project.rel(rv.file)}:{rv.line}")
    return clip(display_value(rv, secrets))


def _key_order(ref: EffectiveEnv, target: EffectiveEnv) -> Callable[[str], int]:
    """Reference order first, then target-only keys in file order: rows read like the files."""
    order = {k: i for i, k in enumerate([*ref.values, *[k for k in target.values if k not in ref.values]])}
    return lambda k: order.get(k, len(order))


def overrides_for(project: Project, service: str) -> set[str]:
    allowed = set(project.config.overrides)
    for s in project.services:
        if s.name == service:
            allowed |= set(s.overrides)
    return allowed


def _cross_service(
    project: Project, environment: str, targets: Mapping[str, EffectiveEnv]
) -> Iterable[Finding]:
    """Drift (same key, different values across services) and consolidation candidates."""
    if len(targets) < 2:
        return
    secrets = project.config.secrets
    keys: dict[str, None] = {}
    for env in targets.values():
        for k in env.values:
            keys.setdefault(k, None)
    group = deployments(project, targets)
    profiles = _profiles(project)
    for key in keys:
        holders = {name: env.values[key] for name, env in targets.items() if key in env.values}
        values = {v.value for v in holders.values()}
        if len(holders) >= 2 and len(values) > 1:
            if is_per_service(key):
                continue
            # Drift is between services deployed together (one compose project, one manifests
            # folder): a repository of several examples shares names, not values. A value naming
            # its own service (OTEL_SERVICE_NAME=cart in cart) differs by design.
            differing = [
                n
                for n in holders
                if key not in overrides_for(project, n) and not _names_itself(n, holders[n].value)
            ]
            for gid in dict.fromkeys(group.get(n, 0) for n in differing):
                in_group = [n for n in differing if group.get(n, 0) == gid]
                # Compose profiles that never run together (an all-in-one image and its split
                # services) are alternatives: only services that can run at once can drift.
                members = [
                    n
                    for n in in_group
                    if any(
                        holders[m].value != holders[n].value and _run_together(profiles, n, m)
                        for m in in_group
                    )
                ]
                if len({holders[n].value for n in members}) < 2 or same_server(
                    holders[n].value for n in members
                ):
                    continue
                shown = ", ".join(f"{n}={clip(display_value(holders[n], secrets))}" for n in members)
                first = holders[members[0]]
                yield Finding(
                    "ENV006",
                    Severity.WARNING,
                    "env",
                    f"{key} differs across services in {environment}: {shown}",
                    None,
                    environment,
                    project.rel(first.file),
                    first.line,
                    key,
                    f'align the values, or declare the difference intentional: overrides = ["{key}"] in parity.toml',
                )
        elif (
            len(holders) == len(targets)
            and len(values) == 1
            and any(v.layer == "service" for v in holders.values())
        ):
            yield Finding(
                "ENV007",
                Severity.INFO,
                "env",
                f"{key} has the same value in every service in {environment}: a candidate for the root .env.{environment}",
                None,
                environment,
                None,
                None,
                key,
                f"`parity env consolidate --env {environment} --apply`",
            )


# Keys each service sets for itself: where it listens, what it calls itself…
_PER_SERVICE = re.compile(
    r"(?:PORT|HOST|HOSTNAME|BIND|BIND_ADDR(?:ESS)?|LISTEN_ADDR(?:ESS)?|LISTEN_PORT|ADDR(?:ESS)?|"
    r"(?:[A-Z0-9]+_)?SERVICE_NAME|APP_NAME|OTEL_RESOURCE_ATTRIBUTES|"
    # the configuration profiles each service picks (Spring's docker,mysql in one, production in another)
    r"(?:[A-Z0-9]+_)?PROFILES_ACTIVE|"
    # the wire protocol each client's SDK speaks (grpc in one language, http/protobuf in another)
    r"OTEL_EXPORTER_OTLP(?:_[A-Z]+)?_PROTOCOL|"
    # and how much of the machine it takes: sized per service.
    r"GOMEMLIMIT|GOMAXPROCS|JAVA_OPTS|JAVA_TOOL_OPTIONS|NODE_OPTIONS|(?:[A-Z0-9]+_)?(?:WORKERS|CONCURRENCY|MEMORY_LIMIT))"
)


_HOST_IN_URL = re.compile(r"^[a-z][a-z0-9+.-]*://(?:[^@/]*@)?\[?([^\]/:?#]+)", re.I)
_HOST_IN_KEYWORDS = re.compile(r"(?:^|;)\s*(?:host|server|data source)\s*=\s*([^;,:]+)", re.I)


def _host(value: str) -> str | None:
    """The server a URL or a keyword connection string names (``Host=db;…``), else None."""
    m = _HOST_IN_URL.match(value.strip()) or _HOST_IN_KEYWORDS.search(value)
    return m.group(1).strip().lower() if m else None


def same_server(values: Iterable[str]) -> bool:
    """Every value names one server (``http://collector:4318`` and ``grpc://collector:4317``,
    a .NET and a Go connection string to one database): the clients differ in protocol or driver,
    not in where they point."""
    hosts = {_host(v) for v in values}
    return len(hosts) == 1 and None not in hosts


def is_per_service(key: str) -> bool:
    """``PORT``, ``HOST``, ``OTEL_SERVICE_NAME``: meant to differ between services."""
    return _PER_SERVICE.fullmatch(key) is not None


def _names_itself(service: str, value: str) -> bool:
    name = service.rsplit("/", 1)[-1].lower()
    if len(name) < 3:
        return False
    low = value.lower()
    return any(
        v in low for v in {name, name.replace("-", "_"), name.replace("_", "-"), name.replace("-", "")}
    )


def _profiles(project: Project) -> dict[str, set[str] | None]:
    """Service → the compose profiles it runs under; None when it runs with any (no profiles)."""
    out: dict[str, set[str] | None] = {}
    for s in project.services:
        units = [u for u in s.units if u.kind == "compose"]
        if units and all(u.profiles for u in units):
            out[s.name] = {p for u in units for p in u.profiles}
        else:
            out[s.name] = None
    return out


def _run_together(profiles: Mapping[str, set[str] | None], a: str, b: str) -> bool:
    pa, pb = profiles.get(a), profiles.get(b)
    return pa is None or pb is None or bool(pa & pb)


def deployments(project: Project, targets: Mapping[str, EffectiveEnv]) -> dict[str, int]:
    """Service → the number of the deployment it belongs to: services whose runtime units share
    a compose project or manifests folder are one; services without units (folders of env files)
    are one together."""
    homes: dict[str, set[str]] = {}
    for s in project.services:
        if s.name in targets:
            homes[s.name] = {str(u.home) for u in s.units} or {"<folders>"}
    group: dict[str, int] = {}
    owner: dict[str, int] = {}
    for name, hs in homes.items():
        ids = {owner[h] for h in hs if h in owner}
        gid = min(ids) if ids else len(owner) + len(group) + 1
        for other, g in list(group.items()):
            if g in ids:
                group[other] = gid
        for h, g in list(owner.items()):
            if g in ids:
                owner[h] = gid
        for h in hs:
            owner[h] = gid
        group[name] = gid
    return group
