"""The demo history's generated facts: reproducible, flat at the end, priced every day, a
simulated broker whose equity is its cash plus its holdings at the marks, and each alert's order
sent, filled and booked as the bridge does it."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import numpy as np

from mats.bootstrap import Services
from mats.domain.execution.states import OrderState
from mats.domain.market import FxRate
from mats.domain.signals import parse_alert
from mats.domain.signals.payload import load_payload
from mats.domain.trading import Intent, Side
from mats.localstack.demo import DEMO_ACCOUNTS, DEMO_IB_PRICES
from mats.localstack.demo_history.broker import Broker
from mats.localstack.demo_history.market import (
    Execution,
    Market,
    Trade,
    generate_fx,
    generate_market,
    generate_trades,
    history_days,
)
from mats.localstack.demo_history.memory_firestore import MemoryFirestore
from mats.localstack.demo_history.orders import (
    HistoryBridge,
    execution_id,
    history_order,
    venue_fill,
    venue_report,
)
from mats.localstack.demo_history.replay import HistoryClock, alert_payload
from mats.localstack.demo_history.scenario import (
    CLIENTS,
    DEP,
    HISTORY_DAYS,
    HISTORY_SEED,
    STRATEGIES,
)
from mats.settings import Settings

TODAY = date(2026, 12, 2)


def generated(today: date = TODAY) -> tuple[Market, list[Trade], list[FxRate]]:
    first, last = history_days(today)
    generator = np.random.default_rng(HISTORY_SEED)
    market = generate_market(first, last, generator)
    trades = generate_trades(market, generator)
    return market, trades, generate_fx(market.days, generator)


def test_a_year_of_business_days_ending_yesterday_at_todays_prices() -> None:
    market, _, _ = generated()

    assert market.days[0] >= TODAY - timedelta(days=365)
    assert market.days[-1] == TODAY - timedelta(days=1)
    assert all(day.weekday() < 5 for day in market.days)
    assert market.close("ES1!", -1) == Decimal(str(DEMO_IB_PRICES["ES"]))
    assert market.close("AAPL", -1) == Decimal(str(DEMO_IB_PRICES["AAPL"]))


def test_the_same_seed_trades_the_same_sequence() -> None:
    _, trades, rates = generated()
    _, again, rates_again = generated()

    assert trades == again
    assert rates == rates_again


def test_every_position_is_closed_by_the_last_day_and_fills_add_up_to_each_order() -> None:
    market, trades, _ = generated()
    held: dict[str, Decimal] = defaultdict(Decimal)
    for trade in trades:
        assert held[trade.strategy.strategy_id] == trade.previous
        filled = sum((e.quantity for e in trade.executions), Decimal(0))
        assert filled == abs(trade.target - trade.previous)
        signed = filled if trade.side is Side.BUY else -filled
        held[trade.strategy.strategy_id] += signed
        assert all(e.at > trade.at for e in trade.executions)
    stops = {s.strategy_id: s.stops_days_before_end for s in STRATEGIES}
    last = {t.strategy.strategy_id: t.at.date() for t in trades}

    assert set(held.values()) == {Decimal(0)}
    assert last["trend-es"] == market.days[-1]
    assert last["eth-carry"] <= market.days[-1] - timedelta(days=stops["eth-carry"])
    assert any(len(t.executions) == 2 for t in trades)  # Partial fills.


def test_each_alert_parses_to_the_intent_its_positions_say() -> None:
    _, trades, _ = generated()
    intents = set()
    for trade in trades:
        raw = alert_payload(trade)
        alert = parse_alert(load_payload(json.dumps(raw).encode()))
        intents.add(alert.intent)
        assert alert.symbol == trade.strategy.symbol
        assert alert.quantity == abs(trade.target - trade.previous)

    assert {
        Intent.ENTRY_LONG,
        Intent.ENTRY_SHORT,
        Intent.ADD,
        Intent.REDUCE,
        Intent.EXIT,
    } <= intents


def test_a_usdt_rate_is_never_older_than_the_fx_age_limit_at_a_strike() -> None:
    market, _, rates = generated()
    times = sorted(rate.as_of for rate in rates)
    for day in market.days:
        strike = datetime.combine(day, time(22), UTC)
        latest = max(t for t in times if t <= strike)
        assert strike - latest <= timedelta(days=4)


def test_client_flows_fall_inside_the_history() -> None:
    for client in CLIENTS:
        assert client.flows[0][1] is DEP
        assert all(0 <= offset < HISTORY_DAYS for offset, *_ in client.flows)


def test_the_brokers_equity_is_cash_plus_holdings_at_the_marks() -> None:
    broker = Broker()
    broker.move_cash(Decimal(1_000_000), Decimal("1.001"))
    at = datetime(2026, 3, 2, 15, tzinfo=UTC)
    commission = broker.execute(
        "IBKR_Futures", "ES1!", Side.BUY, Execution(at, Decimal(2), Decimal("5000.00"))
    )
    broker.marks["ES1!"] = Decimal("5010.00")
    update = broker.state("IBKR_Futures", at)

    assert commission == Decimal("1.70")
    assert update.state.equity == Decimal("800000.00") + 2 * 10 * 50 - Decimal("1.70")
    assert update.state.margin_used == 2 * 13000
    assert update.marks == (("ES1!", Decimal("5010.00")),)
    assert set(broker.accounts) == set(DEMO_ACCOUNTS)
    assert broker.accounts["Binance_Main"].cash == Decimal("60060.00")  # 6% of it, in USDT.


def test_an_orders_executions_fill_it_in_the_states_a_venue_reports_at_their_average_price() -> (
    None
):
    _, trades, _ = generated()
    trade = next(t for t in trades if len(t.executions) == 2 and t.strategy.symbol == "ES1!")
    clock = HistoryClock(trade.at)
    services = Services(
        Settings({"GOOGLE_CLOUD_PROJECT": "demo"}), clock=clock, firestore_client=MemoryFirestore()
    )
    bridge = HistoryBridge(services.execution_store, services.accounting, clock)
    order = history_order(trade, "trend-es_20260302_150000_1")
    fills = [
        venue_fill(trade, order, execution, execution_id(execution, n))
        for n, execution in enumerate(trade.executions, start=1)
    ]

    bridge.send(order)
    sent = services.execution_store.order(order.id)
    for n, execution in enumerate(trade.executions):
        clock.move_to(execution.at)
        bridge.apply(venue_report(order, fills[: n + 1]))
    bridge.apply(venue_report(order, fills))  # Reported again: nothing changes.
    record = services.execution_store.order(order.id)
    newest_first, _ = services.execution_store.fills_page(
        strategy_id=None, order_id=order.id, limit=10
    )
    booked = newest_first[::-1]

    assert sent is not None
    assert [t.state for t in sent.transitions] == [
        OrderState.NEW,
        OrderState.SUBMITTED,
        OrderState.ACCEPTED,
    ]
    assert {t.at for t in sent.transitions} == {trade.at}
    assert record is not None
    assert record.state is OrderState.FILLED
    assert [t.state for t in record.transitions][3:] == [
        OrderState.PARTIALLY_FILLED,
        OrderState.FILLED,
    ]
    assert record.transitions[3].filled_quantity == trade.executions[0].quantity
    assert record.transitions[-1].at == trade.executions[-1].at
    quantity = sum((e.quantity for e in trade.executions), Decimal(0))
    paid = sum((e.quantity * e.price for e in trade.executions), Decimal(0))
    assert record.filled_quantity == order.quantity == quantity
    assert record.average_price == paid / quantity
    assert (record.venue, record.venue_reference, record.attempts) == ("IB", order.id, 1)
    assert services.execution_store.active_orders() == []
    assert [fill.id for fill in booked] == [fill.execution_id for fill in fills]
    assert services.execution_store.unapplied_fills() == []
    assert services.execution_store.unpublished_fills() == []
    ledger = services.ledger_store.fills_until(clock.now())
    assert [fill.execution_id for fill in ledger] == [fill.id for fill in booked]
