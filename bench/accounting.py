"""Accounting read models with 100x the history, and the aggregation's cost per fill.

Two isolated accountings (two Firestore projects on one emulator) of the same shape: one with a
history of ``--days`` days (30) and one with ``--scale`` (100) times as many (3,000 days, about
8 years). Each day of either: 9 live fills on two accounts (USD and EUR) for three strategies of
two senders (round trips in AAPL, ES and SAP, partial fills, an MSFT position held overnight,
commissions), 4 account updates per account with the broker's marks and IB's EURUSD, the
trading day's start (the 00:00 hourly job), a 21:00 snapshot and a 22:00 NAV strike; three
clients, a deposit on the 10th and a withdrawal on the 20th of every month (paid on the 22nd),
every month's crystallisation on the 1st and its payouts marked paid on the 3rd. Both end on the
same day.

The history is made by the real ``AccountingService`` and written in batches: the service runs
over in-memory stores (``MemoryLedger``, ``MemoryRecords``) that keep what the Firestore adapters
keep; each fill is booked by ``booking.book`` and each account update kept by
``record_account`` (``on_fill``/``on_account`` without the read-model refresh that the next
message redoes anyway), the scheduled work runs as the Scheduler calls it (``snapshot``,
``strike``, ``crystallise``, the flows and payments), except that the daily strikes leave the
clients' views (an XIRR over each client's flows) to the last one. The documents are then written
to the emulator in the adapters' layout (``check_load`` reads them back through the adapter), and
the last day's snapshot and strike, which rewrite every read model, run on Firestore through the
real service.

Then, on Firestore, interleaved (small, big, big, small, ...) and in rotated order, each read
the CLI and dashboard use is timed ``--rounds`` times; the table gives medians and the ratio
big / small, and the run fails (exit 1) if a gated read's ratio exceeds 1.5. NAV history is one
page per year: both read the current year's page, which holds 30 strikes in the small
accounting and a full year's (349) in the big one, the most a page ever holds. Then ``on_fill``
(booking, execution quality, the refresh of every read model) is timed ``--fills`` times per
size on the next trading day, interleaved, with every Firestore call it makes counted (calls,
documents, time per collection): what grows with the history is listed.

The emulator is the local stack's (``src/mats/localstack/firestore_emulator.js``, no data kept),
with ``bench/firestore_fast_create.js`` preloaded: the npm emulator copies a collection's whole
record on every new document, which makes loading the history quadratic (``--stock-emulator``
runs without it; reads are the same, creating a document in a big collection is not).

    .venv/bin/python bench/accounting.py [--days 30] [--scale 100] [--rounds 200] [--fills 15]
        [--out .mats/bench/accounting.json]
"""

from __future__ import annotations

import argparse
import functools
import json
import operator
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from bisect import bisect_right, insort
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

from mats.adapters.firestore.documents import FX_HISTORY, SIGNALS, to_document
from mats.adapters.firestore.ledger import (
    ACCOUNT_HISTORY,
    ACCOUNT_LATEST,
    LEDGER_FILLS,
    LEDGERS,
    SIGNAL_PNL,
    MarkedAccount,
)
from mats.adapters.firestore.records import BATCH_LIMIT
from mats.bootstrap import bootstrap
from mats.codec import to_primitive
from mats.contracts import encode, to_message
from mats.domain.accounting import AccountState
from mats.domain.accounting.lots import LotFill
from mats.domain.accounting.views import BrokerMark, LedgerRecord, SignalPnl
from mats.domain.market import FxRate, Quote
from mats.domain.orders import Fill
from mats.domain.signals.records import OutboxState, SignalRecord, SignalStatus
from mats.domain.signals.signal import Signal
from mats.domain.trading import Intent, OrderPurpose, Side, TradingMode
from mats.services.accounting.service import AccountingService
from mats.settings.accounting import AccountingSettings

REPO = Path(__file__).resolve().parents[1]
EMULATOR_JS = REPO / "src" / "mats" / "localstack" / "firestore_emulator.js"
FAST_CREATE_JS = REPO / "bench" / "firestore_fast_create.js"
LIMIT = 1.5  # The most a gated read may cost with 100x the history, as a multiple.

END = date(2026, 12, 15)  # The last day of both histories (its year's NAV page is nearly full).
USD_ACCOUNT, EUR_ACCOUNT = "IB-USD", "IB-EUR"
CLIENTS = {
    "c1": ("Client One", 1_000_000),
    "c2": ("Client Two", 500_000),
    "c3": ("Client Three", 250_000),
}
SENDER_A, SENDER_B = "snd-a", "snd-b"
SENDER_OF = {"alpha": SENDER_A, "beta": SENDER_B}  # gamma's signals come from both, by turns


@dataclass(frozen=True)
class Leg:
    """One order of a day's plan: at ``hour``, filled in ``parts``."""

    hour: int
    strategy: str
    account: str
    symbol: str
    side: Side
    parts: tuple[str, ...]
    currency: str = "USD"
    fee: str = "1"
    multiplier: str = "1"


