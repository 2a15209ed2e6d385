"""Which reference an env comparison uses, why, and which of its values may be copied.

A *reference* is what the target environment is compared against: ``example`` (the example
files), another environment (``staging``, …) or ``code`` (the keys the code reads without a
default). It comes from ``--reference``, else ``reference`` in parity.toml, else a default:

1. ``example`` when any service (or the root) has an example file;
2. else ``staging`` when that environment exists and is not the target;
3. else ``code``.

Everything here is pure: the code reads arrive as :class:`RequiredRead` values built by the
caller, so ``env/`` does not import ``code/``.

    >>> is_neutral("info", "staging"), is_neutral("redis://cache-staging:6379", "staging")
    (True, False)
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from parity.env.diff import is_placeholder
from parity.env.secrets import is_secret
from parity.errors import ConfigError, ParityError
from parity.model.env import EffectiveEnv, EnvValue
from parity.project import ENV_ALIASES, Project, normalize_environment

EXAMPLE = "example"
CODE = "code"


@dataclass(frozen=True, slots=True)
class ReferenceChoice:
    """The reference a run compares against: ``name`` (``example``, ``code`` or an environment),
    ``origin`` (``flag`` | ``config`` | ``default``) and a one-line ``reason`` for the report."""

    name: str
    origin: str
    reason: str

    @property
    def label(self) -> str:
        """How messages name it: "the example has …", "staging has …", "the code reads …"."""
        return {EXAMPLE: "the example", CODE: "the code"}.get(self.name, self.name)

    @property
    def is_environment(self) -> bool:
        return self.name not in (EXAMPLE, CODE)


@dataclass(frozen=True, slots=True)
class RequiredRead:
    """A read of ``key`` without a default. ``service`` None: code outside every service
    folder, which counts for every service. ``crashes``: a missing value raises."""

    key: str
    service: str | None
    file: str  # posix, relative to the project root
    line: int
    crashes: bool


@dataclass(frozen=True, slots=True)
class CodeReference:
    """The ``code`` reference: per service, one value per required key (empty: the code gives
    none; its file:line is the read). ``optional`` holds the (service, key) pairs no read of
    which raises: a missing key there reads as None/empty, a warning rather than a crash."""

    envs: dict[str, EffectiveEnv]
    optional: frozenset[tuple[str, str]]


def has_example(project: Project) -> bool:
    return project.shared.example is not None or any(s.example is not None for s in project.services)


def _where(project: Project) -> str:
    if project.config_file is None:
        return "the config"
    name = project.config_file.name
    return "[tool.parity] of pyproject.toml" if name == "pyproject.toml" else name


def _known(project: Project, environment: str) -> str:
    names = [EXAMPLE, CODE, *(e for e in project.environments if e != environment)]
    return ", ".join(names)


def _validate(project: Project, environment: str, requested: str, origin: str) -> str:
    """``requested`` normalised, or a one-line error naming where it came from."""
    name = requested.strip().lower()
    name = name if name in (EXAMPLE, CODE) else normalize_environment(name)
    where = "--reference" if origin == "flag" else f"reference = {requested!r} in {_where(project)}"
    error: type[ParityError] = ParityError if origin == "flag" else ConfigError
    extra = {} if origin == "flag" else {"file": project.config_file, "key": "reference"}
    if name == environment:
        raise error(
            f"{where}: the reference must differ from the target environment ({environment})",
            hint=f"use one of: {_known(project, environment)}",
            **extra,  # type: ignore[arg-type]
        )
    if name not in (EXAMPLE, CODE) and name not in project.environments:
        raise error(
            f"{where}: unknown reference {requested!r} (use one of: {_known(project, environment)})",
            **extra,  # type: ignore[arg-type]
        )
    if name == EXAMPLE and origin == "flag" and not has_example(project):
        raise error(f"{where}: no service has an example file (use one of: {_known(project, environment)})")
    return name


def choose_reference(project: Project, environment: str, requested: str | None = None) -> ReferenceChoice:
    """The reference for comparing ``environment``: the flag, else the config, else the default.

    Raises :class:`ParityError` (a one-line usage error) for an unknown reference or one that
    is the target itself. A configured ``example`` in a repository without example files (what
    an early ``parity init`` wrote) falls back to the default and says so.
    """
    if requested:
        name = _validate(project, environment, requested, "flag")
        return ReferenceChoice(name, "flag", f"--reference {requested}")
    configured = project.config.reference
    if configured:
        name = _validate(project, environment, configured, "config")
        if name != EXAMPLE or has_example(project):
            return ReferenceChoice(name, "config", f'reference = "{configured}" in {_where(project)}')
        fallback = _default(project, environment)
        return ReferenceChoice(
            fallback.name,
            "default",
            f'reference = "example" in {_where(project)}, but no service has an example file; '
            + fallback.reason.removeprefix("default: "),
        )
    return _default(project, environment)


def _default(project: Project, environment: str) -> ReferenceChoice:
    if has_example(project):
        with_example = sum(1 for s in project.services if s.example is not None)
        root = " and the root" if project.shared.example is not None else ""
        return ReferenceChoice(
            EXAMPLE,
            "default",
            f"default: an example file in {with_example} of {len(project.services)} services{root}",
        )
    if "staging" in project.environments and environment != "staging":
        return ReferenceChoice("staging", "default", "default: no example file, and staging exists")
    return ReferenceChoice(
        CODE,
        "default",
        "default: no example file and no staging environment: the keys the code reads without a default",
    )


def code_reference(project: Project, reads: Iterable[RequiredRead]) -> CodeReference:
    """Per service, the keys its code (and code outside every service folder) reads without a
    default, each pointing at its first read; the order is the order of the reads."""
    names = [s.name for s in project.services]
    values: dict[str, dict[str, EnvValue]] = {n: {} for n in names}
    raises: set[tuple[str, str]] = set()
    for read in reads:
        for svc in [read.service] if read.service in values else names if read.service is None else []:
            values[svc].setdefault(
                read.key, EnvValue(read.key, "", project.root / read.file, read.line, CODE)
            )
            if read.crashes:
                raises.add((svc, read.key))
    envs = {n: EffectiveEnv(n, CODE, v) for n, v in values.items()}
    optional = frozenset((n, k) for n, v in values.items() for k in v if (n, k) not in raises)
    return CodeReference(envs, optional)


# Tokens that mark a value as made for a developer's machine or a test run.
_DEV_TOKENS = frozenset({"localhost", "dev", "development", "local", "test", "testing", "sandbox", "dummy"})
_LOOPBACK = re.compile(r"(^|[^0-9])(127\.0\.0\.\d+|0\.0\.0\.0)([^0-9]|$)|\[::1\]")
# Shapes that belong to one environment's infrastructure: URLs, user@host, domain names.
_HOSTISH = re.compile(r"://|@|\b[a-z0-9-]+\.(?:[a-z0-9-]+\.)*[a-z]{2,}\b", re.IGNORECASE)
_TOKEN = re.compile(r"[a-z0-9]+", re.IGNORECASE)


def _tokens(value: str) -> set[str]:
    return {t.lower() for t in _TOKEN.findall(value[:4096])}


def is_development_value(value: str) -> bool:
    """``redis://localhost:6379/0``, ``shop-exports-dev``, ``127.0.0.1``: never right for production."""
    return bool(_tokens(value) & _DEV_TOKENS) or bool(_LOOPBACK.search(value[:4096]))


