"""``kustomize build`` done by parity itself, over located YAML and files read through the gate.

A kustomization folder is built the way kustomize v5 builds it
(https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/): ``resources``
(files, and folders with their own kustomization; remote URLs are reported, never fetched),
the legacy ``bases``, ``components`` (applied to what the kustomization has gathered so
far), ``configMapGenerator`` / ``secretGenerator`` (``literals``, ``envs``, ``files``;
``behavior: merge|replace`` over a base's generator), ``generatorOptions``, then the
transformers in kustomize's order: ``namespace``, ``patchesJson6902``,
``patchesStrategicMerge``, ``patches``, ``namePrefix`` / ``nameSuffix``, ``images``.
``replicas``, labels and annotations do not change a container's env and are ignored.

Renaming a ConfigMap or Secret (a prefix, a suffix, the generators' content hash) renames
the references to it in ``envFrom`` / ``valueFrom`` / volumes, as kustomize's name reference
transformer does, so a container still finds the object it reads. The hash is parity's own
(10 characters of a SHA-256 of the data, in kustomize's alphabet), not byte-for-byte
kustomize's: only references depend on it.

Generators read files as kustomize does, which is not dotenv: an ``envs`` file keeps quotes
(``A="x"`` is ``"x"`` with its quotes), drops leading blanks, keeps trailing ones, and a line
without ``=`` takes the value from the environment of whoever runs kustomize (unknown
here, reported); a ``literals`` entry loses one pair of surrounding quotes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from parity.errors import FileRefused
from parity.model.findings import Severity
from parity.safefs import Repo
from parity.sources.base import load_yaml, read_text
from parity.sources.yamlnodes import YamlProblem, YNode, load_documents
from parity.sources.yamlpatch import (
    PatchError,
    json_patch,
    mapping,
    scalar,
    sequence,
    strategic_merge,
    to_plain,
)

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}
_REMOTE = re.compile(r"^([a-z][a-z0-9+.\-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)|\?ref=", re.I)
_HASH_ALPHABET = str.maketrans({"0": "g", "1": "h", "3": "k", "a": "m", "e": "t"})
# Fields that can change a container's env and that parity does not apply.
_UNSUPPORTED = ("replacements", "vars", "helmCharts", "generators", "transformers", "configurations")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with a kustomization: becomes a finding of the caller's collector."""

    code: str
    severity: Severity
    message: str
    file: Path | None
    line: int | None
    fix: str | None = None


@dataclass(frozen=True, slots=True)
class Resource:
    """One object of a build, with the name it was first given (patches may use either)."""

    node: YNode
    file: Path  # the file that declares it (a kustomization, for a generated object)
    line: int
    original: str  # metadata.name as first written, before prefixes and hashes
    hashed: bool = False  # a generated ConfigMap/Secret whose name gets the content hash

    @property
    def kind(self) -> str:
        return self.node.str_at("kind") or ""

    @property
    def name(self) -> str:
        meta = self.node.get("metadata")
        return (meta.str_at("name") if meta is not None else None) or ""

    @property
    def namespace(self) -> str | None:
        meta = self.node.get("metadata")
        return meta.str_at("namespace") if meta is not None else None


@dataclass(frozen=True, slots=True)
class Build:
    """What ``kustomize build <folder>`` would print, as located objects, and how it went."""

    folder: Path
    resources: tuple[Resource, ...]
    files: tuple[Path, ...]  # every file read: for cache invalidation
    folders: tuple[Path, ...]  # every kustomization folder reached (the root first)
    problems: tuple[Problem, ...]
    remote: bool  # a remote resource was left out: an external build would fetch it


