"""A record of each ``parity apply`` under ``.parity/runs/`` so ``parity rollback`` can undo exactly that run."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from parity.env.write import PARITY_DIR, atomic_write_text, ensure_parity_dir
from parity.errors import FileRefused, WriteRefused
from parity.safefs import Repo, private_dir

RUNS = "runs"


@dataclass
class RunRecord:
    """What one apply changed, in the order it changed it."""

    id: str
    environment: str
    env_backups: list[str] = field(default_factory=list)  # backup-set folders, relative to the root
    migrations: dict[str, object] = field(default_factory=dict)  # what the migration step reports for undo
    state: str = "running"  # running | applied | rolled-back | failed-rolled-back

    @staticmethod
    def new(environment: str) -> RunRecord:
        return RunRecord(datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ"), environment)


def _folder(root: Path) -> Path:
    return root / PARITY_DIR / RUNS


def save(root: Path, record: RunRecord) -> None:
    """Write ``record`` privately (0600 in a 0700 folder): it names backups of secrets."""
    folder = private_dir(ensure_parity_dir(root) / RUNS)
    text = json.dumps(asdict(record), indent=2) + "\n"
    atomic_write_text(folder / f"{record.id}.json", text, private=True)


def latest_applied(root: Path, environment: str) -> RunRecord:
    folder = _folder(root)
    records = []
    if folder.is_dir():
        repo = Repo.at(root)  # a committed .parity/ is untrusted too: no links out, no FIFOs
        for p in sorted(folder.glob("*.json")):
            try:
                data = json.loads(repo.read_text(p))
                records.append(RunRecord(**data))
            except (OSError, ValueError, TypeError, FileRefused):
                continue
    for r in reversed(records):
        if r.environment == environment and r.state == "applied":
            return r
    raise WriteRefused(f"no applied run for {environment} to roll back", file=folder)
