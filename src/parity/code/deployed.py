"""The code half of the principle: is the code of SYMBOL in what production runs?

``parity why SYMBOL --deployed REF`` asks git, read-only: does the deployed ref (a tag, a SHA, or a
file in the repository holding one) contain the commit that last changed SYMBOL's definition? If
not, no switch will show it: "the code is not there: deploy first". Git runs without the
repository's external diff and text-conversion drivers (a repository is untrusted input).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from parity.errors import ParityError

_SHA = re.compile(r"^[0-9a-f]{40}$")
# No command a repository's config could name runs for these reads.
_SAFE = ("-c", "core.fsmonitor=false", "-c", "diff.external=", "-c", "core.hooksPath=/dev/null")


@dataclass(frozen=True, slots=True)
class Deployment:
    ref: str
    commit: str  # the deployed commit
    change: str | None  # the commit that last changed the definition line on this checkout
    deployed: bool  # the definition, as this checkout has it, is in the deployed commit
    message: str


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *_SAFE, "-C", str(root), *args], capture_output=True, text=True, timeout=60, check=False
    )


def resolve_ref(root: Path, ref: str) -> str:
    """The commit ``ref`` names; a file of the repository holding a tag or SHA is read first."""
    candidate = (root / ref) if not Path(ref).is_absolute() else Path(ref)
    try:
        inside = candidate.resolve().is_relative_to(root.resolve())
    except OSError:
        inside = False
    if inside and candidate.is_file():
        words = candidate.read_text(encoding="utf-8", errors="replace").split()
        if words:
            ref = words[0]
    res = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    sha = res.stdout.strip()
    if res.returncode != 0 or not _SHA.match(sha):
        raise ParityError(f"--deployed {ref}: no such commit, tag or branch in this repository")
    return sha


def deployment(root: Path, file: str, line: int, symbol: str, ref: str) -> Deployment:
    """Where SYMBOL's definition at ``file:line`` stands against the deployed ``ref``."""
    top = _git(root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise ParityError("--deployed needs the project's git history (this folder is not a git checkout)")
    repo = Path(top.stdout.strip())
    rel = (root / file).resolve().relative_to(repo.resolve()).as_posix()
    commit = resolve_ref(root, ref)  # a recorded file is the project's, beside its parity.toml
    blame = _git(repo, "blame", "--porcelain", "-L", f"{line},{line}", "--", rel)
    change = blame.stdout.split(" ", 1)[0] if blame.returncode == 0 else None
    if change is None or not _SHA.match(change) or set(change) == {"0"}:
        # Not committed yet (or the file is new): it cannot be in any deployed commit.
        return Deployment(
            ref, commit, None, False, f"the code is not there: {symbol} ({file}:{line}) is not committed yet"
        )
    included = _git(repo, "merge-base", "--is-ancestor", change, commit).returncode == 0
    if included:
        message = f"the code is there: {ref} ({commit[:10]}) holds {symbol} as this checkout has it"
    else:
        present = _git(repo, "cat-file", "-e", f"{commit}:{rel}").returncode == 0 and bool(
            re.search(
                # def/function/class/func NAME, a Go method ``func (r *T) NAME``, ``const NAME =``
                rf"\b(?:(?:def|function|func|class|const|let|var)\s+|func\s*\([^)]*\)\s*){re.escape(symbol)}\b",
                _git(repo, "show", f"{commit}:{rel}").stdout,
            )
        )
        what = "an older" if present else "no"
        message = (
            f"the code is not there: {ref} ({commit[:10]}) has {what} {symbol}; its change "
            f"{change[:10]} ({file}:{line}) is not deployed: deploy first"
        )
    return Deployment(ref, commit, change, included, message)
