"""schemathesis against /api/v1/openapi.json through the WSGI app: every operation of the
document, with generated (mostly invalid) input, as a unit clerk holding a bearer token.
No response is a 500, a refused request writes nothing, and each response matches the
status codes and schemas the document declares.

(schemathesis' own pytest loader does not run under pytest 9, so each operation is driven
with hypothesis directly from `operation.as_strategy()`.)"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

import web.api.council
import web.api.decisions
import web.api.notices
import web.api.views  # noqa: F401
from tests.support.snapshots import changed, snapshot
from web.api.openapi import OPERATIONS, openapi_path
from workflow.accounts import tokens

EXAMPLES = int(os.environ.get("TDKT_FUZZ_EXAMPLES", "10"))
OPS = sorted({(openapi_path(op.rule), op.method) for op in OPERATIONS})


@pytest.fixture
def bearer(world: Any) -> dict[str, str]:
    with world.db.unit_of_work() as session:
        _token, secret = tokens.create_token(session, world.user_ids["unit1"], "fuzz")
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize(("path", "method"), OPS, ids=[f"{m} {p}" for p, m in OPS])
def test_the_api_answers_generated_requests_as_documented(app, world, make_proposal, bearer,
                                                          path, method):
    make_proposal("draft")
    make_proposal("submitted")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        before = snapshot(world)
        # Schema-valid but unknown codes (a campaign that does not exist) are rightly 400.
        response = case.call_and_validate(headers=bearer,
                                          excluded_checks=[positive_data_acceptance])
        if response.status_code >= 400:
            assert not changed(before, snapshot(world)), "a refused request wrote"

    run()
