"""Kubernetes manifests as a config source: the env a workload's container gets.

Reads multi-document YAML (plain manifests, Helm-rendered or ``kustomize build`` output saved
to a file) under ``k8s/``, ``deploy/``, ``manifests/`` (``[tool.parity.sources] kubernetes``).
A file or folder whose name holds an environment (``k8s/production/``, ``app.prod.yaml``)
applies to that environment only and replaces same-named objects of the generic files.
Folders holding a ``kustomization.yaml`` are kustomize *inputs* (patches, not objects) and
are skipped with a note: parity needs no cluster and no kustomize binary.

Container env as the kubelet builds it
(https://kubernetes.io/docs/tasks/inject-data-application/define-environment-variable-container/):
``envFrom`` sources in order (later wins, each key with its ``prefix``), then ``env`` on top;
``$(VAR)`` in a ``value`` expands to a variable defined before it, ``$$`` escapes.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from pathlib import Path

from parity.env.secrets import is_secret_key
from parity.errors import FileRefused
from parity.model.findings import Severity
from parity.project import ENV_ALIASES, Project
from parity.sources.base import Collector, SourceValue, list_files, load_yaml
from parity.sources.yamlnodes import YamlProblem, YNode

POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}
_KIND_ORDER = {k: i for i, k in enumerate(POD_SPEC_PATHS)}
# Known valueFrom kinds whose value exists only in a running pod: no finding, no value.
_RUNTIME_REFS = ("fieldRef", "resourceFieldRef")
_VALUE_REFS = {"configMapKeyRef": "ConfigMap", "secretKeyRef": "Secret"}
_ENVFROM_REFS = {"configMapRef": "ConfigMap", "secretRef": "Secret"}
_DEPENDENT = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.\-]*)\)")
# "test" is left out on purpose: too many manifests are named like "smoke-test.yaml".
_KNOWN_ENVS = ("production", "staging", "development")


@dataclass(frozen=True, slots=True)
class K8sObject:
    kind: str
    name: str
    namespace: str | None
    node: YNode
    file: Path
    line: int

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True, slots=True)
class Container:
    workload: K8sObject
    name: str
    image: str | None
    node: YNode


def _env_tokens(rel: Path, environments: set[str]) -> set[str]:
    words: list[str] = [*rel.parts[:-1], *re.split(r"[._\-]", rel.name.rsplit(".", 1)[0])]
    found = set()
    for w in words:
        env = ENV_ALIASES.get(w.lower(), w.lower())
        if env in environments:
            found.add(env)
    return found


def manifest_files(project: Project, environment: str, col: Collector | None = None) -> list[Path]:
    """Manifest files for ``environment``: the generic ones first, then its own."""
    if environment == "example":
        return []
    environments = {*project.environments, *_KNOWN_ENVS}
    generic: list[Path] = []
    specific: list[Path] = []
    for folder_name in project.config.sources.kubernetes:
        folder = (project.root / folder_name).resolve()
        kustomize_dirs: set[Path] = set()
        for path in list_files(folder, (".yaml", ".yml", ".json"), project.fs):
            if path.name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
                kustomize_dirs.add(path.parent)
        for path in list_files(folder, (".yaml", ".yml", ".json"), project.fs):
            if any(d == path.parent or d in path.parents for d in kustomize_dirs):
                continue
            tokens = _env_tokens(path.relative_to(folder), environments)
            if not tokens:
                generic.append(path)
            elif environment in tokens:
                specific.append(path)
        if col is not None:
            for d in sorted(kustomize_dirs):
                col.add(
                    "SRC013",
                    Severity.INFO,
                    "kustomize input folder skipped (patches are not objects)",
                    d,
                    None,
                    fix=f"save the rendered overlay, e.g. kustomize build {col.rel(d)} > {folder_name}/{environment}.yaml",
                )
    return generic + specific


def load_objects(
    project: Project, environment: str, col: Collector
) -> dict[tuple[str, str | None, str], K8sObject]:
    """(kind, namespace, name) → object; an environment's own file replaces a generic one."""
    objects: dict[tuple[str, str | None, str], K8sObject] = {}

    def add(doc: YNode, file: Path) -> None:
        if not doc.is_map:
            return
        kind = doc.str_at("kind")
        if kind == "List" or (kind and kind.endswith("List") and doc.get("items") is not None):
            items = doc.get("items")
            for item in items.items if items is not None and items.is_seq else ():
                add(item, file)
            return
        meta = doc.get("metadata")
        name = meta.str_at("name") if meta is not None else None
        if not kind or not name or meta is None:
            return  # not a Kubernetes object (Helm values, other YAML): not ours to judge
        obj = K8sObject(kind, name, meta.str_at("namespace"), doc, file, doc.line)
        objects[(kind, obj.namespace, name)] = obj

    for file in manifest_files(project, environment, col):
        try:
            docs = load_yaml(file, col.repo)
        except FileRefused as exc:
            col.refused(exc, file)
            continue
        except YamlProblem as exc:
            col.add("SRC001", Severity.ERROR, exc.message, file, exc.line, fix="fix the YAML syntax")
            continue
        for doc in docs:
            add(doc, file)
    return objects


