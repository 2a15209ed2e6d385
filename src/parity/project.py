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
from parity.runtime import (
    BUILD_FILES,
    DEPLOY_FOLDERS,
    RuntimeUnit,
    compose_files_in,
    compose_units,
    image_name,
    k8s_units,
    packaging_only,
)
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
_NOT_ENVS = {
    "bak",
    "backup",
    "orig",
    "swp",
    "tmp",
    "old",
    "save",
    "local",
    "example",
    "sample",
    "template",
    # Not environments either: a patch to apply, an override layer loaded over every environment.
    "patch",
    "diff",
    "override",
    "dist",
    "defaults",
}


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
    # What the runtime runs for this service (compose services, k8s containers); empty for a
    # folder found by its env files alone. See parity.runtime.
    units: tuple[RuntimeUnit, ...] = ()
    image_only: bool = False  # the repository ships no code for it: its code is in a published image
    inherits_root: bool = True  # the root ``.env.<env>`` layer reaches it
    code: Path | None = None  # the code folder when it is not ``path`` (built from the root, say)

    @property
    def code_folder(self) -> Path | None:
        """The folder its code is in; None for an image-only service."""
        return None if self.image_only else (self.code or self.path)

    @property
    def idle(self) -> bool:
        """A published image the runtime gives no env: it runs, but nothing of it is checked."""
        return self.image_only and not self.env_files and not any(u.has_env for u in self.units)

    @property
    def from_runtime(self) -> bool:
        """Its env comes from compose or manifests, not from a folder of ``.env.*`` files."""
        return bool(self.units) and not self.env_files

    def rel(self, root: Path) -> str:
        r = self.path.relative_to(root).as_posix()
        return r if r != "." else "."

    def file_for(self, environment: str) -> Path:
        """The file for ``environment``, existing or the one a writer would create."""
        return self.env_files.get(environment, self.path / f".env.{environment}")

    def write_target(self, environment: str) -> tuple[Path, int | None, bool]:
        """Where a key this service lacks in ``environment`` goes: ``(file, line, is an env file)``.

        Its own ``.env.<environment>``; else, for a service the runtime configures, the env file
        its ``env_file:`` names (the one named for the environment first), else the compose file
        or manifest line that declares it (parity does not write those); else the ``.env.<env>``
        of its folder.
        """
        if environment in self.env_files:
            return self.env_files[environment], None, True
        if not self.units:
            return self.file_for(environment), None, True
        env_files = [f for u in self.units for f in u.env_files if f.is_file()]
        named = [f for f in env_files if environment in f.name or environment[:4] in f.name]
        if named or env_files:
            return (named or env_files)[-1], None, True
        u = self.units[0]
        return u.file, u.line, False


@dataclass(frozen=True, slots=True)
class Project:
    root: Path
    services: tuple[EnvLayer, ...]
    shared: EnvLayer
    environments: tuple[str, ...]
    config: ParityConfig
    config_file: Path | None = None
    # Environments asked for that have no layer of their own (no env file, compose file or
    # overlay for them): the base runtime files stand in for them, and the report says so.
    layerless: tuple[str, ...] = ()
    idle: tuple[str, ...] = ()  # runtime services with nothing to check (see EnvLayer.idle)

    @property
    def units(self) -> tuple[RuntimeUnit, ...]:
        return tuple(u for s in self.services for u in s.units)

    def sharing_code(self, name: str) -> tuple[str, ...]:
        """Services run from the same code folder as ``name`` (itself included): a read in that code
        is a read of each of them (the server, worker and scheduler of one app)."""
        mine = next((s.code_folder for s in self.services if s.name == name), None)
        if mine is None:
            return (name,)
        return tuple(s.name for s in self.services if s.code_folder == mine) or (name,)

    def code_services(self) -> tuple[EnvLayer, ...]:
        """Services whose code is in the repository (image-only ones own no code folder)."""
        return tuple(s for s in self.services if not s.image_only)

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


