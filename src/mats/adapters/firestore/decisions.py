"""Cerebro's reads and writes: the facts of a decision in three rounds of reads, then one batch.

The store returns facts (documents, every account of the fund, the newest activation, the
fund's working orders, the strategy's positions, every FX rate, the accounting's day P&L of the
strategy); the domain derives the ACTIVE allocation, the fund's equity, today's P&L and the
exposure from them. The activation log is read on every signal, so an approval applies to
the very next one.

One batch records a decision: ``decision_sequence/{account}__{n}`` (the claim that serialises
the account's decisions: of two decisions that read the same state only the first to write
stands, the other is decided again on fresh facts), then ``decisions/{signal_id}`` (created once:
a redelivered signal finds it and only re-publishes its stored messages), ``orders/{order_id}``
(state NEW), the decision's alerts and an automatic risk change.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from mats.adapters.firestore.documents import (
    BACKTESTS,
    DECISION_SEQUENCE,
    DECISIONS,
    ORDERS,
    STRATEGIES,
    STRATEGY_DAY_PNL,
    Documents,
    from_document,
    to_document,
    translated_errors,
)
from mats.adapters.firestore.trading import (
    FirestoreTradingState,
    alert_document,
    backtest_facts,
)
from mats.contracts import EncodedMessage
from mats.domain.accounting import AccountState
from mats.domain.accounting.daily import StrategyDayPnl
from mats.domain.alerts import from_draft
from mats.domain.cerebro.context import DecisionInputs
from mats.domain.cerebro.decisions import Decision
from mats.domain.execution.records import OrderRecord, new_record
from mats.domain.execution.states import OrderState
from mats.domain.risk import GLOBAL_SCOPE, strategy_scope
from mats.domain.signals.signal import Signal
from mats.domain.strategies import Strategy
from mats.domain.trading import TradingMode
from mats.ports import DecisionSupersededError, PortfolioStore, StoredDecision

_OUTBOX_FIELDS = ("messages", "outbox_state", "message_ids", "published_at")


class FirestoreDecisionStore:
    def __init__(
        self, client: firestore.Client, state: FirestoreTradingState, portfolio: PortfolioStore
    ) -> None:
        self._client = client
        self._state = state
        self._portfolio = portfolio
        self._decisions = client.collection(DECISIONS)
        self._orders = client.collection(ORDERS)
        self._sequences = client.collection(DECISION_SEQUENCE)
        self._day_pnl = Documents(client, STRATEGY_DAY_PNL, StrategyDayPnl)
        # Orders as records: the query fields copied to the top are left out when read.
        self._order_pages = Documents(client, ORDERS, OrderRecord)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def inputs_for(self, signal: Signal) -> tuple[DecisionInputs, StoredDecision | None]:
        """Read the decision's facts in three rounds of concurrent requests.

        Round 1: the signal's documents, every account, the newest activation, the account's
        decision sequence and every FX rate; round 2: the orders; round 3: the positions. The
        account's decision sequence is read before its orders, and its orders before the
        strategy's positions: a decision that claimed the sequence wrote its orders with the
        claim, and the bridge writes a fill to the position before it marks the order filled,
        so a fill in between is counted twice (safe), never missed.
        """
        pool = self._executor()
        documents = pool.submit(self._documents, signal)
        accounts = pool.submit(self._state.accounts.where)
        head = pool.submit(self._portfolio.head)
        sequence = pool.submit(self._sequence, signal.account)
        rates = pool.submit(self._state.fx_rates.where)
        found = documents.result()
        fund = tuple(accounts.result())
        account = next((a for a in fund if a.account == signal.account), None)
        orders = self._orders_of(pool, signal.account, account)
        positions = self._state.positions.where([("strategy_id", "==", signal.strategy_id)])
        inputs = DecisionInputs(
            strategy=found["strategy"],
            account=account,
            instrument=found["instrument"],
            accounts=fund,
            activation=head.result(),
            positions=tuple(positions),
            orders=orders,
            quote=found["quote"],
            fx_rates=tuple(rates.result()),
            backtest=found["backtest"],
            risk_global=found["risk_global"],
            risk_strategy=found["risk_strategy"],
            day_pnl=found["day_pnl"],
            sequence=sequence.result(),
        )
        return inputs, found["decision"]

    def record(self, decision: Decision, messages: Sequence[EncodedMessage]) -> StoredDecision:
        reference = self._decisions.document(decision.signal_id)
        batch = self._client.batch()
        # The sequence claim comes first, then the decision: if either exists, the emulator
        # applies nothing after it (DESIGN.md §6), and Firestore applies nothing at all.
        if decision.sequence is not None:
            batch.create(
                self._sequences.document(sequence_id(decision.account, decision.sequence)),
                {
                    "account": decision.account,
                    "sequence": decision.sequence,
                    "signal_id": decision.signal_id,
                    "strategy_id": decision.strategy_id,
                    "decided_at": decision.decided_at,
                },
            )
        batch.create(reference, {**to_document(decision), **_outbox(messages)})
        for order in decision.orders:
            record = new_record(order, decision.decided_at)
            batch.create(self._orders.document(order.id), order_document(record))
        for draft in decision.alerts:
            alert = from_draft(
                draft,
                signal_id=decision.signal_id,
                strategy_id=decision.strategy_id,
                at=decision.decided_at,
            )
            batch.set(self._state.alerts.ref(alert.alert_id), alert_document(alert))
        if decision.risk_change is not None:
            change = decision.risk_change
            batch.set(self._state.risk.ref(change.scope), to_document(change))
        try:
            with translated_errors("recording a decision"):
                batch.commit()
        except AlreadyExists:
            earlier = self.get(decision.signal_id)
            if earlier is not None:
                return earlier
            raise DecisionSupersededError(
                f"decision {decision.sequence} on {decision.account} was taken by another signal"
            ) from None
        return StoredDecision(decision, tuple(messages), published=False)

    def mark_published(self, decision: Decision, message_ids: Sequence[str], at: datetime) -> None:
        batch = self._client.batch()
        batch.update(
            self._decisions.document(decision.signal_id),
            {"outbox_state": "PUBLISHED", "message_ids": list(message_ids), "published_at": at},
        )
        for order in decision.orders:
            batch.update(self._orders.document(order.id), {"published_at": at})
        with translated_errors("marking orders published"):
            batch.commit()

    def get(self, signal_id: str) -> StoredDecision | None:
        with translated_errors("reading a decision"):
            snapshot = self._decisions.document(signal_id).get()
        return _stored(snapshot.to_dict()) if snapshot.exists else None

    def get_many(self, signal_ids: Sequence[str]) -> Sequence[StoredDecision]:
        references = [
            self._decisions.document(signal_id) for signal_id in dict.fromkeys(signal_ids)
        ]
        if not references:
            return []
        with translated_errors("reading decisions"):
            snapshots = list(self._client.get_all(references))
        return [_stored(snapshot.to_dict()) for snapshot in snapshots if snapshot.exists]

    def list_orders(
        self, *, strategy_id: str | None, account: str | None, limit: int
    ) -> Sequence[OrderRecord]:
        found, _ = self.orders_page(strategy_id=strategy_id, account=account, limit=limit)
        return found

    def orders_page(
        self,
        *,
        strategy_id: str | None,
        account: str | None = None,
        state: OrderState | None = None,
        limit: int,
        after: str | None = None,
    ) -> tuple[list[OrderRecord], str | None]:
        filters = [
            (field, "==", value)
            for field, value in (
                ("strategy_id", strategy_id),
                ("account", account),
                ("state", state.value if state else None),
            )
            if value is not None
        ]
        return self._order_pages.page(
            filters, order_by="decided_at", descending=True, limit=limit, after=after
        )

    def list(self, *, strategy_id: str | None, limit: int) -> Sequence[StoredDecision]:
        query: Any = self._decisions
        if strategy_id is not None:
            query = query.where(filter=firestore.FieldFilter("strategy_id", "==", strategy_id))
        query = query.order_by("decided_at", direction=firestore.Query.DESCENDING).limit(limit)
        with translated_errors("listing decisions"):
            return [_stored(snapshot.to_dict()) for snapshot in query.stream()]

    def _documents(self, signal: Signal) -> dict[str, Any]:
        state = self._state
        symbol_key = signal.symbol.replace("/", "_")
        references = {
            "decision": self._decisions.document(signal.id),
            "strategy": self._client.collection(STRATEGIES).document(signal.strategy_id),
            "instrument": state.instruments.ref(symbol_key),
            "quote": state.quotes.ref(symbol_key),
            "risk_global": state.risk.ref(GLOBAL_SCOPE),
            "risk_strategy": state.risk.ref(strategy_scope(signal.strategy_id)),
            "backtest": self._client.collection(BACKTESTS).document(signal.strategy_id),
            "day_pnl": self._day_pnl.ref(signal.strategy_id),
        }
        with translated_errors("reading the decision inputs"):
            by_path = {s.reference.path: s for s in self._client.get_all(list(references.values()))}
        snapshots = {name: by_path[ref.path] for name, ref in references.items()}
        backtest = snapshots["backtest"]
        decision = snapshots["decision"]
        return {
            "decision": _stored(decision.to_dict()) if decision.exists else None,
            "strategy": _parse(Strategy, snapshots["strategy"]),
            "instrument": state.instruments.parse(snapshots["instrument"]),
            "quote": state.quotes.parse(snapshots["quote"]),
            "risk_global": state.risk.parse(snapshots["risk_global"]),
            "risk_strategy": state.risk.parse(snapshots["risk_strategy"]),
            "day_pnl": self._day_pnl.parse(snapshots["day_pnl"]),
            "backtest": backtest_facts(signal.strategy_id, backtest.to_dict())
            if backtest.exists
            else None,
        }

    def _sequence(self, account: str) -> int:
        """The account's newest decision sequence (0 before its first decision)."""
        query = (
            self._sequences.where(filter=firestore.FieldFilter("account", "==", account))
            .order_by("sequence", direction=firestore.Query.DESCENDING)
            .limit(1)
        )
        with translated_errors("reading the decision sequence"):
            newest = [snapshot.get("sequence") for snapshot in query.stream()]
        return int(newest[0]) if newest else 0

    def _orders_of(
        self, pool: ThreadPoolExecutor, account: str, state: AccountState | None
    ) -> tuple[OrderRecord, ...]:
        """The fund's orders not yet ended (the fund's margin counts them), and the account's
        LIVE orders changed since the broker's snapshot of it (their fills may not be in its
        margin yet; a paper fill never is, and an account set by hand has no broker to catch
        up)."""
        on_account = self._orders.where(filter=firestore.FieldFilter("account", "==", account))
        queries = [self._orders.where(filter=firestore.FieldFilter("active", "==", True))]
        if state is not None and state.source not in MANUAL_SOURCES:
            live = firestore.FieldFilter("trading_mode", "==", TradingMode.LIVE.value)
            since = firestore.FieldFilter("updated_at", ">=", state.updated_at)
            queries.append(on_account.where(filter=live).where(filter=since))
        futures = [pool.submit(_stream_orders, query) for query in queries]
        by_id = {record.order_id: record for future in futures for record in future.result()}
        return tuple(by_id[order_id] for order_id in sorted(by_id))

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=5, thread_name_prefix="cerebro-read")
            return self._pool


