"""Kubernetes manifests as a config source: envFrom + prefix, secretKeyRef, Secrets never shown."""

from __future__ import annotations

import base64
import json
import textwrap
from pathlib import Path

import pytest

from parity.model.findings import Finding
from parity.project import discover
from parity.sources import collect, collect_values, secret_values, source_findings, writable_target
from parity.sources.k8s import manifest_files

SECRET = "s3cr3t-FAKE-Zq8wXy2LmN4pR7tV"
OTHER_SECRET = "other-FAKE-Ab3De5Gh7Jk9Mn1Pq"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


CONFIGMAP = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: common
  namespace: shop
data:
  LEVEL: info
  FORMAT: json
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: api-config
  namespace: shop
data:
  timezone: UTC
  LEVEL: warning
"""

SECRETS = f"""
apiVersion: v1
kind: Secret
metadata:
  name: api-secrets
  namespace: shop
data:
  api-key: {b64(SECRET)}
  TOKEN: {b64("tok-FAKE-1234567890abcdef")}
stringData:
  plain: not-encoded
"""

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: api
          image: registry.example.invalid/shop/api:1.0
          envFrom:
            - prefix: LOG_
              configMapRef:
                name: common
            - configMapRef:
                name: api-config
            - secretRef:
                name: api-secrets
              prefix: SEC_
          env:
            - name: TIMEZONE
              valueFrom:
                configMapKeyRef:
                  name: api-config
                  key: timezone
            - name: API_KEY
              valueFrom:
                secretKeyRef:
                  name: api-secrets
                  key: api-key
            - name: LEVEL
              value: debug
            - name: BANNER
              value: "$(LOG_LEVEL)-$(TIMEZONE)-$(UNKNOWN)-$$(LOG_LEVEL)"
            - name: POD_IP
              valueFrom:
                fieldRef:
                  fieldPath: status.podIP
        - name: sidecar
          image: envoyproxy/envoy:v1
          env:
            - name: SIDECAR_ONLY
              value: "1"
"""


