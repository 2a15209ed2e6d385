"""Docker Compose as a config source: which env a compose service's container gets.

Follows the Compose specification (https://docs.docker.com/reference/compose-file/):

* Files for environment E: ``compose.yaml`` (or ``compose.yml``, ``docker-compose.y[a]ml``)
  then ``compose.E.yml`` / ``docker-compose.E.yml`` — what ``docker compose -f base -f env``
  reads. Without an environment file, the base plus ``compose.override.y[a]ml``, which
  Compose loads by default. ``[tool.parity.sources] compose_files`` overrides the choice.
* Each file is interpolated on its own, before the merge, with variables from the project
  ``.env`` next to the first file (not the machine's environment). Relative paths resolve
  against the first file's folder.
* Merge: ``environment`` merges by key (list form expanded first), ``env_file`` appends.
* A container's env: every ``env_file`` in order (later wins; ``required: false`` may be
  missing), then ``environment`` on top. A bare ``KEY`` (no value) takes the project
  variable if there is one and otherwise sets nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from parity.errors import EnvFileError, FileRefused
from parity.model.findings import Severity
from parity.project import ENV_ALIASES, EnvLayer, Project
from parity.runtime import NOT_DEPLOYED
from parity.sources.base import Collector, SourceValue, load_yaml
from parity.sources.interpolate import InterpolationError, interpolate, variables_named
from parity.sources.yamlnodes import BOOL_TAG, YamlProblem, YNode

# Compose's env-file format keeps single-quoted values literal.
_SINGLE_QUOTED = re.compile(r"^\s*(?:export\s+)?[^=#]*=\s*'")
BASE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
OVERRIDE_NAMES = (
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
)


@dataclass(frozen=True, slots=True)
class EnvFileRef:
    path: Path
    required: bool
    raw: bool
    file: Path  # the compose file naming it
    line: int


@dataclass(frozen=True, slots=True)
class EnvironmentEntry:
    key: str
    value: str | None  # None: a bare ``KEY``, passed through from the project variables
    file: Path
    line: int
    via_var: str | None = None  # the value is exactly one ``${VAR…}``: that variable


@dataclass(slots=True)
class ComposeService:
    name: str
    file: Path
    line: int
    context: Path | None = None
    image: str | None = None
    env_files: list[EnvFileRef] = field(default_factory=list)
    environment: dict[str, EnvironmentEntry] = field(default_factory=dict)
    # ``environment:`` keys whose value compose cannot build (``${X:?…}`` on an unset X): where.
    blocked: dict[str, tuple[Path, int]] = field(default_factory=dict)
    extends: tuple[str, Path | None, Path, int] | None = None  # (service, file or None, declared in, line)
    dockerfile: Path | None = None  # ``build.dockerfile`` (default ``Dockerfile`` in the context)
    build_args: dict[str, str | None] = field(default_factory=dict)  # ``build.args``; None: not given
    target: str | None = None  # ``build.target``: the stage built


@dataclass(slots=True)
class ComposeProject:
    files: list[Path]
    services: dict[str, ComposeService]
    variables: dict[str, tuple[str, Path, int]]  # project .env: name → (value, file, line)


def environment_names(environment: str) -> list[str]:
    """``production`` → ``["production", "prod", "deploy"]``: the spellings a file name may use
    (``compose.deploy.yml`` is how many projects name the file their deployment adds)."""
    names = [environment, *sorted(a for a, full in ENV_ALIASES.items() if full == environment)]
    return [*names, "deploy"] if environment == "production" else names


def compose_homes(project: Project) -> list[Path]:
    """Folders of the compose projects: the root, and every folder a discovered compose service
    is declared in (``docker/``, ``docker/production/``, each sample of a collection)."""
    homes = [project.root]
    for u in project.units:
        if u.kind == "compose" and u.home not in homes:
            homes.append(u.home)
    return homes


def _tag(name: str) -> str | None:
    """``docker-compose.postgres.yml`` → ``postgres``; ``compose.yaml`` → None."""
    parts = name.split(".")
    return ".".join(parts[1:-1]).lower() or None if len(parts) > 2 else None


def compose_files(project: Project, environment: str, home: Path | None = None) -> list[Path]:
    """The compose files ``docker compose`` would read for ``environment`` in the compose project
    at ``home`` (the root by default), base first.

    Production reads the base file and its own file only: ``compose.override.yml`` is what
    ``docker compose up`` adds on a developer's machine, and deployments name their files with ``-f``.
    """
    cfg = project.config.sources
    if not cfg.compose or environment == "example":
        return []
    if environment in cfg.compose_files:
        if home is not None and home != project.root:
            return []
        return [project.root / p for p in cfg.compose_files[environment]]
    root = home or project.root
    base = next((root / n for n in BASE_NAMES if (root / n).is_file()), None)
    if base is None and home is not None and home != project.root:
        # A folder of alternatives without a base file (``docker-compose.postgres.yml``,
        # ``docker-compose.sqlite.yml``): the first stands in for the one a deployment copies.
        own = {n for e in (environment, "production", "staging") for n in environment_names(e)}
        alternatives = sorted(
            u.file
            for u in project.units
            if u.kind == "compose" and u.home == root and _tag(u.file.name) not in own
        )
        base = alternatives[0] if alternatives else None
    specific = next(
        (
            root / f"{stem}.{name}.{ext}"
            for name in environment_names(environment)
            for stem in ("compose", "docker-compose")
            for ext in ("yaml", "yml")
            if (root / f"{stem}.{name}.{ext}").is_file()
        ),
        None,
    )
    if specific is None and environment != "production":
        specific = next((root / n for n in OVERRIDE_NAMES if (root / n).is_file()), None)
    addons = _addons(project, root, base, specific) if base is not None and base.name in BASE_NAMES else []
    return [p for p in (base, *addons, specific) if p is not None]


def _addons(project: Project, root: Path, base: Path, specific: Path | None) -> list[Path]:
    """Compose files beside the base that add services to it (``compose.agent.yaml``,
    ``compose.full.yaml``: a Makefile passes them with more ``-f``): read with the base, so their
    services get the project's variables and env files. Files named for an environment or for
    development are not add-ons."""
    env_tags = {n for e in (*ENV_ALIASES.values(), "production", "staging") for n in environment_names(e)}
    out = []
    for u in project.units:
        tag = _tag(u.file.name)
        if (
            u.kind == "compose"
            and u.home == root
            and u.file not in (base, specific)
            and u.file not in out
            and tag is not None
            and tag not in env_tags
            and not NOT_DEPLOYED.search(tag)  # discovery's own test for dev and test files
        ):
            out.append(u.file)
    return sorted(out)


# Files projects pass with a second ``--env-file`` over ``.env`` (opentelemetry-demo's
# ``.env.override``, getsentry/self-hosted's ``.env.custom``): the user's own values.
OVERLAY_NAMES = (".env.custom", ".env.override", ".env.local")


def variables_files(folder: Path, environment: str) -> list[Path]:
    """The compose project's variables files for ``environment``, later wins: ``.env.<environment>``
    beside the compose file when there is one (what ``docker compose --env-file .env.production``
    reads instead of ``.env``), else ``.env`` and the overlays projects pass over it."""
    for name in environment_names(environment):
        if name != "deploy" and (folder / f".env.{name}").is_file():
            return [folder / f".env.{name}"]
    return [folder / ".env", *(folder / n for n in OVERLAY_NAMES if (folder / n).is_file())]


def variables_file(folder: Path, environment: str) -> Path:
    """The variables file a value for ``environment`` is set in (the last of :func:`variables_files`)."""
    return variables_files(folder, environment)[-1]


def _project_variables(folder: Path, col: Collector, environment: str) -> dict[str, tuple[str, Path, int]]:
    """The project's interpolation variables (each file may interpolate itself and the earlier)."""
    out: dict[str, tuple[str, Path, int]] = {}
    for path in variables_files(folder, environment):
        out.update(_variables_of(path, col, out))
    return out


