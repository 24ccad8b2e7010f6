"""How the routers are mounted: every route straight on the application's router.

FastAPI (0.137 and later) keeps `include_router()` as a nested node that is resolved again
on every request, level by level: with our eight routers under /api/v1 that walk cost
more than many handlers. The module routers therefore carry their full path prefix
(`API_PREFIX` + their own) and `mount_flat` puts their routes, in order, on the app's own
router: one flat list of routes, matched one by one, as Starlette does.

Methods a path does not take are answered 405 with an `Allow` header listing the methods
it does take (`allowed_methods`, used by the 405 handler in app/core/errors.py): Starlette
alone names only those of the first route it tried. A path written out in full beats a
template that would also match it (`/posts/import` is not the post `import`): where a
template takes a method the full path does not (`PATCH /posts/{post_id}`), a guard route
in front of it answers that method on the full path with 405.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Route

API_PREFIX = "/api/v1"
_GUARD = "pixely_method_guard"


def mount_flat(app: FastAPI, *routers: APIRouter) -> None:
    """Add the routers' routes to the app in the given order (the order they match in),
    with a 405 guard in front of each template that would take a full path's request."""
    routes: list[BaseRoute] = [route for router in routers for route in router.routes]
    app.router.routes.extend(_with_guards(routes))


def allowed_methods(routes: Sequence[BaseRoute], path: str) -> list[str]:
    """The methods of the resource at `path`: those of every route written like the first
    route whose path matches it (routes are matched in order, full paths first)."""
    template = None
    for route in routes:
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path) and not getattr(route, _GUARD, False):
            template = getattr(route, "path", None)
            break
    methods: set[str] = set()
    for route in routes:
        if getattr(route, "path", None) == template and not getattr(route, _GUARD, False):
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def _segments(path: str) -> list[str]:
    return path.strip("/").split("/")


def _is_parameter(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _shadows(template: str, full: str) -> bool:
    """Whether `template` matches the request paths of `full` by a parameter where `full`
    has a fixed segment (`/posts/{post_id}` and `/posts/import`)."""
    a, b = _segments(template), _segments(full)
    if len(a) != len(b) or template == full:
        return False
    fixed_under_parameter = False
    for mine, theirs in zip(a, b, strict=True):
        if _is_parameter(mine):
            fixed_under_parameter |= not _is_parameter(theirs)
        elif mine != theirs:
            return False
    return fixed_under_parameter


async def _method_not_allowed(request: Request) -> None:
    raise HTTPException(status_code=405)


def _with_guards(routes: list[BaseRoute]) -> list[BaseRoute]:
    taken: dict[str, set[str]] = {}
    for route in routes:
        if isinstance(route, Route) and route.methods:
            taken.setdefault(route.path, set()).update(route.methods)
    # Each full path's guard: the methods its shadowing templates take and it does not, in
    # front of the first of those templates.
    guards: dict[str, set[str]] = {}
    first: dict[str, int] = {}
    for index, route in enumerate(routes):
        if isinstance(route, Route) and route.methods:
            for full, methods in taken.items():
                refused = route.methods - methods
                if refused and _shadows(route.path, full):
                    guards.setdefault(full, set()).update(refused)
                    first.setdefault(full, index)
    out = list(routes)
    for full, index in sorted(first.items(), key=lambda item: -item[1]):
        guard = Route(full, _method_not_allowed, methods=sorted(guards[full]))
        guard.include_in_schema = False
        setattr(guard, _GUARD, True)
        out.insert(index, guard)
    return out
