"""CSV export of orders: merged to main, waiting for its switch in production."""

import csv
import io
import os
import sqlite3


def export_orders(request: dict) -> dict:
    bucket = os.environ["EXPORTS_BUCKET"]
    db_path = os.environ["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT id, customer_id, total_cents, status FROM orders ORDER BY id").fetchall()
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return {"status": 200, "bucket": bucket, "body": out.getvalue()}
