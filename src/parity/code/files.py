"""Which files the scanner reads: git's list when the folder is in a git work tree (tracked files plus
untracked ones git does not ignore), else a walk that honours every ``.gitignore`` (pathspec).
Vendored and generated folders are skipped either way; symlinked folders are never followed, so a
symlink loop cannot trap the walk.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pathspec

from parity.errors import FileRefused
from parity.safefs import open_beneath

SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", "bower_components", "vendor", "third_party", "third-party",
        ".venv", "venv", "__pycache__", "site-packages", ".tox", ".nox", ".mypy_cache", ".pytest_cache",
        ".ruff_cache", ".parity", "dist", "build", "target", ".next", ".nuxt", ".svelte-kit", "coverage",
        "generated", "__generated__", "Pods", ".gradle", ".idea", ".terraform",
    }
)  # fmt: skip

_EXT = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
    ".ts": "javascript", ".tsx": "javascript", ".mts": "javascript", ".cts": "javascript",
    ".vue": "javascript", ".svelte": "javascript",
    ".go": "go", ".rb": "ruby", ".rake": "ruby", ".erb": "ruby",
    ".java": "java", ".kt": "java", ".kts": "java",
    ".php": "php", ".cs": "csharp", ".rs": "rust",
    ".sh": "shell", ".bash": "shell", ".zsh": "shell",
}  # fmt: skip


# The language the walk gives a source-named entry that is neither a file nor a link (a FIFO, a socket,
# a device): the scanner notes it without opening it.
SPECIAL = "special"

_GENERATED = (".min.js", ".bundle.js", ".d.ts")
# Declarations of the env's keys (``interface ProcessEnv``, Vite's ``ImportMetaEnv``) are written by
# hand in these, unlike other ``.d.ts`` files (parity.code.js_schema reads them).
_ENV_TYPES = re.compile(r"(?:^|[-_.])(?:env|environment|global)\.d\.ts$")
_RAILS_ERB_YAML = frozenset(
    {"database.yml", "cable.yml", "storage.yml", "secrets.yml", "sidekiq.yml", "mongoid.yml"}
)


def language_at(rel_dir: str, name: str) -> str | None:
    """:func:`language_of`, knowing the folder: Rails runs ``config/database.yml`` and its kind
    through ERB before reading them (``<%= ENV["DATABASE_POOL"] || 5 %>``), so they are Ruby."""
    lang = language_of(name)
    if lang is None and name in _RAILS_ERB_YAML and (rel_dir == "config/" or rel_dir.endswith("/config/")):
        return "ruby"
    return lang


def language_of(name: str) -> str | None:
    """The extractor for a file name, or None when parity does not read such files."""
    dot = name.rfind(".")
    lang = _EXT.get(name[dot:].lower()) if dot > 0 else None
    if lang is not None:
        # The common case, decided by the extension alone (this runs for every file of the repository).
        if lang == "javascript" and name.lower().endswith(_GENERATED):
            return lang if _ENV_TYPES.search(name.lower()) else None
        return lang
    lower = name.lower()
    if lower == "dockerfile" or lower.startswith("dockerfile.") or lower.endswith(".dockerfile"):
        return "dockerfile"
    # Compose files are not code: their ``${VAR}`` are interpolation variables, which
    # parity.sources reads as the runtime does (SRC004/SRC011), not reads of a running service.
    return None


def _skipped(rel: str) -> bool:
    return any(part in SKIP_DIRS for part in rel.split("/")[:-1])


def _git_files(root: Path) -> list[str] | None:
    try:
        inside = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--is-inside-work-tree"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        out = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
                "--",
                ".",
            ],
            capture_output=True,
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    names = sorted({n for n in out.stdout.decode("utf-8", "surrogateescape").split("\0") if n})
    # Nothing listed: the folder is ignored by the enclosing repository (a scratch copy); walk it instead.
    return names or None


class _Ignore:
    """One .gitignore. Without negations its patterns are joined into one regex: one match per path
    instead of one per pattern (the walk tests every file and folder)."""

    def __init__(self, lines: list[str]) -> None:
        self.spec = pathspec.GitIgnoreSpec.from_lines(lines)
        self.fast: re.Pattern[str] | None = None
        pats = [p for p in self.spec.patterns if p.include is not None]
        if all(p.include for p in pats):
            try:
                sources = [str(getattr(p, "regex").pattern) for p in pats]  # noqa: B009 - not every pattern type has it
                joined = "|".join(f"(?:{src.replace('(?P<ps_d>', '(?:')})" for src in sources)
                self.fast = re.compile(joined or r"(?!)")
            except (re.error, AttributeError):
                self.fast = None

        # The walk calls this for every entry: bound once, not dispatched per call.
        self.match: Callable[[str], object] = (
            self.fast.match if self.fast is not None else self.spec.match_file
        )


# The .gitignore files in force for a folder: (folder relative to root, its lines). Plain data, so a
# subtree can be handed to a worker process, which compiles the rules again (cached).
Ignores = tuple[tuple[str, tuple[str, ...]], ...]


@functools.lru_cache(maxsize=256)
def _compiled(lines: tuple[str, ...]) -> _Ignore:
    return _Ignore(list(lines))


def _ignored(rel: str, ignores: Ignores) -> bool:
    return any(_compiled(lines).match(rel[len(base) :]) for base, lines in ignores)


GITIGNORE_MAX_BYTES = 1 << 20


def _gitignore_lines(root: str, rel: str) -> tuple[str, ...] | None:
    """The lines of a ``.gitignore``, read through safefs (a link out of the repository, a FIFO or a
    huge file is no rule file); None when it cannot be read."""
    try:
        fd, st = open_beneath(root, rel)
    except (OSError, FileRefused):
        return None
    try:
        if st.st_size > GITIGNORE_MAX_BYTES:
            return None
        data = os.read(fd, GITIGNORE_MAX_BYTES)
    except OSError:
        return None
    finally:
        os.close(fd)
    return tuple(data.decode("utf-8", "replace").splitlines())


def _list_folder(
    root: str, rel_dir: str, ignores: Ignores
) -> tuple[list[tuple[str, str]], list[str], Ignores]:
    """One folder: its source files, its subfolders (relative, with "/"), and the rules in force below it."""
    folder = f"{root}/{rel_dir}" if rel_dir else root
    try:
        with os.scandir(folder) as it:
            entries = list(it)  # unsorted: the scanner sorts what it finds
    except OSError:
        return [], [], ignores
    if any(e.name == ".gitignore" for e in entries):
        lines = _gitignore_lines(root, rel_dir + ".gitignore")
        if lines is not None:
            ignores = (*ignores, (rel_dir, lines))
    rules = [(len(base), _compiled(lines).match) for base, lines in ignores]

    def ignored(rel: str) -> bool:
        for cut, match in rules:  # noqa: SIM110 - no generator object per entry of the tree
            if match(rel[cut:]):
                return True
        return False

    files: list[tuple[str, str]] = []
    subdirs: list[str] = []
    # This loop runs for every entry of the tree: the common case (a known extension) is decided
    # inline, the rest by language_at.
    ext_language = _EXT.get
    for e in entries:
        name = e.name
        try:
            is_dir = e.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_dir:
            rel = f"{rel_dir}{name}/"
            if name not in SKIP_DIRS and not (rules and ignored(rel)):
                subdirs.append(rel)
            continue
        dot = name.rfind(".")
        lang = ext_language(name[dot:]) if dot > 0 else None
        if lang is None or lang == "javascript":
            lang = language_at(rel_dir, name)
            if lang is None:
                continue
        rel = rel_dir + name
        if not (rules and ignored(rel)):
            # d_type from the listing: no stat. The scanner opens files and links without one.
            plain = e.is_file(follow_symlinks=False) or e.is_symlink()
            files.append((rel, lang if plain else SPECIAL))
    return files, subdirs, ignores


def walk_folders(
    root: str, rel_dir: str = "", ignores: Ignores = ()
) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """Each folder below ``rel_dir`` (relative, ending in "/", "" for the root) with its source
    files, depth first; symlinked folders are not followed."""
    stack = [(rel_dir, ignores)]
    while stack:
        folder, rules = stack.pop()
        files, subdirs, rules = _list_folder(root, folder, rules)
        yield folder, files
        stack.extend((d, rules) for d in subdirs)


def walk_tree(root: str, rel_dir: str = "", ignores: Ignores = ()) -> Iterator[tuple[str, str]]:
    """Every source file below ``rel_dir``, depth first (symlinked folders are not followed)."""
    for _folder, files in walk_folders(root, rel_dir, ignores):
        yield from files


def split_tree(root: str, parts: int) -> tuple[list[tuple[str, str]], list[tuple[str, Ignores]]]:
    """Walk breadth first until ``parts`` folders are left to walk (or none): the files seen so far,
    and the unwalked subtrees — units of work for parallel scanning."""
    files: list[tuple[str, str]] = []
    queue: list[tuple[str, Ignores]] = [("", ())]
    while queue and len(queue) < parts:
        folder, rules = queue.pop(0)
        found, subdirs, rules = _list_folder(root, folder, rules)
        files.extend(found)
        queue.extend((d, rules) for d in subdirs)
    return files, queue


def git_source_files(root: Path) -> list[tuple[str, str]] | None:
    """Source files git knows (tracked, or untracked and not ignored); None outside a git work tree."""
    names = _git_files(root)
    if names is None:
        return None
    out = []
    for rel in names:
        folder, _, name = rel.rpartition("/")
        lang = language_at(folder + "/" if folder else "", name)
        if lang is not None and not _skipped(rel):
            out.append((rel, lang))
    return out


def source_files(root: Path) -> Iterator[tuple[str, str]]:
    """``(relative posix path, language)`` of every file worth reading under ``root``."""
    listed = git_source_files(root)
    if listed is None:
        yield from walk_tree(str(root))
    else:
        yield from listed