def _find(
    objects: dict[tuple[str, str | None, str], K8sObject], kind: str, namespace: str | None, name: str
) -> K8sObject | None:
    exact = objects.get((kind, namespace, name))
    if exact is not None:
        return exact
    # Manifests often leave the namespace to kubectl's context on one side only.
    loose = [o for (k, _ns, n), o in objects.items() if k == kind and n == name]
    return loose[0] if len(loose) == 1 and (namespace is None or loose[0].namespace is None) else None


def object_data(obj: K8sObject, col: Collector) -> dict[str, tuple[str, int]]:
    """A ConfigMap's ``data`` or a Secret's decoded ``data`` + ``stringData``: key → (value, line)."""
    out: dict[str, tuple[str, int]] = {}
    sections = ("data",) if obj.kind == "ConfigMap" else ("data", "stringData")
    for section in sections:
        node = obj.node.get(section)
        if node is None or (node.is_scalar and node.text is None):
            continue
        if not node.is_map:
            col.add(
                "SRC010", Severity.ERROR, f"{obj.label}: {section} must be a mapping", obj.file, node.line
            )
            continue
        for key, value in node.mapping.items():
            line = node.line_of(key)
            if not value.is_scalar:
                col.add(
                    "SRC010",
                    Severity.ERROR,
                    f"{obj.label}: {key} must be a plain value",
                    obj.file,
                    line,
                    key=key,
                )
                continue
            text = value.text or ""
            if obj.kind == "Secret" and section == "data":
                try:
                    text = base64.b64decode("".join(text.split()), validate=True).decode("utf-8")
                except (binascii.Error, ValueError):
                    col.add(
                        "SRC009",
                        Severity.ERROR,
                        f"{obj.label}: data.{key} is not base64 of UTF-8 text (the value is not shown)",
                        obj.file,
                        line,
                        key=key,
                        fix="encode the value with base64, or move it to stringData",
                    )
                    continue
            out[key] = (text, line)
    return out


def containers(objects: dict[tuple[str, str | None, str], K8sObject]) -> list[Container]:
    """Every container of every workload, Deployments before Jobs and CronJobs."""
    out: list[Container] = []
    workloads = sorted(
        (o for o in objects.values() if o.kind in POD_SPEC_PATHS), key=lambda o: (_KIND_ORDER[o.kind], o.name)
    )
    for obj in workloads:
        node: YNode | None = obj.node
        for part in POD_SPEC_PATHS[obj.kind]:
            node = node.get(part) if node is not None else None
        cnode = node.get("containers") if node is not None else None
        for c in cnode.items if cnode is not None and cnode.is_seq else ():
            if c.is_map:
                out.append(Container(obj, c.str_at("name") or obj.name, c.str_at("image"), c))
    return out


def _image_name(image: str | None) -> str:
    if not image:
        return ""
    last = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def container_for(project: Project, service: str, all_containers: list[Container]) -> Container | None:
    """The container that runs parity service ``service``.

    By ``[tool.parity.sources] workloads`` (workload or container name), else a container
    or workload named like the service, else an image named like it (``shop/api:1.2``,
    ``shop-api``).
    """
    configured = project.config.sources.workloads
    for c in all_containers:
        if configured.get(c.name) == service or configured.get(c.workload.name) == service:
            return c
    for test in (
        lambda c: c.name == service,
        lambda c: c.workload.name == service,
        lambda c: _image_name(c.image) == service or _image_name(c.image).endswith("-" + service),
    ):
        for c in all_containers:
            if test(c) and not (c.name in configured or c.workload.name in configured):
                return c
    return None


def _expand_dependent(value: str, defined: dict[str, SourceValue]) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        ref = defined.get(m.group(1))
        return ref.value if ref is not None else m.group(0)  # unresolved: kept as written

    return _DEPENDENT.sub(sub, value)


