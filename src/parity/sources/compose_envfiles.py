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

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from parity.env.clip import clip
from parity.env.lint import duplicates, is_boolean_typo, placeholders
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
    what: str = "env_file",
) -> None:
    rel = col.rel(parsed.path) or str(parsed.path)
    who = _names(readers)
    service = ", ".join(dict.fromkeys(readers))
    fmt = "docker run --env-file (format: raw)" if parsed.raw else "docker compose"
    for bad in parsed.errors:
        col.add(
            "ENV009",
            Severity.ERROR,
            f"line {bad.line} of {what} {rel} is not valid for docker compose ({bad.message}), so "
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
                f"{dup.key} is defined {len(dup.entries)} times with the same value in {what} {rel} "
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
                f"{dup.key} is defined {len(dup.entries)} times with different values in {what} {rel} "
                f"({dup.shown(secrets)}); {fmt} takes the last (line {dup.entries[-1].line}); read by {who}",
                parsed.path,
                dup.entries[0].line,
                key=dup.key,
                service=service,
                fix=f"keep one {dup.key} line in {rel} (lines {dup.lines})",
            )
    for key, (line, value) in {e.key: (e.line, e.value) for e in env_file.entries}.items():
        if value and (parsed.path, line) in winners and is_boolean_typo(value):
            col.add(
                "ENV011",
                Severity.ERROR,
                f"{key} in {what} {rel} is {clip(repr(value))}, a misspelt boolean; read by {who}",
                parsed.path,
                line,
                key=key,
                service=service,
                fix=f"set {key}=true or {key}=false in {rel}:{line}",
            )
    for e in placeholders(env_file):
        if (parsed.path, e.line) not in winners:
            continue  # every container reading it gets another value (environment, a later file)
        col.add(
            "ENV008",
            Severity.ERROR,
            f"{e.key} in {what} {rel} is still a placeholder ({clip(repr(e.value))}) and reaches {who}",
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


_VAR_REF = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def variables_findings(
    compose: ComposeProject,
    col: Collector,
    *,
    environment: str,
    linted: Iterable[Path] = (),
    secrets: Sequence[str] = (),
) -> None:
    """Lint the compose project's variables files (``.env``, ``.env.production``, ``.env.custom``)
    like an env file, and judge each against the shipped ``.env`` it stands in for or overlays.

    A variable only matters when a compose file interpolates it: placeholders, empty values and
    broken switches are reported for those; duplicates and bad lines for any.
    """
    from parity.sources.compose import variables_files

    if not compose.files:
        return
    home = compose.files[0].parent
    # Files an env_file: names are linted as such already (env_file_findings).
    skip = {p.resolve() for p in linted} | {
        ref.path.resolve() for cs in compose.services.values() for ref in cs.env_files
    }
    used: set[str] = set()
    for f in compose.files:
        try:
            used.update(_VAR_REF.findall(read_text(f, col.repo)))
        except (FileRefused, OSError, UnicodeDecodeError, ValueError):
            continue
    # A bare ``- KEY`` in environment: passes the variable on as it is.
    used.update(e.key for cs in compose.services.values() for e in cs.environment.values() if e.value is None)
    readers = [f"project {col.rel(home)}"]
    files = [p for p in variables_files(home, environment) if p.is_file()]
    base_path = home / ".env"
    base = _parsed(base_path, col) if base_path.is_file() else None
    base_values = {e.key: e.value for e in base.entries if e.value is not None} if base else {}
    for path in files:
        parsed = _parsed(path, col)
        if parsed is None:
            continue
        last: dict[str, tuple[int, str | None]] = {e.key: (e.line, e.value) for e in parsed.entries}
        winners = {(path, line) for k, (line, _v) in last.items() if k in used}
        if path.resolve() not in skip:
            _lint(parsed, readers, winners, secrets, col, what="compose variables file")
        if path == base_path:
            continue
        rel = col.rel(path) or str(path)
        for key, (line, value) in last.items():
            shipped = base_values.get(key)
            if key not in used or value is None or shipped is None:
                continue
            if value == "" and shipped != "":
                col.add(
                    "ENV002",
                    Severity.ERROR,
                    f"{key} is empty in {rel} but {col.rel(base_path)} gives it a value: compose passes "
                    "an empty string to every service that interpolates it",
                    path,
                    line,
                    key=key,
                    fix=f"set {key} in {rel}:{line}, or remove the line so {col.rel(base_path)} applies",
                )
            elif value and is_boolean_typo(value, shipped):
                col.add(
                    "ENV011",
                    Severity.ERROR,
                    f"{key} in {rel} is {clip(repr(value))}, no boolean, where {col.rel(base_path)} has "
                    f"{clip(repr(shipped))}",
                    path,
                    line,
                    key=key,
                    fix=f"set {key}=true or {key}=false in {rel}:{line}",
                )


def _parsed(path: Path, col: Collector) -> ComposeEnvFile | None:
    from parity.sources.compose import EnvFileRef

    col.read_paths.append(path)
    try:
        return load_env_ref(EnvFileRef(path, True, False, path, 0), col)
    except (FileRefused, OSError, UnicodeDecodeError, ValueError):
        return None
