"""Feature-flag and env-usage audit: what the code reads against what each environment sets.

The matrix is flag × environment × service with the effective value classified as ``true``,
``false``, ``unset`` or ``invalid``. Findings (stable codes, documented in docs/codes.md):

========  ========  ==============================================================================
FLG001    info      a flag the code reads is set in no env file of the target: the code default decides
FLG002    error     a flag's feature is on in the reference environment (staging) but off in the target,
                    or the reverse (unset takes the code default; a ``DISABLE`` flag's true is off);
                    a warning when the target leaves it unset and the example sets it the other way
FLG003    error     a flag's value is no recognizable boolean (``ture``, ``yes please``); warning outside
                    the target
FLG004    error     an env var read without a default is missing in the target: a crash (error); a read
                    built to get None (``os.getenv``, ``process.env``) is a note
FLG005    warning   an env var read without a default is set but empty in the target (a note when the
                    read copes with None)
FLG006    info      a key set in the target's env files that no code reads (stale)
FLG007    info      a flag's feature is on in every environment (the code default where unset): ready to
                    remove
FLG008    info      a flag's feature is off in every environment (the code default where unset): dead
                    code or forgotten
FLG009    info      the code builds an env name at run time (f-string, concatenation): not checkable
========  ========  ==============================================================================
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from parity.code.context import SERVICE
from parity.code.flag_state import (
    INVALID,
    OFF,
    ON,
    CodeDefault,
    code_default,
    feature_state,
    is_boolean_value,
)
from parity.code.refs import SYSTEM_VARS, Reference, ScanResult, is_flag_name
from parity.code.scan import scan_project, with_branches
from parity.env.clip import clip
from parity.env.layers import all_effective
from parity.env.reference import choose_reference, has_example
from parity.env.secrets import display_value
from parity.errors import DiscoveryError, ParityError
from parity.model.condition import holds
from parity.model.findings import Finding, Section, Severity, Table
from parity.model.flagvalue import classify, comment_above, comment_intent, is_inverted
from parity.project import normalize_environment
from parity.runtime import NOT_DEPLOYED
from parity.sources import writable_target

if TYPE_CHECKING:
    from parity.model.env import EffectiveEnv
    from parity.project import Project


@dataclass(frozen=True, slots=True)
class FlagAudit:
    """Everything the audit computed, for renderers and tests."""

    environment: str
    environments: tuple[str, ...]
    scan: ScanResult
    # (flag, service) → environment → state
    matrix: dict[tuple[str, str], dict[str, str]]
    findings: tuple[Finding, ...]
    # (flag, service) → what an unset flag reads as in the code
    defaults: dict[tuple[str, str], CodeDefault] = field(default_factory=dict)


def _resolve_environment(project: Project, environment: str) -> str:
    env = normalize_environment(environment)
    if project.environments and env not in project.environments:
        raise DiscoveryError(
            f"no env files for environment '{environment}'",
            file=project.root,
            hint="known: " + ", ".join(project.environments),
        )
    return env


def keys_read_by_code(project: Project, scan: ScanResult | None = None) -> set[str]:
    """Env var names the project's code reads by a literal name (flag-SDK keys are not env vars)."""
    scan = scan or scan_project(project)
    return {r.name for r in scan.references if r.kind == "env" and not r.dynamic}


def fix_file(project: Project, service: str, environment: str, key: str) -> str:
    """The file to edit so ``service`` sees ``key`` in ``environment``: a compose or Kubernetes file
    that overrides the env files at run time wins; else the env file holding it; else the service's."""
    try:
        return project.rel(writable_target(project, service, environment, key).file)
    except ParityError:
        return project.rel(project.service(service).file_for(environment))


