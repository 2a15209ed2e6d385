"""The scanner: every env var the code reads and every feature flag it checks.

Pipeline per file: cheap checks first (size, a bytes search for the trigger tokens of its language),
then decode and extract — Python by ``ast`` (:mod:`parity.code.python_refs`), the other languages by
precise patterns over comment- and string-masked text (:mod:`parity.code.patterns`). The work is
split into tasks for a pool of worker processes (one per core): chunks of git's file list, or — when
walking — the folders left after a short breadth-first walk, which each worker walks itself (so the
walk runs in parallel too). Only references come back, so memory stays flat in the repository's size. Files that cannot be read — unreadable, not UTF-8,
binary, huge (generated), a symlink loop, a Python syntax error — are skipped with a note, never an
error.

Example::

    result = scan(Path("examples/shop"))
    [r.name for r in result.references if r.is_flag]   # ['FEATURE_ENABLE_EXPORTS']
"""

from __future__ import annotations

import dataclasses
import errno
import functools
import multiprocessing
import multiprocessing.pool
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ahocorasick_rs

from parity.code.context import (
    BUILD,
    MAIN_BLOCK,
    SERVICE,
    context_of,
    dockerfile_runtime_lines,
    main_block,
    runtime_mentions,
)
from parity.code.files import SPECIAL, Ignores, git_source_files, source_files, split_tree, walk_folders
from parity.code.refs import (
    DEFAULT_FLAG_PATTERNS,
    RawRef,
    Reference,
    ScanNote,
    ScanResult,
    is_flag_glob,
    is_flag_name,
)
from parity.errors import FileRefused, ParityError
from parity.safefs import folder_beneath, open_at, open_folder, open_listed

if TYPE_CHECKING:
    from parity.model.condition import Condition
    from parity.project import Project

MAX_BYTES = 2_000_000  # larger source files are generated (bundles, vendored blobs), not written by hand
CHUNK = 128  # files per task: large enough to amortise pickling, small enough to balance two cores
SERIAL_BELOW = 400  # files; below this a pool costs more than it saves

# Flag-SDK method fragments: "ariation" (variation/BoolVariation), "nabled" (isEnabled/is_enabled), …
_SDK_TOKENS = (b"ariation", b"nabled", b"oolean", b"sOn", b"s_on")
TRIGGERS: dict[str, tuple[bytes, ...]] = {
    "python": (b"env", b"Settings", b"decouple", *_SDK_TOKENS),
    "javascript": (b"env", b"ProcessEnv", b"ImportMetaEnv", *_SDK_TOKENS),
    "go": (b"Getenv", b"LookupEnv", *_SDK_TOKENS),
    "java": (b"getenv", *_SDK_TOKENS),
    "ruby": (b"ENV", *_SDK_TOKENS),
    "php": (b"env", b"ENV", *_SDK_TOKENS),
    "csharp": (b"GetEnvironmentVariable", b"onfig", b"ettings", *_SDK_TOKENS),
    "rust": (b"env",),
    "shell": (b"$",),
    "dockerfile": (b"$",),
    "compose": (b"$",),
}

FileResult = tuple[str, str, list[RawRef], str | None]  # (rel path, language, refs, note)


@functools.cache
def _prefilter(language: str) -> ahocorasick_rs.BytesAhoCorasick:
    """One automaton per language: a single pass over the bytes for all its trigger tokens.

    Leftmost-first matching lets the library use its SIMD prefilter (Teddy): about 30 times faster here
    than the default "standard" semantics, which we do not need (any match will do).
    """
    return ahocorasick_rs.BytesAhoCorasick(
        list(TRIGGERS[language]), matchkind=ahocorasick_rs.MATCHKIND_LEFTMOST_FIRST
    )


