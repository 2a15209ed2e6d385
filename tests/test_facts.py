"""Facts first: one ``check`` gathers each fact once, and ``parity.env`` stays the model of env
files (it imports neither the code scan nor the runtime sources)."""

from __future__ import annotations

import ast
import collections
import os
from pathlib import Path

import pytest

import parity.code.scan as code_scan
from helpers import copy_shop
from parity import safefs
from parity.workflow.check import run_check

SRC = Path(__file__).resolve().parents[1] / "src" / "parity"


def test_env_imports_neither_the_code_scan_nor_the_sources() -> None:
    offenders = []
    for path in sorted((SRC / "env").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            offenders += [
                f"{path.name}: {n}"
                for n in names
                if n.startswith(("parity.code", "parity.sources", "parity.workflow"))
            ]
    assert offenders == []


def test_one_check_reads_each_file_once_and_scans_the_code_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = copy_shop(tmp_path)
    reads: collections.Counter[str] = collections.Counter()
    scans: list[Path] = []
    real_read, real_scan = safefs.Repo._read_fresh, code_scan.scan

    def counting_read(self: safefs.Repo, path: Path | str, real: Path) -> bytes:
        reads[os.path.relpath(path, shop)] += 1
        return real_read(self, path, real)

    def counting_scan(root: Path, **kwargs: object) -> code_scan.ScanResult:
        scans.append(root)
        return real_scan(root, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(safefs.Repo, "_read_fresh", counting_read)
    monkeypatch.setattr(code_scan, "scan", counting_scan)
    with safefs.one_read_per_file():
        report = run_check(shop, "production")
    assert report.sections, "the check ran"
    # It read the env files, compose files and manifests it analyses ...
    assert {"compose.yaml", "services/api/.env.production", "k8s/production/api.yaml"} <= set(reads)
    # ... each once, and scanned the code once.
    assert {p: n for p, n in reads.items() if n > 1} == {}
    assert len(scans) == 1


def test_a_file_changed_during_a_run_is_read_again(tmp_path: Path) -> None:
    f = tmp_path / ".env.production"
    f.write_text("A=1\n")
    repo = safefs.Repo.at(tmp_path)
    with safefs.one_read_per_file():
        assert repo.read_bytes(f) == b"A=1\n"
        f.write_text("A=22\n")  # another size: another key
        assert repo.read_bytes(f) == b"A=22\n"
        os.replace(tmp_path / ".env.production", tmp_path / "moved")
        (tmp_path / ".env.production").write_text("A=3\n")  # another inode
        assert repo.read_bytes(f) == b"A=3\n"
        # A check for an edit made meanwhile always reads the disk.
        with open(f, "r+b") as h:
            h.write(b"B")
        assert repo.read_bytes(f, fresh=True) == b"B=3\n"