class Reader:
    """Reads a kustomization's files through the repository gate; paths outside it are refused."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo

    def docs(self, path: Path) -> list[YNode]:
        return load_yaml(path, self.repo)

    def text(self, path: Path) -> str:
        return read_text(path, self.repo)

    def is_dir(self, path: Path) -> bool:
        return path.is_dir() and self.repo.contains(path)

    def is_file(self, path: Path) -> bool:
        return path.is_file()


def kustomization_file(folder: Path) -> Path | None:
    for name in KUSTOMIZATION_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def _strings(node: YNode | None) -> list[tuple[str, int]]:
    """A list of plain strings with their lines (``resources:``, ``literals:``)."""
    if node is None or not node.is_seq:
        return []
    return [(i.text, i.line) for i in node.items if i.is_scalar and i.text]


def is_remote(entry: str) -> bool:
    return bool(_REMOTE.search(entry))


def references(folder: Path, reader: Reader) -> tuple[set[Path], set[Path]]:
    """The folders and files a kustomization names (shallow): which folders are only bases,
    which files are its inputs and not objects of their own."""
    kfile = kustomization_file(folder)
    dirs: set[Path] = set()
    files: set[Path] = set()
    if kfile is None:
        return dirs, files
    try:
        docs = reader.docs(kfile)
    except (YamlProblem, FileRefused):
        return dirs, files
    k = docs[0] if docs and docs[0].is_map else None
    if k is None:
        return dirs, files
    for section in ("resources", "bases", "components", "patchesStrategicMerge"):
        for entry, _line in _strings(k.get(section)):
            if is_remote(entry):
                continue
            target = (folder / entry).resolve()
            (dirs if target.is_dir() else files).add(target)
    for section in ("patches", "patchesJson6902"):
        node = k.get(section)
        for item in node.items if node is not None and node.is_seq else ():
            path = item.str_at("path") if item.is_map else None
            if path:
                files.add((folder / path).resolve())
    for section in ("configMapGenerator", "secretGenerator"):
        node = k.get(section)
        for gen in node.items if node is not None and node.is_seq else ():
            if not gen.is_map:
                continue
            for entry, _line in [*_strings(gen.get("envs")), *_strings(gen.get("files"))]:
                files.add((folder / entry.split("=", 1)[-1]).resolve())
            env = gen.str_at("env")
            if env:
                files.add((folder / env).resolve())
    return dirs, files


def content_hash(kind: str, name: str, data: dict[str, str], secret_type: str | None = None) -> str:
    """10 characters over the object's data, with kustomize's vowel-free alphabet."""
    body: dict[str, object] = {"kind": kind, "name": name, "data": data}
    if secret_type is not None:
        body["type"] = secret_type
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return digest[:10].translate(_HASH_ALPHABET)


def _meta_name(node: YNode, name: str) -> YNode:
    meta = node.get("metadata")
    if meta is None:
        meta = mapping({}, {}, node)
    named = mapping(
        {**meta.mapping, "name": scalar(name, meta.line_of("name"), meta.origin)}, meta.key_lines, meta
    )
    return mapping({**node.mapping, "metadata": named}, node.key_lines, node)


def _meta_namespace(node: YNode, namespace: str, line: int, origin: Path) -> YNode:
    meta = node.get("metadata") or mapping({}, {}, node)
    items = {**meta.mapping, "namespace": scalar(namespace, line, origin)}
    named = mapping(items, {**meta.key_lines, "namespace": line}, meta)
    return mapping({**node.mapping, "metadata": named}, node.key_lines, node)


# -- name references ---------------------------------------------------------------------------


def _rename_in(node: YNode, path: tuple[str, ...], old: str, new: str) -> YNode:
    """``node`` with the scalar at ``path`` renamed from ``old`` to ``new`` (lists walked)."""
    if not path:
        if node.is_scalar and node.text == old:
            return replace(node, text=new)
        return node
    if node.is_seq:
        return sequence([_rename_in(i, path, old, new) for i in node.items], node)
    if not node.is_map or path[0] not in node.mapping:
        return node
    child = _rename_in(node.mapping[path[0]], path[1:], old, new)
    if child is node.mapping[path[0]]:
        return node
    return mapping({**node.mapping, path[0]: child}, node.key_lines, node)


# Where a pod spec names a ConfigMap / Secret (kustomize's nameReference config, the env part).
_REF_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "ConfigMap": (
        ("containers", "envFrom", "configMapRef", "name"),
        ("containers", "env", "valueFrom", "configMapKeyRef", "name"),
        ("initContainers", "envFrom", "configMapRef", "name"),
        ("initContainers", "env", "valueFrom", "configMapKeyRef", "name"),
        ("volumes", "configMap", "name"),
        ("volumes", "projected", "sources", "configMap", "name"),
    ),
    "Secret": (
        ("containers", "envFrom", "secretRef", "name"),
        ("containers", "env", "valueFrom", "secretKeyRef", "name"),
        ("initContainers", "envFrom", "secretRef", "name"),
        ("initContainers", "env", "valueFrom", "secretKeyRef", "name"),
        ("volumes", "secret", "secretName"),
        ("volumes", "projected", "sources", "secret", "name"),
        ("imagePullSecrets", "name"),
    ),
}


def _rename_refs(resources: list[Resource], renames: dict[tuple[str, str], str]) -> list[Resource]:
    """References to renamed ConfigMaps / Secrets follow them: ``renames`` (kind, old) → new."""
    if not renames:
        return resources
    out = []
    for r in resources:
        spec_path = POD_SPEC_PATHS.get(r.kind)
        if spec_path is None:
            out.append(r)
            continue
        node = r.node
        for (kind, old), new in renames.items():
            for ref in _REF_PATHS.get(kind, ()):
                node = _rename_in(node, (*spec_path, *ref), old, new)
        out.append(replace(r, node=node))
    return out


# -- generators -----------------------------------------------------------------------------------


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


@dataclass
class _Builder:
    reader: Reader
    problems: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)
    remote: bool = False

    def problem(
        self,
        code: str,
        severity: Severity,
        message: str,
        file: Path | None,
        line: int | None,
        fix: str | None = None,
    ) -> None:
        self.problems.append(Problem(code, severity, message, file, line, fix))

    def error(self, message: str, file: Path | None, line: int | None, fix: str | None = None) -> None:
        self.problem("SRC023", Severity.ERROR, message, file, line, fix)

    def _docs(self, path: Path) -> list[YNode] | None:
        self.files.append(path)
        try:
            return self.reader.docs(path)
        except FileRefused as exc:
            self.problem("SRC015", Severity.ERROR, f"not read: {exc.message}", path, None)
        except YamlProblem as exc:
            self.problem("SRC001", Severity.ERROR, exc.message, path, exc.line, "fix the YAML syntax")
        return None

    # -- one kustomization -------------------------------------------------------------------

    def layer(self, folder: Path, inherited: list[Resource], stack: tuple[Path, ...]) -> list[Resource]:
        kfile = kustomization_file(folder)
        if kfile is None:
            self.error(f"{folder.name}: no kustomization.yaml in a folder named as a resource", folder, None)
            return inherited
        if folder in stack:
            self.error("kustomization cycle: a folder includes itself", kfile, None)
            return inherited
        self.folders.append(folder)
        docs = self._docs(kfile)
        if docs is None:
            return inherited
        k = docs[0] if docs else None
        if k is None or not k.is_map:
            if k is not None:
                self.error("a kustomization must be a mapping", kfile, k.line)
            return inherited
        stack = (*stack, folder)
        for unknown in _UNSUPPORTED:
            if k.get(unknown) is not None:
                self.problem(
                    "SRC023",
                    Severity.WARNING,
                    f"{unknown} is not applied by parity's build: the env it changes is not known",
                    kfile,
                    k.line_of(unknown),
                    "save the output of kustomize build to a file in this folder, parity reads it too",
                )
        res = list(inherited)
        for section in ("resources", "bases"):
            for entry, line in _strings(k.get(section)):
                res.extend(self.resource(folder, kfile, entry, line, stack))
        for entry, line in _strings(k.get("components")):
            if is_remote(entry):
                self.remote_entry(kfile, entry, line)
                continue
            target = (folder / entry).resolve()
            if not self.reader.is_dir(target):
                self.error(f"component {entry} is not a folder in the repository", kfile, line)
                continue
            res = self.layer(target, res, stack)
        res = self.generators(folder, kfile, k, res)
        namespace = k.str_at("namespace")
        if namespace:
            res = [
                replace(r, node=_meta_namespace(r.node, namespace, k.line_of("namespace"), kfile))
                if r.kind
                not in ("Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding")
                else r
                for r in res
            ]
        res = self.patches(folder, kfile, k, res)
        res = self.rename(k, res)
        return self.images(k, kfile, res)

    def remote_entry(self, kfile: Path, entry: str, line: int) -> None:
        self.remote = True
        self.problem(
            "SRC022",
            Severity.WARNING,
            f"remote resource {entry} is not fetched: what it sets is unknown to parity",
            kfile,
            line,
            "vendor the remote base into the repository, or save the rendered overlay to a file",
        )

    def resource(
        self, folder: Path, kfile: Path, entry: str, line: int, stack: tuple[Path, ...]
    ) -> list[Resource]:
        if is_remote(entry):
            self.remote_entry(kfile, entry, line)
            return []
        target = (folder / entry).resolve()
        if self.reader.is_dir(target):
            return self.layer(target, [], stack)
        if not self.reader.is_file(target):
            self.error(f"resource {entry} does not exist", kfile, line, f"fix the path in {kfile.name}")
            return []
        docs = self._docs(target)
        out = []
        for doc in docs or ():
            out.extend(_objects(doc, target))
        return out

    # -- generators ------------------------------------------------------------------------------

    def generators(self, folder: Path, kfile: Path, k: YNode, res: list[Resource]) -> list[Resource]:
        options = k.get("generatorOptions")
        disable = options.get("disableNameSuffixHash") if options is not None else None
        default_hash = not (disable is not None and disable.truthy() is True)
        for section, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            node = k.get(section)
            for gen in node.items if node is not None and node.is_seq else ():
                if not gen.is_map or not gen.str_at("name"):
                    self.error(f"{section} entry needs a name", kfile, gen.line)
                    continue
                res = self.generate(folder, kfile, gen, kind, res, default_hash)
        return res

    def generate(
        self, folder: Path, kfile: Path, gen: YNode, kind: str, res: list[Resource], default_hash: bool
    ) -> list[Resource]:
        name = gen.str_at("name") or ""
        data: dict[str, YNode] = {}
        lines: dict[str, int] = {}

        def put(key: str, value: str, file: Path, line: int) -> None:
            if not _ENV_NAME.match(key):
                self.error(f"{kind} {name}: {key!r} is not a valid data key", file, line)
                return
            data[key] = scalar(value, line, file)
            lines[key] = line

        env_files = [*_strings(gen.get("envs"))]
        if gen.str_at("env"):
            env_files.append((gen.str_at("env") or "", gen.line_of("env")))
        for entry, line in env_files:
            path = (folder / entry).resolve()
            text = self._text(path, kfile, line)
            for n, raw in enumerate((text or "").splitlines(), start=1):
                stripped = raw.lstrip()
                if n == 1:
                    stripped = stripped.lstrip("\ufeff")
                if not stripped or stripped.startswith("#"):
                    continue
                key, sep, value = stripped.partition("=")
                if not sep:
                    self.problem(
                        "SRC023",
                        Severity.WARNING,
                        f"{kind} {name}: {key} has no '=': kustomize takes its value from the environment of the machine that builds",
                        path,
                        n,
                        f"write {key}=<value> in {path.name}",
                    )
                    continue
                put(key, value, path, n)
        for entry, line in _strings(gen.get("literals")):
            key, sep, value = entry.partition("=")
            if not sep:
                self.error(f"{kind} {name}: literal {entry!r} needs KEY=VALUE", kfile, line)
                continue
            put(key, _unquote(value), kfile, line)
        for entry, line in _strings(gen.get("files")):
            key, sep, rel = entry.partition("=")
            if not sep:
                key, rel = Path(entry).name, entry
            text = self._text((folder / rel).resolve(), kfile, line)
            if text is not None:
                put(key, text, (folder / rel).resolve(), 1)
        section = "data" if kind == "ConfigMap" else "stringData"
        options = gen.get("options")
        hashed = default_hash
        disable = options.get("disableNameSuffixHash") if options is not None else None
        if disable is not None:
            hashed = disable.truthy() is not True
        behavior = gen.str_at("behavior") or "create"
        namespace = gen.str_at("namespace")
        existing = [
            i
            for i, r in enumerate(res)
            if r.kind == kind and r.original == name and (namespace is None or r.namespace == namespace)
        ]
        if behavior in ("merge", "replace"):
            if not existing:
                self.error(f"{kind} {name}: behavior {behavior} but no base generates it", kfile, gen.line)
                return res
            i = existing[0]
            old = res[i]
            if behavior == "merge":
                merged: dict[str, YNode] = {}
                merged_lines: dict[str, int] = {}
                for sec in ("data", "stringData"):
                    node = old.node.get(sec)
                    if node is not None and node.is_map:
                        merged.update(node.mapping)
                        merged_lines.update(node.key_lines)
                merged.update(data)
                merged_lines.update(lines)
                data, lines = merged, merged_lines
            body = mapping(
                {**old.node.mapping, section: mapping(data, lines, gen)},
                {**old.node.key_lines, section: gen.line},
                old.node,
            )
            if section == "stringData" and "data" in body.mapping:
                body = mapping({k: v for k, v in body.mapping.items() if k != "data"}, body.key_lines, body)
            return [*res[:i], replace(old, node=body, hashed=hashed), *res[i + 1 :]]
        if existing:
            self.error(f"{kind} {name} is generated twice (use behavior: merge or replace)", kfile, gen.line)
            return res
        meta_items: dict[str, YNode] = {"name": scalar(name, gen.line_of("name"), kfile)}
        if namespace:
            meta_items["namespace"] = scalar(namespace, gen.line_of("namespace"), kfile)
        meta = mapping(meta_items, {k: gen.line_of(k) for k in meta_items}, gen)
        items: dict[str, YNode] = {
            "apiVersion": scalar("v1", gen.line, kfile),
            "kind": scalar(kind, gen.line, kfile),
            "metadata": meta,
            section: mapping(data, lines, gen),
        }
        if kind == "Secret":
            items["type"] = scalar(gen.str_at("type") or "Opaque", gen.line, kfile)
        node = mapping(items, {k: gen.line for k in items}, gen)
        return [*res, Resource(node, kfile, gen.line, name, hashed)]

    def _text(self, path: Path, kfile: Path, line: int) -> str | None:
        self.files.append(path)
        try:
            return self.reader.text(path)
        except FileRefused as exc:
            self.problem("SRC015", Severity.ERROR, f"not read: {exc.message}", path, None)
        except (OSError, UnicodeDecodeError, ValueError):
            self.error(f"generator file {path.name} cannot be read", kfile, line, "fix the path")
        return None

    # -- patches ---------------------------------------------------------------------------------

    def patches(self, folder: Path, kfile: Path, k: YNode, res: list[Resource]) -> list[Resource]:
        node = k.get("patchesJson6902")
        for item in node.items if node is not None and node.is_seq else ():
            res = self.one_patch(folder, kfile, item, res, json_only=True)
        for entry, line in _strings(k.get("patchesStrategicMerge")):
            if "\n" in entry or entry.lstrip().startswith(("apiVersion", "kind")):
                docs = self._inline(entry, kfile, line)
            else:
                docs = self._docs((folder / entry).resolve())
            for doc in docs or ():
                res = self.apply_sm(doc, None, res, kfile, line)
        node = k.get("patches")
        for item in node.items if node is not None and node.is_seq else ():
            res = self.one_patch(folder, kfile, item, res, json_only=False)
        return res

    def _inline(self, text: str, kfile: Path, line: int) -> list[YNode] | None:
        try:
            return load_documents(text, kfile, line)  # a block scalar's text starts on the next line
        except YamlProblem as exc:
            self.problem("SRC001", Severity.ERROR, exc.message, kfile, exc.line, "fix the YAML syntax")
            return None

    def one_patch(
        self, folder: Path, kfile: Path, item: YNode, res: list[Resource], json_only: bool
    ) -> list[Resource]:
        if not item.is_map:
            self.error("a patch entry must be a mapping", kfile, item.line)
            return res
        target = item.get("target")
        if item.str_at("path"):
            docs = self._docs((folder / (item.str_at("path") or "")).resolve())
        elif item.str_at("patch"):
            docs = self._inline(item.str_at("patch") or "", kfile, item.line_of("patch"))
        else:
            self.error("a patch needs 'path' or 'patch'", kfile, item.line)
            return res
        if not docs:
            return res
        if json_only or docs[0].is_seq:
            if target is None or not target.is_map:
                self.error("a JSON 6902 patch needs a target", kfile, item.line)
                return res
            matched = [i for i, r in enumerate(res) if _matches(target, r)]
            if not matched:
                self.problem(
                    "SRC023",
                    Severity.WARNING,
                    f"patch target {_describe(target)} matches no object",
                    kfile,
                    item.line,
                )
            for i in matched:
                try:
                    res[i] = replace(res[i], node=json_patch(res[i].node, docs[0]))
                except PatchError as exc:
                    self.error(exc.message, docs[0].origin or kfile, exc.line)
            return res
        for doc in docs:
            res = self.apply_sm(doc, target, res, kfile, item.line)
        return res

    def apply_sm(
        self, patch: YNode, target: YNode | None, res: list[Resource], kfile: Path, line: int
    ) -> list[Resource]:
        if not patch.is_map:
            self.error("a strategic merge patch must be a mapping", patch.origin or kfile, patch.line)
            return res
        if target is not None and target.is_map:
            matched = [i for i, r in enumerate(res) if _matches(target, r)]
            what = _describe(target)
        else:
            kind = patch.str_at("kind")
            meta = patch.get("metadata")
            name = meta.str_at("name") if meta is not None else None
            ns = meta.str_at("namespace") if meta is not None else None
            matched = [
                i
                for i, r in enumerate(res)
                if r.kind == kind
                and name in (r.name, r.original)
                and (ns is None or r.namespace in (ns, None))
            ]
            what = f"{kind} {name}"
        if not matched:
            self.problem(
                "SRC023",
                Severity.WARNING,
                f"patch for {what} matches no object",
                patch.origin or kfile,
                patch.line,
            )
        body = patch
        if target is not None:
            # With a target the patch's own kind/name only describe it; they are not applied.
            meta = patch.get("metadata")
            if meta is not None and meta.is_map:
                rest = {k: v for k, v in meta.mapping.items() if k not in ("name", "namespace")}
                body = mapping(
                    {**patch.mapping, "metadata": mapping(rest, meta.key_lines, meta)}, patch.key_lines, patch
                )
        for i in matched:
            keep = res[i]
            if target is not None:
                body = _meta_name(body, keep.name) if body.get("metadata") is not None else body
            merged = strategic_merge(keep.node, body)
            if merged is not None:
                res[i] = replace(keep, node=merged)
        return res

    # -- names and images ---------------------------------------------------------------------

    def rename(self, k: YNode, res: list[Resource]) -> list[Resource]:
        prefix = k.str_at("namePrefix") or ""
        suffix = k.str_at("nameSuffix") or ""
        if not prefix and not suffix:
            return res
        renames: dict[tuple[str, str], str] = {}
        out = []
        for r in res:
            if r.kind in ("Namespace", "CustomResourceDefinition"):
                out.append(r)
                continue
            new = prefix + r.name + suffix
            if r.kind in _REF_PATHS:
                renames[(r.kind, r.name)] = new
            out.append(replace(r, node=_meta_name(r.node, new)))
        return _rename_refs(out, renames)

    def images(self, k: YNode, kfile: Path, res: list[Resource]) -> list[Resource]:
        node = k.get("images")
        rules = [
            i
            for i in (node.items if node is not None and node.is_seq else ())
            if i.is_map and i.str_at("name")
        ]
        if not rules:
            return res
        out = []
        for r in res:
            spec_path = POD_SPEC_PATHS.get(r.kind)
            out.append(replace(r, node=_set_images(r.node, spec_path, rules)) if spec_path else r)
        return out


def _split_image(image: str) -> tuple[str, str]:
    """(name, tag-or-digest part with its ':' / '@') of an image reference."""
    if "@" in image:
        name, digest = image.split("@", 1)
        return name, "@" + digest
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon:]
    return image, ""


def _set_images(node: YNode, spec_path: tuple[str, ...], rules: list[YNode]) -> YNode:
    spec = node
    for part in spec_path:
        nxt = spec.get(part)
        if nxt is None:
            return node
        spec = nxt
    new_spec = spec
    for field_name in ("containers", "initContainers"):
        seq = new_spec.get(field_name)
        if seq is None or not seq.is_seq:
            continue
        items = []
        for c in seq.items:
            image = c.str_at("image") if c.is_map else None
            if image:
                name, tail = _split_image(image)
                for rule in rules:
                    if rule.str_at("name") != name:
                        continue
                    new_name = rule.str_at("newName") or name
                    if rule.str_at("digest"):
                        tail = "@" + (rule.str_at("digest") or "")
                    elif rule.str_at("newTag"):
                        tail = ":" + (rule.str_at("newTag") or "")
                    image_node = c.get("image")
                    assert image_node is not None
                    c = mapping(
                        {**c.mapping, "image": replace(image_node, text=new_name + tail)}, c.key_lines, c
                    )
                    break
            items.append(c)
        new_spec = mapping(
            {**new_spec.mapping, field_name: sequence(items, seq)}, new_spec.key_lines, new_spec
        )
    return _replace_at(node, spec_path, new_spec)


def _replace_at(node: YNode, path: tuple[str, ...], value: YNode) -> YNode:
    if not path:
        return value
    child = node.mapping[path[0]]
    return mapping({**node.mapping, path[0]: _replace_at(child, path[1:], value)}, node.key_lines, node)


def _objects(doc: YNode, file: Path) -> list[Resource]:
    if not doc.is_map:
        return []
    kind = doc.str_at("kind")
    if kind and kind.endswith("List") and doc.get("items") is not None:
        items = doc.get("items")
        return [
            r for i in (items.items if items is not None and items.is_seq else ()) for r in _objects(i, file)
        ]
    meta = doc.get("metadata")
    name = meta.str_at("name") if meta is not None else None
    if not kind or not name:
        return []
    return [Resource(doc, file, doc.line, name)]


def _describe(target: YNode) -> str:
    return (
        " ".join(f"{k}={target.str_at(k)}" for k in ("kind", "name", "namespace") if target.str_at(k))
        or "(any)"
    )


def _labels(r: Resource, section: str) -> dict[str, str]:
    meta = r.node.get("metadata")
    node = meta.get(section) if meta is not None else None
    return {k: v.text or "" for k, v in node.mapping.items()} if node is not None and node.is_map else {}


def _selector(text: str, labels: dict[str, str]) -> bool:
    for term in (t.strip() for t in text.split(",") if t.strip()):
        if "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k.strip()) == v.strip():
                return False
        elif "=" in term:
            k, v = term.split("=", 1)
            if labels.get(k.strip()) != v.strip().lstrip("="):
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def _matches(target: YNode, r: Resource) -> bool:
    """kustomize's patch target: kind, name (a regular expression), namespace, group, version, selectors."""
    api = r.node.str_at("apiVersion") or ""
    group, _, version = api.rpartition("/")
    checks: list[tuple[str, Callable[[str], bool]]] = [
        ("kind", lambda v: v == r.kind),
        ("name", lambda v: any(re.fullmatch(v, n) for n in (r.name, r.original))),
        ("namespace", lambda v: re.fullmatch(v, r.namespace or "") is not None),
        ("group", lambda v: v == group),
        ("version", lambda v: v == version),
        ("labelSelector", lambda v: _selector(v, _labels(r, "labels"))),
        ("annotationSelector", lambda v: _selector(v, _labels(r, "annotations"))),
    ]
    for key, test in checks:
        want = target.str_at(key)
        if want is None:
            continue
        try:
            if not test(want):
                return False
        except re.error:
            return False
    return True