def audit(
    project: Project, environment: str, scan: ScanResult | None = None, reference: str | None = None
) -> FlagAudit:
    """``reference``: what the run compares against (``--reference``); None: parity.toml's, else the
    default. Flag flips are judged against it when it is an environment (see _compared_environments)."""
    target = _resolve_environment(project, environment)
    scan = scan or scan_project(project)
    envs = tuple(dict.fromkeys([*project.environments, target]))
    from parity.facts import env_files

    files = env_files(project)
    eff: dict[str, dict[str, EffectiveEnv]] = {e: all_effective(project, e, files) for e in envs}
    services = [s.name for s in project.services]
    coded = [s.name for s in project.code_services()]
    patterns = project.config.flags.patterns

    env_refs = [r for r in scan.references if r.kind == "env"]
    # (key, service) → refs; a folder's code counts for each service run from it. Code outside
    # every service folder counts for every service with code here, unless the runtime says what
    # each service is built from: then nothing runs it (install scripts, CI, tests beside the
    # services), and it fails no service's check.
    outside = [] if any(s.units and s.code_folder is not None for s in project.services) else coded
    reads: dict[tuple[str, str], list[Reference]] = defaultdict(list)
    for r in env_refs:
        # A test, CI job, build step, dev tool or one-off script is no production read.
        if r.dynamic or r.context != SERVICE:
            continue
        for svc in project.sharing_code(r.service) if r.service else outside:
            reads[(r.name, svc)].append(r)

    example = all_effective(project, "example", files) if has_example(project) else {}
    values = [*eff.values(), example]
    candidates = {k for (k, _), refs in reads.items() if any(_flag_read(r, patterns) for r in refs)}
    for by_svc in values:
        for svc, ee in by_svc.items():
            candidates.update(k for k in ee.values if is_flag_name(k, patterns) and svc)
    flag_keys = {k for k in candidates if k not in SYSTEM_VARS and _is_switch(k, reads, values)}
    compared = _compared_environments(project, target, reference)

    findings: list[Finding] = []
    matrix: dict[tuple[str, str], dict[str, str]] = {}
    defaults: dict[tuple[str, str], CodeDefault] = {}
    for key in sorted(flag_keys):
        svcs = sorted({s for (k, s) in reads if k == key}) or sorted(
            s for s in services if any(key in eff[e][s].values for e in envs)
        )
        for svc in svcs:
            matrix[(key, svc)] = {e: classify(eff[e][svc].get(key)) for e in envs}
            refs = reads.get((key, svc), [])
            defaults[(key, svc)] = code_default(refs)
            view = _FlagView(key, svc, target, envs, compared, eff, example, refs, defaults[(key, svc)])
            findings.extend(_flag_findings(project, view))

    findings.extend(_required_findings(project, target, eff, reads, flag_keys))
    findings.extend(_stale_findings(project, target, eff[target], env_refs))
    for r in env_refs:
        if r.dynamic:
            findings.append(
                Finding(
                    "FLG009",
                    Severity.INFO,
                    "flags",
                    f"env name built at run time ({r.name}) via {r.via}: parity cannot check it",
                    service=r.service,
                    environment=target,
                    file=r.file,
                    line=r.line,
                    key=r.name,
                    fix="read a literal name, or list the possible names in one place",
                )
            )
    return FlagAudit(target, envs, scan, matrix, tuple(findings), defaults)


# A name hint is not enough for a key whose last word says it holds no switch (``ENABLE_SIGNUP_URL``).
_NOT_A_SWITCH = frozenset(
    {
        "URL", "URLS", "URI", "HOST", "HOSTS", "PORT", "PATH", "DIR", "FILE", "LIST", "KEY", "TOKEN", "SECRET",
        "NAME", "ID", "ADDR", "ADDRESS", "EMAIL", "DOMAIN", "DOMAINS", "ORIGINS", "USER", "PASSWORD",
    }
)  # fmt: skip


def _flag_read(r: Reference, patterns: list[str]) -> bool:
    """A read that makes its key a flag: by name, or by meaning (the code uses the value as a switch)."""
    return r.is_flag or r.boolean or is_flag_name(r.name, patterns)