def _variables_of(
    path: Path, col: Collector, earlier: dict[str, tuple[str, Path, int]]
) -> dict[str, tuple[str, Path, int]]:
    col.read_paths.append(path)
    if not path.is_file():
        return {}
    try:
        env = col.env_file(path)
    except FileRefused as exc:
        col.refused(exc, path)
        return {}
    except EnvFileError as exc:
        col.add(
            "SRC001", Severity.ERROR, f"cannot read the compose project .env: {exc.message}", path, exc.line
        )
        return {}
    out: dict[str, tuple[str, Path, int]] = {}
    for entry in env.entries:
        if entry.value is None:
            continue
        value = entry.value
        if not _SINGLE_QUOTED.match(entry.raw) and "$" in value:
            known = {k: v[0] for k, v in {**earlier, **out}.items()}
            resolved = _interp(value, known, col, path, entry.line, entry.key, None)
            if resolved is None:
                continue
            value = resolved
        out[entry.key] = (value, path, entry.line)
    return out


def _vars_name(col: Collector, file: Path) -> str:
    """The variables file compose reads beside ``file`` for the collector's environment."""
    return col.rel(variables_file(file.parent, col.environment)) or ".env"


def _interp(
    text: str,
    variables: dict[str, str],
    col: Collector,
    file: Path,
    line: int,
    key: str | None,
    service: str | None,
) -> str | None:
    """Interpolate one value; a problem becomes a finding at ``file:line`` and the value None."""
    try:
        res = interpolate(text, variables)
    except InterpolationError as exc:
        if exc.required:
            col.add(
                "SRC004",
                Severity.ERROR,
                f"{exc.message}: docker compose refuses to start",
                file,
                line,
                # The variable is what must be set (``FRONTEND_HOST: https://${DOMAIN?…}``).
                key=exc.variable or key,
                service=service,
                fix=f"set {exc.variable} in {_vars_name(col, file)}",
            )
        else:
            col.add("SRC008", Severity.ERROR, exc.message, file, line, key=key, service=service)
        return None
    for name in dict.fromkeys(res.unset):
        # ``X: ${X}`` forwards an optional setting from the variables file: unset, the service
        # sees X empty, which the env check judges against the code and the example (ENV002).
        # A variable inside a longer value (``URL: http://${HOST}:80``) breaks the value.
        passthrough = key == name and text.strip() in (f"${{{name}}}", f"${name}")
        col.add(
            "SRC011",
            Severity.INFO if passthrough else Severity.WARNING,
            f"variable {name} is not set; docker compose substitutes an empty string"
            + (f" (the service sees {name} empty)" if passthrough else ""),
            file,
            line,
            key=key,
            service=service,
            fix=f"set {name} in {_vars_name(col, file)} or give a default (${{{name}:-…}})",
        )
    return res.value