def read_source(
    root: str,
    rel: str,
    language: str,
    max_bytes: int = MAX_BYTES,
    prefilter: ahocorasick_rs.BytesAhoCorasick | None = None,
    dir_fd: int | None = None,
) -> tuple[str | None, str | None]:
    """``(text, None)`` when the file deserves extraction, ``(None, note)`` when skipped with a reason,
    ``(None, None)`` when the prefilter rules it out (nothing to say). ``dir_fd``: the open folder
    the walk listed ``rel`` in."""
    try:
        # Through safefs: a link out of the repository, a FIFO or a device is never opened. ``rel``
        # comes from a listing of the tree (the walk or git's), which lets the plain case skip a stat;
        # from the walk, the file opens relative to its folder, without resolving the path again.
        got = open_at(dir_fd, rel.rpartition("/")[2]) if dir_fd is not None else None
        fd, st = got if got is not None else open_listed(root, rel)
    except FileRefused as exc:
        if exc.reason == "directory":
            return None, None  # a symlink to a folder: folders are never followed
        if exc.reason == "outside":
            return None, "skipped: link target outside the repository"
        return None, "skipped: not a regular file"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, "skipped: symlink loop"
        if exc.errno == errno.ENOENT:
            return None, "skipped: broken symlink or vanished file"
        return None, f"skipped: cannot read ({exc.strerror})"
    try:
        if st.st_size > max_bytes:
            return None, f"skipped: {st.st_size:,} bytes, probably generated (limit {max_bytes:,})"
        data = os.read(fd, st.st_size + 1)
        if len(data) > st.st_size:  # the file grew while we read it: take the rest, up to the limit
            data += os.read(fd, max_bytes + 1 - len(data)) if len(data) <= max_bytes else b""
            if len(data) > max_bytes:
                return None, f"skipped: grew past {max_bytes:,} bytes while being read"
    except OSError as exc:
        return None, f"skipped: cannot read ({exc.strerror})"
    finally:
        os.close(fd)
    if not (prefilter or _prefilter(language)).find_matches_as_indexes(data):
        return None, None
    if b"\0" in data[:8192]:
        return None, "skipped: binary file"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, f"skipped: not valid UTF-8 (byte {exc.start})"


def extract(text: str, language: str) -> list[RawRef]:
    """References in one file's text. Raises ``SyntaxError`` for Python that does not parse."""
    if language == "python":
        from parity.code.python_refs import python_references

        return python_references(text)
    if language in ("csharp", "rust"):
        from parity.code.tree_reads import csharp_references, rust_references

        return csharp_references(text) if language == "csharp" else rust_references(text)
    if language == "javascript":
        from parity.code.js_schema import js_references

        return js_references(text)
    from parity.code.patterns import EXTRACTORS

    return EXTRACTORS[language](text)


def scan_file(root: str, rel: str, language: str, dir_fd: int | None = None) -> FileResult:
    if language == SPECIAL:  # the walk saw a FIFO, socket or device: never opened
        return rel, language, [], "skipped: not a regular file"
    text, note = read_source(root, rel, language, dir_fd=dir_fd)
    if text is None:
        return rel, language, [], note
    try:
        raws = extract(text, language)
        if language == "dockerfile" and raws:
            runtime = dockerfile_runtime_lines(text)
            raws = [replace(r, context=SERVICE if r.line in runtime else BUILD) for r in raws]
        return rel, language, raws, None
    except SyntaxError as exc:
        return rel, language, [], f"skipped: Python syntax error at line {exc.lineno}"
    except (RecursionError, ValueError) as exc:
        return rel, language, [], f"skipped: cannot parse ({type(exc).__name__})"


# A unit of work: a list of files, or a folder to walk and scan (with the .gitignore rules above it).
Task = tuple[str, list[tuple[str, str]]] | tuple[str, str, Ignores]


def _run(root: str, files: Iterable[tuple[str, str]]) -> tuple[int, list[FileResult]]:
    # Listings are sorted by folder: each folder is opened once and its files relative to it.
    seen = 0
    out: list[FileResult] = []
    folder: str | None = None
    dir_fd: int | None = None
    try:
        for rel, lang in files:
            here = rel.rpartition("/")[0]
            if here != folder:
                if dir_fd is not None:
                    os.close(dir_fd)
                folder, dir_fd = here, folder_beneath(root, here)
            seen += 1
            _keep(out, scan_file(root, rel, lang, dir_fd))
    finally:
        if dir_fd is not None:
            os.close(dir_fd)
    return seen, out


