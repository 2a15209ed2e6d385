"""Safe migrations under load: PostgreSQL transaction latency and lock waits while a schema changes.

    python bench/bench_pg_load.py                               # the issue's size: 2,000,000 orders, 20 s
    python bench/bench_pg_load.py --rows 100000 --seconds 4     # quick, for development
    python bench/bench_pg_load.py --server postgresql://postgres@127.0.0.1:5432/postgres

(c) One change, three ways, each under the same ``pgbench`` load (``--clients`` clients, a
    custom read-update-insert transaction on ``orders``):

    - baseline: the load with no migration running, the reference (the issue's "unloaded");
    - parity: ``parity migrate up`` of the migration ``parity migrate new`` planned for the
      change (its up.sql is printed once: ``lock_timeout``, ``CREATE INDEX CONCURRENTLY``, the
      foreign key added ``NOT VALID`` then validated);
    - parity-exec: the same migration files applied by parity's ``Executor`` alone, i.e. what
      ``migrate up`` runs between its backup and its verification (see "Adaptations" below);
    - naive: the same change hand-written the plain way in one transaction with psycopg
      (``ADD COLUMN … DEFAULT``, ``CREATE INDEX``, ``ADD CONSTRAINT … FOREIGN KEY`` validated
      immediately).

    The change: ``orders`` gains ``status text NOT NULL DEFAULT 'new'``, the index
    ``ix_orders_amount (amount)`` and the foreign key ``fk_orders_account`` to ``accounts``.
    Target: no application query blocked longer than parity's ``lock_timeout``
    (``parity.dialects.postgres.safe.LOCK_TIMEOUT``), and p99 latency within 2× of the baseline.

How it is measured:

- Latency: ``pgbench --log`` writes one line per transaction; p50/p99/max come from all of them.
- Lock waits: a poller thread (own connection) samples ``pg_stat_activity`` every 20 ms and keeps
  the longest ``now() - state_change`` of a backend whose ``wait_event_type = 'Lock'``, split by
  ``application_name``: ``pgbench`` sessions are the application, the rest is the migration.
  ``state_change`` (not ``query_start``) because a pgbench transaction sends each statement
  separately and a backend turns ``active`` when its statement starts, which is when it queues for
  the lock. Sampling, so the figure is a lower bound by up to 20 ms; max latency confirms it.
- Migration wall time: the whole ``parity migrate up`` process (connect, advisory lock, backup,
  DDL, history, verification, re-diff), the executor's ``up()``, or the naive transaction; each
  starts 2 s into the load.

Adaptations of the original design:

- ``parity migrate new`` runs *before* the load starts (it only reads the catalog to plan), so
  the timed, loaded window holds just the schema change.
- ``migrate up`` verifies old data afterwards (row counts and content digests before and after).
  The concurrent pgbench inserts change ``orders`` meanwhile; parity tells them from its own
  writes by PostgreSQL's statistics counters and reports VER008 (a warning) instead of failing.
  The parity-exec row isolates the locking of parity's planned DDL from the backup and the
  digest scans, which compete with the load for the same cores.
- At 2,000,000 rows ``migrate up`` (pg_dump backup, digests before and after, rollback) outlasts
  the default 20 s load; the table says by how much, and ``--seconds 40`` keeps it all under load.
- Between scenarios the change, parity's history table, backups and migrations are removed and
  ``orders`` vacuumed, so each scenario starts from the same schema.

Everything lives in a throwaway database ``parity_bench_load_<hex>``, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from parity.dialects.postgres.safe import LOCK_TIMEOUT  # noqa: E402

DEFAULT_SERVER = os.environ.get("PARITY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ACCOUNTS = 10_000
POLL_INTERVAL = 0.02
LEAD_IN = 2.0  # seconds of load before the migration starts, so it meets a busy table

TABLES = """
CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL,
    amount integer NOT NULL,
    note text
);
"""
# The declared schema parity plans against: the tables above plus the change.
DECLARED = """CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL,
    amount integer NOT NULL,
    note text,
    status text NOT NULL DEFAULT 'new',
    CONSTRAINT fk_orders_account FOREIGN KEY (account_id) REFERENCES accounts (id)
);