def _scalar(node: YNode) -> str | None:
    if node.text is not None and node.tag == BOOL_TAG and node.text.lower() in ("true", "false"):
        return node.text.lower()  # Compose writes YAML booleans as true/false
    return node.text


def _block(cs: ComposeService, key: str, text: str, file: Path, line: int) -> None:
    """Record that compose cannot build ``key``'s value from ``text``: a consequence of another
    variable's error. ``X: ${X:?…}`` is not one: the error there is about X itself."""
    if key not in variables_named(text):
        cs.blocked[key] = (file, line)


def _read_service(
    cs: ComposeService, node: YNode, file: Path, base_dir: Path, variables: dict[str, str], col: Collector
) -> None:
    def interp(n: YNode, key: str | None = None, line: int | None = None) -> str | None:
        text = _scalar(n)
        if text is None:
            return None
        return _interp(text, variables, col, file, line or n.line, key, cs.name)

    extends = node.get("extends")
    if extends is not None:
        ext_name = interp(extends) if extends.is_scalar else None
        ext_file: str | None = None
        if extends.is_map:
            name_node, file_node = extends.get("service"), extends.get("file")
            ext_name = interp(name_node) if name_node is not None else None
            ext_file = interp(file_node) if file_node is not None else None
        if ext_name:
            cs.extends = (ext_name, (base_dir / ext_file).resolve() if ext_file else None, file, extends.line)
        else:
            col.add("SRC010", Severity.ERROR, "extends needs a service", file, extends.line, service=cs.name)

    build = node.get("build")
    if build is not None:
        ctx_node = build if build.is_scalar else build.get("context")
        ctx = interp(ctx_node) if ctx_node is not None else "."
        if ctx is not None and "://" not in ctx:  # a git URL is no folder of this repository
            cs.context = (base_dir / ctx).resolve()
            dockerfile = build.get("dockerfile") if build.is_map else None
            name = interp(dockerfile) if dockerfile is not None else "Dockerfile"
            cs.dockerfile = (cs.context / name).resolve() if name else None
        if build.is_map:
            target = build.get("target")
            cs.target = interp(target) if target is not None else None
            cs.build_args = _build_args(build.get("args"), interp)
    image = node.get("image")
    if image is not None and image.is_scalar:
        cs.image = interp(image) or cs.image

    env_file = node.get("env_file")
    if env_file is not None:
        items = env_file.items if env_file.is_seq else (env_file,)
        for item in items:
            if item.is_scalar:
                path_text, required, raw = interp(item), True, False
            elif item.is_map and item.get("path") is not None:
                path_node = item.get("path")
                assert path_node is not None
                path_text = interp(path_node)
                req = item.get("required")
                required = True if req is None else req.truthy() is not False
                raw = (item.str_at("format") or "") == "raw"
            else:
                col.add(
                    "SRC010", Severity.ERROR, "env_file entry needs a path", file, item.line, service=cs.name
                )
                continue
            if path_text:
                cs.env_files.append(
                    EnvFileRef((base_dir / path_text).resolve(), required, raw, file, item.line)
                )

    environment = node.get("environment")
    if environment is None:
        return
    if environment.is_map:
        for key, value_node in environment.mapping.items():
            line = environment.line_of(key)
            if not value_node.is_scalar:
                col.add(
                    "SRC010",
                    Severity.ERROR,
                    f"environment value of {key} is not a plain value",
                    file,
                    line,
                    key=key,
                    service=cs.name,
                )
                continue
            raw_text = _scalar(value_node)
            value = None if raw_text is None else interp(value_node, key, line)
            if raw_text is not None and value is None:
                _block(cs, key, raw_text, file, line)
                continue  # interpolation failed: already a finding
            via = interpolate_whole(raw_text)
            cs.environment[key] = EnvironmentEntry(key, value, file, line, via)
            cs.blocked.pop(key, None)
    elif environment.is_seq:
        for item in environment.items:
            if not item.is_scalar or item.text is None:
                col.add(
                    "SRC010",
                    Severity.ERROR,
                    "environment list entry is not KEY=value",
                    file,
                    item.line,
                    service=cs.name,
                )
                continue
            text = item.text
            key, sep, rest = text.partition("=")
            if not sep:
                cs.environment[key] = EnvironmentEntry(key, None, file, item.line)
                continue
            value = _interp(rest, variables, col, file, item.line, key, cs.name)
            if value is not None:
                cs.environment[key] = EnvironmentEntry(key, value, file, item.line, interpolate_whole(rest))
                cs.blocked.pop(key, None)
            else:
                _block(cs, key, rest, file, item.line)
    else:
        col.add(
            "SRC010",
            Severity.ERROR,
            "environment must be a mapping or a list",
            file,
            environment.line,
            service=cs.name,
        )


