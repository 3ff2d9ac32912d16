"""Schemathesis against the demo stack's dashboard: for every operation of the contract, inputs
generated from its schemas (valid ones and, negated, invalid ones) sent over HTTP as the demo's
admin signed in with the SMS second factor. Every answer must be one the document lists for the
operation, with its content type and schema; no input makes a 5xx.

The stack is its own (writes land there and nowhere else). Hypothesis' example counts are
bounded so the whole module runs in a few minutes on two cores; ``MATS_SCHEMATHESIS_EXAMPLES``
raises them for a longer hunt."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mats.api.contract import document
from tests.conftest import Stack, start_stack, stop_stack
from tests.integration.firebase_signin import AuthEmulatorSignIn

EXAMPLES = int(os.environ.get("MATS_SCHEMATHESIS_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("schemathesis"))
    try:
        yield running
    finally:
        if running.process.poll() is None:
            stop_stack(running)


@pytest.fixture(scope="module")
def admin_token(demo_stack: Stack) -> str:
    saved = json.loads((demo_stack.state_dir / "demo-users.json").read_text())
    admin = next(user for user in saved if user["role"] == "admin")
    return AuthEmulatorSignIn.from_stack(demo_stack).sign_in_with_mfa(
        admin["email"], admin["password"]
    )


schema = schemathesis.openapi.from_dict(document())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_generated_input_as_its_contract_says(
    case: Any, demo_stack: Stack, admin_token: str
) -> None:
    response = case.call(
        base_url=demo_stack.info["function_urls"]["dashboard"],
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=120,
    )
    case.validate_response(response, checks=list(CHECKS))