CREATE INDEX ix_orders_amount ON orders (amount);
"""
NAIVE = (
    "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new'",
    "CREATE INDEX ix_orders_amount ON orders (amount)",
    "ALTER TABLE orders ADD CONSTRAINT fk_orders_account FOREIGN KEY (account_id) REFERENCES accounts (id)",
)
RESET = (
    "ALTER TABLE orders DROP CONSTRAINT IF EXISTS fk_orders_account",
    "DROP INDEX IF EXISTS ix_orders_amount",
    "ALTER TABLE orders DROP COLUMN IF EXISTS status",
    "DROP TABLE IF EXISTS parity_schema_history",
)
PGBENCH_SCRIPT = """\\set oid random(1, {rows})
\\set aid random(1, {accounts})
BEGIN;
SELECT amount FROM orders WHERE id = :oid;
UPDATE orders SET amount = amount + 1 WHERE id = :oid;
INSERT INTO orders (account_id, amount) VALUES (:aid, 1);
END;
"""
LOCK_WAITS = """
SELECT coalesce(max(extract(epoch FROM now() - state_change)) FILTER (WHERE application_name = 'pgbench'), 0),
       coalesce(max(extract(epoch FROM now() - state_change)) FILTER (WHERE application_name <> 'pgbench'), 0)
FROM pg_stat_activity
WHERE datname = %s AND wait_event_type = 'Lock'
"""


@dataclass
class Result:
    scenario: str
    ok: bool = True
    migration_s: float | None = None
    transactions: int = 0
    failed: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    app_lock_wait_s: float = 0.0
    migration_lock_wait_s: float = 0.0
    note: str = ""


def pg_seconds(setting: str) -> float:
    """A PostgreSQL duration setting (``3s``, ``500ms``, ``1min``; a bare number is ms) in seconds."""
    s = setting.strip().lower()
    for unit, factor in (("ms", 0.001), ("min", 60.0), ("s", 1.0), ("h", 3600.0)):
        if s.endswith(unit):
            return float(s[: -len(unit)].strip()) * factor
    return float(s) / 1000


def database_url(server: str, name: str) -> str:
    # Replace only the path: a unix-socket server keeps its ``?host=/run/postgresql`` query.
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path="/" + name))


def pgbench_connection(url: str) -> tuple[list[str], dict[str, str]]:
    """pgbench's connection arguments and environment for ``url`` (TCP or unix-socket host)."""
    info = conninfo_to_dict(url)
    args: list[str] = []
    if info.get("host"):
        args += ["-h", str(info["host"])]  # pgbench takes a socket directory as -h too
    if info.get("port"):
        args += ["-p", str(info["port"])]
    if info.get("user"):
        args += ["-U", str(info["user"])]
    env = dict(os.environ)
    if info.get("password"):
        env["PGPASSWORD"] = str(info["password"])
    return [*args, str(info["dbname"])], env


