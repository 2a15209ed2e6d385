"""Benchmark: parity's code scan vs ripgrep searching the same patterns, on a generated repository.

    python bench/bench_scan.py                 # quick: 5,000 files
    python bench/bench_scan.py --files 50000   # the issue's size (about 190 MB)

The repository is generated once under bench/.work/ (gitignored) with a fixed seed: mixed languages
(Python, JS/TS, Go, Java, Ruby, PHP, shell, Dockerfile, compose) at realistic sizes (log-normal,
median about 2.5 KB, a few files of 100+ KB), about 5% of files reading env vars or flags. Both tools
run warm (one untimed run first), each timed as a fresh process, median of --repeat runs; ripgrep
uses all cores, as parity does. The ratio parity/ripgrep is the figure to watch (target <= 2.0).
Peak memory (max RSS of the main process and of a worker) is measured at a tenth of the size and at
full size: it should stay flat as the repository grows.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
REPO = HERE.parent

# The constructs parity extracts, as one ripgrep regex (what a grep-based audit would search for).
RG_PATTERN = (
    r"os\.getenv|os\.environ|environ\.get|getenv\(|process\.env|import\.meta\.env|os\.Getenv|os\.LookupEnv|"
    r"System\.getenv|ENV\[|ENV\.fetch|\$_ENV|\$\{[A-Za-z_]|BaseSettings|variation\(|isEnabled\(|is_enabled\(|"
    r"getBooleanValue\(|get_boolean_value\(|isOn\(|is_on\("
)

LANGS = [  # (extension or name, weight, line generator key)
    (".py", 34, "py"), (".ts", 18, "js"), (".js", 10, "js"), (".go", 10, "go"), (".java", 8, "java"),
    (".rb", 7, "rb"), (".php", 6, "php"), (".sh", 4, "sh"), ("Dockerfile", 2, "docker"), ("compose.yaml", 1, "compose"),
]  # fmt: skip

# Blocks of real-looking code per language (each block is complete, so generated Python parses).
PLAIN = {
    "py": ["def {w}_{n}(value, *args):\n    result = compute_{w}(value, {n})\n    # normalise the {w} before saving\n"
           "    return {{'id': {n}, 'name': '{w}', 'result': result}}\n\n",
           "class {W}Handler{n}(Base):\n    items = [x for x in range({n})]\n\n    def run(self):\n"
           "        return [i * 2 for i in self.items if i % 3]\n\n"],
    "js": ["export function {w}{n}(input) {{\n  const result = compute{W}(input, {n});\n  // keep {w} stable\n"
           "  return {{ id: {n}, name: '{w}', result }};\n}}\n\n", "import {{ {w}{n} }} from './{w}';\n"],
    "go": ["func {W}{n}(ctx context.Context) error {{\n\tresult := compute{W}(ctx, {n})\n\t// {w} must not be nil\n"
           "\treturn fmt.Errorf(\"{w}: %v\", result)\n}}\n\n"],
    "java": ["  public int {w}{n}(String input) {{\n    int result = compute{W}(input, {n});\n    // {w} is cached\n"
             "    return result;\n  }}\n\n"],
    "rb": ["def {w}_{n}(value)\n  result = compute_{w}(value, {n})\n  # {w} is frozen\n  result\nend\n\n"],
    "php": ["function {w}{n}($value) {{\n    $result = compute_{w}($value, {n});\n    // {w}\n    return $result;\n}}\n\n"],
    "sh": ["echo \"processing {w} {n}\"\nrun_{w} --count {n}\n# {w} step\n"],
    "docker": ["RUN pip install {w}=={n}.0\nCOPY {w} /app/{w}\n# {w} layer\n"],
    "compose": ["    image: shop/{w}:{n}\n    restart: always\n    # {w}\n"],
}  # fmt: skip
ENV = {
    "py": ["def {w}_url_{n}():\n    return os.getenv(\"{K}_URL\", \"http://localhost\")\n\n",
           "def {w}_on_{n}():\n    if os.environ.get(\"FEATURE_{K}\") == \"true\":\n        return True\n    return False\n\n",
           "def {w}_token_{n}():\n    return os.environ[\"{K}_TOKEN\"]\n\n",
           "def {w}_flag_{n}(ctx):\n    return ld.variation(\"{w}-flag\", ctx, False)\n\n"],
    "js": ["const url{n} = process.env.{K}_URL || 'http://localhost';\n",
           "if (process.env[\"FEATURE_{K}\"] === 'true') {{ start{n}(); }}\n",
           "const on{n} = client.isEnabled('{w}-flag');\n"],
    "go": ["func env{n}() string {{\n\treturn os.Getenv(\"{K}_URL\")\n}}\n\n",
           "func flag{n}() bool {{\n\t_, ok := os.LookupEnv(\"FEATURE_{K}\")\n\treturn ok\n}}\n\n"],
    "java": ["  String url{n} = System.getenv(\"{K}_URL\");\n",
             "  boolean on{n} = client.getBooleanValue(\"{w}-flag\", false);\n"],
    "rb": ["url = ENV.fetch(\"{K}_URL\", \"http://localhost\")\n", "on = ENV[\"FEATURE_{K}\"] == \"true\"\n"],
    "php": ["$url = getenv('{K}_URL');\n", "$on = $_ENV['FEATURE_{K}'] ?? 'false';\n"],
    "sh": ["exec app --url \"${{{K}_URL:-http://localhost}}\"\n"],
    "docker": ["CMD app --url ${{{K}_URL}}\n"],
    "compose": ["      URL: ${{{K}_URL:-http://localhost}}\n"],
}  # fmt: skip
HEADER = {"py": "import os\n", "go": "package main\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\t\"os\"\n)\n",
          "java": "class Gen {\n", "php": "<?php\n", "sh": "#!/bin/sh\n", "docker": "FROM python:3.12\n",
          "compose": "services:\n  app:\n"}  # fmt: skip
WORDS = [
    "order",
    "customer",
    "invoice",
    "cart",
    "payment",
    "shipment",
    "refund",
    "coupon",
    "price",
    "stock",
    "report",
    "export",
    "user",
    "session",
]


def generate(root: Path, n_files: int, seed: int = 7) -> tuple[int, int]:
    rng = random.Random(seed)
    total = 0
    weights = [w for _, w, _ in LANGS]
    for i in range(n_files):
        name, _, key = rng.choices(LANGS, weights)[0]
        d = i // 8  # about 8 files a folder, as in real trees
        folder = root / f"services/svc{d % 12}/pkg{(d // 12) % 30}/mod{d // 360}"
        fname = (
            f"f{i}{name}"
            if name.startswith(".")
            else (f"{i}.{name}" if name == "Dockerfile" else f"{i}-{name}")
        )
        if name == "compose.yaml":
            fname = f"compose.{i}.yaml"
        # Log-normal sizes: median ~2.5 KB, a long tail (a few files over 100 KB).
        size = min(int(math.exp(rng.gauss(7.8, 1.0))), 400_000)
        lines = [HEADER.get(key, "")]
        length = len(lines[0])
        with_env = rng.random() < 0.06
        plain = PLAIN[key]
        while length < size:
            w = rng.choice(WORDS)
            tpl = rng.choice(ENV[key]) if with_env and rng.random() < 0.05 else rng.choice(plain)
            line = tpl.format(w=w, W=w.title(), n=rng.randrange(100000), K=w.upper())
            lines.append(line)
            length += len(line)
        if key == "java":
            lines.append("}\n")
        folder.mkdir(parents=True, exist_ok=True)
        data = "".join(lines).encode()
        (folder / fname).write_bytes(data)
        total += len(data)
    (root / ".gitignore").write_text("*.log\nbuild/\n")
    return n_files, total


def ensure_repo(n_files: int) -> Path:
    root = WORK / f"scan-{n_files}"
    marker = root / ".generated.json"
    if marker.exists():
        return root
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    t = time.perf_counter()
    n, size = generate(root, n_files)
    marker.write_text(json.dumps({"files": n, "bytes": size}))
    print(f"generated {n:,} files, {size / 1e6:.0f} MB in {time.perf_counter() - t:.1f} s under {root}")
    return root


PARITY_PROBE = """
import resource, sys, time, json
sys.path.insert(0, {src!r})
t0 = time.perf_counter()
from parity.code.scan import scan
t1 = time.perf_counter()
r = scan({root!r})
t2 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "scan": t2 - t1, "refs": len(r.references), "files": r.files_seen,
    "rss_main_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "rss_worker_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}}))
