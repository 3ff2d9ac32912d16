"""A year of demo history, produced by running the real accounting over generated facts.

Nothing here types a figure the dashboard shows. What is generated (numpy, one fixed seed, so
every run trades the same sequence; only the calendar it lands on moves with today's date):

- **Markets:** a daily close per traded instrument (ES1!, AAPL, ETHUSDT) for every business day
  of the year ending yesterday: a random walk with a slowly turning trend, ending at the price
  the demo's simulated gateway quotes today. USDT/USD on Mondays, Wednesdays and Fridays (never
  older than ``MATS_FX_MAX_AGE_DAYS`` at a strike), near 1.
- **Signals:** the LIVE demo strategies (trend-es, momentum-aapl, and eth-carry until it was
  switched off) change their target position every few days, leaning with the trend; each change
  is a TradingView-style alert from one of the two demo senders, parsed by the real parser and
  stored in ``signals`` as ingest stores an accepted, published signal (so fills attribute to
  the sender). Each alert's order fills in one or two executions (partial fills) at the
  intraday price, with the venue's commission.
- **The broker:** each account's cash and holdings, valued at the day's marks, give the equity
  it reports (with its marks) in an account update after every cash movement and at each close.
- **Clients:** four investors with deposits and withdrawals (by amount and by units) through
  the year; their cash reaches (and leaves) the accounts in fixed shares.

It is replayed in time order through the real services with a clock that moves to each
event: ``AccountingService.on_account`` / ``on_fill`` at their times, a snapshot at each close
(21:00 UTC), ``strike(on=day)`` each business day at ``MATS_NAV_STRIKE_AT``,
``crystallise(month)`` just after each month end; dealt withdrawals are paid
(``InvestorBook.pay``) the next business day and payable sender fees paid (``mark_paid``) on
their payment date, each leaving the accounts' cash. Messages are taken with ``refresh=False``
(a backfill's facts only), so the read models are recomputed once a day, by the strike, rather
than after every message: the documents are the same, since every refresh recomputes them
from the facts.

Where it runs: on services of its own (the stack's settings, this clock) over the real Firestore
adapters on an in-memory client (``memory_firestore.py``); every document they wrote is then
copied into the stack's store in batches. A year takes seconds this way, where the emulator's
round trips took minutes, and nothing live ever sees half a history.

Positions: every history position is closed on the last business day, so the fund is flat today,
as the bridge's own ledger and the simulated gateway are; the stack then reports each account's
final equity to the gateway and to ``accounts`` so today's broker figures continue the history.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import time as wallclock
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any

import numpy as np

from mats.bootstrap import Services
from mats.contracts import encode, to_message
from mats.domain.accounting import AccountState
from mats.domain.funds.units import ClientFlow, FlowKind, FlowStatus
from mats.domain.market import FxRate
from mats.domain.orders import Fill
from mats.domain.signals import parse_alert
from mats.domain.signals.payload import load_payload
from mats.domain.signals.records import (
    OutboxState,
    SignalRecord,
    SignalStatus,
    business_key,
    claim_for,
    signal_id_prefix,
)
from mats.domain.signals.signal import Signal
from mats.domain.trading import OrderPurpose, Side, TradingMode
from mats.localstack.memory_firestore import MemoryFirestore
from mats.ports import Duplicate
from mats.services.accounting.payouts import Payout
from mats.services.accounting.service import AccountUpdate

HISTORY_SEED = 63  # Chosen among seeds for a plausible year: both senders in profit.
HISTORY_DAYS = 365
CENT = Decimal("0.01")

# The senders of the history's signals: the demo sender and a second one, by key.
FIRST, SECOND = "first", "second"


@dataclass(frozen=True)
class TradedInstrument:
    symbol: str
    account: str
    currency: str
    tick: Decimal
    multiplier: Decimal
    end_price: Decimal  # Today's price (the simulated gateway's, for IB instruments).
    volatility: float  # Daily.
    commission_per_unit: Decimal = Decimal(0)
    commission_minimum: Decimal = Decimal(0)
    commission_rate: Decimal = Decimal(0)  # Of notional.
    margin_per_unit: Decimal = Decimal(0)
    margin_rate: Decimal = Decimal(0)

    def commission(self, quantity: Decimal, price: Decimal) -> Decimal:
        fee = quantity * self.commission_per_unit + quantity * price * self.commission_rate
        return _cents(max(fee, self.commission_minimum))

    def margin(self, quantity: Decimal, price: Decimal) -> Decimal:
        held = abs(quantity)
        return held * self.margin_per_unit + held * price * self.multiplier * self.margin_rate


INSTRUMENTS = {
    "ES1!": TradedInstrument(
        "ES1!", "IBKR_Futures", "USD", Decimal("0.25"), Decimal(50), Decimal("5012.25"), 0.010,
        commission_per_unit=Decimal("0.85"), margin_per_unit=Decimal(13000),
    ),
    "AAPL": TradedInstrument(
        "AAPL", "IBKR_Main", "USD", Decimal("0.01"), Decimal(1), Decimal("190.10"), 0.016,
        commission_per_unit=Decimal("0.005"), commission_minimum=Decimal(1),
        margin_rate=Decimal("0.25"),
    ),
    "ETHUSDT": TradedInstrument(
        "ETHUSDT", "Binance_Main", "USDT", Decimal("0.01"), Decimal(1), Decimal("2400.00"), 0.032,
        commission_rate=Decimal("0.001"),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class TradedStrategy:
    """How a LIVE demo strategy trades in the history: its target is ``step`` x a level in
    ``[low, high]``, revised every ``every`` business days, from the senders by weight."""

    strategy_id: str
    symbol: str
    low: int
    high: int
    step: Decimal
    bias: float
    every: tuple[int, int]
    senders: tuple[tuple[str, float], ...]
    stops_days_before_end: int = 0  # Switched off (flat, no more signals) this long ago.


STRATEGIES = (
    TradedStrategy(
        "trend-es", "ES1!", -4, 4, Decimal(1), 0.4, (3, 8), ((FIRST, 0.7), (SECOND, 0.3))
    ),
    TradedStrategy("momentum-aapl", "AAPL", 0, 5, Decimal(50), 1.8, (2, 6), ((SECOND, 1.0),)),
    TradedStrategy("eth-carry", "ETHUSDT", 0, 4, Decimal(5), 1.6, (4, 10), ((FIRST, 1.0),), 75),
)

# The share of every client's cash each account receives (and pays out).
CASH_SHARES = {"IBKR_Futures": Decimal("0.80"), "IBKR_Main": Decimal("0.14")}
CASH_REMAINDER = "Binance_Main"  # Gets the rest, in USDT.
BROKERS = {"IBKR_Main": "IB", "IBKR_Futures": "IB", "Binance_Main": "BINANCE"}
ACCOUNT_CURRENCIES = {"IBKR_Main": "USD", "IBKR_Futures": "USD", "Binance_Main": "USDT"}


@dataclass(frozen=True)
class DemoClient:
    client_id: str
    name: str
    email: str
    # (calendar day of the history, DEPOSIT or WITHDRAWAL, amount or None, units or None)
    flows: tuple[tuple[int, FlowKind, str | None, str | None], ...]


DEP, WD = FlowKind.DEPOSIT, FlowKind.WITHDRAWAL
CLIENTS = (
    DemoClient(
        "harbor-family", "Harbor Family Office", "office@harbor.example",
        ((0, DEP, "1200000", None), (128, DEP, "300000", None), (271, WD, "200000", None)),
    ),
    DemoClient(
        "jane-whitfield", "Jane Whitfield", "jane@whitfield.example",
        ((0, DEP, "250000", None), (45, DEP, "50000", None), (198, DEP, "50000", None),
         (318, WD, None, "300")),
    ),
    DemoClient(
        "northwind-pension", "Northwind Pension Trust", "treasury@northwind.example",
        ((61, DEP, "600000", None), (232, WD, "100000", None)),
    ),
    DemoClient(
        "li-wei", "Li Wei", "li.wei@example.com",
        ((152, DEP, "120000", None), (302, WD, "40000", None)),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class HistoryReport:
    """What the history seeded, and each account's equity at its end (for today's broker)."""

    first_day: date
    last_day: date
    signals: int
    fills: int
    strikes: int
    clients: int
    payouts_paid: int
    equities: dict[str, Decimal]
    usdt_usd: Decimal  # The history's last USDT/USD rate: today's starts there.
    documents: int
    replay_seconds: float
    copy_seconds: float


# Generation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Execution:
    at: datetime
    quantity: Decimal
    price: Decimal


@dataclass(frozen=True)
class Trade:
    """One alert and the executions of its order(s)."""

    at: datetime
    strategy: TradedStrategy
    sender: str
    previous: Decimal  # Signed position before.
    target: Decimal  # Signed position after.
    price: Decimal  # The sender's price ({{close}}).
    executions: tuple[Execution, ...]

    @property
    def side(self) -> Side:
        return Side.BUY if self.target > self.previous else Side.SELL


@dataclass(frozen=True)
class Market:
    days: tuple[date, ...]  # Business days.
    closes: dict[str, tuple[Decimal, ...]]  # Per symbol, one per business day.
    log_closes: dict[str, np.ndarray[Any, Any]]
    trend: dict[str, np.ndarray[Any, Any]]

    def close(self, symbol: str, index: int) -> Decimal:
        return self.closes[symbol][index]

    def intraday(self, symbol: str, index: int, fraction: float, noise: float) -> Decimal:
        """The price ``fraction`` of the way through day ``index`` (from the previous close)."""
        logs = self.log_closes[symbol]
        start = logs[index - 1] if index > 0 else logs[0]
        level = start + fraction * (logs[index] - start) + noise
        spec = INSTRUMENTS[symbol]
        return _tick(float(spec.end_price) * float(np.exp(level - logs[-1])), spec.tick)


def history_days(today: date) -> tuple[date, date]:
    last = today - timedelta(days=1)
    return last - timedelta(days=HISTORY_DAYS - 1), last


def generate_market(first: date, last: date, generator: np.random.Generator) -> Market:
    days = tuple(
        first + timedelta(days=n)
        for n in range((last - first).days + 1)
        if (first + timedelta(days=n)).weekday() < 5
    )
    closes, logs, trends = {}, {}, {}
    persistence = 0.97
    for symbol, spec in INSTRUMENTS.items():
        count = len(days)
        shocks = generator.standard_normal(count)
        trend = np.zeros(count)
        for n in range(1, count):
            trend[n] = persistence * trend[n - 1] + np.sqrt(1 - persistence**2) * shocks[n]
        drift = 0.08 * spec.volatility * trend
        noise = spec.volatility * generator.standard_t(5, count) / np.sqrt(5 / 3)
        log_close = np.cumsum(drift + noise)
        prices = float(spec.end_price) * np.exp(log_close - log_close[-1])
        closes[symbol] = tuple(_tick(float(p), spec.tick) for p in prices)
        logs[symbol], trends[symbol] = log_close, trend
    return Market(days, closes, logs, trends)


def generate_trades(market: Market, generator: np.random.Generator) -> list[Trade]:
    trades: list[Trade] = []
    days = market.days
    for strategy in STRATEGIES:
        spec = INSTRUMENTS[strategy.symbol]
        trend = market.trend[strategy.symbol]
        stop = days[-1] - timedelta(days=strategy.stops_days_before_end)
        last_index = max(i for i, day in enumerate(days) if day <= stop)
        position = Decimal(0)
        index = int(generator.integers(0, strategy.every[0]))
        while True:
            final = index >= last_index
            index = min(index, last_index)
            if final:
                level = 0
            else:
                lean = trend[index] + 0.5 * generator.standard_normal()
                level = int(
                    np.clip(np.rint(1.3 * lean + strategy.bias), strategy.low, strategy.high)
                )
            target = strategy.step * level
            if target != position:
                trades.append(
                    _trade(
                        market,
                        generator,
                        strategy=strategy,
                        spec=spec,
                        index=index,
                        previous=position,
                        target=target,
                        final=final,
                    )
                )
                position = target
            if final:
                break
            index += int(generator.integers(strategy.every[0], strategy.every[1] + 1))
    return sorted(trades, key=lambda t: (t.at, t.strategy.strategy_id))


def _trade(
    market: Market,
    generator: np.random.Generator,
    *,
    strategy: TradedStrategy,
    spec: TradedInstrument,
    index: int,
    previous: Decimal,
    target: Decimal,
    final: bool,
) -> Trade:
    day = market.days[index]
    # US session 14:30-20:30 UTC; the last day's exits before 19:30.
    minutes = int(generator.integers(5, 300 if final else 355))
    at = datetime.combine(day, time(14, 30), UTC) + timedelta(
        minutes=minutes, seconds=int(generator.integers(0, 60))
    )
    fraction = minutes / 390
    names = [name for name, _ in strategy.senders]
    weights = np.array([weight for _, weight in strategy.senders])
    sender = names[int(generator.choice(len(names), p=weights / weights.sum()))]
    sent_price = market.intraday(spec.symbol, index, fraction, 0.0)
    quantity = abs(target - previous)
    first_at = at + timedelta(seconds=int(generator.integers(1, 4)))
    slip = spec.volatility * 0.05
    first_price = market.intraday(spec.symbol, index, fraction, slip * generator.standard_normal())
    parts = [quantity]
    lot = strategy.step if spec.symbol != "ES1!" else Decimal(1)
    if quantity > lot and generator.random() < 0.35:  # A partial fill, then the rest.
        first_part = lot * max(1, int((quantity / lot) * Decimal(generator.uniform(0.3, 0.7))))
        parts = [first_part, quantity - first_part]
    executions = [Execution(first_at, parts[0], first_price)]
    if len(parts) == 2:
        later = first_at + timedelta(seconds=int(generator.integers(40, 240)))
        price = market.intraday(
            spec.symbol, index, fraction + 0.005, slip * generator.standard_normal()
        )
        executions.append(Execution(later, parts[1], price))
    return Trade(at, strategy, sender, previous, target, sent_price, tuple(executions))


def generate_fx(days: tuple[date, ...], generator: np.random.Generator) -> list[FxRate]:
    """USDT/USD at 00:00 UTC every Monday, Wednesday and Friday (so a rate is never older than
    ``MATS_FX_MAX_AGE_DAYS``, 4, at a strike), within a few basis points of 1."""
    days = tuple(day for day in days if day.weekday() in (0, 2, 4) or day == days[0])
    level = np.clip(np.cumsum(generator.normal(0, 0.0002, len(days))) * 0.3, -0.0015, 0.0015)
    return [
        FxRate(
            "USDT",
            "USD",
            Decimal(1 + float(value)).quantize(Decimal("0.00001")),
            datetime.combine(day, time(), UTC),
            "demo-history",
        )
        for day, value in zip(days, level, strict=True)
    ]


# The simulated broker --------------------------------------------------------------------


@dataclass
class BrokerAccount:
    account: str
    currency: str
    cash: Decimal = Decimal(0)
    holdings: dict[str, Decimal] = field(default_factory=dict)


class Broker:
    """Each account's cash and holdings; its equity at the given marks, as the broker says."""

    def __init__(self) -> None:
        self.accounts = {
            name: BrokerAccount(name, currency) for name, currency in ACCOUNT_CURRENCIES.items()
        }
        self.marks: dict[str, Decimal] = {}
        self.funded: set[str] = set()

    def execute(self, account: str, symbol: str, side: Side, execution: Execution) -> Decimal:
        spec = INSTRUMENTS[symbol]
        held = self.accounts[account]
        signed = execution.quantity if side is Side.BUY else -execution.quantity
        commission = spec.commission(execution.quantity, execution.price)
        held.cash -= signed * execution.price * spec.multiplier + commission
        held.holdings[symbol] = held.holdings.get(symbol, Decimal(0)) + signed
        self.marks[symbol] = execution.price
        return commission

    def move_cash(self, usd: Decimal, usdt_per_usd: Decimal) -> list[str]:
        """Client or fee cash in (+) or out (-), spread over the accounts; those it touched."""
        rest = usd
        for account, share in CASH_SHARES.items():
            amount = _cents(usd * share)
            self.accounts[account].cash += amount
            rest -= amount
        self.accounts[CASH_REMAINDER].cash += _cents(rest * usdt_per_usd)
        self.funded.update(ACCOUNT_CURRENCIES)
        return list(ACCOUNT_CURRENCIES)

    def state(self, account: str, at: datetime) -> AccountUpdate:
        held = self.accounts[account]
        value, margin, marks = Decimal(0), Decimal(0), []
        for symbol, quantity in sorted(held.holdings.items()):
            if quantity == 0:
                continue
            spec, mark = INSTRUMENTS[symbol], self.marks[symbol]
            value += quantity * mark * spec.multiplier
            margin += spec.margin(quantity, mark)
            marks.append((symbol, mark))
        equity = _cents(held.cash + value)
        return AccountUpdate(
            message_id=f"{account}@{at:%Y%m%dT%H%M%S%f}",
            state=AccountState(
                account=account,
                broker=BROKERS[account],
                base_currency=held.currency,
                equity=equity,
                cash=_cents(held.cash),
                margin_used=_cents(margin),
                margin_available=_cents(equity - margin),
                updated_at=at,
                source=BROKERS[account],
            ),
            marks=tuple(marks),
        )