def k8s_project(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    return write(
        tmp_path,
        {
            "services/api/.env.production": f"LOG_LEVEL=info\nAPI_KEY={SECRET}\nTIMEZONE=UTC\n",
            "k8s/production/config.yaml": CONFIGMAP,
            "k8s/production/secrets.yaml": SECRETS,
            "k8s/production/api.yaml": DEPLOYMENT,
            **(extra or {}),
        },
    )


def test_env_from_prefix_secret_key_ref_and_env_precedence(tmp_path: Path) -> None:
    project = discover(k8s_project(tmp_path))
    (layer,) = collect_values(project, "api", "production")
    got = {v.key: v for v in layer}
    assert {k: v.value for k, v in got.items()} == {
        "LOG_LEVEL": "info",
        "LOG_FORMAT": "json",
        "timezone": "UTC",
        "SEC_api-key": SECRET,
        "SEC_TOKEN": "tok-FAKE-1234567890abcdef",
        "SEC_plain": "not-encoded",
        "TIMEZONE": "UTC",
        "API_KEY": SECRET,
        # env wins over envFrom (api-config's LEVEL=warning)
        "LEVEL": "debug",
        # $(VAR) expands earlier variables; unknown ones stay; $$ escapes
        "BANNER": "info-UTC-$(UNKNOWN)-$(LOG_LEVEL)",
    }
    assert "POD_IP" not in got and "SIDECAR_ONLY" not in got  # runtime-only value; another container
    # Each value points at the line that holds it: the ConfigMap/Secret entry, not the reference.
    assert (got["LOG_LEVEL"].file.name, got["LOG_LEVEL"].line) == ("config.yaml", 7)
    assert (got["API_KEY"].file.name, got["API_KEY"].line, got["API_KEY"].secret) == ("secrets.yaml", 7, True)
    assert (got["LEVEL"].file.name, got["LEVEL"].line) == ("api.yaml", 33)  # the value line
    assert all(v.layer == "k8s" for v in layer)
    assert SECRET in secret_values(project, "production")
    assert source_findings(project, "production") == []  # same values as the env file: no conflict


def test_environment_scoping_of_manifest_files(tmp_path: Path) -> None:
    root = k8s_project(
        tmp_path,
        {
            "services/api/.env.staging": "LOG_LEVEL=info\n",
            "deploy/base.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {A: '1'}\n",
            "manifests/app.staging.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\n",
            "k8s/overlays/production/kustomization.yaml": "resources: [../../base]\n",
            "k8s/overlays/production/patch.yaml": "kind: Deployment\nmetadata: {name: api}\n",
        },
    )
    project = discover(root)
    prod = [p.relative_to(root).as_posix() for p in manifest_files(project, "production")]
    assert prod == [
        "deploy/base.yaml",
        # beside a kustomization but not named by it: read as rendered output (a patch-like
        # workload without images is dropped when loading)
        "k8s/overlays/production/patch.yaml",
        "k8s/production/api.yaml",
        "k8s/production/config.yaml",
        "k8s/production/secrets.yaml",
    ]
    staging = [p.relative_to(root).as_posix() for p in manifest_files(project, "staging")]
    assert staging == ["deploy/base.yaml", "manifests/app.staging.yaml"]
    assert collect(project, project.service("api"), "staging") == ()
    # The overlay is built now; its base folder does not exist, which is a finding on the line.
    notes = [f for f in source_findings(project, "production") if f.code == "SRC023"]
    assert [(n.file, n.line, n.severity.value) for n in notes] == [
        ("k8s/overlays/production/kustomization.yaml", 1, "error")
    ]


def test_mapping_by_image_and_by_config(tmp_path: Path) -> None:
    manifest = """
    apiVersion: batch/v1
    kind: CronJob
    metadata: {name: nightly}
    spec:
      jobTemplate:
        spec:
          template:
            spec:
              containers:
                - name: main
                  image: registry.example.invalid/shop-worker:2.0
                  env: [{name: WHO, value: cron}]
    ---
    apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: storefront}
    spec:
      template:
        spec:
          containers:
            - name: main
              image: nginx
              env: [{name: WHO, value: storefront}]
    """
    root = write(
        tmp_path,
        {
            "services/worker/.env.production": "A=1\n",
            "services/web/.env.production": "A=1\n",
            "k8s/all.yaml": manifest,
            "parity.toml": '[sources]\nworkloads = { storefront = "web" }\n',
        },
    )
    project = discover(root)
    who = {
        s.name: [v.value for layer in collect(project, s, "production") for v in layer]
        for s in project.services
    }
    assert who == {"web": ["storefront"], "worker": ["cron"]}


def test_conflict_with_a_secret_never_shows_either_value(tmp_path: Path) -> None:
    root = k8s_project(tmp_path)
    env = root / "services/api/.env.production"
    env.write_text(env.read_text().replace(SECRET, OTHER_SECRET), encoding="utf-8")
    project = discover(root)
    findings = source_findings(project, "production")
    (conflict,) = [f for f in findings if f.code == "SRC005"]
    assert (conflict.key, conflict.file, conflict.line) == ("API_KEY", "k8s/production/secrets.yaml", 7)
    assert "hmac:" in conflict.message
    dumped = json.dumps([f.as_dict() for f in findings])
    for secret in (SECRET, OTHER_SECRET, b64(SECRET)):
        assert secret not in dumped
    target = writable_target(project, "api", "production", "API_KEY")
    assert (target.file.name, target.line, target.env_file) == ("secrets.yaml", 7, False)


def test_secret_from_a_secret_is_masked_even_with_a_harmless_key(tmp_path: Path) -> None:
    root = k8s_project(tmp_path)
    env = root / "services/api/.env.production"
    env.write_text(env.read_text() + "SEC_plain=different-value\n", encoding="utf-8")
    findings = source_findings(discover(root), "production")
    (conflict,) = [f for f in findings if f.code == "SRC005"]
    assert "not-encoded" not in conflict.message and "different-value" in conflict.message


BAD_CASES = {
    "unknown valueFrom kind": (
        """
        - name: X
          valueFrom:
            vaultKeyRef: {name: a, key: b}
        """,
        "SRC002",
    ),
    "unknown envFrom source": ("", "SRC002"),
    "missing ConfigMap": (
        """
        - name: X
          valueFrom:
            configMapKeyRef: {name: nowhere, key: b}
        """,
        "SRC003",
    ),
    "missing Secret": (
        """
        - name: X
          valueFrom:
            secretKeyRef: {name: nowhere, key: b}
        """,
        "SRC003",
    ),
    "missing key": (
        """
        - name: X
          valueFrom:
            configMapKeyRef: {name: present, key: absent}
        """,
        "SRC007",
    ),
    "secret in plain text": (
        """
        - name: DB_PASSWORD
          value: hunter2-FAKE-password
        """,
        "SRC012",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES), ids=list(BAD_CASES))
def test_bad_references_are_findings_with_file_and_line(tmp_path: Path, case: str) -> None:
    env_block, code = BAD_CASES[case]
    env_from = "[{vaultRef: {name: v}}]" if case == "unknown envFrom source" else "[]"
    env_lines = textwrap.indent(textwrap.dedent(env_block).strip("\n"), " " * 12) if env_block.strip() else ""
    manifest = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: present}\ndata: {k: v}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: api\n"
        f"          envFrom: {env_from}\n"
        "          env:\n" + (env_lines + "\n" if env_lines else "            []\n")
    )
    root = write(tmp_path, {"services/api/.env.production": "A=1\n", "k8s/app.yaml": manifest})
    project = discover(root)
    collect(project, project.service("api"), "production")
    findings = source_findings(project, "production")
    assert [f.code for f in findings] == [code]
    (f,) = findings
    assert f.file == "k8s/app.yaml" and f.line is not None and f.line > 5
    assert "hunter2-FAKE-password" not in json.dumps(f.as_dict())


