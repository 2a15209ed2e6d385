"""Config sources beyond .env files: Docker Compose, Kubernetes manifests, structured app config.

At runtime a service's env files are not the last word: compose ``environment:``, a
Kubernetes ConfigMap or ``config/production.yaml`` may set the value the process sees.
This package reads those sources (no Docker engine, no cluster) and answers three questions:

* :func:`collect` — the extra layers over a service's env files, lowest precedence first:
  app config (dotted keys), compose ``env_file:`` files parity does not read anyway,
  compose ``environment:``, Kubernetes container env. Values are unmasked ``EnvValue``\\ s;
  masking happens at output (see :func:`secret_values` for values from Secrets).
* :func:`source_findings` — broken sources and overrides that contradict an env file
  (codes ``SRC001``…, documented in ``docs/sources.md``); bad input is a finding, never a crash.
* :func:`writable_target` — which file must change to set a key for a service.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dotenv.variables import parse_variables

from parity.env.clip import clip
from parity.env.secrets import display, fingerprint
from parity.errors import EnvFileError, FileRefused
from parity.model.env import EnvValue
from parity.model.findings import Finding, Severity
from parity.project import EnvLayer, Project, root_applies
from parity.sources.base import Collector, SourceValue, stat_key

if TYPE_CHECKING:
    from parity.sources.compose import ComposeProject, ComposeService

__all__ = [
    "SourceLayers",
    "SourceValue",
    "WriteTarget",
    "collect",
    "collect_all",
    "collect_values",
    "secret_values",
    "source_findings",
    "writable_target",
]

SourceLayers = tuple[tuple[EnvValue, ...], ...]
"""Layers over a service's env files, lowest precedence first; each a tuple of ``EnvValue``."""

RUNTIME_LAYERS = ("compose", "k8s")


@dataclass(frozen=True, slots=True)
class WriteTarget:
    """Where a change to ``key`` for one service in one environment has to be made."""

    key: str
    file: Path
    line: int | None  # the line holding the key now; None: the key is to be added
    layer: str  # "service" | "root" | "compose" | "k8s" | "config"
    env_file: bool  # True when ``file`` is an env file parity may write
    reason: str


@dataclass(frozen=True, slots=True)
class _Gathered:
    layers: dict[str, tuple[tuple[SourceValue, ...], ...]]
    base: dict[str, dict[str, EnvValue]]
    findings: tuple[Finding, ...]
    # service → key → (file, line): a compose value the runtime cannot build (SRC004/SRC008 there)
    blocked: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict)


_MEMO: dict[tuple[object, ...], tuple[list[Path], tuple[object, ...], _Gathered]] = {}


def _base_values(
    project: Project, service: EnvLayer, environment: str, col: Collector
) -> dict[str, EnvValue]:
    """What the env files alone give ``service`` (root ``.env.E`` then the service's), as dotenv resolves it."""
    values: dict[str, EnvValue] = {}
    bound: dict[str, str | None] = {}
    for layer, label in ((project.shared, "root"), (service, "service")):
        if label == "root" and not root_applies(service, layer):
            continue
        path = layer.env_files.get(environment)
        if path is None or not path.is_file():
            continue
        try:
            env = col.env_file(path)
        except (EnvFileError, FileRefused):
            continue  # the env report owns unreadable env files
        for e in env.entries:
            if e.value is None:
                continue
            value = e.value
            if "${" in value:  # as parity.env.layers.resolve does
                value = "".join(atom.resolve(bound) for atom in parse_variables(value))
            bound[e.key] = value
            values[e.key] = EnvValue(e.key, value, path, e.line, label)
    return values


