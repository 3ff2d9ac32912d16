"""In-memory implementations of the ports, faithful to their contracts, for unit tests."""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from mats.contracts import EncodedMessage, SignalV1
from mats.domain.alerts import Alert
from mats.domain.cerebro.context import DecisionInputs
from mats.domain.cerebro.decisions import Decision
from mats.domain.senders import Sender
from mats.domain.signals.records import OutboxState, SignalClaim, SignalRecord, SignalStatus
from mats.domain.strategies import Strategy, StrategyFilter
from mats.errors import ConflictError, TemporaryError
from mats.ports import Duplicate, Recorded, StoredDecision, WebhookContext


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 11, 20, 14, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class FakePublisher:
    def __init__(self) -> None:
        self.messages: list[EncodedMessage] = []
        self.failing = False
        self._ids = itertools.count(1)

    def publish(self, message: EncodedMessage, *, timeout: float) -> str:
        if self.failing:
            raise TemporaryError("publisher unavailable")
        self.messages.append(message)
        return str(next(self._ids))


class InMemorySenderStore:
    def __init__(self) -> None:
        self.senders: dict[str, Sender] = {}

    def get(self, sender_id: str) -> Sender | None:
        return self.senders.get(sender_id)

    def create(self, sender: Sender) -> None:
        if sender.sender_id in self.senders:
            raise ConflictError(sender.sender_id)
        self.senders[sender.sender_id] = sender

    def save(self, sender: Sender) -> None:
        self.senders[sender.sender_id] = sender

    def list(self) -> Sequence[Sender]:
        return sorted(self.senders.values(), key=lambda sender: sender.sender_id)


class InMemoryStrategyStore:
    def __init__(self) -> None:
        self.strategies: dict[str, Strategy] = {}

    def get(self, strategy_id: str) -> Strategy | None:
        return self.strategies.get(strategy_id)

    def create(self, strategy: Strategy) -> None:
        if strategy.strategy_id in self.strategies:
            raise ConflictError(strategy.strategy_id)
        self.strategies[strategy.strategy_id] = strategy

    def save(self, strategy: Strategy) -> None:
        self.strategies[strategy.strategy_id] = strategy

    def list(self, query: StrategyFilter) -> Sequence[Strategy]:
        return sorted(
            (s for s in self.strategies.values() if query.matches(s)),
            key=lambda s: s.strategy_id,
        )


class InMemorySignalStore:
    """Signals and business keys with the same claim semantics as the Firestore store."""

    def __init__(self, senders: InMemorySenderStore, strategies: InMemoryStrategyStore) -> None:
        self._senders = senders
        self._strategies = strategies
        self.signals: dict[str, SignalRecord] = {}
        self.keys: dict[str, tuple[str, datetime]] = {}
        self.leases: set[str] = set()
        self._lock = threading.Lock()

    def webhook_context(self, sender_id: str, strategy_id: str | None) -> WebhookContext:
        strategy = self._strategies.get(strategy_id) if strategy_id else None
        return WebhookContext(self._senders.get(sender_id), strategy)

    def record(
        self, claim: SignalClaim, build: Callable[[str], SignalRecord]
    ) -> Recorded | Duplicate:
        with self._lock:
            earlier = self.keys.get(claim.previous_key_id or "")
            if earlier is not None and claim.is_repeat_of(earlier[1]):
                return Duplicate(self.signals[earlier[0]])
            taken = self.keys.get(claim.key_id)
            if taken is not None:
                return Duplicate(self.signals[taken[0]])
            for n in itertools.count(1):
                signal_id = f"{claim.id_prefix}_{n}"
                if signal_id not in self.signals:
                    break
            record = build(signal_id)
            self.signals[signal_id] = record
            self.keys[claim.key_id] = (signal_id, claim.received_at)
            return Recorded(record)

    def get(self, signal_id: str) -> SignalRecord | None:
        return self.signals.get(signal_id)

    def mark_published(self, signal_id: str, message_id: str, published_at: datetime) -> None:
        record = self.signals[signal_id]
        self.signals[signal_id] = dataclasses.replace(
            record,
            outbox_state=OutboxState.PUBLISHED,
            message_id=message_id,
            published_at=published_at,
            publish_attempts=record.publish_attempts + 1,
        )

    def mark_publish_failed(self, signal_id: str, error: str, failed_at: datetime) -> None:
        record = self.signals[signal_id]
        self.signals[signal_id] = dataclasses.replace(
            record,
            last_publish_error=error,
            publish_attempts=record.publish_attempts + 1,
        )

    def lease_pending(
        self, now: datetime, created_before: datetime, lease: timedelta, limit: int
    ) -> Sequence[SignalRecord]:
        period = int(now.timestamp() // lease.total_seconds())
        leased = []
        with self._lock:
            for record in sorted(self.signals.values(), key=lambda r: r.received_at):
                if len(leased) == limit:
                    break
                pending = record.outbox_state is OutboxState.PENDING
                lease_id = f"{record.signal_id}@{period}"
                if pending and record.received_at < created_before and lease_id not in self.leases:
                    self.leases.add(lease_id)
                    leased.append(record)
        return leased

    def list(
        self,
        *,
        strategy_id: str | None,
        sender_id: str | None,
        status: SignalStatus | None,
        limit: int,
    ) -> Sequence[SignalRecord]:
        matching = [
            r
            for r in self.signals.values()
            if (strategy_id is None or r.strategy_id == strategy_id)
            and (sender_id is None or r.sender_id == sender_id)
            and (status is None or r.status is status)
        ]
        return sorted(matching, key=lambda r: r.received_at, reverse=True)[:limit]


class InMemoryDecisionStore:
    """Decisions keyed by signal id, created once; inputs are whatever the test sets."""

    def __init__(self, inputs: DecisionInputs) -> None:
        self.inputs = inputs
        self.decisions: dict[str, StoredDecision] = {}

    def inputs_for(self, signal: SignalV1) -> tuple[DecisionInputs, StoredDecision | None]:
        return self.inputs, self.decisions.get(signal.id)

    def record(self, decision: Decision, messages: Sequence[EncodedMessage]) -> StoredDecision:
        return self.decisions.setdefault(
            decision.signal_id, StoredDecision(decision, tuple(messages), published=False)
        )

    def mark_published(self, decision: Decision, message_ids: Sequence[str], at: datetime) -> None:
        stored = self.decisions[decision.signal_id]
        self.decisions[decision.signal_id] = dataclasses.replace(stored, published=True)

    def get(self, signal_id: str) -> StoredDecision | None:
        return self.decisions.get(signal_id)


class InMemoryAlertStore:
    def __init__(self) -> None:
        self.alerts: dict[str, Alert] = {}

    def put_alert(self, alert: Alert) -> None:
        self.alerts[alert.alert_id] = alert

    def list_alerts(self, *, limit: int) -> Sequence[Alert]:
        return sorted(self.alerts.values(), key=lambda a: a.created_at, reverse=True)[:limit]