LEGS = (
    Leg(10, "alpha", "IB-USD", "AAPL", Side.BUY, ("60", "40")),
    Leg(11, "beta", "IB-USD", "ES", Side.BUY, ("2",), fee="4.50", multiplier="50"),
    Leg(12, "gamma", "IB-EUR", "SAP", Side.BUY, ("50",), currency="EUR", fee="1.5"),
    Leg(14, "alpha", "IB-USD", "MSFT", Side.BUY, ("30",)),  # held overnight
    Leg(15, "alpha", "IB-USD", "AAPL", Side.SELL, ("100",)),
    Leg(16, "beta", "IB-USD", "ES", Side.SELL, ("2",), fee="4.50", multiplier="50"),
    Leg(17, "gamma", "IB-EUR", "SAP", Side.SELL, ("50",), currency="EUR", fee="1.5"),
)


# In-memory stores: what the Firestore adapters keep, as objects -----------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


class MemoryLedger:
    """``LedgerStore`` in memory, with the Firestore adapter's semantics."""

    def __init__(self) -> None:
        self.fills: dict[str, LotFill] = {}
        self.applied: set[str] = set()
        self.by_ledger: dict[str, list[LotFill]] = defaultdict(list)
        self.records: dict[str, LedgerRecord] = {}
        self.signals: dict[str, SignalPnl] = {}
        self.senders: dict[str, str] = {}  # signal -> sender (the ``signals`` collection)
        self.history: dict[str, MarkedAccount] = {}  # account_history id -> update
        self.by_account: dict[str, list[MarkedAccount]] = defaultdict(list)
        self.latest: dict[str, MarkedAccount] = {}
        self.rates: list[FxRate] = []
        self.by_pair: dict[str, list[FxRate]] = defaultdict(list)
        self.fact_times: list[datetime] = []  # fills' executions and accounts' updates, sorted
        self._newest: datetime | None = None

    def add_rate(self, rate: FxRate) -> None:
        self.rates.append(rate)
        insort(self.by_pair[rate.pair], rate, key=lambda r: r.as_of)

    def create_fill(self, fill: LotFill) -> bool:
        if fill.execution_id in self.fills:
            return False
        self.fills[fill.execution_id] = fill
        self.by_ledger[fill.key.id].append(fill)
        insort(self.fact_times, fill.executed_at)
        self._newest = max(self._newest or fill.executed_at, fill.executed_at)
        return True

    def fill_applied(self, execution_id: str) -> bool:
        return execution_id in self.applied

    def mark_fill_applied(self, execution_id: str) -> None:
        self.applied.add(execution_id)

    def fills_of(self, ledger_id: str) -> Sequence[LotFill]:
        return list(self.by_ledger.get(ledger_id, ()))

    def fills_until(self, at: datetime) -> Sequence[LotFill]:
        return [f for f in self.fills.values() if f.executed_at <= at]

    def ledger(self, ledger_id: str) -> LedgerRecord | None:
        return self.records.get(ledger_id)

    def ledgers(self) -> Sequence[LedgerRecord]:
        return [self.records[k] for k in sorted(self.records)]

    def put_ledger(
        self, record: LedgerRecord, signals: Sequence[SignalPnl], stale: Sequence[str] = ()
    ) -> None:
        self.records[record.key.id] = record
        self.signals.update((s.signal_id, s) for s in signals)
        for signal_id in stale:
            self.signals.pop(signal_id, None)

    def put_signal_pnls(self, signals: Sequence[SignalPnl]) -> None:
        self.signals.update((s.signal_id, s) for s in signals)

    def signal_pnls(self, signal_ids: Sequence[str]) -> Sequence[SignalPnl]:
        return [self.signals[s] for s in dict.fromkeys(signal_ids) if s in self.signals]

    def signal_pnls_of(
        self, *, sender_id: str | None, strategy_id: str | None, limit: int
    ) -> Sequence[SignalPnl]:
        found = [
            s
            for s in self.signals.values()
            if (sender_id is None or s.sender_id == sender_id)
            and (strategy_id is None or s.strategy_id == strategy_id)
        ]
        return sorted(found, key=lambda s: (s.as_of, s.signal_id), reverse=True)[:limit]

    def sender_of(self, signal_id: str) -> str | None:
        return self.senders.get(signal_id)

    def record_account(self, state: AccountState, marks: Sequence[tuple[str, Decimal]]) -> bool:
        history_id = account_history_id(state)
        if history_id in self.history:
            return False
        kept = MarkedAccount(state, tuple(BrokerMark(s, p) for s, p in marks))
        self.history[history_id] = kept
        insort(self.by_account[state.account], kept, key=lambda k: k.state.updated_at)
        insort(self.fact_times, state.updated_at)
        current = self.latest.get(state.account)
        if current is None or current.state.updated_at < state.updated_at:
            self.latest[state.account] = kept
        return True

    def latest_accounts(self) -> Sequence[AccountState]:
        return [self.latest[a].state for a in sorted(self.latest)]

    def accounts_at(self, at: datetime) -> Sequence[AccountState]:
        return [kept.state for kept in self._marked_at(at)]

    def broker_marks(self, at: datetime | None) -> Sequence[tuple[str, Decimal, datetime, str]]:
        kept = [self.latest[a] for a in sorted(self.latest)] if at is None else self._marked_at(at)
        return [
            (mark.symbol, mark.price, account.state.updated_at, account.state.account)
            for account in kept
            for mark in account.marks
        ]

    def _marked_at(self, at: datetime) -> list[MarkedAccount]:
        found = []
        for account in sorted(self.latest):
            kept = self.by_account[account]
            index = bisect_right(kept, at, key=lambda k: k.state.updated_at)
            if index:
                found.append(kept[index - 1])
        return found

    def quotes(self) -> Sequence[Quote]:
        return []

    def fx_history(self) -> Sequence[FxRate]:
        return list(self.rates)

    def fx_rates_at(self, at: datetime) -> Sequence[FxRate]:
        found = []
        for kept in self.by_pair.values():
            index = bisect_right(kept, at, key=lambda r: r.as_of)
            if index:
                found.append(kept[index - 1])
        return found