def _watched(project: Project, environment: str, col: Collector) -> list[Path]:
    """Paths whose change invalidates a gathered result: folders (new files) and files read."""
    from parity.sources.appconfig import config_files
    from parity.sources.compose import compose_files
    from parity.sources.k8s import manifest_files

    paths: list[Path] = [project.root]
    for folder_name in project.config.sources.kubernetes:
        folder = project.root / folder_name
        if folder.is_dir() and project.fs.contains(folder):  # a folder linking out is never walked
            paths.extend(Path(d) for d, _, _ in os.walk(folder))
    for s in project.services:
        paths.extend([s.path, s.path / "config", *s.env_files.values()])
        paths.extend(config_files(project, s, environment))
    paths.extend(project.shared.env_files.values())
    from parity.sources.compose import compose_homes

    for home in compose_homes(project):
        paths.extend(compose_files(project, environment, home))
    paths.extend(manifest_files(project, environment))
    paths.extend(col.read_paths)
    return paths


def _signature(paths: list[Path]) -> tuple[object, ...]:
    return tuple((str(p), stat_key(p)) for p in paths)


def _gather(project: Project, environment: str) -> _Gathered:
    memo_key = (
        str(project.root),
        environment,
        tuple((s.name, str(s.path)) for s in project.services),
        project.config.sources.model_dump_json(),
    )
    cached = _MEMO.get(memo_key)
    if cached is not None and _signature(cached[0]) == cached[1]:
        return cached[2]

    # The readers pull in PyYAML; importing them here keeps ``import parity.sources`` light.
    from parity.sources.appconfig import config_values
    from parity.sources.compose import compose_homes, compose_layers, load_compose, map_services
    from parity.sources.dockerfile import image_values
    from parity.sources.k8s import container_env, container_for, containers, load_objects

    col = Collector(project.root, environment, project.fs)
    composes = [cp for h in compose_homes(project) if (cp := load_compose(project, environment, col, h))]
    compose_map: dict[str, tuple[ComposeService, ComposeProject]] = {}
    for cp in composes:
        for name, cs in map_services(project, cp).items():
            compose_map.setdefault(name, (cs, cp))
    objects = load_objects(project, environment, col)
    all_containers = containers(objects)
    chosen = {s.name: container_for(project, s.name, all_containers) for s in project.services}
    by_container = {id(c): name for name, c in chosen.items() if c is not None}
    k8s_env = {id(c): container_env(c, objects, col, by_container.get(id(c))) for c in all_containers}

    layers: dict[str, tuple[tuple[SourceValue, ...], ...]] = {}
    base: dict[str, dict[str, EnvValue]] = {}
    blocked: dict[str, dict[str, tuple[str, int]]] = {}
    for s in project.services:
        base[s.name] = _base_values(project, s, environment, col)
        known = {
            p.resolve()
            for p in (s.env_files.get(environment), project.shared.env_files.get(environment))
            if p
        }
        found: list[list[SourceValue]] = [config_values(project, s, environment, col)]
        mapped = compose_map.get(s.name)
        if mapped is not None:
            found.append(image_values(mapped[0], col))
            found.extend(compose_layers(s, mapped[0], mapped[1], known, col))
        c = chosen[s.name]
        if c is not None:
            found.append(k8s_env[id(c)])
        layers[s.name] = tuple(tuple(layer) for layer in found if layer)
        if mapped is not None and mapped[0].blocked:
            blocked[s.name] = {k: (col.rel(f) or str(f), n) for k, (f, n) in mapped[0].blocked.items()}
        _conflicts(project, s, environment, layers[s.name], base[s.name], col)
    # Every compose service's env files, mapped to a parity service or not.
    from parity.env.lint import linted_env_files
    from parity.sources.compose_envfiles import env_file_findings, variables_findings

    linted = linted_env_files(project, environment)
    for cp in composes:
        env_file_findings(cp, col, linted=linted, secrets=project.config.secrets)
        variables_findings(cp, col, environment=environment, linted=linted, secrets=project.config.secrets)

    if environment in project.layerless:
        _layerless(project, environment, col, [f for c in composes for f in c.files])
    result = _Gathered(layers, base, tuple(col.findings), blocked)
    watched = _watched(project, environment, col)
    _MEMO[memo_key] = (watched, _signature(watched), result)
    return result


