"""OpenAPI post-processing: the error answers every operation can give, documented once.

Views document their own errors (404 for an invisible object, 403, 409, 413, 429 ...). What
the plumbing answers for any operation is added here, so the schema lists every status code a
client can receive (tests/test_api_fuzz.py checks that with schemathesis):

- 401 without valid credentials (every operation that needs them);
- 400 for malformed input (every operation with a body or query parameters);
- 404 for a page or cursor that does not exist (every paginated list), and for any id in
  the path that names nothing the caller may see;
- 405 is not listed: it answers methods the schema does not offer.
"""

from typing import Any

ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}
ERROR_COMPONENT = {
    "type": "object",
    "description": "`detail` (and a stable `code`), or field errors: `{field: [messages]}`.",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "additionalProperties": True,
}
COMMON = {
    "400": "Malformed input: field errors, or `detail` and `code`.",
    "401": "No valid credentials: send `Authorization: Token <key>` or the session cookie.",
    "404": "Not found, or not visible to you (also: a page or cursor beyond the list).",
}
METHODS = {"get", "post", "put", "patch", "delete"}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


def _needs(operation: dict[str, Any], path: str) -> set[str]:
    parameters = operation.get("parameters", [])
    names = {p.get("name") for p in parameters if p.get("in") == "query"}
    needed = set()
    if any(p.get("in") == "query" for p in parameters) or "requestBody" in operation:
        needed.add("400")
    # Operations open to anonymous callers list {} among their security requirements.
    security = operation.get("security", [])
    if security and {} not in security:
        needed.add("401")
    if "{" in path or names & {"page", "cursor"}:
        needed.add("404")
    return needed


def document_common_errors(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOK: add the plumbing's error answers to each operation."""
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault(
        "Error", ERROR_COMPONENT
    )
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(_needs(operation, path)):
                responses.setdefault(status, _error_response(COMMON[status]))
    return result
