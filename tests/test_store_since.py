"""``--since REF``: breaking changes to a Store interface against a real git history."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from helpers import run_cli
from parity.errors import ParityError
from parity.store.interface import changes_since, check_interfaces
from parity.store.source import scan_project

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}

OLD = """
from typing import Protocol

class Store(Protocol):
    def get_order(self, order_id: int) -> dict: ...
    def list_orders(self, customer_id: int | None = None) -> list: ...
    def delete_order(self, order_id: int) -> None: ...
    def count(self) -> int: ...
"""

NEW = """
from typing import Protocol

class Store(Protocol):
    def get_order(self, order_id: int, *, tenant: str) -> dict: ...
    def list_orders(self, customer_id: int | None = None, limit: int = 100) -> list: ...
    def remove_order(self, order_id: int) -> None: ...
    def count(self) -> int: ...
    def mark_exported(self, order_id: int, exported_at: str) -> None: ...
"""


def git(root: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=root, env=GIT_ENV, capture_output=True, text=True, check=True)
    return out.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "svc/app").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "svc/app/store.py").write_text(textwrap.dedent(OLD))
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "release")
    git(root, "tag", "production")
    (root / "svc/app/store.py").write_text(textwrap.dedent(NEW))
    return root


def test_breaking_changes_since_a_tag(repo: Path) -> None:
    current = check_interfaces(scan_project(repo))
    changes, new = changes_since(repo, "production", current)
    assert new == []
    got = {(c.member, c.change): c for c in changes}
    assert set(got) == {
        ("delete_order", "removed"),
        ("remove_order", "added"),
        ("mark_exported", "added"),
        ("get_order", "changed"),
    }
    assert got[("delete_order", "removed")].renamed_to == "remove_order"
    assert got[("delete_order", "removed")].breaking
    (problem,) = got[("get_order", "changed")].problems
    assert "new required parameter 'tenant'" in problem
    assert not got[("mark_exported", "added")].breaking
    # list_orders only gained a defaulted parameter: not a change callers notice.
    assert ("list_orders", "changed") not in got


def test_interface_that_moved_files_is_still_found(repo: Path) -> None:
    git(repo, "mv", "svc/app/store.py", "svc/app/ports.py")
    current = check_interfaces(scan_project(repo))
    changes, new = changes_since(repo, "production", current)
    assert new == [] and {c.member for c in changes if c.change == "removed"} == {"delete_order"}


def test_interface_new_since_ref(repo: Path) -> None:
    (repo / "svc/app/cache.py").write_text(
        "from typing import Protocol\n\nclass CacheStore(Protocol):\n    def get(self): ...\n"
    )
    current = check_interfaces(scan_project(repo))
    _, new = changes_since(repo, "production", current)
    assert [i.name for i in new] == ["CacheStore"]


def test_unknown_ref_and_no_repository_are_clear_errors(repo: Path, tmp_path: Path) -> None:
    current = check_interfaces(scan_project(repo))
    with pytest.raises(ParityError, match="unknown git ref 'nope'"):
        changes_since(repo, "nope", current)
    plain = tmp_path / "plain"
    (plain / "a").mkdir(parents=True)
    (plain / "a/s.py").write_text(textwrap.dedent(OLD))
    with pytest.raises(ParityError, match="not inside a git repository"):
        changes_since(plain, "HEAD", check_interfaces(scan_project(plain)))


def test_cli_since(repo: Path) -> None:
    res = run_cli("store", str(repo / "svc"), "--since", "production", "--format", "json")
    assert res.returncode == 1, res.stderr
    assert '"STO020"' in res.stdout and '"STO021"' in res.stdout and '"STO022"' in res.stdout
    assert "app/store.py" in res.stdout
    bad = run_cli("store", str(repo / "svc"), "--since", "no-such-ref")
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("parity: error:") and "no-such-ref" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
