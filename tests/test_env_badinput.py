"""Bad input: one clear line on stderr, exit 2, nothing lost; interrupted writes leave old or new."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.helpers import copy_shop, run_cli, snapshot


def _one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda p: (p / "services/api/.env.production").write_bytes(b"A=1\x00\xff"), "binary"),
        (lambda p: (p / "services/api/.env.production").write_bytes(b"A=\xc3\x28\n"), "UTF-8"),
        (
            lambda p: (
                (p / "services/api/.env.production").unlink(),
                (p / "services/api/.env.production").mkdir(),
            ),
            "directory",
        ),
        (lambda p: (p / "parity.toml").write_text("environments = 'oops'\n"), "environments"),
        (lambda p: (p / "parity.toml").write_text("not toml at all [\n"), "not valid TOML"),
    ],
    ids=["binary", "invalid-utf8", "directory", "bad-config-type", "bad-toml"],
)
def test_bad_input_is_one_line_exit_2_and_nothing_changes(
    tmp_path: Path, setup: object, expected: str
) -> None:
    shop = copy_shop(tmp_path)
    setup(shop)  # type: ignore[operator]
    before = snapshot(shop)
    for args in (
        ["env", "diff", str(shop)],
        ["env", "sync", str(shop), "--apply", "--set", "X=1"],
        ["env", "consolidate", str(shop), "--apply"],
    ):
        line = _one_line_error(run_cli(*args))
        assert expected in line
    assert snapshot(shop) == before


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root reads any file; the unreadable case needs an unprivileged user"
)
def test_unreadable_file(tmp_path: Path) -> None:  # pragma: no cover - CI runs as root
    shop = copy_shop(tmp_path)
    os.chmod(shop / "services/api/.env.production", 0)
    assert "cannot read" in _one_line_error(run_cli("env", "diff", str(shop)))


def test_usage_errors(tmp_path: Path) -> None:
    assert "no such folder" in _one_line_error(run_cli("env", "diff", str(tmp_path / "nope")))
    assert "no services found" in _one_line_error(run_cli("env", "diff", str(tmp_path)))
    shop = copy_shop(tmp_path)
    assert "unknown environment" in _one_line_error(run_cli("env", "diff", str(shop), "--env", "qa"))
    assert "KEY=VALUE" in _one_line_error(run_cli("env", "sync", str(shop), "--set", "NOEQUALS"))
    assert "no service named" in _one_line_error(run_cli("env", "sync", str(shop), "--set", "nosuch:A=1"))


def test_malformed_lines_are_findings_not_errors(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    proc = run_cli("env", "diff", str(shop), "--format", "json")
    assert proc.returncode == 1
    assert '"code": "ENV009"' in proc.stdout


_WRITER = r"""
import sys
from pathlib import Path
from parity.env.write import atomic_write_bytes
target = Path(sys.argv[1])
a, b = Path(sys.argv[2]).read_bytes(), Path(sys.argv[3]).read_bytes()
print("ready", flush=True)
i = 0
while True:
    atomic_write_bytes(target, a if i % 2 else b)
    i += 1
"""


def test_killed_writer_leaves_old_or_new_never_partial(tmp_path: Path) -> None:
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.write_bytes(b"A=" + b"x" * 3_000_000 + b"\n")
    b.write_bytes(b"B=" + b"y" * 2_000_000 + b"\n")
    target = tmp_path / ".env.production"
    target.write_bytes(a.read_bytes())
    valid = {hashlib.sha256(a.read_bytes()).digest(), hashlib.sha256(b.read_bytes()).digest()}
    rng = random.Random(7)
    for _ in range(12):
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(target), str(a), str(b)], stdout=subprocess.PIPE
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.15))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert hashlib.sha256(target.read_bytes()).digest() in valid


def test_killed_sync_leaves_each_file_old_or_new_and_rollback_works(tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    original = snapshot(shop)
    args = [
        sys.executable,
        "-m",
        "parity",
        "env",
        "sync",
        str(shop),
        "--apply",
        "--set",
        "FEATURE_ENABLE_EXPORTS=true",
        "--set",
        "EXPORTS_BUCKET=b",
        "--set",
        "QUEUE_URL=redis://q/0",
        "--set",
        "CDN_URL=https://cdn.x",
        "--set",
        "MAX_RETRIES=5",
    ]
    done = subprocess.run(args, capture_output=True, check=False)
    assert done.returncode in (0, 1)
    final = snapshot(shop)
    subprocess.run(
        [sys.executable, "-m", "parity", "env", "rollback", str(shop)], check=True, capture_output=True
    )
    assert snapshot(shop) == original
    rng = random.Random(11)
    for _ in range(6):
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = snapshot(shop)
        for rel, digest in now.items():
            assert digest in (original.get(rel), final.get(rel)), rel
        if now != original:
            subprocess.run(
                [sys.executable, "-m", "parity", "env", "rollback", str(shop)],
                check=True,
                capture_output=True,
            )
            assert snapshot(shop) == original
