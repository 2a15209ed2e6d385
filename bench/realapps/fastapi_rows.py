"""Rows for the full-stack-fastapi-template run (bench/realapps/fastapi_template.sh).

    python fastapi_rows.py seed URL   # at revision e2412789c190 (integer ids), users and items
    python fastapi_rows.py show URL   # what must survive the upgrade, in a stable order

The pending revision d98dd8ec85a3 replaces every integer id by a fresh random UUID, so ``show``
prints no id: each item is shown with its owner's e-mail instead (the foreign key, followed), and
the columns the seeded revision has. Runs with parity's interpreter (SQLAlchemy + psycopg).
"""

from __future__ import annotations

import sys

import sqlalchemy as sa

USERS = [
    # email, full name, active, superuser
    ("admin@example.com", "Ada Admin", True, True),
    ("bob@example.com", "Bob Builder", True, False),
    ("cat@example.com", None, False, False),
    ("dan@example.com", "Dan Ölund « test »", True, False),
]
ITEMS = [
    # owner, title, description
    ("admin@example.com", "Quarterly report", "numbers, mostly"),
    ("admin@example.com", "Roadmap", None),
    ("bob@example.com", "Shed plans", "2.4 m × 1.8 m"),
    ("bob@example.com", "Shopping list", "nails; screws; glue"),
    ("cat@example.com", "Inactive user's note", ""),
    ("dan@example.com", "Café menu", "crêpes, thé"),
    ("dan@example.com", "Long title " + "x" * 200, "near the later 255 limit"),
]


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def seed(url: str) -> None:
    engine = _engine(url)
    ids: dict[str, int] = {}
    with engine.begin() as c:
        for n, (email, full, active, superuser) in enumerate(USERS, start=1):
            c.execute(
                sa.text(
                    'INSERT INTO "user" (id, email, is_active, is_superuser, full_name, hashed_password)'
                    " VALUES (:id, :e, :a, :s, :f, :p)"
                ),
                {"id": n, "e": email, "a": active, "s": superuser, "f": full, "p": "$argon2id$" + "y" * 40},
            )
            ids[email] = n
        for n, (owner, title, description) in enumerate(ITEMS, start=1):
            c.execute(
                sa.text("INSERT INTO item (id, title, description, owner_id) VALUES (:id, :t, :d, :o)"),
                {"id": n, "t": title, "d": description, "o": ids[owner]},
            )
    engine.dispose()


def show(url: str) -> None:
    engine = _engine(url)
    with engine.connect() as c:
        users = c.execute(
            sa.text(
                'SELECT email, full_name, is_active, is_superuser, hashed_password FROM "user" ORDER BY email'
            )
        ).fetchall()
        print(f"user: {len(users)} rows")
        for row in users:
            print("  user " + " | ".join(repr(v) for v in row))
        items = c.execute(
            sa.text(
                'SELECT u.email, i.title, i.description FROM item i JOIN "user" u ON u.id = i.owner_id'
                " ORDER BY i.title"
            )
        ).fetchall()
        print(f"item: {len(items)} rows")
        for row in items:
            print("  item " + " | ".join(repr(v) for v in row))
    engine.dispose()


if __name__ == "__main__":
    {"seed": seed, "show": show}[sys.argv[1]](sys.argv[2])
