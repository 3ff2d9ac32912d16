"""A fresh `mats up` with the demo seeds a year of fund history produced by the accounting:
clients with views, a NAV strike per business day, monthly returns, two senders with payouts,
every alert's order filled by the executions the accounting booked (and listed by the API),
every figure consistent with the others and with the broker's, and the fund flat today."""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import quote

import pytest

from mats.domain.execution.states import OrderState
from mats.domain.trading import Side
from tests.conftest import Stack, start_stack, stop_stack
from tests.integration.api.client import ApiClient
from tests.integration.api.shapes import answer_schema, problems

CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Any]]:
    from mats.bootstrap import bootstrap  # noqa: PLC0415 - needs the stack's environment.

    running = start_stack(tmp_path_factory.mktemp("history"))
    services = bootstrap({**os.environ, **running.env()})
    try:
        yield running, services
    finally:
        services.close()
        if running.process.poll() is None:
            stop_stack(running)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def test_the_stack_says_what_the_history_seeded_and_how_long_it_took(
    demo: tuple[Stack, Any],
) -> None:
    stack, _ = demo
    line = next(x for x in stack.log.read_text().splitlines() if x.startswith("Demo history"))
    print(line)
    counts = re.search(r"(\d+) signals, (\d+) orders, (\d+) fills", line)
    found = re.search(r"(\d+) NAV strikes, (\d+) clients.* in ([\d.]+) s, (\d+) documents", line)

    assert counts
    signals, orders, fills = map(int, counts.groups())
    assert orders == signals > 0  # One order per alert.
    assert fills >= orders
    assert found
    assert int(found.group(1)) >= 250
    assert int(found.group(2)) >= 3


def test_clients_hold_units_worth_units_times_the_nav_per_unit(demo: tuple[Stack, Any]) -> None:
    _, services = demo
    accounting = services.accounting
    views = accounting.client_views()
    last = accounting.investors.latest_strike()

    assert len(views) >= 3
    for view in views:
        assert view.units > 0
        assert view.nav_per_unit == last.nav_per_unit
        assert view.value == cents(view.units * last.nav_per_unit)
        assert view.units == last.holdings[view.client_id]
        kinds = {(line.kind, line.status) for line in view.flows}
        assert ("DEPOSIT", "DEALT") in kinds
        assert ("WITHDRAWAL", "DEALT") in kinds  # Every demo client has taken money out too.
        assert view.irr is not None
    assert sum(view.units for view in views) == last.units_after


def test_the_client_values_and_the_residual_add_up_to_the_funds_nav(
    demo: tuple[Stack, Any],
) -> None:
    """Independently of the strike's own arithmetic: NAV = sum of the accounts' equity in USD
    (each at its FX rate then) - fees owed - cash held; the client values + residual = NAV."""
    _, services = demo
    accounting, ledger = services.accounting, services.ledger_store
    last = accounting.investors.latest_strike()
    rates = {r.pair: r for r in ledger.fx_rates_at(last.at)}
    equity = Decimal(0)
    for state in ledger.accounts_at(last.at):
        rate = Decimal(1) if state.base_currency == "USD" else rates["USDTUSD"].rate
        equity += state.equity * rate
    values = sum(cents(units * last.nav_per_unit) for units in last.holdings.values())

    assert last.equity == cents(equity)
    assert last.fund_nav == last.equity - last.fees_owed - last.withdrawals_held
    assert values + last.residual == last.nav_after_dealing
    assert last.nav_after_dealing == last.fund_nav  # Nothing was dealt at the last strike.
    assert abs(last.residual) <= Decimal("0.05")


def test_a_year_of_nav_history_and_monthly_returns(demo: tuple[Stack, Any]) -> None:
    _, services = demo
    accounting = services.accounting
    strikes = accounting.investors.strikes()
    first, last = strikes[0].at.date(), strikes[-1].at.date()
    pages = [accounting.nav_history(year) for year in range(first.year, last.year + 1)]
    points = [point for page in pages if page is not None for point in page.points]
    business_days = sum(
        1 for n in range((last - first).days + 1) if (first + timedelta(days=n)).weekday() < 5
    )
    returns = accounting.returns()  # The latest twelve months; every month by year.
    months = [m for y in range(first.year, last.year + 1) for m in accounting.returns_of(y).months]

    assert len(strikes) >= 250
    assert len(points) == len(strikes) == business_days
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    assert last == next(
        day for n in range(7) if (day := yesterday - timedelta(days=n)).weekday() < 5
    )
    assert strikes[0].nav_per_unit == 100
    assert len(returns.months) == 12
    assert len(months) >= 13  # A partial first month, a year of months, this one.
    chained = Decimal(1)
    for month in months:
        chained *= 1 + month.value
    assert abs(chained - strikes[-1].nav_per_unit / 100) < Decimal("1e-9")
    assert not any(strike.flags for strike in strikes)  # Every account priced, every rate fresh.


def test_each_sender_has_its_view_and_a_payout_crystallised_every_month(
    demo: tuple[Stack, Any],
) -> None:
    _, services = demo
    accounting = services.accounting
    senders = services.sender_store.list()
    strikes = accounting.investors.strikes()
    years = range(strikes[0].at.year, strikes[-1].at.year + 1)
    months = {m.month for y in years for m in accounting.returns_of(y).months}
    views = {s.sender_id: accounting.sender_view(s.sender_id) for s in senders}

    assert len(senders) == 2
    assert len({view.cumulative_pnl for view in views.values()}) == 2  # Each its own P&L.
    for sender in senders:
        view = views[sender.sender_id]
        payouts = accounting.payouts.payouts(sender_id=sender.sender_id)
        assert view is not None
        assert view.hwm > 0
        assert {p.month for p in payouts} >= months - {max(months)}  # All but this month's.
        paid = [p for p in payouts if p.paid_at is not None]
        assert paid
        assert view.paid == sum(p.crystallisation.payable for p in paid)
        assert all(p.paid_reference for p in paid)


