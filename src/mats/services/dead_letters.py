"""Dead letters: recorded once, counted per source subscription, and told to people.

``POST /pubsub/dead-letters`` of ``functions/dashboard`` calls :meth:`DeadLetterService.take`
for every push of a dead-letter topic's dashboard subscription (``dashboard-orders-dead-letter``
for ``orders-dead-letter``, and so on): the push is parsed (:func:`parse_push`), its data decoded
as a known contract when it is one (an order's or a fill's ids), and the letter recorded once by
its topic and message id in ``dead_letters``. An alert is raised per letter: CRITICAL for an order
or a fill (money may be unplaced or unbooked), WARNING for anything else; its id is the letter's,
so a redelivered push alerts nobody twice, and a push redelivered after a crash between the record
and the alert still raises it.

Counting. ``dead_letter_counts/{source subscription}`` holds each subscription's count and newest
letter, which the health view copies, so a read costs one document per subscription whatever the
number of letters. The letter is created and its count moved in one Firestore transaction
(``RecordStore.create_counted``), chosen over an aggregation ``count()`` per subscription at each
health refresh: the transaction is atomic (a crash leaves both or neither), a redelivery finds the
letter and writes nothing, and its reads lock the counter so concurrent instances are serialised;
it costs two reads and two writes once per letter, while a count at every refresh (hourly, and
after every letter) would read index entries in proportion to the letters, need the list of
subscriptions to count from elsewhere and a composite index for the newest one. Locally the npm
emulator does not isolate transactions; the dashboard, one request at a time, is the one writer.

Listing a subscription's letters newest first needs the composite index (``source_subscription``,
``received_at`` descending) on Firestore; the emulator needs none.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mats.codec import parse_datetime
from mats.contracts import ContractError, OrderV1, SignalV1, decode
from mats.domain.dead_letters import (
    UNKNOWN,
    DeadLetter,
    DeadLetterCount,
    letter_id,
    source_topic,
)
from mats.errors import ValidationError
from mats.ports import Clock, CountedIn, RecordStore
from mats.services.alerts import AlertService

log = logging.getLogger(__name__)

DEAD_LETTERS = "dead_letters"
DEAD_LETTER_COUNTS = "dead_letter_counts"
PUSH_PREFIX = "dashboard-"  # the dashboard's subscription to a dead-letter topic: dashboard-{topic}
LIST_LIMIT = 500
SOURCE_SUBSCRIPTION = "CloudPubSubDeadLetterSourceSubscription"
SOURCE_DELIVERY_COUNT = "CloudPubSubDeadLetterSourceDeliveryCount"
SOURCE_PUBLISH_TIME = "CloudPubSubDeadLetterSourceTopicPublishTime"
# Pub/Sub's own rules for ids and names; both become Firestore document ids here.
_MESSAGE_ID = re.compile(r"[A-Za-z0-9._~+%-]{1,128}")
_SUBSCRIPTION = re.compile(r"[A-Za-z][A-Za-z0-9._~+%-]{2,254}")
_REASON_LENGTH = 200
_ECHOED_VALUE = re.compile(r"[;,] got .*$")


@dataclass(frozen=True)
class DeadLetterPush:
    """One push of a dead-letter topic's message, as its subscription delivered it."""

    message_id: str
    subscription: str | None
    attributes: Mapping[str, str]
    publish_time: datetime | None
    data: bytes


def parse_push(body: Mapping[str, Any]) -> DeadLetterPush:
    """Parse a Pub/Sub push body; a ``ValidationError`` names the first bad field."""
    message = body.get("message")
    if not isinstance(message, dict):
        raise ValidationError("message", "expected the pushed message, an object")
    message_id = message.get("messageId") or message.get("message_id")
    if not isinstance(message_id, str) or not _MESSAGE_ID.fullmatch(message_id):
        raise ValidationError("message.messageId", "expected a Pub/Sub message id")
    attributes = message.get("attributes") or {}
    if not isinstance(attributes, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in attributes.items()
    ):
        raise ValidationError("message.attributes", "expected an object of strings")
    data = message.get("data") or ""
    try:
        if not isinstance(data, str):
            raise TypeError
        decoded = base64.b64decode(data, validate=True)
    except (TypeError, binascii.Error):
        raise ValidationError("message.data", "expected base64") from None
    subscription = body.get("subscription")
    return DeadLetterPush(
        message_id=message_id,
        subscription=subscription.rsplit("/", 1)[-1] if isinstance(subscription, str) else None,
        attributes=attributes,
        publish_time=_time(message.get("publishTime") or message.get("publish_time")),
        data=decoded,
    )


