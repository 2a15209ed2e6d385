"""A full disk: every writing command stops with one clear line (exit 2) and loses nothing.

The project lives on a small tmpfs filled to the last byte (these machines run tests as root,
which may mount one). Where mounting is not allowed, the commands run with a file-size limit
of one byte instead (RLIMIT_FSIZE): every write fails the same way, with EFBIG for ENOSPC.
``PARITY_TEST_NO_MOUNT=1`` forces that fallback.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.helpers import APPLY_FIXES, copy_shop, snapshot


@dataclass
class Disk:
    root: Path
    mounted: bool
    full: bool = False

    def fill(self) -> None:
        """Take every free byte (tmpfs), so the next write fails with ENOSPC."""
        self.full = True
        if not self.mounted:
            return
        with open(self.root / "filler", "wb") as fh, contextlib.suppress(OSError):
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        limit: Callable[[], None] | None = None
        if self.full and not self.mounted:

            def limit() -> None:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
                resource.setrlimit(resource.RLIMIT_FSIZE, (1, 1))

        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "PYTHONDONTWRITEBYTECODE": "1"}
        return subprocess.run(
            [sys.executable, "-m", "parity", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            preexec_fn=limit,
            cwd=self.root,
        )


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    mnt = tmp_path / "disk"
    mnt.mkdir()
    mounted = (
        os.geteuid() == 0
        and shutil.which("mount") is not None
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], capture_output=True
        ).returncode
        == 0
    )
    try:
        yield Disk(mnt, mounted and not os.environ.get("PARITY_TEST_NO_MOUNT"))
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _one_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def _leftovers(shop: Path) -> list[str]:
    """Temp files of an interrupted write, and backup folders holding anything at all."""
    tmp = [p.name for p in shop.rglob("*.parity-tmp")]
    backups = shop / ".parity" / "backups"
    partial = [p.name for p in backups.iterdir() if any(p.iterdir())] if backups.is_dir() else []
    return tmp + partial


def test_env_sync_on_a_full_disk_writes_nothing(disk: Disk) -> None:
    shop = copy_shop(disk.root)
    before = snapshot(shop)
    disk.fill()
    line = _one_line(disk.run("env", "sync", "shop", "--apply", "--set", "EXPORTS_BUCKET=shop-exports-prod"))
    # The run lock comes first (it lives in .parity/, which a full disk cannot create).
    assert ("cannot back up" in line or "cannot take the run lock" in line) and "nothing was written" in line
    assert snapshot(shop) == before
    assert _leftovers(shop) == []


def test_migrate_up_on_a_full_disk_changes_nothing(disk: Disk) -> None:
    shop = copy_shop(disk.root)
    assert disk.run("migrate", "new", "exports", "shop").returncode == 0  # while there is room
    db = shop / "db" / "shop.db"
    before = db.read_bytes()
    disk.fill()
    line = _one_line(disk.run("migrate", "up", "shop", "--yes"))
    assert "nothing was changed" in line
    assert db.read_bytes() == before
    assert _leftovers(shop) == []


def test_apply_on_a_full_disk_fails_and_changes_nothing(disk: Disk) -> None:
    shop = copy_shop(disk.root)
    before = snapshot(shop)
    disk.fill()
    proc = disk.run("apply", "shop", "--yes", *APPLY_FIXES)
    # apply cannot start without its lock and journal: one line, exit 2, nothing changed.
    line = _one_line(proc)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "nothing was written" in line, line
    assert snapshot(shop) == before
    assert _leftovers(shop) == []


def test_migrate_new_on_a_full_disk_leaves_the_folder_as_it_was(disk: Disk) -> None:
    shop = copy_shop(disk.root)
    assert disk.run("migrate", "new", "first", "shop").returncode == 0
    (shop / "db" / "schema.sql").write_text(
        (shop / "db" / "schema.sql").read_text() + "\nCREATE TABLE audit (id INTEGER PRIMARY KEY);\n"
    )
    folder = shop / "migrations"
    before = snapshot(folder)
    disk.fill()
    _one_line(disk.run("migrate", "new", "second", "shop"))
    assert snapshot(folder) == before
