"""The scanner's fast paths give what the careful ones give: masking without a call per token, opening
a listed file without an lstat, the folder check built from the parent's, Go's import aliases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parity.code import patterns
from parity.code.files import SPECIAL, walk_tree
from parity.code.scan import scan
from parity.errors import FileRefused
from parity.safefs import open_beneath, open_listed

TOKEN_SETS = [patterns._C_TOKENS, patterns._HASH_TOKENS, patterns._PHP_TOKENS, patterns._SHELL_TOKENS]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab \"'`/*#\n\\${}x\t", max_size=80))
def test_mask_equals_substitution_token_by_token(text: str) -> None:
    for tokens in TOKEN_SETS:
        masked = patterns.mask(text, tokens)
        assert masked == tokens.sub(patterns._mask_token, text)
        assert len(masked) == len(text)
        assert [i for i, c in enumerate(masked) if c == "\n"] == [i for i, c in enumerate(text) if c == "\n"]


def test_shell_comment_needs_a_blank_before_it() -> None:
    masked = patterns.mask("echo $# ${#X} # note 'q'\n# top\n", patterns._SHELL_TOKENS)
    assert masked.startswith("echo $# ${#X} ")
    assert "note" not in masked and "top" not in masked


def _read(fd_st: tuple[int, os.stat_result]) -> bytes:
    fd, st = fd_st
    try:
        return os.read(fd, st.st_size + 1)
    finally:
        os.close(fd)


def test_open_listed_reads_files_and_links_inside_and_refuses_the_rest(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "a/b").mkdir(parents=True)
    (root / "a/b/f.py").write_text("x = 1\n")
    (root / "a/link.py").symlink_to("b/f.py")
    outside = tmp_path / "secret.py"
    outside.write_text("TOKEN = 'fake'\n")
    (root / "a/out.py").symlink_to(outside)
    (root / "a/away").symlink_to(tmp_path)
    os.mkfifo(root / "a/pipe.py")
    r = str(root)
    assert _read(open_listed(r, "a/b/f.py")) == b"x = 1\n"
    assert _read(open_listed(r, "a/link.py")) == b"x = 1\n"
    for rel, reason in [
        ("a/out.py", "outside"),
        ("a/away/secret.py", "outside"),
        ("a/pipe.py", "special"),
        ("a/b", "directory"),
    ]:
        with pytest.raises(FileRefused) as exc:
            open_listed(r, rel)
        assert exc.value.reason == reason, rel
        with pytest.raises(FileRefused) as careful:
            open_beneath(r, rel)
        assert careful.value.reason == reason, rel
    with pytest.raises(FileRefused):
        open_listed(r, "a/../../secret.py")


def test_walk_marks_special_files_and_the_scan_notes_them_unopened(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc/app.py").write_text("import os\nURL = os.environ['SHOP_URL']\n")
    os.mkfifo(tmp_path / "svc/pipe.py")
    listed = dict(walk_tree(str(tmp_path)))
    assert listed == {"svc/app.py": "python", "svc/pipe.py": SPECIAL}
    result = scan(tmp_path, workers=1)
    assert [r.name for r in result.references] == ["SHOP_URL"]
    assert {n.file: n.reason for n in result.notes} == {"svc/pipe.py": "skipped: not a regular file"}


def test_files_opened_relative_to_their_walked_folder_read_and_refuse_as_by_path(tmp_path: Path) -> None:
    # Enough folders that the scan hands subtrees to the walk (not a flat file list), with a link
    # inside, a link out of the repository, a link to a folder outside and a FIFO deep in them.
    root = tmp_path / "repo"
    for i in range(60):
        (root / f"pkg{i}/sub").mkdir(parents=True)
        (root / f"pkg{i}/sub/m.py").write_text(f"import os\nV = os.environ['KEY_{i}']\n")
    outside = tmp_path / "secret.py"
    outside.write_text("import os\nT = os.environ['OUTSIDE_TOKEN']\n")
    (root / "pkg7/sub/inside.py").symlink_to("m.py")
    (root / "pkg8/sub/out.py").symlink_to(outside)
    (root / "pkg9/sub/away").symlink_to(tmp_path)
    os.mkfifo(root / "pkg10/sub/pipe.py")
    from parity.code.scan import _tasks

    tasks, _known = _tasks(str(root), 2)
    assert any(len(t) == 3 for t in tasks), "some subtrees are walked by the workers"
    for workers in (1, 2):
        result = scan(root, workers=workers)
        names = sorted(r.name for r in result.references)
        assert "OUTSIDE_TOKEN" not in names
        assert names.count("KEY_7") == 2  # m.py and the link to it
        assert {f"KEY_{i}" for i in range(60)} <= set(names)
        notes = {n.file: n.reason for n in result.notes}
        assert notes["pkg8/sub/out.py"] == "skipped: link target outside the repository"
        assert notes["pkg10/sub/pipe.py"] == "skipped: not a regular file"
        assert not any(f.startswith("pkg9/sub/away") for f in notes)


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ('package main\n\nimport "os"\n', {"os"}),
        ('package main\n\nimport (\n\t"fmt"\n\tsys "os"\n)\n', {"sys"}),
        ('package main\n\nimport ( "os" )\n', {"os"}),
        ('package main\n\nimport "fmt"\n', set()),
        ('package main\n\nimport "os"\nimport goos "os"\n', {"os", "goos"}),
    ],
)
def test_go_os_aliases(source: str, names: set[str]) -> None:
    assert patterns._go_os_aliases(source) == names


def test_go_alias_and_helper_reads_still_found() -> None:
    source = (
        'package main\n\nimport (\n\tsys "os"\n)\n\n'
        "func plain() int {\n\treturn 1\n}\n\n"
        'func mustMapEnv(target *string, key string) {\n\tv := sys.Getenv(key)\n\tif v == "" {\n\t\tpanic("unset")\n\t}\n\t*target = v\n}\n\n'
        'func main() {\n\tvar a string\n\tmustMapEnv(&a, "CART_ADDR")\n\t_ = sys.Getenv("SHOP_URL")\n}\n'
    )
    refs = {r.name: r for r in patterns.go_references(source)}
    assert set(refs) == {"CART_ADDR", "SHOP_URL"}
    assert refs["CART_ADDR"].crashes and refs["CART_ADDR"].via == "mustMapEnv()"


def test_git_listed_files_open_relative_to_their_folder_and_a_folder_turned_link_is_refused(
    tmp_path: Path,
) -> None:
    import subprocess

    root = tmp_path / "repo"
    for name in ("api", "api/v1", "worker"):
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "app.py").write_text(
            f"import os\nX = os.environ['{name.replace('/', '_').upper()}_URL']\n"
        )
    (root / "api/v1/alias.py").symlink_to("app.py")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "."], check=True)
    # After git listed worker/app.py, the folder becomes a link out of the repository.
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "app.py").write_text("import os\nT = os.environ['OUTSIDE_TOKEN']\n")
    (root / "worker/app.py").unlink()
    (root / "worker").rmdir()
    (root / "worker").symlink_to(outside)
    result = scan(root, workers=1)
    names = sorted(r.name for r in result.references)
    assert names == ["API_URL", "API_V1_URL", "API_V1_URL"]  # app.py and the link to it
    assert "OUTSIDE_TOKEN" not in names
    assert {n.file: n.reason for n in result.notes}.get("worker/app.py") == (
        "skipped: link target outside the repository"
    )


_UNDO_POOL = """
import os, signal, sys
from parity.code.scan import worker_pool
from parity.workflow.signals import interrupts_raise, shielded

def handlers(_):
    return signal.getsignal(signal.SIGTERM) == signal.SIG_DFL, signal.getsignal(signal.SIGINT) == signal.SIG_IGN

if __name__ == "__main__":
    with interrupts_raise(), shielded():
        pool = worker_pool(2)
        got = pool.map(handlers, range(2))
        pids = [p.pid for p in pool._pool]
        pool.terminate()
        pool.join()
    gone = []
    for pid in pids:
        try:
            os.kill(pid, 0)
            gone.append(False)
        except ProcessLookupError:
            gone.append(True)
    print(got, gone)
"""


def test_scan_workers_forked_during_an_undo_keep_default_signals_and_stop_on_terminate(
    tmp_path: Path,
) -> None:
    # `apply` re-runs the analysis (a scan, with a pool) while its undo holds SIGTERM back; a worker
    # forked then inherited the hold, ignored Pool.terminate(), and the run waited for it forever.
    # In a child process with a deadline, so a regression fails instead of hanging the suite.
    import subprocess
    import sys

    script = tmp_path / "undo_pool.py"
    script.write_text(_UNDO_POOL)
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[(True, True), (True, True)] [True, True]"
