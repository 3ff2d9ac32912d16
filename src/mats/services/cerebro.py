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
from mats.domain.alerts import Alert, AlertSeverity, from_draft
from mats.domain.cerebro.brain import decide, drop_stale_event
from mats.domain.cerebro.context import DecisionInputs
from mats.domain.cerebro.decisions import CerebroSettings, Decision
from mats.domain.signals.signal import Signal
from mats.errors import TemporaryError
from mats.ports import (
    Clock,
    DecisionStore,
    DecisionSupersededError,
    Publisher,
    StoredDecision,
)
from mats.services.alerts import AlertService

log = logging.getLogger(__name__)

# Each attempt means another decision on the account was recorded meanwhile: progress was made.
MAX_DECISION_ATTEMPTS = 20


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
        alerts: AlertService,
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
        """Decide on one delivered signal (or re-publish what was decided before).

        A decision claims the next of its account's decision sequence; when another signal on
        the account claimed it first, this one is decided again on fresh facts, so concurrent
        signals never share the same room under a limit.
        """
        signal = self._decode(event)
        if signal is None:
            return None
        for attempt in range(1, MAX_DECISION_ATTEMPTS + 1):
            inputs, existing = self._store.inputs_for(signal)
            if existing is not None:
                log.info("signal already decided", extra={"signal_id": signal.id})
                return self._publish(existing)
            decision = self._decide(signal, inputs, event)
            messages = [encode(to_message(order)) for order in decision.orders]
            try:
                stored = self._store.record(decision, messages)
            except DecisionSupersededError:
                log.info(
                    "another decision on the account came first; deciding again",
                    extra={"signal_id": signal.id, "attempt": attempt},
                )
                continue
            log.info(
                "signal decided",
                extra={
                    "signal_id": signal.id,
                    "status": stored.decision.status.value,
                    "reasons": [reason.value for reason in stored.decision.reasons],
                    "orders": [order.id for order in stored.decision.orders],
                    "sequence": stored.decision.sequence,
                },
            )
            if stored.decision is decision:  # Else whoever recorded it first has sent them.
                self._send_alerts(decision)
            return self._publish(stored)
        raise TemporaryError(
            f"signal {signal.id} was superseded {MAX_DECISION_ATTEMPTS} times in a row; "
            "Pub/Sub will deliver it again"
        )

    def _decide(self, signal: Signal, inputs: DecisionInputs, event: PubSubEvent) -> Decision:
        now = self._clock.now()
        age = (now - event.publish_time).total_seconds()
        if age > self._settings.max_event_age.total_seconds():
            return drop_stale_event(signal, inputs, age, now)
        return decide(signal, inputs, self._settings, now)

    def _send_alerts(self, decision: Decision) -> None:
        """The decision's alerts were stored with it; tell people now (the sweep retries)."""
        self._alerts.send_stored(
            from_draft(
                draft,
                signal_id=decision.signal_id,
                strategy_id=decision.strategy_id,
                at=decision.decided_at,
            )
            for draft in decision.alerts
        )

    def _decode(self, event: PubSubEvent) -> Signal | None:
        try:
            signal = decode_as(event.data, Signal)
        except ContractError as error:
            log.error(
                "signal message rejected: it breaks the contract",
                extra={"message_id": event.message_id, "error": str(error)},
            )
            self._alerts.raise_alert(
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
