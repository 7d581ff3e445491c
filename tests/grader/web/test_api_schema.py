"""Schemathesis against the OpenAPI schema: no generated request makes the API answer 5xx.

Bounded (15 examples per operation) to keep the suite fast. The per-submission event
stream is left out: it is open-ended by design (it lasts until a worker grades), and its
inputs are the same path parameter ``GET /api/submissions/{id}`` already exercises.
"""

# The fixtures are imported from grader.service.testing, so test arguments redefine them.
# ruff: noqa: F811

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from grader.service.testing import (  # noqa: F401
    database_url,
    postgres_url,
    settings,
    sqlite_template,
    world,
)
from grader.web.app import create_app


def test_no_generated_request_gets_a_server_error(settings, world) -> None:
    app = create_app(settings, pages=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex=r"/events$")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case) -> None:
            case.call_and_validate(headers=world.admin.headers, checks=[not_a_server_error])

        check()
