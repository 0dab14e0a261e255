"""Enumerate the routes of the app, whatever FastAPI version builds the route list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI


def iter_routes(app: FastAPI) -> Iterator[tuple[str, frozenset[str]]]:
    """(path template, methods) of every HTTP route; a mount gives ``(path + "/{path}", GET)``."""
    yield from _walk(app.routes, "")


def _walk(routes: Any, prefix: str) -> Iterator[tuple[str, frozenset[str]]]:
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:  # FastAPI ≥ 0.16x: included routers are resolved lazily
            for ctx in contexts():
                yield prefix + ctx.path, frozenset(ctx.methods or ())
            continue
        methods = getattr(route, "methods", None)
        path = getattr(route, "path", None)
        if methods is not None and path is not None:
            yield prefix + path, frozenset(methods)
        elif path is not None and hasattr(route, "app"):  # a Mount (static files)
            yield prefix + path + "/{path}", frozenset({"GET"})
