"""Rows for the healthchecks run (bench/realapps/healthchecks.sh), through Django's own models.

    python healthchecks_rows.py seed   # at api.0115: users, projects, checks, pings, channels
    python healthchecks_rows.py show   # what must survive, in a stable order

Runs with the app's interpreter in the app's folder, with its settings (DB=postgres, DB_NAME… in
the environment, as the script sets them). The models are the *historical* ones of the database's
current migration state (what ``RunPython`` gets), so the same code seeds the old schema and
reads the new one.

The pending migrations change data on purpose, and the rows are made so each of them has work:
0117 fills a NULL ``badge_key`` with a random UUID, 0120 turns ping kind '' into NULL, 0121
renames legacy time zones, 0122 deletes MS Teams and LINE Notify channels. ``show`` prints a
badge key it did not seed as ``<generated>``; the script compares the rows after parity with the
rows after Django's own upgrade of the same seed, and lists what differs from before.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import uuid

import django

UTC = dt.UTC
T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SEEDED_BADGES: set[uuid.UUID] = {uuid.uuid5(uuid.NAMESPACE_URL, f"badge:{n}") for n in range(10)}


def _uid(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, name)


def _apps():  # type: ignore[no-untyped-def]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hc.settings")
    django.setup()
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    leaves = executor.loader.applied_migrations  # the database's own state
    return executor.loader.project_state(list(leaves)).apps


def seed() -> None:
    from django.db import transaction

    apps = _apps()
    User = apps.get_model("auth", "User")
    Profile = apps.get_model("accounts", "Profile")
    Project = apps.get_model("accounts", "Project")
    Check = apps.get_model("api", "Check")
    Ping = apps.get_model("api", "Ping")
    Channel = apps.get_model("api", "Channel")
    Flip = apps.get_model("api", "Flip")
    with transaction.atomic():
        users = []
        for name, email in [
            ("alice", "alice@example.org"),
            ("bob", "bob@example.org"),
            ("chloé", "chloe@example.org"),
        ]:
            u = User.objects.create(
                username=name, email=email, password="argon2$" + "z" * 40, date_joined=T0, is_active=True
            )
            Profile.objects.create(user=u)
            users.append(u)
        projects = [
            Project.objects.create(
                code=_uid(f"project:{u.username}"),
                name=f"{u.username}'s project",
                owner=u,
                api_key=f"key{n}",
                badge_key=f"projectbadge{n}",
            )
            for n, u in enumerate(users)
        ]
        tzs = [
            "UTC",
            "Europe/Riga",
            "America/Buenos_Aires",
            "Asia/Calcutta",
            "US/Pacific-New",
            "Africa/Asmera",
        ]
        checks = []
        for n in range(10):
            c = Check.objects.create(
                name=f"backup job {n}" if n != 3 else "nuit « sauvegarde »",
                slug=f"backup-{n}",
                tags="prod nightly" if n % 2 else "",
                code=_uid(f"check:{n}"),
                desc="checks the nightly backup" if n < 5 else "",
                project=projects[n % 3],
                created=T0 + dt.timedelta(hours=n),
                kind="cron" if n % 3 == 0 else "simple",
                timeout=dt.timedelta(days=1),
                grace=dt.timedelta(hours=1),
                schedule="0 3 * * *",
                tz=tzs[n % len(tzs)],
                # two checks without a badge key: 0117 fills them
                badge_key=None if n in (4, 7) else _uid(f"badge:{n}"),
                n_pings=3,
                last_ping=T0 + dt.timedelta(hours=n, minutes=5),
                status="up" if n % 4 else "down",
            )
            checks.append(c)
        for c in checks:
            for i, kind in enumerate(["start", "", None]):  # '' becomes NULL in 0120
                Ping.objects.create(
                    n=i + 1,
                    owner=c,
                    created=c.created + dt.timedelta(minutes=i),
                    kind=kind,
                    scheme="https",
                    remote_addr="192.0.2.10",
                    method="POST",
                    ua="curl/8.0",
                    body_raw=b"ok " + bytes([i]),
                    rid=_uid(f"rid:{c.slug}:{i}"),
                )
        channels = []
        for n, (kind, value) in enumerate(
            [
                ("email", '{"value": "alice@example.org", "up": true, "down": true}'),
                ("webhook", '{"method_down": "GET", "url_down": "https://hooks.example.org/down"}'),
                ("msteams", "https://teams.example.org/webhook"),  # 0122 deletes it
                ("linenotify", "line-token"),  # 0122 deletes it
                ("slack", '{"team_name": "ops"}'),
            ]
        ):
            ch = Channel.objects.create(
                name=f"{kind} channel",
                code=_uid(f"channel:{n}"),
                project=projects[n % 3],
                created=T0,
                kind=kind,
                value=value,
                email_verified=kind == "email",
            )
            ch.checks.set([c for c in checks if c.project_id == ch.project_id])
            channels.append(ch)
        for c in checks[:4]:
            Flip.objects.create(
                owner=c, created=c.created, processed=c.created, old_status="new", new_status="up"
            )


def show() -> None:
    apps = _apps()
    shown = {
        ("auth", "User"): ["username", "email", "is_active", "date_joined"],
        ("accounts", "Project"): ["code", "name", "owner__username", "api_key", "badge_key"],
        ("api", "Check"): [
            "code",
            "name",
            "slug",
            "tags",
            "desc",
            "project__code",
            "kind",
            "timeout",
            "grace",
            "schedule",
            "tz",
            "badge_key",
            "n_pings",
            "last_ping",
            "status",
        ],
        ("api", "Ping"): ["owner__code", "n", "created", "kind", "remote_addr", "method", "body_raw", "rid"],
        ("api", "Channel"): ["code", "name", "kind", "value", "email_verified", "project__code"],
        ("api", "Flip"): ["owner__code", "created", "old_status", "new_status"],
    }
    for (label, model), cols in shown.items():
        rows = list(apps.get_model(label, model).objects.order_by(*cols[:3]).values_list(*cols))
        print(f"{label}.{model}: {len(rows)} rows")
        for row in rows:
            vals = [
                "<generated>"
                if model == "Check" and c == "badge_key" and v is not None and v not in SEEDED_BADGES
                else bytes(v)
                if isinstance(v, memoryview)
                else v
                for c, v in zip(cols, row, strict=True)
            ]
            print(f"  {model} " + " | ".join(repr(v) for v in vals))
    links = apps.get_model("api", "Channel").checks.through.objects.order_by("channel__code", "check__code")
    pairs = list(links.values_list("channel__code", "check__code"))
    print(f"api.Channel.checks: {len(pairs)} rows")
    for p in pairs:
        print(f"  link {p[0]} -> {p[1]}")


if __name__ == "__main__":
    {"seed": seed, "show": show}[sys.argv[1]]()
