"""Background jobs of the worker service."""

import os

MAX_RETRIES = int(os.getenv("MAX_RETRIES", "3"))
QUEUE_URL = os.environ["QUEUE_URL"]


def run_export_job(order_ids: list[int]) -> str:
    bucket = os.getenv("EXPORTS_BUCKET", "shop-exports-dev")
    return f"exported {len(order_ids)} orders to {bucket} (retries={MAX_RETRIES}, queue={QUEUE_URL})"
