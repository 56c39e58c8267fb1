"""What the OpenAPI schema says about errors, made true.

A 422 carries either pydantic's list of field errors or one sentence for the person at the
window ("unknown region", "not in the catalog", "give override_reason"): the generated schema
only knew the list, so clients generated from it would fail on the sentence.

Every ``/api/`` operation can also answer 429 (the per-minute rate limit, or the daily quota with
``code: daily_quota``), which middleware sends and the routes never declare.
"""

from __future__ import annotations

from fastapi import FastAPI

from service.ratelimit import EXEMPT

TOO_MANY = {
    "description": "Too many requests: the per-minute rate limit, or the client's daily quota "
    "(`code` = `daily_quota`, with its `limit`). `Retry-After` gives the seconds to wait.",
    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["detail"],
                "properties": {
                    "detail": {"type": "string"},
                    "code": {"type": "string", "enum": ["daily_quota"]},
                    "limit": {"type": "integer"},
                },
            }
        }
    },
}


def document_error_details(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        err = schema.get("components", {}).get("schemas", {}).get("HTTPValidationError")
        if err and "detail" in err.get("properties", {}):
            listed = err["properties"]["detail"]
            err["properties"]["detail"] = {
                "anyOf": [listed, {"type": "string"}],
                "title": "Detail",
            }
        for path, operations in schema.get("paths", {}).items():
            if path.startswith("/api/") and not path.startswith(EXEMPT):
                for op in operations.values():
                    op.setdefault("responses", {}).setdefault("429", TOO_MANY)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
