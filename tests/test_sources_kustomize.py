"""Kustomize folders built by parity: resources, generators, prefixes, patches, images, remote bases.

The layout is the usual one (k8s/base + k8s/overlays/<env>, a configMapGenerator over env
files, a strategic-merge patch of the Deployment's env), as in the kustomize docs' examples
and many application repositories.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from parity.project import discover
from parity.safefs import Repo
from parity.sources import collect_values, source_findings
from parity.sources.kustomize import Reader, build

HAS_KUBECTL = shutil.which("kubectl") is not None or shutil.which("kustomize") is not None


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


BASE = {
    "services/api/.env.production": "LOG_LEVEL=warning\n",
    "services/api/.env.staging": "LOG_LEVEL=info\n",
    "k8s/base/kustomization.yaml": """
        resources:
          - deployment.yaml
        configMapGenerator:
          - name: api-config
            envs:
              - config/app.env
        """,
    "k8s/base/config/app.env": '# defaults\nLOG_LEVEL=info\nCACHE_URL=redis://cache:6379/0\nGREETING="hello"\n',
    "k8s/base/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
        spec:
          template:
            spec:
              containers:
                - name: api
                  image: ghcr.io/acme/api:1.0.0
                  envFrom:
                    - configMapRef:
                        name: api-config
                  env:
                    - name: WORKERS
                      value: "2"
                    - name: TZ
                      value: UTC
                    - name: CACHE
                      valueFrom:
                        configMapKeyRef:
                          name: api-config
                          key: CACHE_URL
        """,
    "k8s/overlays/production/kustomization.yaml": """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        namePrefix: prod-
        resources:
          - ../../base
        configMapGenerator:
          - name: api-config
            behavior: merge
            envs: [production.env]
            literals:
              - REGION="eu-west-1"
        patches:
          - path: deployment-env.yaml
          - target:
              kind: Deployment
              name: api
            patch: |-
              - op: add
                path: /spec/template/spec/containers/0/env/-
                value:
                  name: FEATURE_X
                  value: "on"
              - op: replace
                path: /spec/template/spec/containers/0/env/2/value
                value: Europe/Paris
        images:
          - name: ghcr.io/acme/api
            newTag: 1.4.2
        replicas:
          - name: api
            count: 3
        """,
    "k8s/overlays/production/production.env": "LOG_LEVEL=warning\n",
    "k8s/overlays/production/deployment-env.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
        spec:
          template:
            spec:
              containers:
                - name: api
                  env:
                    - name: WORKERS
                      value: "8"
                    - name: SENTRY_ENVIRONMENT
                      value: production
        """,
}


def values(root: Path, environment: str = "production") -> dict[str, tuple[str, str, int]]:
    project = discover(root)
    layers = collect_values(project, "api", environment)
    return {v.key: (v.value, v.file.relative_to(root).as_posix(), v.line) for layer in layers for v in layer}


def test_overlay_is_built_with_generators_prefix_patches_and_images(tmp_path: Path) -> None:
    root = write(tmp_path, BASE)
    got = values(root)
    assert got == {
        # envFrom follows the generated, prefixed and hashed ConfigMap; merge keeps the base's keys
        "LOG_LEVEL": ("warning", "k8s/overlays/production/production.env", 1),
        "CACHE_URL": ("redis://cache:6379/0", "k8s/base/config/app.env", 3),
        # kustomize keeps the quotes of an env file, and drops those of a literal
        "GREETING": ('"hello"', "k8s/base/config/app.env", 4),
        "REGION": ("eu-west-1", "k8s/overlays/production/kustomization.yaml", 11),
        # the strategic-merge patch: by name, the overlay's line; its new entry comes first
        "WORKERS": ("8", "k8s/overlays/production/deployment-env.yaml", 12),
        "SENTRY_ENVIRONMENT": ("production", "k8s/overlays/production/deployment-env.yaml", 14),
        # JSON 6902 on the merged list (patch items first, so TZ is at index 2), add at the end
        "TZ": ("Europe/Paris", "k8s/overlays/production/kustomization.yaml", 25),
        "CACHE": ("redis://cache:6379/0", "k8s/base/config/app.env", 3),
        "FEATURE_X": ("on", "k8s/overlays/production/kustomization.yaml", 22),
    }
    build_result = build(root / "k8s/overlays/production", Reader(Repo.at(root)))
    deployment = next(r for r in build_result.resources if r.kind == "Deployment")
    container = deployment.node.get("spec").get("template").get("spec").get("containers").items[0]  # type: ignore[union-attr]
    assert deployment.name == "prod-api"
    assert container.str_at("image") == "ghcr.io/acme/api:1.4.2"
    cm = next(r for r in build_result.resources if r.kind == "ConfigMap")
    assert cm.name.startswith("prod-api-config-") and len(cm.name) == len("prod-api-config-") + 10
    assert container.get("envFrom").items[0].get("configMapRef").str_at("name") == cm.name  # type: ignore[union-attr]
    assert build_result.problems == ()


def test_base_reached_only_through_an_overlay_is_not_read_on_its_own(tmp_path: Path) -> None:
    root = write(tmp_path, BASE)
    assert values(root, "staging") == {}  # only production has an overlay
    assert [f.code for f in source_findings(discover(root), "staging")] == []


def test_resources_only_kustomization_is_read(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "services/api/.env.production": "A=1\n",
            "k8s/kustomization.yaml": "resources:\n  - api.yaml\n  - config.yaml\n",
            "k8s/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  MODE: full\n",
            "k8s/api.yaml": BASE["k8s/base/deployment.yaml"]
            .replace("api-config", "cfg")
            .replace("CACHE_URL", "MODE"),
        },
    )
    got = values(root)
    assert got["MODE"] == ("full", "k8s/config.yaml", 6)
    assert got["CACHE"] == ("full", "k8s/config.yaml", 6)
    assert got["WORKERS"][0] == "2"


def test_remote_resource_is_a_finding_and_rendered_file_beside_it_is_read(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "services/api/.env.production": "A=1\n",
            "k8s/overlays/production/kustomization.yaml": """
                resources:
                  - https://github.com/acme/platform//base?ref=v1.2.0
                """,
            # the user's `kustomize build overlays/production > rendered.yaml`
            "k8s/overlays/production/rendered.yaml": """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: api
                spec:
                  template:
                    spec:
                      containers:
                        - name: api
                          image: ghcr.io/acme/api:1.0.0
                          env:
                            - name: MODE
                              value: rendered
                """,
        },
    )
    assert values(root) == {"MODE": ("rendered", "k8s/overlays/production/rendered.yaml", 13)}
    findings = source_findings(discover(root), "production")
    (remote,) = [f for f in findings if f.code == "SRC022"]
    assert (remote.file, remote.line, remote.severity.value) == (
        "k8s/overlays/production/kustomization.yaml",
        2,
        "warning",
    )
    assert "SRC024" not in [f.code for f in findings]  # an external build would fetch: not run


def test_json6902_patch_on_a_missing_path_and_a_missing_resource_are_findings(tmp_path: Path) -> None:
    files = dict(BASE)
    files["k8s/overlays/production/kustomization.yaml"] = """
        resources:
          - ../../base
          - missing.yaml
        patchesJson6902:
          - target: {group: apps, version: v1, kind: Deployment, name: api}
            path: bad-patch.yaml
        """
    files["k8s/overlays/production/bad-patch.yaml"] = (
        "- op: replace\n  path: /spec/template/spec/containers/3/env\n  value: []\n"
    )
    root = write(tmp_path, files)
    findings = [f for f in source_findings(discover(root), "production") if f.code == "SRC023"]
    assert sorted((f.file, f.line) for f in findings) == [
        ("k8s/overlays/production/bad-patch.yaml", 1),
        ("k8s/overlays/production/kustomization.yaml", 3),
    ]
    assert values(root)["WORKERS"][0] == "2"  # the rest of the build still counts


@pytest.mark.skipif(not HAS_KUBECTL, reason="kubectl / kustomize not on PATH")
def test_external_build_agrees_and_a_difference_is_reported(tmp_path: Path) -> None:
    root = write(tmp_path, BASE)
    codes = [f.code for f in source_findings(discover(root), "production")]
    assert "SRC024" not in codes  # kubectl kustomize gives the same env as parity's build
    kfile = root / "k8s/overlays/production/kustomization.yaml"
    kfile.write_text(
        kfile.read_text()
        + textwrap.dedent(
            """
            replacements:
              - source: {kind: ConfigMap, name: api-config, fieldPath: data.LOG_LEVEL}
                targets:
                  - select: {kind: Deployment, name: api}
                    fieldPaths: [spec.template.spec.containers.0.env.0.value]
            """
        ),
        encoding="utf-8",
    )
    findings = source_findings(discover(root), "production")
    (unsupported,) = [f for f in findings if f.code == "SRC023"]
    assert "replacements" in unsupported.message and unsupported.severity.value == "warning"
    (diff,) = [f for f in findings if f.code == "SRC024"]
    assert diff.severity.value == "info" and "Deployment prod-api container api" in diff.message
    assert "warning" not in diff.message  # values are not shown


def test_without_a_binary_there_is_no_comparison(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(tmp_path, BASE)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    kfile = root / "k8s/overlays/production/kustomization.yaml"
    kfile.write_text(kfile.read_text() + "vars: []\n", encoding="utf-8")
    findings = source_findings(discover(root), "production")
    assert [f.code for f in findings] == ["SRC023"]  # vars not applied; no external build to compare
    assert values(root)["WORKERS"][0] == "8"


def test_secret_generator_values_are_masked_and_never_printed(tmp_path: Path) -> None:
    secret = "pw-FAKE-9f8e7d6c5b4a"
    files = dict(BASE)
    files["k8s/overlays/production/kustomization.yaml"] = (
        "resources: [../../base]\nsecretGenerator:\n  - name: db\n    literals:\n      - PASSWORD="
        + secret
        + "\n"
        "patches:\n  - path: secret-env.yaml\n"
    )
    files["k8s/overlays/production/secret-env.yaml"] = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api}
        spec:
          template:
            spec:
              containers:
                - name: api
                  envFrom:
                    - secretRef: {name: db}
        """
    root = write(tmp_path, files)
    project = discover(root)
    layers = collect_values(project, "api", "production")
    (pw,) = [v for layer in layers for v in layer if v.key == "PASSWORD"]
    assert pw.secret and pw.value == secret and pw.line == 5
    assert secret not in json.dumps([f.as_dict() for f in source_findings(project, "production")])
    assert os.environ.get("PATH")  # sanity: the test ran with a PATH
