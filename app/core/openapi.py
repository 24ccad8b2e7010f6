"""The OpenAPI document is the contract: what it allows the API accepts, what it refuses the
API refuses, and every status an operation can answer is listed (schemathesis checks all
of it in CI: tests/test_fuzz.py).

`complete_openapi` finishes the document FastAPI generates with what no single route
declares, in one place:

- the errors every operation can answer (`COMMON_ERRORS`): 400 (a body that is not
  JSON, NUL in the query string: app/core/nul_guard.py), 413 (a body over the route's
  limit, refused before it is read: app/core/body_limit.py), and for the operations under
  /api/v1, which all reach the database, 503 (it cannot be reached: `DatabaseUnavailable`);
- every error as `application/problem+json` with the `Problem` schema (the one error format),
  whatever a route's `responses=` said, and an example of its own status
  (`problem_example`; a 404 names what its path looks up: `MISSING`);
- no NUL in text (PostgreSQL cannot store it; StrictModel and nul_guard refuse it): every
  string of a request without a pattern, enum or format of its own gets `NO_NUL` (the
  patterns in app/core/schemas.py exclude NUL themselves).
"""

from __future__ import annotations

import re
from typing import Any

from app.core.errors import PROBLEM_JSON, NotFound, Problem, problem_example, problem_title
from app.core.routing import API_PREFIX
from app.core.schemas import NO_NUL

COMMON_ERRORS = (400, 413)
DATABASE_ERRORS = (503,)
_PROBLEM_REF = "#/components/schemas/Problem"
# What a 404 says is missing, by the last identifier in the operation's path (as the
# services word it); a path with none of these: "Not found".
MISSING = {
    "account_id": "Social account",
    "agent_id": "Agent",
    "document_id": "Document",
    "conversation_id": "Conversation",
    "client_id": "Client",
    "job_id": "Job",
    "key_id": "API key",
    "metric_id": "Metric",
    "model_id": "Cluster model",
    "post_id": "Post",
    "run_id": "Analysis run",
    "tenant_id": "Tenant",
    "user_id": "User",
    "version": "Prompt version",
    "version_id": "Forecast version",
}
_PARAMETER = re.compile(r"\{(\w+)\}")
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
# Keywords whose values are schemas, or lists or maps of schemas (never data).
_SCHEMA = ("items", "additionalProperties", "not", "propertyNames", "contains")
_SCHEMA_LISTS = ("anyOf", "allOf", "oneOf", "prefixItems")
_SCHEMA_MAPS = ("properties", "patternProperties")


def complete_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    _add_problem_schema(components)
    visited: set[str] = set()
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            statuses = COMMON_ERRORS + (DATABASE_ERRORS if path.startswith(API_PREFIX) else ())
            for status in statuses:
                responses.setdefault(str(status), {"description": problem_title(status)})
            for status, response in responses.items():
                if status[:1] in ("4", "5"):
                    example = problem_example(
                        int(status), instance=path, detail=_detail(path, int(status))
                    )
                    response["content"] = {
                        PROBLEM_JSON: {"schema": {"$ref": _PROBLEM_REF}, "example": example}
                    }
            operation["responses"] = dict(sorted(responses.items()))
            for parameter in operation.get("parameters", []):
                _no_nul(parameter.get("schema"), components, visited)
            body = operation.get("requestBody", {}).get("content", {})
            for media in body.values():
                _no_nul(media.get("schema"), components, visited)
    # FastAPI's own validation error shapes are never answered (errors are problems).
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    return schema


def _detail(path: str, status: int) -> str | None:
    """A 404's detail from what `path` looks up (None: the status's usual example)."""
    if status != NotFound.status_code:
        return None
    looked_up = [MISSING[p] for p in _PARAMETER.findall(path) if p in MISSING]
    return f"{looked_up[-1]} not found" if looked_up else None


def _add_problem_schema(components: dict[str, Any]) -> None:
    generated = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(generated.pop("$defs", {}))
    components.setdefault("Problem", generated)


def _no_nul(node: Any, components: dict[str, Any], visited: set[str]) -> None:
    """Give every plain string under `node` (following references once) the NUL rule."""
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        if name not in visited:
            visited.add(name)
            _no_nul(components.get(name), components, visited)
        return
    if node.get("type") == "string" and not node.keys() & {"pattern", "enum", "const", "format"}:
        node["pattern"] = NO_NUL
    for key in _SCHEMA:
        _no_nul(node.get(key), components, visited)
    for key in _SCHEMA_LISTS:
        for item in node.get(key) or ():
            _no_nul(item, components, visited)
    for key in _SCHEMA_MAPS:
        for item in (node.get(key) or {}).values():
            _no_nul(item, components, visited)
