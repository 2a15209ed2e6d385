"""Seed a mealie database (at revision d7c6efd2de42) with realistic rows, or print those rows.

Run with mealie's own interpreter (it needs SQLAlchemy and a driver, not parity):
    python mealie_rows.py seed URL     # insert the rows (deterministic ids: uuid5)
    python mealie_rows.py show URL     # print the seeded rows' old columns, one line each

`show` prints only columns that exist at the seeded revision, so the output before and after
an upgrade to head must be identical when the upgrade kept every old value.
Used by mealie.sh; not part of parity and not run by its test suite.
"""

from __future__ import annotations

import sys
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

NS = uuid.UUID("6f1c1a52-3c3e-4d0e-9a3b-6d5f0a1e2b77")
T0 = datetime(2024, 3, 1, 12, 0, 0)


def gid(name: str) -> uuid.UUID:
    return uuid.uuid5(NS, name)


GROUPS = ["home", "cabin"]
USERS = [  # key, group, full name, admin
    ("ann", "home", "Ann Admin", True),
    ("bob", "home", "Bob Baker", False),
    ("cat", "home", "Cat Cook", False),
    ("dan", "cabin", "Dan Dweller", False),
]
UNITS = [("cup", "c"), ("gram", "g"), ("teaspoon", "tsp"), ("tablespoon", "tbsp")]
FOODS = ["flour", "sugar", "butter", "egg", "milk", "salt", "tomato", "basil"]
RECIPES = [  # key, group, owner, name, ingredients (qty, unit, food, note)
    (
        "pancakes",
        "home",
        "ann",
        "Fluffy Pancakes",
        [
            (2, "cup", "flour", ""),
            (1, "tablespoon", "sugar", ""),
            (2, None, "egg", "beaten"),
            (1.5, "cup", "milk", ""),
        ],
    ),
    (
        "shortbread",
        "home",
        "bob",
        "Shortbread",
        [(300, "gram", "flour", ""), (200, "gram", "butter", "soft"), (100, "gram", "sugar", "")],
    ),
    (
        "tomato-soup",
        "home",
        "cat",
        "Tomato Soup",
        [(800, "gram", "tomato", "ripe"), (1, "teaspoon", "salt", ""), (10, None, "basil", "leaves")],
    ),
    (
        "crepes",
        "home",
        "ann",
        "Crêpes « maison »",
        [(250, "gram", "flour", ""), (4, None, "egg", ""), (0.5, "teaspoon", "salt", "a pinch")],
    ),
    (
        "porridge",
        "cabin",
        "dan",
        "Cabin Porridge",
        [(1, "cup", "milk", "or water"), (1, "teaspoon", "salt", "")],
    ),
]


def _key(engine: sa.Engine, name: str) -> Any:
    """mealie's GUID: a native uuid on PostgreSQL, 32 hex characters on SQLite."""
    u = gid(name)
    return u.hex if engine.dialect.name == "sqlite" else str(u)


