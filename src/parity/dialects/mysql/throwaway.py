"""parity's own MariaDB for scratch databases: the system ``mariadbd`` on a unix socket in a
private folder (no TCP port), utf8mb4, and a loading user granted nothing but each scratch
database (no FILE privilege: no ``INTO OUTFILE``, no ``LOAD DATA INFILE``)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from parity.dialects import throwaway
from parity.errors import DatabaseUnreachable

LOADER = "parity_loader"
_HINT = "pass --dev-url mysql://… naming a server where parity may create databases"


def _binaries() -> tuple[str, str]:
    server = shutil.which("mariadbd") or shutil.which("mysqld")
    for candidate in ("/usr/sbin/mariadbd", "/usr/sbin/mysqld"):
        if server is None and Path(candidate).exists():
            server = candidate
    install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    if server is None or install is None:
        raise DatabaseUnreachable(
            "no dev server to load the declared schema on, and no mariadbd on this machine", hint=_HINT
        )
    return server, install


def socket_url(socket: Path, user: str = "root", database: str = "") -> str:
    return f"mysql://{user}:@localhost/{database}?unix_socket={quote(str(socket), safe='/')}"


def _start() -> tuple[str, Callable[[], None]]:
    import pymysql

    from parity.dialects.mysql.inspect import connect_args

    server, install = _binaries()
    folder = throwaway.new_folder("mysql")
    data, socket = folder / "data", folder / "sock"
    proc: subprocess.Popen[bytes] | None = None
    try:
        with throwaway.scrubbed_environment():
            subprocess.run(
                [
                    install,
                    "--no-defaults",
                    f"--datadir={data}",
                    "--user=root",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                    f"--tmpdir={folder}",
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
            with (folder / "mariadbd.log").open("wb") as log:
                proc = subprocess.Popen(
                    [
                        server,
                        "--no-defaults",
                        f"--datadir={data}",
                        f"--socket={socket}",
                        "--skip-networking",
                        f"--tmpdir={folder}",
                        "--character-set-server=utf8mb4",
                        "--collation-server=utf8mb4_general_ci",
                        "--user=root",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    stdin=subprocess.DEVNULL,
                )
        admin = socket_url(socket)
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"mariadbd exited with {proc.returncode}")
            try:
                conn = pymysql.connect(**connect_args(admin))
                break
            except pymysql.MySQLError:
                if time.monotonic() > deadline:
                    raise RuntimeError("mariadbd did not accept connections within 60 s") from None
                time.sleep(0.1)
        try:
            with conn.cursor() as cur:
                cur.execute(f"CREATE USER '{LOADER}'@'localhost'")
        finally:
            conn.close()
    except Exception as exc:
        if proc is not None:
            proc.kill()
            proc.wait()
        throwaway.discard(folder)
        reason = (
            exc.stderr.decode(errors="replace").strip()[-200:]
            if isinstance(exc, subprocess.CalledProcessError)
            else exc
        )
        raise DatabaseUnreachable(f"cannot start a throwaway MariaDB: {reason}", hint=_HINT) from exc

    def stop() -> None:
        try:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        finally:
            throwaway.discard(folder)

    return admin, stop


def admin_url() -> str:
    """The root URL of this process's throwaway MariaDB (started on first use)."""
    return throwaway.server("mysql", _start)
