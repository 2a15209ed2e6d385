"""The desired schema, from what main declares, loaded on a scratch database of the same dialect.

Three kinds of source, all turned into a :class:`Schema` by the same inspector that reads
production, so both sides are normalised by the database itself:

- a ``.sql`` file, or a folder of them (applied in name order, as migrations);
- SQLAlchemy models by import path, ``package.module:Base`` or ``package.module:metadata``
  (their ``create_all`` DDL, rendered in a child process, then loaded like a file);
- a migrations folder replayed in order (:func:`replay_migrations`, for the migrations code).

The repository is untrusted input. Every file is screened before anything runs
(:mod:`parity.dialects.gate`), and the scratch database is never on the server the schema is
compared with: it lives in memory (SQLite), on the dev server the user names, or on a throwaway
server parity starts (:func:`dev_server`). Models are imported only in a child process that
holds none of parity's environment.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from parity.dialects.gate import Purpose
from parity.errors import DatabaseError, SchemaSourceError
from parity.model.schema import Schema
from parity.safefs import Repo

if TYPE_CHECKING:
    from parity.dialects.base import Dialect

# ``[pre,…,]module:attr[@folder]``: see :mod:`parity.schema.models_ddl`.
_IMPORT_PATH = re.compile(r"^(?:[A-Za-z_][\w.]*,)*[A-Za-z_][\w.]*:[A-Za-z_][\w.]*(?:@[\w.][\w./-]*)?$")
#: The application's own interpreter (its virtualenv has what the models import), else parity's.
APP_PYTHON_ENVS = ("PARITY_APP_PYTHON", "PARITY_ALEMBIC_PYTHON")


def is_import_path(source: str) -> bool:
    """``app.models:Base`` (and not an existing file such as ``C:schema.sql``); modules to import
    first may lead (``app.models.all,app.db:Base``), a folder below the root follow (``@backend``)."""
    if not _IMPORT_PATH.match(source):
        return False
    folder = source.rsplit("@", 1)[1] if "@" in source else ""
    return ".." not in folder.split("/") and not folder.startswith("/")


def sql_files(folder: Path, repo: Repo | None = None) -> list[Path]:
    """The ``.sql`` files of ``folder`` in apply order (name order; ``*.down.sql`` left out).

    Linked folders are not entered, and a file that is a link out of ``repo`` (default: the
    folder itself), a FIFO or a device is not one of them."""
    repo = repo or Repo.at(folder)
    found: list[Path] = []
    for base, dirs, names in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in names:
            path = Path(base) / name
            if name.endswith(".sql") and not name.endswith(".down.sql") and repo.is_file(path):
                found.append(path)
    files = sorted(found, key=lambda p: p.relative_to(folder).as_posix())
    if not files:
        raise SchemaSourceError("the folder holds no .sql file", file=folder)
    return files


def _read(path: Path, repo: Repo | None = None) -> str:
    """A declared-schema file through the repository's gate (no link out, no FIFO, a size cap)."""
    try:
        return (repo or Repo.at(path.parent)).read_text(path)
    except UnicodeDecodeError as exc:
        raise SchemaSourceError("not a UTF-8 text file", file=path) from exc
    except OSError as exc:
        raise SchemaSourceError(f"cannot read: {exc.strerror}", file=path) from exc


def load_sql(
    paths: Sequence[Path],
    dialect: Dialect,
    dev_url: str | None = None,
    *,
    purpose: Purpose | None = None,
    target: str | None = None,
    repo: Repo | None = None,
) -> Schema:
    """Screen the SQL files, then apply them in order to a fresh scratch database and inspect it.

    ``purpose`` defaults to a schema file for one path and a migrations folder for several.
    Every file is screened before a scratch database exists, so a refused statement costs
    nothing and runs nowhere.
    """
    purpose = purpose or (Purpose.SCHEMA if len(paths) == 1 else Purpose.MIGRATIONS)
    screened = [(p, dialect.screen(_read(p, repo), p, purpose).text) for p in paths]
    with dialect.scratch(dev_url, target) as url:
        for path, text in screened:
            dialect.execute_script(url, text, file=path, purpose=purpose)
        return dialect.inspect_scratch(url)


def replay_migrations(
    files: Sequence[Path], dialect: Dialect, dev_url: str | None = None, *, target: str | None = None
) -> Schema:
    """The schema a migrations folder produces: each file applied in the given order on scratch.

    Errors name the failing file and line (:class:`SchemaSourceError`).
    """
    return load_sql(list(files), dialect, dev_url, purpose=Purpose.MIGRATIONS, target=target)