def _hash_names(res: list[Resource]) -> list[Resource]:
    renames: dict[tuple[str, str], str] = {}
    out = []
    for r in res:
        if not r.hashed:
            out.append(r)
            continue
        data: dict[str, str] = {}
        for section in ("data", "stringData"):
            node = r.node.get(section)
            if node is not None and node.is_map:
                data.update({k: str(to_plain(v)) for k, v in node.mapping.items()})
        secret_type = (r.node.str_at("type") or "Opaque") if r.kind == "Secret" else None
        new = f"{r.name}-{content_hash(r.kind, r.original, data, secret_type)}"
        renames[(r.kind, r.name)] = new
        out.append(replace(r, node=_meta_name(r.node, new)))
    return _rename_refs(out, renames)


def build(folder: Path, reader: Reader) -> Build:
    """The objects ``kustomize build folder`` prints, each value located where it was written."""
    b = _Builder(reader)
    res = _hash_names(b.layer(folder.resolve(), [], ()))
    return Build(
        folder, tuple(res), tuple(dict.fromkeys(b.files)), tuple(b.folders), tuple(b.problems), b.remote
    )


# -- the external build, for comparison ----------------------------------------------------------

_HASHED = re.compile(r"-[bcdfghjklmnpqrstvwxz2456789]{10}$")
EXTERNAL_TIMEOUT_S = 30