def _is_switch(
    key: str, reads: dict[tuple[str, str], list[Reference]], values: list[dict[str, EffectiveEnv]]
) -> bool:
    """A flag-looking key is a switch when the code treats it as one (a boolean comparison or parse,
    a boolean default) or some environment gives it a boolean value; ``ENABLE_SIGNUP_URL=https://…``
    and ``FEATURE_LIST=a,b`` are not, and get no flag findings."""
    refs = [r for (k, _), rs in reads.items() if k == key for r in rs]
    if any(r.boolean for r in refs) or any(r.has_default and _switch_value(r.default) for r in refs):
        return True
    if key.rsplit("_", 1)[-1] in _NOT_A_SWITCH:
        return False
    seen = [v.value for by_svc in values for ee in by_svc.values() if (v := ee.values.get(key)) is not None]
    if not seen:
        return True  # read by a flag name, set nowhere: the name is the only evidence
    return any(_switch_value(v) for v in seen)


def _switch_value(value: str | None) -> bool:
    # Empty reads as false, but ``""`` is every string's default: it says nothing of a switch.
    return is_boolean_value(value) and bool(value and value.strip().strip("\"'"))


def _compared_environments(project: Project, target: str, requested: str | None) -> tuple[str, ...]:
    """The environments a flip is judged against: the reference environment (``--reference``, else
    parity.toml's), else staging, else every other deployed environment (not test or development
    ones). The example, when it is the
    reference, is compared apart (a warning, see _flag_findings)."""
    others = [e for e in project.environments if e != target]
    try:
        choice = choose_reference(project, target, requested)
    except ParityError:
        choice = None
    if choice is not None and choice.is_environment and choice.name in others:
        return (choice.name,)
    if "staging" in others:
        return ("staging",)
    # A test or development environment switches features for its own reasons (a rate limiter off
    # in tests): production differing from it is no flip.
    return tuple(e for e in others if not NOT_DEPLOYED.search(e))


@dataclass(frozen=True, slots=True)
class _FlagView:
    """One flag in one service, with everything its findings need."""

    key: str
    svc: str
    target: str
    envs: tuple[str, ...]
    compared: tuple[str, ...]
    eff: dict[str, dict[str, EffectiveEnv]]
    example: dict[str, EffectiveEnv]
    refs: list[Reference]
    default: CodeDefault

    def raw(self, env: str) -> str:
        by_svc = self.example if env == "example" else self.eff[env]
        ee = by_svc.get(self.svc)
        return classify(ee.get(self.key) if ee else None)

    def feature(self, env: str) -> str:
        return feature_state(self.raw(env), self.default.state, inverted=is_inverted(self.key))

    def value(self, env: str) -> str | None:
        by_svc = self.example if env == "example" else self.eff[env]
        ee = by_svc.get(self.svc)
        return ee.get(self.key) if ee else None


def _example_comment(project: Project, v: _FlagView) -> tuple[str | None, str]:
    """What the example's comment above the flag says: the value it gives for production, and
    the comment itself when it makes the example's value a choice ("" when it does not)."""
    ee = v.example.get(v.svc)
    ev = ee.values.get(v.key) if ee else None
    if ev is None or not ev.from_env_file:
        return None, ""
    try:
        text = project.fs.read_text(ev.file, errors="replace")
    except (OSError, ParityError):
        return None, ""
    comment = comment_above(text, ev.line)
    for_production, choice = comment_intent(comment)
    return for_production, comment if choice else ""


def _flip_message(v: _FlagView, where: str, other: str, label: str) -> str:
    t, o = v.raw(v.target), v.raw(other)
    because = f"{v.default.words}, so " if "unset" in (t, o) else ""
    return (
        f"{v.key} is {t} in {where} ({v.target}), {o} in {label}: {because}the feature is "
        f"{v.feature(v.target)} in {v.target} but {v.feature(other)} in {label}"
    )


def _flip_fix(v: _FlagView, other: str, target_file: str) -> str:
    wanted = v.value(other)
    if wanted is None or not is_boolean_value(wanted):
        wanted = "true" if v.default.state == "false" else "false"
    return f"set {v.key}={wanted.strip()} in {target_file}"


