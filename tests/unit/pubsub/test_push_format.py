"""The Eventarc push request: headers, body and which statuses acknowledge."""

from __future__ import annotations

import json

from mats.localstack.pubsub.model import Message
from mats.localstack.pubsub.push import ACK_STATUSES, push_body, push_headers
from mats.localstack.pubsub.subscriptions import parse_subscription

TOPICS = {"projects/p/topics/signals", "projects/p/topics/signals-dead-letter"}
MESSAGE = Message(
    message_id="42",
    topic="projects/p/topics/signals",
    data="aGk=",
    attributes={"strategy_id": "alpha"},
    ordering_key="alpha/BTC",
    publish_time="2026-01-02T03:04:05.123456Z",
)


def test_headers_are_cloudevents_binary_mode() -> None:
    assert push_headers(MESSAGE) == {
        "Content-Type": "application/json",
        "ce-id": "42",
        "ce-specversion": "1.0",
        "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
        "ce-source": "//pubsub.googleapis.com/projects/p/topics/signals",
        "ce-time": "2026-01-02T03:04:05.123456Z",
    }


def test_body_is_pubsubs_push_body_with_attempt_only_under_dead_lettering() -> None:
    plain = parse_subscription(
        "projects/p/subscriptions/signals-push",
        {"topic": "projects/p/topics/signals"},
        TOPICS.__contains__,
    )
    dead_lettered = parse_subscription(
        "projects/p/subscriptions/signals-push",
        {
            "topic": "projects/p/topics/signals",
            "deadLetterPolicy": {"deadLetterTopic": "projects/p/topics/signals-dead-letter"},
        },
        TOPICS.__contains__,
    )

    body = json.loads(push_body(plain, MESSAGE, 3))
    with_attempt = json.loads(push_body(dead_lettered, MESSAGE, 3))

    assert body == {
        "message": {
            "data": "aGk=",
            "attributes": {"strategy_id": "alpha"},
            "messageId": "42",
            "message_id": "42",
            "publishTime": "2026-01-02T03:04:05.123456Z",
            "publish_time": "2026-01-02T03:04:05.123456Z",
            "orderingKey": "alpha/BTC",
        },
        "subscription": "projects/p/subscriptions/signals-push",
    }
    assert with_attempt == {**body, "deliveryAttempt": 3}


def test_ack_statuses_are_pubsubs() -> None:
    assert frozenset({102, 200, 201, 202, 204}) == ACK_STATUSES