def _keep(out: list[FileResult], r: FileResult) -> None:
    if r[2] or r[3]:  # references or a note: a file with neither says nothing
        out.append(r)


def _run_task(task: Task) -> tuple[int, list[FileResult]]:
    if len(task) == 2:
        return _run(task[0], task[1])
    root, rel_dir, ignores = task
    seen = 0
    out: list[FileResult] = []
    for folder, files in walk_folders(root, rel_dir, ignores):
        if not files:
            continue
        dir_fd = open_folder(f"{root}/{folder}" if folder else root)
        seen += len(files)
        try:
            for rel, lang in files:
                _keep(out, scan_file(root, rel, lang, dir_fd))
        finally:
            if dir_fd is not None:
                os.close(dir_fd)
    return seen, out


def _tasks(root: str, workers: int) -> tuple[list[Task], int | None]:
    """The work, and the number of files when it is all known up front (None: folders left to walk)."""
    listed = git_source_files(Path(root))
    if listed is not None:
        return [(root, listed[i : i + CHUNK]) for i in range(0, len(listed), CHUNK)], len(listed)
    # Walking is a third of the work: the workers walk subtrees themselves, so it runs in parallel too.
    files, subtrees = split_tree(root, parts=16 * workers)
    tasks: list[Task] = [(root, files[i : i + CHUNK]) for i in range(0, len(files), CHUNK)]
    tasks.extend((root, rel_dir, ignores) for rel_dir, ignores in subtrees)
    return tasks, None if subtrees else len(files)


def _results(root: str, tasks: list[Task], workers: int) -> Iterator[tuple[int, list[FileResult]]]:
    # A daemonic process (itself a pool worker) may not start children: scan in-process there.
    if workers <= 1 or multiprocessing.current_process().daemon:
        yield from map(_run_task, tasks)
        return
    with worker_pool(workers) as pool:
        yield from pool.imap_unordered(_run_task, tasks)


def _worker_signals() -> None:
    # A forked worker inherits the handlers of the moment it was forked: parity's SIGTERM-raises
    # (a run that writes) or the hold of an undo that must finish. Either keeps Pool.terminate()
    # from stopping it, and the parent then waits for it forever. Workers die on SIGTERM and leave
    # Ctrl-C to the parent, which stops the pool.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def worker_pool(workers: int) -> multiprocessing.pool.Pool:
    """The scan's process pool: forked where the platform can, workers with default signals."""
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    return ctx.Pool(workers, initializer=_worker_signals)


def service_of(rel: str, services: Sequence[tuple[str, str]]) -> str | None:
    """The service whose folder holds ``rel`` (deepest wins); ``services`` are ``(name, rel folder)``."""
    best: tuple[int, str] | None = None
    for name, folder in services:
        if folder in ("", ".") or rel.startswith(folder + "/"):
            depth = 0 if folder in ("", ".") else folder.count("/") + 1
            if best is None or depth > best[0]:
                best = (depth, name)
    return best[1] if best else None


