"""Entry point of the api service."""

import os

from app.exports import export_orders
from app.router import Router

router = Router()


def health(request: dict) -> dict:
    return {"status": 200, "body": "ok"}


router.add("/health", health)

if os.getenv("FEATURE_ENABLE_EXPORTS", "false").lower() == "true":
    router.add("/exports", export_orders)


if __name__ == "__main__":
    import sys

    path = sys.argv[1] if len(sys.argv) > 1 else "/health"
    response = router.handle(path, {})
    print(response["status"])
    sys.exit(0 if response["status"] == 200 else 1)