def _environment_tokens(environment: str) -> set[str]:
    aliases = {alias for alias, canonical in ENV_ALIASES.items() if canonical == environment}
    return {environment.lower(), *aliases}


def is_neutral(value: str, environment: str) -> bool:
    """A value of ``environment`` that would mean the same in any other: no address of its
    infrastructure (URL, host, e-mail), no mention of it (``…-staging``), nothing for
    development. ``UTC``, ``info``, ``30``, ``Europe/Berlin`` are neutral."""
    if _HOSTISH.search(value[:4096]):
        return False
    return not (_tokens(value) & _environment_tokens(environment)) and not is_development_value(value)


def is_flag_key(key: str, patterns: Iterable[str]) -> bool:
    """``key`` matches one of ``[flags] patterns`` (case-sensitive, as env names are)."""
    return any(fnmatch.fnmatchcase(key, p) for p in patterns)


def proposable(
    key: str, value: str, reference: str, target: str, *, is_flag: bool, extra_secrets: Iterable[str] = ()
) -> bool:
    """May ``value`` (the reference's value of ``key``) be written into ``target`` as is?

    Never a secret, a placeholder or a development value (unless the target is development
    itself). From another environment only a neutral value, and never a feature flag: turning a
    feature on in production is asked for with ``--enable``, not copied from staging.
    """
    if not value or is_placeholder(value) or is_secret(key, value, list(extra_secrets)):
        return False
    if target not in ("development", "test", "local") and is_development_value(value):
        return False
    if reference in (EXAMPLE, CODE):
        return True
    return not is_flag and is_neutral(value, reference)


def file_hint(project: Project, choice: ReferenceChoice, value: EnvValue | None) -> str:
    """Where to look for the value, for the comment parity writes beside an empty key."""
    if value is None or choice.name == EXAMPLE:
        return "see the example file"
    verb = "reads it without a default" if choice.name == CODE else "has it"
    return f"{choice.label} {verb} at {project.rel(Path(value.file))}:{value.line}"