def _flag_findings(project: Project, v: _FlagView) -> list[Finding]:
    out: list[Finding] = []
    key, svc, target = v.key, v.svc, v.target
    where = project.rel(project.service(svc).path)
    target_file = fix_file(project, svc, target, key)
    ref0 = v.refs[0] if v.refs else None
    value = v.eff[target][svc].values.get(key)
    loc_file = project.rel(value.file) if value else (ref0.file if ref0 else None)
    loc_line = value.line if value else (ref0.line if ref0 else None)
    mine = v.feature(target)

    def finding(code: str, severity: Severity, message: str, fix: str) -> Finding:
        return Finding(
            code, severity, "flags", message, service=svc, environment=target, file=loc_file, line=loc_line,
            key=key, fix=fix,
        )  # fmt: skip

    known = (ON, OFF)
    flipped = [e for e in v.compared if mine in known and v.feature(e) in known and v.feature(e) != mine]
    if flipped:
        out.append(
            finding(
                "FLG002",
                Severity.ERROR,
                _flip_message(v, where, flipped[0], flipped[0]),
                _flip_fix(v, flipped[0], target_file),
            )
        )
    elif (
        v.example
        and mine in known
        and is_boolean_value(v.value("example"))
        and v.feature("example") in known
        and v.feature("example") != mine
        # Only a target that leaves the flag to the code default: a value set in the target (or in
        # the reference environment) is a deployment's choice, the example's only a template's.
        and v.raw(target) == "unset"
        and all(v.raw(e) == "unset" for e in v.compared)
    ):
        for_production, choice = _example_comment(project, v)
        if (
            for_production is None
            or feature_state(classify(for_production), v.default.state, inverted=is_inverted(key)) != mine
        ):
            said = f" (the example's comment makes it a choice: {clip(choice)!r})" if choice else ""
            out.append(
                finding(
                    "FLG002",
                    Severity.INFO if choice else Severity.WARNING,
                    _flip_message(v, where, "example", "the example") + said,
                    f"{_flip_fix(v, 'example', target_file)}, or confirm {target} differs from the example on purpose",
                )
            )
    elif v.raw(target) == "unset" and v.refs and v.default.state != "crash":
        # Unset is how the code's author meant a default to be used; what matters is whether that
        # differs from the reference or the example (FLG002 above), so by itself it is a note.
        out.append(
            finding(
                "FLG001",
                Severity.INFO,
                f"{key} is read at {ref0.where if ref0 else '?'} but unset in {where} ({target}); "
                f"{v.default.words}" + (f": the feature is {mine}" if mine in known else ""),
                f"set {key}=true or {key}=false explicitly in {target_file}",
            )
        )
    for e in v.envs:
        if v.raw(e) == INVALID:
            ev = v.eff[e][svc].values[key]
            out.append(
                Finding(
                    "FLG003",
                    Severity.ERROR if e == target else Severity.WARNING,
                    "flags",
                    f"{key}={clip(display_value(ev, project.config.secrets))} in {where} ({e}) is no recognizable boolean",
                    service=svc,
                    environment=e,
                    file=project.rel(ev.file),
                    line=ev.line,
                    key=key,
                    fix=f"set {key}=true or {key}=false in {project.rel(ev.file)}",
                )
            )
    real = [e for e in v.envs if e in project.environments] or list(v.envs)
    if not v.refs or len(real) < 2:
        return out
    states = {v.feature(e) for e in real}
    unset = any(v.raw(e) == "unset" for e in real)
    by_default = f" ({v.default.words} where unset)" if unset else ""
    if states == {ON}:
        out.append(
            Finding(
                "FLG007",
                Severity.INFO,
                "flags",
                f"{key} leaves the feature on in every environment of {where}{by_default}: ready to remove the flag",
                service=svc,
                environment=target,
                file=v.refs[0].file,
                line=v.refs[0].line,
                key=key,
                fix=f"remove the check at {v.refs[0].where} and the {key} lines from the env files",
            )
        )
    elif states == {OFF}:
        out.append(
            Finding(
                "FLG008",
                Severity.INFO,
                "flags",
                f"{key} leaves the feature off in every environment of {where}{by_default}: the code behind it never runs",
                service=svc,
                environment=target,
                file=v.refs[0].file,
                line=v.refs[0].line,
                key=key,
                fix=f"turn it on where it should run, or remove the code behind {v.refs[0].where}",
            )
        )
    return out


