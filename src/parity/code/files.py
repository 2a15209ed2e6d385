"""Which files the scanner reads: git's list when the folder is in a git work tree (tracked files plus
untracked ones git does not ignore), else a walk that honours every ``.gitignore`` (pathspec).
Vendored and generated folders are skipped either way; symlinked folders are never followed, so a
symlink loop cannot trap the walk.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pathspec

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
    ".go": "go", ".rb": "ruby", ".rake": "ruby",
    ".java": "java", ".kt": "java", ".kts": "java",
    ".php": "php",
    ".sh": "shell", ".bash": "shell", ".zsh": "shell",
}  # fmt: skip
_COMPOSE = ("docker-compose", "compose")


def language_of(name: str) -> str | None:
    """The extractor for a file name, or None when parity does not read such files."""
    lower = name.lower()
    if lower == "dockerfile" or lower.startswith("dockerfile.") or lower.endswith(".dockerfile"):
        return "dockerfile"
    if lower.endswith((".yml", ".yaml")) and lower.split(".")[0] in _COMPOSE:
        return "compose"
    if lower.endswith((".min.js", ".bundle.js", ".d.ts")):
        return None  # generated
    dot = lower.rfind(".")
    return _EXT.get(lower[dot:]) if dot > 0 else None


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
    names = out.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted({n for n in names if n})


def _walk(root: Path) -> Iterator[str]:
    # (folder relative to root, its spec) for every .gitignore seen on the way down.
    specs: list[tuple[str, pathspec.PathSpec]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        if ".gitignore" in filenames:
            try:
                with open(os.path.join(dirpath, ".gitignore"), encoding="utf-8", errors="replace") as fh:
                    specs.append((rel_dir, pathspec.GitIgnoreSpec.from_lines(fh.read().splitlines())))
            except OSError:
                pass
        active = [(base, spec) for base, spec in specs if rel_dir.startswith(base)]

        def ignored(rel: str, active: list[tuple[str, pathspec.PathSpec]] = active) -> bool:
            return any(spec.match_file(rel[len(base) :]) for base, spec in active)

        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not ignored(f"{rel_dir}{d}/"))
        for f in sorted(filenames):
            if language_of(f) is not None and not ignored(rel_dir + f):
                yield rel_dir + f


def source_files(root: Path) -> Iterator[tuple[str, str]]:
    """``(relative posix path, language)`` of every file worth reading under ``root``."""
    names = _git_files(root)
    it: Iterator[str] = iter(names) if names is not None else _walk(root)
    for rel in it:
        lang = language_of(rel.rsplit("/", 1)[-1])
        if lang is not None and not _skipped(rel):
            yield rel, lang
