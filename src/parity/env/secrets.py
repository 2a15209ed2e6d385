"""Masking: a secret value never leaves the machine in output, only a keyed fingerprint.

A value is secret by its key (``*PASS*``, ``*TOKEN*``, … or the project's ``secrets``
patterns), by its shape (a URL holding a credential, a private key, a high-entropy token), or
because the project holds it as a secret somewhere else (see :class:`SecretScope`).

The fingerprint is HMAC-SHA256 under a key kept per repository (``.parity/fingerprint-salt``,
see :mod:`parity.env.salt`): a reader still sees that two files hold the same secret (or not),
but a CI log gives nothing to check a dictionary of passwords against.

A :class:`SecretScope` is set up per project by the CLI (or any caller) with :func:`use_scope`:
the fingerprint key, and every value the project holds as a secret in any layer, service or
environment. :func:`is_secret` consults it, and :func:`scrub` replaces each of those values in
free text: the last pass over everything parity prints or writes.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

import ahocorasick_rs

from parity.urlparts import SCHEME, entropy, keyword_passwords, redact_urls, secret_parts, split_url

if TYPE_CHECKING:
    from parity.model.env import EnvValue

SECRET_KEY_PATTERNS = (
    "*SECRET*",
    "*TOKEN*",
    "*PASS*",  # PASSWORD, PASSWD, PASSPHRASE, DB_PASS (PASSPORT_URL is a cheap false positive)
    "*PWD*",
    "*_KEY",
    "*_KEYS",
    "*_KEY_*",
    "KEY",
    "*APIKEY*",
    "*API_KEY*",
    "*PRIVATE*",
    "*CREDENTIAL*",
    "*CREDS*",
    "*DSN*",
    "*SALT*",
    "*WEBHOOK*",
    "*SIGNATURE*",
    "*SIGNING*",
    "*HMAC*",
    "*AUTH*",  # AUTH_TOKEN, BASIC_AUTH, AUTHORIZATION, OAUTH_CLIENT_SECRET
    "*BEARER*",
    "*COOKIE*",
    "*SESSION*",
    "*_CERT*",  # certificates are public, but a PEM bundle often carries its private key
    "*PEM*",
    "*CONNECTION_STRING*",
    "*CONN_STR*",
    "*_SAS*",
)
# Never secret by key alone (a port number, the search path); their values are still checked.
NOT_SECRET_KEYS = ("*_PORT", "PATH")
# A switch is no credential: flag values stay readable even under a broad key pattern
# (FEATURE_NEW_AUTH=true), and such words are never scrubbed out of free text.
_SWITCH_WORDS = frozenset(
    {"true", "false", "yes", "no", "on", "off", "enabled", "disabled", "none", "null", "0", "1"}
)
_WORDLIKE = re.compile(r"^[a-z]+([_\-. ][a-z]+)*$", re.IGNORECASE)
# A filesystem path made of words (`/tmp/mealierun/sqlite`, `/var/lib/postgresql/15/main`): a
# data directory, not a token, however high the entropy of its letters; a base64 token with a
# `/` in it has segments of mixed-up letters and digits, which this does not match.
_PATHLIKE = re.compile(r"^(~|\.{1,2})?(/([a-z]+([_\-.][a-z0-9]+)*|\d+|\.{1,2}))+/?$", re.IGNORECASE)
_PRIVATE_MATERIAL = re.compile(r"-----BEGIN [A-Z0-9 ]*(PRIVATE KEY|CERTIFICATE)|PRIVATE KEY-----")
# Values shorter than this are masked where they are shown as values, but not hunted in free
# text: "abc" would be replaced inside every word.
MIN_SCRUB = 4
# Shorter known values are replaced in free text only where they stand alone (not inside a word):
# a weak password like "postgres" must not blank "postgresql-pgadmin" out of a path.
_WHOLE_WORD_BELOW = 12
_HEAD = 64
FINGERPRINT_PREFIX = "hmac:"
FINGERPRINT_HEX = 16  # 64 bits: too many to guess from, plenty to tell values apart


# Framework prefixes that say where a variable is visible, not what it holds: Next.js's
# ``NEXT_PRIVATE_SMTP_HOST`` is "server side only"; the rest of the name decides.
_SCOPE_PREFIXES = ("NEXT_PRIVATE_",)


# What makes a key a credential when parity *judges* a value (a published example secret), as
# opposed to masking it, which errs wide (*SESSION*, *COOKIE*, *AUTH* hide settings too).
_CREDENTIAL = re.compile(
    r"(?:^|_)(?:SECRET|SECRETS|PASSWORD|PASSWD|PASS|PWD|PASSPHRASE|TOKEN|APIKEY|SALT|CREDENTIALS?)(?:_|$)"
    r"|(?:^|_)(?:API|PRIVATE|SECRET|SIGNING|ENCRYPTION|ACCESS|MASTER|LICENSE)_KEY(?:_|$)|^KEY$|_KEY$"
)


def is_credential_key(key: str, extra_patterns: Iterable[str] = ()) -> bool:
    """A key whose name says it holds a credential (``SECRET_KEY``, ``DB_PASSWORD``, ``API_TOKEN``),
    or one the config declares secret; narrower than :func:`is_secret_key`."""
    upper = key.upper()
    if any(fnmatch.fnmatchcase(upper, p.upper()) for p in extra_patterns):
        return True
    if any(fnmatch.fnmatchcase(upper, p) for p in NOT_SECRET_KEYS):
        return False
    return _CREDENTIAL.search(upper) is not None


def is_secret_key(key: str, extra_patterns: Iterable[str] = ()) -> bool:
    upper = key.upper()
    if any(fnmatch.fnmatchcase(upper, p.upper()) for p in extra_patterns):
        return True
    for prefix in _SCOPE_PREFIXES:
        if upper.startswith(prefix) and len(upper) > len(prefix):
            upper = upper[len(prefix) :]
    if any(fnmatch.fnmatchcase(upper, p) for p in NOT_SECRET_KEYS):
        return False
    return any(fnmatch.fnmatchcase(upper, p) for p in SECRET_KEY_PATTERNS)


def is_switch(value: str) -> bool:
    return value.strip().lower() in _SWITCH_WORDS


def _url_holds_credential(value: str) -> bool:
    parts = split_url(value)
    if parts is None:
        return False
    return bool(parts.password) or bool(secret_parts(value))


def looks_secret(value: str) -> bool:
    """A URL with a credential (password, secret parameter, webhook token), private key
    material, a connection string with a password, or a long high-entropy token."""
    if SCHEME.match(value):
        # A URL without a credential is an address, not a secret.
        return _url_holds_credential(value)
    if _PRIVATE_MATERIAL.search(value[:65536]):
        return True
    if "=" in value and keyword_passwords(value[:65536]):
        return True
    if (
        len(value) < 20
        or " " in value[:4096]
        or _WORDLIKE.match(value[:4096])
        or _PATHLIKE.match(value[:4096])
    ):
        return False
    sample = value[:4096]
    classes = sum(bool(re.search(p, sample)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^a-zA-Z\d]"))
    return entropy(sample) >= 3.5 and classes >= 2


def parts_of(value: str) -> list[str]:
    """The credentials inside ``value`` that may appear on their own (a URL's password, a
    connection string's ``Password=``), for :func:`scrub`."""
    found = list(secret_parts(value)) if SCHEME.match(value) else []
    if "=" in value:
        found += keyword_passwords(value)
    if "\n" in value and _PRIVATE_MATERIAL.search(value):
        # A diff or a log shows a PEM block line by line: each line of the key body is a secret.
        found += [
            line.strip() for line in value.splitlines() if "-----" not in line and len(line.strip()) >= 16
        ]
    return [p for p in found if p and p != value]


# --- the scope: fingerprint key and the project's known secrets ----------------------------

_process_key: bytes | None = None


def process_key() -> bytes:
    """A random key for this process: used where no repository key can be kept (a read-only
    checkout), so fingerprints still match within the run and say nothing across runs."""
    global _process_key
    if _process_key is None:
        _process_key = os.urandom(32)  # what secrets.token_bytes returns, without its imports
    return _process_key


class SecretScope:
    """What masking knows about one project: the fingerprint key (loaded on first use), the
    values it holds as secrets anywhere (and their credential parts), and the keys that are
    secret somewhere (so the same key is masked in every other layer too)."""

    __slots__ = ("_key", "_key_source", "_matcher", "_variants", "keys", "patterns", "values")

    def __init__(
        self,
        key: bytes | Callable[[], bytes] | None = None,
        values: Iterable[str] = (),
        keys: Iterable[str] = (),
        patterns: Iterable[str] = (),
    ) -> None:
        self._key = key if isinstance(key, bytes) else None
        self._key_source = key if callable(key) else None
        self.values = frozenset(v for v in values if v and not is_switch(v))
        self.keys = frozenset(keys)
        self.patterns = tuple(patterns)
        self._matcher: ahocorasick_rs.AhoCorasick | None = None
        self._variants: list[tuple[str, str]] = []

    @property
    def key(self) -> bytes:
        if self._key is None:
            self._key = self._key_source() if self._key_source else process_key()
        return self._key

    def knows(self, value: str) -> bool:
        return value in self.values

    def with_values(self, values: Iterable[str]) -> SecretScope:
        """This scope plus ``values`` (a ``--set`` secret, a ``--db`` URL's password), same key."""
        extra = {v for raw in values if raw for v in (raw, *parts_of(raw))}
        scope = SecretScope(None, self.values | extra, self.keys, self.patterns)
        scope._key, scope._key_source = self._key, self._key_source
        return scope

    def _automaton(self) -> tuple[ahocorasick_rs.AhoCorasick | None, list[tuple[str, str]]]:
        if self._matcher is None and self.values:
            variants: dict[str, str] = {}
            for v in self.values:
                if len(v) < MIN_SCRUB:
                    continue
                # As written, and as JSON writes it (a quote or backslash inside is escaped).
                for form in (v, json.dumps(v)[1:-1], json.dumps(v, ensure_ascii=False)[1:-1]):
                    variants.setdefault(form, v)
            self._variants = list(variants.items())
            if self._variants:
                # A long value is looked for by its head (the automaton's memory grows with the
                # patterns' length: a 10 MB value must not cost gigabytes), then checked in full.
                self._matcher = ahocorasick_rs.AhoCorasick(
                    [form[:_HEAD] for form, _ in self._variants], matchkind=ahocorasick_rs.MatchKind.Standard
                )
        return self._matcher, self._variants

    def replace_known(self, text: str) -> str:
        matcher, variants = self._automaton()
        if matcher is None or not text:
            return text
        hits = matcher.find_matches_as_indexes(text, overlapping=True)
        if not hits:
            return text
        # Longest first at each position, then left to right without overlaps.
        hits.sort(key=lambda h: (h[1], -(h[2] - h[1])))
        out: list[str] = []
        pos = 0
        for idx, start, end in hits:
            if start < pos:
                continue
            form, value = variants[idx]
            if len(form) > _HEAD:
                # The whole value, or as much of it as is there (a cut cell still shows its head).
                end = start + _common_prefix(text, start, form)
            if len(value) < _WHOLE_WORD_BELOW and (
                (start > 0 and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum())
            ):
                continue
            out += [text[pos:start], fingerprint(value)]
            pos = end
        if not out:
            return text
        out.append(text[pos:])
        return "".join(out)


def _common_prefix(text: str, start: int, form: str) -> int:
    """How many characters of ``form`` ``text`` holds from ``start`` on (linear, in chunks)."""
    if text.startswith(form, start):
        return len(form)
    n, step = 0, 4096
    while n < len(form) and text.startswith(form[n : n + step], start + n):
        n += step
    while n < len(form) and start + n < len(text) and text[start + n] == form[n]:
        n += 1
    return n


_SCOPE: ContextVar[SecretScope | None] = ContextVar("parity_secret_scope", default=None)


def current_scope() -> SecretScope | None:
    return _SCOPE.get()


@contextmanager
def use_scope(scope: SecretScope) -> Iterator[SecretScope]:
    """Mask with ``scope`` (its key, its known secrets) inside the block."""
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


def fingerprint(value: str) -> str:
    """``hmac:<64 bits>``: equal for equal values under one key (one repository), unguessable."""
    scope = _SCOPE.get()
    return _fingerprint(scope.key if scope is not None else process_key(), value)


@functools.lru_cache(maxsize=4096)
def _fingerprint(key: bytes, value: str) -> str:
    # Cached: a report shows the same (possibly megabytes long) secret many times. Imported here:
    # most runs fingerprint nothing, and hashlib loads OpenSSL (a hundredth of a lint run).
    import hashlib
    import hmac

    digest = hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return FINGERPRINT_PREFIX + digest[:FINGERPRINT_HEX]


def is_secret(key: str, value: str | None, extra_patterns: Iterable[str] = ()) -> bool:
    if value is None or value == "":
        return False
    scope = _SCOPE.get()
    if scope is not None and scope.knows(value):
        return True
    if is_switch(value):
        return False
    if scope is not None and key in scope.keys:
        return True
    patterns = (*extra_patterns, *(scope.patterns if scope is not None else ()))
    return is_secret_key(key, patterns) or looks_secret(value)


def display(key: str, value: str | None, extra_patterns: Iterable[str] = ()) -> str:
    """How ``key``'s value may appear in any output: itself, or a fingerprint when secret."""
    if value is None:
        return "∅"
    if is_secret(key, value, extra_patterns):
        return fingerprint(value)
    return value


def display_value(value: EnvValue, extra_patterns: Iterable[str] = ()) -> str:
    """:func:`display` for an effective value; a value from a Kubernetes Secret is always masked."""
    if value.secret and value.value:
        return fingerprint(value.value)
    return display(value.key, value.value, extra_patterns)


def scrub(text: str) -> str:
    """``text`` with every secret the current scope knows replaced by its fingerprint, and
    every URL credential or ``password=`` keyword blanked: the last pass before output."""
    scope = _SCOPE.get()
    if scope is not None:
        text = scope.replace_known(text)
    return redact_urls(text)


def mask_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each of ``secrets`` (and of the current scope's known
    secrets) in free text: command output, diffs."""
    given = {v for raw in secrets if raw for v in (raw, *parts_of(raw))}
    scope = _SCOPE.get()
    if given - (scope.values if scope else frozenset()):
        local = (scope or SecretScope()).with_values(given)
        token = _SCOPE.set(local)
        try:
            return scrub(text)
        finally:
            _SCOPE.reset(token)
    return scrub(text)
