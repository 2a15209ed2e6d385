"""Kubernetes manifests as a config source: the env a workload's container gets.

Reads multi-document YAML (plain manifests, rendered output saved to a file) under the
folders and files of ``[tool.parity.sources] kubernetes``, builds kustomizations
(:mod:`parity.sources.kustomize`) and reads Helm charts (:mod:`parity.sources.helm`); see
:func:`plan_manifests`. A file or folder whose name holds an environment
(``k8s/production/``, ``app.prod.yaml``, ``overlays/prod``) applies to that environment only
and replaces same-named objects of the generic ones. No cluster and no binary is needed.

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


@dataclass(frozen=True, slots=True)
class ManifestPlan:
    """What parity reads for one environment, in precedence order (later replaces earlier).

    ``sources`` holds ("file", path) for a plain manifest file, ("rendered", path) for one
    inside a kustomization folder that the kustomization does not name, ("kustomize", folder) for a
    kustomization to build, ("helm", folder) for a chart. ``missing`` / ``idle`` are
    configured entries that do not exist / hold nothing parity reads (SRC021).
    """

    sources: tuple[tuple[str, Path], ...]
    missing: tuple[str, ...]
    idle: tuple[str, ...]

    @property
    def files(self) -> list[Path]:
        return [p for kind, p in self.sources if kind in ("file", "rendered")]


_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json", "kustomization")


def _under(path: Path, folders: set[Path]) -> bool:
    return any(d == path.parent or d in path.parents for d in folders)


def plan_manifests(project: Project, environment: str) -> ManifestPlan:
    """The manifest files, kustomizations and charts that give ``environment`` its objects.

    Per configured entry (``[sources] kubernetes``, folders or files): a kustomization folder
    that no other kustomization includes is built, for the environment its path names
    (``overlays/production``) or for every environment when it names none; folders reached
    only as another's ``resources``/``bases``/``components`` are not built on their own. A
    chart folder (``Chart.yaml``) is read as a chart. Every other manifest file is read,
    including files inside a kustomization folder that it does not name (a saved
    ``kustomize build`` output), generic ones first, then the environment's own.
    """
    from parity.sources.kustomize import KUSTOMIZATION_NAMES, Reader, references

    if environment == "example":
        return ManifestPlan((), (), ())
    environments = {*project.environments, *_KNOWN_ENVS}
    explicit = "kubernetes" in project.config.sources.model_fields_set
    generic: list[tuple[str, Path]] = []
    specific: list[tuple[str, Path]] = []
    missing: list[str] = []
    idle: list[str] = []
    reader = Reader(project.fs)

    def place(kind: str, path: Path, rel: Path) -> None:
        tokens = _env_tokens(rel, environments)
        if not tokens:
            generic.append((kind, path))
        elif environment in tokens:
            specific.append((kind, path))

    for entry in project.config.sources.kubernetes:
        target = (project.root / entry).resolve()
        if target.is_file():
            if target.name.lower().endswith(_MANIFEST_SUFFIXES[:3]) and project.fs.contains(target):
                place("file", target, Path(target.name))
            elif explicit:
                idle.append(entry)
            continue
        if not target.is_dir():
            if explicit:
                missing.append(entry)
            continue
        found = list_files(target, _MANIFEST_SUFFIXES, project.fs)
        charts = {p.parent for p in found if p.name == "Chart.yaml"}
        kdirs = {p.parent.resolve() for p in found if p.name in KUSTOMIZATION_NAMES and not _under(p, charts)}
        reached: set[Path] = set()
        claimed: set[Path] = set()
        for d in kdirs:
            dirs, files = references(d, reader)
            reached |= dirs
            claimed |= files
        for p in found:
            if _under(p, charts) or p.name in KUSTOMIZATION_NAMES or p.resolve() in claimed:
                continue
            place("rendered" if _under(p.resolve(), kdirs) else "file", p, p.relative_to(target))
        for d in sorted(kdirs - reached):
            place("kustomize", d, d.relative_to(target) / "kustomization.yaml")
        for c in sorted(charts):
            generic.append(("helm", c))  # a chart takes the environment through its values files
        if explicit and not found:
            idle.append(entry)
    return ManifestPlan(tuple(generic + specific), tuple(missing), tuple(idle))


def manifest_files(project: Project, environment: str, col: Collector | None = None) -> list[Path]:
    """Plain manifest files for ``environment``: the generic ones first, then its own."""
    return plan_manifests(project, environment).files


def load_objects(
    project: Project, environment: str, col: Collector, *, compare: bool = True
) -> dict[tuple[str, str | None, str], K8sObject]:
    """(kind, namespace, name) → object; an environment's own file replaces a generic one.

    Kustomizations are built by parity (:mod:`parity.sources.kustomize`); with ``compare``
    and ``kustomize`` or ``kubectl`` on PATH the external build is run too and a difference
    in the containers' env is reported (SRC024). Charts are read by :mod:`parity.sources.helm`.
    """
    from parity.sources import helm, kustomize

    objects: dict[tuple[str, str | None, str], K8sObject] = {}

    def add(doc: YNode, file: Path, rendered: bool = False) -> None:
        if not doc.is_map:
            return
        kind = doc.str_at("kind")
        if kind == "List" or (kind and kind.endswith("List") and doc.get("items") is not None):
            items = doc.get("items")
            for item in items.items if items is not None and items.is_seq else ():
                add(item, file, rendered)
            return
        if rendered and kind in POD_SPEC_PATHS and not _complete(doc, kind):
            return  # a patch left beside a kustomization, not an object: its containers have no image
        meta = doc.get("metadata")
        name = meta.str_at("name") if meta is not None else None
        if not kind or not name or meta is None:
            return  # not a Kubernetes object (Helm values, other YAML): not ours to judge
        obj = K8sObject(kind, name, meta.str_at("namespace"), doc, file, doc.line)
        objects[(kind, obj.namespace, name)] = obj

    plan = plan_manifests(project, environment)
    for entry in plan.missing:
        col.add(
            "SRC021",
            Severity.ERROR,
            f"[sources] kubernetes names {entry}, which does not exist: no manifest of it is read",
            project.root / "parity.toml" if (project.root / "parity.toml").is_file() else None,
            None,
            fix=f"fix or remove '{entry}' in [sources] kubernetes",
        )
    for entry in plan.idle:
        col.add(
            "SRC021",
            Severity.WARNING,
            f"[sources] kubernetes names {entry}, which holds no manifest, kustomization or chart parity reads",
            project.root / entry,
            None,
            fix="name the folder or .yaml file that holds the manifests",
        )
    reader = kustomize.Reader(col.repo)
    for kind, path in plan.sources:
        if kind == "kustomize":
            result = kustomize.build(path, reader)
            col.read_paths.extend(result.files)
            for p in result.problems:
                col.add(p.code, p.severity, p.message, p.file, p.line, fix=p.fix)
            for r in result.resources:
                add(r.node, r.file)
            if compare and not result.remote and not any(p.code == "SRC015" for p in result.problems):
                for p in kustomize.compare_external(result):
                    col.add(p.code, p.severity, p.message, p.file, p.line, fix=p.fix)
            continue
        if kind == "helm":
            chart = helm.read_chart(path, environment, col.repo)
            col.read_paths.extend(chart.files)
            for p in chart.problems:
                col.add(p.code, p.severity, p.message, p.file, p.line, fix=p.fix)
            for doc in chart.documents:
                add(doc, doc.origin or path)
            continue
        try:
            docs = load_yaml(path, col.repo)
        except FileRefused as exc:
            col.refused(exc, path)
            continue
        except YamlProblem as exc:
            col.add("SRC001", Severity.ERROR, exc.message, path, exc.line, fix="fix the YAML syntax")
            continue
        for doc in docs:
            add(doc, path, kind == "rendered")
    return objects


def _complete(doc: YNode, kind: str) -> bool:
    node: YNode | None = doc
    for part in POD_SPEC_PATHS[kind]:
        node = node.get(part) if node is not None else None
    cnode = node.get("containers") if node is not None else None
    items = cnode.items if cnode is not None and cnode.is_seq else ()
    return bool(items) and all(c.str_at("image") for c in items)


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
    return {k: (v, line) for k, (v, _f, line) in object_values(obj, col).items()}


def object_values(obj: K8sObject, col: Collector) -> dict[str, tuple[str, Path, int]]:
    """Like :func:`object_data`, with the file of each entry: a generated ConfigMap's entry
    lives in the env file or kustomization that gave it, not in the object."""
    out: dict[str, tuple[str, Path, int]] = {}
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
            out[key] = (text, value.origin or obj.file, line)
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

    def lookup(
        kind: str, name: str | None, line: int, optional: bool, origin: Path | None
    ) -> K8sObject | None:
        if not name:
            col.add(
                "SRC010",
                Severity.ERROR,
                f"{where}: a {kind} reference needs a name",
                origin or wl.file,
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
                origin or wl.file,
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
                item.origin or wl.file,
                item.line,
                service=service,
            )
            continue
        ref = item.get(ref_kind)
        assert ref is not None
        optional_node = ref.get("optional")
        optional = optional_node.truthy() is True if optional_node is not None else False
        obj = lookup(_ENVFROM_REFS[ref_kind], ref.str_at("name"), item.line, optional, item.origin)
        if obj is None:
            continue
        prefix = item.str_at("prefix") or ""
        for key, (value, vfile, line) in object_values(obj, col).items():
            full = prefix + key
            values.pop(full, None)  # later sources win, and take the later position
            values[full] = SourceValue(
                full, value, vfile, line, "k8s", obj.label, secret=obj.kind == "Secret"
            )

    env = c.node.get("env")
    seen: dict[str, YNode] = {}
    for item in env.items if env is not None and env.is_seq else ():
        name = item.str_at("name")
        if name and name in seen:
            _duplicate(col, where, wl, seen[name], item, name, service)
        if name:
            seen[name] = item
        if not name:
            col.add(
                "SRC010",
                Severity.ERROR,
                f"{where}: env entry without a name",
                item.origin or wl.file,
                item.line,
                service=service,
            )
            continue
        line = item.line_of("name")
        item_file = item.origin or wl.file
        value_from = item.get("valueFrom")
        value_node = item.get("value")
        if value_from is not None and value_node is not None and value_node.text:
            col.add(
                "SRC010",
                Severity.ERROR,
                f"{where}: {name} has both value and valueFrom; the API server rejects the pod",
                value_node.origin or item_file,
                item.line_of("value"),
                key=name,
                service=service,
                fix="keep one of them (a patch that sets value over a valueFrom needs valueFrom: null)",
            )
            continue
        if value_from is None:
            raw = (value_node.text if value_node is not None else None) or ""
            value_file = (value_node.origin if value_node is not None else None) or item_file
            if raw and is_secret_key(name):
                col.add(
                    "SRC012",
                    Severity.WARNING,
                    f"{where}: {name} is written in plain text in the manifest (the value is not shown)",
                    value_file,
                    item.line_of("value"),
                    key=name,
                    service=service,
                    fix=f"move {name} into a Secret and use valueFrom.secretKeyRef",
                )
            value = _expand_dependent(raw, values)
            values.pop(name, None)
            values[name] = SourceValue(
                name, value, value_file, item.line_of("value"), "k8s", f"{wl.label} env"
            )
            continue
        if not value_from.is_map:
            col.add(
                "SRC010",
                Severity.ERROR,
                f"{where}: valueFrom of {name} must be a mapping",
                item_file,
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
                item_file,
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
        obj = lookup(kind, ref.str_at("name"), ref.line, optional, ref.origin)
        if obj is None:
            continue
        data_key = ref.str_at("key")
        data = object_values(obj, col)
        if data_key is None or data_key not in data:
            if not optional:
                col.add(
                    "SRC007",
                    Severity.ERROR,
                    f"{where}: {name} reads key '{data_key}' of {obj.label}, which has no such key",
                    ref.origin or wl.file,
                    ref.line,
                    key=name,
                    service=service,
                    fix=f"add '{data_key}' to {obj.label} ({col.rel(obj.file)}:{obj.line})",
                )
            continue
        value, vfile, vline = data[data_key]
        values.pop(name, None)
        values[name] = SourceValue(name, value, vfile, vline, "k8s", obj.label, secret=kind == "Secret")
    return list(values.values())


def _duplicate(
    col: Collector, where: str, wl: K8sObject, first: YNode, again: YNode, name: str, service: str | None
) -> None:
    """SRC020: one name twice in a container's ``env``. The kubelet keeps the last, but a
    ``kubectl apply`` patch merges env by name and can drop one of them, so which value
    the pod gets depends on how it was deployed."""
    from parity.sources.yamlpatch import to_plain

    a = f"{col.rel(first.origin or wl.file)}:{first.line_of('name')}"
    b = f"{col.rel(again.origin or wl.file)}:{again.line_of('name')}"
    same = {k: to_plain(v) for k, v in first.mapping.items()} == {
        k: to_plain(v) for k, v in again.mapping.items()
    }
    col.add(
        "SRC020",
        Severity.WARNING if same else Severity.ERROR,
        f"{where}: {name} is listed twice in env ({a} and {b})"
        + (
            "; the entries are the same"
            if same
            else " with different values; the later one wins in the pod, a kubectl apply may keep either"
        ),
        again.origin or wl.file,
        again.line_of("name"),
        key=name,
        service=service,
        fix=f"remove one of the {name} entries",
    )
