"""Dead letters: messages a subscription gave up on after its last delivery attempt.

Pub/Sub forwards such a message to the topic's dead-letter topic (``orders`` →
``orders-dead-letter``) with attributes naming where it came from; a pull subscription there
(``orders-dead-letter-hold``) keeps it for replay, and the dashboard records it once per message,
counts it per source subscription and tells people. Nothing a dead letter holds is a secret, and
its data is never kept or logged: only its size and, when it is a known message, its ids.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from mats.domain.alerts import Alert, AlertSeverity

DEAD_LETTER_SUFFIX = "-dead-letter"
HOLD_SUFFIX = "-hold"
UNKNOWN = "unknown"  # a source or topic the message did not name
ALERT_KIND = "DEAD_LETTER"
# Money may be unplaced (an order) or unbooked (a fill): someone must look now.
MONEY_TOPICS = frozenset({"orders", "fills"})
MONEY_SCHEMAS = frozenset({"mats.order.v1", "mats.fill.v1"})


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered message as recorded (``dead_letters/{letter_id}``), once.

    ``message_id`` is the dead-letter topic's id of the message (the same on every push of it);
    ``published_at`` is when it was first published on its own topic, ``dead_lettered_at`` when
    it reached the dead-letter topic. ``schema`` and the ids are those of the message it carries
    when that decodes as a known contract; ``undecodable`` says why it does not.
    """

    letter_id: str
    message_id: str
    source_subscription: str
    topic: str
    dead_letter_topic: str
    delivery_attempts: int | None
    published_at: datetime | None
    dead_lettered_at: datetime | None
    received_at: datetime
    data_bytes: int
    schema: str | None = None
    record_id: str | None = None
    order_id: str | None = None
    signal_id: str | None = None
    strategy_id: str | None = None
    account: str | None = None
    undecodable: str | None = None

    @property
    def severity(self) -> AlertSeverity:
        """CRITICAL when money may be unplaced or unbooked (an order or a fill), else WARNING."""
        if self.topic in MONEY_TOPICS or self.schema in MONEY_SCHEMAS:
            return AlertSeverity.CRITICAL
        return AlertSeverity.WARNING

    @property
    def hold_subscription(self) -> str:
        return self.dead_letter_topic + HOLD_SUFFIX

    def alert(self, at: datetime) -> Alert:
        """The alert people get: one per message (its id is the letter's)."""
        return Alert(
            alert_id=f"{self.letter_id}_{ALERT_KIND}",
            kind=ALERT_KIND,
            severity=self.severity,
            message=alert_message(self),
            created_at=at,
            source="dashboard",
            strategy_id=self.strategy_id,
            signal_id=self.signal_id,
        )


def letter_id(dead_letter_topic: str, message_id: str) -> str:
    """The record's id: message ids are unique within a topic, so the topic is part of it."""
    return f"{dead_letter_topic}__{message_id}"


def source_topic(dead_letter_topic: str) -> str:
    """The topic a dead-letter topic serves (``orders-dead-letter`` → ``orders``)."""
    if dead_letter_topic.endswith(DEAD_LETTER_SUFFIX) and dead_letter_topic != DEAD_LETTER_SUFFIX:
        return dead_letter_topic.removesuffix(DEAD_LETTER_SUFFIX)
    return UNKNOWN


def alert_message(letter: DeadLetter) -> str:
    attempts = (
        f"after {letter.delivery_attempts} delivery attempts"
        if letter.delivery_attempts is not None
        else "after an unknown number of delivery attempts"
    )
    return (
        f"Dead letter: {letter.source_subscription} gave up on {_what(letter)} {attempts}"
        f"{_consequence(letter)}. Message {letter.message_id} on {letter.dead_letter_topic} is "
        f"kept in {letter.hold_subscription} for replay (mats dead-letters list)."
    )


def _what(letter: DeadLetter) -> str:
    if letter.schema is None or letter.undecodable is not None:
        claimed = f", claiming {letter.schema}" if letter.schema else ""
        return f"undecodable data ({letter.data_bytes} bytes{claimed})"
    ids = [
        f"{name} {value}"
        for name, value in (
            ("order", letter.order_id if letter.order_id != letter.record_id else None),
            ("signal", letter.signal_id if letter.signal_id != letter.record_id else None),
            ("strategy", letter.strategy_id),
            ("account", letter.account),
        )
        if value
    ]
    detail = f" ({', '.join(ids)})" if ids else ""
    return f"{letter.schema} {letter.record_id}{detail}"


def _consequence(letter: DeadLetter) -> str:
    if letter.topic == "orders" or letter.schema == "mats.order.v1":
        return ": an order may not have been placed or cancelled"
    if letter.topic == "fills" or letter.schema == "mats.fill.v1":
        return ": a fill may not be booked"
    return ""


@dataclass(frozen=True)
class DeadLetterCount:
    """Dead letters recorded from one source subscription (``dead_letter_counts/{subscription}``).

    Moved only by :meth:`counted`, in the same transaction that records a new letter, so the
    count is the number of letters recorded from the subscription and ``last_at`` the newest.
    """

    subscription: str
    count: int
    last_at: datetime
    last_message_id: str

    @staticmethod
    def counted(current: DeadLetterCount | None, letter: DeadLetter) -> DeadLetterCount:
        """The count with ``letter`` recorded (``current``: before it; ``None``: the first)."""
        if current is None:
            return DeadLetterCount(
                letter.source_subscription, 1, letter.received_at, letter.message_id
            )
        newer = letter.received_at >= current.last_at
        return dataclasses.replace(
            current,
            count=current.count + 1,
            last_at=letter.received_at if newer else current.last_at,
            last_message_id=letter.message_id if newer else current.last_message_id,
        )
