"""One root error with structured fields; the CLI turns any of them into one line and exit code 2.

Errors carry *where* (file, line, url, key) as fields, not baked into the message, so
renderers can format them and tests can assert on them.
"""

from __future__ import annotations

from pathlib import Path

from parity.urlparts import redact_urls


def redact_url(url: str) -> str:
    """Remove the credentials from a URL, or from every URL in a message:
    ``postgresql://u:pw@h/db?password=x`` → ``postgresql://u:***@h/db?password=***``.

    A password holding a raw ``/`` or ``@`` is removed whole (the last ``@`` before the host
    ends the userinfo); ``password=…`` keywords of libpq/ADO.NET strings are blanked too.
    """
    return redact_urls(url)


class ParityError(Exception):
    """Root of every error parity raises on purpose (bad input, unreachable database, refused write)."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        url: str | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = redact_url(message)
        self.file = str(file) if file is not None else None
        self.line = line
        self.url = redact_url(url) if url else None
        self.key = key
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        elif self.url:
            where = self.url + ": "
        text = where + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class ConfigError(ParityError):
    """parity.toml / [tool.parity] is invalid."""


class DiscoveryError(ParityError):
    """The project folder cannot be read or holds nothing parity understands."""


class EnvFileError(ParityError):
    """An env file cannot be read (binary, a directory, unreadable)."""


class WriteRefused(ParityError):
    """A write would lose information (conflicting duplicates, changed effective env) and was refused."""


class DatabaseError(ParityError):
    """A database cannot be reached, opened or queried."""


class SchemaSourceError(ParityError):
    """The declared schema (SQL files, models, migrations) cannot be loaded."""


class MigrationError(ParityError):
    """A migration failed, was tampered with, or cannot run now."""


class LockTimeout(MigrationError):
    """Another runner holds the migration lock."""