def _server_of(url: str) -> tuple[str, str, int | None, str]:
    """(dialect family, host, port, socket) of a database URL: what makes two URLs one server."""
    from parity.dialects import family_of

    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    host = (parts.hostname or "").lower()
    socket = query.get("host", "") if host == "" else ""
    socket = socket or query.get("unix_socket", "")
    if host in ("", "localhost", "127.0.0.1", "::1") and not socket:
        host = "localhost"
    family = family_of(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return family, host, port, socket


def same_server(a: str, b: str) -> bool:
    """Whether two database URLs name the same server (host or socket, and port)."""
    fa, fb = _server_of(a), _server_of(b)
    if fa[0] != fb[0]:
        return False
    default = 5432 if fa[0] == "postgres" else 3306
    return fa[1] == fb[1] and fa[3] == fb[3] and (fa[2] or default) == (fb[2] or default)


def dev_server(
    target: str, explicit: str | None, configured: str | None, config_file: Path | None = None
) -> str | None:
    """Where the declared schema may be loaded for ``target``; None means parity's own place.

    ``explicit`` (``--dev-url``, or ``PARITY_DEV_URL`` from whoever runs parity) is the user's
    word and is taken as it is, even when it names the target's server. ``configured``
    (``[schema] dev_url``) comes from the repository, so it may not name the target's server:
    a repository cannot send its schema file to production.
    """
    chosen = explicit or os.environ.get("PARITY_DEV_URL") or None
    if chosen:
        return chosen
    if configured:
        if "://" in target and same_server(configured, target):
            raise DatabaseError(
                "[schema] dev_url names the production server: the declared schema is never loaded there",
                url=configured,
                hint="name a separate dev server, or pass --dev-url yourself to load it there anyway",
            )
        return configured
    return None


#: What the child process that imports the models may see of parity's environment.
_CHILD_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH")


def models_ddl(source: str, dialect: Dialect, root: Path) -> str:
    """The DDL ``create_all`` would run for the models at ``source``, as one script.

    Importing the models runs the repository's code, so it happens in a child process with
    none of parity's environment (no credentials), which renders the DDL against a mock engine
    and connects to nothing (see :mod:`parity.schema.models_ddl`). ``PARITY_APP_PYTHON`` names
    the application's interpreter to import them with (its virtualenv has what they import).
    """
    env = {k: os.environ[k] for k in _CHILD_ENV if k in os.environ}
    # The child's text is run with ``-c``: it imports nothing of parity, so the app's own
    # interpreter can run it, and the repository's folder (its cwd) is first on its sys.path.
    script = Path(__file__).with_name("models_ddl.py").read_text(encoding="utf-8")
    python = next((v for k in APP_PYTHON_ENVS if (v := os.environ.get(k))), sys.executable)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no __pycache__ left in the repository
    try:
        proc = subprocess.run(
            [python, "-c", script, str(root), source, dialect.sqlalchemy_name],
            capture_output=True,
            text=True,
            env=env,
            cwd=root,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise SchemaSourceError(f"cannot import the models: {exc}", file=source) from exc
    try:
        answer = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else {}
    except ValueError:
        answer = {}
    if "error" in answer:
        missing = "ModuleNotFoundError" in str(answer["error"]) and python == sys.executable
        raise SchemaSourceError(
            str(answer["error"]),
            file=source,
            # The models import the app's dependencies, which parity's own interpreter lacks.
            hint="set PARITY_APP_PYTHON to the application's interpreter (its virtualenv's python)"
            if missing
            else None,
        )
    if proc.returncode != 0 or "ddl" not in answer:
        last = (proc.stderr.strip().splitlines() or ["it exited with " + str(proc.returncode)])[-1]
        raise SchemaSourceError(f"cannot import the models: {last}", file=source)
    return ";\n".join(answer["ddl"]) + (";\n" if answer["ddl"] else "")


def load_sqlalchemy(
    source: str, dialect: Dialect, root: Path, dev_url: str | None = None, *, target: str | None = None
) -> Schema:
    """The models' ``create_all`` DDL, screened and loaded on a scratch database, then inspected."""
    ddl = models_ddl(source, dialect, root)
    screened = dialect.screen(ddl, Path(source), Purpose.SCHEMA)
    with dialect.scratch(dev_url, target) as url:
        dialect.execute_script(url, screened.text, file=Path(source), purpose=Purpose.SCHEMA)
        return dialect.inspect_scratch(url)


def load_desired(
    source: str | Path,
    dialect: Dialect,
    root: Path,
    dev_url: str | None = None,
    *,
    target: str | None = None,
) -> Schema:
    """The desired schema from ``source``: a .sql file, a folder of them, or ``module:Base``.

    A relative file path resolves against ``root`` (the project folder). ``dev_url`` is the
    server the user named for scratch databases (None: parity's own, see :func:`dev_server`);
    ``target`` the database compared with, which only informs the choice of server version.
    """
    text = str(source)
    path = Path(text)
    if not path.is_absolute():
        path = root / path
    # A path inside the project is repository content and goes through its gate; a path outside
    # can only come from the user's own --schema (config paths outside are refused earlier).
    inside = path.resolve().is_relative_to(root.resolve()) or path.is_symlink()
    repo = Repo.at(root) if inside else Repo.at(path.parent)
    if path.is_file() or path.is_symlink():
        return load_sql([path], dialect, dev_url, purpose=Purpose.SCHEMA, target=target, repo=repo)
    if path.is_dir():
        files = sql_files(path, repo)
        return load_sql(files, dialect, dev_url, purpose=Purpose.MIGRATIONS, target=target, repo=repo)
    if is_import_path(text):
        return load_sqlalchemy(text, dialect, root, dev_url, target=target)
    raise SchemaSourceError(
        "no such schema file or folder, and not a module:attribute import path", file=text
    )