def interpolate_whole(text: str | None) -> str | None:
    """The variable a value consists of entirely (``${LOG_LEVEL:-info}`` → ``LOG_LEVEL``)."""
    if not text or "$" not in text:
        return None
    try:
        return interpolate(text, {}).whole
    except InterpolationError:
        # ``${VAR:?err}`` raises on the empty variables used here; it is still one variable.
        m = re.fullmatch(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[?][^}]*)?\}", text.strip())
        return m.group(1) if m else None


def _read_file(
    file: Path, base_dir: Path, variables: dict[str, str], col: Collector, services: dict[str, ComposeService]
) -> None:
    """Read the services of one compose file into ``services``, merging with what is there."""
    if not file.is_file():
        col.add("SRC001", Severity.ERROR, "compose file does not exist", file, None)
        return
    try:
        docs = load_yaml(file, col.repo)
    except FileRefused as exc:
        col.refused(exc, file)
        return
    except YamlProblem as exc:
        col.add("SRC001", Severity.ERROR, exc.message, file, exc.line, fix="fix the YAML syntax")
        return
    if not docs:
        return
    doc = docs[0]
    svc_node = doc.get("services")
    if svc_node is None:
        if not doc.is_map:
            col.add("SRC010", Severity.ERROR, "a compose file must be a mapping", file, doc.line)
        return
    if not svc_node.is_map:
        col.add("SRC010", Severity.ERROR, "services must be a mapping", file, svc_node.line)
        return
    for name, node in svc_node.mapping.items():
        if node.text is None and node.is_scalar:
            node = YNode("map", node.line)  # ``web:`` with nothing below is an empty service
        if not node.is_map:
            col.add(
                "SRC010", Severity.ERROR, f"service {name} must be a mapping", file, svc_node.line_of(name)
            )
            continue
        cs = services.setdefault(name, ComposeService(name, file, svc_node.line_of(name)))
        _read_service(cs, node, file, base_dir, variables, col)