def external_command(folder: Path) -> list[str] | None:
    """``kustomize build`` or ``kubectl kustomize`` for ``folder``, whichever is on PATH."""
    if tool := shutil.which("kustomize"):
        return [tool, "build", str(folder)]
    if tool := shutil.which("kubectl"):
        return [tool, "kustomize", str(folder)]
    return None


def env_signature(docs: list[YNode]) -> dict[str, object]:
    """What the containers' env is made of, comparable across builds: per workload container its
    env entries and envFrom sources, per ConfigMap/Secret its data; content-hash suffixes dropped
    (parity's hash is not kustomize's)."""
    import base64
    import binascii

    def bare(name: str | None) -> str:
        return _HASHED.sub("", name or "")

    def refs(node: object) -> object:
        if isinstance(node, dict):
            return {k: bare(v) if k == "name" and isinstance(v, str) else refs(v) for k, v in node.items()}
        if isinstance(node, list):
            return [refs(i) for i in node]
        return node

    out: dict[str, object] = {}
    for doc in docs:
        if not doc.is_map:
            continue
        kind = doc.str_at("kind") or ""
        meta = doc.get("metadata")
        name = meta.str_at("name") if meta is not None else None
        if kind in ("ConfigMap", "Secret"):
            data: dict[str, object] = {}
            for section in ("data", "stringData"):
                node = doc.get(section)
                for k, v in node.mapping.items() if node is not None and node.is_map else ():
                    text = v.text or ""
                    if kind == "Secret" and section == "data":
                        with contextlib.suppress(binascii.Error, ValueError):
                            text = base64.b64decode(text, validate=True).decode("utf-8")
                    data[k] = text
            out[f"{kind} {bare(name)}"] = data
            continue
        spec_path = POD_SPEC_PATHS.get(kind)
        if spec_path is None:
            continue
        spec: YNode | None = doc
        for part in spec_path:
            spec = spec.get(part) if spec is not None else None
        for section in ("initContainers", "containers"):
            seq = spec.get(section) if spec is not None else None
            for c in seq.items if seq is not None and seq.is_seq else ():
                if not c.is_map:
                    continue
                env = c.get("env")
                env_from = c.get("envFrom")
                out[f"{kind} {name} container {c.str_at('name')}"] = {
                    "env": refs(to_plain(env)) if env is not None else [],
                    "envFrom": refs(to_plain(env_from)) if env_from is not None else [],
                }
    return out