def root_applies(service: EnvLayer, shared: EnvLayer) -> bool:
    """Whether the root layer reaches ``service``: not when the service *is* the root folder (its
    files are the root's), nor for a runtime unit that does not read the root env."""
    if not service.inherits_root:
        return False
    return not (shared.path == service.path and not service.units)


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


EXTRA_EXAMPLE_NAMES = (".env.dist", "example.env", "env.example", "sample.env", ".env.defaults")
_KNOWN_ENVS = {"production", "staging", "development", "test", *ENV_ALIASES}


def _example_of(name: str) -> int | None:
    """Rank of ``name`` as an example file (lower wins), None when it is not one."""
    if name in EXAMPLE_NAMES:
        return 0
    if name in EXTRA_EXAMPLE_NAMES:
        return 1
    # ``.env.production.sample``, ``.env.prod.example``: an example, of one environment.
    parts = name.split(".")
    if len(parts) == 4 and parts[:2] == ["", "env"] and parts[3] in ("example", "sample", "template"):
        return 2
    return None


def _env_file_of(name: str) -> tuple[str, int] | None:
    """``(environment, rank)`` of an env file name; lower rank wins for one environment."""
    env = environment_of(name)
    if env:
        return env, 0 if name == f".env.{env}" else 1
    parts = name.split(".")
    # ``.env.production.local`` (the Next.js/Vite spelling of a machine's own production file).
    if (
        len(parts) == 4
        and parts[:2] == ["", "env"]
        and parts[3] == "local"
        and parts[2].lower() in _KNOWN_ENVS
    ):
        return normalize_environment(parts[2]), 2
    # ``production.env``, ``config/production.env``.
    if len(parts) == 2 and parts[1] == "env" and parts[0].lower() in _KNOWN_ENVS:
        return normalize_environment(parts[0]), 3
    return None


def _scan_folder(folder: Path) -> tuple[Path | None, dict[str, Path]]:
    example: tuple[int, Path] | None = None
    envs: dict[str, tuple[int, Path]] = {}
    candidates: list[Path] = []
    for where in (folder, folder / "config"):
        try:
            names = sorted(os.listdir(where))
        except OSError:
            continue
        candidates.extend(where / n for n in names)
    for path in candidates:
        name = path.name
        in_config = path.parent != folder
        rank = _example_of(name) if not in_config else None
        if rank is not None:
            if example is None or rank < example[0]:
                example = (rank, path)
            continue
        found = _env_file_of(name)
        if found is None or (in_config != (found[1] == 3)):
            continue  # ``<env>.env`` counts in a ``config/`` folder, ``.env.<env>`` beside the code
        env, erank = found
        erank += 4 if in_config else 0
        # An alias never shadows the canonical spelling: .env.production wins over .env.prod.
        if env not in envs or erank < envs[env][0]:
            envs[env] = (erank, path)
    return (example[1] if example else None), {e: p for e, (_, p) in envs.items()}


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
            if child.name in SKIP_DIRS or child.name.startswith(".") or _own_project(child):
                continue
            rel = child.relative_to(root).as_posix() + "/"
            if ignore.match_file(rel):
                continue
            ex, envs = _scan_folder(child)
            if ex or envs:
                found.append(child)
            stack.append((child, depth + 1))
    return sorted(found)


def project_root(start: Path) -> Path:
    """The project a working folder belongs to: the first folder from ``start`` up that holds a
    ``parity.toml`` or is a git top level (``.git``); ``start`` itself when there is none."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "parity.toml").is_file() or (folder / ".git").exists():
            return folder
    return start


def _own_project(folder: Path) -> bool:
    """A folder that is a project of its own (a nested repository, a checkout, its own parity.toml):
    its env files describe other deployments, never this one's."""
    return (folder / ".git").exists() or (folder / "parity.toml").is_file()


