"""What the OpenAPI schema says about errors, made true.

A 422 carries either pydantic's list of field errors or one sentence for the person at the
window ("unknown region", "not in the catalog", "give override_reason"): the generated schema
only knew the list, so clients generated from it would fail on the sentence.
"""

from __future__ import annotations

from fastapi import FastAPI


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
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
