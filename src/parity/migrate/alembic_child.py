"""Run by :mod:`parity.migrate.alembic_run` as ``python -c <this file's text>`` in a child process.

It imports only Alembic (the interpreter may be the application's own, without parity), reads
its job as JSON on stdin (the URL travels there, never in argv, which every user of the machine
can read), and prints one JSON line after a marker on stdout. Jobs:

* ``upgrade`` / ``downgrade``: ``alembic.command`` with the project's own ``env.py``, the target
  URL set as ``sqlalchemy.url`` (what the standard template reads) and as ``-x url=…``.
  With ``"direct": true`` (Flask-Migrate, whose ``env.py`` takes its engine from the running
  Flask app) the revision files run in an environment parity configures itself: a connection
  to the target URL, the default ``alembic_version`` table, one transaction.
* ``sql``: the offline SQL of ``start:head`` from the revision files **without** ``env.py``
  (which may read settings, start an app, or connect): parity configures the context itself,
  for the dialect only, with no database.
"""

import io
import json
import sys
import traceback
from argparse import Namespace

MARK = "@@parity-alembic@@"


def _config(job):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config(job.get("ini") or None, cmd_opts=Namespace(x=["url=" + job.get("url", "")]))
    cfg.set_main_option("script_location", job["script"])
    if job.get("url"):
        cfg.set_main_option("sqlalchemy.url", job["url"].replace("%", "%%"))
    return cfg


def _offline_sql(job):  # type: ignore[no-untyped-def]
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    cfg = _config({**job, "url": ""})
    script = ScriptDirectory.from_config(cfg)
    buf = io.StringIO()
    start = job.get("start") or None

    def upgrade(rev, context):  # type: ignore[no-untyped-def]
        return script._upgrade_revs("head", rev)

    with EnvironmentContext(
        cfg, script, fn=upgrade, as_sql=True, starting_rev=start, destination_rev="head"
    ) as env:
        env.configure(dialect_name=job["dialect"], output_buffer=buf, literal_binds=True)
        with env.begin_transaction():
            env.run_migrations()
    return buf.getvalue()


def _direct(job):  # type: ignore[no-untyped-def]
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, pool

    cfg = _config(job)
    script = ScriptDirectory.from_config(cfg)
    to = job.get("to", "head")
    up = job["op"] == "upgrade"

    def steps(rev, context):  # type: ignore[no-untyped-def]
        return script._upgrade_revs(to, rev) if up else script._downgrade_revs(to, rev)

    engine = create_engine(job["url"], poolclass=pool.NullPool)
    try:
        with (
            EnvironmentContext(cfg, script, fn=steps, destination_rev=to) as env,
            engine.connect() as connection,
        ):
            env.configure(connection=connection)
            with env.begin_transaction():
                env.run_migrations()
    finally:
        engine.dispose()


def main() -> None:
    job = json.loads(sys.stdin.read())
    out: dict[str, object] = {"ok": True}
    try:
        from alembic import command

        if job["op"] in ("upgrade", "downgrade") and job.get("direct"):
            _direct(job)
        elif job["op"] == "upgrade":
            command.upgrade(_config(job), job.get("to", "head"))
        elif job["op"] == "downgrade":
            command.downgrade(_config(job), job["to"])
        elif job["op"] == "sql":
            out["sql"] = _offline_sql(job)
        else:
            raise ValueError("unknown job " + str(job["op"]))
    except BaseException as exc:
        last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
        where = f" ({last[0].filename}:{last[0].lineno})" if last else ""
        out = {
            "ok": False,
            "error": f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}{where}",
        }
    sys.stdout.write("\n" + MARK + json.dumps(out) + "\n")


main()
