"""Rebuild db/shop.db from db/seed.sql (the production database of the example)."""

import sqlite3
from pathlib import Path

here = Path(__file__).parent
target = here / "shop.db"
target.unlink(missing_ok=True)
with sqlite3.connect(target) as conn:
    conn.executescript((here / "seed.sql").read_text())
print(f"wrote {target}")
