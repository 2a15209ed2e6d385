"""The env-file model: what a file says, line by line, without losing a byte."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class EnvEntry:
    """One ``KEY=value`` binding.

    ``raw`` is the exact text of the binding (including its line ending) so a writer can
    leave untouched lines byte-identical.
    """

    key: str
    value: str | None
    line: int
    raw: str
    exported: bool = False


@dataclass(frozen=True, slots=True)
class MalformedLine:
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class EnvFile:
    """A parsed env file. ``chunks`` joined give back the original text exactly."""

    path: Path
    entries: tuple[EnvEntry, ...]
    malformed: tuple[MalformedLine, ...] = ()
    chunks: tuple[str, ...] = ()
    bom: bool = False
    newline: str = "\n"

    def keys(self) -> list[str]:
        seen: dict[str, None] = {}
        for e in self.entries:
            seen.setdefault(e.key, None)
        return list(seen)

    def last(self, key: str) -> EnvEntry | None:
        """The binding that wins when a loader reads the file top to bottom (python-dotenv, Docker)."""
        found = None
        for e in self.entries:
            if e.key == key:
                found = e
        return found

    def duplicates(self) -> dict[str, list[EnvEntry]]:
        by_key: dict[str, list[EnvEntry]] = {}
        for e in self.entries:
            by_key.setdefault(e.key, []).append(e)
        return {k: v for k, v in by_key.items() if len(v) > 1}

    def text(self) -> str:
        return ("\ufeff" if self.bom else "") + "".join(self.chunks)


@dataclass(frozen=True, slots=True)
class EnvValue:
    """A value of a service's effective env, and where it came from."""

    key: str
    value: str
    file: Path
    line: int
    layer: str  # "root" | "service" | "compose" | "k8s" | "config"
    secret: bool = False  # from a Kubernetes Secret: masked whatever its key looks like

    @property
    def from_env_file(self) -> bool:
        return self.layer in ("root", "service")


@dataclass(frozen=True, slots=True)
class EffectiveEnv:
    """What service ``service`` sees in environment ``environment``."""

    service: str
    environment: str
    values: dict[str, EnvValue] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        v = self.values.get(key)
        return v.value if v else None

    def as_dict(self) -> dict[str, str]:
        return {k: v.value for k, v in self.values.items()}
