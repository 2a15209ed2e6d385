"""What the type-conversion safety net costs on PostgreSQL (issue 17).

    python bench/bench_convert.py                         # 1,000,000 rows
    python bench/bench_convert.py --rows 100000           # quick
    python bench/bench_convert.py --server postgresql://postgres@127.0.0.1:5432/postgres

A table ``docs (id bigserial PRIMARY KEY, body text)`` holds small JSON objects with keys in an
order jsonb changes. Measured, each the best of ``--repeat`` runs (wall time, ``time.perf_counter``):

- pre-check, every row valid: the one scan that converts every value (``count(body::jsonb)``);
- pre-check, one row invalid (the last by key): that scan fails, then the count of failing rows —
  ``pg_input_is_valid`` on PostgreSQL 16+, the ``DO`` block with a handler per row before;
- the "before" digest of the table by text only, and by text plus by value (``body::jsonb``),
  which is what ``migrate up`` adds for a converted column (same scan, one more aggregate).

The database is created and dropped by the script (``parity_bench_convert``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import psycopg

from parity.migrate.convert import Conversion
from parity.migrate.runtime import open_runtime
from parity.verify import integrity

DB = "parity_bench_convert"


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    parts = urlsplit(args.server)
    url = urlunsplit(parts._replace(path=f"/{DB}"))
    with psycopg.connect(args.server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB}")
        conn.execute(f"CREATE DATABASE {DB}")
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE docs (id bigserial PRIMARY KEY, body text);"
                f'INSERT INTO docs (body) SELECT format(\'{{"z": %s, "a": [1, 2], "m": "x%s"}}\', i, i) '
                f"FROM generate_series(1, {args.rows}) AS i"
            )
            conn.execute("VACUUM ANALYZE docs")
        rt = open_runtime(url, read_only=True)
        version = int(rt.scalar("SHOW server_version_num"))
        conv = Conversion("docs", "body", "text", "jsonb")
        t_ok, ok = _best(lambda: rt.precheck(conv), args.repeat)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE docs SET body = 'not json' WHERE id = (SELECT max(id) FROM docs)")
        t_bad, bad = _best(lambda: rt.precheck(conv), args.repeat)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE docs SET body = '{}' WHERE body = 'not json'")
        t_raw, _ = _best(lambda: integrity.snapshot(rt, ["docs"]), args.repeat)
        t_val, _ = _best(
            lambda: integrity.snapshot(rt, ["docs"], by_value={"docs": {"body": "jsonb"}}), args.repeat
        )
        rt.close()
    finally:
        with psycopg.connect(args.server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    print(f"PostgreSQL {version // 10000}, {args.rows:,} rows, best of {args.repeat}")
    print(f"pre-check, all valid:      {t_ok:7.2f} s  ({ok.method}, failing {ok.failing})")  # type: ignore[attr-defined]
    print(
        f"pre-check, one invalid:    {t_bad:7.2f} s  ({bad.method}, failing {bad.failing}, keys {bad.keys})"
    )  # type: ignore[attr-defined]
    print(f"digest by text:            {t_raw:7.2f} s")
    print(f"digest by text + by value: {t_val:7.2f} s  ({t_val / t_raw:.2f}x)")


if __name__ == "__main__":
    main()