def seed(url: str) -> None:
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables
    k = lambda n: _key(engine, n)  # noqa: E731
    stamp = {"created_at": T0, "update_at": T0}
    with engine.begin() as c:
        for g in GROUPS:
            c.execute(t["groups"].insert(), {**stamp, "id": k(f"g:{g}"), "name": g.title(), "slug": g})
            c.execute(
                t["group_preferences"].insert(),
                {
                    **stamp,
                    "id": k(f"gp:{g}"),
                    "group_id": k(f"g:{g}"),
                    "private_group": g == "cabin",
                    "first_day_of_week": 1,
                    "recipe_public": g == "home",
                    "recipe_show_nutrition": True,
                    "recipe_show_assets": False,
                    "recipe_landscape_view": False,
                    "recipe_disable_comments": False,
                    "recipe_disable_amount": False,
                },
            )
            c.execute(
                t["cookbooks"].insert(),
                {
                    **stamp,
                    "id": k(f"cb:{g}"),
                    "position": 1,
                    "name": "Favourites",
                    "slug": "favourites",
                    "description": f"{g} favourites",
                    "group_id": k(f"g:{g}"),
                    "public": False,
                    "require_all_categories": True,
                    "require_all_tags": True,
                    "require_all_tools": True,
                },
            )
        for u, g, full, admin in USERS:
            c.execute(
                t["users"].insert(),
                {
                    **stamp,
                    "id": k(f"u:{u}"),
                    "full_name": full,
                    "username": u,
                    "email": f"{u}@example.invalid",
                    "password": "$2b$12$" + "x" * 53,
                    "admin": admin,
                    "advanced": admin,
                    "group_id": k(f"g:{g}"),
                    "cache_key": "1234",
                    "can_manage": admin,
                    "can_invite": admin,
                    "can_organize": True,
                    "login_attemps": 0,
                    "auth_method": "MEALIE",
                },
            )
        for name, abbr in UNITS:
            c.execute(
                t["ingredient_units"].insert(),
                {
                    **stamp,
                    "id": k(f"unit:{name}"),
                    "group_id": k("g:home"),
                    "name": name,
                    "abbreviation": abbr,
                    "description": "",
                    "fraction": True,
                    "use_abbreviation": False,
                    "name_normalized": name,
                    "abbreviation_normalized": abbr,
                },
            )
        for food in FOODS:
            c.execute(
                t["ingredient_foods"].insert(),
                {
                    **stamp,
                    "id": k(f"food:{food}"),
                    "group_id": k("g:home"),
                    "name": food,
                    "description": "",
                    "name_normalized": food,
                },
            )
        n_ing = 0
        for r, g, owner, name, ingredients in RECIPES:
            rid = k(f"r:{r}")
            c.execute(
                t["recipes"].insert(),
                {
                    **stamp,
                    "id": rid,
                    "slug": r,
                    "group_id": k(f"g:{g}"),
                    "user_id": k(f"u:{owner}"),
                    "name": name,
                    "description": f"{name}, as {owner} makes it",
                    "recipe_yield": "4 servings",
                    "total_time": "30 min",
                    "org_url": f"https://recipes.example.invalid/{r}",
                    "date_added": date(2024, 3, 1),
                    "date_updated": T0,
                    "is_ocr_recipe": False,
                    "name_normalized": name.lower(),
                    "description_normalized": name.lower(),
                    "rating": 4.0,
                },
            )
            c.execute(
                t["recipe_settings"].insert(),
                {
                    **stamp,
                    "recipe_id": rid,
                    "public": True,
                    "show_nutrition": True,
                    "show_assets": False,
                    "landscape_view": False,
                    "disable_amount": False,
                    "disable_comments": False,
                    "locked": False,
                },
            )
            for pos, (qty, unit, food, note) in enumerate(ingredients):
                n_ing += 1
                c.execute(
                    t["recipes_ingredients"].insert(),
                    {
                        **stamp,
                        "id": n_ing,
                        "position": pos,
                        "recipe_id": rid,
                        "title": "",
                        "note": note,
                        "unit_id": k(f"unit:{unit}") if unit else None,
                        "food_id": k(f"food:{food}"),
                        "quantity": qty,
                        "original_text": f"{qty} {unit or ''} {food} {note}".strip(),
                        "note_normalized": note,
                    },
                )
            for pos in range(3):
                c.execute(
                    t["recipe_instructions"].insert(),
                    {
                        **stamp,
                        "id": k(f"step:{r}:{pos}"),
                        "recipe_id": rid,
                        "position": pos,
                        "type": "",
                        "title": "",
                        "text": f"Step {pos + 1} of {name}.",
                    },
                )
        for u, r, rating, fav in [
            ("ann", "pancakes", 5.0, True),
            ("bob", "pancakes", 4.0, False),
            ("cat", "tomato-soup", 3.5, True),
            ("dan", "porridge", None, True),
        ]:
            c.execute(
                t["users_to_recipes"].insert(),
                {
                    **stamp,
                    "id": k(f"ur:{u}:{r}"),
                    "user_id": k(f"u:{u}"),
                    "recipe_id": k(f"r:{r}"),
                    "rating": rating,
                    "is_favorite": fav,
                },
            )
    engine.dispose()


#: table -> the columns printed by `show` (all exist at the seeded revision), ordered by the first.
SHOWN = {
    "groups": ["id", "name", "slug", "created_at"],
    "group_preferences": ["id", "group_id", "private_group", "first_day_of_week", "recipe_public"],
    "cookbooks": ["id", "name", "slug", "description", "group_id", "public"],
    "users": ["id", "username", "full_name", "email", "admin", "group_id", "can_manage", "auth_method"],
    "ingredient_units": ["id", "name", "abbreviation", "fraction"],
    "ingredient_foods": ["id", "name", "group_id"],
    "recipes": ["id", "slug", "name", "description", "group_id", "user_id", "rating", "date_added"],
    "recipe_settings": ["recipe_id", "public", "locked"],
    "recipes_ingredients": [
        "id",
        "position",
        "recipe_id",
        "note",
        "unit_id",
        "food_id",
        "quantity",
        "original_text",
    ],
    "recipe_instructions": ["id", "recipe_id", "position", "text"],
    "users_to_recipes": ["id", "user_id", "recipe_id", "rating", "is_favorite"],
}


def show(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.connect() as c:
        for table, cols in SHOWN.items():
            rows = c.execute(sa.text(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {cols[0]}")).fetchall()
            print(f"{table}: {len(rows)} rows")
            for row in rows:
                print(f"  {table} " + " | ".join(repr(v) for v in row))
    engine.dispose()


if __name__ == "__main__":
    {"seed": seed, "show": show}[sys.argv[1]](sys.argv[2])