def _layerless(project: Project, environment: str, col: Collector, compose: list[Path]) -> None:
    """SRC030: say what stands in for an environment that nothing in the repository names."""
    used = ", ".join(col.rel(p) or str(p) for p in compose[:4]) + (" …" if len(compose) > 4 else "")
    k8s = sorted({col.rel(u.file) or "" for u in project.units if u.kind == "k8s"})
    parts = [p for p in (used, ", ".join(k8s[:3])) if p]
    col.add(
        "SRC030",
        # What parity assumed, not a gap in the repository: a note, so a CI gate does not warn on
        # every run of a repository that deploys from its only compose file.
        Severity.INFO,
        f"no {environment} layer found (no .env.{environment}, compose.{environment}.yml, "
        f"{environment}/ folder, k8s overlay or values-{environment}.yaml); analysed "
        + (" and ".join(parts) if parts else "the env files")
        + f" as what {environment} runs, for {len(project.services)} services",
        compose[0] if compose else None,
        None,
        fix=f"add the {environment} layer (e.g. .env.{environment} or compose.{environment}.yml) "
        "so parity compares what really runs there",
    )


def _show(v: SourceValue | EnvValue, extra: list[str]) -> str:
    if isinstance(v, SourceValue) and v.secret:
        return fingerprint(v.value)
    return clip(display(v.key, v.value, extra))


def _winning(layers: tuple[tuple[SourceValue, ...], ...], kinds: tuple[str, ...]) -> dict[str, SourceValue]:
    top: dict[str, SourceValue] = {}
    for layer in layers:
        for v in layer:
            if v.layer in kinds:
                top[v.key] = v
    return top


def _conflicts(
    project: Project,
    service: EnvLayer,
    environment: str,
    layers: tuple[tuple[SourceValue, ...], ...],
    base: dict[str, EnvValue],
    col: Collector,
) -> None:
    extra = project.config.secrets
    for key, sv in _winning(layers, RUNTIME_LAYERS).items():
        env_value = base.get(key)
        if env_value is None or env_value.value == sv.value:
            continue
        target = _target_for(project, key, sv)
        where = f"{col.rel(sv.file)}:{sv.line} ({sv.layer} {sv.detail})"
        env_where = f"{col.rel(env_value.file)}:{env_value.line}"
        # A warning, not an error: the runtime value is what production really runs with; the
        # contradiction is of intent, and parity cannot write the compose/k8s file to settle it.
        col.add(
            "SRC005",
            Severity.WARNING,
            f"{key} is {_show(sv, extra)} at runtime from {where}, overriding {env_where} which says "
            f"{_show(env_value, extra)}; editing the env file changes nothing",
            sv.file,
            sv.line,
            key=key,
            service=service.name,
            fix=f"change {key} in {col.rel(target.file)}"
            + (f":{target.line}" if target.line else "")
            + f" (or remove it there so {env_where} applies)",
        )


def _target_for(project: Project, key: str, sv: SourceValue) -> WriteTarget:
    rel = project.rel(sv.file)
    if sv.via is not None:
        vfile, vline = sv.via
        reason = (
            f"{key} comes from env_file {project.rel(vfile)}"
            if sv.detail == "env_file"
            else f"{rel}:{sv.line} takes {key} from {project.rel(vfile)}"
        )
        return WriteTarget(key, vfile, vline, sv.layer, True, reason)
    return WriteTarget(
        key,
        sv.file,
        sv.line,
        sv.layer,
        False,
        f"{rel}:{sv.line} ({sv.layer}) overrides the env files at runtime",
    )


def _service(project: Project, service: EnvLayer | str) -> EnvLayer:
    return project.service(service) if isinstance(service, str) else service


def collect_values(
    project: Project, service: EnvLayer | str, environment: str
) -> tuple[tuple[SourceValue, ...], ...]:
    """Like :func:`collect`, with each value's detail (``environment``, ``ConfigMap x``) and Secret flag."""
    svc = _service(project, service)
    return _gather(project, environment).layers.get(svc.name, ())


