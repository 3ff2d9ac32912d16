"""``mats dead-letters replay`` on the local Pub/Sub service: a held dead letter goes back to its
topic with its data, ordering key and attributes (not the ones Pub/Sub added when it
dead-lettered it), and leaves the hold; an empty hold replays nothing."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from mats.adapters.pubsub import PubSubDeadLetterHold, PubSubPublisher
from mats.errors import ValidationError
from mats.services.replays import replay

pytestmark = pytest.mark.integration

BODY = b'{"schema":"mats.order.v1","id":"ORD-1"}'


@pytest.fixture
def topology(api: Any) -> Any:
    for topic in ("orders", "orders-dead-letter"):
        api.create_topic(topic)
    api.create_subscription("orders-dead-letter-hold", "orders-dead-letter")
    api.create_subscription("orders-watch", "orders", enableMessageOrdering=True)
    return api


def _clients(api: Any, host: str) -> tuple[PubSubDeadLetterHold, PubSubPublisher]:
    return (
        PubSubDeadLetterHold(api.project, emulator_host=host),
        PubSubPublisher(api.project, emulator_host=host),
    )


def test_a_held_dead_letter_is_published_to_its_topic_again_and_leaves_the_hold(
    topology: Any, pubsub_service: Any
) -> None:
    original = topology.publish(
        "orders-dead-letter",
        BODY,
        {
            "account": "IBKR_Main",
            "CloudPubSubDeadLetterSourceSubscription": "bridge-orders",
            "CloudPubSubDeadLetterSourceDeliveryCount": "20",
        },
        key="IBKR_Main/ES",
    )
    hold, publisher = _clients(topology, pubsub_service.host)

    replayed = replay(hold, publisher, "orders", limit=10)

    assert [r.message_id for r in replayed] == [original]
    (delivered,) = topology.pull_until("orders-watch", 1)
    message = delivered["message"]
    assert base64.b64decode(message["data"]) == BODY
    assert message["attributes"] == {"account": "IBKR_Main"}
    assert message["orderingKey"] == "IBKR_Main/ES"
    assert message["messageId"] == replayed[0].republished_as
    topology.wait_settled("orders-dead-letter-hold")
    assert topology.pull("orders-dead-letter-hold") == []


def test_an_empty_hold_replays_nothing(topology: Any, pubsub_service: Any) -> None:
    hold, publisher = _clients(topology, pubsub_service.host)

    assert replay(hold, publisher, "orders", limit=10) == []


def test_only_source_topics_are_replayed_to(topology: Any, pubsub_service: Any) -> None:
    hold, publisher = _clients(topology, pubsub_service.host)

    with pytest.raises(ValidationError, match="source topic"):
        replay(hold, publisher, "orders-dead-letter", limit=10)
