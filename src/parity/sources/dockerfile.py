"""The env a service's image bakes in: ``ENV`` of the Dockerfile stage compose builds.

A compose service with ``build:`` runs the image its Dockerfile makes, and that image's ``ENV``
lines are in the container's environment before compose adds ``env_file:`` and ``environment:``
(``ENV NODE_ENV=production``, ``ENV PRODUCTION=true``). Only the stage that is built counts:
``build.target``, else the last one, with what it inherits from an earlier stage it is built
``FROM``. ``ARG`` values are stage-scoped as Docker scopes them (a global ``ARG`` reaches a stage
only when the stage declares it again), taken from ``build.args`` first, then the ``ARG``
default. An ``ENV`` that refers to a variable with no value here is left out: its value is
unknown, and a guess would be a claim.

Instructions are split by ``dockerfile-parse`` (continuations, comments, both ``ENV`` forms);
the stage logic, which that library does not model, is here.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from parity.errors import FileRefused
from parity.sources.base import SourceValue, read_text

if TYPE_CHECKING:
    from parity.sources.base import Collector
    from parity.sources.compose import ComposeService

_REFERENCE = re.compile(r"\$(?:\{(\w+)[^}]*\}|(\w+))")


@dataclass
class _Stage:
    alias: str | None
    env: dict[str, tuple[str, int]] = field(default_factory=dict)  # key → (value, 1-based line)
    args: dict[str, str] = field(default_factory=dict)  # ARGs with a value in this stage


def _references(raw: str) -> set[str]:
    return {a or b for a, b in _REFERENCE.findall(raw)}


def image_env(
    text: str, build_args: Mapping[str, str | None] | None = None, target: str | None = None
) -> dict[str, tuple[str, int]]:
    """``key → (value, line)`` the built stage of the Dockerfile ``text`` sets with ``ENV``."""
    from dockerfile_parse import DockerfileParser
    from dockerfile_parse.util import extract_key_values

    given = dict(build_args or {})
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")))
    global_args: dict[str, str | None] = {}
    stages: list[_Stage] = []
    for ins in parser.structure:
        kind, value, line = ins["instruction"], ins["value"], int(ins["startline"]) + 1
        if kind == "FROM":
            parts = value.split()
            alias = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            parent = next((s for s in reversed(stages) if parts and s.alias == parts[0]), None)
            stage = _Stage(alias)
            if parent is not None:
                # ``FROM base AS runner`` starts from base's image: its ENV, not its ARGs.
                stage.env = dict(parent.env)
            stages.append(stage)
            continue
        if kind == "ARG":
            for item in value.split():
                name, eq, default = item.partition("=")
                default_value = default.strip("\"'") if eq else None
                if not stages:
                    global_args[name] = default_value
                    continue
                chosen = given.get(name)
                if chosen is None:
                    chosen = default_value if eq else global_args.get(name)
                if chosen is not None:
                    stages[-1].args[name] = chosen
                else:
                    stages[-1].args.pop(name, None)
            continue
        if kind != "ENV" or not stages:
            continue
        stage = stages[-1]
        known = {**stage.args, **{k: v for k, (v, _) in stage.env.items()}}
        try:
            pairs = extract_key_values(env_replace=True, args=stage.args, envs=known, instruction_value=value)
        except (ValueError, IndexError):
            continue  # an ENV line Docker would refuse too; nothing is known from it
        unknown = {name for name in _references(value) if name not in known}
        for key, resolved in pairs:
            if unknown and _mentions(value, key, unknown):
                stage.env.pop(key, None)  # set from a value nobody gives here: unknown
                continue
            stage.env[key] = (resolved, line)
    if not stages:
        return {}
    built = next((s for s in stages if target and s.alias == target), stages[-1])
    return dict(built.env)


def _mentions(instruction: str, key: str, names: set[str]) -> bool:
    """Whether ``key``'s own assignment in the ENV ``instruction`` refers to one of ``names``."""
    m = re.search(rf"(?:^|\s){re.escape(key)}(?:=|\s+)((?:\"[^\"]*\"|'[^']*'|\S)*)", instruction)
    part = m.group(1) if m is not None else instruction
    return bool(_references(part) & names)


def image_values(cs: ComposeService, col: Collector) -> list[SourceValue]:
    """The ``ENV`` of the image compose builds for ``cs``, as the lowest runtime layer ("image"):
    it fills what neither the env files nor compose set (see ``parity.env.layers``)."""
    path = cs.dockerfile
    if path is None:
        return []
    col.read_paths.append(path)
    if not path.is_file() or not col.repo.contains(path):
        return []
    try:
        text = read_text(path, col.repo)
    except FileRefused as exc:
        col.refused(exc, path, service=cs.name)
        return []
    except (OSError, UnicodeDecodeError, ValueError):
        return []
    try:
        env = image_env(text, cs.build_args, cs.target)
    except Exception:  # dockerfile-parse on a file Docker would reject: nothing is known from it
        return []
    return [SourceValue(k, v, path, line, "image", "Dockerfile ENV") for k, (v, line) in env.items()]