def _resolve_extends(
    cs: ComposeService,
    pool: dict[str, ComposeService],
    variables: dict[str, str],
    col: Collector,
    stack: frozenset[int] = frozenset(),
) -> None:
    """Lay ``cs`` over the service it ``extends`` (env_file appended after the base's, environment by key)."""
    if cs.extends is None:
        return
    name, ext_file, declared, line = cs.extends
    cs.extends = None  # resolved (or refused) once; also ends a cycle
    if ext_file is not None:
        col.read_paths.append(ext_file)
        pool = {}
        _read_file(ext_file, ext_file.parent, variables, col, pool)  # its paths are relative to it
    base = pool.get(name)
    if base is None:
        col.add(
            "SRC010", Severity.ERROR, f"extends an unknown service {name}", declared, line, service=cs.name
        )
        return
    if base is cs or id(base) in stack:
        col.add("SRC010", Severity.ERROR, f"circular extends through {name}", declared, line, service=cs.name)
        return
    _resolve_extends(base, pool, variables, col, stack | {id(cs)})
    cs.env_files = [*base.env_files, *cs.env_files]
    cs.environment = {**base.environment, **cs.environment}
    cs.blocked = {k: v for k, v in {**base.blocked, **cs.blocked}.items() if k not in cs.environment}
    cs.context = cs.context or base.context
    cs.image = cs.image or base.image
    cs.dockerfile = cs.dockerfile or base.dockerfile
    cs.build_args = {**base.build_args, **cs.build_args}
    cs.target = cs.target or base.target


def _build_args(node: YNode | None, interp: Callable[[YNode], str | None]) -> dict[str, str | None]:
    """``build.args`` as a map or a ``KEY=value`` list; a bare ``KEY`` (or one compose cannot
    build) is None: Docker then takes the ``ARG`` default, or leaves it empty."""
    out: dict[str, str | None] = {}
    if node is None:
        return out
    if node.is_map:
        for key, value in node.mapping.items():
            out[key] = interp(value) if value.is_scalar and value.text is not None else None
    elif node.is_seq:
        for item in node.items:
            if item.is_scalar and item.text:
                key, eq, _ = item.text.partition("=")
                text = interp(item) if eq else None
                out[key.strip()] = text.partition("=")[2] if text is not None else None
    return out


def load_compose(
    project: Project, environment: str, col: Collector, home: Path | None = None
) -> ComposeProject | None:
    files = compose_files(project, environment, home)
    if not files:
        return None
    base_dir = files[0].parent
    variables = _project_variables(base_dir, col, environment)
    plain = {k: v[0] for k, v in variables.items()}
    services: dict[str, ComposeService] = {}
    for file in files:
        _read_file(file, base_dir, plain, col, services)
    for cs in list(services.values()):
        _resolve_extends(cs, services, plain, col)
    return ComposeProject(files, services, variables)


def map_services(project: Project, compose: ComposeProject) -> dict[str, ComposeService]:
    """parity service name → the compose service that runs it.

    By ``[tool.parity.sources] workloads``, else by ``build.context`` (the service folder or
    a folder inside it), else by an ``env_file`` inside the service folder, else by name.
    """
    configured = project.config.sources.workloads
    by_name = {s.name: s for s in project.services}
    result: dict[str, ComposeService] = {}
    home = compose.files[0].parent if compose.files else None
    # Services discovered from this compose project run exactly the service they came from.
    for s in project.services:
        for u in s.units:
            if u.kind == "compose" and u.home == home and u.name in compose.services:
                result[s.name] = compose.services[u.name]
    if result:
        return result

    resolved = [(s, s.path.resolve()) for s in project.services]

    def owner(path: Path | None) -> EnvLayer | None:
        if path is None:
            return None
        best: tuple[EnvLayer, Path] | None = None
        for s, sp in resolved:
            if path.is_relative_to(sp) and (best is None or len(sp.parts) > len(best[1].parts)):
                best = (s, sp)
        return best[0] if best else None

    for cs in compose.services.values():
        target: EnvLayer | None = by_name.get(configured[cs.name]) if cs.name in configured else None
        target = target or owner(cs.context)
        if target is None:
            target = next((o for o in (owner(r.path) for r in cs.env_files) if o is not None), None)
        target = target or by_name.get(cs.name)
        if target is None:
            continue
        if target.name not in result or cs.name == target.name:
            result[target.name] = cs
    return result


