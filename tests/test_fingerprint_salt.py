"""Fingerprints are keyed per repository: equal within a repository (a run, and run after run),
different between repositories, 64 bits long; the key file is private and ignored by git, and a
key parity did not make itself (a committed one, one behind a symlink) is never used."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import stat
import subprocess
from pathlib import Path

from helpers import run_cli

SALT_FILE = "fingerprint-salt"  # parity.env.salt.SALT_FILE
SECRET = "hunter2-FAKE"
FINGERPRINT = re.compile(r"hmac:[0-9a-f]{16}")


def project(root: Path) -> Path:
    (root / "services/api").mkdir(parents=True)
    (root / "services/web").mkdir(parents=True)
    for svc in ("api", "web"):
        (root / f"services/{svc}/.env.example").write_text("DB_PASS=\nLOG_LEVEL=info\n")
        (root / f"services/{svc}/.env.production").write_text(f"DB_PASS={SECRET}\nLOG_LEVEL=info\n")
    return root


def fingerprints(root: Path) -> list[str]:
    """The fingerprints ``env diff --all`` shows for DB_PASS, one per service."""
    done = run_cli("env", "diff", str(root), "--all", "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    assert done.stderr == ""  # nothing said about keys, even where none can be kept
    rows = [
        row
        for s in json.loads(done.stdout)["sections"]
        for t in s["tables"]
        for row in t["rows"]
        if row[0] == "DB_PASS"
    ]
    found = [cell for row in rows for cell in row if FINGERPRINT.fullmatch(cell)]
    assert len(found) == 2 and SECRET not in done.stdout
    return found


def test_equal_in_a_repository_run_after_run_and_different_across_repositories(tmp_path: Path) -> None:
    one, two = project(tmp_path / "one"), project(tmp_path / "two")
    first = fingerprints(one)
    assert first[0] == first[1]  # equal values, equal fingerprints within a run
    assert fingerprints(one) == first  # and across runs in the same repository
    assert fingerprints(two)[0] != first[0]  # another repository: another key


def test_key_file_is_private_random_and_ignored_by_git(tmp_path: Path) -> None:
    root = project(tmp_path / "repo")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    fingerprints(root)
    salt = root / ".parity" / SALT_FILE
    assert stat.S_IMODE(salt.stat().st_mode) == 0o600
    assert len(bytes.fromhex(salt.read_text().strip())) == 32
    status = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ".parity" not in status and "services/api/.env.production" in status
    ignored = subprocess.run(["git", "-C", str(root), "check-ignore", "-q", str(salt)], check=False)
    assert ignored.returncode == 0


def test_fingerprint_is_the_hmac_of_the_repository_key(tmp_path: Path) -> None:
    root = project(tmp_path / "repo")
    shown = fingerprints(root)[0]
    key = bytes.fromhex((root / ".parity" / SALT_FILE).read_text().strip())
    assert shown == "hmac:" + hmac.new(key, SECRET.encode(), hashlib.sha256).hexdigest()[:16]
    assert shown != "hmac:" + hashlib.sha256(SECRET.encode()).hexdigest()[:16]  # not a bare hash


def test_a_committed_key_is_not_used(tmp_path: Path) -> None:
    # git checks files out 0644: a key file that is not private was not made by parity.
    root = project(tmp_path / "repo")
    (root / ".parity").mkdir()
    known = bytes(range(32))
    (root / ".parity" / SALT_FILE).write_text(known.hex() + "\n")
    (root / ".parity" / SALT_FILE).chmod(0o644)
    shown = fingerprints(root)
    assert shown[0] != "hmac:" + hmac.new(known, SECRET.encode(), hashlib.sha256).hexdigest()[:16]
    assert fingerprints(root)[0] != shown[0]  # a per-process key each run
    assert (root / ".parity" / SALT_FILE).read_text() == known.hex() + "\n"  # left as it was


def test_no_key_can_be_kept_the_command_still_works(tmp_path: Path) -> None:
    root = project(tmp_path / "repo")
    (root / ".parity").write_text("not a folder\n")
    shown = fingerprints(root)
    assert shown[0] == shown[1]  # equal within the run
    assert fingerprints(root)[0] != shown[0]  # nothing kept between runs
    assert (root / ".parity").read_text() == "not a folder\n"


def test_a_parity_folder_linked_out_of_the_repository_is_not_followed(tmp_path: Path) -> None:
    root = project(tmp_path / "repo")
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / ".parity").symlink_to(outside)
    fingerprints(root)
    assert list(outside.iterdir()) == []