class MemoryRecords:
    """``RecordStore`` in memory: filters, order and limit as a Firestore query gives them."""

    def __init__(self) -> None:
        self.collections: dict[str, dict[str, Any]] = defaultdict(dict)

    def get(self, collection: str, document_id: str, cls: type) -> Any:
        return self.collections[collection].get(document_id)

    def get_many(self, collection: str, document_ids: Sequence[str], cls: type) -> list[Any]:
        kept = self.collections[collection]
        return [kept[d] for d in dict.fromkeys(document_ids) if d in kept]

    def put(self, collection: str, document_id: str, value: Any) -> None:
        self.collections[collection][document_id] = value

    def put_all(self, collection: str, items: Sequence[tuple[str, Any]]) -> None:
        self.collections[collection].update(items)

    def create(self, collection: str, document_id: str, value: Any) -> bool:
        if document_id in self.collections[collection]:
            return False
        self.collections[collection][document_id] = value
        return True

    def delete(self, collection: str, document_id: str) -> None:
        self.collections[collection].pop(document_id, None)

    def list(
        self,
        collection: str,
        cls: type,
        *,
        filters: Sequence[tuple[str, str, Any]] = (),
        order_by: str | None = None,
        descending: bool = False,
        limit: int | None = None,
    ) -> list[Any]:
        kept = self.collections[collection]
        found = list(kept.values()) if order_by else [kept[k] for k in sorted(kept)]
        for name, symbol, value in filters:
            test = OPERATORS[symbol]
            found = [
                v for v in found if (f := getattr(v, name, None)) is not None and test(f, value)
            ]
        if order_by is not None:
            found = [v for v in found if getattr(v, order_by, None) is not None]
            key = operator.attrgetter(order_by)
            if limit == 1 and found:
                return [(max if descending else min)(found, key=key)]
            found.sort(key=key, reverse=descending)
        return found[:limit] if limit is not None else found


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class NoOrders:
    """No order records: execution quality reads the order and stops there (not measured yet:
    with orders it would also query the order's fills and each group's latest 500 orders)."""

    def order(self, order_id: str) -> None:
        return None


def account_history_id(state: AccountState) -> str:
    return f"{state.account}__{state.updated_at:%Y%m%dT%H%M%S%f}"


# The history: one shape per day ---------------------------------------------------------------


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, day_time(hour, minute, second), UTC)


