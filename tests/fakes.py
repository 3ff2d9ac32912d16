"""In-memory implementations of the ports, faithful to their contracts, for unit tests."""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from mats.codec import from_primitive, to_primitive
from mats.contracts import EncodedMessage
from mats.domain.accounting import AccountState, StrategyPosition
from mats.domain.alerts import Alert
from mats.domain.backtests import BacktestRecord, BacktestSeries, BacktestSummary
from mats.domain.cerebro.context import DecisionInputs
from mats.domain.cerebro.decisions import Decision
from mats.domain.execution.records import OrderRecord, new_record
from mats.domain.market import Quote
from mats.domain.optimization import BacktestJob, OptimizationRun, SandboxRun
from mats.domain.orders import Fill, Order
from mats.domain.portfolio import Activation, Allocation, AllocationStatus
from mats.domain.risk import GLOBAL_SCOPE, RiskSetting, strategy_scope
from mats.domain.senders import LegacySender, Sender, normalized_name
from mats.domain.signals.records import OutboxState, SignalClaim, SignalRecord, SignalStatus
from mats.domain.signals.signal import Signal
from mats.domain.strategies import Strategy, StrategyFilter
from mats.domain.users import Access, User
from mats.errors import ConflictError, NotFoundError, TemporaryError, ValidationError
from mats.ports import (
    CountedIn,
    DecisionSupersededError,
    Duplicate,
    Recorded,
    SendFacts,
    StoredDecision,
    UserPage,
    WebhookContext,
)
from mats.services.alerts import AlertService, AlertSettings
from tests.builders import an_account


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
    """Senders and their name claims; ``legacy`` holds documents still keeping signing keys."""

    def __init__(self) -> None:
        self.senders: dict[str, Sender] = {}
        self.names: dict[str, str] = {}
        self.legacy: dict[str, LegacySender] = {}
        self._lock = threading.Lock()

    def get(self, sender_id: str) -> Sender | None:
        return self.senders.get(sender_id)

    def create(self, sender: Sender) -> str | None:
        with self._lock:
            if sender.sender_id in self.senders:
                raise ConflictError(sender.sender_id)
            holder = self.names.setdefault(normalized_name(sender.name), sender.sender_id)
            if holder != sender.sender_id:
                return holder
            self.senders[sender.sender_id] = sender
            return None

    def claim_name(self, sender: Sender) -> str:
        with self._lock:
            return self.names.setdefault(normalized_name(sender.name), sender.sender_id)

    def save(self, sender: Sender) -> None:
        self.senders[sender.sender_id] = sender
        self.legacy.pop(sender.sender_id, None)

    def list(self) -> Sequence[Sender]:
        return sorted(self.senders.values(), key=lambda sender: sender.sender_id)

    def legacy_senders(self) -> Sequence[LegacySender]:
        return list(self.legacy.values())


class InMemorySecretStore:
    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.reads: list[str] = []

    def get(self, name: str) -> str | None:
        self.reads.append(name)
        return self.secrets.get(name)

    def put(self, name: str, value: str) -> None:
        self.secrets[name] = value

    def delete(self, name: str) -> None:
        self.secrets.pop(name, None)


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

    def delete(self, strategy_id: str) -> None:
        self.strategies.pop(strategy_id, None)

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
    """Decisions keyed by signal id, created once, each claiming its account's next sequence.

    ``inputs`` are the documents a test sets; the orders recorded decisions created and each
    account's decision sequence are kept here, as the Firestore store keeps them. ``meanwhile``
    runs once inside the next ``record`` (before it claims), to slip a concurrent decision in.
    """

    def __init__(self, inputs: DecisionInputs) -> None:
        self.inputs = inputs
        self.decisions: dict[str, StoredDecision] = {}
        self.orders: dict[str, OrderRecord] = {}
        self.sequences: dict[str, int] = {}
        self.superseded = 0
        self.meanwhile: Callable[[], object] | None = None

    def inputs_for(self, signal: Signal) -> tuple[DecisionInputs, StoredDecision | None]:
        inputs = dataclasses.replace(
            self.inputs,
            orders=(*self.inputs.orders, *self.orders.values()),
            sequence=self.sequences.get(signal.account, 0),
        )
        return inputs, self.decisions.get(signal.id)

    def record(self, decision: Decision, messages: Sequence[EncodedMessage]) -> StoredDecision:
        if decision.signal_id in self.decisions:
            return self.decisions[decision.signal_id]
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None:
            meanwhile()
        if decision.sequence is not None:
            if decision.sequence <= self.sequences.get(decision.account, 0):
                self.superseded += 1
                raise DecisionSupersededError(f"sequence {decision.sequence} is taken")
            self.sequences[decision.account] = decision.sequence
        for order in decision.orders:
            self.orders[order.id] = new_record(order, decision.decided_at)
        stored = StoredDecision(decision, tuple(messages), published=False)
        self.decisions[decision.signal_id] = stored
        return stored

    def mark_published(self, decision: Decision, message_ids: Sequence[str], at: datetime) -> None:
        stored = self.decisions[decision.signal_id]
        self.decisions[decision.signal_id] = dataclasses.replace(stored, published=True)

    def get(self, signal_id: str) -> StoredDecision | None:
        return self.decisions.get(signal_id)


