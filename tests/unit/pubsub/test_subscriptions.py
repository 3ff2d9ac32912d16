"""Subscription settings: defaults, validation, updates and the redelivery backoff."""

from __future__ import annotations

from typing import Any

import pytest

from mats.localstack.pubsub.model import ApiError
from mats.localstack.pubsub.subscriptions import (
    REDELIVERY_DELAY_WITHOUT_RETRY_POLICY,
    SubscriptionConfig,
    parse_subscription,
    update_subscription,
)

TOPICS = {"projects/p/topics/signals", "projects/p/topics/signals-dead-letter"}
NAME = "projects/p/subscriptions/signals-cerebro"


def parse(**body: Any) -> SubscriptionConfig:
    return parse_subscription(
        NAME, {"topic": "projects/p/topics/signals", **body}, TOPICS.__contains__
    )


def test_defaults_match_google() -> None:
    config = parse()

    assert config.push_endpoint is None
    assert config.ack_deadline_seconds == 10
    assert config.retry_policy is None
    assert config.dead_letter_policy is None
    assert config.ordering is False


def test_backoff_doubles_from_minimum_and_caps_at_maximum() -> None:
    config = parse(retryPolicy={"minimumBackoff": "0.1s", "maximumBackoff": "1s"})

    delays = [config.backoff(attempt) for attempt in range(1, 7)]

    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])


def test_backoff_without_retry_policy_is_a_short_fixed_delay() -> None:
    config = parse()

    assert {config.backoff(attempt) for attempt in range(1, 5)} == {
        REDELIVERY_DELAY_WITHOUT_RETRY_POLICY
    }


def test_dead_letter_attempts_default_to_five() -> None:
    config = parse(deadLetterPolicy={"deadLetterTopic": "projects/p/topics/signals-dead-letter"})

    assert config.dead_letter_policy is not None
    assert config.dead_letter_policy.max_delivery_attempts == 5


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"topic": "projects/p/topics/missing"}, 404),
        ({"topic": ""}, 400),
        ({"ackDeadlineSeconds": 0.5}, 400),
        ({"ackDeadlineSeconds": True}, 400),
        ({"enableMessageOrdering": "yes"}, 400),
        ({"pushConfig": {"pushEndpoint": "http://127.0.0.1/x", "noWrapper": {}}}, 200),
        (
            {
                "pushConfig": {
                    "pushEndpoint": "http://127.0.0.1/x",
                    "noWrapper": {"writeMetadata": True},
                }
            },
            400,
        ),
        ({"retryPolicy": {"minimumBackoff": "5s", "maximumBackoff": "1s"}}, 400),
        ({"retryPolicy": {"minimumBackoff": "-1s"}}, 400),
        ({"deadLetterPolicy": {"maxDeliveryAttempts": 5}}, 400),
        ({"enableExactlyOnceDelivery": True}, 400),
    ],
)
def test_invalid_settings_are_rejected(body: dict[str, Any], code: int) -> None:
    if code == 200:
        parse(**body)
        return
    with pytest.raises(ApiError) as raised:
        parse(**body)

    assert raised.value.code == code


def test_json_round_trips_through_parse() -> None:
    config = parse(
        pushConfig={"pushEndpoint": "http://127.0.0.1:8080/"},
        ackDeadlineSeconds=60,
        retryPolicy={"minimumBackoff": "10s", "maximumBackoff": "600s"},
        deadLetterPolicy={"deadLetterTopic": "projects/p/topics/signals-dead-letter"},
        enableMessageOrdering=True,
        labels={"team": "mats"},
    )

    body = config.to_json()

    assert body["labels"] == {"team": "mats"}
    assert parse_subscription(NAME, body, TOPICS.__contains__).to_json() == body


def test_update_changes_only_masked_fields() -> None:
    config = parse(pushConfig={"pushEndpoint": "http://127.0.0.1:1/a"}, ackDeadlineSeconds=10)

    updated = update_subscription(
        config,
        {
            "subscription": {
                "pushConfig": {"pushEndpoint": "http://127.0.0.1:1/b"},
                "ackDeadlineSeconds": 99,
                "retryPolicy": {"minimumBackoff": "1s"},
            },
            "updateMask": "push_config,retryPolicy",
        },
        TOPICS.__contains__,
    )

    assert updated.push_endpoint == "http://127.0.0.1:1/b"
    assert updated.ack_deadline_seconds == 10
    assert updated.retry_policy is not None
    assert updated.retry_policy.minimum_backoff == 1.0


@pytest.mark.parametrize(
    "body",
    [
        {"subscription": {}, "updateMask": ""},
        {"subscription": {"topic": "projects/p/topics/other"}, "updateMask": "topic"},
        {"subscription": {"pushConfig": {}}, "updateMask": "pushConfig"},
    ],
)
def test_update_rejects_what_cannot_change(body: dict[str, Any]) -> None:
    config = parse(pushConfig={"pushEndpoint": "http://127.0.0.1:1/a"})

    with pytest.raises(ApiError) as raised:
        update_subscription(config, body, TOPICS.__contains__)

    assert raised.value.code == 400
