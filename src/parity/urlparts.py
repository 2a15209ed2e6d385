"""Where the secrets of a URL sit: its userinfo password, secret query parameters, token path
segments; and :func:`redact_urls`, which blanks them in free text and keeps the rest readable.

A leaf module (it imports nothing of parity) so :mod:`parity.errors` can redact its messages.

Real URLs in env files are not always well formed: a password may hold a raw ``/`` or ``@``
(``postgresql://app:p@ss/w0rd@db.internal/app``). A URL parser stops at the first ``/`` or
``@`` and so leaks the tail of such a password; here the *last* ``@`` that is followed by
something shaped like a host ends the userinfo (the way a person reads it).

    >>> redact_urls("postgresql://app:p@ss/w0rd@db.internal/app?sslmode=require")
    'postgresql://app:***@db.internal/app?sslmode=require'
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import unquote

SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*://")
# A URL in free text runs up to whitespace, a quote or an angle bracket.
_IN_TEXT = re.compile(r"(?<![a-zA-Z0-9+.\-])[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s'\"<>`]*")
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]*\]|[\w.\-%~]*)(?::\d*)?")
# Query parameters that carry a credential whatever the rest of the key says (Azure SAS ``sig``,
# Google ``key``, AWS ``X-Amz-Signature``/``X-Amz-Credential``/``X-Amz-Security-Token``).
_SECRET_PARAM = re.compile(
    r"(?i)^(?:.*(?:pass|pwd|secret|token|signature|credential|apikey|api_key|auth|session|cookie|salt)"
    r".*|sig|key|code|access_key|private_key|client_secret)$"
)
# libpq keyword/value strings and ADO.NET connection strings: ``password=…``, ``Pwd=…;``.
_KEYWORD_PASSWORD = re.compile(
    r"(?i)(?<![\w-])(password|passwd|pwd|pass|accountkey|sharedaccesskey|sharedaccesssignature)(\s*=\s*)"
    r"(?!hmac:|\*\*\*)('(?:[^'\\]|\\.)*'|\"[^\"]*\"|[^\s;&,]+)"
)
_HOOK = re.compile(r"(?i)hook")
_SLUG_PIECE = re.compile(r"[a-z]+|\d+")
_MASK = "***"


@dataclass(frozen=True, slots=True)
class UrlParts:
    """``scheme://[user[:password]@]rest``; ``password`` is None when the URL has none."""

    scheme: str  # with its "://"
    user: str | None
    password: str | None
    rest: str  # host, port, path, query, fragment

    @property
    def host(self) -> str:
        return re.split(r"[/?#]", self.rest, maxsplit=1)[0]

    @property
    def path(self) -> str:
        tail = self.rest[len(self.host) :]
        return re.split(r"[?#]", tail, maxsplit=1)[0]

    @property
    def query(self) -> str:
        tail = self.rest[len(self.host) + len(self.path) :]
        if not tail.startswith("?"):
            return ""
        return tail[1:].split("#", 1)[0]


def split_url(url: str) -> UrlParts | None:
    """Split ``url`` (None when it has no ``scheme://``); see the module docstring for userinfo."""
    m = SCHEME.match(url)
    if m is None:
        return None
    body = url[m.end() :]
    ats = [i for i, ch in enumerate(body) if ch == "@"]
    if ats:
        first_q = min((i for i in (body.find("?"), body.find("#")) if i >= 0), default=len(body))
        # '@' before the query first (an address in a query parameter is no userinfo), then
        # the rest (a password that holds a raw '?').
        for i in [*reversed([a for a in ats if a < first_q]), *reversed([a for a in ats if a > first_q])]:
            after = body[i + 1 :]
            host = re.split(r"[/?#]", after, maxsplit=1)[0]
            userinfo = body[:i]
            user, sep, password = userinfo.partition(":")
            if not _HOST.fullmatch(host) or re.search(r"[/?#\s]", user) or re.search(r"\s", userinfo):
                continue
            return UrlParts(m.group(0), user, password if sep else None, after)
    return UrlParts(m.group(0), None, None, body)


def is_secret_param(name: str) -> bool:
    return bool(_SECRET_PARAM.match(unquote(name).strip()))