class InMemoryAccountStore:
    """Account snapshots by name; ``names`` start known, each with the builder's defaults."""

    def __init__(self, *names: str) -> None:
        self.accounts: dict[str, AccountState] = {}
        for name in names:
            self.put_account(an_account(account=name))

    def put_account(self, account: AccountState) -> None:
        self.accounts[account.account] = account

    def list_accounts(self) -> Sequence[AccountState]:
        return [self.accounts[name] for name in sorted(self.accounts)]


class InMemoryAlertStore:
    def __init__(self) -> None:
        self.alerts: dict[str, Alert] = {}

    def create_alert(self, alert: Alert) -> bool:
        if alert.alert_id in self.alerts:
            return False
        self.alerts[alert.alert_id] = alert
        return True

    def mark_notified(self, alert: Alert, at: datetime) -> None:
        stored = self.alerts.get(alert.alert_id, alert)
        self.alerts[alert.alert_id] = stored.notified(at)

    def acknowledge(self, alert_id: str, *, by: str, at: datetime) -> Alert | None:
        stored = self.alerts.get(alert_id)
        if stored is None:
            return None
        self.alerts[alert_id] = stored.acknowledge(by, at)
        return self.alerts[alert_id]

    def get_alert(self, alert_id: str) -> Alert | None:
        return self.alerts.get(alert_id)

    def list_alerts(self, *, limit: int, outstanding: bool = False) -> Sequence[Alert]:
        found = [a for a in self.alerts.values() if a.outstanding or not outstanding]
        return sorted(found, key=lambda a: a.created_at, reverse=True)[:limit]


