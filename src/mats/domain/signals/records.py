"""Signals as MATS stores them: the raw payload, the standard signal and its publishing state."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from mats.codec import to_primitive
from mats.domain.signals.alert import Alert


class SignalStatus(StrEnum):
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class RejectionReason(StrEnum):
    STRATEGY_INACTIVE = "STRATEGY_INACTIVE"
    STALE = "STALE"


class OutboxState(StrEnum):
    """Where an accepted signal's message stands; rejected signals are never published."""

    PENDING = "PENDING"
    PUBLISHED = "PUBLISHED"
    NOT_PUBLISHED = "NOT_PUBLISHED"


@dataclass(frozen=True)
class SignalRecord:
    """One webhook alert as recorded (``signals/{signal_id}``).

    ``message`` is the exact ``mats.signal.v1`` body, kept so a later publish sends the same bytes.
    """

    signal_id: str
    strategy_id: str
    sender_id: str
    received_at: datetime
    business_key: str
    status: SignalStatus
    raw_payload: str
    message: str
    source_format: str
    symbol: str
    intent: str
    outbox_state: OutboxState
    tags: tuple[str, ...] = ()
    rejection_reason: RejectionReason | None = None
    rejection_detail: str | None = None
    publish_attempts: int = 0
    published_at: datetime | None = None
    message_id: str | None = None
    last_publish_error: str | None = None


def business_key(sender_id: str, alert: Alert) -> str:
    """Hash what makes an alert the same alert, so a repeat (or a concurrent copy) is recognised.

    With a sender-supplied idempotency key that key alone decides; otherwise the strategy, the
    instrument, the bar (or firing) time, the order id, the action, the quantity and the position
    fields do.
    """
    if alert.idempotency_key is not None:
        parts: object = [sender_id, alert.strategy_id, "key", alert.idempotency_key]
    else:
        parts = [
            sender_id,
            alert.strategy_id,
            alert.symbol,
            to_primitive(alert.bar_time or alert.signal_time),
            alert.alert_order_id,
            to_primitive(alert.side),
            alert.intent.value,
            to_primitive(alert.quantity),
            to_primitive(alert.previous),
            to_primitive(alert.target),
        ]
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def has_natural_identity(alert: Alert) -> bool:
    """Tell whether the alert names its own moment (so its key never expires)."""
    return any(
        value is not None for value in (alert.idempotency_key, alert.bar_time, alert.signal_time)
    )


@dataclass(frozen=True)
class SignalClaim:
    """The business-key document a new signal claims, and how its signal id is built.

    An alert that names its own moment claims its business key for good. An alert that does not
    (no time, no idempotency key) is only a repeat within ``window``: it claims the key for the
    window-sized time bucket it arrived in, after checking the previous bucket's claim.
    """

    key_id: str
    business_key: str
    id_prefix: str
    received_at: datetime
    window: timedelta | None = None
    previous_key_id: str | None = None

    def is_repeat_of(self, claimed_at: datetime) -> bool:
        """Tell whether a claim made at ``claimed_at`` still covers this one."""
        return self.window is None or self.received_at - claimed_at < self.window


def claim_for(
    business_key: str, id_prefix: str, received_at: datetime, window: timedelta | None
) -> SignalClaim:
    if window is None:
        return SignalClaim(business_key, business_key, id_prefix, received_at)
    bucket = int(received_at.timestamp() // window.total_seconds())
    return SignalClaim(
        key_id=f"{business_key}~{bucket}",
        business_key=business_key,
        id_prefix=id_prefix,
        received_at=received_at,
        window=window,
        previous_key_id=f"{business_key}~{bucket - 1}",
    )


def signal_id_prefix(strategy_id: str, received_at: datetime) -> str:
    """Return ``{strategy}_{YYYYMMDD}_{HHMMSS}``; the store appends ``_{n}``."""
    return f"{strategy_id}_{received_at:%Y%m%d_%H%M%S}"
