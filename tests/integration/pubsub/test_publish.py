"""Publishing over real HTTP: Google's validation rules, message ids, times and fan-out."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def publish(api: Any, *messages: dict[str, Any]) -> Any:
    return api.call("POST", f"{api.topic('signals')}:publish", {"messages": list(messages)})


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    "messages",
    [
        pytest.param([], id="no messages"),
        pytest.param([{}], id="neither data nor attributes"),
        pytest.param([{"data": ""}], id="empty data"),
        pytest.param([{"data": "not base64!"}], id="bad base64"),
        pytest.param([{"attributes": {f"k{i}": "v" for i in range(101)}}], id="101 attributes"),
        pytest.param([{"attributes": {"k" * 257: "v"}}], id="long attribute key"),
        pytest.param([{"attributes": {"k": "v" * 1025}}], id="long attribute value"),
        pytest.param([{"attributes": {"": "v"}}], id="empty attribute key"),
        pytest.param([{"attributes": {"k": 1}}], id="attribute not a string"),
        pytest.param([{"data": "aGk=", "orderingKey": "k" * 1025}], id="long ordering key"),
        pytest.param([{"data": "aGk="}, {}], id="one bad message among good ones"),
    ],
)
def test_publish_rejects_invalid_messages(api: Any, messages: list[dict[str, Any]]) -> None:
    api.create_topic("signals")
    api.create_subscription("signals-pull", "signals")

    response = publish(api, *messages)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert api.pull("signals-pull") == []


def test_publish_accepts_limits_exactly(api: Any) -> None:
    api.create_topic("signals")
    message = {
        "data": b64(b"x"),
        "attributes": {f"{i:0>256}": "v" * 1024 for i in range(100)},
        "orderingKey": "k" * 1024,
    }

    response = publish(api, message, {"attributes": {"only": "attributes"}})

    assert response.status_code == 200, response.text
    assert len(response.json()["messageIds"]) == 2


def test_publish_rejects_requests_over_ten_megabytes(api: Any) -> None:
    api.create_topic("signals")
    data = b64(b"x" * 7_600_000)

    response = publish(api, {"data": data})

    assert response.status_code == 400
    assert "exceeds" in response.json()["error"]["message"]


def test_publish_to_missing_topic_is_not_found(api: Any) -> None:
    response = publish(api, {"data": b64(b"hello")})

    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": 404,
        "message": "Topic not found",
        "status": "NOT_FOUND",
    }


def test_publish_rejects_malformed_json(api: Any) -> None:
    api.create_topic("signals")

    response = api.session.post(
        f"{api.base_url}/v1/{api.topic('signals')}:publish", data=b"{not json", timeout=5
    )

    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_message_ids_are_unique_decimal_strings(api: Any) -> None:
    api.create_topic("signals")

    first = publish(api, *[{"data": b64(b"%d" % i)} for i in range(50)]).json()["messageIds"]
    second = publish(api, {"data": b64(b"more")}).json()["messageIds"]

    ids = first + second
    assert len(set(ids)) == 51
    assert all(re.fullmatch(r"[1-9]\d*", message_id) for message_id in ids)


def test_pulled_message_carries_everything_published(api: Any) -> None:
    api.create_topic("signals")
    api.create_subscription("signals-pull", "signals")
    before = datetime.now(UTC)

    message_id = api.publish("signals", b'{"id":"s1"}', {"strategy_id": "alpha"}, key="alpha/BTC")
    (received,) = api.pull("signals-pull")

    message = received["message"]
    assert message["messageId"] == message_id
    assert base64.b64decode(message["data"]) == b'{"id":"s1"}'
    assert message["attributes"] == {"strategy_id": "alpha"}
    assert message["orderingKey"] == "alpha/BTC"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", message["publishTime"])
    published = datetime.fromisoformat(message["publishTime"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= published <= datetime.now(UTC)


def test_url_safe_base64_is_accepted_and_normalised(api: Any) -> None:
    api.create_topic("signals")
    api.create_subscription("signals-pull", "signals")
    data = bytes([0xFB, 0xFF, 0xFE])

    publish(api, {"data": base64.urlsafe_b64encode(data).decode().rstrip("=")})
    (received,) = api.pull("signals-pull")

    assert received["message"]["data"] == base64.b64encode(data).decode()


def test_publish_fans_out_to_every_subscription(api: Any) -> None:
    api.create_topic("signals")
    api.create_subscription("signals-one", "signals")
    api.create_subscription("signals-two", "signals")

    message_id = api.publish("signals", b"hello")

    for subscription in ("signals-one", "signals-two"):
        (received,) = api.pull(subscription)
        assert received["message"]["messageId"] == message_id


def test_messages_published_before_a_subscription_exists_are_dropped(api: Any) -> None:
    api.create_topic("signals")
    api.publish("signals", b"nobody listens")

    api.create_subscription("signals-late", "signals")
    api.publish("signals", b"somebody listens")

    received = api.pull("signals-late")
    assert [base64.b64decode(item["message"]["data"]) for item in received] == [b"somebody listens"]
