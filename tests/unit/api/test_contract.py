"""The API's contract: every operation of the contract is served and every handler is in it,
each route says who may call it, and the inputs are checked as the document says."""

from __future__ import annotations

from typing import Any

import pytest

from mats.api.contract import (
    INPUT_KEYWORDS,
    MethodNotAllowedError,
    UnknownRouteError,
    check,
    document,
    match,
    operations,
    read_parameters,
)
from mats.api.handlers import HANDLERS
from mats.errors import ValidationError

ROLES = {"admin", "client", "sender"}


def test_every_operation_has_a_handler_and_every_handler_an_operation() -> None:
    ids = [operation.operation_id for operation in operations()]

    assert len(ids) == len(set(ids)), "operation ids are unique"
    assert set(ids) == set(HANDLERS)


def test_every_route_names_its_roles_and_only_the_document_is_public() -> None:
    public = [o.path for o in operations() if o.public]

    assert public == ["/api/openapi.json"]
    for operation in operations():
        assert operation.roles <= ROLES, operation.operation_id
        if operation.scope is not None:
            assert operation.scope in {"client_id", "sender_id"}
            assert f"{{{operation.scope}}}" in operation.path
            assert "admin" in operation.roles


def test_every_path_parameter_is_declared_and_every_declared_one_is_in_the_path() -> None:
    for operation in operations():
        in_path = set(operation.pattern.groupindex)
        declared = {p["name"] for p in operation.parameters if p["in"] == "path"}
        assert in_path == declared, operation.operation_id


def _inputs(schema: Any) -> list[dict[str, Any]]:
    """Every schema nested in an input schema, references followed."""
    if "$ref" in schema:
        schema = document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    found = [schema]
    for child in schema.get("properties", {}).values():
        found += _inputs(child)
    return found


def test_input_schemas_use_only_the_keywords_the_checker_implements() -> None:
    for operation in operations():
        schemas = [p["schema"] for p in operation.parameters]
        if operation.body is not None:
            schemas.append(operation.body)
        for schema in schemas:
            for part in _inputs(schema):
                assert set(part) <= INPUT_KEYWORDS, (operation.operation_id, set(part))


def test_every_signed_in_route_documents_one_success_and_its_refusals() -> None:
    for operation in operations():
        if operation.public:
            continue
        responses = document()["paths"][operation.path][operation.method.lower()]["responses"]
        successes = [code for code in responses if code.startswith("2")]
        assert len(successes) == 1, operation.operation_id
        assert {"401", "403", "404", "422"} <= set(responses), operation.operation_id


def test_a_route_matches_with_its_path_parameters() -> None:
    operation, values = match("GET", "/api/clients/jane-whitfield")

    assert operation.operation_id == "get_client"
    assert values == {"client_id": "jane-whitfield"}
    assert match("POST", "/api/portfolio/allocations/ALLOC_1/approve")[0].operation_id == (
        "approve_allocation"
    )


def test_an_unknown_route_and_a_wrong_method_are_told_apart() -> None:
    with pytest.raises(UnknownRouteError):
        match("GET", "/api/nothing-here")
    with pytest.raises(UnknownRouteError):
        match("GET", "/api/clients/a/b")
    with pytest.raises(MethodNotAllowedError) as refused:
        match("DELETE", "/api/fund")
    assert refused.value.allowed == ["GET"]


def test_query_parameters_are_converted_defaulted_and_checked() -> None:
    operation, values = match("GET", "/api/strategies")

    read = read_parameters(operation, values, {"status": ["ACTIVE"], "limit": ["20"]})

    assert read == {"status": "ACTIVE", "limit": 20}
    assert read_parameters(operation, values, {})["limit"] == 50


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"limit": ["0"]}, "limit", "at least 1"),
        ({"limit": ["201"]}, "limit", "at most 200"),
        ({"limit": ["ten"]}, "limit", "whole number"),
        ({"limit": ["1", "2"]}, "limit", "more than once"),
        ({"status": ["RUNNING"]}, "status", "one of ACTIVE, INACTIVE, TESTING"),
        ({"statsu": ["ACTIVE"]}, "statsu", "not a parameter"),
        ({"search": ["x" * 101]}, "search", "at most 100"),
        ({"cursor": ["a/b"]}, "cursor", "characters"),
    ],
)
def test_a_bad_query_parameter_is_named(
    query: dict[str, list[str]], field: str, message: str
) -> None:
    operation, values = match("GET", "/api/strategies")

    with pytest.raises(ValidationError) as refused:
        read_parameters(operation, values, query)

    assert refused.value.field == field
    assert message in refused.value.message


def test_a_path_parameter_with_characters_no_id_has_is_refused() -> None:
    operation, _ = match("GET", "/api/clients/x")

    with pytest.raises(ValidationError) as refused:
        read_parameters(operation, {"client_id": "a b<script>"}, {})

    assert refused.value.field == "client_id"


def test_a_body_is_checked_field_by_field() -> None:
    operation, _ = match("POST", "/api/portfolio/allocations/A/reject")
    assert operation.body is not None

    check({"reason": "too concentrated"}, operation.body, "body")
    for body, field in [
        ({"reason": ""}, "reason"),
        ({"reason": 12}, "reason"),
        ({"reason": "ok", "approve": True}, "approve"),
    ]:
        with pytest.raises(ValidationError) as refused:
            check(body, operation.body, "body")
        assert refused.value.field == field


def test_booleans_are_not_numbers_and_numbers_not_booleans() -> None:
    with pytest.raises(ValidationError):
        check(True, {"type": "integer"}, "limit")
    with pytest.raises(ValidationError):
        check(1, {"type": "boolean"}, "allow_close")
