"""YAML with line numbers: every value parity reads from a manifest can say ``file:line``.

PyYAML's composer already records a start mark on every node; we turn the node graph into
small immutable :class:`YNode` values instead of plain dicts so the marks survive. Scalars
keep their *source text* (``8000``, ``yes``, ``1.10``) because an environment value is a
string to the runtime, and YAML 1.1 typing (``yes`` → True, ``1.10`` → 1.1) would change it.
Merge keys (``<<: *defaults``), common in compose files, are flattened by PyYAML itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    import yaml

NULL_TAG = "tag:yaml.org,2002:null"
BOOL_TAG = "tag:yaml.org,2002:bool"
_MAX_DEPTH = 200


class YamlProblem(Exception):
    """The text is not valid YAML (or uses a construct we refuse, like a recursive alias)."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True, slots=True, eq=False)
class YNode:
    """One YAML node: a mapping, a sequence or a scalar, with its 1-based line."""

    kind: str  # "map" | "seq" | "scalar"
    line: int
    text: str | None = None  # scalar source text; None for YAML null (``~``, ``null``, nothing)
    tag: str = ""
    mapping: dict[str, YNode] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)
    items: tuple[YNode, ...] = ()
    # The file the node was read from: a kustomize build mixes nodes of a base and an overlay's
    # patches in one object, and each value must still say which file set it.
    origin: Path | None = None

    @property
    def is_map(self) -> bool:
        return self.kind == "map"

    @property
    def is_seq(self) -> bool:
        return self.kind == "seq"

    @property
    def is_scalar(self) -> bool:
        return self.kind == "scalar"

    def get(self, key: str) -> YNode | None:
        return self.mapping.get(key) if self.kind == "map" else None

    def line_of(self, key: str) -> int:
        """The line of ``key`` in this mapping (where a reader looks), else this node's line."""
        return self.key_lines.get(key, self.line)

    def str_at(self, key: str) -> str | None:
        """The scalar text under ``key``, or None when absent, null or not a scalar."""
        n = self.get(key)
        return n.text if n is not None and n.kind == "scalar" else None

    def truthy(self) -> bool | None:
        """A YAML boolean's value (``true``/``false``, also 1.1's ``yes``/``no``); None if not a bool."""
        if self.kind != "scalar" or self.text is None:
            return None
        low = self.text.lower()
        if self.tag == BOOL_TAG or low in ("true", "false"):
            return low in ("true", "yes", "on", "y")
        return None


@dataclass(frozen=True, slots=True)
class _Place:
    origin: Path | None
    offset: int  # lines before the text: a YAML document held in a block scalar of another file


def _convert(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    depth: int,
    memo: dict[int, YNode],
    active: set[int],
    place: _Place,
) -> YNode:
    import yaml  # PyYAML is imported by the commands that read sources, not by ``parity --help``

    key = id(node)
    if key in memo:
        # Aliases share their node; converting once keeps "billion laughs" documents linear.
        return memo[key]
    if depth > _MAX_DEPTH or key in active:
        raise YamlProblem("nesting too deep or recursive alias", node.start_mark.line + 1)
    line = node.start_mark.line + 1 + place.offset
    if isinstance(node, yaml.ScalarNode):
        text = None if node.tag == NULL_TAG else str(node.value)
        out = YNode("scalar", line, text, node.tag, origin=place.origin)
    elif isinstance(node, yaml.SequenceNode):
        active.add(key)
        out = YNode(
            "seq",
            line,
            tag=node.tag,
            items=tuple(_convert(loader, c, depth + 1, memo, active, place) for c in node.value),
            origin=place.origin,
        )
        active.discard(key)
    elif isinstance(node, yaml.MappingNode):
        active.add(key)
        loader.flatten_mapping(node)  # resolves ``<<`` merge keys in place
        mapping: dict[str, YNode] = {}
        key_lines: dict[str, int] = {}
        for k, v in node.value:
            if not isinstance(k, yaml.ScalarNode):
                raise YamlProblem("a mapping key must be a plain value", k.start_mark.line + 1)
            name = "" if k.tag == NULL_TAG else str(k.value)
            mapping[name] = _convert(
                loader, v, depth + 1, memo, active, place
            )  # a repeated key: the last wins, as in PyYAML
            key_lines[name] = k.start_mark.line + 1 + place.offset
        active.discard(key)
        out = YNode("map", line, tag=node.tag, mapping=mapping, key_lines=key_lines, origin=place.origin)
    else:  # pragma: no cover - PyYAML has only these three node kinds
        raise YamlProblem(f"unsupported YAML node {type(node).__name__}", line)
    memo[key] = out
    return out


def load_documents(text: str, origin: Path | None = None, line_offset: int = 0) -> list[YNode]:
    """Every document of a (multi-document) YAML text, empty documents skipped.

    Every node records ``origin`` (the file it came from); ``line_offset`` is added to every
    line, for YAML held inside another file (a kustomize patch written inline). Raises
    :class:`YamlProblem` with the 1-based line of the first error.
    """
    import yaml

    # libyaml is several times faster on large rendered manifests.
    loader_class: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    docs: list[YNode] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                docs.append(_convert(loader, node, 0, {}, set(), _Place(origin, line_offset)))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlProblem(f"invalid YAML: {problem}", mark.line + 1 + line_offset if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"invalid YAML: {exc}", None) from None
    finally:
        loader.dispose()
    return docs