"""


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)  # includes the pool workers the probe waited for
    return r.ru_utime + r.ru_stime


def run_parity(root: Path) -> tuple[float, float, dict[str, float]]:
    code = PARITY_PROBE.format(src=str(REPO / "src"), root=str(root))
    t, c = time.perf_counter(), _cpu()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return time.perf_counter() - t, _cpu() - c, json.loads(out.stdout)


def run_rg(rg: str, root: Path) -> tuple[float, float, int]:
    t, c = time.perf_counter(), _cpu()
    cmd = [rg, "-n", "--no-heading", "-e", RG_PATTERN, str(root)]
    out = subprocess.run(cmd, capture_output=True, check=False)
    return time.perf_counter() - t, _cpu() - c, out.stdout.count(b"\n")


def agreement(rg: str, root: Path) -> tuple[int, int]:
    """(lines ripgrep matched that parity has no reference on, parity references on lines ripgrep missed)."""
    sys.path.insert(0, str(REPO / "src"))
    from parity.code.scan import scan

    ours = {(r.file, r.line) for r in scan(root).references}
    out = subprocess.run(
        [rg, "-n", "--no-heading", "-e", RG_PATTERN, "."], cwd=root, capture_output=True, text=True
    )
    theirs = set()
    for line in out.stdout.splitlines():
        file, num, _ = line.split(":", 2)
        theirs.add((file.removeprefix("./"), int(num)))
    return len(theirs - ours), len(ours - theirs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rg = shutil.which("rg")
    if rg is None:
        sys.exit("ripgrep (rg) is needed as the baseline: apt-get install -y ripgrep")

    small = ensure_repo(max(args.files // 10, 100))
    root = ensure_repo(args.files)
    meta = json.loads((root / ".generated.json").read_text())
    run_rg(rg, root), run_parity(root)  # warm the page cache for both

    rg_times, rg_cpus, p_walls, p_cpus, p_scans = [], [], [], [], []
    last: dict[str, float] = {}
    for _ in range(args.repeat):
        t, c, rg_lines = run_rg(rg, root)
        rg_times.append(t)
        rg_cpus.append(c)
        wall, cpu, last = run_parity(root)
        p_walls.append(wall)
        p_cpus.append(cpu)
        p_scans.append(last["scan"])
    _, _, small_stats = run_parity(small)

    rg_med, wall_med, scan_med = (statistics.median(x) for x in (rg_times, p_walls, p_scans))
    rg_cpu, p_cpu = statistics.median(rg_cpus), statistics.median(p_cpus)
    mb = meta["bytes"] / 1e6
    load = os.getloadavg()[0]
    print(
        f"repo: {meta['files']:,} files, {mb:.0f} MB (bench/.work/{root.name}); {os.cpu_count()} cores, load {load:.1f}"
    )
    print(
        f"ripgrep        {rg_med:6.2f} s  {mb / rg_med:6.0f} MB/s  cpu {rg_cpu:5.2f} s  {rg_lines:,} matching lines"
    )
    print(
        f"parity scan    {scan_med:6.2f} s  {mb / scan_med:6.0f} MB/s  {last['refs']:,} references  (in-process)"
    )
    print(f"parity process {wall_med:6.2f} s  cpu {p_cpu:5.2f} s  (interpreter start + import + scan)")
    print(
        f"ratio parity/ripgrep: {scan_med / rg_med:.2f}x scan, {wall_med / rg_med:.2f}x end to end, "
        f"{p_cpu / rg_cpu:.2f}x cpu time (target <= 2.0)"
    )
    missed, extra = agreement(rg, root)
    print(
        f"agreement: {missed} ripgrep lines without a parity reference, {extra} parity references ripgrep missed"
    )
    print(
        f"peak RSS: main {small_stats['rss_main_kb'] / 1024:.0f} MB / worker {small_stats['rss_worker_kb'] / 1024:.0f} MB "
        f"at {small_stats['files']:,} files; main {last['rss_main_kb'] / 1024:.0f} MB / worker "
        f"{last['rss_worker_kb'] / 1024:.0f} MB at {last['files']:,} files"
    )


if __name__ == "__main__":
    main()