def scan(
    root: Path,
    *,
    patterns: Iterable[str] = DEFAULT_FLAG_PATTERNS,
    services: Sequence[tuple[str, str]] = (),
    workers: int | None = None,
    mentioned: frozenset[str] = frozenset(),
) -> ScanResult:
    """Scan the code under ``root``. ``services`` are ``(name, folder relative to root)`` pairs;
    ``mentioned``: the script names the runtime starts (:func:`parity.code.context.runtime_mentions`)."""
    root = Path(root).resolve()
    pats = tuple(patterns)
    cores = min(os.cpu_count() or 1, 8)
    tasks, known = _tasks(str(root), workers or cores)
    if workers is None:
        # A pool costs ~50 ms to start: small repositories are scanned in-process.
        workers = 1 if known is not None and known < SERIAL_BELOW else cores
    refs: list[Reference] = []
    notes: list[ScanNote] = []
    parsed = seen = 0
    for count, results in _results(str(root), tasks, workers):
        seen += count
        for rel, lang_, raws, note in results:
            _collect(rel, lang_, raws, note, services, pats, refs, notes, mentioned)
            parsed += bool(raws)
    refs = _through_helpers(root, refs, services, pats, notes, mentioned)
    refs = _settings_given_elsewhere(root, refs)
    if any(r.language == "javascript" for r in refs):
        from parity.code.js_schema import typed_optional

        refs = typed_optional(refs)
        from parity.code.buildtool import drop_build_defined

        refs = drop_build_defined(root, refs)
    refs.sort(key=lambda r: (r.file, r.line, r.name))
    notes.sort(key=lambda n: n.file)
    return ScanResult(tuple(refs), tuple(notes), seen, parsed)


def with_branches(root: Path, refs: Sequence[Reference], known: Iterable[Reference]) -> list[Reference]:
    """``refs`` with each JS/TS read that has no default given the branch it sits in
    (:mod:`parity.code.js_conditions`). Asked for the few reads a check is about to report (a key
    missing in the target), not at scan time: only their files are parsed. ``known`` is the whole
    scan, for the reader names and the files where a predicate called in a test may live."""
    from parity.code import js_conditions

    wanted: dict[str, set[tuple[int, str]]] = {}
    for r in refs:
        if r.language == "javascript" and not r.has_default and not r.dynamic and r.context == SERVICE:
            wanted.setdefault(r.file, set()).add((r.line, r.name))
    if not wanted:
        return list(refs)
    js = [r for r in known if r.language == "javascript"]
    readers = js_conditions.reader_names({r.via for r in js})
    env_files = sorted({r.file for r in js})
    texts: dict[str, str] = {}

    def text(rel: str) -> str:
        if rel not in texts:
            texts[rel] = read_source(str(root), rel, "javascript")[0] or ""
        return texts[rel]

    predicates: dict[str, Condition | None] = {}

    def resolve(name: str) -> Condition | None:
        if name not in predicates:
            predicates[name] = None  # a cycle reads as "not found"
            for rel in env_files:
                body = text(rel)
                if f"{name} =" in body or f"function {name}" in body:
                    found = js_conditions.predicate_in(body, rel, name, readers, resolve)
                    if found is not None:
                        predicates[name] = found
                        break
        return predicates[name]

    found: dict[tuple[str, int, str], Condition] = {}
    for rel, reads in wanted.items():
        for (line, name), cond in js_conditions.conditions(text(rel), rel, reads, readers, resolve).items():
            found[(rel, line, name)] = cond
    return [
        dataclasses.replace(r, when=found[(r.file, r.line, r.name)])
        if (r.file, r.line, r.name) in found
        else r
        for r in refs
    ]


@dataclasses.dataclass(frozen=True, slots=True)
class _HelperKind:
    """How one language's wrapper functions around an env read are found and their calls read
    (:mod:`parity.code.python_helpers`, :mod:`parity.code.js_schema`)."""

    language: str
    candidate: Callable[[Reference], bool]  # a read that may sit inside a wrapper
    find: Callable[[str], Sequence[Any]]  # the wrappers a module defines
    reads: Callable[[str, dict[str, Any]], list[RawRef]]  # the reads a module makes through them
    needles: Callable[[str], list[bytes]]  # what a calling module's text must hold


def _helper_kinds() -> tuple[_HelperKind, ...]:
    from parity.code import js_schema, python_helpers

    return (
        _HelperKind(
            "python",
            lambda r: r.dynamic,
            python_helpers.helpers_in,
            python_helpers.helper_reads,
            lambda n: [n.encode()],
        ),
        _HelperKind(
            "javascript",
            lambda r: r.dynamic and r.name == "*",
            js_schema.helpers_in,
            lambda text, hs: js_schema.helper_reads(text, list(hs.values())),
            lambda n: [f"{n}(".encode(), f"{n}<".encode()],
        ),
    )