class InMemoryPortfolio:
    """Backtests, allocations, the activation log, runs and jobs, with create-once semantics."""

    def __init__(self) -> None:
        self.backtests: dict[str, BacktestRecord] = {}
        self.allocations: dict[str, Allocation] = {}
        self.activations: dict[int, Activation] = {}
        self.claims: dict[date, str] = {}
        self.request_claims: dict[tuple[str, int], datetime] = {}
        self.runs: dict[str, OptimizationRun] = {}
        self.sandboxes: dict[str, SandboxRun] = {}
        self.jobs: dict[str, BacktestJob] = {}
        self.settings: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def put_backtest(self, record: BacktestRecord) -> None:
        self.backtests[record.summary.strategy_id] = record

    def backtest_summaries(self) -> Sequence[BacktestSummary]:
        return [self.backtests[k].summary for k in sorted(self.backtests)]

    def backtest_summary(self, strategy_id: str) -> BacktestSummary | None:
        record = self.backtests.get(strategy_id)
        return record.summary if record else None

    def backtest_series(self, strategy_ids: Sequence[str]) -> Mapping[str, BacktestSeries]:
        return {i: self.backtests[i].series for i in strategy_ids if i in self.backtests}

    def create_allocation(self, allocation: Allocation) -> None:
        with self._lock:
            if allocation.allocation_id in self.allocations:
                raise ConflictError(allocation.allocation_id)
            self.allocations[allocation.allocation_id] = allocation

    def put_allocation(self, allocation: Allocation) -> None:
        self.allocations[allocation.allocation_id] = allocation

    def put_allocations(self, allocations: Sequence[Allocation]) -> None:
        for allocation in allocations:
            self.put_allocation(allocation)

    def get_allocation(self, allocation_id: str) -> Allocation | None:
        return self.allocations.get(allocation_id)

    def list_allocations(self, *, limit: int, before: str | None = None) -> Sequence[Allocation]:
        ordered = sorted(
            self.allocations.values(), key=lambda a: (a.created_at, a.allocation_id), reverse=True
        )
        if before is not None:
            ids = [a.allocation_id for a in ordered]
            ordered = ordered[ids.index(before) + 1 :] if before in ids else []
        return ordered[:limit]

    def allocations_with_status(self, status: AllocationStatus) -> Sequence[Allocation]:
        return [a for a in self.list_allocations(limit=10_000) if a.status is status]

    def head(self) -> Activation | None:
        return self.activations[max(self.activations)] if self.activations else None

    def append_activation(self, activation: Activation) -> None:
        with self._lock:
            if activation.sequence in self.activations:
                raise ConflictError(f"activation {activation.sequence} is taken")
            self.activations[activation.sequence] = activation

    def claim_run_date(self, run_date: date, run_id: str) -> str | None:
        with self._lock:
            holder = self.claims.get(run_date)
            if holder is None:
                self.claims[run_date] = run_id
            return holder

    def release_run_date(self, run_date: date, run_id: str) -> None:
        self.claims[run_date] = run_id

    def claim_run_request(self, request_id: str, attempt: int, at: datetime) -> datetime | None:
        with self._lock:
            claimed = self.request_claims.get((request_id, attempt))
            if claimed is None:
                self.request_claims[(request_id, attempt)] = at
            return claimed

    def request_runs(self, request_id: str) -> Sequence[OptimizationRun]:
        return [run for run in self.runs.values() if run.request_id == request_id]

    def create_run(self, run: OptimizationRun) -> None:
        with self._lock:
            if run.run_id in self.runs:
                raise ConflictError(run.run_id)
            self.runs[run.run_id] = run

    def put_run(self, run: OptimizationRun) -> None:
        self.runs[run.run_id] = run

    def get_run(self, run_id: str) -> OptimizationRun | None:
        return self.runs.get(run_id)

    def list_runs(self, *, limit: int) -> Sequence[OptimizationRun]:
        return sorted(self.runs.values(), key=lambda r: r.created_at, reverse=True)[:limit]

    def put_sandbox(self, run: SandboxRun) -> None:
        self.sandboxes[run.sandbox_id] = run

    def get_sandbox(self, sandbox_id: str) -> SandboxRun | None:
        return self.sandboxes.get(sandbox_id)

    def sandbox_page(
        self, *, limit: int, after: str | None = None
    ) -> tuple[list[SandboxRun], str | None]:
        if after is not None and after not in self.sandboxes:
            raise ValidationError("cursor", "is not a cursor of this list")
        newest = sorted((i for i in self.sandboxes if after is None or i < after), reverse=True)
        following = newest[limit - 1] if len(newest) > limit else None
        return [self.sandboxes[i] for i in newest[:limit]], following

    def put_job(self, job: BacktestJob) -> None:
        self.jobs[job.job_id] = job

    def get_job(self, job_id: str) -> BacktestJob | None:
        return self.jobs.get(job_id)

    def optimizer_settings(self) -> dict[str, Any] | None:
        return self.settings

    def put_optimizer_settings(self, settings: Mapping[str, Any]) -> None:
        self.settings = dict(settings)


