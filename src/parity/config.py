"""parity.toml / ``[tool.parity]``: a validated pydantic model; errors name the file and the key."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from parity.errors import ConfigError, FileRefused
from parity.safefs import DEFAULT_MAX_FILE_BYTES, Repo


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SmokeCheck(_Strict):
    """A command run with the service's effective env, or an HTTP request."""

    name: str = ""
    command: str | None = None
    url: str | None = None
    expect_status: int = 200
    expect_text: str | None = None
    timeout: float = 30.0


class ServiceConfig(_Strict):
    path: str
    overrides: list[str] = Field(default_factory=list)
    smoke: list[SmokeCheck] = Field(default_factory=list)
    code: str | None = Field(
        default=None, description="its code folder, when not `path` (built from the root)"
    )
    image_only: bool = Field(default=False, description="runs a published image: no code of it is here")
    root_env: bool = Field(default=True, description="the root .env.<environment> layer reaches it")


class SchemaConfig(_Strict):
    source: str | None = None
    database_url_key: str = "DATABASE_URL"
    service: str | None = None
    migrations: str = "migrations"
    dev_url: str | None = None


class FlagsConfig(_Strict):
    patterns: list[str] = Field(
        # Name hints only: a key the code compares with "true" or parses as a boolean is a flag too.
        default_factory=lambda: ["*FEATURE_*", "*ENABLE_*", "*DISABLE_*", "*_ENABLED", "*_DISABLED", "FF_*"]
    )


class StoreConfig(_Strict):
    interfaces: list[str] = Field(default_factory=list)
    models: dict[str, list[str]] = Field(default_factory=dict)
    fallback_smoke: str | None = None


class SourcesConfig(_Strict):
    compose: bool = True
    kubernetes: list[str] = Field(
        default_factory=lambda: ["k8s", "deploy", "manifests", "kubernetes", "helm", "charts"]
    )
    app_config: bool = True
    compose_files: dict[str, list[str]] = Field(
        default_factory=dict, description="environment → compose files in -f order (default: discovered)"
    )
    workloads: dict[str, str] = Field(
        default_factory=dict, description="compose service / k8s workload or container name → parity service"
    )


class LimitsConfig(_Strict):
    max_file_bytes: int = Field(
        default=DEFAULT_MAX_FILE_BYTES,
        gt=0,
        description="bytes read at most per repository file; a larger file is refused and reported",
    )


class LintConfig(_Strict):
    """Per-rule severities for `parity lint` and the lint of pending migrations (ids or names)."""

    error: list[str] = Field(default_factory=list, description="rules raised as errors")
    warn: list[str] = Field(default_factory=list, description="rules raised as warnings")
    info: list[str] = Field(default_factory=list, description="rules raised as notes")
    ignore: list[str] = Field(default_factory=list, description="rules turned off")
    pg_version: int | None = Field(
        default=None, ge=9, le=30, description="PostgreSQL major version the migrations run on"
    )


class ParityConfig(_Strict):
    environments: list[str] = Field(default_factory=list)
    reference: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        description="compare against: example, code or an environment (default: example when any "
        "example file exists, else staging, else code); checked against the environments at run time",
    )
    services: dict[str, ServiceConfig] = Field(default_factory=dict)
    smoke: dict[str, list[SmokeCheck]] = Field(
        default_factory=dict, description="smoke checks by service name"
    )
    overrides: list[str] = Field(default_factory=list, description="keys every service may set differently")
    deployed: dict[str, str] = Field(
        default_factory=dict,
        description="environment → the commit it runs (a tag, a SHA, or a file of the repository holding "
        "one), for `check` when `--deployed` is not given",
    )
    secrets: list[str] = Field(default_factory=list, description="extra key patterns treated as secret")
    schema_: SchemaConfig = Field(default_factory=SchemaConfig, alias="schema")
    flags: FlagsConfig = Field(default_factory=FlagsConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    lint: LintConfig = Field(default_factory=LintConfig)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _validate(data: dict[str, Any], file: Path, prefix: str) -> ParityConfig:
    try:
        return ParityConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join([prefix, *(str(p) for p in err["loc"])]).strip(".")
        raise ConfigError(f"invalid config key '{key}': {err['msg']}", file=file, key=key) from exc


def load_config(root: Path) -> tuple[ParityConfig, Path | None]:
    """Read ``parity.toml`` (preferred) or ``[tool.parity]`` of ``pyproject.toml`` under ``root``."""
    # The config is read before its own [limits] are known: the default cap applies to it.
    repo = Repo.at(root)
    for name, table in (("parity.toml", None), ("pyproject.toml", ("tool", "parity"))):
        path = root / name
        if not os.path.lexists(path):
            continue
        try:
            data: dict[str, Any] = tomllib.loads(repo.read_text(path))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"not valid TOML: {exc}", file=path) from exc
        except FileRefused as exc:
            raise ConfigError(exc.message, file=path) from exc
        except OSError as exc:
            raise ConfigError(f"cannot read: {exc.strerror}", file=path) from exc
        if table is None:
            return _validate(data, path, ""), path
        section: Any = data
        for part in table:
            section = section.get(part) if isinstance(section, dict) else None
        if isinstance(section, dict):
            return _validate(section, path, "tool.parity"), path
    return ParityConfig(), None