def test_optional_references_are_quiet(tmp_path: Path) -> None:
    manifest = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api}
    spec:
      template:
        spec:
          containers:
            - name: api
              envFrom: [{configMapRef: {name: gone, optional: true}}]
              env:
                - name: X
                  valueFrom: {secretKeyRef: {name: gone, key: k, optional: true}}
    """
    root = write(tmp_path, {"services/api/.env.production": "A=1\n", "k8s/app.yaml": manifest})
    project = discover(root)
    assert collect(project, project.service("api"), "production") == ()
    assert source_findings(project, "production") == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("kind: Deployment\nmetadata:\n  name: api\n  labels: {a: b\n", "SRC001"),
        (f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\ndata:\n  k: '{SECRET}!!'\n", "SRC009"),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: [a, b]\n", None),
        ("just a string\n---\n- a list\n---\n", None),
        (
            "apiVersion: v1\nkind: List\nitems:\n  - kind: ConfigMap\n    metadata: {name: c}\n    data: {A: '1'}\n",
            None,
        ),
    ],
)
def test_broken_manifests_are_findings_never_crashes(tmp_path: Path, text: str, code: str | None) -> None:
    root = write(tmp_path, {"services/api/.env.production": "A=1\n", "k8s/bad.yaml": text})
    # A workload that reads every object, so broken data is looked at.
    (root / "k8s/reader.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: api\n          envFrom: [{secretRef: {name: s, optional: true}}, "
        "{configMapRef: {name: c, optional: true}}]\n",
        encoding="utf-8",
    )
    project = discover(root)
    collect(project, project.service("api"), "production")
    findings: list[Finding] = source_findings(project, "production")
    if code is None:
        assert all(f.code in ("SRC010",) for f in findings)
    else:
        assert code in [f.code for f in findings]
        f = next(f for f in findings if f.code == code)
        assert f.file == "k8s/bad.yaml" and f.line is not None
    assert SECRET not in json.dumps([f.as_dict() for f in findings])


# Shaped after opentelemetry-demo's kubernetes/opentelemetry-demo.yaml (a Helm-rendered file:
# "# Source:" comments, env lists with $(VAR) references to earlier entries).
OTEL_DEPLOYMENT = """
---
# Source: opentelemetry-demo/templates/component.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: opentelemetry-demo-adservice
spec:
  template:
    spec:
      containers:
        - name: adservice
          image: 'ghcr.io/open-telemetry/demo:1.8.0-adservice'
          env:
            - name: OTEL_SERVICE_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.labels['app.kubernetes.io/component']
            - name: OTEL_COLLECTOR_NAME
              value: 'opentelemetry-demo-otelcol'
            - name: AD_SERVICE_PORT
              value: "8080"
            - name: OTEL_EXPORTER_OTLP_ENDPOINT
              value: http://$(OTEL_COLLECTOR_NAME):4317
            - name: AD_SERVICE_PORT
              value: "9555"
            - name: OTEL_COLLECTOR_NAME
              value: 'opentelemetry-demo-otelcol'
