"""Bad input: one clear line on stderr, exit 2, nothing lost; interrupted writes leave old or new."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from tests import killpoints
from tests.helpers import copy_shop, run_cli, snapshot

from parity.project import discover
from parity.workflow.envflow import rollback_env


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


# --- SIGKILL at well-defined points (see tests/killpoints.py) ---------------------------------

_WRITE_ONCE = """
import sys
from pathlib import Path
from parity.env.write import atomic_write_bytes
atomic_write_bytes(Path(sys.argv[1]), Path(sys.argv[2]).read_bytes())
"""


def _extra_files(root: Path, known: dict[str, str]) -> dict[str, bytes]:
    """Files under ``root`` outside ``.parity/`` that are not in ``known``, with their bytes."""
    return {rel: (root / rel).read_bytes() for rel in snapshot(root) if rel not in known}


def _temp_files_at(points: list[killpoints.Point], n: int) -> set[str]:
    """The temp files that exist just before point ``n``: created (an ``open`` of a
    ``*.parity-tmp``) at an earlier point and not yet renamed or removed."""
    alive: set[str] = set()
    for p in points[: n - 1]:
        if p.kind == "open" and p.detail[0].endswith(".parity-tmp"):
            alive.add(p.detail[0])
        elif p.kind in ("os.rename", "os.remove"):
            alive.discard(p.detail[0])
    return alive


def test_killed_writer_leaves_old_or_new_never_partial(tmp_path: Path) -> None:
    old = b"A=" + b"x" * 3_000_000 + b"\n"
    new = b"B=" + b"y" * 2_000_000 + b"\n"
    (tmp_path / "new").write_bytes(new)
    folder = tmp_path / "svc"
    folder.mkdir()
    target = folder / ".env.production"
    target.write_bytes(old)
    args = [str(target), str(tmp_path / "new")]
    points, done = killpoints.trace(_WRITE_ONCE, args, watch=folder)
    assert done.returncode == 0, done.stderr
    assert target.read_bytes() == new
    # Each step of one atomic write, in order: the temp file is made, filled and fsynced, given
    # the file's mode, then renamed over the target (the one step that changes what readers see).
    kinds = [p.kind for p in points]
    assert kinds.count("os.rename") == 1 and kinds[-1] == "os.rename", kinds
    assert len(points) >= 3, kinds
    for point in points:
        target.write_bytes(old)
        for leftover in folder.glob("*.parity-tmp"):
            leftover.unlink()
        killed = killpoints.kill_at(_WRITE_ONCE, args, point.n, watch=folder)
        assert killed.kind == point.kind
        # Killed before the rename: the old file, whole.
        assert target.read_bytes() == old, point
        temps = {p.name: p.read_bytes() for p in folder.glob("*.parity-tmp")}
        assert len(temps) == len(_temp_files_at(points, point.n)), (point, set(temps))
        if point.kind == "os.rename":
            # About to be renamed: the temp file already holds all of the new bytes.
            assert temps == {Path(killed.detail[0]).name: new}
        else:
            assert all(new.startswith(b) for b in temps.values())


SYNC_SETS = (
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
)


def _sync_kill_points(points: list[killpoints.Point]) -> list[killpoints.Point]:
    """Where a killed ``env sync --apply`` can leave a different state: before anything; with the
    backup set written but its manifest not yet in place; and for each env file, before its
    write starts and just before the rename that replaces it."""
    outside = [p for p in points if all(d.split("/")[0] != ".parity" for d in p.detail)]
    assert outside, points
    chosen = [points[0], points[outside[0].n - 2]]
    start = True
    for p in outside:
        if start:
            chosen.append(p)
            start = False
        if p.kind == "os.rename":
            chosen.append(p)
            start = True
    return chosen


def _shape(point: killpoints.Point) -> tuple[str, ...]:
    """A point with the parts that differ between runs (backup time stamp, temp name) blanked."""
    out = [point.kind]
    for d in point.detail:
        d = re.sub(r"\d{8}T\d{6}\.?\d*Z", "<stamp>", d)
        out.append(re.sub(r"\.[^./]+\.parity-tmp$", ".<random>.parity-tmp", d))
    return tuple(out)


def _target_of(temp: str) -> str:
    """``services/api/..env.production.k3j2.parity-tmp`` → ``services/api/.env.production``."""
    path = Path(temp)
    return (path.parent / path.name[1:].rsplit(".", 2)[0]).as_posix()


def test_killed_sync_leaves_each_file_old_or_new_and_rollback_works(tmp_path: Path) -> None:
    first = copy_shop(tmp_path / "trace")
    original = snapshot(first)
    args = ["env", "sync", str(first), "--apply", *SYNC_SETS]
    points, done = killpoints.trace(killpoints.CLI, args, watch=first)
    assert done.returncode in (0, 1), done.stderr
    final = snapshot(first)
    changed = {rel for rel in original if final[rel] != original[rel]}
    new_bytes = {rel: (first / rel).read_bytes() for rel in changed}
    renames = [p for p in points if p.kind == "os.rename" and p.detail[1] in changed]
    assert sorted(p.detail[1] for p in renames) == sorted(changed) and len(changed) >= 2
    assert run_cli("env", "rollback", str(first)).returncode == 0
    assert snapshot(first) == original

    chosen = _sync_kill_points(points)
    assert len(chosen) == 2 + 2 * len(changed), chosen
    for point in chosen:
        shop = copy_shop(tmp_path / f"kill-{point.n}")  # the same starting state every time
        args = ["env", "sync", str(shop), "--apply", *SYNC_SETS]
        killed = killpoints.kill_at(killpoints.CLI, args, point.n, watch=shop)
        assert _shape(killed) == _shape(point)
        now = snapshot(shop)
        # Exactly the files renamed before this point are new; every other file is the original.
        done_before = {p.detail[1] for p in renames if p.n < point.n}
        for rel in original:
            assert now[rel] == (final[rel] if rel in done_before else original[rel]), (point, rel)
        # The only other file: the temp file of the write under way, holding a prefix of the new
        # bytes (all of them once it is about to be renamed).
        extra = _extra_files(shop, original)
        under_way = {t for t in _temp_files_at(points, point.n) if not t.startswith(".parity/")}
        assert sorted(_target_of(rel) for rel in extra) == sorted(map(_target_of, under_way)), (point, extra)
        for rel, data in extra.items():
            assert new_bytes[_target_of(rel)].startswith(data), (point, rel)
        if point in renames:
            assert extra == {killed.detail[0]: new_bytes[killed.detail[1]]}, point
        # parity ignores such a leftover (it does not clean it up): discovery never takes one for
        # an env file.
        project = discover(shop)
        found = {f for layer in (project.shared, *project.services) for f in layer.env_files.values()}
        assert {f.relative_to(shop).as_posix() for f in found} <= set(original)
        if now != original:
            rollback_env(shop)  # what `parity env rollback` runs (in-process: one start-up less)
            back = snapshot(shop)
            assert {rel: back.get(rel) for rel in original} == original, point
            # The temp file of the killed write is all that may remain besides.
            assert set(back) - set(original) <= set(extra), point