def _required_findings(
    project: Project,
    target: str,
    all_eff: dict[str, dict[str, EffectiveEnv]],
    reads: dict[tuple[str, str], list[Reference]],
    flag_keys: set[str],
) -> list[Finding]:
    eff = all_eff[target]
    out: list[Finding] = []

    def needs(key: str, svc: str, r: Reference) -> bool:
        return not r.has_default and (key not in flag_keys or r.crashes)

    # The reads about to be reported (their key missing or empty in the target) learn the branch
    # they sit in; one in a branch this environment does not take (another transport, a mode
    # that is off) needs nothing here.
    lacking = [
        r
        for (key, svc), refs in reads.items()
        if svc in eff and not (eff[svc].get(key) or "").strip()
        for r in refs
        if needs(key, svc, r)
    ]
    known = [r for refs in reads.values() for r in refs]
    branched = {
        (r.file, r.line, r.name): r.when for r in with_branches(project.root, lacking, known) if r.when
    }
    for (key, svc), refs in sorted(reads.items()):
        if key in SYSTEM_VARS:
            continue
        required = [r for r in refs if needs(key, svc, r)]
        if svc in eff:
            required = [
                r
                for r in required
                if (when := branched.get((r.file, r.line, r.name))) is None
                or holds(when, eff[svc].get) is not False
            ]
        if not required:
            continue
        r = next((x for x in required if x.crashes), required[0])
        value = eff[svc].get(key) if svc in eff else None
        where = project.rel(project.service(svc).path)
        target_file = fix_file(project, svc, target, key)
        if value is None:
            consequence = "it raises at run time" if r.crashes else "it reads as None/empty"
            out.append(
                Finding(
                    "FLG004",
                    # ``os.getenv("X")``, ``process.env.X``, Go's ``os.Getenv``: None or "" when unset is
                    # the API's design, and code reading that way is built to cope; only a read that
                    # raises is a gap by itself (a reference listing the key says the rest: ENV001).
                    Severity.ERROR if r.crashes else Severity.INFO,
                    "flags",
                    f"{key} is read without a default at {r.where} ({r.via}) but missing in {where} "
                    f"({target}): {consequence}",
                    service=svc,
                    environment=target,
                    file=r.file,
                    line=r.line,
                    key=key,
                    fix=f"set {key}=<value> in {target_file}{_elsewhere(key, svc, target, all_eff, project.config.secrets)}",
                )
            )
        elif value.strip() == "":
            v = eff[svc].values[key]
            out.append(
                Finding(
                    "FLG005",
                    # An empty value does not make ``os.environ["X"]`` raise: code that demands the
                    # key gets "" silently (a warning); code that copes with None copes with "".
                    Severity.WARNING if r.crashes else Severity.INFO,
                    "flags",
                    f"{key} is read without a default at {r.where} but empty in {where} ({target})",
                    service=svc,
                    environment=target,
                    file=project.rel(v.file),
                    line=v.line,
                    key=key,
                    fix=f"give {key} a value in {project.rel(v.file)}",
                )
            )
    return out


def _elsewhere(
    key: str, svc: str, target: str, all_eff: dict[str, dict[str, EffectiveEnv]], secrets: list[str]
) -> str:
    """`` (staging has X)``: a hint from another environment, masked when secret."""
    for env, by_svc in all_eff.items():
        v = by_svc.get(svc)
        value = v.values.get(key) if v and env != target else None
        if value is not None and value.value:
            return f" ({env} has {clip(display_value(value, secrets))})"
    return ""