# The replay ------------------------------------------------------------------------------


class HistoryClock:
    """The history's clock: moved forward to each event, never back."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def move_to(self, at: datetime) -> None:
        self.current = max(self.current, at)


# Event order within one moment: facts before the scheduled work that reads them.
_RATE, _CRYSTALLISE, _PAY_FEE, _PAY_CLIENT, _FLOW, _SIGNAL, _CLOSE, _SNAPSHOT, _STRIKE = range(9)


class Replay:
    def __init__(
        self,
        services: Services,
        clock: HistoryClock,
        senders: Mapping[str, str],
        market: Market,
        rates: list[FxRate],
    ) -> None:
        self._services = services
        self._clock = clock
        self._senders = senders
        self._market = market
        self._rates = {rate.as_of.date(): rate.rate for rate in rates}
        self._broker = Broker()
        self._queue: list[tuple[datetime, int, int, Callable[[], None]]] = []
        self._sequence = itertools.count()
        self._executions = itertools.count(1)
        self.signals = self.fills = self.strikes = self.payouts_paid = 0

    @property
    def _accounting(self) -> Any:
        return self._services.accounting

    def at(self, moment: datetime, rank: int, action: Callable[[], None]) -> None:
        heapq.heappush(self._queue, (moment, rank, next(self._sequence), action))

    def run(self) -> None:
        while self._queue:
            moment, _, _, action = heapq.heappop(self._queue)
            self._clock.move_to(moment)
            action()

    # Facts -------------------------------------------------------------------------------

    def rate(self, rate: FxRate) -> None:
        self._services.trading_state.put_fx_rate(rate)

    def usdt_per_usd(self, day: date) -> Decimal:
        """USDT per USD on ``day``: the latest rate then (the first one before any)."""
        known = [on for on in self._rates if on <= day]
        return 1 / self._rates[max(known) if known else min(self._rates)]

    def trade(self, trade: Trade) -> None:
        signal_id = self._store_signal(trade)
        strategy, spec = trade.strategy, INSTRUMENTS[trade.strategy.symbol]
        for n, execution in enumerate(trade.executions):
            number = next(self._executions)
            fill = Fill(
                id=f"DEMO.{execution.at:%Y%m%d}.{number:05d}.01",
                created_at=execution.at,
                order_id=f"{signal_id}_ORD",
                signal_id=signal_id,
                strategy_id=strategy.strategy_id,
                account=spec.account,
                broker=BROKERS[spec.account],
                trading_mode=TradingMode.LIVE,
                symbol=spec.symbol,
                side=trade.side,
                quantity=execution.quantity,
                price=execution.price,
                commission=spec.commission(execution.quantity, execution.price),
                currency=spec.currency,
                executed_at=execution.at,
                purpose=OrderPurpose.EXIT if trade.target == 0 else OrderPurpose.ENTRY,
                multiplier=spec.multiplier,
                commission_currency=spec.currency,
            )
            self.at(execution.at, _SIGNAL, partial(self._fill, fill, trade, n))

    def _fill(self, fill: Fill, trade: Trade, index: int) -> None:
        self._broker.execute(fill.account, fill.symbol, fill.side, trade.executions[index])
        self._accounting.on_fill(fill, message_id=f"history-{fill.id}", refresh=False)
        self.fills += 1

    def _store_signal(self, trade: Trade) -> str:
        strategy = trade.strategy
        sender_id = self._senders[trade.sender]
        payload = _payload(trade)
        raw = json.dumps(payload, separators=(",", ":"))
        alert = parse_alert(load_payload(raw.encode()))
        now = trade.at
        claim = claim_for(
            business_key(sender_id, alert), signal_id_prefix(strategy.strategy_id, now), now, None
        )
        spec = INSTRUMENTS[strategy.symbol]
        message_id = "history-" + hashlib.sha256(raw.encode()).hexdigest()[:16]

        def build(signal_id: str) -> SignalRecord:
            signal = Signal(
                id=signal_id,
                created_at=now,
                strategy_id=strategy.strategy_id,
                sender_id=sender_id,
                source_format=alert.source_format,
                symbol=alert.symbol,
                intent=alert.intent,
                trading_mode=TradingMode.LIVE,
                account=spec.account,
                side=alert.side,
                quantity=alert.quantity,
                price=alert.price,
                target=alert.target,
                previous=alert.previous,
                signal_time=alert.signal_time,
                bar_time=alert.bar_time,
            )
            return SignalRecord(
                signal_id=signal_id,
                strategy_id=strategy.strategy_id,
                sender_id=sender_id,
                received_at=now,
                business_key=claim.business_key,
                status=SignalStatus.ACCEPTED,
                raw_payload=raw,
                message=encode(to_message(signal)).data.decode(),
                source_format=alert.source_format,
                symbol=alert.symbol,
                intent=alert.intent.value,
                outbox_state=OutboxState.PUBLISHED,
                publish_attempts=1,
                published_at=now,
                message_id=message_id,
            )

        recorded = self._services.signal_store.record(claim, build)
        self.signals += 1
        if isinstance(recorded, Duplicate):
            return recorded.existing.signal_id
        return recorded.record.signal_id

    def close(self, index: int) -> None:
        """The day's close: every account reports its equity at the closing marks."""
        for symbol in INSTRUMENTS:
            self._broker.marks[symbol] = self._market.close(symbol, index)
        self._report(sorted(self._broker.funded))

    def _report(self, accounts: list[str], *, refresh: bool = False) -> None:
        now = self._clock.now()
        for account in accounts:
            update = self._broker.state(account, now)
            self._accounting.on_account(update, refresh=refresh and account == accounts[-1])

    # Clients -----------------------------------------------------------------------------

    def flow(
        self, client: DemoClient, kind: FlowKind, amount: str | None, units: str | None
    ) -> None:
        investors = self._accounting.investors
        if kind is FlowKind.DEPOSIT:
            cash = Decimal(amount or 0)
            self._report(self._broker.move_cash(cash, self.usdt_per_usd(self._clock.now().date())))
            investors.deposit(client.client_id, cash)
        elif amount is not None:
            investors.withdraw(client.client_id, amount=amount)
        else:
            investors.withdraw(client.client_id, units=units)

    def pay_withdrawals(self, strike_id: str, dealt: tuple[str, ...], next_day: date) -> None:
        investors = self._accounting.investors
        moment = datetime.combine(next_day, time(9, 30), UTC)
        for flow in investors.flows():
            withdrawn = flow.kind is FlowKind.WITHDRAWAL and flow.status is FlowStatus.DEALT
            if flow.flow_id in dealt and withdrawn:
                self.at(moment, _PAY_CLIENT, partial(self._pay_client, flow))

    def _pay_client(self, flow: ClientFlow) -> None:
        cash = -(flow.amount_dealt or Decimal(0))
        self._accounting.investors.pay(
            flow.flow_id, reference=f"WIRE-{flow.client_id}-{self._clock.now():%Y%m%d}"
        )
        self._report(self._broker.move_cash(-cash, self.usdt_per_usd(self._clock.now().date())))

    # Scheduled work ----------------------------------------------------------------------

    def snapshot(self) -> None:
        self._accounting.snapshot(self._clock.now())

    def strike(self, day: date, next_day: date | None) -> None:
        record, new = self._accounting.strike(day)
        self.strikes += 1 if new else 0
        if next_day is not None and record.dealt:
            self.pay_withdrawals(record.strike_id, record.dealt, next_day)

    def crystallise(self, month: str, last: date) -> None:
        for payout in self._accounting.crystallise(month):
            payable = payout.crystallisation.payable
            when = payout.crystallisation.payment_date
            if payable > 0 and when <= last:
                moment = datetime.combine(when, time(9), UTC)
                self.at(moment, _PAY_FEE, partial(self._pay_fee, payout))

    def _pay_fee(self, payout: Payout) -> None:
        reference = f"PAYOUT-{payout.month}-{payout.sender_id}"
        self._accounting.payouts.mark_paid(payout.payout_id, reference=reference, by="demo")
        payable = payout.crystallisation.payable
        self._report(self._broker.move_cash(-payable, self.usdt_per_usd(self._clock.now().date())))
        self.payouts_paid += 1

    def equities(self) -> dict[str, Decimal]:
        now = self._clock.now()
        return {name: self._broker.state(name, now).state.equity for name in ACCOUNT_CURRENCIES}

    def report_now(self, at: datetime) -> None:
        """Today's first account updates (unchanged since the close) and views as of now."""
        self._clock.move_to(at)
        self._report(sorted(self._broker.funded), refresh=True)
        self._accounting.refresh_health()


