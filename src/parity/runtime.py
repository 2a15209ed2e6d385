"""Runtime units: what a deployment runs, found without any config.

Real repositories rarely keep one folder per service with ``.env.<environment>`` files; what they
have is what the runtime reads: Compose services (``build.context``, ``env_file:``, ``image:``) and
Kubernetes workloads with their containers. A *runtime unit* is one such service or container,
mapped to the code folder it is built from (its build context), or to none when it runs a
published image. Several units may share one code folder (the server, worker and scheduler of one
app).

Only files that describe a deployment count: Compose files for development, tests and CI
(``compose.dev.yml``, ``docker-compose.ci-test.yml``, ``tests/…``, ``.devcontainer/…``) do not
make units, because nothing in production runs them. This module reads YAML only; it knows
nothing of env values (``parity.sources`` builds those) and imports nothing of parity but the
file gate.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity.errors import FileRefused
from parity.safefs import Repo

COMPOSE_NAME = re.compile(r"^(?:docker-)?compose(?:\.([\w.-]+))?\.ya?ml$", re.I)
# Tags (``compose.<tag>.yml``) and folder names that mark a file as not run in production.
NOT_DEPLOYED = re.compile(
    r"(?:^|[._-])(?:dev|develop|development|local|test|tests|testing|ci|e2e|devcontainer|"
    r"debug|override|example|sample|profiling|playwright|cypress)(?:$|[._-])",
    re.I,
)
SKIP_FOLDERS = {
    "node_modules",
    ".venv",
    "venv",
    ".git",
    ".parity",
    "__pycache__",
    "dist",
    "build",
    "tests",
    "test",
    "e2e",
    "cypress",
    "fixtures",
    "testdata",
}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet", "Pod"}
MAX_DEPTH = 3


@dataclass(frozen=True, slots=True)
class RuntimeUnit:
    """One Compose service or Kubernetes container that a deployment runs."""

    name: str
    kind: str  # "compose" | "k8s"
    file: Path  # the compose file or manifest that declares it (the first one seen)
    line: int
    home: Path  # the compose project folder, or the manifests folder
    code: Path | None  # the build context inside the repository; None: a published image
    image: str | None
    reads_root_env: bool  # an ``env_file:`` names an env file at the repository root
    env_files: tuple[Path, ...] = ()  # the ``env_file:`` paths, resolved
    has_env: bool = True  # it is given env (``environment:``, ``env_file:``, a container ``env``)
    profiles: tuple[str, ...] = ()  # compose ``profiles:``; none: it runs with every profile


def _deployed(rel_parts: tuple[str, ...], filename: str) -> bool:
    m = COMPOSE_NAME.match(filename)
    tag = m.group(1) if m else None
    if tag and NOT_DEPLOYED.search(tag):
        return False
    return not any(NOT_DEPLOYED.fullmatch(p) or p.lower() in SKIP_FOLDERS for p in rel_parts)


def compose_files_in(root: Path, is_ignored: Callable[[str], bool]) -> list[Path]:
    """Every Compose file up to depth 3 that a deployment could run (not dev, test or CI files)."""
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        rel = here.relative_to(root)
        depth = 0 if rel == Path(".") else len(rel.parts)
        keep = []
        for d in sorted(dirnames):
            if d.startswith(".") or d.lower() in SKIP_FOLDERS or depth + 1 > MAX_DEPTH:
                continue
            if (here / d).is_symlink() or is_ignored((rel / d).as_posix() + "/"):
                continue
            if (here / d / ".git").exists() or (here / d / "parity.toml").is_file():
                continue  # a project of its own (a nested checkout): not this repository's deployment
            keep.append(d)
        dirnames[:] = keep
        parts = () if rel == Path(".") else rel.parts
        for f in sorted(filenames):
            if COMPOSE_NAME.match(f) and _deployed(parts, f) and not is_ignored((rel / f).as_posix()):
                out.append(here / f)
    return out


def _load(path: Path, repo: Repo) -> list[Any]:
    import yaml  # only when a repository has compose files or manifests: startup stays light

    try:
        text = repo.read_text(path, errors="replace")
    except (OSError, FileRefused):
        return []
    try:
        return [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError:
        return []  # the sources report broken YAML with its line; discovery just skips it


def _lines(path: Path, repo: Repo) -> dict[str, int]:
    """``service name → line`` of the top-level ``services:`` keys (for messages that point at them)."""
    lines: dict[str, int] = {}
    try:
        text = repo.read_text(path, errors="replace")
    except (OSError, FileRefused):
        return lines
    in_services = False
    for n, line in enumerate(text.splitlines(), 1):
        if re.match(r"^services\s*:", line):
            in_services = True
            continue
        if in_services and re.match(r"^\S", line):
            in_services = False
        m = re.match(r"^  (?:\s*)?([\w.-]+)\s*:", line) if in_services else None
        if m and not line.startswith("   "):
            lines.setdefault(m.group(1), n)
    return lines


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:?+-][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def project_variables(home: Path, repo: Repo) -> dict[str, str]:
    """The compose project ``.env`` as plain ``KEY=VALUE`` pairs (enough to place a Dockerfile)."""
    out: dict[str, str] = {}
    try:
        text = repo.read_text(home / ".env", errors="replace")
    except (OSError, FileRefused):
        return out
    for line in text.splitlines():
        k, sep, v = line.strip().removeprefix("export ").partition("=")
        if sep and k and not k.startswith("#"):
            out[k.strip()] = v.strip().strip("'\"")
    return out


def _subst(text: str, variables: dict[str, str]) -> str | None:
    missing = False

    def one(m: re.Match[str]) -> str:
        nonlocal missing
        name = m.group(1) or m.group(2)
        if name not in variables:
            missing = True
        return variables.get(name, "")

    out = _VAR.sub(one, text)
    return None if missing else out


DEPLOY_FOLDERS = {
    "docker",
    "deploy",
    "deployment",
    "compose",
    "env",
    "envs",
    "config",
    "infra",
    "ops",
    "production",
}
BUILD_FILES = (
    "Dockerfile",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "package.json",
    "pyproject.toml",
    "setup.py",
    "go.mod",
    "Gemfile",
    "Cargo.toml",
)


def packaging_only(folder: Path, root: Path) -> bool:
    """A folder under ``docker/`` (or ``deploy/``…) with a Dockerfile and no build file of code."""
    parts = folder.relative_to(root).parts
    if not any(p.lower() in DEPLOY_FOLDERS for p in parts):
        return False
    return not any((folder / b).is_file() for b in BUILD_FILES if b != "Dockerfile")


def _context(build: Any, base: Path, variables: dict[str, str]) -> Path | None:
    """The folder the service's code is in: the build context, or the Dockerfile's folder when a
    monorepo builds every service from the root with ``dockerfile: src/<service>/Dockerfile``."""
    ctx = build.get("context", ".") if isinstance(build, dict) else build
    if not isinstance(ctx, str) or "://" in ctx or ctx.startswith("git@"):
        return None
    ctx = _subst(ctx, variables) if "$" in ctx else ctx
    if ctx is None:
        return None
    folder = (base / ctx).resolve()
    dockerfile = build.get("dockerfile") if isinstance(build, dict) else None
    if isinstance(dockerfile, str):
        dockerfile = _subst(dockerfile, variables) if "$" in dockerfile else dockerfile
        if dockerfile:
            where = (folder / dockerfile).resolve().parent
            # ``dockerfile: docker/Dockerfile`` with ``context: ..`` packages the app at the context.
            if where != folder and where.is_relative_to(folder) and not packaging_only(where, folder):
                return where
    return folder


def _env_file_paths(spec: Any, base: Path) -> list[Path]:
    items = spec if isinstance(spec, list) else [spec] if spec is not None else []
    out = []
    for item in items:
        p = item.get("path") if isinstance(item, dict) else item
        if isinstance(p, str) and "$" not in p:
            out.append((base / p).resolve())
    return out


def compose_units(files: list[Path], root: Path, repo: Repo) -> list[RuntimeUnit]:
    """The services of ``files``, merged by (project folder, name) across a folder's files."""
    units: dict[tuple[Path, str], RuntimeUnit] = {}
    real_root = root.resolve()
    for path in files:
        home = path.parent
        lines = _lines(path, repo)
        variables = project_variables(home, repo)
        for doc in _load(path, repo):
            services = doc.get("services") if isinstance(doc, dict) else None
            if not isinstance(services, dict):
                continue
            for name, spec in services.items():
                if not isinstance(spec, dict) or not isinstance(name, str):
                    continue
                code = _context(spec["build"], home, variables) if "build" in spec else None
                if code is not None and (not code.is_dir() or not repo.contains(code)):
                    code = None
                image = spec.get("image") if isinstance(spec.get("image"), str) else None
                env_files = _env_file_paths(spec.get("env_file"), home)
                reads_root = any(p.parent == real_root for p in env_files)
                has_env = bool(env_files) or bool(spec.get("environment"))
                raw_profiles = spec.get("profiles")
                profiles = tuple(str(p) for p in raw_profiles) if isinstance(raw_profiles, list) else ()
                key = (home, name)
                old = units.get(key)
                if old is None:
                    units[key] = RuntimeUnit(
                        name,
                        "compose",
                        path,
                        lines.get(name, 1),
                        home,
                        code,
                        image,
                        reads_root,
                        tuple(env_files),
                        has_env,
                        profiles,
                    )
                else:
                    # A later file of the same project adds to the service: keep what it says new.
                    units[key] = RuntimeUnit(
                        name,
                        "compose",
                        old.file,
                        old.line,
                        home,
                        old.code or code,
                        old.image or image,
                        old.reads_root_env or reads_root,
                        tuple(dict.fromkeys([*old.env_files, *env_files])),
                        old.has_env or has_env,
                        profiles or old.profiles,
                    )
    return list(units.values())


