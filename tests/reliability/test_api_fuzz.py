"""Fuzz every operation of the OpenAPI schema in process (schemathesis): valid and invalid
requests generated from the schema, with a clerk's key, never get a 500, and every answer the
schema documents has the documented shape."""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from .reliability_support import auth, budget


@pytest.fixture()
def api_schema(app):
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@budget(15)
def test_no_server_error_and_documented_shapes(case):
    case.call_and_validate(
        headers=auth("clerk"), checks=[not_a_server_error, response_schema_conformance]
    )