@dataclass
class Desk:
    """Drives one accounting through its days, as the messages and the Scheduler would."""

    accounting: AccountingService
    ledger: Any
    clock: Clock
    signal_sink: Callable[[str, str, str], None]  # (signal, strategy, sender): a stored webhook
    rate_sink: Callable[[FxRate], None]
    equity: dict[str, Decimal] = field(default_factory=dict)
    prices: dict[str, Decimal] = field(default_factory=dict)
    open_symbols: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    eurusd: Decimal = Decimal("1.08")
    overnight: str | None = None  # the signal that opened the MSFT lot held overnight
    arriving: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    withdrawals: list[tuple[date, str]] = field(default_factory=list)  # (pay on, flow)
    unpaid_month: str | None = None
    fills: int = 0

    def move(self, when: datetime) -> None:
        self.clock.at = max(self.clock.at, when)

    def start(self, day: date) -> None:
        """The first day: the clients and their first deposits, the accounts' opening cash."""
        self.move(at(day, 8))
        total = sum(amount for _, amount in CLIENTS.values())
        self.equity = {USD_ACCOUNT: Decimal(total - 275_000), EUR_ACCOUNT: Decimal(250_000)}
        self.prices = {
            "AAPL": Decimal(190),
            "MSFT": Decimal(410),
            "ES": Decimal(5000),
            "SAP": Decimal(180),
        }
        for client_id, (name, amount) in CLIENTS.items():
            self.accounting.investors.create_client(client_id, name)
            self.accounting.investors.deposit(client_id, Decimal(amount))

    def day(self, day: date, *, scheduled: bool = True) -> None:
        """Every fact of ``day``; with ``scheduled``, also its snapshot and strike."""
        rng = random.Random(day.toordinal())  # noqa: S311 - prices, not secrets
        acc = self.accounting
        self.move(at(day, 0))
        acc.views.day_start(at(day, 0))  # The 00:00 hourly job: the trading day's baseline.
        if day.day == 1 and acc.investors.latest_strike() is not None:
            self.move(at(day, 0, 5))
            month = (day - timedelta(days=1)).strftime("%Y-%m")
            if acc.investors.last_strike_of(month) is not None:
                acc.crystallise(month)
                self.unpaid_month = month
        if day.day == 3 and self.unpaid_month:
            self.move(at(day, 0, 10))
            for payout in acc.payouts.payouts(month=self.unpaid_month):
                if payout.crystallisation.payable > 0 and payout.paid_at is None:
                    acc.payouts.mark_paid(payout.payout_id, reference="wire", by="bench")
            self.unpaid_month = None
        for key in self.prices:
            self.prices[key] = (self.prices[key] * Decimal(1 + rng.gauss(0, 0.01))).quantize(
                Decimal("0.01")
            )
        self.update_accounts(day, 9, rng)
        self.flows(day)
        self.trades(day, rng)
        if scheduled:
            self.update_accounts(day, 21, rng)
            self.move(at(day, 21, 0, 30))
            acc.snapshot(at(day, 21))
            self.move(at(day, 22, 0, 30))
            acc.strike(day)

    def update_accounts(self, day: date, hour: int, rng: random.Random) -> None:
        """Both accounts' states and marks, and IB's EURUSD (its ExchangeRate account value)."""
        self.move(at(day, hour))
        self.eurusd = (self.eurusd * Decimal(1 + rng.gauss(0, 0.001))).quantize(Decimal("0.00001"))
        self.rate_sink(FxRate("EUR", "USD", self.eurusd, at(day, hour), "ib"))
        for account, currency in ((USD_ACCOUNT, "USD"), (EUR_ACCOUNT, "EUR")):
            self.equity[account] += self.arriving.pop(account, Decimal(0))
            self.equity[account] = (
                self.equity[account] * Decimal(1 + rng.gauss(0, 0.001))
            ).quantize(Decimal("0.01"))
            marks = tuple((s, self.prices[s]) for s in sorted(self.open_symbols[account]))
            when = at(day, hour)
            self.move(when)
            self.ledger.record_account(
                AccountState(
                    account=account,
                    broker="ib",
                    base_currency=currency,
                    equity=self.equity[account],
                    cash=self.equity[account] * Decimal("0.6"),
                    margin_used=(self.equity[account] * Decimal("0.15")).quantize(Decimal("0.01")),
                    updated_at=when,
                    source="ib",
                ),
                marks,
            )

    def flows(self, day: date) -> None:
        investors = self.accounting.investors
        clients = sorted(CLIENTS)
        self.move(at(day, 9, 30))
        if day.day == 10:
            client = clients[day.month % 3]
            investors.deposit(client, Decimal(50_000))
            self.arriving[USD_ACCOUNT] += Decimal(50_000)
        if day.day == 20 and investors.latest_strike() is not None:
            client = clients[(day.month + 1) % 3]
            flow = investors.withdraw(client, amount=Decimal(20_000)).flow
            self.withdrawals.append((day + timedelta(days=2), flow.flow_id))
        for pay_on, flow_id in [w for w in self.withdrawals if w[0] <= day]:
            investors.pay(flow_id, reference="wire")
            self.arriving[USD_ACCOUNT] -= Decimal(20_000)
            self.withdrawals.remove((pay_on, flow_id))

    def trades(self, day: date, rng: random.Random) -> None:
        stamp = day.strftime("%Y%m%d")
        gamma_sender = SENDER_A if day.toordinal() % 2 else SENDER_B
        for number, leg in enumerate(LEGS):
            sender = gamma_sender if leg.strategy == "gamma" else SENDER_OF[leg.strategy]
            when = at(day, leg.hour)
            if leg.symbol == "MSFT" and self.overnight is not None:
                # Yesterday's MSFT lot is closed by its own exit signal before the new entry.
                closing = replace(leg, side=Side.SELL)
                self.fill(f"S{stamp}X", closing, sender, when - timedelta(minutes=1), rng)
            signal = f"S{stamp}{number:02d}"
            self.fill(signal, leg, sender, when, rng)
            if leg.side is Side.BUY:
                self.open_symbols[leg.account].add(leg.symbol)
            else:
                self.open_symbols[leg.account].discard(leg.symbol)
            if leg.symbol == "MSFT":
                self.overnight = signal
            if leg.hour in {12, 16}:
                self.update_accounts(day, leg.hour + 1, rng)

    def fill(self, signal: str, leg: Leg, sender: str, when: datetime, rng: random.Random) -> None:
        self.signal_sink(signal, leg.strategy, sender)
        for part, quantity in enumerate(leg.parts):
            executed = when + timedelta(seconds=20 * part)
            noise = Decimal(1 + rng.gauss(0, 0.0005))
            self.move(executed)
            self.book(
                Fill(
                    id=f"{signal}E{part}",
                    created_at=executed,
                    order_id=f"{signal}_ORD",
                    signal_id=signal,
                    strategy_id=leg.strategy,
                    account=leg.account,
                    broker="ib",
                    trading_mode=TradingMode.LIVE,
                    symbol=leg.symbol,
                    side=leg.side,
                    quantity=Decimal(quantity),
                    price=(self.prices[leg.symbol] * noise).quantize(Decimal("0.01")),
                    commission=Decimal(leg.fee),
                    currency=leg.currency,
                    executed_at=executed,
                    purpose=OrderPurpose.ENTRY if leg.side is Side.BUY else OrderPurpose.EXIT,
                    multiplier=Decimal(leg.multiplier),
                )
            )

    def book(self, fill: Fill) -> None:
        """What ``on_fill`` keeps (the read models are rewritten by the next refresh)."""
        self.accounting.booking.book(fill)
        self.accounting.quality.record(fill, self.ledger.sender_of(fill.signal_id))
        self.fills += 1


