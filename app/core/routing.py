"""How the routers are mounted: every route straight on the application's router.

FastAPI (0.137 and later) keeps `include_router()` as a nested node that is resolved again
on every request, level by level: with our eight routers under /api/v1 that walk cost
more than many handlers. The module routers therefore carry their full path prefix
(`API_PREFIX` + their own) and `mount_flat` puts their routes, in order, on the app's own
router: one flat list of routes, matched one by one, as Starlette does.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

API_PREFIX = "/api/v1"


def mount_flat(app: FastAPI, *routers: APIRouter) -> None:
    """Add the routers' routes to the app in the given order (the order they match in)."""
    for router in routers:
        app.router.routes.extend(router.routes)
