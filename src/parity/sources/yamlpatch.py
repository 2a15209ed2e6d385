"""Patches over located YAML: strategic merge and JSON 6902, as kustomize applies them.

Both work on :class:`YNode` trees and build new ones, so every value keeps the file and line
it was written at: after a patch, a container's ``env`` entry set by an overlay says
``overlays/production/patch.yaml:14``, the entries it left alone still point at the base.

Strategic merge follows Kubernetes' patch strategy for the pod fields that carry env
(https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/):
lists of containers, env, volumes, ports merge by their merge key, other lists are replaced,
``null`` deletes a key, ``$patch: delete`` / ``$patch: replace`` are honoured. Merged lists
come out as kustomize writes them: the patch's items first (merged with the base item of the
same key), then the base items the patch did not name.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from parity.sources.yamlnodes import NULL_TAG, YNode

if TYPE_CHECKING:
    from pathlib import Path

# Field name → merge key, from the Kubernetes API's patchMergeKey (core/v1 PodSpec, Container).
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "tolerations": "key",
}


class PatchError(Exception):
    """A patch that cannot be applied (a path that does not exist, a failed ``test``)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def scalar(text: str | None, line: int, origin: Path | None = None) -> YNode:
    """A new scalar node (``None``: YAML null)."""
    return YNode("scalar", line, text, NULL_TAG if text is None else "", origin=origin)


def mapping(items: dict[str, YNode], key_lines: dict[str, int], like: YNode) -> YNode:
    """A new mapping with ``like``'s line and file."""
    return replace(like, kind="map", mapping=items, key_lines=key_lines, items=(), text=None)


def sequence(items: list[YNode], like: YNode) -> YNode:
    return replace(like, kind="seq", items=tuple(items), mapping={}, key_lines={}, text=None)


def is_null(node: YNode) -> bool:
    return node.is_scalar and node.text is None


def _directive(node: YNode) -> str | None:
    return node.str_at("$patch") if node.is_map else None


def _clean(node: YNode) -> YNode:
    """``node`` without patch directives (``$patch``, ``$setElementOrder/…``, ``$retainKeys``)."""
    if node.is_map:
        items = {k: _clean(v) for k, v in node.mapping.items() if not k.startswith("$")}
        return mapping(items, {k: node.line_of(k) for k in items}, node)
    if node.is_seq:
        return sequence([_clean(i) for i in node.items if _directive(i) != "delete"], node)
    return node


def strategic_merge(base: YNode, patch: YNode, field: str = "") -> YNode | None:
    """``patch`` merged into ``base``; None when the patch deletes the node."""
    if patch.is_map and base.is_map:
        directive = _directive(patch)
        if directive == "delete":
            return None
        if directive == "replace":
            return _clean(patch)
        items = dict(base.mapping)
        lines = dict(base.key_lines)
        for key, value in patch.mapping.items():
            if key.startswith("$"):
                continue
            if is_null(value):
                items.pop(key, None)
                lines.pop(key, None)
                continue
            if key in items:
                merged = strategic_merge(items[key], value, key)
                if merged is None:
                    items.pop(key)
                    lines.pop(key, None)
                    continue
                items[key] = merged
            else:
                items[key] = _clean(value)
            lines[key] = patch.line_of(key)
        return mapping(items, lines, base)
    if patch.is_seq and base.is_seq and field in MERGE_KEYS:
        return _merge_list(base, patch, MERGE_KEYS[field])
    return _clean(patch)


def _merge_list(base: YNode, patch: YNode, key: str) -> YNode:
    by_key = {i.str_at(key): i for i in base.items if i.is_map and i.str_at(key) is not None}
    named: set[str | None] = set()
    out: list[YNode] = []
    for item in patch.items:
        if _directive(item) == "replace":
            return _clean(patch)
        ident = item.str_at(key) if item.is_map else None
        if ident is None:
            out.append(_clean(item))
            continue
        named.add(ident)
        if _directive(item) == "delete":
            continue
        old = by_key.get(ident)
        merged = strategic_merge(old, item) if old is not None else _clean(item)
        if merged is not None:
            out.append(merged)
    out.extend(i for i in base.items if not (i.is_map and i.str_at(key) in named))
    return sequence(out, base)


# -- JSON 6902 -------------------------------------------------------------------------------