def settings() -> AccountingSettings:
    return AccountingSettings(base_currency="USD")


def make_history(days: int, end: date = END) -> tuple[MemoryLedger, MemoryRecords, Clock, Desk]:
    """Every day up to ``end`` in memory; ``end`` without its snapshot and strike."""
    first = end - timedelta(days=days - 1)
    clock = Clock(at(first, 0))
    ledger, records = MemoryLedger(), MemoryRecords()
    accounting = AccountingService(
        ledger=ledger,  # type: ignore[arg-type]
        records=records,  # type: ignore[arg-type]
        orders=NoOrders(),  # type: ignore[arg-type]
        signals=None,  # type: ignore[arg-type]
        alerts=None,  # type: ignore[arg-type]
        portfolio=None,  # type: ignore[arg-type]
        clock=clock,
        settings=settings(),
    )
    # Every strike rewrites each client's view (an XIRR over all its flows): only the last one
    # is read, and the last strike, on Firestore, writes it. (The NAV pages and returns are.)
    accounting.investors.write_client_views = lambda *_: None  # type: ignore[method-assign]
    desk = Desk(
        accounting,
        ledger,
        clock,
        signal_sink=lambda signal, _strategy, sender: ledger.senders.__setitem__(signal, sender),
        rate_sink=ledger.add_rate,
    )
    desk.start(first)
    day = first
    while day <= end:
        desk.day(day, scheduled=day < end)
        day += timedelta(days=1)
    return ledger, records, clock, desk


# Firestore ------------------------------------------------------------------------------------


