"""Benchmark: ``parity store``'s static checks on a generated code base, against in-run baselines.

    python bench/bench_store.py                # 3,000 files
    python bench/bench_store.py --files 20000

The code base is generated in a temporary folder (removed at the end) with a fixed seed: every
file holds a dataclass record of a table (12-20 fields) and some plain functions; one file in ten
declares a ``*Store`` Protocol (8 methods) with an SQL and an in-memory implementation in two more
files, a few of them lagging (a missing method, a new required parameter, a missing field).

Three measurements, median of --repeat warm runs, in this process:

- floor: read every file and ``ast.parse`` it: the least any static check has to do;
- parity: source scan + model discovery + coverage against a 1-table-per-record schema +
  interface conformance (what ``parity store`` does before the database and the smoke);
- import: the runtime alternative, importing every module (bytecode cache off, as on a fresh
  checkout) and reading ``dataclasses.fields`` / ``inspect.signature``.

Then ``store sync`` planning (libcst edits) for the lagging records against its floor, a bare
``libcst.parse_module`` of the same files. Printed as ratios: parity/floor is the figure to watch.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib
import inspect
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from parity.model.schema import Column, Schema, Table  # noqa: E402
from parity.store.coverage import check_coverage  # noqa: E402
from parity.store.interface import check_interfaces  # noqa: E402
from parity.store.models import find_models  # noqa: E402
from parity.store.source import gc_paused, scan_project  # noqa: E402
from parity.store.sync import plan_sync  # noqa: E402

TYPES = [("int", "integer"), ("str", "text"), ("float", "real"), ("bool", "boolean")]


def generate(root: Path, files: int, seed: int = 7) -> Schema:
    rng = random.Random(seed)
    tables: list[Table] = []
    pkg = root / "app"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    for i in range(files):
        n = rng.randint(12, 20)
        fields = [(f"f{j}", *TYPES[(i + j) % len(TYPES)]) for j in range(n)]
        lagging = i % 7 == 0
        body = [f"    {name}: {py}" for name, py, _ in (fields[:-2] if lagging else fields)]
        plain = "\n\n".join(
            f"def helper_{i}_{k}(value, *args, **kwargs):\n    total = sum(range({k}))\n    return value, total, args, kwargs"
            for k in range(rng.randint(2, 6))
        )
        (pkg / f"rec_{i}.py").write_text(
            f'"""Records of table item_{i}s."""\n\nfrom dataclasses import dataclass\n\n\n'
            f"@dataclass\nclass Item{i}:\n" + "\n".join(body) + "\n\n\n" + plain + "\n"
        )
        cols = tuple(Column(name, sql, nullable=True) for name, _, sql in fields)
        tables.append(Table(f"item_{i}s", cols))
        if i % 10 == 0:
            methods = [
                f"    def op{m}(self, key: int, *, limit: int = 10) -> list[int]: ..." for m in range(8)
            ]
            (pkg / f"port_{i}.py").write_text(
                "from typing import Protocol\n\n\nclass Shard"
                + str(i)
                + "Store(Protocol):\n"
                + "\n".join(methods)
                + "\n"
            )
            impl = [f"    def op{m}(self, key, *, limit=10):\n        return [key] * limit" for m in range(8)]
            memory = impl[:-1] if i % 20 == 0 else impl
            if i % 30 == 0:
                memory = [*memory[:-1], "    def op6(self, key, extra, *, limit=10):\n        return []"]
            (pkg / f"sql_{i}.py").write_text(f"class SqlShard{i}Store:\n" + "\n".join(impl) + "\n")
            (pkg / f"mem_{i}.py").write_text(f"class InMemoryShard{i}Store:\n" + "\n".join(memory) + "\n")
    return Schema("sqlite", tuple(tables))


def median_time(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    fn()  # warm
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def floor(root: Path) -> int:
    n = 0
    for p in sorted(root.rglob("*.py")):
        ast.parse(p.read_bytes(), filename=str(p))
        n += 1
    return n


def parity(root: Path, schema: Schema) -> tuple[int, int]:
    with gc_paused():  # as inspect_store runs it
        index = scan_project(root)
        cov = check_coverage(schema, find_models(index), root)
        conf = check_interfaces(index)
    return len(cov.missing), sum(len(c.gaps) for c in conf)


def by_import(root: Path, schema: Schema) -> tuple[int, int]:
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(root))
    for name in [m for m in sys.modules if m == "app" or m.startswith("app.")]:
        del sys.modules[name]
    try:
        modules = [
            importlib.import_module(f"app.{p.stem}")
            for p in sorted((root / "app").glob("*.py"))
            if p.stem != "__init__"
        ]
    finally:
        sys.path.remove(str(root))
    columns = {t.name: {c.name for c in t.columns} for t in schema.tables}
    missing = gaps = 0
    classes = {
        name: obj
        for m in modules
        for name, obj in vars(m).items()
        if inspect.isclass(obj) and obj.__module__ == m.__name__
    }
    for name, cls in classes.items():
        if dataclasses.is_dataclass(cls):
            table = f"item_{name[4:]}s"
            have = {f.name for f in dataclasses.fields(cls)}
            missing += len(columns.get(table, set()) - have)
    for name, iface in classes.items():
        if not name.endswith("Store") or not name.startswith("Shard"):
            continue
        for impl_name in (f"Sql{name}", f"InMemory{name}"):
            impl = classes[impl_name]
            for meth in (m for m in vars(iface) if m.startswith("op")):
                if not hasattr(impl, meth):
                    gaps += 1
                    continue
                want = [p.name for p in inspect.signature(getattr(iface, meth)).parameters.values()]
                got = [p.name for p in inspect.signature(getattr(impl, meth)).parameters.values()]
                gaps += want != got
    return missing, gaps


def libcst_floor(paths: list[Path]) -> int:
    import libcst

    for p in paths:
        libcst.parse_module(p.read_text())
    return len(paths)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="parity-bench-store-") as tmp:
        run(Path(tmp) / "code", args.files, args.repeat)


def run(root: Path, files: int, repeat: int) -> None:
    schema = generate(root, files)
    n_files = sum(1 for _ in root.rglob("*.py"))
    size = sum(p.stat().st_size for p in root.rglob("*.py"))
    print(f"code base: {n_files} Python files, {size / 1e6:.1f} MB, {len(schema.tables)} tables")

    t_floor, _ = median_time(lambda: floor(root), repeat)
    t_parity, found = median_time(lambda: parity(root, schema), repeat)
    t_import, found_import = median_time(lambda: by_import(root, schema), repeat)
    print(f"floor  (read + ast.parse)        {t_floor:7.3f} s")
    print(f"parity (scan, coverage, ifaces)  {t_parity:7.3f} s   missing fields, interface gaps = {found}")
    print(
        f"import (importlib + inspect)     {t_import:7.3f} s   missing fields, interface gaps = {found_import}"
    )
    print(f"ratio parity/floor  = {t_parity / t_floor:.2f}")
    print(f"ratio parity/import = {t_parity / t_import:.2f}")

    index = scan_project(root)
    cov = check_coverage(schema, find_models(index), root)
    lagging = sorted({g.model.file for g in cov.missing})
    t_cst, _ = median_time(lambda: libcst_floor(lagging), repeat)
    t_sync, plan = median_time(lambda: plan_sync(cov), repeat)
    print(f"sync plan: {len(lagging)} files to edit")
    print(f"floor  (libcst.parse_module)     {t_cst:7.3f} s")
    print(f"parity store sync (dry run)      {t_sync:7.3f} s   edits = {len(plan.edits)}")  # type: ignore[attr-defined]
    print(f"ratio sync/libcst-parse = {t_sync / t_cst:.2f}")


if __name__ == "__main__":
    main()
