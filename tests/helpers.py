"""Small helpers shared by the env/check tests (no fixtures that fake anything)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHOP = REPO / "examples" / "shop"

# Planted secret values of examples/shop: none may appear in any output.
SHOP_SECRETS = (
    "stg-FAKE-9f8e7d6c5b4a39281706",
    "prod-FAKE-a1b2c3d4e5f6a7b8c9d0",
    "stg-FAKE-sess-0a1b2c3d4e5f60718293",
    "prod-FAKE-sess-f0e1d2c3b4a596877869",
)


# The values the example's production lacks, as `--set` options (obviously fake values).
SHOP_SETS = (
    "--set",
    "EXPORTS_BUCKET=shop-exports-prod",
    "--set",
    "QUEUE_URL=redis://queue.example.invalid:6379/0",
    "--set",
    "CDN_URL=https://cdn.shop.example.invalid",
    "--set",
    "MAX_RETRIES=5",
)
# What `parity apply` needs on the example: those values and the feature flag turned on.
APPLY_FIXES = [*SHOP_SETS, "--enable", "FEATURE_ENABLE_EXPORTS"]


def git(root: Path, *args: str) -> str:
    """``git -C root ARGS`` with a throwaway identity (tests build real histories)."""
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.test", "-c", "commit.gpgsign=false"]
    return subprocess.run(
        ["git", *identity, "-C", str(root), *args], capture_output=True, text=True, check=True
    ).stdout


def copy_shop(tmp_path: Path) -> Path:
    dest = tmp_path / "shop"
    shutil.copytree(SHOP, dest, ignore=shutil.ignore_patterns(".parity", "__pycache__"))
    return dest


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (except parity's own folder), by relative path."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and ".parity" not in p.relative_to(root).parts and "__pycache__" not in p.parts:
            out[p.relative_to(root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def run_cli(
    *args: str,
    cwd: Path | None = None,
    input: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run the real ``parity`` entry point in a subprocess (as a user or CI would); a run longer
    than ``timeout`` seconds fails the test (``subprocess.TimeoutExpired``) instead of hanging it."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "parity", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )


def production_project(tmp_path: Path, url: str) -> Path:
    """A one-service project whose production env file points at ``url``."""
    root = tmp_path / "app"
    root.mkdir()
    scheme = url.split(":", 1)[0]
    (root / ".env.example").write_text(f"DATABASE_URL={scheme}://localhost/app\n")
    (root / ".env.production").write_text(f"DATABASE_URL={url}\n")
    return root


@contextmanager
def application(write: Callable[[threading.Event], None]) -> Iterator[threading.Event]:
    """``write`` in a thread, as the application would, until the event is set (by the test, or
    on leaving); it gets a head start so it is writing when the test's migration begins."""
    stop = threading.Event()
    thread = threading.Thread(target=write, args=(stop,), daemon=True)
    thread.start()
    time.sleep(0.2)
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=10)


def apply_checkpoints(
    root: Path, sets: tuple[str, ...], enable: tuple[str, ...] = (), consolidate: bool = False
) -> tuple[str, int]:
    """(verdict, checkpoints passed) of one whole ``apply`` in a fresh process: how many kill
    points a kill test of that apply has (parity.faults)."""
    code = (
        "import json, sys; from pathlib import Path; from parity import faults\n"
        "from parity.workflow.apply import ApplyOptions, run_apply\n"
        "a = json.loads(sys.argv[2])\n"
        "r = run_apply(Path(sys.argv[1]), 'production', ApplyOptions(tuple(a[0]), tuple(a[1]), a[2]))\n"
        "print(r.verdict, faults.passed())\n"
    )
    import json

    proc = subprocess.run(
        [sys.executable, "-c", code, str(root), json.dumps([sets, enable, consolidate])],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    words = proc.stdout.split()
    assert len(words) == 2, proc.stdout + proc.stderr
    return words[0], int(words[1])
