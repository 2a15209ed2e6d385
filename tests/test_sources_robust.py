"""Whatever the compose files, manifests and config files hold, reading them never raises.

Random text and random YAML shapes go where parity expects compose services, Kubernetes
objects and app config; the result is layers and findings, never a traceback.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parity.project import discover
from parity.sources import collect_all, source_findings, writable_target

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.text(alphabet="ab$={}:-?+_ ", max_size=12),
    st.sampled_from(
        ["${A}", "${A:?x}", "${", "$$", "api", "worker", "configMapRef", "secretKeyRef", "name", "key"]
    ),
)
SHAPES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "key",
                    "value",
                    "valueFrom",
                    "env",
                    "envFrom",
                    "environment",
                    "env_file",
                    "path",
                    "required",
                    "build",
                    "context",
                    "containers",
                    "data",
                    "prefix",
                    "optional",
                    "kind",
                    "metadata",
                    "spec",
                    "template",
                    "services",
                    "api",
                    "configMapRef",
                    "secretRef",
                    "configMapKeyRef",
                ]
            ),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=25,
)


def _check(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "services/api/config").mkdir(parents=True)
        (root / "services/api/.env.production").write_text("A=1\nLOG_LEVEL=info\n", encoding="utf-8")
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        project = discover(root)
        layers = collect_all(project, "production")
        findings = source_findings(project, "production")
        writable_target(project, "api", "production", "LOG_LEVEL")
        json.dumps([f.as_dict() for f in findings])
        for service_layers in layers.values():
            for layer in service_layers:
                assert all(isinstance(v.value, str) and isinstance(v.line, int) for v in layer)
        assert all(f.code.startswith("SRC") for f in findings)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="ab:-[]{}\n &*!|>'\"$#", max_size=80))
def test_random_text_everywhere(text: str) -> None:
    _check({"compose.yaml": text, "k8s/x.yaml": text, "services/api/config/production.yaml": text})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SHAPES, SHAPES)
def test_random_shapes_in_compose_and_manifests(service: object, container: object) -> None:
    compose = yaml.safe_dump({"services": {"api": service}})
    manifest = yaml.safe_dump_all(
        [
            {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": container},
            {
                "kind": "Deployment",
                "metadata": {"name": "api"},
                "spec": {
                    "template": {"spec": {"containers": [container, {"name": "api", "env": container}]}}
                },
            },
        ]
    )
    _check(
        {
            "compose.yaml": compose,
            "k8s/app.yaml": manifest,
            "services/api/config/production.json": json.dumps(service),
        }
    )