def discover(root: Path | str) -> Project:
    """Find services, environments and env files under ``root`` (config overrides discovery).

    ``.`` means the working folder's project (see :func:`project_root`); folders below ``root``
    that are projects of their own are not walked."""
    root = project_root(Path.cwd()) if Path(root) == Path(".") else Path(root).resolve()
    if not root.exists():
        raise DiscoveryError("no such folder", file=root)
    if not root.is_dir():
        raise DiscoveryError("not a folder", file=root)
    config, config_file = load_config(root)
    check_config_paths(root, config, config_file)

    folders: list[tuple[str | None, Path, tuple[str, ...]]] = []
    given_shape: dict[str, tuple[bool, bool, Path | None]] = {}
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
            code = (root / sc.code).resolve() if sc.code else None
            given_shape[name] = (sc.image_only, sc.root_env, code)
    else:
        folders = [(None, p, ()) for p in _walk(root, _gitignore(root))]

    root_example, root_envs = _scan_folder(root)
    shared = EnvLayer(".", root, root_example, root_envs)
    services: list[EnvLayer] = []
    basenames = [p.name for _, p, _ in folders]
    for given, path, overrides in folders:
        if path == root and not (
            given and given in given_shape and (given_shape[given][0] or given_shape[given][2])
        ):
            continue
        ex, envs = _scan_folder(path) if path != root else (None, {})
        label = given or (path.name if basenames.count(path.name) == 1 else path.relative_to(root).as_posix())
        image_only, root_env, code = given_shape.get(label, (False, True, None))
        if image_only:
            ex, envs = None, {}
        services.append(EnvLayer(label, path, ex, envs, overrides, (), image_only, root_env, code))
    units = find_units(root, config) if config.sources.compose or config.sources.kubernetes else []
    folder_found = bool(services)
    services = attach_units(
        root, services, units, configured=bool(config.services), workloads=config.sources.workloads
    )
    idle = tuple(s.name for s in services if s.idle)
    services = [s for s in services if not s.idle]
    has_code = any(s.code_folder is not None for s in services)
    if units and not folder_found and not has_code and (root_example or root_envs):
        # The app at the root runs outside compose (compose runs only its databases): it is a
        # service too, with the root's files as its own.
        services.append(EnvLayer(root.name, root, root_example, root_envs))
        shared = EnvLayer(".", root)
    if not services and (root_example or root_envs):
        # A single-service repository: the root is the service and there is no shared layer.
        services.append(EnvLayer(root.name, root, root_example, root_envs))
        shared = EnvLayer(".", root)

    envs_seen: dict[str, None] = {}
    for layer in (shared, *services):
        for env in layer.env_files:
            envs_seen.setdefault(env, None)
    for env in runtime_environments(root, units):
        envs_seen.setdefault(env, None)
    environments = tuple(config.environments) or tuple(sorted(envs_seen, key=_env_order))
    return Project(root, tuple(services), shared, environments, config, config_file, idle=idle)


def find_units(root: Path, config: ParityConfig) -> list[RuntimeUnit]:
    """Compose services and Kubernetes containers of the repository (see :mod:`parity.runtime`)."""
    repo = Repo(root, config.limits.max_file_bytes)
    ignore = _gitignore(root)
    units: list[RuntimeUnit] = []
    if config.sources.compose:
        if config.sources.compose_files:
            files = [root / p for fs in config.sources.compose_files.values() for p in fs]
            files = [f for f in dict.fromkeys(files) if f.is_file()]
        else:
            files = compose_files_in(root, ignore.match_file)
        units.extend(compose_units(files, root, repo))
    folders = [root / f for f in config.sources.kubernetes]
    units.extend(k8s_units([f for f in folders if f.is_dir()], root, repo))
    return units