def _through_helpers(
    root: Path,
    refs: list[Reference],
    services: Sequence[tuple[str, str]],
    pats: tuple[str, ...],
    notes: list[ScanNote],
    mentioned: frozenset[str],
) -> list[Reference]:
    """Add the reads made through wrapper functions (Python ``_get("X", d)``, JS ``env("X")``).

    A wrapper's own read names no key (``os.getenv(s)``), so the modules to look in are those with
    such a read; every module of that language calling one is then read for its calls, in one
    walk of the tree for all languages."""
    found: dict[str, tuple[_HelperKind, dict[str, Any], ahocorasick_rs.BytesAhoCorasick]] = {}
    spans: dict[str, list[tuple[int, int]]] = {}
    for kind in _helper_kinds():
        helpers: dict[str, Any] = {}
        for rel in sorted({r.file for r in refs if r.language == kind.language and kind.candidate(r)}):
            text, _ = read_source(str(root), rel, kind.language)
            for h in kind.find(text or ""):
                helpers.setdefault(h.name, h)
                spans.setdefault(rel, []).append((h.line_start, h.line_end))
        if helpers:
            needles = [b for n in helpers for b in kind.needles(n)]
            matcher = ahocorasick_rs.BytesAhoCorasick(
                needles, matchkind=ahocorasick_rs.MATCHKIND_LEFTMOST_FIRST
            )
            found[kind.language] = (kind, helpers, matcher)
    if not found:
        return refs
    # The wrapper's generic read is not a read of "any key": its callers say which.
    kept = [
        r
        for r in refs
        if not (r.dynamic and r.name == "*" and any(a <= r.line <= b for a, b in spans.get(r.file, ())))
    ]
    for rel, lang in source_files(root):
        entry = found.get(lang)
        if entry is None:
            continue
        kind, helpers, matcher = entry
        text, _ = read_source(str(root), rel, lang, prefilter=matcher)
        if text:
            _collect(rel, lang, kind.reads(text, helpers), None, services, pats, kept, notes, mentioned)
    return kept


_SETTINGS_VIA = "pydantic-settings "


def _settings_given_elsewhere(root: Path, refs: list[Reference]) -> list[Reference]:
    """A required settings field another module passes to the class (``AppLoggingSettings(
    PRODUCTION=PRODUCTION)`` in a config module) does not need the env: not required after all.
    The module's own calls are seen by the extractor; this looks in the rest of the code."""
    wanted: dict[str, set[str]] = {}
    for r in refs:
        if r.crashes and r.language == "python" and r.via.startswith(_SETTINGS_VIA):
            cls, _, fld = r.via[len(_SETTINGS_VIA) :].partition(".")
            wanted.setdefault(cls, set()).add(fld)
    if not wanted:
        return refs
    from parity.code.python_refs import keywords_passed

    matcher = ahocorasick_rs.BytesAhoCorasick(
        [f"{c}(".encode() for c in wanted], matchkind=ahocorasick_rs.MATCHKIND_LEFTMOST_FIRST
    )
    given: dict[str, set[str]] = {}
    for rel, lang in source_files(root):
        if lang != "python":
            continue
        text, _ = read_source(str(root), rel, lang, prefilter=matcher)
        if text:
            for cls, names in keywords_passed(text, frozenset(wanted)).items():
                given.setdefault(cls, set()).update(names)
    out = []
    for r in refs:
        if r.crashes and r.language == "python" and r.via.startswith(_SETTINGS_VIA):
            cls, _, fld = r.via[len(_SETTINGS_VIA) :].partition(".")
            if fld in given.get(cls, ()):
                r = dataclasses.replace(r, crashes=False, has_default=True)
        out.append(r)
    return out