def test_usd_strategies_pnl_equals_the_cash_their_fills_moved(demo: tuple[Stack, Any]) -> None:
    """Flat at the end, a strategy's P&L is what its fills' cash added up to, whatever FIFO did;
    the bridge's own ledger (average cost) realised the same, in the instrument's currency."""
    _, services = demo
    fills = services.ledger_store.fills_until(datetime.now(UTC))
    cash: dict[str, Decimal] = defaultdict(Decimal)
    for fill in fills:
        signed = fill.quantity if fill.side is Side.BUY else -fill.quantity
        cash[fill.strategy_id] -= signed * fill.price * fill.multiplier + fill.commission
    views = {view.name: view for view in services.accounting.pnl("strategy")}
    realised = {p.strategy_id: p.realized_pnl for p in services.operations.list_positions()}

    assert set(cash) == {"trend-es", "momentum-aapl", "eth-carry"}
    for strategy_id in ("trend-es", "momentum-aapl"):  # In USD, the base currency.
        assert views[strategy_id].net == cents(cash[strategy_id])
    assert {name: cents(amount) for name, amount in realised.items()} == {
        name: cents(amount) for name, amount in cash.items()
    }


def test_every_historical_fill_executed_an_order_that_it_filled(demo: tuple[Stack, Any]) -> None:
    """Each execution the accounting booked is the bridge's too, under the alert's order: sent at
    the alert's time, FILLED at its last execution by the sum of its executions, at their
    quantity-weighted average price; none of them is still working."""
    _, services = demo
    execution = services.execution_store
    by_order: dict[str, list[Any]] = defaultdict(list)
    for fill in services.ledger_store.fills_until(datetime.now(UTC)):
        by_order[fill.order_id].append(fill)

    assert by_order
    for order_id, fills in by_order.items():
        record = execution.order(order_id)
        assert record is not None, order_id
        signal = services.signal_store.get(record.order.signal_id)
        quantity = sum((fill.quantity for fill in fills), Decimal(0))
        paid = sum((fill.quantity * fill.price for fill in fills), Decimal(0))
        states = [transition.state for transition in record.transitions]
        assert order_id == f"{record.order.signal_id}_ORD"
        assert signal is not None
        assert record.decided_at == signal.received_at
        assert record.state is OrderState.FILLED
        assert record.filled_quantity == quantity == record.order.quantity
        assert record.average_price == paid / quantity
        assert states[:3] == [OrderState.NEW, OrderState.SUBMITTED, OrderState.ACCEPTED]
        assert states[-1] is OrderState.FILLED
        assert record.transitions[-1].at == max(fill.executed_at for fill in fills)
        assert record.transitions[-1].filled_quantity == quantity
        assert record.venue == record.order.broker
        booked = execution.fills_of([order_id])
        assert sorted(f.id for f in booked) == sorted(f.execution_id for f in fills)
    assert execution.active_orders() == []
    assert execution.unapplied_fills() == []
    assert execution.unpublished_fills() == []


def test_the_api_lists_every_historical_order_with_its_fills(demo: tuple[Stack, Any]) -> None:
    """GET /api/orders and /api/fills, as the Activity page reads them, page after page."""
    stack, services = demo
    from mats.bootstrap import bootstrap  # noqa: PLC0415 - needs the stack's environment.

    reader = bootstrap({**os.environ, **stack.env()})
    try:
        api = ApiClient(reader)
        orders = _every_item(api, "/api/orders")
        fills = _every_item(api, "/api/fills")
    finally:
        reader.close()
    booked = services.ledger_store.fills_until(datetime.now(UTC))

    assert {order["order_id"] for order in orders} == {fill.order_id for fill in booked}
    assert {fill["id"] for fill in fills} == {fill.execution_id for fill in booked}
    decided = [order["decided_at"] for order in orders]
    assert decided == sorted(decided, reverse=True)
    for order in orders:
        assert order["state"] == "FILLED"
        assert order["fills"], order["order_id"]
        filled = sum(Decimal(fill["quantity"]) for fill in order["fills"])
        assert filled == Decimal(order["filled_quantity"]) == Decimal(order["order"]["quantity"])


def _every_item(api: ApiClient, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        answer = api.get(f"{path}?limit=50" + (f"&cursor={quote(cursor)}" if cursor else ""))
        assert answer.status == 200, answer.body
        assert problems(answer.body, answer_schema(path)) == []
        items += answer.body["items"]
        cursor = answer.body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError(f"the pages of {path} never ended")


def test_the_fund_is_flat_today_and_the_broker_reports_the_historys_equity(
    demo: tuple[Stack, Any],
) -> None:
    stack, services = demo
    with urllib.request.urlopen(stack.info["ib_control_url"] + "/state", timeout=10) as answer:
        gateway = json.loads(answer.read())
    history = {state.account: state.equity for state in services.ledger_store.accounts_at(
        services.accounting.investors.latest_strike().at
    )}  # fmt: skip
    codes = {"IBKR_Main": "DU1000001", "IBKR_Futures": "DU1000002"}

    assert all(not record.lots for record in services.ledger_store.ledgers())
    assert services.accounting.summary().open_positions == 0
    assert gateway["positions"] == []
    assert all(p.quantity == 0 for p in services.operations.list_positions())
    for account, code in codes.items():
        reported = Decimal(str(gateway["accounts"][code]["NetLiquidation"]))
        assert abs(reported - history[account]) < CENT
    known = {a.account: a.equity for a in services.operations.list_accounts()}
    assert known["Binance_Main"] == history["Binance_Main"]