def _stale_findings(
    project: Project, target: str, eff: dict[str, EffectiveEnv], env_refs: list[Reference]
) -> list[Finding]:
    literal = {r.name for r in env_refs if not r.dynamic}
    globs = [r.name for r in env_refs if r.dynamic]
    used_by_tools = {project.config.schema_.database_url_key}
    seen: dict[tuple[str, str], tuple[str, int]] = {}
    # A published image's code is not here: that nothing here reads its keys says nothing.
    image_only = {s.name for s in project.services if s.image_only}
    for name, ee in eff.items():
        if name in image_only:
            continue
        for key, v in ee.values.items():
            if key in literal or key in used_by_tools or any(fnmatchcase(key, g) for g in globs):
                continue
            if v.layer == "image":
                continue  # the image's ENV serves its runtime and tools too (PYTHONUNBUFFERED, PATH)
            seen.setdefault((key, project.rel(v.file)), (project.rel(v.file), v.line))
    out = []
    for (key, _), (file, line) in sorted(seen.items()):
        out.append(
            Finding(
                "FLG006",
                Severity.INFO,
                "flags",
                f"{key} is set in {file} ({target}) but no code reads it",
                environment=target,
                file=file,
                line=line,
                key=key,
                fix=f"remove {key} from {file} if nothing outside this repository reads it",
            )
        )
    return out


def _matrix_table(a: FlagAudit, scan: ScanResult) -> Table:
    rows = []
    for (key, svc), states in sorted(a.matrix.items()):
        places = [
            r.where for r in scan.references if r.kind == "env" and r.name == key and r.service in (svc, None)
        ]
        read_at = (
            ", ".join(places[:3]) + (f" (+{len(places) - 3})" if len(places) > 3 else "") if places else "—"
        )
        rows.append(
            (
                key,
                svc,
                *(states[e] for e in a.environments),
                _unset_means(key, a.defaults.get((key, svc))),
                read_at,
            )
        )
    return Table("Flags", ("flag", "service", *a.environments, "if unset", "read at"), tuple(rows))


def _unset_means(key: str, default: CodeDefault | None) -> str:
    """The matrix's word for an unset flag: the feature state the code default gives (FLG001/FLG002
    name the default itself)."""
    if default is None or default.state == "unknown":
        return "?"
    if default.state == "crash":
        return "raises"
    return feature_state("unset", default.state, inverted=is_inverted(key))


def _sdk_table(scan: ScanResult) -> Table | None:
    sdk = [r for r in scan.references if r.kind == "sdk"]
    if not sdk:
        return None
    rows = tuple(
        (r.name, r.via, r.service or ".", clip(r.default) if r.default else "—", r.where) for r in sdk
    )
    return Table(
        "Flags served by an SDK (not in env files)", ("flag", "call", "service", "default", "at"), rows
    )


def build_flags_section(
    project: Project, environment: str, scan: ScanResult | None = None, reference: str | None = None
) -> Section:
    """The "Feature flags and env usage" section for ``environment`` (see the module docstring)."""
    a = audit(project, environment, scan, reference)
    tables = [_matrix_table(a, a.scan)]
    sdk = _sdk_table(a.scan)
    if sdk:
        tables.append(sdk)
    notes = [
        f"scanned {a.scan.files_seen} source files; {len(a.scan.references)} env/flag references "
        f"in {a.scan.files_parsed} files"
    ]
    apart = Counter(r.context for r in a.scan.references if r.kind == "env" and r.context != SERVICE)
    if apart:
        notes.append(
            "reads no service runs in production, listed apart and never failing a check: "
            + ", ".join(f"{n} in {ctx} files" for ctx, n in sorted(apart.items()))
        )
    notes.extend(f"{n.file}: {n.reason}" for n in a.scan.notes)
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    findings = sorted(a.findings, key=lambda f: (order[f.severity], f.code, f.service or "", f.key or ""))
    return Section("flags", "Feature flags and env usage", tuple(findings), tuple(tables), tuple(notes))