def _pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    kind = doc.get("kind")
    spec = doc.get("spec")
    if kind not in WORKLOAD_KINDS or not isinstance(spec, dict):
        return None
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    template = spec.get("template") if isinstance(spec, dict) else None
    pod = template.get("spec") if isinstance(template, dict) else None
    return pod if isinstance(pod, dict) else None


def k8s_units(folders: list[Path], root: Path, repo: Repo) -> list[RuntimeUnit]:
    """Containers of the workloads in the manifest folders (Helm templates are left to the sources)."""
    units: dict[str, RuntimeUnit] = {}
    for folder in folders:
        if not folder.is_dir() or not repo.contains(folder):
            continue
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "templates")
            for f in sorted(filenames):
                if not f.lower().endswith((".yaml", ".yml")):
                    continue
                path = Path(dirpath) / f
                for doc in _load(path, repo):
                    if not isinstance(doc, dict):
                        continue
                    docs = doc.get("items") if str(doc.get("kind", "")).endswith("List") else [doc]
                    for d in docs if isinstance(docs, list) else []:
                        pod = _pod_spec(d) if isinstance(d, dict) else None
                        containers = [c for c in (pod or {}).get("containers") or [] if isinstance(c, dict)]
                        meta = d.get("metadata") if isinstance(d, dict) else None
                        workload = meta.get("name") if isinstance(meta, dict) else None
                        if not containers or not isinstance(workload, str):
                            continue
                        # The workload is the unit (its first container the app; the rest sidecars).
                        c = containers[0]
                        image = c.get("image") if isinstance(c.get("image"), str) else None
                        has_env = bool(c.get("env") or c.get("envFrom"))
                        units.setdefault(
                            workload,
                            RuntimeUnit(workload, "k8s", path, 1, folder, None, image, False, (), has_env),
                        )
    return list(units.values())


def image_name(image: str | None) -> str:
    """``ghcr.io/org/shop-api:1.2`` → ``shop-api``."""
    if not image:
        return ""
    return image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
