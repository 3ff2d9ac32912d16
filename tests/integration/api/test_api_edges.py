"""The API's edges, the same for every route: CORS only for the configured origins, JSON errors
that name the problem, and refusals in the documented order (route, sign-in, role, scope, input)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.conftest import Stack
from tests.integration.api.client import ApiClient

ORIGIN = "https://mats-demo.web.app"


@pytest.fixture(scope="module")
def cors_api(stack: Stack) -> Iterator[ApiClient]:
    from mats.bootstrap import bootstrap  # noqa: PLC0415 - needs the stack's environment.

    services = bootstrap(
        {**os.environ, "MATS_API_ALLOWED_ORIGINS": f"{ORIGIN}, http://localhost:5173"}
    )
    try:
        yield ApiClient(services)
    finally:
        services.close()


def test_an_allowed_origin_gets_cors_headers_and_a_preflight(cors_api: ApiClient) -> None:
    answer = cors_api.get("/api/fund", headers={"Origin": ORIGIN})
    preflight = cors_api.call(
        "OPTIONS",
        "/api/portfolio/allocations/A/approve",
        as_=None,
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )

    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert answer.headers["Vary"] == "Origin"
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]


def test_another_origin_gets_no_cors_headers_and_no_preflight(cors_api: ApiClient) -> None:
    answer = cors_api.get("/api/fund", headers={"Origin": "https://evil.example"})
    preflight = cors_api.call(
        "OPTIONS",
        "/api/fund",
        as_=None,
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )

    assert "Access-Control-Allow-Origin" not in answer.headers
    assert preflight.status == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_without_configured_origins_no_origin_is_allowed(api: ApiClient) -> None:
    answer = api.get("/api/fund", headers={"Origin": ORIGIN})

    assert answer.status == 200
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_refusals_come_in_order_route_sign_in_role_scope_input(api: ApiClient) -> None:
    client = api.user("client-edge", {"role": "client", "client_id": "someone"})

    assert api.get("/api/nowhere", as_=None).status == 404
    assert api.call("DELETE", "/api/fund", as_=None).status == 405
    assert api.get("/api/fund?year=x", as_=None).status == 401  # Sign-in before input.
    assert api.get("/api/fund?bogus=1", as_=client).status == 403  # Role before input.
    assert api.get("/api/clients/other?bogus=1", as_=client).status == 404  # Scope before input.
    bad = api.get("/api/nav/history?year=1999")
    assert (bad.status, bad.body["field"]) == (422, "year")


def test_every_answer_is_json_and_never_cached(api: ApiClient) -> None:
    for answer in (api.get("/api/me"), api.get("/api/nowhere"), api.get("/api/fund", as_=None)):
        assert answer.headers["Content-Type"] == "application/json"
        assert answer.headers["Cache-Control"] == "no-store"
        assert isinstance(answer.body, dict)


def test_a_route_without_a_body_refuses_one_and_a_huge_body_is_refused(api: ApiClient) -> None:
    with_body = api.call("GET", "/api/fund", raw=b'{"a": 1}')
    huge = api.call("POST", "/api/portfolio/allocations/A/reject", raw=b" " * 70_000 + b"{}")

    assert (with_body.status, with_body.body["field"]) == (400, "body")
    assert (huge.status, huge.body["field"]) == (400, "body")


def test_the_document_is_public_and_is_the_contract(api: ApiClient) -> None:
    answer = api.get("/api/openapi.json", as_=None)

    assert answer.status == 200
    assert answer.body["openapi"] == "3.1.0"
    assert "/api/me" in answer.body["paths"]


def test_an_empty_body_is_refused_where_the_route_needs_one_and_changes_nothing(
    api: ApiClient,
) -> None:
    before = api.get("/api/portfolio/allocations/current").body
    empty = api.call("PUT", "/api/portfolio/allocations/custom", raw=b"")
    blank = api.call("PUT", "/api/portfolio/allocations/custom", raw=b"  \n")
    after = api.get("/api/portfolio/allocations/current").body

    assert (empty.status, empty.body) == (
        400,
        {"error": "is required: a JSON object", "field": "body"},
    )
    assert blank.status == 400
    assert after == before


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        # Flask's routing takes no newline in a path; the API's does, and asks who is calling.
        ("GET", "/api/strategies/%0A", 401),
        ("POST", "/api/portfolio/allocations/%09%0A/approve", 401),
        ("GET", "/api/no-such-route%0A", 404),
        ("PATCH", "/api/fund", 405),
        ("GET", "/no/such/route%0A", 404),
    ],
)
def test_paths_flask_refuses_before_the_function_are_answered_in_json(
    stack: Stack, method: str, path: str, status: int
) -> None:
    url = stack.info["function_urls"]["dashboard"] + path
    request = urllib.request.Request(url, method=method)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)

    assert refused.value.code == status
    assert refused.value.headers["Content-Type"] == "application/json"
    assert "error" in json.loads(refused.value.read())
