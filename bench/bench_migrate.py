"""Migration benchmarks, each against a baseline measured in the same run (printed as ratios).

    python bench/bench_migrate.py                  # the issue's size: 1,000,000 rows
    python bench/bench_migrate.py --rows 200000    # quicker
    python bench/bench_migrate.py --pg-url postgresql://postgres@127.0.0.1:5432/postgres

(a) SQLite table rebuild (the 12-step procedure parity plans for a change ALTER TABLE cannot
    make, run by the executor: BEGIN IMMEDIATE, create, copy, drop, rename, foreign_key_check,
    history row, commit) vs the raw ``INSERT INTO new SELECT * FROM old`` copy alone, into the
    table as the migration defines it. For two changes: a new column default (every record is
    re-encoded) and a dropped NOT NULL (SQLite copies records whole). Target: ≤ 1.3×.
    Also printed: the bare 12 steps as plain statements, with the build's ``secure_delete``
    (on in Debian's build: the DROP then zeroes and journals every page of the old copy) and
    with ``secure_delete = FAST`` for the DROP, as parity's rebuild sets it.
(b) Integrity verification (row count + per-column content digests, streamed in chunks the
    database builds) vs a raw full-table ``SELECT *`` consumed in Python. Target: ≤ 1.5×.
    On SQLite, and on PostgreSQL when a server is reachable (``--pg-url``, else the local one).

Each figure is the median of ``--repeat`` runs on a fresh copy of a template database generated
once under bench/.work/ (gitignored); baseline and parity alternate so machine load hits both,
and (a)'s ratios are the median of the per-round ratios, with their range.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
sys.path.insert(0, str(HERE.parent / "src"))

TABLE = """CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    amount REAL,
    note TEXT,
    created_at TEXT NOT NULL
)"""
FILL = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
INSERT INTO events (id, account_id, kind, amount, note, created_at)
SELECT i, i % 9973, 'kind-' || (i % 17), (i % 1000) / 7.0,
       CASE WHEN i % 11 = 0 THEN NULL ELSE 'note for event number ' || i END,
       '2026-01-01 00:00:' || printf('%02d', i % 60)
FROM n
"""


def template(rows: int) -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"events-{rows}.db"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        conn = sqlite3.connect(tmp)
        conn.execute(TABLE)
        conn.execute(FILL.format(rows=rows))
        conn.commit()
        conn.close()
        tmp.rename(path)
    return path