# Copied to the top of an order document: the emulator cannot query fields inside a map.
ORDER_QUERY_FIELDS = ("strategy_id", "account", "symbol", "trading_mode")


def order_document(record: OrderRecord) -> dict[str, Any]:
    """An order's document: the record, plus its query fields at the top level."""
    order = record.order
    return {
        **to_document(record),
        **{name: getattr(order, name) for name in ORDER_QUERY_FIELDS},
        "active": not record.state.ended,
    }


def order_record(document: dict[str, Any] | None) -> OrderRecord:
    data = {k: v for k, v in (document or {}).items() if k not in (*ORDER_QUERY_FIELDS, "active")}
    return from_document(OrderRecord, data)


# Accounts recorded by `mats accounts set` rather than reported by a venue.
MANUAL_SOURCES = frozenset({"cli", "manual"})


def sequence_id(account: str, sequence: int) -> str:
    return f"{account}__{sequence:012d}"


def _stream_orders(query: Any) -> list[OrderRecord]:
    with translated_errors("listing the account's orders"):
        return [order_record(snapshot.to_dict()) for snapshot in query.stream()]


def _outbox(messages: Sequence[EncodedMessage]) -> dict[str, Any]:
    return {
        "messages": [
            {
                "topic": m.topic,
                "data": m.data.decode(),
                "attributes": m.attributes,
                "ordering_key": m.ordering_key,
            }
            for m in messages
        ],
        "outbox_state": "PENDING",
        "message_ids": [],
        "published_at": None,
    }


def _stored(document: dict[str, Any] | None) -> StoredDecision:
    data = dict(document or {})
    outbox = {name: data.pop(name, None) for name in _OUTBOX_FIELDS}
    messages = tuple(
        EncodedMessage(m["topic"], m["data"].encode(), dict(m["attributes"]), m["ordering_key"])
        for m in outbox["messages"] or ()
    )
    decision = from_document(Decision, data)
    return StoredDecision(decision, messages, published=outbox["outbox_state"] == "PUBLISHED")


def _parse(cls: type[Strategy], snapshot: Any) -> Strategy | None:
    return from_document(cls, snapshot.to_dict()) if snapshot.exists else None