def container_env(
    c: Container, objects: dict[tuple[str, str | None, str], K8sObject], col: Collector, service: str | None
) -> list[SourceValue]:
    """The env the kubelet gives container ``c``, each value located where it is written."""
    wl = c.workload
    values: dict[str, SourceValue] = {}
    where = f"{wl.label}, container {c.name}"

    def lookup(kind: str, name: str | None, line: int, optional: bool) -> K8sObject | None:
        if not name:
            col.add(
                "SRC010",
                Severity.ERROR,
                f"{where}: a {kind} reference needs a name",
                wl.file,
                line,
                service=service,
            )
            return None
        obj = _find(objects, kind, wl.namespace, name)
        if obj is None and not optional:
            col.add(
                "SRC003",
                Severity.ERROR,
                f"{where} references {kind} {name}, which is not in the manifests; the pod will not start",
                wl.file,
                line,
                service=service,
                fix=f"add {kind} {name} to the manifests, or mark the reference 'optional: true'",
            )
        return obj

    env_from = c.node.get("envFrom")
    for item in env_from.items if env_from is not None and env_from.is_seq else ():
        ref_kind = next((k for k in _ENVFROM_REFS if item.get(k) is not None), None)
        if ref_kind is None:
            kinds = ", ".join(item.mapping) or "nothing"
            col.add(
                "SRC002",
                Severity.ERROR,
                f"{where}: unknown envFrom source ({kinds}); expected configMapRef or secretRef",
                wl.file,
                item.line,
                service=service,
            )
            continue
        ref = item.get(ref_kind)
        assert ref is not None
        optional_node = ref.get("optional")
        optional = optional_node.truthy() is True if optional_node is not None else False
        obj = lookup(_ENVFROM_REFS[ref_kind], ref.str_at("name"), item.line, optional)
        if obj is None:
            continue
        prefix = item.str_at("prefix") or ""
        for key, (value, line) in object_data(obj, col).items():
            full = prefix + key
            values.pop(full, None)  # later sources win, and take the later position
            values[full] = SourceValue(
                full, value, obj.file, line, "k8s", obj.label, secret=obj.kind == "Secret"
            )

    env = c.node.get("env")
    for item in env.items if env is not None and env.is_seq else ():
        name = item.str_at("name")
        if not name:
            col.add(
                "SRC010",
                Severity.ERROR,
                f"{where}: env entry without a name",
                wl.file,
                item.line,
                service=service,
            )
            continue
        line = item.line_of("name")
        value_from = item.get("valueFrom")
        if value_from is None:
            value_node = item.get("value")
            raw = (value_node.text if value_node is not None else None) or ""
            if raw and is_secret_key(name):
                col.add(
                    "SRC012",
                    Severity.WARNING,
                    f"{where}: {name} is written in plain text in the manifest (the value is not shown)",
                    wl.file,
                    item.line_of("value"),
                    key=name,
                    service=service,
                    fix=f"move {name} into a Secret and use valueFrom.secretKeyRef",
                )
            value = _expand_dependent(raw, values)
            values.pop(name, None)
            values[name] = SourceValue(name, value, wl.file, item.line_of("value"), "k8s", f"{wl.label} env")
            continue
        if not value_from.is_map:
            col.add(
                "SRC010",
                Severity.ERROR,
                f"{where}: valueFrom of {name} must be a mapping",
                wl.file,
                line,
                service=service,
            )
            continue
        ref_kind = next((k for k in _VALUE_REFS if value_from.get(k) is not None), None)
        if ref_kind is None:
            if any(value_from.get(k) is not None for k in _RUNTIME_REFS):
                continue  # the downward API: known only inside a running pod
            kinds = ", ".join(value_from.mapping) or "nothing"
            col.add(
                "SRC002",
                Severity.ERROR,
                f"{where}: unknown valueFrom kind for {name} ({kinds}); expected configMapKeyRef, secretKeyRef, fieldRef or resourceFieldRef",
                wl.file,
                value_from.line,
                key=name,
                service=service,
            )
            continue
        ref = value_from.get(ref_kind)
        assert ref is not None
        kind = _VALUE_REFS[ref_kind]
        optional_node = ref.get("optional")
        optional = optional_node.truthy() is True if optional_node is not None else False
        obj = lookup(kind, ref.str_at("name"), ref.line, optional)
        if obj is None:
            continue
        data_key = ref.str_at("key")
        data = object_data(obj, col)
        if data_key is None or data_key not in data:
            if not optional:
                col.add(
                    "SRC007",
                    Severity.ERROR,
                    f"{where}: {name} reads key '{data_key}' of {obj.label}, which has no such key",
                    wl.file,
                    ref.line,
                    key=name,
                    service=service,
                    fix=f"add '{data_key}' to {obj.label} ({col.rel(obj.file)}:{obj.line})",
                )
            continue
        value, vline = data[data_key]
        values.pop(name, None)
        values[name] = SourceValue(name, value, obj.file, vline, "k8s", obj.label, secret=kind == "Secret")
    return list(values.values())