def compare_external(result: Build) -> list[Problem]:
    """SRC024 for each container or ConfigMap/Secret whose env differs between parity's build and
    the external one. Nothing when no binary is on PATH or it fails (SRC024 says which)."""
    command = external_command(result.folder)
    if command is None:
        return []
    kfile = kustomization_file(result.folder)
    try:
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=EXTERNAL_TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [
            Problem(
                "SRC024", Severity.INFO, f"{Path(command[0]).name} could not build it: {exc}", kfile, None
            )
        ]
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["no message"])[-1][:300]
        return [
            Problem(
                "SRC024",
                Severity.INFO,
                f"{' '.join([Path(command[0]).name, *command[1:-1]])} fails where parity builds: {first}",
                kfile,
                None,
            )
        ]
    try:
        theirs = env_signature(load_documents(proc.stdout))
    except YamlProblem:
        return []
    ours = env_signature([r.node for r in result.resources])
    tool = " ".join([Path(command[0]).name, *command[1:-1]])
    out = []
    for key in sorted(set(ours) | set(theirs)):
        if ours.get(key) == theirs.get(key):
            continue
        if key not in theirs:
            what = f"{key} is in parity's build only"
        elif key not in ours:
            what = f"{key} is in {tool}'s output only"
        else:
            what = f"{key}: the env differs"
        out.append(
            Problem(
                "SRC024",
                Severity.INFO,
                f"{what} ({tool} and parity build this kustomization differently; the values are not shown)",
                kfile,
                None,
                fix=f"compare `{tool} {result.folder.name}` with the values parity reports",
            )
        )
    return out