"""


def test_duplicate_env_names_in_one_container(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"adservice/.env.production": "A=1\n", "kubernetes/opentelemetry-demo.yaml": OTEL_DEPLOYMENT},
    )
    (root / "parity.toml").write_text('[sources]\nkubernetes = ["kubernetes/opentelemetry-demo.yaml"]\n')
    project = discover(root)
    (layer,) = collect_values(project, "adservice", "production")
    got = {v.key: (v.value, v.line) for v in layer}
    assert got["AD_SERVICE_PORT"] == ("9555", 25)  # the kubelet keeps the last entry
    assert got["OTEL_EXPORTER_OTLP_ENDPOINT"][0] == "http://opentelemetry-demo-otelcol:4317"
    dups = sorted(
        (
            (f.key, f.severity.value, f.line)
            for f in source_findings(project, "production")
            if f.code == "SRC020"
        ),
    )
    assert dups == [("AD_SERVICE_PORT", "error", 24), ("OTEL_COLLECTOR_NAME", "warning", 26)]
    message = next(f.message for f in source_findings(project, "production") if f.key == "AD_SERVICE_PORT")
    assert (
        "kubernetes/opentelemetry-demo.yaml:20" in message
        and "kubernetes/opentelemetry-demo.yaml:24" in message
    )


def test_configured_kubernetes_paths_files_missing_and_idle(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "adservice/.env.production": "A=1\n",
            "kubernetes/opentelemetry-demo.yaml": OTEL_DEPLOYMENT,
            "ops/README.md": "nothing to read here\n",
            "parity.toml": '[sources]\nkubernetes = ["kubernetes/opentelemetry-demo.yaml", "k8s-gone", "ops"]\n',
        },
    )
    project = discover(root)
    assert [p.relative_to(root).as_posix() for p in manifest_files(project, "production")] == [
        "kubernetes/opentelemetry-demo.yaml"
    ]
    assert collect_values(project, "adservice", "production") != ()  # the file path is read
    found = [
        (f.severity.value, f.message.split(",")[0])
        for f in source_findings(project, "production")
        if f.code == "SRC021"
    ]
    assert found == [
        ("error", "[sources] kubernetes names k8s-gone"),
        ("warning", "[sources] kubernetes names ops"),
    ]


def test_default_folders_that_do_not_exist_are_quiet(tmp_path: Path) -> None:
    root = write(tmp_path, {"services/api/.env.production": "A=1\n"})
    assert [f.code for f in source_findings(discover(root), "production")] == []


def test_a_patch_that_sets_value_over_value_from_is_reported(tmp_path: Path) -> None:
    manifest = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api}
    spec:
      template:
        spec:
          containers:
            - name: api
              env:
                - name: LEVEL
                  value: debug
                  valueFrom: {configMapKeyRef: {name: c, key: LEVEL}}
    """
    root = write(tmp_path, {"services/api/.env.production": "A=1\n", "k8s/app.yaml": manifest})
    (f,) = source_findings(discover(root), "production")
    assert (f.code, f.key, f.line) == ("SRC010", "LEVEL", 11)
