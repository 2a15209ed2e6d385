"""A tiny router so the example needs no web framework."""

from collections.abc import Callable

Handler = Callable[[dict], dict]


class Router:
    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}

    def add(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def handle(self, path: str, request: dict) -> dict:
        handler = self.routes.get(path)
        if handler is None:
            return {"status": 404}
        return handler(request)