class InMemoryExecutionStore:
    """The bridge's records in memory: orders, claims, fills (applied/published), positions,
    and the quotes it reads before a send."""

    def __init__(self) -> None:
        self.orders: dict[str, OrderRecord] = {}
        self.claims: dict[str, datetime] = {}
        self.fills: dict[str, Fill] = {}
        self.applied: set[str] = set()
        self.published: set[str] = set()
        self.positions: dict[tuple[str, str, str], StrategyPosition] = {}
        self.risk: dict[str, RiskSetting] = {}
        self.quotes: dict[str, Quote] = {}

    def put_quote(self, quote: Quote) -> None:
        self.quotes[quote.symbol] = quote

    def send_facts(self, order: Order) -> SendFacts:
        same = (order.account, order.strategy_id, order.symbol)
        return SendFacts(
            self.risk.get(GLOBAL_SCOPE),
            self.risk.get(strategy_scope(order.strategy_id)),
            self.positions.get(same),
            tuple(
                r
                for r in self.orders.values()
                if not r.state.ended
                and (r.order.account, r.order.strategy_id, r.order.symbol) == same
            ),
            self.quotes.get(order.symbol),
        )

    def order(self, order_id: str) -> OrderRecord | None:
        return self.orders.get(order_id)

    def put_order(self, record: OrderRecord) -> None:
        self.orders[record.order_id] = record

    def active_orders(self) -> Sequence[OrderRecord]:
        return [r for r in self.orders.values() if not r.state.ended]

    def claim_submission(self, order_id: str, at: datetime) -> datetime | None:
        if order_id in self.claims:
            return self.claims[order_id]
        self.claims[order_id] = at
        return None

    def release_claim(self, order_id: str) -> None:
        self.claims.pop(order_id, None)

    def record_fill(self, fill: Fill) -> bool:
        if fill.id in self.fills:
            return False
        self.fills[fill.id] = fill
        return True

    def apply_fill(self, fill: Fill, position: StrategyPosition) -> None:
        self.positions[(position.account, position.strategy_id, position.symbol)] = position
        self.applied.add(fill.id)

    def unapplied_fills(self) -> Sequence[Fill]:
        return [f for f in self.fills.values() if f.id not in self.applied]

    def mark_fill_published(self, execution_id: str) -> None:
        self.published.add(execution_id)

    def unpublished_fills(self) -> Sequence[Fill]:
        return [f for f in self.fills.values() if f.id not in self.published]

    def position(self, account: str, strategy_id: str, symbol: str) -> StrategyPosition | None:
        return self.positions.get((account, strategy_id, symbol))

    # The PositionStore side, as the trading state offers it to reconciliation.
    def put_position(self, position: StrategyPosition) -> None:
        self.positions[(position.account, position.strategy_id, position.symbol)] = position

    def list_positions(
        self, *, account: str | None, strategy_id: str | None
    ) -> Sequence[StrategyPosition]:
        return [
            p
            for p in self.positions.values()
            if (account is None or p.account == account)
            and (strategy_id is None or p.strategy_id == strategy_id)
        ]


