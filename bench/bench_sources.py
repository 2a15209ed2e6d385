"""Cost of reading compose files and Kubernetes manifests as config sources.

Generates a repository with N services (compose base + production file, a k8s set with a
Deployment, a ConfigMap and a Secret per service) and times, against a baseline measured in
the same run (PyYAML's C loader turning the same files into plain Python objects, no lines):

* cold: ``collect`` for every service plus ``source_findings`` with every cache cleared;
* warm: the same again, answered from the cache after a stat of each watched path
  (one check per call, so per-service calls cost O(services²) stats: use ``collect_all``);
* ``collect_all`` (one call for every service), cold and warm.

    python bench/bench_sources.py [--services 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import parity.sources as sources  # noqa: E402
from parity.project import discover  # noqa: E402
from parity.sources import base as sources_base  # noqa: E402

KEYS = 20


def generate(root: Path, n: int) -> None:
    base = ["services:"]
    prod = ["services:"]
    manifests: list[str] = []
    for i in range(n):
        name = f"svc{i:03d}"
        folder = root / "services" / name
        folder.mkdir(parents=True)
        (folder / ".env.example").write_text("".join(f"KEY_{k}=x\n" for k in range(KEYS)))
        (folder / ".env.production").write_text("".join(f"KEY_{k}=value-{k}\n" for k in range(KEYS)))
        base += [f"  {name}:", f"    build: ./services/{name}", f"    image: shop/{name}:${{TAG:-latest}}"]
        prod += [
            f"  {name}:",
            "    env_file:",
            f"      - ./services/{name}/.env.production",
            "    environment:",
        ]
        prod += [f"      EXTRA_{k}: ${{EXTRA:-extra-{k}}}" for k in range(KEYS // 2)]
        data = "\n".join(f"  CM_{k}: cm-{k}" for k in range(KEYS))
        secret = base64.b64encode(f"FAKE-secret-{i}".encode()).decode()
        env = "\n".join(f"            - name: ENV_{k}\n              value: v{k}" for k in range(KEYS // 2))
        manifests.append(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}-config}}\ndata:\n{data}\n---\n"
            f"apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}-secret}}\ndata:\n  token: {secret}\n---\n"
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  template:\n    spec:\n"
            f"      containers:\n        - name: {name}\n          image: shop/{name}:1\n"
            f"          envFrom:\n            - configMapRef: {{name: {name}-config}}\n              prefix: P_\n"
            f"          env:\n{env}\n            - name: TOKEN\n              valueFrom:\n"
            f"                secretKeyRef: {{name: {name}-secret, key: token}}\n"
        )
    (root / "compose.yaml").write_text("\n".join(base) + "\n")
    (root / "compose.production.yml").write_text("\n".join(prod) + "\n")
    (root / "k8s" / "production").mkdir(parents=True)
    (root / "k8s" / "production" / "all.yaml").write_text("---\n".join(manifests))


def median_ms(fn: Callable[[], object], runs: int, before: Callable[[], None] | None = None) -> float:
    samples = []
    for _ in range(runs):
        if before:
            before()
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--services", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root, args.services)
        files = [root / "compose.yaml", root / "compose.production.yml", root / "k8s/production/all.yaml"]
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        def baseline() -> None:
            for f in files:
                list(yaml.load_all(f.read_text(), Loader=loader))

        project = discover(root)

        def run() -> int:
            total = sum(
                len(layer) for s in project.services for layer in sources.collect(project, s, "production")
            )
            sources.source_findings(project, "production")
            return total

        def run_all() -> int:
            total = sum(
                len(layer)
                for layers in sources.collect_all(project, "production").values()
                for layer in layers
            )
            sources.source_findings(project, "production")
            return total

        def clear() -> None:
            sources._MEMO.clear()
            sources_base._DOC_CACHE.clear()

        clear()
        values = run()
        base_ms = median_ms(baseline, args.runs)
        cold_ms = median_ms(run, args.runs, before=clear)
        warm_ms = median_ms(run, args.runs)
        all_cold_ms = median_ms(run_all, args.runs, before=clear)
        all_warm_ms = median_ms(run_all, args.runs)
        print(
            f"{args.services} services, {values} source values, {sum(f.stat().st_size for f in files) // 1024} KiB of YAML"
        )
        print(f"{'case':44} {'median ms':>10} {'x baseline':>11}")
        print(f"{'PyYAML C load of the same files (baseline)':44} {base_ms:10.1f} {1.0:11.2f}")
        print(f"{'collect all + findings, cold':44} {cold_ms:10.1f} {cold_ms / base_ms:11.2f}")
        print(f"{'collect all + findings, warm (cached)':44} {warm_ms:10.1f} {warm_ms / base_ms:11.2f}")
        print(f"{'collect_all + findings, cold':44} {all_cold_ms:10.1f} {all_cold_ms / base_ms:11.2f}")
        print(
            f"{'collect_all + findings, warm (cached)':44} {all_warm_ms:10.1f} {all_warm_ms / base_ms:11.2f}"
        )


if __name__ == "__main__":
    main()