class LockPoller(threading.Thread):
    """Samples pg_stat_activity and keeps the longest lock waits seen (application, migration)."""

    def __init__(self, url: str, dbname: str) -> None:
        super().__init__(daemon=True)
        self.url, self.dbname = url, dbname
        self.app_max = 0.0
        self.migration_max = 0.0
        self.stop_event = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                while not self.stop_event.is_set():
                    row = conn.execute(LOCK_WAITS, (self.dbname,)).fetchone()
                    assert row is not None
                    self.app_max = max(self.app_max, float(row[0]))
                    self.migration_max = max(self.migration_max, float(row[1]))
                    self.stop_event.wait(POLL_INTERVAL)
        except BaseException as exc:  # reported by the caller: a dead poller must not read as "no waits"
            self.error = exc

    def stop(self) -> tuple[float, float]:
        self.stop_event.set()
        self.join()
        if self.error:
            raise RuntimeError(f"lock poller failed: {self.error}") from self.error
        return self.app_max, self.migration_max


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return 0.0
    rank = max(1, -(-len(sorted_values) * q // 100))
    return sorted_values[int(rank) - 1]


def read_pgbench_logs(log_dir: Path) -> tuple[list[float], int]:
    """Latencies in ms from every per-thread log, and the count of lines that are not a latency."""
    latencies: list[float] = []
    failed = 0
    for path in log_dir.glob("x.*"):
        for line in path.read_text().splitlines():
            # client_id transaction_no time script_no time_epoch time_us; time is µs, or
            # "failed"/"skipped" when the transaction did not complete.
            fields = line.split()
            if len(fields) < 3:
                continue
            if fields[2].isdigit():
                latencies.append(int(fields[2]) / 1000)
            else:
                failed += 1
    latencies.sort()
    return latencies, failed


def start_pgbench(url: str, rows: int, seconds: int, clients: int, work: Path) -> subprocess.Popen[str]:
    script = work / "load.sql"
    script.write_text(PGBENCH_SCRIPT.format(rows=rows, accounts=ACCOUNTS))
    log_dir = work / "log"
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir()
    conn_args, env = pgbench_connection(url)
    cmd = ["pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(seconds), "-f", str(script), "--log"]
    cmd += ["--log-prefix", str(log_dir / "x"), *conn_args]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def run_parity(args: list[str], project: Path) -> tuple[int, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    env["NO_COLOR"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "parity", *args], cwd=project, env=env, capture_output=True, text=True
    )
    return proc.returncode, proc.stdout + proc.stderr


def run_executor(url: str, project: Path) -> None:
    """Only what ``migrate up`` runs between its backup and its verification: parity's executor
    (advisory lock, lock_timeout, the no-transaction migration statement by statement, history)."""
    from parity.migrate.executor import Executor

    Executor(url, project / "migrations").up()


def run_naive(url: str) -> None:
    with psycopg.connect(url) as conn:  # not autocommit: the three statements are one transaction
        for stmt in NAIVE:
            conn.execute(stmt)


def scenario(name: str, url: str, dbname: str, work: Path, args: argparse.Namespace, project: Path) -> Result:
    res = Result(name)
    bench = start_pgbench(url, args.rows, args.seconds, args.clients, work)
    poller = LockPoller(url, dbname)
    poller.start()
    started = time.perf_counter()
    try:
        if name != "baseline":
            time.sleep(LEAD_IN)
            t0 = time.perf_counter()
            if name == "parity":
                code, out = run_parity(["migrate", "up", ".", "--env", "production", "--yes"], project)
                res.migration_s = time.perf_counter() - t0
                if code != 0:
                    res.ok = False
                    # The findings that made it fail (e.g. VER002) belong in the table, not just above it.
                    why = [ln.strip(" ✗") for ln in out.splitlines() if ln.strip().startswith("✗ VER")]
                    res.note = f"parity migrate up exited {code}" + (f": {'; '.join(why)}" if why else "")
                    print(f"  parity migrate up FAILED (exit {code}):\n{indent(out)}")
                else:
                    print(f"  parity migrate up: exit 0 in {res.migration_s:.2f}s")
            elif name == "parity-exec":
                try:
                    run_executor(url, project)
                except Exception as exc:  # reported in the table, never hidden
                    res.ok = False
                    res.note = f"parity executor failed: {str(exc).strip().splitlines()[0]}"
                    print(f"  {res.note}")
                res.migration_s = time.perf_counter() - t0
                if res.ok:
                    print(f"  parity executor: applied in {res.migration_s:.2f}s")
            else:
                try:
                    run_naive(url)
                except psycopg.Error as exc:
                    res.ok = False
                    res.note = f"naive migration failed: {str(exc).strip().splitlines()[0]}"
                    print(f"  {res.note}")
                res.migration_s = time.perf_counter() - t0
                if res.ok:
                    print(f"  naive transaction: committed in {res.migration_s:.2f}s")
            # The tail of a migration that outlasts pgbench ran unloaded and unmeasured: say so.
            over = time.perf_counter() - started - args.seconds
            if over > 0:
                res.note = (res.note + "; " if res.note else "") + f"migration ran {over:.1f}s past the load"
        out_bench, _ = bench.communicate()
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait()
        res.app_lock_wait_s, res.migration_lock_wait_s = poller.stop()
    if bench.returncode != 0 or "aborted" in out_bench:
        res.ok = False
        res.note = (res.note + "; " if res.note else "") + f"pgbench exit {bench.returncode}"
        print(f"  pgbench reported a problem:\n{indent(out_bench)}")
    lat, res.failed = read_pgbench_logs(work / "log")
    res.transactions = len(lat)
    res.p50_ms, res.p99_ms, res.max_ms = percentile(lat, 50), percentile(lat, 99), lat[-1] if lat else 0.0
    return res


def indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip().splitlines())


def reset(url: str, project: Path) -> None:
    """Undo the change, parity's bookkeeping and the generated files: every scenario starts alike."""
    with psycopg.connect(url, autocommit=True) as conn:
        for stmt in RESET:
            conn.execute(stmt)
        conn.execute("VACUUM ANALYZE orders")  # the previous load's dead tuples must not slow the next
    for leftover in ("migrations", ".parity"):
        shutil.rmtree(project / leftover, ignore_errors=True)
    for path in project.rglob("*"):
        if path.is_dir() and path.name == "migrations":
            shutil.rmtree(path, ignore_errors=True)


def setup(url: str, rows: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(TABLES)
        conn.execute(
            "INSERT INTO accounts SELECT i, 'account ' || i FROM generate_series(1, %s) AS i", (ACCOUNTS,)
        )
        conn.execute(
            "INSERT INTO orders (account_id, amount, note) "
            "SELECT 1 + i %% %s, i %% 1000, CASE WHEN i %% 7 = 0 THEN NULL ELSE 'order ' || i END "
            "FROM generate_series(1, %s) AS i",
            (ACCOUNTS, rows),
        )
        conn.execute("VACUUM ANALYZE")


def make_project(root: Path, url: str) -> Path:
    project = root / "project"
    (project / "db").mkdir(parents=True)
    (project / ".env.production").write_text(f"DATABASE_URL={url}\n")
    (project / "db" / "schema.sql").write_text(DECLARED)
    return project


def plan_parity(project: Path, show: bool) -> bool:
    """``parity migrate new``: plan the change before the load; show the SQL once."""
    code, out = run_parity(["migrate", "new", "load", ".", "--env", "production"], project)
    ups = sorted(project.rglob("*.up.sql"))
    if code != 0 or not ups:
        print(f"parity migrate new FAILED (exit {code}):\n{indent(out)}")
        return False
    for up in ups if show else ():
        print(f"parity's planned migration ({up.relative_to(project)}):\n{indent(up.read_text())}\n")
    return True


def fmt_s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}s"


def report(results: list[Result], lock_timeout: float) -> None:
    base = results[0].p99_ms or float("nan")
    header = (
        f"{'scenario':<11} {'ok':<4} {'migration':>9} {'tx':>8} {'failed':>6} {'p50 ms':>8} {'p99 ms':>9} "
        f"{'max ms':>9} {'app lock wait':>13} {'mig. lock wait':>14} {'p99/base':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.scenario:<11} {'yes' if r.ok else 'NO':<4} {fmt_s(r.migration_s):>9} {r.transactions:>8} "
            f"{r.failed:>6} {r.p50_ms:>8.2f} {r.p99_ms:>9.2f} {r.max_ms:>9.2f} {r.app_lock_wait_s:>12.3f}s "
            f"{r.migration_lock_wait_s:>13.3f}s {r.p99_ms / base:>7.2f}x"
            + (f"  ({r.note})" if r.note else "")
        )
    print()
    print(f"Targets: no application query blocked longer than parity's lock_timeout ({LOCK_TIMEOUT});")
    print(f"         p99 within 2x of the baseline p99 ({results[0].p99_ms:.2f} ms).")
    for r in results[1:]:
        blocked_ok = r.app_lock_wait_s <= lock_timeout
        p99_ok = r.p99_ms <= 2 * results[0].p99_ms
        measured = (
            f"longest app lock wait {r.app_lock_wait_s:.3f}s ({'<=' if blocked_ok else '>'} {lock_timeout:g}s), "
            f"max latency {r.max_ms / 1000:.3f}s, p99 {r.p99_ms / base:.2f}x baseline ({'<=' if p99_ok else '>'} 2x)"
        )
        if not r.ok:
            verdict = f"RUN FAILED ({r.note}); measured while it ran: "
        elif blocked_ok and p99_ok:
            verdict = "meets both targets: "
        else:
            verdict = "MISSES " + ("both targets" if not (blocked_ok or p99_ok) else "a target") + ": "
        print(f"  {r.scenario}: {verdict}{measured}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", default=DEFAULT_SERVER, help="PostgreSQL server URL (any database on it)")
    ap.add_argument("--rows", type=int, default=2_000_000, help="rows in orders")
    ap.add_argument("--seconds", type=int, default=20, help="pgbench duration per scenario")
    ap.add_argument("--clients", type=int, default=4, help="pgbench clients")
    args = ap.parse_args()
    if not shutil.which("pgbench"):
        sys.exit("pgbench not found on PATH")
    lock_timeout = pg_seconds(LOCK_TIMEOUT)

    dbname = f"parity_bench_load_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(args.server, autocommit=True, connect_timeout=5)
    admin.execute(f'CREATE DATABASE "{dbname}"')
    url = database_url(args.server, dbname)
    try:
        with tempfile.TemporaryDirectory(prefix="parity_bench_load_") as tmp:
            work = Path(tmp)
            t0 = time.perf_counter()
            setup(url, args.rows)
            print(
                f"database {dbname}: {args.rows:,} orders, {ACCOUNTS:,} accounts in {time.perf_counter() - t0:.1f}s"
            )
            print(
                f"load: pgbench, {args.clients} clients, {args.seconds}s per scenario; migration starts at {LEAD_IN:g}s\n"
            )
            project = make_project(work, url)
            results: list[Result] = []
            print("baseline: load only")
            results.append(scenario("baseline", url, dbname, work, args, project))

            for name, what in (("parity", "parity migrate up"), ("parity-exec", "parity's executor only")):
                reset(url, project)
                print(f"{name}: planning with parity migrate new (no load yet)")
                if plan_parity(project, show=name == "parity"):
                    print(f"{name}: {what} under load")
                    results.append(scenario(name, url, dbname, work, args, project))
                else:
                    results.append(Result(name, ok=False, note="parity migrate new failed"))

            reset(url, project)
            print("naive: one plain transaction under load")
            results.append(scenario("naive", url, dbname, work, args, project))
            print()
            report(results, lock_timeout)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
