"""Handle one delivery of a signal: decide once, record it, publish its orders.

Idempotent by signal id: a redelivery, or the same signal under a new message id, finds the stored
decision and only re-publishes its stored order messages if they did not all go out — same ids,
same bytes. Store or Pub/Sub trouble raises ``TemporaryError`` so Pub/Sub redelivers; a message
that breaks the contract is logged, raised as an alert and acknowledged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from mats.contracts import ContractError, decode_as, encode, to_message
from mats.domain.alerts import Alert, AlertSeverity
from mats.domain.cerebro.brain import decide, drop_stale_event
from mats.domain.cerebro.decisions import CerebroSettings
from mats.domain.signals.signal import Signal
from mats.ports import AlertStore, Clock, DecisionStore, Publisher, StoredDecision

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PubSubEvent:
    """A Pub/Sub message as a push delivers it, whatever the transport."""

    message_id: str
    data: bytes
    publish_time: datetime
    attributes: dict[str, str]


class CerebroService:
    def __init__(
        self,
        *,
        store: DecisionStore,
        alerts: AlertStore,
        publisher: Publisher,
        clock: Clock,
        settings: CerebroSettings | None = None,
        publish_timeout_seconds: float = 10.0,
    ) -> None:
        self._store = store
        self._alerts = alerts
        self._publisher = publisher
        self._clock = clock
        self._settings = settings or CerebroSettings()
        self._publish_timeout = publish_timeout_seconds

    def handle(self, event: PubSubEvent) -> StoredDecision | None:
        """Decide on one delivered signal (or re-publish what was decided before)."""
        signal = self._decode(event)
        if signal is None:
            return None
        inputs, existing = self._store.inputs_for(signal)
        if existing is not None:
            log.info("signal already decided", extra={"signal_id": signal.id})
            return self._publish(existing)
        now = self._clock.now()
        age = (now - event.publish_time).total_seconds()
        if age > self._settings.max_event_age.total_seconds():
            decision = drop_stale_event(signal, inputs, age, now)
        else:
            decision = decide(signal, inputs, self._settings, now)
        messages = [encode(to_message(order)) for order in decision.orders]
        stored = self._store.record(decision, messages)
        log.info(
            "signal decided",
            extra={
                "signal_id": signal.id,
                "status": stored.decision.status.value,
                "reasons": [reason.value for reason in stored.decision.reasons],
                "orders": [order.id for order in stored.decision.orders],
            },
        )
        return self._publish(stored)

    def _decode(self, event: PubSubEvent) -> Signal | None:
        try:
            signal = decode_as(event.data, Signal)
        except ContractError as error:
            log.error(
                "signal message rejected: it breaks the contract",
                extra={"message_id": event.message_id, "error": str(error)},
            )
            self._alerts.put_alert(
                Alert(
                    alert_id=f"message-{event.message_id}_BAD_CONTRACT",
                    kind="BAD_CONTRACT",
                    severity=AlertSeverity.CRITICAL,
                    message=f"a message on signals broke the contract and was dropped: {error}",
                    created_at=self._clock.now(),
                    source="cerebro",
                    strategy_id=event.attributes.get("strategy_id"),
                )
            )
            return None
        return signal

    def _publish(self, stored: StoredDecision) -> StoredDecision:
        if stored.published or not stored.messages:
            return stored
        message_ids = [
            self._publisher.publish(message, timeout=self._publish_timeout)
            for message in stored.messages
        ]
        self._store.mark_published(stored.decision, message_ids, self._clock.now())
        log.info(
            "orders published",
            extra={"signal_id": stored.decision.signal_id, "message_ids": message_ids},
        )
        return StoredDecision(stored.decision, stored.messages, published=True)