def entropy(value: str) -> float:
    """Shannon entropy in bits per character (of the first 4 KiB: enough to tell, and linear)."""
    sample = value[:4096]
    n = len(sample)
    if n == 0:
        return 0.0
    return -sum(c / n * math.log2(c / n) for c in Counter(sample).values())


def token_like(segment: str) -> bool:
    """A path segment that reads as a credential: long, random-looking, no slug of words."""
    s = unquote(segment)
    if len(s) < 16 or not re.fullmatch(r"[A-Za-z0-9_\-.~=+]+", s):
        return False
    pieces = re.split(r"[-_.~]", s)
    if all(_SLUG_PIECE.fullmatch(p) for p in pieces if p) and len(pieces) > 1:
        return False  # my-article-2024-title: a slug, not a token
    has_digit = any(ch.isdigit() for ch in s)
    has_alpha = any(ch.isalpha() for ch in s)
    return has_digit and has_alpha and entropy(s) >= 3.0


def _params(query: str) -> list[tuple[int, int, str, str]]:
    """(value start, value end, name, value) of each ``name=value`` of a query string."""
    out = []
    pos = 0
    for item in re.split(r"([&;])", query):
        if item in ("&", ";"):
            pos += 1
            continue
        name, sep, value = item.partition("=")
        if sep:
            start = pos + len(name) + 1
            out.append((start, start + len(value), name, value))
        pos += len(item)
    return out


def _secret_segments(parts: UrlParts) -> set[int]:
    """Indexes (in ``parts.path.split('/')``) of path segments that are credentials."""
    segments = parts.path.split("/")
    found = {i for i, s in enumerate(segments) if token_like(s)}
    if _HOOK.search(parts.host) or _HOOK.search(parts.path):
        # A webhook URL is a credential by itself: its last segment is the token whatever it looks like.
        last = max((i for i, s in enumerate(segments) if s), default=None)
        if last is not None and not _HOOK.search(segments[last]):
            found.add(last)
    return found


def secret_parts(url: str) -> list[str]:
    """The credentials inside ``url`` (password, secret query values, token path segments),
    each as written and URL-decoded; empty for an address without one."""
    parts = split_url(url)
    if parts is None:
        return []
    found: list[str] = []
    if parts.password:
        found.append(parts.password)
    segments = parts.path.split("/")
    found.extend(segments[i] for i in sorted(_secret_segments(parts)))
    found.extend(v for _, _, name, v in _params(parts.query) if v and is_secret_param(name))
    return [*found, *(unquote(f) for f in found if unquote(f) != f)]


def redact_url(url: str) -> str:
    """``url`` with every credential replaced by ``***``; host, port, database and harmless
    parameters stay readable. A string that is not a URL is returned unchanged."""
    parts = split_url(url)
    if parts is None:
        return url
    head = parts.scheme
    if parts.user is not None:
        head += parts.user + (f":{_MASK}" if parts.password is not None else "") + "@"
    host, path, query = parts.host, parts.path, parts.query
    secret = _secret_segments(parts)
    if secret:
        path = "/".join(_MASK if i in secret else s for i, s in enumerate(path.split("/")))
    if query:
        pieces = []
        last = 0
        for start, end, name, value in _params(query):
            if value and is_secret_param(name):
                pieces += [query[last:start], _MASK]
                last = end
        query = "".join(pieces) + query[last:]
    tail = parts.rest[len(parts.host) + len(parts.path) :]
    if tail.startswith("?"):
        fragment = tail[1 + len(parts.query) :]
        tail = "?" + query + fragment
    return head + host + path + tail


def redact_urls(text: str) -> str:
    """Every URL credential and every ``password=…`` keyword in free text replaced by ``***``."""
    if "://" in text:
        text = _IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)
    if "=" in text:
        text = _KEYWORD_PASSWORD.sub(lambda m: f"{m.group(1)}{m.group(2)}{_MASK}", text)
    return text


def keyword_passwords(text: str) -> list[str]:
    """The values of ``password=…`` keywords in a libpq or ADO.NET connection string."""
    return [m.group(3).strip("'\"") for m in _KEYWORD_PASSWORD.finditer(text)]