def seed_history(
    services: Services, senders: Mapping[str, str], *, now: datetime | None = None
) -> HistoryReport:
    """Generate a year of facts ending yesterday, run the real accounting over them and copy
    every document it wrote into the stack's store.

    ``senders`` maps ``FIRST``/``SECOND`` to the demo senders' ids. The history runs on services
    of its own, with the stack's settings, its own clock and an in-memory Firestore client (the
    real adapters over :class:`MemoryFirestore`): a year of strikes takes seconds, not the
    minutes the emulator's round trips would, and nothing live sees a half-written history.
    """
    started = wallclock.monotonic()
    today_now = now or datetime.now(UTC)
    first, last = history_days(today_now.date())
    generator = np.random.default_rng(HISTORY_SEED)
    market = generate_market(first, last, generator)
    trades = generate_trades(market, generator)
    rates = generate_fx(market.days, generator)
    clock = HistoryClock(datetime.combine(first, time(), UTC))
    memory = MemoryFirestore()
    history = Services(services.settings, clock=clock, firestore_client=memory)
    replay = Replay(history, clock, senders, market, rates)
    strike_at = services.settings.accounting.nav_strike_at
    for client in CLIENTS:
        replay.at(clock.now(), _RATE, partial(_create_client, history, client))
    for rate in rates:
        replay.at(rate.as_of, _RATE, partial(replay.rate, rate))
    for trade in trades:
        replay.at(trade.at, _SIGNAL, partial(replay.trade, trade))
    days = market.days
    for index, day in enumerate(days):
        close = datetime.combine(day, time(21), UTC)
        replay.at(close, _CLOSE, partial(replay.close, index))
        replay.at(close, _SNAPSHOT, replay.snapshot)
        strike = datetime.combine(day, strike_at, UTC)
        following = days[index + 1] if index + 1 < len(days) else None
        replay.at(strike, _STRIKE, partial(replay.strike, day, following))
    for month_start in _month_starts(first, last + timedelta(days=1)):
        month = (month_start - timedelta(days=1)).strftime("%Y-%m")
        moment = datetime.combine(month_start, time(0, 5), UTC)
        if moment <= today_now:
            replay.at(moment, _CRYSTALLISE, partial(replay.crystallise, month, last))
    for client in CLIENTS:
        for offset, kind, amount, units in client.flows:
            if offset >= HISTORY_DAYS:
                continue
            day = _business_day_on_or_after(days, first + timedelta(days=offset))
            moment = datetime.combine(day, time(10), UTC)
            replay.at(
                moment,
                _FLOW,
                partial(replay.flow, client, kind, amount, units),
            )
    replay.run()
    replay.report_now(today_now)
    replayed = wallclock.monotonic()
    documents = memory.copy_to(services.firestore)
    return HistoryReport(
        first_day=first,
        last_day=last,
        signals=replay.signals,
        fills=replay.fills,
        strikes=replay.strikes,
        clients=len(CLIENTS),
        payouts_paid=replay.payouts_paid,
        equities=replay.equities(),
        usdt_usd=rates[-1].rate,
        documents=documents,
        replay_seconds=replayed - started,
        copy_seconds=wallclock.monotonic() - replayed,
    )


