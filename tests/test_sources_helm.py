"""Helm charts: read without the binary (values per environment, located), or with ``helm template``."""

from __future__ import annotations

import os
import stat
import textwrap
from pathlib import Path

import pytest

from parity.project import discover
from parity.sources import collect_values, source_findings

CHART = {
    "services/api/.env.production": "LOG_LEVEL=warning\n",
    "services/api/.env.staging": "LOG_LEVEL=info\n",
    "deploy/helm/api/Chart.yaml": 'apiVersion: v2\nname: api\nversion: 0.1.0\nappVersion: "1.4.2"\n',
    "deploy/helm/api/values.yaml": """
        image:
          repository: ghcr.io/acme/api
          tag: ""
        logLevel: info
        database:
          host: db.internal
          port: 5432
        extraEnv:
          - name: EXTRA_ONE
            value: "1"
        config:
          TIMEZONE: UTC
        """,
    "deploy/helm/api/values-production.yaml": """
        logLevel: warning
        database:
          host: prod-db.internal
        extraEnv:
          - name: EXTRA_ONE
            value: "prod"
        """,
    "deploy/helm/api/templates/_helpers.tpl": """
        {{/* Expand the name of the chart. */}}
        {{- define "api.fullname" -}}
        {{- if .Values.fullnameOverride }}
        {{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
        {{- else }}
        {{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
        {{- end }}
        {{- end }}
        """,
    "deploy/helm/api/templates/configmap.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{ include "api.fullname" . }}-config
        data:
          {{- range $key, $value := .Values.config }}
          {{ $key }}: {{ $value | quote }}
          {{- end }}
        """,
    "deploy/helm/api/templates/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ include "api.fullname" . }}
        spec:
          replicas: {{ .Values.replicaCount | default 1 }}
          template:
            spec:
              containers:
                - name: {{ .Chart.Name }}
                  image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
                  envFrom:
                    - configMapRef:
                        name: {{ include "api.fullname" . }}-config
                  env:
                    - name: LOG_LEVEL
                      value: {{ .Values.logLevel | quote }}
                    - name: DATABASE_HOST
                      value: {{ .Values.database.host }}
                    - name: DATABASE_PORT
                      value: "{{ .Values.database.port }}"
                    - name: CACHE_TTL
                      value: {{ .Values.cacheTtl | default "300" | quote }}
                    {{- if .Values.sentry }}
                    - name: SENTRY_DSN
                      value: {{ .Values.sentry.dsn }}
                    {{- end }}
                    {{- with .Values.extraEnv }}
                    {{- toYaml . | nindent 12 }}
                    {{- end }}
        """,
    "deploy/helm/api/templates/NOTES.txt": "Visit {{ .Values.ingress.host }}\n",
}


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def values(root: Path, environment: str) -> dict[str, tuple[str, str, int]]:
    layers = collect_values(discover(root), "api", environment)
    return {v.key: (v.value, v.file.relative_to(root).as_posix(), v.line) for layer in layers for v in layer}


@pytest.fixture
def no_helm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "no-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.mark.usefixtures("no_helm")
def test_chart_without_helm_resolves_values_per_environment(tmp_path: Path) -> None:
    root = write(tmp_path, CHART)
    prod = values(root, "production")
    assert prod == {
        "TIMEZONE": ("UTC", "deploy/helm/api/values.yaml", 12),
        "LOG_LEVEL": ("warning", "deploy/helm/api/values-production.yaml", 1),
        "DATABASE_HOST": ("prod-db.internal", "deploy/helm/api/values-production.yaml", 3),
        "DATABASE_PORT": ("5432", "deploy/helm/api/values.yaml", 7),
        "CACHE_TTL": ("300", "deploy/helm/api/templates/deployment.yaml", 23),  # the template's default
        "EXTRA_ONE": ("prod", "deploy/helm/api/values-production.yaml", 6),  # toYaml | nindent
    }
    staging = values(root, "staging")  # no values-staging.yaml: values.yaml alone
    assert staging["LOG_LEVEL"] == ("info", "deploy/helm/api/values.yaml", 4)
    assert staging["EXTRA_ONE"] == ("1", "deploy/helm/api/values.yaml", 10)


@pytest.mark.usefixtures("no_helm")
def test_templates_are_never_invalid_yaml(tmp_path: Path) -> None:
    files = dict(CHART)
    files["deploy/helm/api/templates/weird.yaml"] = '{{- $x := dict }}\n{{ fail "nope" }}: [\n'
    root = write(tmp_path, files)
    findings = source_findings(discover(root), "production")
    assert "SRC001" not in [f.code for f in findings]
    assert [(f.code, f.severity.value, f.file) for f in findings] == [
        ("SRC025", "info", "deploy/helm/api/templates/weird.yaml")
    ]
    assert values(root, "production")["LOG_LEVEL"][0] == "warning"  # the other templates still count


def test_helm_binary_is_used_when_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(tmp_path, CHART)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    args_file = tmp_path / "helm-args"
    # A stand-in for helm: prints a rendered chart and records how it was called.
    helm = bin_dir / "helm"
    helm.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > "{args_file}"\n'
        "cat <<'YAML'\n---\n# Source: api/templates/deployment.yaml\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: release-name-api\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: api\n          image: ghcr.io/acme/api:1.4.2\n"
        '          env:\n            - name: LOG_LEVEL\n              value: "warning"\n'
        '            - name: RENDERED_ONLY\n              value: "yes"\nYAML\n',
        encoding="utf-8",
    )
    helm.chmod(helm.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    got = values(root, "production")
    args = args_file.read_text().split()
    assert args[:2] == ["template", "release-name"]
    assert [Path(a).name for a in args[args.index("--values") :] if a != "--values"] == [
        "values.yaml",
        "values-production.yaml",
    ]
    # helm's output is what counts; where parity's reading agrees, the value keeps its values-file line
    assert got["LOG_LEVEL"] == ("warning", "deploy/helm/api/values-production.yaml", 1)
    assert (
        got["RENDERED_ONLY"][0] == "yes"
        and got["RENDERED_ONLY"][1] == "deploy/helm/api/templates/deployment.yaml"
    )
    assert "DATABASE_HOST" not in got