class InMemoryRecords:
    """The accounting's record store: documents kept as Firestore keeps them (primitives with
    native datetimes), so what a test reads back went through the same codec."""

    OPERATORS: Mapping[str, Callable[[Any, Any], bool]] = {
        "==": lambda have, want: have == want,
        "<": lambda have, want: have < want,
        "<=": lambda have, want: have <= want,
        ">": lambda have, want: have > want,
        ">=": lambda have, want: have >= want,
        "in": lambda have, want: have in want,
    }

    def __init__(self) -> None:
        self.collections: dict[str, dict[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def _kept(self, collection: str) -> dict[str, dict[str, Any]]:
        return self.collections.setdefault(collection, {})

    def get(self, collection: str, document_id: str, cls: type[Any]) -> Any:
        found = self._kept(collection).get(document_id)
        return None if found is None else from_primitive(cls, dict(found))

    def get_many(self, collection: str, document_ids: Sequence[str], cls: type[Any]) -> list[Any]:
        found = [self.get(collection, d, cls) for d in dict.fromkeys(document_ids)]
        return [value for value in found if value is not None]

    def put(self, collection: str, document_id: str, value: Any) -> None:
        self._kept(collection)[document_id] = to_primitive(value, native_datetimes=True)

    def put_all(self, collection: str, items: Sequence[tuple[str, Any]]) -> None:
        for document_id, value in items:
            self.put(collection, document_id, value)

    def create(self, collection: str, document_id: str, value: Any) -> bool:
        with self._lock:
            if document_id in self._kept(collection):
                return False
            self.put(collection, document_id, value)
            return True

    def create_counted(
        self, collection: str, document_id: str, value: Any, *, counter: CountedIn[Any]
    ) -> bool:
        with self._lock:
            if document_id in self._kept(collection):
                return False
            current = self.get(counter.collection, counter.document_id, counter.cls)
            self.put(collection, document_id, value)
            self.put(counter.collection, counter.document_id, counter.count(current))
            return True

    def delete(self, collection: str, document_id: str) -> None:
        self._kept(collection).pop(document_id, None)

    def list(
        self,
        collection: str,
        cls: type[Any],
        *,
        filters: Sequence[tuple[str, str, Any]] = (),
        order_by: str | None = None,
        descending: bool = False,
        limit: int | None = None,
    ) -> list[Any]:
        documents = list(self._kept(collection).values())
        for field, operator, want in filters:
            test, wanted = self.OPERATORS[operator], to_primitive(want, native_datetimes=True)
            documents = [d for d in documents if field in d and test(d[field], wanted)]
        if order_by is not None:
            documents = [d for d in documents if d.get(order_by) is not None]
            documents.sort(key=lambda d: d[order_by], reverse=descending)
        return [from_primitive(cls, dict(d)) for d in documents[:limit]]


class RecordingNotifier:
    """Records what would reach people; ``failing`` makes every send fail (Telegram down)."""

    def __init__(self) -> None:
        self.sent: list[Alert] = []
        self.failing = False

    def notify(self, alert: Alert) -> bool:
        if self.failing:
            return False
        self.sent.append(alert)
        return True


def alert_service(
    clock: FakeClock, store: InMemoryAlertStore | None = None, **settings: Any
) -> tuple[AlertService, InMemoryAlertStore, RecordingNotifier]:
    """The real alert service over an in-memory store and a recording notifier."""
    store = store or InMemoryAlertStore()
    notifier = RecordingNotifier()
    return AlertService(store, notifier, clock, AlertSettings(**settings)), store, notifier


class InMemoryUserDirectory:
    """Users as an identity provider keeps them; ``writes`` counts every change made."""

    def __init__(self, clock: FakeClock) -> None:
        self.users: dict[str, User] = {}
        self.passwords: dict[str, str] = {}
        self.writes = 0
        self._clock = clock
        self._uids = itertools.count(1)

    def create(
        self,
        email: str,
        password: str,
        access: Access,
        *,
        display_name: str | None = None,
        email_verified: bool = False,
    ) -> User:
        if self.get(email) is not None:
            raise ConflictError(f"{email} already belongs to a user", field="email")
        uid = f"uid-{next(self._uids)}"
        self.users[uid] = User(
            uid, email, display_name, False, email_verified, access, created_at=self._clock.now()
        )
        self.passwords[uid] = password
        self.writes += 1
        return self.users[uid]

    def get(self, user: str) -> User | None:
        if "@" not in user:
            return self.users.get(user)
        return next((u for u in self.users.values() if u.email == user), None)

    def page(self, page_token: str | None = None, size: int = 1000) -> UserPage:
        ordered = sorted(self.users)
        start = ordered.index(page_token) if page_token else 0
        following = ordered[start + size] if start + size < len(ordered) else None
        return UserPage([self.users[uid] for uid in ordered[start : start + size]], following)

    def set_access(self, user: str, access: Access) -> User:
        return self._change(user, access=access, tokens_valid_after=self._clock.now())

    def set_disabled(self, user: str, disabled: bool) -> User:
        if disabled:
            return self._change(user, disabled=True, tokens_valid_after=self._clock.now())
        return self._change(user, disabled=False)

    def _change(self, user: str, **changes: Any) -> User:
        found = self.get(user)
        if found is None:
            raise NotFoundError(f"no user {user!r}")
        self.users[found.uid] = dataclasses.replace(found, **changes)
        self.writes += 1
        return self.users[found.uid]
