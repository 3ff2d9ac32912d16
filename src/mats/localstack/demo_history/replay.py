"""The replay: the history's events in time order through the real services."""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import IntEnum
from functools import partial
from typing import Any

from mats.bootstrap import Services
from mats.contracts import encode, to_message
from mats.domain.funds.units import ClientFlow, FlowKind, FlowStatus
from mats.domain.market import FxRate
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
from mats.domain.trading import TradingMode
from mats.domain.venues import VenueOrderReport
from mats.localstack.demo_history.broker import Broker
from mats.localstack.demo_history.market import Execution, Market, Trade
from mats.localstack.demo_history.orders import (
    HistoryBridge,
    execution_id,
    history_order,
    venue_fill,
    venue_report,
)
from mats.localstack.demo_history.scenario import (
    ACCOUNT_CURRENCIES,
    INSTRUMENTS,
    DemoClient,
)
from mats.ports import Duplicate
from mats.services.accounting.payouts import Payout


class HistoryClock:
    """The history's clock: moved forward to each event, never back."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def move_to(self, at: datetime) -> None:
        self.current = max(self.current, at)


class Rank(IntEnum):
    """Event order within one moment: facts before the scheduled work that reads them."""

    RATE = 0
    CRYSTALLISE = 1
    PAY_FEE = 2
    PAY_CLIENT = 3
    FLOW = 4
    SIGNAL = 5
    CLOSE = 6
    SNAPSHOT = 7
    STRIKE = 8


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
        self._bridge = HistoryBridge(services.execution_store, services.accounting, clock)
        self.signals = self.orders = self.fills = self.strikes = self.payouts_paid = 0

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
        order = history_order(trade, self._store_signal(trade))
        self._bridge.send(order)
        self.orders += 1
        fills = [
            venue_fill(trade, order, execution, execution_id(execution, next(self._executions)))
            for execution in trade.executions
        ]
        for n, execution in enumerate(trade.executions):
            report = venue_report(order, fills[: n + 1])
            self.at(execution.at, Rank.SIGNAL, partial(self._fill, trade, execution, report))

    def _fill(self, trade: Trade, execution: Execution, report: VenueOrderReport) -> None:
        spec = INSTRUMENTS[trade.strategy.symbol]
        self._broker.execute(spec.account, spec.symbol, trade.side, execution)
        self._bridge.apply(report)
        self.fills += 1

    def _store_signal(self, trade: Trade) -> str:
        strategy = trade.strategy
        sender_id = self._senders[trade.sender]
        payload = alert_payload(trade)
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
                self.at(moment, Rank.PAY_CLIENT, partial(self._pay_client, flow))

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
                self.at(moment, Rank.PAY_FEE, partial(self._pay_fee, payout))

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


def alert_payload(trade: Trade) -> dict[str, str]:
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
