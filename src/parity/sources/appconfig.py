"""Structured app config per environment: ``config/<env>.{yaml,yml,json,toml}`` and ``settings.<env>.*``.

Nested keys are flattened with dots (``features: {exports: {enabled: true}}`` →
``features.exports.enabled = "true"``) so a toggle kept there is audited like an env flag.
``config/default.*`` (the node-config / Spring convention) is read first, then the file of
the environment, which wins. Lists are kept whole as compact JSON.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from parity.errors import FileRefused
from parity.model.findings import Severity
from parity.project import EnvLayer, Project
from parity.sources.base import Collector, SourceValue, load_yaml, read_text, scalar_to_str
from parity.sources.compose import environment_names
from parity.sources.yamlnodes import BOOL_TAG, YamlProblem, YNode

EXTENSIONS = ("yaml", "yml", "json", "toml")
_TOML_TABLE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_TOML_KEY = re.compile(
    r"^\s*((?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)


def config_files(project: Project, service: EnvLayer, environment: str) -> list[Path]:
    """The config files of ``service`` for ``environment``, lowest precedence first."""
    if not project.config.sources.app_config or environment == "example":
        return []
    out: list[Path] = []
    for stems in (
        ("config/default", "config/base"),
        tuple(f"config/{n}" for n in environment_names(environment)),
    ):
        found = next(
            (
                service.path / f"{stem}.{ext}"
                for stem in stems
                for ext in EXTENSIONS
                if (service.path / f"{stem}.{ext}").is_file()
            ),
            None,
        )
        if found is not None:
            out.append(found)
    for name in environment_names(environment):
        for ext in EXTENSIONS:
            p = service.path / f"settings.{name}.{ext}"
            if p.is_file() and p not in out:
                out.append(p)
    return out


def _flatten_yaml(node: YNode, prefix: str, out: dict[str, tuple[str, int]], line: int) -> None:
    if node.is_map:
        for key, child in node.mapping.items():
            _flatten_yaml(child, f"{prefix}.{key}" if prefix else key, out, node.line_of(key))
    elif node.is_seq:
        out[prefix] = (scalar_to_str([_plain(i) for i in node.items]), line)
    elif prefix:
        text = node.text
        if text is not None and node.tag == BOOL_TAG:
            text = "true" if node.truthy() else "false"
        out[prefix] = (text or "", line)


def _plain(node: YNode) -> Any:
    if node.is_map:
        return {k: _plain(v) for k, v in node.mapping.items()}
    if node.is_seq:
        return [_plain(i) for i in node.items]
    return node.text


def _toml_lines(text: str) -> dict[str, int]:
    """Dotted key → line for a TOML text (tomllib keeps no positions)."""
    lines: dict[str, int] = {}
    table = ""
    for n, line in enumerate(text.splitlines(), 1):
        m = _TOML_TABLE.match(line)
        if m:
            table = ".".join(p.strip().strip("\"'") for p in m.group(1).split("."))
            lines.setdefault(table, n)
            continue
        k = _TOML_KEY.match(line)
        if k:
            key = ".".join(p.strip().strip("\"'") for p in k.group(1).split("."))
            lines.setdefault(f"{table}.{key}" if table else key, n)
    return lines


def _flatten_plain(value: Any, prefix: str, out: dict[str, tuple[str, int]], lines: dict[str, int]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten_plain(v, f"{prefix}.{k}" if prefix else str(k), out, lines)
    elif prefix:
        # A key without a line of its own (inline tables) points at its nearest written parent.
        probe = prefix
        while probe and probe not in lines:
            probe = probe.rpartition(".")[0]
        out[prefix] = (scalar_to_str(value), lines.get(probe, 1))


def read_config(path: Path, col: Collector) -> dict[str, tuple[str, int]]:
    """Flattened ``key → (value, line)`` of one config file; a broken file is a finding."""
    out: dict[str, tuple[str, int]] = {}
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            text = read_text(path, col.repo)
            data = tomllib.loads(text)
        except FileRefused as exc:
            col.refused(exc, path)
            return out
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(exc))) else None
            col.add("SRC001", Severity.ERROR, f"invalid TOML: {exc}", path, line, fix="fix the TOML syntax")
            return out
        _flatten_plain(data, "", out, _toml_lines(text))
        return out
    try:
        docs = load_yaml(path, col.repo)  # JSON is YAML; this way JSON values get lines too
    except FileRefused as exc:
        col.refused(exc, path)
        return out
    except YamlProblem as exc:
        if suffix != ".json":
            col.add("SRC001", Severity.ERROR, exc.message, path, exc.line, fix="fix the YAML syntax")
            return out
        try:  # the few JSON texts PyYAML rejects (tabs as indentation)
            data = json.loads(read_text(path, col.repo))
        except (OSError, UnicodeDecodeError, ValueError) as jexc:
            line = getattr(jexc, "lineno", None)
            col.add("SRC001", Severity.ERROR, f"invalid JSON: {jexc}", path, line, fix="fix the JSON syntax")
            return out
        _flatten_plain(data, "", out, {})
        return out
    if docs:
        if not docs[0].is_map:
            col.add(
                "SRC010", Severity.ERROR, "a config file must hold a mapping at the top", path, docs[0].line
            )
            return out
        _flatten_yaml(docs[0], "", out, docs[0].line)
    return out


def config_values(project: Project, service: EnvLayer, environment: str, col: Collector) -> list[SourceValue]:
    """The flattened config keys of ``service`` in ``environment``; the environment's file wins."""
    values: dict[str, SourceValue] = {}
    for path in config_files(project, service, environment):
        for key, (value, line) in read_config(path, col).items():
            values[key] = SourceValue(key, value, path, line, "config", "app config")
    return list(values.values())
