"""What the scanner finds: one :class:`Reference` per place code reads an env var or checks a flag."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

from parity.model.condition import Condition, describe

DEFAULT_FLAG_PATTERNS = ("*FEATURE_*", "*ENABLE_*", "*DISABLE_*", "*_ENABLED", "*_DISABLED", "FF_*")

# Variables every process has; code reading them says nothing about a service's env files.
SYSTEM_VARS = frozenset(
    {
        "PATH", "HOME", "PWD", "OLDPWD", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "LC_ALL", "TMPDIR", "TMP",
        "TEMP", "HOSTNAME", "SHLVL", "CI", "DEBIAN_FRONTEND", "PYTHONPATH", "NODE_ENV", "VIRTUAL_ENV",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Reference:
    """One read of an env var (``kind="env"``) or one flag-SDK check (``kind="sdk"``).

    ``name`` is the variable or flag key; for a name built at run time (f-string,
    concatenation, a variable) it is a glob such as ``FEATURE_*`` and ``dynamic`` is True.
    ``has_default`` says whether the code copes with a missing value (a default argument,
    ``|| "x"``, ``${X:-x}``); ``default`` is that default as source text, when literal.
    ``crashes`` is True when a missing value raises (``os.environ["X"]``, ``ENV.fetch("X")``,
    ``${X?}``, a required pydantic-settings field) rather than reading as None/empty.
    ``boolean`` is True when the code treats the value as a switch: compares it with a boolean-ish
    literal (``== "true"``, ``in ("1", "yes")``) or parses it as a boolean (``bool(strtobool(...))``,
    ``env.bool``, ``z.coerce.boolean()``); a key is a flag by this meaning, whatever its name.
    ``context`` is where the read runs: ``service`` (code a service runs), or ``test``, ``ci``,
    ``build``, ``tooling``, ``script`` (never run by a service in production; see
    :mod:`parity.code.context`).
    ``when``: the test on other env values that must hold for the code to reach the read (it sits
    in ``if (transport === 'resend')``), when parity can read it; None when it always runs or
    parity cannot tell.
    """

    name: str
    file: str  # posix, relative to the project root
    line: int
    language: str
    via: str  # the construct, e.g. "os.getenv", "process.env", "LaunchDarkly variation"
    kind: str = "env"
    service: str | None = None
    default: str | None = None
    has_default: bool = False
    crashes: bool = False
    is_flag: bool = False
    dynamic: bool = False
    boolean: bool = False
    context: str = "service"
    when: Condition | None = None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "file": self.file,
            "line": self.line,
            "language": self.language,
            "via": self.via,
            "kind": self.kind,
            "service": self.service,
            "default": self.default,
            "has_default": self.has_default,
            "crashes": self.crashes,
            "is_flag": self.is_flag,
            "dynamic": self.dynamic,
            "boolean": self.boolean,
            "context": self.context,
            "when": describe(self.when) if self.when is not None else None,
        }


@dataclass(frozen=True, slots=True)
class RawRef:
    """What an extractor returns for one file, before the scanner adds file, service and flag-ness."""

    name: str
    line: int
    via: str
    kind: str = "env"
    default: str | None = None
    has_default: bool = False
    crashes: bool = False
    dynamic: bool = False
    boolean: bool = False  # see Reference.boolean
    context: str = ""  # set when the file's text decides it (a Dockerfile's RUN vs CMD); else by path


@dataclass(frozen=True, slots=True)
class ScanNote:
    """A file the scanner skipped or could not fully read, and why (never fatal)."""

    file: str
    reason: str


@dataclass(frozen=True, slots=True)
class ScanResult:
    references: tuple[Reference, ...]
    notes: tuple[ScanNote, ...] = ()
    files_seen: int = 0
    files_parsed: int = 0

    def env_refs(self) -> list[Reference]:
        return [r for r in self.references if r.kind == "env"]


def is_flag_name(name: str, patterns: Iterable[str] = DEFAULT_FLAG_PATTERNS) -> bool:
    """``FEATURE_ENABLE_EXPORTS`` matches ``FEATURE_*``; matching is case-sensitive, as env names are."""
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def is_flag_glob(glob: str, patterns: Iterable[str] = DEFAULT_FLAG_PATTERNS) -> bool:
    """A name built at run time (``FEATURE_*``) is a flag read when its literal parts make a flag name
    (each ``*`` filled with one letter): ``FEATURE_*`` is, ``TENANT_*_URL`` is not."""
    return "*" in glob and is_flag_name(glob.replace("*", "X"), patterns)