def read_letter(push: DeadLetterPush, *, received_at: datetime) -> DeadLetter:
    """The letter a push carries: where it came from, how often it was tried, what it is."""
    attributes = push.attributes
    dead_letter_topic = _dead_letter_topic(push.subscription)
    source = attributes.get(SOURCE_SUBSCRIPTION, "")
    attempts = attributes.get(SOURCE_DELIVERY_COUNT, "")
    contents = _contents(push.data)
    return DeadLetter(
        letter_id=letter_id(dead_letter_topic, push.message_id),
        message_id=push.message_id,
        source_subscription=source if _SUBSCRIPTION.fullmatch(source) else UNKNOWN,
        topic=source_topic(dead_letter_topic),
        dead_letter_topic=dead_letter_topic,
        delivery_attempts=int(attempts) if attempts.isdecimal() else None,
        published_at=_time(attributes.get(SOURCE_PUBLISH_TIME)),
        dead_lettered_at=push.publish_time,
        received_at=received_at,
        data_bytes=len(push.data),
        schema=contents.schema,
        record_id=contents.record_id,
        order_id=contents.order_id,
        signal_id=contents.signal_id,
        strategy_id=contents.strategy_id,
        account=contents.account,
        undecodable=contents.undecodable,
    )


class DeadLetterService:
    def __init__(self, records: RecordStore, alerts: AlertService, clock: Clock) -> None:
        self._records = records
        self._alerts = alerts
        self._clock = clock

    def take(self, push: DeadLetterPush) -> tuple[DeadLetter, bool]:
        """Record a pushed dead letter once, count it and alert; ``False``: seen before."""
        letter = read_letter(push, received_at=self._clock.now())
        counter = CountedIn(
            DEAD_LETTER_COUNTS,
            letter.source_subscription,
            DeadLetterCount,
            lambda current: DeadLetterCount.counted(current, letter),
        )
        new = self._records.create_counted(DEAD_LETTERS, letter.letter_id, letter, counter=counter)
        if not new:
            letter = self._records.get(DEAD_LETTERS, letter.letter_id, DeadLetter) or letter
        log.warning(
            "dead letter recorded" if new else "dead letter already recorded",
            extra={
                "letter_id": letter.letter_id,
                "message_id": letter.message_id,
                "source_subscription": letter.source_subscription,
                "delivery_attempts": letter.delivery_attempts,
                "schema": letter.schema,
                "record_id": letter.record_id,
                "order_id": letter.order_id,
                "signal_id": letter.signal_id,
                "data_bytes": letter.data_bytes,
            },
        )
        self._alerts.raise_alert(letter.alert(self._clock.now()))
        return letter, new

    def recent(self, *, subscription: str | None = None, limit: int = 20) -> list[DeadLetter]:
        """The newest letters first, of one source subscription or all (at most 500)."""
        if not 1 <= limit <= LIST_LIMIT:
            raise ValidationError("limit", f"must be between 1 and {LIST_LIMIT}; got {limit}")
        filters = [("source_subscription", "==", subscription)] if subscription else []
        return self._records.list(
            DEAD_LETTERS,
            DeadLetter,
            filters=filters,
            order_by="received_at",
            descending=True,
            limit=limit,
        )

    def counts(self) -> list[DeadLetterCount]:
        """Each source subscription's count, by name (one small document each)."""
        return counts(self._records)


def counts(records: RecordStore) -> list[DeadLetterCount]:
    found = records.list(DEAD_LETTER_COUNTS, DeadLetterCount)
    return sorted(found, key=lambda count: count.subscription)


@dataclass(frozen=True)
class _Contents:
    schema: str | None = None
    record_id: str | None = None
    order_id: str | None = None
    signal_id: str | None = None
    strategy_id: str | None = None
    account: str | None = None
    undecodable: str | None = None


def _contents(data: bytes) -> _Contents:
    try:
        message = decode(data)
    except ContractError as error:
        return _Contents(schema=_claimed_schema(data), undecodable=_reason(error))
    except RecursionError:  # Junk nested deeper than the parser goes is still recorded.
        return _Contents(undecodable="message body is nested too deeply to parse")
    order_id = message.id if isinstance(message, OrderV1) else getattr(message, "order_id", None)
    signal_id = message.id if isinstance(message, SignalV1) else getattr(message, "signal_id", None)
    return _Contents(
        schema=message.schema,
        record_id=message.id,
        order_id=order_id,
        signal_id=signal_id,
        strategy_id=getattr(message, "strategy_id", None),
        account=getattr(message, "account", None),
    )


def _reason(error: ContractError) -> str:
    """Why the data is not a known message, without the values it holds (``got 'HOLD'``)."""
    return _ECHOED_VALUE.sub("", str(error))[:_REASON_LENGTH]


def _claimed_schema(data: bytes) -> str | None:
    """The schema a body that breaks its contract names, when it names one."""
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        return None
    schema = body.get("schema") if isinstance(body, dict) else None
    return schema[:64] if isinstance(schema, str) else None


def _dead_letter_topic(push_subscription: str | None) -> str:
    name = push_subscription or ""
    topic = name.removeprefix(PUSH_PREFIX)
    return topic if name.startswith(PUSH_PREFIX) and source_topic(topic) != UNKNOWN else UNKNOWN


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_datetime(value, "publish_time")
    except ValidationError:
        return None