def runtime_environments(root: Path, units: list[RuntimeUnit]) -> list[str]:
    """Environments the runtime files name: ``compose.production.yml``, ``docker/production/``,
    ``k8s/overlays/staging``."""
    out: list[str] = []
    for u in units:
        rel = u.file.relative_to(root).parts if u.file.is_relative_to(root) else ()
        tokens = [*rel[:-1], *u.file.name.split(".")[1:-1]]
        for t in tokens:
            env = "production" if t.lower() in ("deploy", "deployment") else normalize_environment(t)
            if env in ("production", "staging"):
                out.append(env)
    return out


def _unique_names(units: list[RuntimeUnit], root: Path) -> dict[int, str]:
    """A unit's service name: its own, or ``<folder>/<name>`` when two compose projects share it."""
    homes: dict[str, set[Path]] = {}
    for u in units:
        homes.setdefault(u.name, set()).add(u.home)
    out: dict[int, str] = {}
    for i, u in enumerate(units):
        if len(homes[u.name]) > 1 and u.home != root:
            out[i] = f"{u.home.relative_to(root).as_posix()}/{u.name}"
        else:
            out[i] = u.name
    return out


def _code_folders(root: Path, ignore: pathspec.GitIgnoreSpec) -> dict[str, Path]:
    """Folder name → folder, for folders up to depth 2 that hold something an image is built from."""
    out: dict[str, Path] = {}
    for folder in [root, *(p for p in _walk_dirs(root, ignore, 2))]:
        if any((folder / b).is_file() for b in BUILD_FILES):
            out.setdefault(folder.name, folder)
    return out


def _walk_dirs(root: Path, ignore: pathspec.GitIgnoreSpec, depth: int) -> list[Path]:
    out: list[Path] = []
    stack = [(root, 0)]
    while stack:
        folder, d = stack.pop()
        if d >= depth:
            continue
        try:
            children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())
        except OSError:
            continue
        for c in children:
            if (
                c.name in SKIP_DIRS
                or c.name.startswith(".")
                or _own_project(c)
                or ignore.match_file(c.relative_to(root).as_posix() + "/")
            ):
                continue
            out.append(c)
            stack.append((c, d + 1))
    return out


def _code_of(
    unit: RuntimeUnit, root: Path, by_image: dict[str, Path], folders: dict[str, Path]
) -> Path | None:
    """The code folder of a unit: its build context, else the folder its image is built from."""
    if unit.code is not None:
        return unit.code
    name = image_name(unit.image)
    if not name:
        return None
    if name in by_image:
        return by_image[name]
    # An image published under the repository's name (``ghcr.io/org/<repo>``) or a folder's
    # (``springcommunity/spring-petclinic-vets-service``, ``huginn/huginn-single-process``) is
    # built from that folder when it holds a Dockerfile or a build file.
    if name == root.name and root.name in folders:
        return root
    found = folders[name] if name in folders and folders[name] != root else None
    if found is None:
        suffix = [f for n, f in folders.items() if f != root and name.endswith("-" + n)]
        found = suffix[0] if len(suffix) == 1 else None
    if found is not None and packaging_only(found, root):
        # ``docker/single-process/`` holds the Dockerfile that packages the app at the root.
        return root
    return found


