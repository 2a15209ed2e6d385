"""Every secret a project holds, gathered once from every layer of every environment, and the
:class:`~parity.env.secrets.SecretScope` built from it.

A value is masked where it is shown when its key or its shape says secret; that misses the
same value under an innocent key elsewhere (``DB_PASSWORD=x`` in production, ``DB_PW2=x`` in
staging), a value that only a Kubernetes Secret marks, and a secret a smoke command prints.
So the scope knows, for the whole project:

* the keys that are secret in *any* layer, service or environment (by key, by value, or as a
  Kubernetes Secret's entry): their values are secret in every other layer too;
* every value of those keys, raw and resolved, with the credentials inside (a URL's password,
  a connection string's ``Password=``) and the base64 form of a Kubernetes Secret's value;
* the URLs of ``parity.toml`` (``[schema] dev_url``, smoke URLs) and what the command line gave.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from parity.env.layers import EnvFiles, layer_files, resolve
from parity.env.salt import repository_key
from parity.env.secrets import (
    MIN_SCRUB,
    SecretScope,
    is_secret,
    is_secret_key,
    is_switch,
    parts_of,
    use_scope,
)
from parity.errors import ParityError
from parity.model.env import EnvFile
from parity.project import Project, discover

# ``KEY VALUE`` or ``KEY: VALUE`` on a line the env parser rejects: still a secret when the key says so.
_MALFORMED = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*[:\s]\s*(.+?)\s*$")


_WORD = re.compile(r"[A-Za-z][A-Za-z_.-]*")


class _Known:
    def __init__(self, extra_patterns: list[str]) -> None:
        self.extra = extra_patterns
        self.by_key: dict[str, set[str]] = {}
        self.secret_keys: set[str] = set()
        self.values: set[str] = set()
        # What the committed example files print for everyone: no secret, and too often a common
        # word (an access key "documenso", a label "OIDC") that free-text scrubbing would blank
        # in paths, service names and key names.
        self.public: set[str] = set()

    def see(self, key: str, value: str | None, *, from_secret: bool = False) -> None:
        if not value:
            return
        self.by_key.setdefault(key, set()).add(value)
        if from_secret:
            self.secret_keys.add(key)
            self.values.add(base64.b64encode(value.encode("utf-8")).decode("ascii"))
        elif is_secret(key, value, self.extra) and not is_switch(value):
            self.secret_keys.add(key)

    def see_file(self, f: EnvFile) -> None:
        for e in f.entries:
            self.see(e.key, e.value)
        for bad in f.malformed:
            m = _MALFORMED.match(bad.text)
            if m and is_secret_key(m.group(1), self.extra):
                self.values.add(m.group(2).strip("'\""))

    def result(self) -> tuple[set[str], set[str]]:
        values = set(self.values)
        keys = set(self.secret_keys)
        for key in keys:
            values |= self.by_key.get(key, set())
        # A short value that a key nobody calls secret also holds (POSTGRES_USER=postgres beside
        # POSTGRES_PASSWORD=postgres, a bucket named like the app) is used openly: no secret to
        # scrub from free text (it is still masked as the value of a secret key), and no reason
        # to make the open key secret below.
        public = {p for v in self.public for p in (v, *parts_of(v))}
        public |= {
            v
            for key, seen in self.by_key.items()
            if key not in keys
            for v in seen
            if len(v) < 12 and _WORD.fullmatch(v)  # a name, not a short password ("hunter2")
        }
        # A key holding a secret anywhere is a secret key everywhere: DB_PW2 in staging holds
        # production's DB_PASSWORD, so DB_PW2's production value is masked too. One hop only,
        # from values of some length: a weak "postgres" password must not spread to every key
        # that says "postgres", and on to theirs.
        trigger = {v for v in values if len(v) >= MIN_SCRUB} - public
        for key, seen in self.by_key.items():
            if key not in keys and seen & trigger:
                keys.add(key)
                values |= seen
        for value in list(values):
            values.update(parts_of(value))
        return values - public, keys


def _environments(project: Project) -> list[str]:
    names: dict[str, None] = dict.fromkeys(project.environments)
    for layer in (project.shared, *project.services):
        names.update(dict.fromkeys(layer.env_files))
    return list(names)


def _env_files(project: Project) -> Iterator[Path]:
    """The ``.env.<env>`` files of every layer, and the examples (a key secret there is secret
    everywhere; the example's own values are public). A project ``.env`` reaches the values
    through compose."""
    for layer in (project.shared, *project.services):
        yield from layer.env_files.values()
        if layer.example is not None:
            yield layer.example


def known_secrets(project: Project) -> tuple[frozenset[str], frozenset[str]]:
    """(secret values and their credential parts, secret keys) of the whole project."""
    from parity.sources import collect_values
    from parity.sources.base import Collector
    from parity.sources.k8s import load_objects, object_data

    known = _Known(project.config.secrets)
    files = EnvFiles()
    examples = {layer.example for layer in (project.shared, *project.services) if layer.example}
    for path in dict.fromkeys(_env_files(project)):
        try:
            f = files.get(path)
        except ParityError:
            continue  # the env report names unreadable files
        if f is not None:
            known.see_file(f)
            if path in examples:
                known.public.update(e.value for e in f.entries if e.value)
    for env in _environments(project):
        for service in project.services:
            try:
                for v in resolve(
                    layer_files(project, service, env, files), service.name, env
                ).values.values():
                    known.see(v.key, v.value)
                for layer in collect_values(project, service, env):
                    for sv in layer:
                        known.see(sv.key, sv.value, from_secret=sv.secret)
            except ParityError:
                continue
        try:
            col = Collector(project.root, env)
            for obj in load_objects(project, env, col, compare=False).values():
                if obj.kind == "Secret":
                    for key, (value, _line) in object_data(obj, col).items():
                        known.see(key, value, from_secret=True)
        except ParityError:
            pass
    configured = [project.config.schema_.dev_url] + [
        c.url for checks in project.config.smoke.values() for c in checks
    ]
    for url in configured:
        if url:
            known.values.update(parts_of(url))
    values, keys = known.result()
    return frozenset(values), frozenset(keys)


def project_scope(project: Project, extra_values: Iterable[str] = ()) -> SecretScope:
    """The masking scope of ``project``: its repository's fingerprint key and known secrets."""
    values, keys = known_secrets(project)
    root = project.root
    scope = SecretScope(lambda: repository_key(root), values, keys, project.config.secrets)
    extra = [v for v in extra_values if v]
    return scope.with_values(extra) if extra else scope


@contextmanager
def secret_scope(path: Path | str | None, extra_values: Iterable[str] = ()) -> Iterator[SecretScope]:
    """Mask everything inside the block with the scope of the project at ``path``; when no
    project can be read there (the command will say why), with a per-process key."""
    scope: SecretScope
    try:
        scope = project_scope(discover(path), extra_values) if path is not None else SecretScope()
    except Exception:
        # Whatever stops the gathering (bad input the command itself will report, a reader's
        # bug), the command still runs: masking by key and by shape does not need the scope.
        scope = SecretScope().with_values([v for v in extra_values if v])
    with use_scope(scope):
        yield scope