def collect(project: Project, service: EnvLayer, environment: str) -> SourceLayers:
    """The layers that override ``service``'s env files at runtime in ``environment``, lowest first.

    Each layer is a tuple of ``EnvValue`` with ``layer`` "config", "compose" or "k8s" and the
    file and line that hold the value. Never raises on bad input: see :func:`source_findings`.
    """
    return tuple(
        tuple(v.env_value() for v in layer) for layer in collect_values(project, service, environment)
    )


def collect_all(project: Project, environment: str) -> dict[str, SourceLayers]:
    """:func:`collect` for every service at once: service name → its layers."""
    g = _gather(project, environment)
    return {
        s.name: tuple(tuple(v.env_value() for v in layer) for layer in g.layers.get(s.name, ()))
        for s in project.services
    }


def source_findings(project: Project, environment: str) -> list[Finding]:
    """Broken sources (``SRC001``…) and runtime overrides that contradict an env file (``SRC005``)."""
    return list(_gather(project, environment).findings)


def blocked_values(project: Project, environment: str) -> dict[tuple[str, str], tuple[str, int]]:
    """``(service, key)`` → ``(file, line)`` of each compose ``environment:`` value that compose
    cannot build in ``environment`` (a required variable unset, a malformed ``${…}``): the key is
    missing because of that error, which the sources report once (SRC004/SRC008)."""
    g = _gather(project, environment)
    return {(svc, key): where for svc, keys in g.blocked.items() for key, where in keys.items()}


def secret_values(project: Project, environment: str) -> set[str]:
    """Every value that came from a Kubernetes Secret: for ``mask_text`` whatever its key looks like."""
    g = _gather(project, environment)
    return {
        v.value for layers in g.layers.values() for layer in layers for v in layer if v.secret and v.value
    }


def writable_target(project: Project, service: EnvLayer | str, environment: str, key: str) -> WriteTarget:
    """Which file must change to set ``key`` for ``service`` in ``environment``.

    A compose or Kubernetes layer that sets the key wins at runtime, so its file is the
    target (or the env file it reads the value from: a compose ``env_file:`` or the project
    ``.env`` behind ``${VAR}``), never the service's ``.env.<env>``. Otherwise the env file
    that defines the key now, else the service's own file, where a new key goes.
    """
    svc = _service(project, service)
    g = _gather(project, environment)
    top = _winning(g.layers.get(svc.name, ()), (*RUNTIME_LAYERS, "config"))
    if key in top:
        return _target_for(project, key, top[key])
    current = g.base.get(svc.name, {}).get(key)
    if current is not None:
        return WriteTarget(
            key,
            current.file,
            current.line,
            current.layer,
            True,
            f"{key} is set in {project.rel(current.file)}",
        )
    file, line, writable = svc.write_target(environment)
    if not writable and svc.units and svc.units[0].kind == "compose":
        # The compose entry passes ``${KEY}`` on: the key is set in the project's variables file.
        from parity.sources.compose import variables_file

        u = svc.units[0]
        try:
            text = project.fs.read_text(u.file, errors="replace")
        except (OSError, FileRefused):
            text = ""
        if "${" + key in text or "$" + key in text.split():
            vfile = variables_file(u.home, environment)
            return WriteTarget(
                key,
                vfile,
                None,
                "compose",
                True,
                f"{project.rel(u.file)} takes {key} from {project.rel(vfile)}",
            )
    if not writable:
        return WriteTarget(
            key,
            file,
            line,
            svc.units[0].kind if svc.units else "service",
            False,
            f"{key} is not set anywhere; add it to the environment of {svc.name} at {project.rel(file)}:{line}",
        )
    return WriteTarget(
        key,
        file,
        None,
        "service",
        True,
        f"{key} is not set anywhere; add it to the file {svc.name} reads",
    )
