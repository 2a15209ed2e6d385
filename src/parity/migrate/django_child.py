"""Run by :mod:`parity.migrate.django_run` as ``python -c <this file's text>`` in a child process,
with the application's interpreter, in the folder of its ``manage.py``.

It imports only Django and the application's settings (the interpreter is the app's own, without
parity), reads its job as JSON on stdin (the database's password travels there, never in argv),
points the ``default`` database at the target parity was given, whatever the settings read it
from, and prints one JSON line after a marker on stdout. Jobs:

* ``probe``: Django's version, the settings importable (nothing touches a database).
* ``migrate``: ``manage.py migrate [app [name]] --noinput``.
* ``sqlmigrate``: ``manage.py sqlmigrate app name`` of each ``[app, name]`` in ``migrations``,
  the SQL by ``app.name`` (parity gives a read-only connection for it).
"""

import json
import os
import sys
import traceback

MARK = "@@parity-django@@"


def _setup(job):  # type: ignore[no-untyped-def]
    sys.path.insert(0, os.getcwd())
    if job.get("settings"):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", job["settings"])
    database = job.get("database") or {}
    if database.get("ENGINE", "").endswith(".mysql"):
        try:
            import MySQLdb  # noqa: F401
        except ImportError:
            try:
                import pymysql

                pymysql.install_as_MySQLdb()
            except ImportError:
                pass
    from django.conf import settings

    default = settings.DATABASES.setdefault("default", {})
    if database:
        options = database.pop("OPTIONS", None)
        if default.get("ENGINE") != database.get("ENGINE"):
            default.pop("OPTIONS", None)  # another backend's options would break this one
        default.update(database)
        if options:
            default["OPTIONS"] = {**default.get("OPTIONS", {}), **options}
    import django

    django.setup()
    return django


def main() -> None:
    job = json.loads(sys.stdin.read())
    out: dict[str, object] = {"ok": True}
    try:
        django = _setup(job)
        out["version"] = django.get_version()
        if job["op"] == "migrate":
            from django.core.management import call_command

            args = [a for a in (job.get("app"), job.get("name")) if a]
            call_command("migrate", *args, interactive=False, verbosity=1)
        elif job["op"] == "sqlmigrate":
            import io

            from django.core.management import call_command

            sql = {}
            for app, name in job["migrations"]:
                buf = io.StringIO()
                call_command("sqlmigrate", app, name, stdout=buf, no_color=True)
                sql[app + "." + name] = buf.getvalue()
            out["sql"] = sql
        elif job["op"] != "probe":
            raise ValueError("unknown job " + str(job["op"]))
    except BaseException as exc:
        last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
        where = f" ({last[0].filename}:{last[0].lineno})" if last else ""
        text = str(exc).strip()
        out = {"ok": False, "error": f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}{where}"}
    sys.stdout.write("\n" + MARK + json.dumps(out) + "\n")


main()
