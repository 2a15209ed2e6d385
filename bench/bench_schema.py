"""Schema inspect + diff on a generated schema, against the floor and against peers.

A schema of N tables × 20 columns, 2 indexes and a foreign key each, is loaded twice
(``current`` and ``desired``, the latter with ``--changed`` tables altered: a column added,
a type widened, an index added) on PostgreSQL and on SQLite. In one run it times:

- floor: the raw catalog reads alone, for both databases (PostgreSQL: the three queries for
  columns, ``pg_get_indexdef`` and ``pg_get_constraintdef``; SQLite: ``sqlite_master`` and the
  ``table_xinfo``/``index_list``/``index_xinfo``/``foreign_key_list`` PRAGMAs for all tables);
- parity: ``inspect(current) + inspect(desired) + compare``;
- migra (PostgreSQL) and Alembic's reflect + ``compare_metadata``, when installed
  (``pip install -e '.[bench]'``).

Printed as medians and ratios to the floor measured in the same run. Target: parity within
2× of the floor.

    python bench/bench_schema.py                      # quick: 100 tables, 10 changed
    python bench/bench_schema.py --tables 1000 --changed 50 --runs 3
    python bench/bench_schema.py --pg postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from parity import dialects  # noqa: E402
from parity.diff import compare  # noqa: E402

TYPES = ("INTEGER", "VARCHAR(50)", "TEXT", "NUMERIC(10,2)", "BOOLEAN")


def schema_sql(tables: int, changed: set[int]) -> list[str]:
    out: list[str] = []
    for i in range(tables):
        t = f"t{i:04d}"
        cols = ["id INTEGER PRIMARY KEY", f"parent_id INTEGER{f' REFERENCES t{i - 1:04d} (id)' if i else ''}"]
        for c in range(1, 19):
            typ = TYPES[c % len(TYPES)]
            if i in changed and c == 4:
                typ = "VARCHAR(100)" if typ.startswith("VARCHAR") else typ
            extra = " NOT NULL DEFAULT 0" if typ == "INTEGER" and c % 3 == 0 else ""
            cols.append(f"c{c:02d} {typ}{extra}")
        if i in changed:
            cols.append("c_new VARCHAR(20) DEFAULT 'x'")
        out.append(f"CREATE TABLE {t} ({', '.join(cols)})")
        out.append(f"CREATE INDEX ix_{t}_a ON {t} (c01)")
        out.append(f"CREATE INDEX ix_{t}_b ON {t} (c02, c03)")
        if i in changed:
            out.append(f"CREATE INDEX ix_{t}_c ON {t} (c05)")
    return out


def median(fn: Callable[[], Any], runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


# --- SQLite -------------------------------------------------------------------------------


SQLITE_FLOOR = (
    "SELECT type, name, tbl_name, sql FROM sqlite_master",
    "SELECT m.name, p.* FROM sqlite_master m JOIN pragma_table_xinfo(m.name) p WHERE m.type = 'table'",
    "SELECT m.name, il.* FROM sqlite_master m JOIN pragma_index_list(m.name) il WHERE m.type = 'table'",
    "SELECT il.name, ix.* FROM sqlite_master m JOIN pragma_index_list(m.name) il "
    "JOIN pragma_index_xinfo(il.name) ix WHERE m.type = 'table'",
    "SELECT m.name, f.* FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
)


def sqlite_floor(paths: list[Path]) -> None:
    # Everything the inspector needs, fetched raw: the objects' SQL, then columns, indexes, index
    # columns and foreign keys for all tables at once (one PRAGMA call per table, with
    # index_xinfo per index, reads the same and measured about 20% slower here).
    for path in paths:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        for q in SQLITE_FLOOR:
            conn.execute(q).fetchall()
        conn.close()


def bench_sqlite(tables: int, changed: set[int], runs: int, tmp: Path) -> dict[str, float | None]:
    cur, des = tmp / "current.db", tmp / "desired.db"
    for path, ch in ((cur, set()), (des, changed)):
        conn = sqlite3.connect(path)
        conn.executescript(";\n".join(schema_sql(tables, ch)) + ";")
        conn.close()
    d = dialects.get("sqlite")
    cur_url, des_url = f"sqlite:///{cur}", f"sqlite:///{des}"

    def parity_run() -> None:
        changes = compare(d.inspect(cur_url), d.inspect(des_url), d.compare_options)
        assert sum(1 for c in changes if c.kind == "add_column") == len(changed), "diff lost changes"

    results: dict[str, float | None] = {
        "floor (raw PRAGMA reads)": median(lambda: sqlite_floor([cur, des]), runs),
        "parity inspect+diff": median(parity_run, runs),
    }
    results["alembic reflect+compare"] = alembic_time(f"sqlite:///{cur}", f"sqlite:///{des}", runs)
    return results


# --- PostgreSQL ---------------------------------------------------------------------------

PG_FLOOR = (
    "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid) "
    "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid "
    "AND d.adnum = a.attnum WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 "
    "AND NOT a.attisdropped",
    "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
    "WHERE c.relnamespace = 'public'::regnamespace",
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
)


def pg_floor(urls: list[str]) -> None:
    import psycopg

    for url in urls:
        with psycopg.connect(url) as conn:
            for q in PG_FLOOR:
                conn.execute(q).fetchall()  # type: ignore[arg-type]


def bench_postgres(server: str, tables: int, changed: set[int], runs: int) -> dict[str, float | None]:
    import psycopg

    from parity.dialects.postgres import with_database

    names = [f"parity_bench_{uuid.uuid4().hex[:8]}_{k}" for k in ("cur", "des")]
    with psycopg.connect(server, autocommit=True) as admin:
        for n in names:
            admin.execute(f'CREATE DATABASE "{n}"'.encode())
    urls = [with_database(server, n) for n in names]
    try:
        for url, ch in zip(urls, (set(), changed), strict=True):
            with psycopg.connect(url) as conn:
                conn.execute(";\n".join(schema_sql(tables, ch)).encode())
                conn.execute(b"ANALYZE")
        d = dialects.get("postgres")

        def parity_run() -> None:
            changes = compare(d.inspect(urls[0]), d.inspect(urls[1]), d.compare_options)
            assert sum(1 for c in changes if c.kind == "add_column") == len(changed), "diff lost changes"

        results: dict[str, float | None] = {
            "floor (3 catalog queries)": median(lambda: pg_floor(urls), runs),
            "parity inspect+diff": median(parity_run, runs),
        }
        results["migra"] = migra_time(urls[0], urls[1], runs)
        results["alembic reflect+compare"] = alembic_time(
            urls[0].replace("postgresql://", "postgresql+psycopg://", 1),
            urls[1].replace("postgresql://", "postgresql+psycopg://", 1),
            runs,
        )
        return results
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            for n in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)'.encode())


# --- peers --------------------------------------------------------------------------------


def migra_time(cur_url: str, des_url: str, runs: int) -> float | None:
    try:
        from migra import Migration
        from sqlbag import S
    except Exception:
        return None

    def run() -> None:
        a = cur_url.replace("postgresql://", "postgresql+psycopg2://", 1)
        b = des_url.replace("postgresql://", "postgresql+psycopg2://", 1)
        with S(a) as s0, S(b) as s1:
            m = Migration(s0, s1)
            m.set_safety(False)
            m.add_all_changes()
            assert m.sql

    try:
        return median(run, runs)
    except Exception as exc:
        print(f"  migra failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None


def alembic_time(cur_url: str, des_url: str, runs: int) -> float | None:
    try:
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext
        from sqlalchemy import MetaData, create_engine
    except Exception:
        return None

    def run() -> None:
        des_engine, cur_engine = create_engine(des_url), create_engine(cur_url)
        md = MetaData()
        md.reflect(des_engine)
        with cur_engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), md)
        des_engine.dispose()
        cur_engine.dispose()

    try:
        return median(run, runs)
    except Exception as exc:
        print(f"  alembic failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None


def report(title: str, results: dict[str, float | None]) -> None:
    floor = next(iter(results.values()))
    parity = results["parity inspect+diff"]
    print(f"\n{title}")
    print(f"  {'tool':28} {'median s':>9} {'x floor':>8} {'x parity':>9}")
    for name, secs in results.items():
        if secs is None:
            print(f"  {name:28} {'n/a':>9}   (not installed)")
            continue
        assert floor is not None and parity is not None
        print(f"  {name:28} {secs:9.3f} {secs / floor:8.2f} {secs / parity:9.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tables", type=int, default=100)
    ap.add_argument(
        "--changed", type=int, default=None, help="tables changed in desired (default: tables/20, max 50)"
    )
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--pg",
        default=os.environ.get("PARITY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    ap.add_argument("--skip-pg", action="store_true")
    ap.add_argument("--skip-sqlite", action="store_true")
    args = ap.parse_args()
    n_changed = args.changed if args.changed is not None else min(50, max(1, args.tables // 20))
    changed = set(range(0, args.tables, max(1, args.tables // n_changed)))
    changed = set(sorted(changed)[:n_changed])
    print(
        f"schema: {args.tables} tables x 20 columns, 2 indexes + 1 FK each; {len(changed)} tables changed; {args.runs} runs"
    )
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            report("SQLite", bench_sqlite(args.tables, changed, args.runs, Path(tmp)))
    if not args.skip_pg:
        report("PostgreSQL", bench_postgres(args.pg, args.tables, changed, args.runs))


if __name__ == "__main__":
    main()
