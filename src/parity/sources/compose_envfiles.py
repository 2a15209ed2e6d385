"""The files behind compose ``env_file:``, as ``docker compose`` reads them: lint and overrides.

Run once per compose project and environment over *every* compose service, whether or not
a parity service is mapped to it (the runtime reads the files either way):

* Each file named in an ``env_file:`` is linted once (however many services or compose
  files name it) with compose's own format rules (:mod:`parity.sources.composeenv`):
  ENV004/ENV005 duplicate keys, ENV009 a line compose cannot parse, ENV008 a placeholder
  that reaches a container. A file ``env diff`` already lints as a ``.env.<env>`` file is
  skipped, so nothing is reported twice.
* SRC016: a service's ``environment:`` (after the merge of base and override files) sets a
  key one of its ``env_file``s also sets, to another value; the ``environment`` value is the
  one the container gets.

A missing or unreadable ``env_file``, and a broken ``${VAR}`` inside one, are reported by
:func:`parity.sources.compose.compose_layers` (SRC006, SRC001, SRC015, SRC004/8/11); this
module stays silent about them so each problem is told once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from parity.env.clip import clip
from parity.env.lint import duplicates, placeholders
from parity.env.secrets import display
from parity.errors import FileRefused
from parity.model.findings import Severity
from parity.sources.base import Collector, read_text
from parity.sources.composeenv import ComposeEnvFile, parse_compose_env, parse_raw_env
from parity.sources.interpolate import InterpolationError, interpolate

if TYPE_CHECKING:
    from parity.sources.compose import ComposeProject, ComposeService, EnvFileRef

Location = tuple[str | None, int | None, str | None]  # (file relative to the root, line, key)


def load_env_ref(ref: EnvFileRef, col: Collector) -> ComposeEnvFile:
    """``ref``'s file parsed in its format, once per gathering; raises what reading raises
    (``FileRefused``, ``OSError``, ``UnicodeDecodeError``, ``ValueError``)."""
    memo_key = (ref.path, ref.raw)
    found = col.compose_env.get(memo_key)
    if found is None:
        text = read_text(ref.path, col.repo)
        found = (parse_raw_env if ref.raw else parse_compose_env)(text, ref.path)
        col.compose_env[memo_key] = found
    return found


def _quiet_load(ref: EnvFileRef, col: Collector) -> ComposeEnvFile | None:
    col.read_paths.append(ref.path)
    if not ref.path.is_file():
        return None
    try:
        return load_env_ref(ref, col)
    except (FileRefused, OSError, UnicodeDecodeError, ValueError):
        return None  # compose_layers reports it


@dataclass(frozen=True, slots=True)
class _Bound:
    value: str
    file: Path
    line: int


def _chain(
    cs: ComposeService, variables: dict[str, str], col: Collector
) -> tuple[dict[str, _Bound], list[tuple[EnvFileRef, ComposeEnvFile]]]:
    """What ``cs``'s env files give its container, key → winning binding (later file wins)."""
    chain: dict[str, _Bound] = {}
    bound: dict[str, str] = {}
    read: list[tuple[EnvFileRef, ComposeEnvFile]] = []
    for ref in cs.env_files:
        parsed = _quiet_load(ref, col)
        if parsed is None:
            continue
        read.append((ref, parsed))
        for e in parsed.entries:
            if e.value is None:
                continue  # a bare KEY takes compose's shell: unknown here, sets nothing
            value = e.value
            if e.interpolate and "$" in value:
                try:
                    value = interpolate(value, {**variables, **bound}).value
                except InterpolationError:
                    continue
            bound[e.key] = value
            chain[e.key] = _Bound(value, ref.path, e.line)
    return chain, read


def _names(names: Iterable[str]) -> str:
    listed = list(dict.fromkeys(names))
    return ("compose service " if len(listed) == 1 else "compose services ") + ", ".join(listed)


