"""Schemathesis against the sandbox's own OpenAPI document: no 5xx on any input.

Bodies are generated from the request schemas (valid and invalid ones); chaos
is off, so any 5xx would be a real bug rather than an injected fault. Requests
go to a live server (much faster per call than the in-process test client).
"""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error


@pytest.fixture
def api_schema(sandbox_app):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/openapi.json", sandbox_app)


@pytest.fixture
def target(live_sandbox, make_key):  # type: ignore[no-untyped-def]
    _record, secret = make_key(tier="unlimited")
    with requests.Session() as session:
        yield live_sandbox.url, secret, session


# The admin API has its own tests (tests/sandbox/test_admin.py); fuzz the provider API.
schema = schemathesis.pytest.from_fixture("api_schema").include(path_regex=r"^/v1/")


@schema.parametrize()
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_server_errors(case, target) -> None:  # type: ignore[no-untyped-def]
    base_url, secret, session = target
    headers = {"Authorization": f"Bearer {secret}", "x-api-key": secret}
    if case.path == "/v1/messages":
        headers["anthropic-version"] = "2023-06-01"
    response = case.call(base_url=base_url, session=session, headers=headers)
    case.validate_response(response, checks=[not_a_server_error], headers=headers)
    assert response.status_code < 500, response.text
