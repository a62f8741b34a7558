"""Property tests of the API generated from its OpenAPI document: whatever the request,
the server never answers 500, every answer matches the document's status codes, and
every documented answer's body matches the schema the document gives it.

One test function per operation (each the document narrowed to it), so that each has a
name of its own: the suite runs under pytest-xdist, which schedules tests by their ids,
and schemathesis gives every operation of one function the same id."""

from __future__ import annotations

from collections.abc import Callable

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from unitcalc.web.app import create_app

# The in-process client names the server "testserver" in its Host header.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(allowed_hosts=["testserver"]))

OPERATIONS = (
    "POST /api/calculate",
    "POST /api/audit",
    "POST /api/month",
    "GET /api/codes",
    "GET /api/rules",
    "GET /api/payers",
)


def no_server_failure(operation: str) -> Callable[..., None]:
    """The property test of one operation."""

    @schema.include(name=operation).parametrize()
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    def test(case: schemathesis.Case) -> None:
        response = case.call()
        assert response.status_code < 500, response.text
        # 405: the coverage phase also tries methods an endpoint does not have.
        assert response.status_code in {200, 405, 413, 422}, response.text
        if response.status_code != 405:
            case.validate_response(response, checks=[response_schema_conformance])

    return test


test_no_calculate_request_makes_the_server_fail = no_server_failure(OPERATIONS[0])
test_no_audit_request_makes_the_server_fail = no_server_failure(OPERATIONS[1])
test_no_month_request_makes_the_server_fail = no_server_failure(OPERATIONS[2])
test_no_codes_request_makes_the_server_fail = no_server_failure(OPERATIONS[3])
test_no_rules_request_makes_the_server_fail = no_server_failure(OPERATIONS[4])
test_no_payers_request_makes_the_server_fail = no_server_failure(OPERATIONS[5])


def test_every_operation_of_the_document_has_its_property_test() -> None:
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert labels == set(OPERATIONS)