def fresh_copy(src: Path, dst: Path) -> None:
    """Copy the template and flush it to disk before the clock starts: otherwise the commit's
    fsync also writes out the copy's dirty pages, whichever run happens to pay for it."""
    shutil.copy(src, dst)
    fd = os.open(dst, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def median_time(fn: Callable[[], None]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


#: Two changes ALTER TABLE cannot make, each as (label, column, how the column changes, the
#: column's text in the desired CREATE TABLE). A new default changes how SQLite stores the
#: table's definition, so every record is decoded and re-encoded; dropping a NOT NULL keeps the
#: records compatible, and SQLite copies them whole (its INSERT … SELECT * transfer optimisation).
CHANGES = (
    ("a column default", "note", {"default": "'n/a'", "raw_default": "'n/a'"}, "note TEXT DEFAULT 'n/a'"),
    ("a NOT NULL dropped", "kind", {"nullable": True}, "kind TEXT"),
)


def desired_table(column_sql: str, name: str) -> str:
    """The template's CREATE TABLE under ``name`` with one column as the migration defines it."""
    column = column_sql.split()[0]
    lines = [
        column_sql + "," if line.strip().startswith(column + " ") else line for line in TABLE.splitlines()
    ]
    return "\n".join(lines).replace("CREATE TABLE events", f"CREATE TABLE {name}")


def bench_rebuild(
    rows: int, repeat: int, change: tuple[str, str, dict[str, object], str]
) -> tuple[list[float], list[float], list[float], list[float]]:
    from parity import dialects
    from parity.migrate import dir as mdir
    from parity.migrate.executor import Executor
    from parity.model.changes import AlterColumn
    from parity.plan.planner import plan

    _label, column, how, column_sql = change
    src = template(rows)
    sqlite = dialects.get("sqlite")
    base_times: list[float] = []
    step_times: list[float] = []
    fast_times: list[float] = []
    parity_times: list[float] = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(dir=WORK) as d:
            # The baseline copies into the table as the migration defines it: the same copy the
            # rebuild has to make, and nothing else.
            db = Path(d) / "raw.db"
            fresh_copy(src, db)
            conn = sqlite3.connect(db, isolation_level=None)

            def raw(conn: sqlite3.Connection = conn) -> None:
                conn.execute("BEGIN")
                conn.execute(desired_table(column_sql, "events_copy"))
                conn.execute("INSERT INTO events_copy SELECT * FROM events")
                conn.execute("COMMIT")

            base_times.append(median_time(raw))
            conn.close()

        for times, secure_delete in ((step_times, None), (fast_times, "FAST")):
            with tempfile.TemporaryDirectory(dir=WORK) as d:
                # The same 12 steps as plain statements on one connection: what SQLite itself costs.
                db = Path(d) / "steps.db"
                fresh_copy(src, db)
                conn = sqlite3.connect(db, isolation_level=None)

                def steps(conn: sqlite3.Connection = conn, secure_delete: str | None = secure_delete) -> None:
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute(desired_table(column_sql, "events_new"))
                    conn.execute("INSERT INTO events_new SELECT * FROM events")
                    if secure_delete:
                        conn.execute(f"PRAGMA secure_delete = {secure_delete}")
                    conn.execute("DROP TABLE events")
                    conn.execute("ALTER TABLE events_new RENAME TO events")
                    conn.execute("PRAGMA foreign_key_check").fetchall()
                    conn.execute("COMMIT")

                times.append(median_time(steps))
                conn.close()

        with tempfile.TemporaryDirectory(dir=WORK) as d:
            db = Path(d) / "parity.db"
            fresh_copy(src, db)
            url = f"sqlite:///{db}"
            current = sqlite.inspect(url)
            table = current.table("events")
            assert table is not None
            col = table.column(column)
            assert col is not None
            desired = replace(col, **how)  # type: ignore[arg-type]
            what = frozenset(k for k in how if k != "raw_default")
            p = plan(current, [AlterColumn("events", col, desired, what)], sqlite)
            (m,) = p.migrations()
            assert "INSERT INTO" in m.up and "DROP TABLE events" in m.up
            mdir.write(Path(d) / "migrations", "rebuild", m.up, m.down)
            ex = Executor(url, Path(d) / "migrations")
            parity_times.append(median_time(lambda ex=ex: ex.up()))
    return base_times, step_times, fast_times, parity_times


def paired(times: list[float], base: list[float]) -> str:
    """Median and range of the per-round ratios: each round times the baseline and the subject
    back to back, so the machine's drifting load (copy times here swing by ±25% between runs)
    cancels within a round."""
    ratios = sorted(t / b for t, b in zip(times, base, strict=True))
    return f"{statistics.median(ratios):.2f}x (runs {ratios[0]:.2f}-{ratios[-1]:.2f})"


def bench_verify_sqlite(rows: int, repeat: int) -> tuple[float, float]:
    from parity.migrate.runtime import open_runtime
    from parity.verify import integrity

    src = template(rows)
    base_times, parity_times = [], []
    for _ in range(repeat):
        conn = sqlite3.connect(f"{src.as_uri()}?mode=ro", uri=True)

        def raw(conn: sqlite3.Connection = conn) -> None:
            for _row in conn.execute("SELECT * FROM events"):
                pass

        base_times.append(median_time(raw))
        conn.close()
        rt = open_runtime(f"sqlite:///{src}", read_only=True)
        parity_times.append(median_time(lambda rt=rt: integrity.snapshot(rt, ["events"])))
        rt.close()
    return statistics.median(base_times), statistics.median(parity_times)


def bench_verify_postgres(server: str, rows: int, repeat: int) -> tuple[float, float] | None:
    import psycopg

    from parity.migrate.runtime import open_runtime
    from parity.verify import integrity

    try:
        admin = psycopg.connect(server, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        print(f"(b) PostgreSQL: skipped, no server ({str(exc).strip().splitlines()[0]})")
        return None
    name = f"parity_bench_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = server.rsplit("/", 1)[0] + "/" + name
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(TABLE.replace("REAL", "double precision"))
            conn.execute(
                "INSERT INTO events SELECT i, i %% 9973, 'kind-' || (i %% 17), (i %% 1000) / 7.0, "
                "CASE WHEN i %% 11 = 0 THEN NULL ELSE 'note for event number ' || i END, "
                "'2026-01-01 00:00:' || lpad((i %% 60)::text, 2, '0') FROM generate_series(1, %s) AS i",
                (rows,),
            )
            conn.execute("VACUUM ANALYZE events")
        base_times, parity_times = [], []
        for _ in range(repeat):
            with psycopg.connect(url) as conn:

                def raw(conn: psycopg.Connection[tuple[object, ...]] = conn) -> None:
                    with conn.cursor(name="scan") as cur:  # server-side cursor: streamed like parity
                        cur.itersize = 10_000
                        cur.execute("SELECT * FROM events")
                        for _row in cur:
                            pass

                base_times.append(median_time(raw))
            rt = open_runtime(url, read_only=True)
            parity_times.append(median_time(lambda rt=rt: integrity.snapshot(rt, ["events"])))
            rt.close()
        return statistics.median(base_times), statistics.median(parity_times)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args()

    t0 = time.perf_counter()
    template(args.rows)
    print(f"template: {args.rows:,} rows ready in {time.perf_counter() - t0:.1f}s")

    with sqlite3.connect(":memory:") as probe:
        build = {0: "off", 1: "on", 2: "fast"}.get(probe.execute("PRAGMA secure_delete").fetchone()[0], "?")
    print(f"SQLite {sqlite3.sqlite_version}, secure_delete {build} by default in this build")
    for change in CHANGES:
        base, steps, fast, ours = bench_rebuild(args.rows, args.repeat, change)
        med = statistics.median
        print(f"(a) SQLite rebuild for {change[0]}, {args.rows:,} rows: raw INSERT…SELECT copy {med(base):.2f}s, "
              f"parity rebuild {med(ours):.2f}s, ratio {paired(ours, base)} (target <= 1.3x); the bare 12 steps "
              f"{med(steps):.2f}s, {paired(steps, base)} with the build's secure_delete, {med(fast):.2f}s, "
              f"{paired(fast, base)} with FAST for the DROP; parity {paired(ours, fast)} the latter")  # fmt: skip
    base, ours = bench_verify_sqlite(args.rows, args.repeat)
    print(f"(b) SQLite verify, {args.rows:,} rows: raw SELECT * {base:.2f}s, parity digests {ours:.2f}s, "
          f"ratio {ours / base:.2f}x (target <= 1.5x)")  # fmt: skip
    if not args.skip_postgres:
        res = bench_verify_postgres(args.pg_url, args.rows, args.repeat)
        if res:
            base, ours = res
            print(f"(b) PostgreSQL verify, {args.rows:,} rows: raw SELECT * {base:.2f}s, parity digests {ours:.2f}s, "
                  f"ratio {ours / base:.2f}x (target <= 1.5x)")  # fmt: skip


if __name__ == "__main__":
    main()