def _create_client(services: Services, client: DemoClient) -> None:
    services.accounting.investors.create_client(client.client_id, client.name, email=client.email)


def _payload(trade: Trade) -> dict[str, str]:
    def side(position: Decimal) -> str:
        return "long" if position > 0 else "short" if position < 0 else "flat"

    return {
        "strategy_id": trade.strategy.strategy_id,
        "ticker": trade.strategy.symbol,
        "action": trade.side.value.lower(),
        "contracts": str(abs(trade.target - trade.previous)),
        "price": str(trade.price),
        "market_position": side(trade.target),
        "market_position_size": str(abs(trade.target)),
        "prev_market_position": side(trade.previous),
        "prev_market_position_size": str(abs(trade.previous)),
        "time": trade.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timenow": trade.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _month_starts(first: date, end: date) -> Iterator[date]:
    """The 1st of every month after ``first`` up to ``end``."""
    year, month = first.year, first.month
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        start = date(year, month, 1)
        if start > end:
            return
        yield start


def _business_day_on_or_after(days: tuple[date, ...], wanted: date) -> date:
    return next((day for day in days if day >= wanted), days[-1])


def _tick(price: float, tick: Decimal) -> Decimal:
    return (Decimal(round(price / float(tick))) * tick).quantize(tick)


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, ROUND_HALF_UP)


__all__ = ["FIRST", "SECOND", "HistoryReport", "seed_history"]
