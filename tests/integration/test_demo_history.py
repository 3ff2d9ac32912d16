"""A fresh `mats up` with the demo seeds a year of fund history produced by the accounting:
clients with views, a NAV strike per business day, monthly returns, two senders with payouts,
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

import pytest

from mats.domain.trading import Side
from tests.conftest import Stack, start_stack, stop_stack

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
    found = re.search(r"(\d+) NAV strikes, (\d+) clients.* in ([\d.]+) s, (\d+) documents", line)

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
    """Flat at the end, a strategy's P&L is what its fills' cash added up to, whatever FIFO did."""
    _, services = demo
    fills = services.ledger_store.fills_until(datetime.now(UTC))
    cash: dict[str, Decimal] = defaultdict(Decimal)
    for fill in fills:
        if fill.currency == "USD":
            signed = fill.quantity if fill.side is Side.BUY else -fill.quantity
            cash[fill.strategy_id] -= signed * fill.price * fill.multiplier + fill.commission
    views = {view.name: view for view in services.accounting.pnl("strategy")}

    assert set(cash) == {"trend-es", "momentum-aapl"}
    for strategy_id, amount in cash.items():
        assert views[strategy_id].net == cents(amount)


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