def _collect(
    rel: str,
    lang_: str,
    raws: list[RawRef],
    note: str | None,
    services: Sequence[tuple[str, str]],
    pats: tuple[str, ...],
    refs: list[Reference],
    notes: list[ScanNote],
    mentioned: frozenset[str] = frozenset(),
) -> None:
    if note:
        notes.append(ScanNote(rel, note))
        return
    svc = service_of(rel, services)
    by_path = context_of(rel, mentioned)
    for r in raws:
        # A value used as a switch makes a flag whatever its name.
        flag = r.kind == "sdk" or (not r.dynamic and (r.boolean or is_flag_name(r.name, pats)))
        if r.dynamic and not flag:
            # A glob like FEATURE_* that only ever names flags is still a flag read.
            flag = is_flag_glob(r.name, pats)
        refs.append(
            Reference(
                r.name,
                rel,
                r.line,
                lang_,
                r.via,
                r.kind,
                svc,
                r.default,
                r.has_default,
                r.crashes,
                flag,
                r.dynamic,
                r.boolean,
                # A path that says test/CI/tooling wins over a Dockerfile line: a test image's CMD
                # does not run in production either.
                by_path if by_path != SERVICE else _text_context(r.context, rel, mentioned),
            )
        )


def _text_context(said: str, rel: str, mentioned: frozenset[str]) -> str:
    if said == MAIN_BLOCK:
        return main_block(rel, mentioned)
    return said or SERVICE


def project_services(project: Project) -> list[tuple[str, str]]:
    """``(name, code folder)`` of the services with code here; one name per folder (the first),
    the others that share it are found with ``Project.sharing_code``."""
    out: dict[str, str] = {}
    for s in project.services:
        if s.code_folder is not None:
            out.setdefault(project.rel(s.code_folder), s.name)
    return [(name, folder) for folder, name in out.items()]


def runtime_texts(project: Project) -> Iterator[str]:
    """What the runtime starts, as text: the compose files and manifests of the project's units, and
    the Dockerfiles and package.json beside each unit's code (their CMD, ENTRYPOINT and scripts)."""
    seen: set[Path] = set()
    candidates: list[Path] = []
    for s in project.services:
        for u in s.units:
            candidates.append(u.file)
            if u.code is not None:
                candidates.extend(sorted(u.code.glob("*Dockerfile*"))[:8])
                candidates.extend(sorted(u.code.glob("docker/*Dockerfile*"))[:8])
                candidates.append(u.code / "package.json")
    candidates.extend(sorted(project.root.glob("*Dockerfile*"))[:8])
    for path in candidates:
        if path in seen:
            continue
        seen.add(path)
        try:
            if project.fs.is_file(path):
                yield project.fs.read_text(path, errors="replace")
        except (OSError, ParityError):
            continue


def scan_project(project: Project, workers: int | None = None) -> ScanResult:
    """Scan a discovered project, attributing each reference to its service folder."""
    return scan(
        project.root,
        patterns=project.config.flags.patterns,
        services=project_services(project),
        workers=workers,
        mentioned=started_names(project),
    )


_SCRIPT_SUFFIXES = (".sh", ".bash")


def started_names(project: Project) -> frozenset[str]:
    """:func:`runtime_mentions` of what the runtime starts, and of the shell scripts it starts
    (an ``entrypoint.sh`` that runs ``python worker.py``), two levels deep."""
    mentioned = runtime_mentions(runtime_texts(project))
    folders = [project.root, *{u.code for s in project.services for u in s.units if u.code is not None}]
    read: set[Path] = set()
    for _level in range(2):
        texts = []
        for word in sorted(w for w in mentioned if w.endswith(_SCRIPT_SUFFIXES)):
            for folder in folders:
                path = folder / word
                if path in read:
                    continue
                read.add(path)
                try:
                    if project.fs.is_file(path):
                        texts.append(project.fs.read_text(path, errors="replace"))
                except (OSError, ParityError):
                    continue
        if not texts:
            break
        mentioned |= runtime_mentions(texts)
    return mentioned
