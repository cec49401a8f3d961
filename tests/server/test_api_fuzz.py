"""Schemathesis walks every documented operation: no 5xx, and every answer matches the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.server.conftest import sqlite_app
from tests.server.factories import Actor, Api

pytestmark = pytest.mark.slow

# Operations that would end the fuzzer's own sign-in or start real dbt runs (minutes on 2 cores);
# their shapes are covered by their own tests.
SKIPPED = {"auth-logout", "auth-change_password", "transforms-run", "transforms-test", "setup-create_first_admin"}
EXAMPLES = 12
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, Actor]]:
    app = sqlite_app(Path(tmp_path_factory.mktemp("fuzz")) / "home")
    with TestClient(app) as client:
        admin = Api(client).setup()  # a super-admin, who also is the admin of its first org
        yield app, admin


def _fuzz(operation: Any, headers: dict[str, str], failures: list[str]) -> None:
    """Up to a few generated requests for one operation; every failed check is kept with the request."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        phases=[Phase.explicit, Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except (AssertionError, FailureGroup) as err:  # the failed checks, with the curl to repeat the request
            failures.append(f"{operation.label}: {str(err)[:1500]}")

    run()


def test_api_answers_match_the_document(fuzz_app: tuple[FastAPI, Actor]) -> None:
    app, admin = fuzz_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    fuzzed = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.definition.raw.get("operationId") in SKIPPED:
            continue
        _fuzz(operation, admin.headers(), failures)
        fuzzed += 1
    assert fuzzed > 60
    assert failures == [], "\n\n".join(failures)
