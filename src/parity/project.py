"""Discovery: a repository folder → services, environments and their env files.

Zero config: a *service* is a folder holding an example file (``.env.example``,
``.env.sample``, ``.env.template``) or any ``.env.<environment>`` file, searched up to
depth 3 below the root, skipping what ``.gitignore`` ignores. Env files at the root are
the shared layer every service inherits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from parity.config import ParityConfig, load_config
from parity.errors import ConfigError, DiscoveryError, FileRefused
from parity.safefs import Repo

EXAMPLE_NAMES = (".env.example", ".env.sample", ".env.template")
ENV_ALIASES = {"prod": "production", "stage": "staging", "stg": "staging", "dev": "development"}
SKIP_DIRS = {
    "node_modules",
    ".venv",
    "venv",
    ".git",
    ".parity",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    "dist",
    "build",
}
MAX_DEPTH = 3
# Suffixes that are editor or backup leftovers, never an environment.
_NOT_ENVS = {"bak", "backup", "orig", "swp", "tmp", "old", "save", "local", "example", "sample", "template"}


def environment_of(filename: str) -> str | None:
    """``.env.production`` → ``production``; ``.env.prod`` → ``production``; ``.env`` → None."""
    if not filename.startswith(".env.") or filename in EXAMPLE_NAMES:
        return None
    suffix = filename[len(".env.") :]
    if not suffix or "." in suffix or suffix.lower() in _NOT_ENVS:
        return None
    return ENV_ALIASES.get(suffix.lower(), suffix.lower())


@dataclass(frozen=True, slots=True)
class EnvLayer:
    """The env files of one folder: the root's shared layer, or a service's own."""

    name: str
    path: Path
    example: Path | None = None
    env_files: dict[str, Path] = field(default_factory=dict)
    overrides: tuple[str, ...] = ()

    def rel(self, root: Path) -> str:
        r = self.path.relative_to(root).as_posix()
        return r if r != "." else "."

    def file_for(self, environment: str) -> Path:
        """The file for ``environment``, existing or the one a writer would create."""
        return self.env_files.get(environment, self.path / f".env.{environment}")


@dataclass(frozen=True, slots=True)
class Project:
    root: Path
    services: tuple[EnvLayer, ...]
    shared: EnvLayer
    environments: tuple[str, ...]
    config: ParityConfig
    config_file: Path | None = None

    @property
    def fs(self) -> Repo:
        """The gate every read of a repository file goes through (root + ``[limits]``)."""
        return Repo(self.root, self.config.limits.max_file_bytes)

    def service(self, name: str) -> EnvLayer:
        for s in self.services:
            if s.name == name or s.rel(self.root) == name:
                return s
        raise DiscoveryError(
            f"no service named '{name}'",
            file=self.root,
            hint="known: " + ", ".join(s.name for s in self.services),
        )

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def _gitignore(root: Path) -> pathspec.GitIgnoreSpec:
    lines: list[str] = []
    try:
        lines = Repo.at(root).read_text(root / ".gitignore", errors="replace").splitlines()
    except (OSError, FileRefused):
        lines = []  # missing, or nothing parity reads (a link out, a FIFO): no rules
    return pathspec.GitIgnoreSpec.from_lines(lines)


def config_paths(config: ParityConfig) -> list[tuple[str, str]]:
    """``(key, value)`` of every config value set to name a repository file or folder."""
    out = [(f"services.{name}.path", sc.path) for name, sc in config.services.items()]
    out += [
        (f"sources.compose_files.{env}", p)
        for env, files in config.sources.compose_files.items()
        for p in files
    ]
    # Defaults are checked only when set: a default folder that links out is skipped by the readers.
    if "kubernetes" in config.sources.model_fields_set:
        out += [("sources.kubernetes", p) for p in config.sources.kubernetes]
    if "migrations" in config.schema_.model_fields_set:
        out.append(("schema.migrations", config.schema_.migrations))
    if config.schema_.source:
        # An import path (``app.models:Base``) reads as a plain name below the root, so it passes.
        out.append(("schema.source", config.schema_.source))
    return out


def check_config_paths(root: Path, config: ParityConfig, config_file: Path | None) -> None:
    """Refuse a config path that leads outside the repository (``..``, absolute, or through a link):
    the repository's config must not make parity read or write elsewhere."""
    repo = Repo.at(root)
    for key, value in config_paths(config):
        if not repo.contains(root / value):
            shown = value if len(value) <= 80 else value[:77] + "..."
            raise ConfigError(f"{key} = '{shown}' leads outside the repository", file=config_file, key=key)