def _read_env_file(ref: EnvFileRef, col: Collector, service: str) -> list[tuple[str, str | None, int, bool]]:
    """(key, value, line, interpolate) of an ``env_file``, by compose's own format rules
    (:mod:`parity.sources.composeenv`: single quotes literal, ``format: raw`` taken as written)."""
    from parity.sources.compose_envfiles import load_env_ref

    try:
        parsed = load_env_ref(ref, col)
    except FileRefused as exc:
        col.refused(exc, ref.path, service=service)
        return []
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1 if isinstance(exc.object, bytes) else None
        col.add(
            "SRC001",
            Severity.ERROR,
            "cannot read env_file: is not valid UTF-8",
            ref.path,
            line,
            service=service,
        )
        return []
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        col.add("SRC001", Severity.ERROR, f"cannot read env_file: {reason}", ref.path, None, service=service)
        return []
    return [(e.key, e.value, e.line, e.interpolate) for e in parsed.entries]


def compose_layers(
    service: EnvLayer, cs: ComposeService, compose: ComposeProject, known: set[Path], col: Collector
) -> tuple[list[SourceValue], list[SourceValue]]:
    """(values from ``env_file``s parity does not already read, values from ``environment:``).

    ``cs`` is the compose service that runs ``service`` (see :func:`map_services`). ``known``
    are the env files already in the service's base layers: their values are in the effective
    env already, so only the keys whose *winning* file is another one are returned.
    """
    variables = {k: v[0] for k, v in compose.variables.items()}
    chain: dict[str, tuple[SourceValue, bool]] = {}  # key → (value, from an env file parity reads)
    bound: dict[str, str] = {}
    for ref in cs.env_files:
        col.read_paths.append(ref.path)
        if not ref.path.is_file():
            if ref.required:
                col.add(
                    "SRC006",
                    Severity.ERROR,
                    f"env_file {col.rel(ref.path)} of compose service {cs.name} does not exist; docker compose refuses to start",
                    ref.file,
                    ref.line,
                    service=service.name,
                    fix="create the file, or mark it 'required: false' in the compose file",
                )
            continue
        is_known = ref.path.resolve() in known
        for key, value, line, interp in _read_env_file(ref, col, service.name):
            if value is None:
                continue
            if interp and "$" in value:
                resolved = _interp(value, {**variables, **bound}, col, ref.path, line, key, service.name)
                if resolved is None:
                    continue
                value = resolved
            bound[key] = value
            sv = SourceValue(key, value, ref.path, line, "compose", "env_file", via=(ref.path, line))
            chain.pop(key, None)  # the later file wins and takes the later position
            chain[key] = (sv, is_known)

    from_environment: list[SourceValue] = []
    for entry in cs.environment.values():
        via: tuple[Path, int] | None = None
        value = entry.value
        if value is None:
            found = compose.variables.get(entry.key)
            if found is None:
                # Spec: `environment` overrides env_file values "even if those values are empty
                # or undefined"; an undefined one reaches the engine as a bare KEY, which unsets it.
                unset = chain.pop(entry.key, None)
                if unset is not None and unset[1]:
                    col.add(
                        "SRC014",
                        Severity.ERROR,
                        f"{entry.key} is listed without a value in compose environment and the project .env does not "
                        f"define it, so the container gets no {entry.key} although "
                        f"{col.rel(unset[0].file)}:{unset[0].line} sets it",
                        entry.file,
                        entry.line,
                        key=entry.key,
                        service=service.name,
                        fix=f"remove {entry.key} from environment in {col.rel(entry.file)}:{entry.line}, "
                        f"or define it in the compose project .env",
                    )
                continue
            value, via = found[0], (found[1], found[2])
        elif entry.via_var and entry.via_var in compose.variables:
            _, vfile, vline = compose.variables[entry.via_var]
            via = (vfile, vline)
        from_environment.append(
            SourceValue(entry.key, value, entry.file, entry.line, "compose", "environment", via=via)
        )
    from_files = [sv for sv, is_known in chain.values() if not is_known]
    return from_files, from_environment
