"""Positions, portfolio and account values after fills, as ib_async sees them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from ib_async import IB, Contract, Future, MarketOrder, Stock
from tests.integration.ib_gateway.support import (
    ACCOUNT,
    GatewayProcess,
    connected,
    reaches,
    run,
    settle,
    until,
)

from mats.localstack.ib_gateway.catalog import listed_months

pytestmark = pytest.mark.integration
START_CASH = 1_000_000.0


def _values(ib: IB) -> dict[str, float]:
    return {
        value.tag: float(value.value)
        for value in ib.accountValues(ACCOUNT)
        if value.currency == "USD"
    }


async def _qualified(ib: IB, contract: Contract) -> Contract:
    [found] = await ib.qualifyContractsAsync(contract)
    assert found is not None
    return found


def test_stock_fills_move_positions_cash_and_pnl(gateway: GatewayProcess) -> None:
    async def scenario() -> None:
        async with connected(gateway) as ib:
            assert _values(ib)["NetLiquidation"] == START_CASH
            contract = await _qualified(ib, Stock("AAPL", "SMART", "USD"))
            buy = ib.placeOrder(contract, MarketOrder("BUY", 10, orderRef="acct-buy"))
            await reaches(buy, "Filled")
            await until(ib.positions, what="position")
            [position] = ib.positions()
            assert position.position == 10
            assert position.avgCost == pytest.approx(100.005)
            gateway.post("/prices", {"AAPL": 110.0})
            await until(lambda: _values(ib)["UnrealizedPnL"] > 0, what="revaluation")
            values = _values(ib)
            assert values["TotalCashValue"] == pytest.approx(START_CASH - 1000.05)
            assert values["NetLiquidation"] == pytest.approx(START_CASH - 1000.05 + 1100)
            assert values["UnrealizedPnL"] == pytest.approx(99.95)
            assert values["InitMarginReq"] == pytest.approx(0.25 * 1100)
            assert values["MaintMarginReq"] == pytest.approx(0.2 * 1100)
            [item] = ib.portfolio(ACCOUNT)
            assert item.marketPrice == 110.0
            assert item.unrealizedPNL == pytest.approx(99.95)
            sell = ib.placeOrder(contract, MarketOrder("SELL", 10, orderRef="acct-sell"))
            reports: list[float] = []
            sell.commissionReportEvent += lambda _t, _f, report: reports.append(report.realizedPNL)
            await reaches(sell, "Filled")
            await until(lambda: reports, what="commission report")
            assert reports == [pytest.approx(1100 - 1000.05 - 0.05)]
            await until(lambda: not ib.positions(), what="flat")
            summary = {v.tag: v.value for v in await settle(ib.accountSummaryAsync(ACCOUNT))}
            assert "RealizedPnL" not in summary  # not an account summary tag at IB either
            assert _values(ib)["RealizedPnL"] == pytest.approx(99.9)
            assert float(summary["NetLiquidation"]) == pytest.approx(START_CASH + 99.9)
            assert summary["AccountType"] == "INDIVIDUAL"

    run(scenario)


def test_future_positions_carry_the_multiplier(gateway: GatewayProcess) -> None:
    year, month = listed_months(datetime.now(UTC).date())[0]
    gateway.post("/prices", {"ES": 5000.0})

    async def scenario() -> None:
        async with connected(gateway) as ib:
            contract = await _qualified(ib, Future("ES", f"{year}{month:02d}", "CME"))
            trade = ib.placeOrder(contract, MarketOrder("BUY", 2, orderRef="es-1"))
            await reaches(trade, "Filled")
            await until(ib.positions, what="position")
            [position] = ib.positions()
            assert position.contract.multiplier == "50"
            assert position.avgCost == pytest.approx(5000 * 50 + 0.85)
            gateway.post("/prices", {"ES": 5010.0})
            await until(lambda: _values(ib)["UnrealizedPnL"] > 900, what="revaluation")
            values = _values(ib)
            assert values["UnrealizedPnL"] == pytest.approx(2 * 10 * 50 - 1.7)
            assert values["GrossPositionValue"] == pytest.approx(2 * 5010 * 50)
            assert values["TotalCashValue"] == START_CASH

    run(scenario)


def test_positions_request_reports_every_account_position(gateway: GatewayProcess) -> None:
    async def scenario() -> None:
        async with connected(gateway) as ib:
            contract = await _qualified(ib, Stock("XOM", "SMART", "USD"))
            await reaches(ib.placeOrder(contract, MarketOrder("SELL", 7)), "Filled")
        async with connected(gateway) as ib:
            [position] = await settle(ib.reqPositionsAsync())
            assert (position.account, position.position) == (ACCOUNT, -7)

    run(scenario)


def test_account_values_set_through_the_control_api(gateway: GatewayProcess) -> None:
    gateway.post("/accounts", {ACCOUNT: {"NetLiquidation": 250_000, "MaintMarginReq": 1234.5}})

    async def scenario() -> dict[str, float]:
        async with connected(gateway) as ib:
            return _values(ib)

    values = run(scenario)
    assert values["NetLiquidation"] == 250_000
    assert values["TotalCashValue"] == 250_000
    assert values["MaintMarginReq"] == 1234.5


def test_account_updates_carry_exchange_rates_set_through_the_control_api(
    gateway: GatewayProcess,
) -> None:
    def rates(ib: IB) -> dict[str, str]:
        return {v.currency: v.value for v in ib.accountValues(ACCOUNT) if v.tag == "ExchangeRate"}

    async def scenario() -> tuple[dict[str, str], dict[str, str]]:
        async with connected(gateway) as ib:
            first = rates(ib)
            gateway.post("/fx", {"EUR": 1.0925, "CHF": 1.13})
            await until(lambda: rates(ib).get("CHF"), what="pushed rates")
            return first, rates(ib)

    first, after = run(scenario)
    assert first == {"BASE": "1.00", "USD": "1.00", "EUR": "1.08", "GBP": "1.27"}
    assert after == {"BASE": "1.00", "USD": "1.00", "EUR": "1.0925", "GBP": "1.27", "CHF": "1.13"}
    assert gateway.state()["settings"]["fx_rates"] == {"EUR": 1.0925, "GBP": 1.27, "CHF": 1.13}
    gateway.post("/reset")
    assert gateway.state()["settings"]["fx_rates"] == {"EUR": 1.08, "GBP": 1.27}