def start_emulator(stock: bool) -> tuple[subprocess.Popen[str], str]:
    preload = [] if stock else ["--require", str(FAST_CREATE_JS)]
    process = subprocess.Popen(
        ["node", *preload, str(EMULATOR_JS), "0", "0"],
        cwd=REPO,
        env={**os.environ, "NODE_PATH": str(REPO / "node_modules")},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    ready = json.loads(process.stdout.readline() or "{}")
    if not ready.get("ready"):
        process.kill()
        raise RuntimeError("the Firestore emulator did not start; run it by hand to see why")
    return process, f"127.0.0.1:{ready['port']}"


def write_all(
    client: Any, collection: str, documents: Sequence[tuple[str, dict[str, Any]]]
) -> None:
    reference = client.collection(collection)
    for begin in range(0, len(documents), BATCH_LIMIT):
        batch = client.batch()
        for document_id, document in documents[begin : begin + BATCH_LIMIT]:
            batch.set(reference.document(document_id), document)
        batch.commit()


def load(services: Any, ledger: MemoryLedger, records: MemoryRecords) -> int:
    """Write the history in the Firestore adapters' layout; the number of documents."""
    client = services.firestore

    def marked(kept: MarkedAccount) -> dict[str, Any]:  # the adapter's account document
        return {**to_document(kept), "account": kept.state.account, "as_of": kept.state.updated_at}

    layout: dict[str, list[tuple[str, dict[str, Any]]]] = {
        LEDGER_FILLS: [
            (
                f.execution_id,
                {
                    **to_document(f),
                    "ledger_id": f.key.id,
                    "applied": f.execution_id in ledger.applied,
                },
            )
            for f in ledger.fills.values()
        ],
        LEDGERS: [(k, to_document(r)) for k, r in ledger.records.items()],
        SIGNAL_PNL: [(k, to_document(s)) for k, s in ledger.signals.items()],
        ACCOUNT_HISTORY: [(k, marked(kept)) for k, kept in ledger.history.items()],
        ACCOUNT_LATEST: [(a, marked(kept)) for a, kept in ledger.latest.items()],
        FX_HISTORY: [
            (f"{r.pair}__{r.as_of:%Y%m%dT%H%M%S%f}", to_document(r)) for r in ledger.rates
        ],
    }
    for collection, kept in records.collections.items():
        layout[collection] = [(k, to_document(v)) for k, v in kept.items()]
    for collection, documents in layout.items():
        write_all(client, collection, documents)
    services.trading_state.put_fx_rate(ledger.rates[-1])  # ``fx_rates``: the latest, for Cerebro
    return sum(len(documents) for documents in layout.values())


def check_load(accounting: AccountingService, ledger: MemoryLedger) -> None:
    """The Firestore adapter reads back what the in-memory ledger held."""
    store = accounting._ledger  # the same store the service reads

    def by_key(records: Sequence[LedgerRecord]) -> dict[str, Any]:
        return {r.key.id: to_document(r) for r in records}

    assert by_key(store.ledgers()) == by_key(ledger.ledgers()), "ledgers differ"
    latest = sorted((to_document(a) for a in store.latest_accounts()), key=str)
    assert latest == sorted((to_document(a) for a in ledger.latest_accounts()), key=str)


def put_signals(services: Any, clock: Clock, signals: Sequence[tuple[str, str, str]]) -> None:
    """The stored webhooks of the timed fills (all the ledger reads of one is its sender), each
    with the standard message ingest would have kept (the admin's lists show its price)."""
    now = clock.now()

    def message(signal_id: str, strategy: str, sender: str) -> str:
        signal = Signal(
            id=signal_id,
            created_at=now,
            strategy_id=strategy,
            sender_id=sender,
            source_format="native",
            symbol="AAPL",
            intent=Intent.ENTRY_LONG,
            trading_mode=TradingMode.LIVE,
            account="IBKR_Main",
            price=Decimal("190.00"),
        )
        return encode(to_message(signal)).data.decode()

    write_all(
        services.firestore,
        SIGNALS,
        [
            (
                signal_id,
                to_document(
                    SignalRecord(
                        signal_id=signal_id,
                        strategy_id=strategy,
                        sender_id=sender,
                        received_at=now,
                        business_key=signal_id,
                        status=SignalStatus.ACCEPTED,
                        raw_payload="{}",
                        message=message(signal_id, strategy, sender),
                        source_format="native",
                        symbol="AAPL",
                        intent="ENTRY_LONG",
                        outbox_state=OutboxState.PUBLISHED,
                    )
                ),
            )
            for signal_id, strategy, sender in signals
        ],
    )


@dataclass
class Books:
    """One accounting on Firestore."""

    name: str
    days: int
    services: Any
    clock: Clock
    desk: Desk
    documents: int = 0
    build_seconds: float = 0

    @property
    def accounting(self) -> AccountingService:
        return self.services.accounting  # type: ignore[no-any-return]


def build(name: str, days: int, host: str, end: date = END) -> Books:
    started = time.perf_counter()
    ledger, records, clock, desk = make_history(days, end)
    made = time.perf_counter()
    env = {
        **os.environ,
        "GOOGLE_CLOUD_PROJECT": f"bench-accounting-{name}-{uuid.uuid4().hex[:6]}",
        "FIRESTORE_EMULATOR_HOST": host,
        "MATS_BASE_CURRENCY": "USD",
    }
    services = bootstrap(env, clock=clock)
    documents = load(services, ledger, records)
    loaded = time.perf_counter()
    accounting = services.accounting
    check_load(accounting, ledger)
    # The last day's scheduled work, on Firestore: it rewrites every read model.
    desk.accounting, desk.ledger = accounting, services.ledger_store
    clock.at = at(end, 21, 0, 30)
    accounting.snapshot(at(end, 21))
    clock.at = at(end, 22, 0, 30)
    accounting.strike(end)
    accounting.refresh()
    accounting.refresh_health()
    books = Books(name, days, services, clock, desk, documents)
    books.build_seconds = time.perf_counter() - started
    print(
        f"{name}: {days} days made in memory in {made - started:.0f} s, {documents} documents "
        f"written in {loaded - made:.0f} s, the last strike on Firestore in "
        f"{time.perf_counter() - loaded:.0f} s",
        flush=True,
    )
    return books


# Measuring ------------------------------------------------------------------------------------


class Tracer:
    """Counts every Firestore call the official client makes: RPCs, documents, time."""

    def __init__(self) -> None:
        self.calls: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0.0])
        self.active = False

    def note(self, kind: str, collection: str, documents: int, seconds: float) -> None:
        if self.active:
            row = self.calls[(kind, collection)]
            row[0] += 1
            row[1] += documents
            row[2] += seconds

    def install(self) -> None:
        from google.cloud.firestore_v1 import (  # noqa: PLC0415
            aggregation,
            batch,
            client,
            document,
            query,
        )

        tracer = self
        count = aggregation.AggregationQuery.get

        def traced_count(self: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            result = count(self, *args, **kwargs)
            seconds = time.perf_counter() - started
            counted = int(result[0][0].value) if result and result[0] else 0  # entries counted
            tracer.note("count", self._collection_ref.id, counted, seconds)
            return result

        aggregation.AggregationQuery.get = traced_count
        make_stream = query.Query._make_stream

        def traced_stream(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
            started, count = time.perf_counter(), 0
            for item in make_stream(self, *args, **kwargs):
                count += 1
                yield item
            tracer.note("query", self._parent.id, count, time.perf_counter() - started)

        query.Query._make_stream = traced_stream
        get = document.DocumentReference.get

        def traced_get(self: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            snapshot = get(self, *args, **kwargs)
            tracer.note("get", self._path[-2], 1, time.perf_counter() - started)
            return snapshot

        document.DocumentReference.get = traced_get
        get_all = client.Client.get_all

        def traced_get_all(self: Any, references: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
            references = list(references)
            started, count = time.perf_counter(), 0
            for item in get_all(self, references, *args, **kwargs):
                count += 1
                yield item
            name = references[0]._path[-2] if references else "-"
            tracer.note("get_all", name, count, time.perf_counter() - started)

        client.Client.get_all = traced_get_all
        commit = batch.WriteBatch.commit

        def traced_commit(self: Any, *args: Any, **kwargs: Any) -> Any:
            names = {
                (w.update.name or w.delete).split("/documents/", 1)[-1].split("/")[0]
                for w in self._write_pbs
            }
            count = len(self._write_pbs)
            started = time.perf_counter()
            result = commit(self, *args, **kwargs)
            tracer.note("write", "+".join(sorted(names)), count, time.perf_counter() - started)
            return result

        batch.WriteBatch.commit = traced_commit


def median_ms(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1000


def size_of(value: Any) -> int:
    return len(json.dumps(to_primitive(value), default=str))


def reads(books: Books) -> dict[str, Callable[[], Any]]:
    acc = books.accounting
    return {
        "fund summary": acc.summary,
        "strategy P&L (pnl --by strategy)": lambda: acc.pnl("strategy"),
        "sender view": lambda: acc.sender_view(SENDER_A),
        "client view (stored)": lambda: acc.client_view("c1"),
        "client view (mats clients show)": lambda: acc.investors.current_view("c1"),
        "returns": acc.returns,
        f"NAV history ({END:%Y-%m} page)": lambda: acc.nav_month(f"{END:%Y-%m}"),
    }


UNGATED = {
    f"NAV history ({END.year}, twelve month pages)": lambda acc: acc.nav_history(END.year),
    "signal P&L (a sender's latest 50)": lambda acc: acc.signal_pnl(sender_id=SENDER_A, limit=50),
}


def time_reads(small: Books, big: Books, rounds: int) -> list[dict[str, Any]]:
    calls = {books.name: reads(books) for books in (small, big)}
    for name, read in UNGATED.items():
        for books in (small, big):
            calls[books.name][name] = functools.partial(read, books.accounting)
    names = list(calls[small.name])
    samples: dict[str, dict[str, list[float]]] = {n: {small.name: [], big.name: []} for n in names}
    sizes = {n: {b: size_of(calls[b][n]()) for b in calls} for n in names}  # and a warm-up
    for round_number in range(rounds):
        shift = round_number % len(names)
        order = [small.name, big.name] if round_number % 2 == 0 else [big.name, small.name]
        for name in names[shift:] + names[:shift]:
            for books_name in order:
                started = time.perf_counter()
                calls[books_name][name]()
                samples[name][books_name].append(time.perf_counter() - started)
    rows = []
    for name in names:
        small_ms = median_ms(samples[name][small.name])
        big_ms = median_ms(samples[name][big.name])
        rows.append(
            {
                "read": name,
                "gated": name not in UNGATED,
                "small_ms": round(small_ms, 3),
                "big_ms": round(big_ms, 3),
                "ratio": round(big_ms / small_ms, 2),
                "small_bytes": sizes[name][small.name],
                "big_bytes": sizes[name][big.name],
            }
        )
    return rows


def time_fills(small: Books, big: Books, count: int, tracer: Tracer) -> dict[str, Any]:
    """``on_fill`` on the day after END, alternating buys and sells of AAPL (round trips)."""
    day = END + timedelta(days=1)
    plan = [
        (f"T{day:%Y%m%d}{i:03d}", Side.BUY if i % 2 == 0 else Side.SELL) for i in range(count + 1)
    ]
    for books in (small, big):
        books.clock.at = at(day, 0)
        books.accounting.refresh()  # the 00:00 hourly job: the new trading day's baseline
        put_signals(books.services, books.clock, [(s, "alpha", SENDER_A) for s, _ in plan])
    samples: dict[str, list[float]] = {small.name: [], big.name: []}
    traces: dict[str, dict[tuple[str, str], list[float]]] = {}
    for books in (small, big):
        tracer.calls = defaultdict(lambda: [0, 0, 0.0])
        traces[books.name] = tracer.calls
    for number, (signal, side) in enumerate(plan):
        order = [small, big] if number % 2 == 0 else [big, small]
        for books in order:
            executed = at(day, 10) + timedelta(minutes=number)
            books.clock.at = executed + timedelta(seconds=1)
            fill = Fill(
                id=f"{signal}E0",
                created_at=executed,
                order_id=f"{signal}_ORD",
                signal_id=signal,
                strategy_id="alpha",
                account=USD_ACCOUNT,
                broker="ib",
                trading_mode=TradingMode.LIVE,
                symbol="AAPL",
                side=side,
                quantity=Decimal(10),
                price=Decimal("190.25") + number,
                commission=Decimal(1),
                currency="USD",
                executed_at=executed,
                purpose=OrderPurpose.ENTRY,
            )
            tracer.calls = traces[books.name]
            tracer.active = number > 0  # the first fill of each is a warm-up
            started = time.perf_counter()
            booked = books.accounting.on_fill(fill, message_id=f"m-{signal}")
            elapsed = time.perf_counter() - started
            tracer.active = False
            if not booked:
                raise RuntimeError(f"{books.name}: fill {fill.id} was not booked")
            if number > 0:
                samples[books.name].append(elapsed)
    report: dict[str, Any] = {"fills": count}
    for books in (small, big):
        report[books.name] = {
            "median_ms": round(median_ms(samples[books.name]), 1),
            "p90_ms": round(sorted(samples[books.name])[int(0.9 * (count - 1))] * 1000, 1),
        }
    report["ratio"] = round(report[big.name]["median_ms"] / report[small.name]["median_ms"], 2)
    keys = sorted(set(traces[small.name]) | set(traces[big.name]))
    rows = []
    for key in keys:
        s = traces[small.name].get(key, [0, 0, 0.0])
        b = traces[big.name].get(key, [0, 0, 0.0])
        rows.append(
            {
                "call": key[0],
                "collection": key[1],
                "calls_per_fill": round(b[0] / count, 2),
                "small_docs_per_fill": round(s[1] / count, 1),
                "big_docs_per_fill": round(b[1] / count, 1),
                "small_ms_per_fill": round(s[2] / count * 1000, 2),
                "big_ms_per_fill": round(b[2] / count * 1000, 2),
            }
        )
    report["calls"] = sorted(rows, key=lambda r: -r["big_ms_per_fill"])
    return report


def history_counts(books: Books) -> dict[str, int]:
    ledger = books.accounting._ledger
    desk = books.desk
    return {
        "days": books.days,
        "fills": desk.fills,
        "fx_rates": len(ledger.fx_history()),
        "strikes": len(books.accounting.investors.strikes()),
        "flows": len(books.accounting.investors.flows()),
        "payouts": len(books.accounting.payouts.payouts()),
        "documents": books.documents,
        "build_s": round(books.build_seconds, 1),
    }


def render(report: dict[str, Any]) -> str:
    small, big = report["history"]["small"], report["history"]["big"]
    lines = [
        f"Accounting with {big['days'] // small['days']}x the history: "
        f"small = {small['days']} days "
        f"({small['fills']} fills, {small['strikes']} strikes, {small['documents']} documents), "
        f"big = {big['days']} days ({big['fills']} fills, {big['strikes']} strikes, "
        f"{big['documents']} documents)",
        "",
        f"Reads, median of {report['rounds']} each, interleaved (gate: big/small <= {LIMIT})",
        f"  {'read':<40}{'small':>10}{'big':>10}{'big/small':>11}{'bytes small/big':>18}",
    ]
    for row in report["reads"]:
        mark = "" if not row["gated"] else ("  ok" if row["ratio"] <= LIMIT else "  FAIL")
        lines.append(
            f"  {row['read']:<40}{row['small_ms']:>8.2f}ms{row['big_ms']:>8.2f}ms"
            f"{row['ratio']:>10.2f}x{row['small_bytes']:>9}/{row['big_bytes']:<8}"
            f"{mark if row['gated'] else '  (not gated)'}"
        )
    fills = report["on_fill"]
    lines += [
        "",
        f"on_fill (book, execution quality, refresh of every read model), {fills['fills']} each:",
        f"  small {fills['small']['median_ms']:.1f} ms per fill "
        f"(p90 {fills['small']['p90_ms']:.1f}), "
        f"big {fills['big']['median_ms']:.1f} ms (p90 {fills['big']['p90_ms']:.1f}): "
        f"{fills['ratio']:.2f}x",
        "",
        "  Firestore calls per fill, sorted by the big one's time (docs: read, or counted):",
        f"  {'call':<8}{'collection':<34}{'calls':>6}{'docs small':>12}{'docs big':>10}"
        f"{'ms small':>10}{'ms big':>9}",
    ]
    for row in fills["calls"]:
        lines.append(
            f"  {row['call']:<8}{row['collection'][:33]:<34}{row['calls_per_fill']:>6.1f}"
            f"{row['small_docs_per_fill']:>12.1f}{row['big_docs_per_fill']:>10.1f}"
            f"{row['small_ms_per_fill']:>10.2f}{row['big_ms_per_fill']:>9.2f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--fills", type=int, default=15)
    parser.add_argument("--stock-emulator", action="store_true")
    parser.add_argument("--out", type=Path, default=REPO / ".mats" / "bench" / "accounting.json")
    args = parser.parse_args()

    emulator, host = start_emulator(args.stock_emulator)
    tracer = Tracer()
    tracer.install()
    try:
        small = build("small", args.days, host)
        big = build("big", args.days * args.scale, host)
        report: dict[str, Any] = {
            "history": {"small": history_counts(small), "big": history_counts(big)},
            "rounds": args.rounds,
            "stock_emulator": args.stock_emulator,
            "reads": time_reads(small, big, args.rounds),
            "on_fill": time_fills(small, big, args.fills, tracer),
        }
        small.services.close()
        big.services.close()
    finally:
        emulator.terminate()
        emulator.wait(30)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(render(report))
    failed = [r["read"] for r in report["reads"] if r["gated"] and r["ratio"] > LIMIT]
    if failed:
        print(f"FAIL: {', '.join(failed)} cost more than {LIMIT}x with the bigger history")
        sys.exit(1)


if __name__ == "__main__":
    main()
