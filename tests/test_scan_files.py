"""The scanner over real folders: what it reads, what it skips (with a note, never a crash),
git and .gitignore, parallel equals serial."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from parity.code.scan import MAX_BYTES, scan


def write(root: Path, rel: str, text: str | bytes) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def names(result: object) -> set[tuple[str, str]]:
    return {(r.name, r.file) for r in result.references}  # type: ignore[attr-defined]


def test_bad_files_are_skipped_with_a_note(tmp_path: Path) -> None:
    write(tmp_path, "good.py", 'import os\nos.getenv("GOOD")\n')
    write(tmp_path, "latin1.py", b'import os\nos.getenv("BAD")  # caf\xe9\n')
    write(tmp_path, "binary.py", b'os.getenv("BIN")\x00\x01\x02')
    write(tmp_path, "broken.py", 'import os\ndef f(:\n    os.getenv("SYNTAX")\n')
    write(tmp_path, "huge.js", "const a = process.env.HUGE;\n" + "x".ljust(MAX_BYTES + 10, "x"))
    os.symlink("loop_b.py", tmp_path / "loop_a.py")
    os.symlink("loop_a.py", tmp_path / "loop_b.py")
    os.symlink("missing.py", tmp_path / "dangling.py")
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "folder.py").mkdir()
    os.symlink(tmp_path, tmp_path / "self_link")  # a folder loop: never followed

    result = scan(tmp_path, workers=1)

    assert names(result) == {("GOOD", "good.py")}
    notes = {n.file: n.reason for n in result.notes}
    assert "not valid UTF-8" in notes["latin1.py"]
    assert "binary" in notes["binary.py"]
    assert "syntax error at line 2" in notes["broken.py"]
    assert "probably generated" in notes["huge.js"]
    assert notes["loop_a.py"] == "skipped: symlink loop"
    assert notes["loop_b.py"] == "skipped: symlink loop"
    assert "broken symlink" in notes["dangling.py"]
    assert notes["pipe.py"] == "skipped: not a regular file"
    assert "folder.py" not in notes


def test_unreadable_file_is_skipped_with_a_note(tmp_path: Path) -> None:
    p = write(tmp_path, "secret.py", 'import os\nos.getenv("HIDDEN")\n')
    write(tmp_path, "ok.py", 'import os\nos.getenv("SEEN")\n')
    p.chmod(0)
    try:
        readable_anyway = os.access(p, os.R_OK)  # root reads everything
        result = scan(tmp_path, workers=1)
    finally:
        p.chmod(0o644)
    if readable_anyway:
        assert names(result) == {("HIDDEN", "secret.py"), ("SEEN", "ok.py")}
    else:
        assert names(result) == {("SEEN", "ok.py")}
        assert [n.reason for n in result.notes] == ["skipped: cannot read (Permission denied)"]


def test_gitignore_and_vendored_folders_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "ignored/\n*.gen.py\n")
    write(tmp_path, "app/main.py", 'import os\nos.getenv("KEEP")\n')
    write(tmp_path, "app/.gitignore", "local.py\n")
    write(tmp_path, "app/local.py", 'import os\nos.getenv("NESTED_IGNORED")\n')
    write(tmp_path, "ignored/x.py", 'import os\nos.getenv("IGNORED")\n')
    write(tmp_path, "app/models.gen.py", 'import os\nos.getenv("GENERATED")\n')
    write(tmp_path, "node_modules/lib/index.js", "process.env.VENDORED\n")
    write(tmp_path, "vendor/pkg/a.go", 'package a\nimport "os"\nvar x = os.Getenv("VENDORED_GO")\n')
    write(tmp_path, "web/dist/app.min.js", "process.env.MINIFIED\n")
    result = scan(tmp_path, workers=1)
    assert names(result) == {("KEEP", "app/main.py")}


def test_git_repo_scans_tracked_and_unignored_files(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "secret_ignored.py\n")
    write(tmp_path, "tracked.py", 'import os\nos.getenv("TRACKED")\n')
    write(tmp_path, "secret_ignored.py", 'import os\nos.getenv("IGNORED")\n')
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "tracked.py", ".gitignore"], check=True)
    write(tmp_path, "new_untracked.py", 'import os\nos.getenv("UNTRACKED")\n')
    # A file git tracks although .gitignore now matches it is still code that ships.
    write(tmp_path, "forced.py", 'import os\nos.getenv("FORCED")\n')
    subprocess.run(["git", "-C", str(tmp_path), "add", "-f", "forced.py"], check=True)
    (tmp_path / ".gitignore").write_text("secret_ignored.py\nforced.py\n")
    result = scan(tmp_path, workers=1)
    assert {n for n, _ in names(result)} == {"TRACKED", "UNTRACKED", "FORCED"}


def test_parallel_equals_serial_and_services_are_attributed(tmp_path: Path) -> None:
    for i in range(600):
        svc = ("api", "web", "worker")[i % 3]
        if i % 7 == 0:
            write(tmp_path, f"services/{svc}/m{i}.py", f'import os\nX = os.getenv("KEY_{i % 11}", "d")\n')
        elif i % 5 == 0:
            write(tmp_path, f"services/{svc}/m{i}.js", f"export const x = process.env.JS_{i % 13};\n")
        else:
            write(tmp_path, f"services/{svc}/m{i}.py", f"def f{i}(x):\n    return x + {i}\n")
    write(tmp_path, "tools/root.sh", 'echo "${ROOT_ONLY}"\n')
    services = [("api", "services/api"), ("web", "services/web"), ("worker", "services/worker")]
    serial = scan(tmp_path, services=services, workers=1)
    parallel = scan(tmp_path, services=services, workers=2)
    auto = scan(tmp_path, services=services)
    assert serial.references == parallel.references == auto.references
    assert serial.files_seen == parallel.files_seen == 601
    by_file = {r.file: r.service for r in serial.references}
    assert all(by_file[f] == f.split("/")[1] for f in by_file if f.startswith("services/"))
    assert by_file["tools/root.sh"] is None


def test_flag_patterns_are_configurable(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.py",
        'import os\nos.getenv("FEATURE_X")\nos.getenv("BETA_SEARCH")\nos.getenv(f"FEATURE_{n}")\n',
    )
    default = {r.name: r.is_flag for r in scan(tmp_path, workers=1).references}
    assert default == {"FEATURE_X": True, "BETA_SEARCH": False, "FEATURE_*": True}
    custom = {r.name: r.is_flag for r in scan(tmp_path, patterns=["BETA_*"], workers=1).references}
    assert custom == {"FEATURE_X": False, "BETA_SEARCH": True, "FEATURE_*": False}


def test_ignore_rules_follow_the_work_into_split_subtrees(tmp_path: Path) -> None:
    # Enough folders that the scan splits the tree into subtrees walked by the workers.
    write(tmp_path, ".gitignore", "*.gen.py\n")
    for i in range(40):
        write(tmp_path, f"pkg{i}/sub/mod.py", f'import os\nos.getenv("KEEP_{i}")\n')
        write(tmp_path, f"pkg{i}/sub/x.gen.py", 'import os\nos.getenv("ROOT_RULE")\n')
    write(tmp_path, "pkg7/sub/.gitignore", "local_*.py\n")
    write(tmp_path, "pkg7/sub/local_a.py", 'import os\nos.getenv("NESTED_RULE")\n')
    for workers in (1, 2):
        result = scan(tmp_path, workers=workers)
        assert {r.name for r in result.references} == {f"KEEP_{i}" for i in range(40)}
        assert result.files_seen == 40


def test_prefilter_lets_decouple_only_modules_through(tmp_path: Path) -> None:
    write(
        tmp_path,
        "settings.py",
        'from decouple import config\nDEBUG = config("DEBUG", default=False, cast=bool)\n',
    )
    assert {(r.name, r.line, r.has_default) for r in scan(tmp_path, workers=1).references} == {
        ("DEBUG", 2, True)
    }
