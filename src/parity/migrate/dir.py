"""The migrations folder: ``V0001__add_status.up.sql`` / ``V0001__add_status.down.sql`` + ``parity.sum``.

A file may start with directive comments:

``-- parity:no-transaction``
    run statement by statement outside a transaction (PostgreSQL ``CREATE INDEX CONCURRENTLY``).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from parity.errors import MigrationError, ParityError
from parity.faults import checkpoint

FILE_RE = re.compile(r"^V(?P<version>\d+)__(?P<name>[A-Za-z0-9_]+)\.(?P<direction>up|down)\.sql$")
NO_TRANSACTION = "-- parity:no-transaction"
VERSION_WIDTH = 4


@dataclass(frozen=True, slots=True)
class Migration:
    """One versioned migration. ``checksum`` is the sha256 of the up file's bytes (hex)."""

    version: str
    name: str
    up_path: Path
    down_path: Path | None
    checksum: str

    @property
    def number(self) -> int:
        return int(self.version)

    @property
    def label(self) -> str:
        return f"V{self.version}__{self.name}"

    def up_sql(self) -> str:
        return self.up_path.read_text(encoding="utf-8")

    def down_sql(self) -> str | None:
        return self.down_path.read_text(encoding="utf-8") if self.down_path else None

    @property
    def transactional(self) -> bool:
        return not has_directive(self.up_sql(), NO_TRANSACTION)

    @property
    def down_transactional(self) -> bool:
        down = self.down_sql()
        return down is None or not has_directive(down, NO_TRANSACTION)


def has_directive(sql: str, directive: str) -> bool:
    return any(line.strip().lower() == directive for line in sql.splitlines())


def slug(name: str) -> str:
    """``"Add order status!"`` → ``add_order_status``."""
    s = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()
    if not s:
        raise MigrationError(f"migration name '{name}' has no letters or digits")
    return s


def load(folder: Path) -> tuple[Migration, ...]:
    """Read the migrations of ``folder`` in version order (a missing folder has none).

    Unknown ``.sql`` files, two migrations with one version, and a down file without its up
    file are errors: each would make the order or the content ambiguous.
    """
    if not folder.is_dir():
        return ()
    ups: dict[int, tuple[str, str, Path]] = {}
    downs: dict[int, tuple[str, Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix != ".sql":
            continue
        m = FILE_RE.match(path.name)
        if not m:
            raise MigrationError(
                "not a migration file name",
                file=path,
                hint="expected V0001__name.up.sql or V0001__name.down.sql",
            )
        number = int(m["version"])
        if m["direction"] == "up":
            if number in ups:
                raise MigrationError(f"two migrations with version {m['version']}", file=path)
            ups[number] = (m["version"], m["name"], path)
        else:
            downs[number] = (m["name"], path)
    for number, (_, path) in downs.items():
        if number not in ups:
            raise MigrationError("down migration without its up migration", file=path)
    out = []
    for number in sorted(ups):
        version, name, path = ups[number]
        down = downs.get(number)
        out.append(
            Migration(version, name, path, down[1] if down else None, file_checksum(path.read_bytes()))
        )
    return tuple(out)


def file_checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def next_version(migrations: tuple[Migration, ...]) -> str:
    n = max((m.number for m in migrations), default=0) + 1
    return str(n).zfill(VERSION_WIDTH)


def atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    checkpoint()


def write(folder: Path, name: str, up_sql: str, down_sql: str) -> Migration:
    """Write the next ``V…__name.up.sql``/``.down.sql`` pair and refresh ``parity.sum``.

    The sum of the existing folder is verified first: a new migration is never stacked on
    top of tampered ones.
    """
    from parity.migrate import checksum

    existing = load(folder)
    if existing:
        checksum.verify(folder)
    version = next_version(existing)
    base = f"V{version}__{slug(name)}"
    up = folder / f"{base}.up.sql"
    down = folder / f"{base}.down.sql"
    try:
        atomic_write(up, up_sql if up_sql.endswith("\n") else up_sql + "\n")
        atomic_write(down, down_sql if down_sql.endswith("\n") else down_sql + "\n")
        checksum.write(folder)
    except (OSError, ParityError):
        # All three or none: a pair without its line in parity.sum would fail every later run.
        up.unlink(missing_ok=True)
        down.unlink(missing_ok=True)
        raise
    return Migration(version, slug(name), up, down, file_checksum(up.read_bytes()))
