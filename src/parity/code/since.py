"""What main added since the deployed commit that production must be ready for.

``parity check --deployed REF`` asks git (read-only, no repository drivers; see
:mod:`parity.code.deployed`) which files changed between the deployed commit and this checkout,
reads the env keys the deployed versions of those files read, and then says of every key the code
reads now and did not read then whether production sets it: a new required key production lacks
breaks the deploy, a new flag decides whether the feature shows once deployed. Migrations added
since are what the deploy will run.

Codes (``docs/codes.md``):

DEP001    warning   main reads a key the deployed commit did not read, and the target lacks it (info
                    when the target sets it or every new read copes without it)
DEP002    info      main reads a flag the deployed commit did not read: the target's value (or the code
                    default) decides whether the feature shows once deployed
DEP003    info      a migration main added since the deployed commit: the deploy runs it
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from parity.code.context import SERVICE
from parity.code.deployed import _git, resolve_ref
from parity.code.files import language_at
from parity.code.refs import SYSTEM_VARS, Reference
from parity.env.secrets import display
from parity.errors import ParityError
from parity.model.env import EffectiveEnv
from parity.model.findings import Finding, Section, Severity

# A deployed file bigger than this is not read back (generated code): its keys count as read then.
_MAX_OLD_BYTES = 4 << 20
_MIGRATION = re.compile(
    r"(?:^|/)(?:migrations|migrate|versions|db/migrate|changelog)/(?!__init__\.py$)[^/]+\.(?:py|sql|rb|js|ts|xml|ya?ml)$"
)


@dataclass(frozen=True, slots=True)
class Since:
    """What git says of the checkout against the deployed commit (paths relative to the project)."""

    ref: str
    commit: str
    changed: frozenset[str]  # modified, added or deleted since the deployed commit
    added: tuple[str, ...]  # of those, the files the deployed commit does not have
    keys_then: frozenset[str]  # env keys the deployed versions of the changed files read
    unread: frozenset[str]  # changed files whose deployed version parity could not read


def since(root: Path, ref: str) -> Since:
    """Compare the checkout at ``root`` with the deployed ``ref`` (a tag, a SHA, a file holding one)."""
    top = _git(root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise ParityError("--deployed needs the project's git history (this folder is not a git checkout)")
    repo = Path(top.stdout.strip()).resolve()
    prefix = root.resolve().relative_to(repo).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    commit = resolve_ref(root, ref)
    # Against the working tree: what is checked out now is what would be deployed next.
    status = _git(
        repo, "diff", "--no-renames", "--name-status", "-z", commit, "--", root.resolve().as_posix()
    )
    if status.returncode != 0:
        raise ParityError(f"--deployed {ref}: git diff failed: {status.stderr.strip()[:200]}")
    parts = status.stdout.split("\0")
    changed: dict[str, str] = {}
    for kind, path in zip(parts[0::2], parts[1::2], strict=False):
        if path.startswith(prefix):
            changed[path[len(prefix) :]] = kind[:1]
    others = _git(repo, "ls-files", "-z", "--others", "--exclude-standard", "--", root.resolve().as_posix())
    for path in others.stdout.split("\0"):
        if path.startswith(prefix) and path:
            changed.setdefault(path[len(prefix) :], "A")
    keys: set[str] = set()
    unread: set[str] = set()
    for rel, kind in changed.items():
        if kind == "A":
            continue
        folder, _, name = rel.rpartition("/")
        language = language_at(folder + "/" if folder else "", name)
        if language is None:
            continue
        old = _old_text(repo, commit, prefix + rel)
        if old is None:
            unread.add(rel)
            continue
        keys |= _keys_in(old, language)
    added = tuple(sorted(rel for rel, kind in changed.items() if kind == "A"))
    return Since(ref, commit, frozenset(changed), added, frozenset(keys), frozenset(unread))


def _old_text(repo: Path, commit: str, path: str) -> str | None:
    size = _git(repo, "cat-file", "-s", f"{commit}:{path}")
    if size.returncode != 0 or not size.stdout.strip().isdigit() or int(size.stdout) > _MAX_OLD_BYTES:
        return None
    shown = _git(repo, "show", f"{commit}:{path}")
    return shown.stdout if shown.returncode == 0 else None


def _keys_in(text: str, language: str) -> set[str]:
    from parity.code.scan import extract

    try:
        return {r.name for r in extract(text, language) if not r.dynamic}
    except (SyntaxError, ValueError, RecursionError):
        return set()


# ---------------------------------------------------------------- pure analysis


@dataclass(frozen=True, slots=True)
class NewRead:
    key: str
    reads: tuple[Reference, ...]  # the production reads of it now, all in changed files

    @property
    def flag(self) -> bool:
        return any(r.is_flag for r in self.reads)

    @property
    def required(self) -> bool:
        # As FLG004 judges it: a read that raises when unset, not one built to get None.
        return any(r.crashes for r in self.reads)


def new_reads(s: Since, refs: Sequence[Reference]) -> list[NewRead]:
    """Keys main's production code reads that the deployed commit did not: every read of the key
    now sits in a file changed since, and no deployed version of those files read it."""
    by_key: dict[str, list[Reference]] = {}
    for r in refs:
        if r.kind == "env" and not r.dynamic and r.context == SERVICE and r.name not in SYSTEM_VARS:
            by_key.setdefault(r.name, []).append(r)
    out = []
    for key, reads in sorted(by_key.items()):
        files = {r.file for r in reads}
        if key in s.keys_then or not files <= s.changed or files & s.unread:
            continue
        out.append(NewRead(key, tuple(sorted(reads, key=lambda r: (r.file, r.line)))))
    return out


def new_migrations(s: Since) -> list[str]:
    return [rel for rel in s.added if _MIGRATION.search(rel)]


def since_section(
    s: Since, refs: Sequence[Reference], envs: Mapping[str, EffectiveEnv], environment: str
) -> Section:
    """The "Since the deployed commit" section: what main added that ``environment`` must be ready for."""
    findings: list[Finding] = []
    short = f"{s.ref} ({s.commit[:10]})"
    for n in new_reads(s, refs):
        first = n.reads[0]
        services = sorted({r.service for r in n.reads if r.service}) or sorted(envs)
        values = {svc: (envs[svc].get(n.key) or "").strip() for svc in services if svc in envs}
        lacking = [svc for svc, v in values.items() if not v]
        where = f"{first.file}:{first.line}"
        if n.flag:
            state = ", ".join(
                f"{svc}={display(n.key, v)}" if v else f"{svc} unset" for svc, v in values.items()
            )
            default = (
                f" (code default {first.default!r})"
                if first.has_default and first.default is not None
                else ""
            )
            findings.append(
                Finding(
                    "DEP002",
                    Severity.INFO,
                    "flags",
                    f"flag {n.key} is new since the deployed {short} ({where}); in {environment}: "
                    f"{state or 'no service sets it'}{default}: that decides whether the feature shows once deployed",
                    first.service,
                    environment,
                    first.file,
                    first.line,
                    n.key,
                    f"set {n.key} in {environment} before deploying if the feature should be on",
                )
            )
            continue
        severity = Severity.WARNING if lacking and n.required else Severity.INFO
        if lacking and n.required:
            said = f"{environment} lacks it in {', '.join(lacking)}: set it before deploying"
        elif lacking:
            said = f"{environment} does not set it in {', '.join(lacking)}; every new read copes without it"
        else:
            said = f"{environment} sets it"
        findings.append(
            Finding(
                "DEP001",
                severity,
                "env",
                f"{n.key} is read since the deployed {short} ({where}"
                + (f" and {len(n.reads) - 1} more" if len(n.reads) > 1 else "")
                + f"): {said}",
                lacking[0] if lacking else first.service,
                environment,
                first.file,
                first.line,
                n.key,
                f"set {n.key} in {environment} before deploying" if lacking and n.required else None,
            )
        )
    for rel in new_migrations(s):
        findings.append(
            Finding(
                "DEP003",
                Severity.INFO,
                "schema",
                f"migration {rel} is new since the deployed {short}: the deploy runs it",
                None,
                environment,
                rel,
                None,
            )
        )
    notes = [
        f"compared with the deployed {short}: {len(s.changed)} files changed since, "
        f"{sum(f.code in ('DEP001', 'DEP002') for f in findings)} new keys, "
        f"{sum(f.code == 'DEP003' for f in findings)} new migrations"
    ]
    if s.unread:
        notes.append(
            f"not compared (their deployed version is too large or unreadable): {', '.join(sorted(s.unread)[:5])}"
        )
    return Section("deployed", "Since the deployed commit", tuple(findings), notes=tuple(notes))
