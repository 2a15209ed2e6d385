"""Effective env: what a service sees in an environment.

For service S in environment E it is the root ``.env.E`` overlaid by ``S/.env.E`` (the
service wins). ``${VAR}`` and ``${VAR:-default}`` resolve as python-dotenv resolves them,
against the values bound earlier in those layers (python-dotenv expands quoted values
too, single quotes included); the process environment of the machine
running parity is deliberately *not* consulted, so results do not depend on who runs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from dotenv.variables import parse_variables

from parity.env.parse import read_env_file
from parity.model.env import EffectiveEnv, EnvFile, EnvValue
from parity.project import EnvLayer, Project, root_applies
from parity.safefs import Repo


class RuntimeLayers(Protocol):
    """What the runtime lays over a service's env files (compose ``environment:``, Kubernetes
    container env), lowest first: given by :mod:`parity.sources`, which ``env`` does not import."""

    def __call__(
        self, project: Project, service: EnvLayer, environment: str
    ) -> tuple[tuple[EnvValue, ...], ...]: ...


class EnvFiles:
    """Reads each env file once per run, through ``repo`` (the project's, so a link out of the
    repository, a FIFO or a file over the cap is refused); a missing file reads as ``None``.

    ``runtime`` gives the layers the runtime puts on top (see :func:`parity.facts.env_files`);
    without it an effective env is what the env files alone give.
    """

    def __init__(self, repo: Repo | None = None, runtime: RuntimeLayers | None = None) -> None:
        self.repo = repo
        self.runtime = runtime
        self._cache: dict[Path, EnvFile | None] = {}

    def get(self, path: Path | None) -> EnvFile | None:
        if path is None:
            return None
        if path not in self._cache:
            self._cache[path] = read_env_file(path, self.repo) if os.path.lexists(path) else None
        return self._cache[path]

    def forget(self, path: Path) -> None:
        self._cache.pop(path, None)


def resolve(files: Iterable[tuple[EnvFile, str]], service: str, environment: str) -> EffectiveEnv:
    """Overlay ``files`` in order (later wins), interpolating as python-dotenv does."""
    values: dict[str, EnvValue] = {}
    bound: dict[str, str | None] = {}
    for env_file, layer in files:
        for entry in env_file.entries:
            if entry.value is None:
                # ``KEY`` with no ``=``: python-dotenv binds None; a loader exports nothing.
                continue
            value = entry.value
            if "${" in value:
                value = "".join(atom.resolve(bound) for atom in parse_variables(value))
            bound[entry.key] = value
            values[entry.key] = EnvValue(entry.key, value, env_file.path, entry.line, layer)
    return EffectiveEnv(service, environment, values)


def layer_files(
    project: Project, service: EnvLayer, environment: str, files: EnvFiles
) -> list[tuple[EnvFile, str]]:
    """The files that make up ``service``'s env in ``environment``, lowest precedence first.

    ``environment`` may be ``"example"`` for the reference layer built from example files.
    """
    out: list[tuple[EnvFile, str]] = []
    for layer, label in ((project.shared, "root"), (service, "service")):
        if label == "root" and not root_applies(service, layer):
            continue
        path = layer.example if environment == "example" else layer.env_files.get(environment)
        f = files.get(path)
        if f is not None:
            out.append((f, label))
    return out


RUNTIME_LAYERS = ("compose", "k8s")


def effective_env(
    project: Project,
    service: EnvLayer,
    environment: str,
    files: EnvFiles | None = None,
    *,
    runtime: bool = True,
) -> EffectiveEnv:
    """What ``service`` sees in ``environment``.

    With ``runtime`` (the default) the Docker Compose ``environment:`` and Kubernetes container
    env that override the env files at run time are laid on top, as ``files.runtime`` gives them
    (see :mod:`parity.sources`); without it, the env files alone (what parity can write, and what
    consolidation must keep).
    """
    files = files or EnvFiles(project.fs)
    env = resolve(layer_files(project, service, environment, files), service.name, environment)
    if not runtime or environment == "example" or files.runtime is None:
        return env
    values = dict(env.values)
    baked: dict[str, EnvValue] = {}
    for layer in files.runtime(project, service, environment):
        for v in layer:
            if v.layer in RUNTIME_LAYERS:
                values[v.key] = v
            elif v.layer == "image":
                baked[v.key] = v
    # The image's ENV is the container's env before anything else: it holds where nothing else
    # sets the key. It never wins over an env file, where a fix goes and a reader looks.
    for key, v in baked.items():
        values.setdefault(key, v)
    return EffectiveEnv(service.name, environment, values)


def all_effective(
    project: Project, environment: str, files: EnvFiles | None = None, *, runtime: bool = True
) -> dict[str, EffectiveEnv]:
    files = files or EnvFiles(project.fs)
    return {s.name: effective_env(project, s, environment, files, runtime=runtime) for s in project.services}