def attach_units(
    root: Path,
    services: list[EnvLayer],
    units: list[RuntimeUnit],
    *,
    configured: bool,
    workloads: dict[str, str] | None = None,
) -> list[EnvLayer]:
    """Services as the runtime runs them: each unit joins the folder service it is built from
    (or the configured service of its name); a folder several units are built from becomes one
    service per unit; the rest become services of their own (image-only when no code is found)."""
    if not units:
        return services
    root = root.resolve()
    by_image: dict[str, Path] = {}
    for u in units:
        if u.code is not None and image_name(u.image):
            by_image.setdefault(image_name(u.image), u.code)
    names = _unique_names(units, root)
    folders = _code_folders(root, _gitignore(root))
    joined: dict[str, list[RuntimeUnit]] = {s.name: [] for s in services}
    own: dict[str, list[RuntimeUnit]] = {}
    code_for: dict[str, Path | None] = {}
    unit_code: dict[int, Path | None] = {}
    for i, u in enumerate(units):
        name = names[i]
        code = _code_of(u, root, by_image, folders)
        unit_code[id(u)] = code
        wanted = (workloads or {}).get(u.name, name)
        target = next((s for s in services if s.name == wanted), None)
        if target is None and code is not None:
            holders = [
                s for s in services if code == s.path.resolve() or code.is_relative_to(s.path.resolve())
            ]
            target = max(holders, key=lambda s: len(s.path.parts), default=None)
        if target is None and image_name(u.image):
            # ``shop/api:1.2``, ``registry/shop-worker:2.0``: the image named after a service folder.
            iname = image_name(u.image)
            target = next((s for s in services if iname == s.name or iname.endswith("-" + s.name)), None)
        if target is None:
            # A unit whose env_file lives in a folder of env files (``docker/.env``) runs with them.
            target = next(
                (s for s in services for f in u.env_files if f.parent == s.path.resolve() and s.path != root),
                None,
            )
        if target is not None:
            joined[target.name].append(u)
        elif not configured:
            # A compose service and a k8s container of one name are one service run two ways.
            own.setdefault(name, []).append(u)
            code_for[name] = code_for.get(name) or code
    out: list[EnvLayer] = []
    taken = {s.name for s in services}
    for s in services:
        mine = joined[s.name]
        built_from = {unit_code[id(u)] for u in mine} - {None}
        if s.code is None and len(built_from) == 1 and mine[0].kind == "compose":
            # A folder of env files (``docker/.env``) whose units are built from elsewhere
            # (``context: ..``): the code is where the build says.
            (code,) = built_from
            if code is not None and code != s.path.resolve():
                s = _replace(s, code=code)
        distinct = list(dict.fromkeys(u.name for u in mine))
        if len(distinct) <= 1 or configured:
            # A deployment folder found by its env files (``docker/.env.example``) takes the name
            # its runtime gives it; a code folder keeps its own.
            generic = s.path.name.lower() in DEPLOY_FOLDERS
            label = (
                distinct[0]
                if generic and len(distinct) == 1 and not configured and distinct[0] not in taken
                else s.name
            )
            out.append(_replace(s, name=label, units=tuple(mine)))
            continue
        # Server, worker and scheduler built from one folder: one service each, sharing its files.
        for n in distinct:
            label = n if n not in taken else f"{s.name}-{n}"
            out.append(_replace(s, name=label, units=tuple(u for u in mine if u.name == n)))
    for name, mine in own.items():
        code = code_for.get(name)
        if code is None and not any(u.has_env for u in mine):
            # A published image given no env (a cache, a proxy): it runs, but has nothing to check.
            out.append(EnvLayer(name, mine[0].home, None, {}, (), tuple(mine), True, False, None))
            continue
        reads_root = any(u.reads_root_env for u in mine)
        if code is not None and code != root:
            ex, envs = _scan_folder(code)
            out.append(EnvLayer(name, code, ex, envs, (), tuple(mine), False, True))
        else:
            home = mine[0].home if mine[0].kind == "compose" else root
            # Compose hands a container the root env only through an env_file naming it.
            inherits = code == root or reads_root
            out.append(EnvLayer(name, home, None, {}, (), tuple(mine), code is None, inherits, code))
    return out


def _replace(layer: EnvLayer, **changes: object) -> EnvLayer:
    import dataclasses

    return dataclasses.replace(layer, **changes)  # type: ignore[arg-type]


def _env_order(env: str) -> tuple[int, str]:
    order = {"development": 0, "test": 1, "staging": 2, "production": 3}
    return (order.get(env, 1), env)


def normalize_environment(name: str) -> str:
    return ENV_ALIASES.get(name.lower(), name.lower())