def _scan_folder(folder: Path) -> tuple[Path | None, dict[str, Path]]:
    example: Path | None = None
    envs: dict[str, Path] = {}
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None, {}
    for name in names:
        if name in EXAMPLE_NAMES and example is None:
            example = folder / name
            continue
        env = environment_of(name)
        # An alias never shadows the canonical spelling: .env.production wins over .env.prod.
        if env and (env not in envs or name == f".env.{env}"):
            envs[env] = folder / name
    return example, envs


def _walk(root: Path, ignore: pathspec.GitIgnoreSpec) -> list[Path]:
    found: list[Path] = []
    stack: list[tuple[Path, int]] = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        if depth >= MAX_DEPTH:
            continue
        try:
            children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())
        except OSError:
            continue
        for child in children:
            if child.name in SKIP_DIRS or child.name.startswith("."):
                continue
            rel = child.relative_to(root).as_posix() + "/"
            if ignore.match_file(rel):
                continue
            ex, envs = _scan_folder(child)
            if ex or envs:
                found.append(child)
            stack.append((child, depth + 1))
    return sorted(found)


def discover(root: Path | str) -> Project:
    """Find services, environments and env files under ``root`` (config overrides discovery)."""
    root = Path(root).resolve()
    if not root.exists():
        raise DiscoveryError("no such folder", file=root)
    if not root.is_dir():
        raise DiscoveryError("not a folder", file=root)
    config, config_file = load_config(root)
    check_config_paths(root, config, config_file)

    folders: list[tuple[str | None, Path, tuple[str, ...]]] = []
    if config.services:
        for name, sc in config.services.items():
            path = (root / sc.path).resolve()
            if not path.is_dir():
                raise DiscoveryError(
                    f"service '{name}' points at a missing folder",
                    file=config_file,
                    key=f"services.{name}.path",
                )
            folders.append((name, path, tuple(sc.overrides)))
    else:
        folders = [(None, p, ()) for p in _walk(root, _gitignore(root))]

    root_example, root_envs = _scan_folder(root)
    shared = EnvLayer(".", root, root_example, root_envs)
    services: list[EnvLayer] = []
    basenames = [p.name for _, p, _ in folders]
    for given, path, overrides in folders:
        if path == root:
            continue
        ex, envs = _scan_folder(path)
        label = given or (path.name if basenames.count(path.name) == 1 else path.relative_to(root).as_posix())
        services.append(EnvLayer(label, path, ex, envs, overrides))
    if not services and (root_example or root_envs):
        # A single-service repository: the root is the service and there is no shared layer.
        services.append(EnvLayer(root.name, root, root_example, root_envs))
        shared = EnvLayer(".", root)

    envs_seen: dict[str, None] = {}
    for layer in (shared, *services):
        for env in layer.env_files:
            envs_seen.setdefault(env, None)
    environments = tuple(config.environments) or tuple(sorted(envs_seen, key=_env_order))
    return Project(root, tuple(services), shared, environments, config, config_file)


def _env_order(env: str) -> tuple[int, str]:
    order = {"development": 0, "test": 1, "staging": 2, "production": 3}
    return (order.get(env, 1), env)


def normalize_environment(name: str) -> str:
    return ENV_ALIASES.get(name.lower(), name.lower())
