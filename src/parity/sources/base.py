"""Shared pieces of the source readers: a located value, a findings collector, cached reads."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from parity.env.parse import read_env_file
from parity.errors import EnvFileError, FileRefused
from parity.model.env import EnvFile, EnvValue
from parity.model.findings import Finding, Severity
from parity.safefs import Repo
from parity.sources.yamlnodes import YamlProblem, YNode, load_documents

if TYPE_CHECKING:
    from parity.sources.composeenv import ComposeEnvFile

AREA = "env"


@dataclass(frozen=True, slots=True)
class SourceValue:
    """One value a runtime source sets, and where a reader finds it.

    ``file``/``line`` point at the place that holds the value (a ConfigMap's ``data`` entry,
    not the Deployment's reference to it). ``via`` is an env file line that actually feeds
    the value (compose ``${VAR}`` taken from the project ``.env``, or a compose ``env_file:``
    that parity does not otherwise read), so a writer knows which file must change.
    """

    key: str
    value: str
    file: Path
    line: int
    layer: str  # "compose" | "k8s" | "config"
    detail: str  # "environment", "env_file", "ConfigMap shop-config", …
    secret: bool = False  # from a Kubernetes Secret: always masked, whatever the key looks like
    via: tuple[Path, int] | None = None

    def env_value(self) -> EnvValue:
        # The value lives on the ``via`` line (the env file compose reads it from): that is where
        # a reader looks and a fix goes, not the ``${VAR}`` that passes it on.
        file, line = self.via if self.via is not None else (self.file, self.line)
        return EnvValue(self.key, self.value, file, line, self.layer, self.secret)


class Collector:
    """Gathers findings once each (several services can hit the same broken file)."""

    def __init__(self, root: Path, environment: str, repo: Repo | None = None) -> None:
        self.root = root
        self.environment = environment
        self.repo = repo or Repo.at(root)
        self._seen: set[tuple[object, ...]] = set()
        self.findings: list[Finding] = []
        self.read_paths: list[Path] = []  # files read besides the discovered ones (env_file, .env)
        self._env_files: dict[Path, EnvFile | EnvFileError | FileRefused] = {}
        # compose env_file parses (compose's format, not python-dotenv's), by (path, raw format)
        self.compose_env: dict[tuple[Path, bool], ComposeEnvFile] = {}

    def env_file(self, path: Path) -> EnvFile:
        """``path`` parsed once per gathering (the compose chain and the base layers share it)."""
        if path not in self._env_files:
            try:
                self._env_files[path] = read_env_file(path, self.repo)
            except (EnvFileError, FileRefused) as exc:
                self._env_files[path] = exc
        found = self._env_files[path]
        if isinstance(found, EnvFileError | FileRefused):
            raise found
        return found

    def refused(self, exc: FileRefused, path: Path, *, service: str | None = None) -> None:
        """SRC015: a file the sources name that parity will not read (a link out of the
        repository, a FIFO or device, a file over the cap); what it would set stays unknown."""
        self.add(
            "SRC015",
            Severity.ERROR,
            f"not read: {exc.message}",
            path,
            None,
            service=service,
            fix="replace it with a regular file inside the repository"
            if exc.reason != "too-large"
            else "raise [limits] max_file_bytes in parity.toml if the file is meant to be this large",
        )

    def rel(self, path: Path | None) -> str | None:
        if path is None:
            return None
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def add(
        self,
        code: str,
        severity: Severity,
        message: str,
        file: Path | None,
        line: int | None,
        *,
        key: str | None = None,
        service: str | None = None,
        fix: str | None = None,
    ) -> None:
        ident = (code, self.rel(file), line, key, service, message)
        if ident in self._seen:
            return
        self._seen.add(ident)
        self.findings.append(
            Finding(code, severity, AREA, message, service, self.environment, self.rel(file), line, key, fix)
        )


def stat_key(path: Path) -> tuple[str, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (str(path), st.st_mtime_ns, st.st_size)


_DOC_CACHE: dict[tuple[str, int, int], list[YNode] | YamlProblem] = {}
_CACHE_LIMIT = 512


def read_text(path: Path, repo: Repo) -> str:
    """UTF-8 text of ``path`` (BOM dropped), read through ``repo``; raises OSError /
    UnicodeDecodeError / ValueError, and :class:`FileRefused` for what ``repo`` refuses."""
    data = repo.read_bytes(path)
    if b"\x00" in data:
        raise ValueError("looks binary (contains NUL bytes)")
    return data.decode("utf-8-sig")


def load_yaml(path: Path, repo: Repo) -> list[YNode]:
    """The YAML documents of ``path``, cached by (path, mtime, size); raises :class:`YamlProblem`,
    and :class:`FileRefused` (never cached) for what ``repo`` refuses to read."""
    if os.path.lexists(path):
        repo.check(path)  # refused before the cache, which is keyed on a stat that follows links
    key = stat_key(path)
    if key is not None and key in _DOC_CACHE:
        cached = _DOC_CACHE[key]
        if isinstance(cached, YamlProblem):
            raise cached
        return cached
    try:
        result: list[YNode] | YamlProblem = load_documents(read_text(path, repo), path)
    except FileRefused:
        raise
    except YamlProblem as exc:
        result = exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        result = YamlProblem(f"cannot read: {reason}", None)
    if key is not None:
        if len(_DOC_CACHE) >= _CACHE_LIMIT:
            _DOC_CACHE.clear()
        _DOC_CACHE[key] = result
    if isinstance(result, YamlProblem):
        raise result
    return result


def list_files(folder: Path, suffixes: tuple[str, ...], repo: Repo, max_depth: int = 4) -> list[Path]:
    """Files under ``folder`` with one of ``suffixes``, sorted, hidden folders skipped. A folder that
    leads out of the repository is not walked (links to folders below it are never followed)."""
    out: list[Path] = []
    if not folder.is_dir() or not repo.contains(folder):
        return out
    base_depth = len(folder.parts)
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        if len(here.parts) - base_depth >= max_depth:
            dirnames[:] = []
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out.extend(here / f for f in filenames if f.lower().endswith(suffixes))
    return sorted(out)


def scalar_to_str(value: object) -> str:
    """How a typed config value reads as an env-like string: ``True`` → ``true``, lists as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, default=str, separators=(",", ":"))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
