"""pg_dump gets the database password through its environment, never its argv (which every
user of the machine reads in /proc/<pid>/cmdline): a real migration with backup on the real
PostgreSQL, as a role with a password, through a PATH shim that records pg_dump's argv."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest

from helpers import production_project, run_cli

PASSWORD = "pg-FAKE-pw/with@odd?chars"


@pytest.fixture
def password_url(pg_url: str) -> Iterator[str]:
    """``pg_url`` as a new role with a password, owning a table with rows; dropped afterwards."""
    role = f"parity_pw_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
        conn.execute(f"GRANT ALL ON SCHEMA public TO {role}")
        conn.execute("CREATE TABLE orders (id integer PRIMARY KEY, total integer NOT NULL)")
        conn.execute("INSERT INTO orders VALUES (1, 10), (2, 20)")
        conn.execute(f"ALTER TABLE orders OWNER TO {role}")
    parts = urlsplit(pg_url)
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    netloc = f"{role}:{quote(PASSWORD, safe='')}@{host}"
    try:
        yield urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"REASSIGN OWNED BY {role} TO CURRENT_USER")
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


def shim(folder: Path, real: str) -> tuple[Path, Path, Path]:
    """A ``pg_dump`` in ``folder`` that writes its argv and PGPASSWORD to files, then runs ``real``."""
    folder.mkdir()
    argv, env = folder / "argv.txt", folder / "pgpassword.txt"
    script = folder / "pg_dump"
    script.write_text(
        "#!/bin/sh\n"
        f"printf '%s\\n' \"$0\" \"$@\" > '{argv}'\n"
        f"printf '%s' \"${{PGPASSWORD-}}\" > '{env}'\n"
        f"exec '{real}' \"$@\"\n"
    )
    script.chmod(0o755)
    return folder, argv, env


@pytest.mark.postgres
def test_pg_dump_password_never_in_argv(tmp_path: Path, password_url: str) -> None:
    real = shutil.which("pg_dump")
    assert real is not None, "pg_dump is needed for this test"
    root = production_project(tmp_path, password_url)
    migrations = root / "migrations"
    migrations.mkdir()
    (migrations / "V0001__add_note.up.sql").write_text("ALTER TABLE orders ADD COLUMN note text;\n")
    (migrations / "V0001__add_note.down.sql").write_text("ALTER TABLE orders DROP COLUMN note;\n")
    assert run_cli("migrate", "hash", str(root)).returncode == 0
    bin_dir, argv_file, env_file = shim(tmp_path / "bin", real)

    done = run_cli(
        "migrate",
        "up",
        str(root),
        "--yes",
        "--no-verify-schema",
        env={"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
    )
    assert done.returncode == 0, done.stdout + done.stderr

    argv = argv_file.read_text()  # the shim ran: pg_dump was called
    assert "--dbname=" in argv and "orders" in argv
    for form in (PASSWORD, quote(PASSWORD, safe=""), quote(PASSWORD)):
        assert form not in argv
        assert form not in done.stdout + done.stderr
    assert env_file.read_text() == PASSWORD  # it came through the environment instead

    dumps = list((root / ".parity" / "backups").glob("*/tables.sql"))
    assert len(dumps) == 1 and "orders" in dumps[0].read_text()  # and the dump still worked
    with psycopg.connect(password_url) as conn:
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders'"
            )
        ]
    assert "note" in columns
