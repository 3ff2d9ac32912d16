"""Pure values of the local Pub/Sub service: names, durations, timestamps and publish validation."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mats.localstack.pubsub.model import (
    ApiError,
    Message,
    format_duration,
    format_timestamp,
    parse_duration,
    parse_publish_request,
    project_of,
    short_name,
    subscription_path,
    topic_path,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10s", 10.0),
        ("0.050s", 0.05),
        ("0.05s", 0.05),
        ("600s", 600.0),
        ("1.000000001s", 1.000000001),
    ],
)
def test_parse_duration_reads_protobuf_json(text: str, seconds: float) -> None:
    assert parse_duration(text, "field") == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["10", "ten seconds", "1.5m", "", 10, None, "1.0000000001s"])
def test_parse_duration_rejects_anything_else(text: object) -> None:
    with pytest.raises(ApiError) as raised:
        parse_duration(text, "retry_policy.minimum_backoff")

    assert raised.value.code == 400
    assert "retry_policy.minimum_backoff" in raised.value.message


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (10.0, "10s"),
        (0.05, "0.050s"),
        (2.5, "2.500s"),
        (0.000001, "0.000001s"),
        (1e-9, "0.000000001s"),
    ],
)
def test_format_duration_writes_protobuf_json(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_timestamp_is_rfc3339_utc_with_z() -> None:
    moment = datetime(2026, 1, 2, 4, 4, 5, 123456, tzinfo=timezone(timedelta(hours=1)))

    assert format_timestamp(moment) == "2026-01-02T03:04:05.123456Z"


def test_paths_follow_google_naming() -> None:
    assert topic_path("mats-local", "signals") == "projects/mats-local/topics/signals"
    assert subscription_path("p", "signals-cerebro") == "projects/p/subscriptions/signals-cerebro"
    assert project_of("projects/p/subscriptions/s-one") == "p"
    assert short_name("projects/p/subscriptions/s-one") == "s-one"


@pytest.mark.parametrize("name", ["ab", "1signals", "goog-signals", "sig nals", "a" * 256])
def test_invalid_names_are_rejected(name: str) -> None:
    with pytest.raises(ApiError) as raised:
        topic_path("p", name)

    assert raised.value.to_json()["error"]["status"] == "INVALID_ARGUMENT"


def test_api_error_renders_googles_json() -> None:
    assert ApiError(409, "Topic already exists").to_json() == {
        "error": {"code": 409, "message": "Topic already exists", "status": "ALREADY_EXISTS"}
    }


def test_parse_publish_request_keeps_data_attributes_and_key() -> None:
    body = {
        "messages": [
            {"data": "aGk=", "attributes": {"a": "1"}, "orderingKey": "k"},
            {"attributes": {"only": "attributes"}},
        ]
    }

    first, second = parse_publish_request(body, 100)

    assert (first.data, dict(first.attributes), first.ordering_key) == ("aGk=", {"a": "1"}, "k")
    assert (second.data, dict(second.attributes), second.ordering_key) == (
        "",
        {"only": "attributes"},
        "",
    )


def test_parse_publish_request_normalises_unpadded_base64() -> None:
    (draft,) = parse_publish_request({"messages": [{"data": "aGk"}]}, 10)

    assert draft.data == base64.b64encode(b"hi").decode()


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"messages": "nope"},
        {"messages": [{"data": 5}]},
        {"messages": [{"data": "aGk=", "orderingKey": 5}]},
        {"messages": ["not an object"]},
    ],
)
def test_parse_publish_request_rejects_malformed_bodies(body: object) -> None:
    with pytest.raises(ApiError) as raised:
        parse_publish_request(body, 10)

    assert raised.value.code == 400


def test_parse_publish_request_rejects_oversized_requests() -> None:
    with pytest.raises(ApiError, match="exceeds"):
        parse_publish_request({"messages": [{"data": "aGk="}]}, 10_000_001)


def test_message_json_omits_empty_fields_in_pull_but_not_in_push() -> None:
    message = Message(
        message_id="7",
        topic="projects/p/topics/signals",
        data="aGk=",
        attributes={},
        ordering_key="",
        publish_time=format_timestamp(datetime(2026, 1, 2, tzinfo=UTC)),
    )

    assert message.to_json() == {
        "messageId": "7",
        "publishTime": "2026-01-02T00:00:00.000000Z",
        "data": "aGk=",
    }
    assert message.to_push_json() == {
        "data": "aGk=",
        "attributes": {},
        "messageId": "7",
        "message_id": "7",
        "publishTime": "2026-01-02T00:00:00.000000Z",
        "publish_time": "2026-01-02T00:00:00.000000Z",
    }
