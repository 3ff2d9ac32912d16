"""Replaying dead letters: each message a topic's hold kept goes back to that topic, once fixed.

The hold (``{topic}-dead-letter-hold``) is pulled, each message published again to ``topic``
with its data, ordering key and attributes (without the ``CloudPubSubDeadLetter*`` ones Pub/Sub
added when it dead-lettered it), and only then acknowledged: a replay cut short leaves the rest
held, and one republished but not acknowledged is replayed again, which every handler takes
(work is keyed by business ids). Replaying before the cause is fixed dead-letters it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from mats.contracts import EncodedMessage
from mats.errors import ValidationError
from mats.ports import DeadLetterHold, Publisher

log = logging.getLogger(__name__)

HOLD_SUFFIX = "-dead-letter-hold"
ADDED_BY_PUBSUB = "CloudPubSubDeadLetter"
MAX_REPLAY = 1000
_BATCH = 100


@dataclass(frozen=True)
class Replayed:
    message_id: str
    republished_as: str


def hold_of(topic: str) -> str:
    """The hold subscription of a source topic (``orders`` → ``orders-dead-letter-hold``)."""
    if not topic or topic.endswith("-dead-letter") or "/" in topic:
        raise ValidationError("topic", f"expected a source topic such as orders; got {topic!r}")
    return f"{topic}{HOLD_SUFFIX}"


def replay(
    hold: DeadLetterHold, publisher: Publisher, topic: str, *, limit: int, timeout: float = 10.0
) -> list[Replayed]:
    """Republish up to ``limit`` held messages of ``topic``; return what was replayed."""
    if not 1 <= limit <= MAX_REPLAY:
        raise ValidationError("limit", f"must be between 1 and {MAX_REPLAY}; got {limit}")
    subscription = hold_of(topic)
    replayed: list[Replayed] = []
    while len(replayed) < limit:
        held = hold.pull(subscription, min(_BATCH, limit - len(replayed)))
        if not held:
            break
        for message in held:
            attributes = {
                key: value
                for key, value in message.attributes.items()
                if not key.startswith(ADDED_BY_PUBSUB)
            }
            new_id = publisher.publish(
                EncodedMessage(topic, message.data, attributes, message.ordering_key),
                timeout=timeout,
            )
            hold.acknowledge(subscription, [message.ack_id])
            log.info(
                "dead letter replayed",
                extra={"topic": topic, "message_id": message.message_id, "republished_as": new_id},
            )
            replayed.append(Replayed(message.message_id, new_id))
    return replayed
