"""The bridge's HTTP surface: push authentication, bad bodies, health and readiness."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import flask
import pytest

from mats.bootstrap import forget_instance_services
from tests.conftest import Stack


@pytest.fixture
def bridge_app(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[flask.Flask]:
    """A paper-only bridge in this process, requiring OIDC tokens for an audience."""
    from gateway.ib_bridge.main import create_app  # noqa: PLC0415 - needs the stack's env.

    monkeypatch.setenv("MATS_OIDC_AUDIENCE", "https://bridge.example")
    monkeypatch.delenv("MATS_IB_ACCOUNTS", raising=False)
    forget_instance_services()
    app = create_app()
    try:
        yield app
    finally:
        app.extensions["mats.bridge"].stop()
        forget_instance_services()


def push(body: Any) -> dict[str, Any]:
    return {"message": {"data": base64.b64encode(json.dumps(body).encode()).decode()}}


def test_health_needs_no_token_and_a_paper_only_bridge_is_ready(bridge_app: flask.Flask) -> None:
    client = bridge_app.test_client()

    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json) == (200, {"ready": True, "problems": []})


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
)
def test_orders_and_admin_routes_refuse_a_request_without_a_valid_token(
    bridge_app: flask.Flask, headers: dict[str, str]
) -> None:
    client = bridge_app.test_client()

    for method, path in (
        ("POST", "/pubsub/orders"),
        ("GET", "/admin/status"),
        ("POST", "/admin/reconcile"),
        ("POST", "/admin/orders/x_ORD/cancel"),
    ):
        answer = client.open(path, method=method, headers=headers, json=push({}))
        assert answer.status_code == 401, path
        assert answer.json == {"status": "unauthorized", "error": "authentication failed"}


def test_a_body_that_is_not_an_order_is_refused_with_the_reason(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.ib_bridge.main import create_app  # noqa: PLC0415 - needs the stack's env.

    monkeypatch.delenv("MATS_OIDC_AUDIENCE", raising=False)
    monkeypatch.delenv("MATS_IB_ACCOUNTS", raising=False)
    forget_instance_services()
    app = create_app()
    try:
        client = app.test_client()
        no_envelope = client.post("/pubsub/orders", json={"hello": 1})
        not_an_order = client.post("/pubsub/orders", json=push({"schema": "mats.signal.v9"}))
        unknown = client.post("/admin/orders/never_ORD/cancel", json={})
    finally:
        app.extensions["mats.bridge"].stop()
        forget_instance_services()

    assert no_envelope.status_code == 400
    assert "message.data" in no_envelope.json["error"]
    assert not_an_order.status_code == 400
    assert "not a MATS order: unknown message schema" in not_an_order.json["error"]
    assert unknown.status_code == 404
    assert "does not exist" in unknown.json["error"]
