"""dbmate for the tests: the one on PATH, else installed once with npm (the ``dbmate`` package
ships the binary in its platform package) into a cache outside the repository and outside
pytest's tmp root, shared by every worker and later session. Without npm the tests skip."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

#: Where npm installs it; PARITY_TEST_CACHE moves it (CI caches that folder).
CACHE = Path(os.environ.get("PARITY_TEST_CACHE") or Path.home() / ".cache" / "parity-tests") / "npm"


def find_or_install_dbmate() -> Path:
    """The folder holding a working ``dbmate``; skips the test when there is none and no npm."""
    found = shutil.which("dbmate")
    if found:
        return Path(found).resolve().parent
    if (bin_dir := _installed()) is not None:
        return bin_dir
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("dbmate is not on PATH and npm is missing to install it (npm install dbmate)")
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one installer across the xdist workers
        if _installed() is None:
            proc = subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--no-save", "--prefix", str(CACHE), "dbmate"],
                capture_output=True,
                text=True,
                timeout=600,
            )
            if proc.returncode != 0 or _installed() is None:
                pytest.fail(f"npm install dbmate failed: {proc.stderr.strip()[-500:]}")
    bin_dir = _installed()
    assert bin_dir is not None
    proc = subprocess.run([str(bin_dir / "dbmate"), "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "dbmate version" in proc.stdout, proc.stdout + proc.stderr
    return bin_dir


def _installed() -> Path | None:
    """The platform package's own binary (``node_modules/.bin/dbmate`` is a Node wrapper that
    starts it: parity would run, and kill, the wrapper and not dbmate)."""
    found = sorted(CACHE.glob("node_modules/@dbmate/*/bin/dbmate"))
    return found[0].parent if found and os.access(found[0], os.X_OK) else None