def _lint(
    parsed: ComposeEnvFile,
    readers: list[str],
    winners: set[tuple[Path, int]],
    secrets: Sequence[str],
    col: Collector,
) -> None:
    rel = col.rel(parsed.path) or str(parsed.path)
    who = _names(readers)
    service = ", ".join(dict.fromkeys(readers))
    fmt = "docker run --env-file (format: raw)" if parsed.raw else "docker compose"
    for bad in parsed.errors:
        col.add(
            "ENV009",
            Severity.ERROR,
            f"line {bad.line} of env_file {rel} is not valid for docker compose ({bad.message}), so "
            f"`docker compose up` refuses to start; read by {who}",
            parsed.path,
            bad.line,
            service=service,
            fix=f"fix line {bad.line} of {rel}: one KEY=VALUE per line, quote a value with spaces or line breaks",
        )
    env_file = parsed.as_env_file()
    for dup in duplicates(env_file):
        if dup.same:
            col.add(
                "ENV004",
                Severity.WARNING,
                f"{dup.key} is defined {len(dup.entries)} times with the same value in env_file {rel} "
                f"(lines {dup.lines}); read by {who}",
                parsed.path,
                dup.entries[-1].line,
                key=dup.key,
                service=service,
                fix=f"remove the repeated {dup.key} lines from {rel}",
            )
        else:
            col.add(
                "ENV005",
                Severity.ERROR,
                f"{dup.key} is defined {len(dup.entries)} times with different values in env_file {rel} "
                f"({dup.shown(secrets)}); {fmt} takes the last (line {dup.entries[-1].line}); read by {who}",
                parsed.path,
                dup.entries[0].line,
                key=dup.key,
                service=service,
                fix=f"keep one {dup.key} line in {rel} (lines {dup.lines})",
            )
    for e in placeholders(env_file):
        if (parsed.path, e.line) not in winners:
            continue  # every container reading it gets another value (environment, a later file)
        col.add(
            "ENV008",
            Severity.ERROR,
            f"{e.key} in env_file {rel} is still a placeholder ({clip(repr(e.value))}) and reaches {who}",
            parsed.path,
            e.line,
            key=e.key,
            service=service,
            fix=f"set the real value of {e.key} in {rel}:{e.line}",
        )


def _override(
    cs: ComposeService,
    compose: ComposeProject,
    chain: dict[str, _Bound],
    covered: set[Location],
    secrets: Sequence[str],
    col: Collector,
) -> set[str]:
    """SRC016 for each ``environment:`` key of ``cs`` over a different ``env_file`` value; the
    keys ``environment`` sets (their env_file lines reach no container of ``cs``)."""
    overridden: set[str] = set()
    for entry in cs.environment.values():
        value = entry.value
        if value is None:
            found = compose.variables.get(entry.key)
            if found is None:
                overridden.add(entry.key)  # unset at runtime: SRC014's case, not a value over a value
                continue
            value = found[0]
        overridden.add(entry.key)
        below = chain.get(entry.key)
        if below is None or below.value == value or (col.rel(entry.file), entry.line, entry.key) in covered:
            continue
        where, below_where = f"{col.rel(entry.file)}:{entry.line}", f"{col.rel(below.file)}:{below.line}"
        via = ""
        if entry.value is None or entry.via_var:
            var = compose.variables.get(entry.via_var or entry.key)
            if var is not None:
                via = f" (from {col.rel(var[1])}:{var[2]})"
        col.add(
            "SRC016",
            Severity.WARNING,
            f"{entry.key} is {clip(display(entry.key, value, secrets))} at runtime from {where}{via} "
            f"(environment of compose service {cs.name}), overriding env_file {below_where} which says "
            f"{clip(display(entry.key, below.value, secrets))}; editing the env file changes nothing",
            entry.file,
            entry.line,
            key=entry.key,
            service=cs.name,
            fix=f"change {entry.key} in {where}, or remove it there so {below_where} applies",
        )
    return overridden


def env_file_findings(
    compose: ComposeProject,
    col: Collector,
    *,
    linted: Iterable[Path] = (),
    secrets: Sequence[str] = (),
) -> None:
    """Lint every ``env_file`` of ``compose`` once and report ``environment`` over ``env_file``.

    ``linted``: env files ``env diff`` lints already (skipped here). An ``environment`` line
    ``col`` holds an SRC005 for already (it overrides parity's own ``.env.<env>``) is not
    reported again.
    """
    skip = {p.resolve() for p in linted}
    done: set[Location] = {(f.file, f.line, f.key) for f in col.findings if f.code == "SRC005"}
    variables = {k: v[0] for k, v in compose.variables.items()}
    readers: dict[tuple[Path, bool], list[str]] = {}
    files: dict[tuple[Path, bool], ComposeEnvFile] = {}
    winners: set[tuple[Path, int]] = set()
    for cs in compose.services.values():
        chain, read = _chain(cs, variables, col)
        overridden = _override(cs, compose, chain, done, secrets, col)
        winners.update((b.file, b.line) for k, b in chain.items() if k not in overridden)
        for ref, parsed in read:
            readers.setdefault((ref.path, ref.raw), []).append(cs.name)
            files[(ref.path, ref.raw)] = parsed
    for memo_key, parsed in files.items():
        if memo_key[0].resolve() not in skip:
            _lint(parsed, readers[memo_key], winners, secrets, col)
