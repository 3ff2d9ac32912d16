"""Pull subscriptions over real HTTP: leases, acks, nacks, deadlines, ordering and dead letters."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def data_of(received: list[dict[str, Any]]) -> list[bytes]:
    return [base64.b64decode(item["message"]["data"]) for item in received]


def modify(api: Any, ack_ids: list[str], seconds: int) -> None:
    api.ok(
        "POST",
        f"{api.subscription('signals-pull')}:modifyAckDeadline",
        {"ackIds": ack_ids, "ackDeadlineSeconds": seconds},
    )


@pytest.fixture
def pull_subscription(api: Any) -> Any:
    def create(**settings: Any) -> None:
        api.create_topic("signals")
        api.create_subscription("signals-pull", "signals", **settings)

    return create


def test_pull_returns_at_once_when_empty(api: Any, pull_subscription: Any) -> None:
    pull_subscription()
    started = time.monotonic()

    assert api.pull("signals-pull") == []
    assert time.monotonic() - started < 1.0


def test_pull_respects_max_messages_and_ack_removes(api: Any, pull_subscription: Any) -> None:
    pull_subscription(ackDeadlineSeconds=1)
    for number in range(3):
        api.publish("signals", b"%d" % number)

    first = api.pull("signals-pull", max_messages=2)
    second = api.pull("signals-pull", max_messages=2)
    api.acknowledge("signals-pull", [item["ackId"] for item in first + second])
    api.wait_settled("signals-pull")

    assert data_of(first) == [b"0", b"1"]
    assert data_of(second) == [b"2"]
    assert "deliveryAttempt" not in first[0]
    assert api.pull("signals-pull") == []


def test_nack_redelivers_at_once_with_the_next_attempt(api: Any, pull_subscription: Any) -> None:
    api.create_topic("signals-dead-letter")
    pull_subscription(
        deadLetterPolicy={"deadLetterTopic": api.topic("signals-dead-letter")},
    )
    api.publish("signals", b"again")

    (first,) = api.pull("signals-pull")
    modify(api, [first["ackId"]], 0)
    (second,) = api.pull("signals-pull")

    assert [first["deliveryAttempt"], second["deliveryAttempt"]] == [1, 2]
    assert first["ackId"] != second["ackId"]
    assert second["message"]["messageId"] == first["message"]["messageId"]


def test_unacked_message_returns_after_the_ack_deadline(api: Any, pull_subscription: Any) -> None:
    pull_subscription(ackDeadlineSeconds=1)
    api.publish("signals", b"forgotten")

    (first,) = api.pull("signals-pull")
    early = api.pull("signals-pull")
    (again,) = api.pull_until("signals-pull", 1, timeout=3)
    api.acknowledge("signals-pull", [first["ackId"]])  # Expired: ignored, as in Pub/Sub.
    api.acknowledge("signals-pull", [again["ackId"]])

    assert early == []
    assert again["message"]["messageId"] == first["message"]["messageId"]
    assert api.pull("signals-pull") == []


def test_modify_ack_deadline_extends_the_lease(api: Any, pull_subscription: Any) -> None:
    pull_subscription(ackDeadlineSeconds=1)
    api.publish("signals", b"slow work")

    (first,) = api.pull("signals-pull")
    modify(api, [first["ackId"]], 3)
    # What is under test is time itself: the first lease (1 s) has run out, the new one (3 s) not.
    time.sleep(1.3)

    assert api.pull("signals-pull") == []
    api.acknowledge("signals-pull", [first["ackId"]])


def test_nacked_pull_messages_are_dead_lettered(api: Any, pull_subscription: Any) -> None:
    api.create_topic("signals-dead-letter")
    api.create_subscription("signals-dead-letter-pull", "signals-dead-letter")
    pull_subscription(
        deadLetterPolicy={"deadLetterTopic": api.topic("signals-dead-letter")},
    )
    api.publish("signals", b"poison", {"strategy_id": "alpha"})

    attempts = []
    for _ in range(5):
        (item,) = api.pull("signals-pull")
        attempts.append(item["deliveryAttempt"])
        modify(api, [item["ackId"]], 0)
    (dead,) = api.pull("signals-dead-letter-pull")

    assert attempts == [1, 2, 3, 4, 5]
    assert api.pull("signals-pull") == []
    assert dead["message"]["attributes"]["CloudPubSubDeadLetterSourceDeliveryCount"] == "5"
    assert (
        dead["message"]["attributes"]["CloudPubSubDeadLetterSourceSubscription"] == "signals-pull"
    )


def test_nack_waits_for_the_retry_policy_backoff(api: Any, pull_subscription: Any) -> None:
    pull_subscription(retryPolicy={"minimumBackoff": "0.5s", "maximumBackoff": "1s"})
    api.publish("signals", b"later")

    (first,) = api.pull("signals-pull")
    modify(api, [first["ackId"]], 0)
    immediately = api.pull("signals-pull")
    later = api.pull_until("signals-pull", 1, timeout=3)

    assert immediately == []
    assert data_of(later) == [b"later"]


def test_ordered_pull_hands_out_one_message_per_key(api: Any, pull_subscription: Any) -> None:
    pull_subscription(enableMessageOrdering=True)
    api.publish("signals", b"a1", key="alpha")
    api.publish("signals", b"a2", key="alpha")
    api.publish("signals", b"b1", key="beta")
    api.publish("signals", b"loose")

    first = api.pull("signals-pull")
    (nacked,) = [item for item in first if data_of([item]) == [b"a1"]]
    modify(api, [nacked["ackId"]], 0)
    second = api.pull("signals-pull")
    api.acknowledge("signals-pull", [item["ackId"] for item in second])
    third = api.pull("signals-pull")

    assert sorted(data_of(first)) == [b"a1", b"b1", b"loose"]
    assert data_of(second) == [b"a1"]
    assert data_of(third) == [b"a2"]


def test_push_subscriptions_cannot_be_pulled(api: Any) -> None:
    api.create_topic("signals")
    api.create_subscription(
        "signals-push", "signals", pushConfig={"pushEndpoint": "http://127.0.0.1:9/push"}
    )

    response = api.call("POST", f"{api.subscription('signals-push')}:pull", {"maxMessages": 1})

    assert response.status_code == 400