def _pointer(path: str, line: int | None) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"JSON patch path {path!r} must start with '/'", line)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _index(node: YNode, part: str, line: int | None, *, adding: bool = False) -> int:
    size = len(node.items)
    if part == "-" and adding:
        return size
    if not re.fullmatch(r"0|[1-9][0-9]*", part):
        raise PatchError(f"JSON patch: {part!r} is not a list index", line)
    index = int(part)
    if index > size or (index == size and not adding):
        raise PatchError(f"JSON patch: index {index} is past the end of a list of {size}", line)
    return index


def _get(doc: YNode, parts: list[str], line: int | None) -> YNode:
    node = doc
    for part in parts:
        if node.is_map and part in node.mapping:
            node = node.mapping[part]
        elif node.is_seq:
            node = node.items[_index(node, part, line)]
        else:
            raise PatchError(f"JSON patch: path /{'/'.join(parts)} does not exist", line)
    return node


def _put(
    doc: YNode, parts: list[str], value: YNode | None, op: str, key_line: int, line: int | None
) -> YNode:
    """``doc`` with the node at ``parts`` set (add/replace) or removed (value None)."""
    if not parts:
        if value is None:
            raise PatchError("JSON patch: cannot remove the whole document", line)
        return value
    head, rest = parts[0], parts[1:]
    if doc.is_map:
        items = dict(doc.mapping)
        lines = dict(doc.key_lines)
        if rest:
            if head not in items:
                raise PatchError(f"JSON patch: path element {head!r} does not exist", line)
            items[head] = _put(items[head], rest, value, op, key_line, line)
        elif value is None:
            if head not in items:
                raise PatchError(f"JSON patch: cannot remove {head!r}: it does not exist", line)
            del items[head]
            lines.pop(head, None)
        else:
            if op == "replace" and head not in items:
                raise PatchError(f"JSON patch: cannot replace {head!r}: it does not exist", line)
            items[head] = value
            lines[head] = key_line
        return mapping(items, lines, doc)
    if doc.is_seq:
        seq = list(doc.items)
        if rest:
            i = _index(doc, head, line)
            seq[i] = _put(seq[i], rest, value, op, key_line, line)
        elif value is None:
            del seq[_index(doc, head, line)]
        elif op == "add":
            seq.insert(_index(doc, head, line, adding=True), value)
        else:
            seq[_index(doc, head, line)] = value
        return sequence(seq, doc)
    raise PatchError(f"JSON patch: cannot go into a plain value at {head!r}", line)


def json_patch(doc: YNode, operations: YNode) -> YNode:
    """RFC 6902 ``operations`` (a list of ``{op, path, value, from}``) applied to ``doc``."""
    if not operations.is_seq:
        raise PatchError("a JSON 6902 patch must be a list of operations", operations.line)
    for op_node in operations.items:
        line = op_node.line
        op = op_node.str_at("op")
        path = op_node.str_at("path")
        if op is None or path is None:
            raise PatchError("a JSON patch operation needs 'op' and 'path'", line)
        parts = _pointer(path, line)
        value = op_node.get("value")
        value_line = op_node.line_of("value")
        if op in ("add", "replace"):
            if value is None:
                raise PatchError(f"JSON patch '{op}' needs a value", line)
            doc = _put(doc, parts, value, op, value_line, line)
        elif op == "remove":
            doc = _put(doc, parts, None, op, line, line)
        elif op in ("move", "copy"):
            source = op_node.str_at("from")
            if source is None:
                raise PatchError(f"JSON patch '{op}' needs 'from'", line)
            src = _pointer(source, line)
            moved = _get(doc, src, line)
            if op == "move":
                doc = _put(doc, src, None, "remove", line, line)
            doc = _put(doc, parts, moved, "add", line, line)
        elif op == "test":
            if value is None or not _same(_get(doc, parts, line), value):
                raise PatchError(f"JSON patch test failed at {path}", line)
        else:
            raise PatchError(f"unknown JSON patch op {op!r}", line)
    return doc


def _same(a: YNode, b: YNode) -> bool:
    if a.kind != b.kind:
        return False
    if a.is_scalar:
        return a.text == b.text
    if a.is_seq:
        return len(a.items) == len(b.items) and all(
            _same(x, y) for x, y in zip(a.items, b.items, strict=True)
        )
    return a.mapping.keys() == b.mapping.keys() and all(_same(v, b.mapping[k]) for k, v in a.mapping.items())


def to_plain(node: YNode) -> object:
    """The node as plain Python values (strings for scalars), for hashing and comparison."""
    if node.is_map:
        return {k: to_plain(v) for k, v in node.mapping.items()}
    if node.is_seq:
        return [to_plain(i) for i in node.items]
    return node.text
