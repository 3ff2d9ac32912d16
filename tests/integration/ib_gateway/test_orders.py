"""Orders placed by the real ib_async client: fills, resting orders, partial fills, brackets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from ib_async import IB, Contract, LimitOrder, MarketOrder, Order, Stock, StopOrder, Trade
from tests.integration.ib_gateway.support import (
    GatewayProcess,
    connected,
    reaches,
    run,
    settle,
    until,
)

pytestmark = pytest.mark.integration


async def _stock(ib: IB, symbol: str) -> Contract:
    [contract] = await ib.qualifyContractsAsync(Stock(symbol, "SMART", "USD"))
    assert contract is not None
    return contract


def test_market_order_fills_with_commission_and_order_ref(gateway: GatewayProcess) -> None:
    async def scenario() -> None:
        async with connected(gateway) as ib:
            contract = await _stock(ib, "AAPL")
            trade = ib.placeOrder(contract, MarketOrder("BUY", 10, orderRef="sig-123:order-1"))
            fills: list[object] = []
            reports: list[object] = []
            trade.fillEvent += lambda _trade, fill: fills.append(fill)
            trade.commissionReportEvent += lambda _trade, _fill, report: reports.append(report)
            await reaches(trade, "Filled")
            await until(lambda: reports, what="commission report")
            [fill] = trade.fills
            assert fills == [fill]
            assert fill.execution.orderRef == "sig-123:order-1"
            assert fill.execution.shares == 10
            assert fill.execution.price == 100
            assert fill.execution.side == "BOT"
            assert fill.execution.permId == trade.order.permId > 0
            assert fill.commissionReport.commission == pytest.approx(0.05)
            assert fill.commissionReport.currency == "USD"
            assert trade.orderStatus.avgFillPrice == 100
            assert trade.order.orderRef == "sig-123:order-1"

    run(scenario)
    [execution] = gateway.state()["executions"]
    assert execution["order_ref"] == "sig-123:order-1"


def test_limit_order_rests_until_the_price_crosses_it(gateway: GatewayProcess) -> None:
    async def scenario() -> None:
        async with connected(gateway) as ib:
            contract = await _stock(ib, "NVDA")
            trade = ib.placeOrder(contract, LimitOrder("BUY", 4, 99.0, orderRef="limit-1"))
            await until(lambda: trade.orderStatus.status == "Submitted", what="Submitted")
            gateway.post("/prices", {"NVDA": 99.5})
            await until(lambda: trade.orderStatus.status == "Submitted")
            assert not trade.fills
            gateway.post("/prices", {"NVDA": 98.0})
            await reaches(trade, "Filled")
            # A resting limit the market trades through fills at its limit, not better.
            assert trade.fills[0].execution.price == 99.0

    run(scenario)


def test_marketable_limit_fills_at_the_better_market_price(gateway: GatewayProcess) -> None:
    async def scenario() -> None:
        async with connected(gateway) as ib:
            contract = await _stock(ib, "AMD")
            trade = ib.placeOrder(contract, LimitOrder("SELL", 2, 95.0, orderRef="limit-2"))
            await reaches(trade, "Filled")
            assert trade.fills[0].execution.price == 100.0

    run(scenario)


def test_stop_order_triggers_when_the_price_falls_through(gateway: GatewayProcess) -> None:
    async def scenario() -> None:
        async with connected(gateway) as ib:
            contract = await _stock(ib, "TSLA")
            trade = ib.placeOrder(contract, StopOrder("SELL", 3, 95.0, orderRef="stop-1"))
            await until(lambda: trade.orderStatus.status == "Submitted")
            gateway.post("/prices", {"TSLA": 96.0})
            gateway.post("/prices", {"TSLA": 94.5})
            await reaches(trade, "Filled")
            assert trade.fills[0].execution.price == 94.5

    run(scenario)


def test_partial_fills_report_growing_cumulative_quantity(gateway: GatewayProcess) -> None:
    gateway.post("/fill-mode", {"partial_slices": 3})

    async def scenario() -> None:
        async with connected(gateway) as ib:
            contract = await _stock(ib, "META")
            trade = ib.placeOrder(contract, MarketOrder("BUY", 9, orderRef="partial-1"))
            statuses: list[tuple[str, float, float]] = []
            trade.statusEvent += lambda t: statuses.append(
                (t.orderStatus.status, t.orderStatus.filled, t.orderStatus.remaining)
            )
            await reaches(trade, "Filled")
            assert [fill.execution.cumQty for fill in trade.fills] == [3, 6, 9]
            assert [fill.execution.shares for fill in trade.fills] == [3, 3, 3]
            assert len({fill.execution.execId for fill in trade.fills}) == 3
            # IB reports a partial fill as Submitted with filled > 0 and remaining > 0.
            assert ("Submitted", 3, 6) in statuses
            assert ("Submitted", 6, 3) in statuses
            assert statuses[-1] == ("Filled", 9, 0)

    run(scenario)


def test_held_remainder_waits_until_filled_through_the_control_api(
    gateway: GatewayProcess,
) -> None:
    gateway.post("/fill-mode", {"hold_remainder": True})

    async def scenario() -> None:
        async with connected(gateway) as ib:
            contract = await _stock(ib, "NFLX")
            trade = ib.placeOrder(contract, MarketOrder("SELL", 10, orderRef="held-1"))
            await until(lambda: trade.orderStatus.filled == 5, what="first slice")
            assert trade.orderStatus.status == "Submitted"
            assert trade.orderStatus.remaining == 5
            [held] = [o for o in gateway.state()["orders"] if o["order_ref"] == "held-1"]
            assert held["holding"] is True
            gateway.post("/fill", {"order_ref": "held-1"})
            await reaches(trade, "Filled")
            assert [fill.execution.cumQty for fill in trade.fills] == [5, 10]

    run(scenario)


def test_cancel_reports_cancelled(gateway: GatewayProcess) -> None:
    async def scenario() -> list[int]:
        async with connected(gateway) as ib:
            codes: list[int] = []
            ib.errorEvent += lambda _req, code, _text, _contract: codes.append(code)
            contract = await _stock(ib, "ORCL")
            trade = ib.placeOrder(contract, LimitOrder("BUY", 1, 50.0, orderRef="cancel-1"))
            await until(lambda: trade.orderStatus.status == "Submitted")
            ib.cancelOrder(trade.order)
            await reaches(trade, "Cancelled")
            await until(lambda: 202 in codes, what="202")
            assert trade.orderStatus.status == "Cancelled"
            return codes

    run(scenario)
    [order] = [o for o in gateway.state()["orders"] if o["order_ref"] == "cancel-1"]
    assert order["status"] == "Cancelled"


def test_rejection_surfaces_as_error_201_and_cancelled(gateway: GatewayProcess) -> None:
    gateway.post("/reject-next", {"reason": "Insufficient margin (simulated)"})

    async def scenario() -> tuple[Trade, list[tuple[int, str]]]:
        async with connected(gateway) as ib:
            errors: list[tuple[int, str]] = []
            ib.errorEvent += lambda _req, code, text, _contract: errors.append((code, text))
            contract = await _stock(ib, "INTC")
            trade = ib.placeOrder(contract, MarketOrder("BUY", 1, orderRef="reject-1"))
            await reaches(trade, "Cancelled")
            return trade, errors

    trade, errors = run(scenario)
    assert (201, "Order rejected - reason:Insufficient margin (simulated)") in errors
    assert trade.orderStatus.status == "Cancelled"
    assert json.loads(trade.advancedError)["reason"] == "Insufficient margin (simulated)"
    assert not trade.fills


def test_bracket_take_profit_fill_cancels_the_stop_loss(gateway: GatewayProcess) -> None:
    async def scenario() -> None:
        async with connected(gateway) as ib:
            contract = await _stock(ib, "GOOG")
            parent, take_profit, stop_loss = ib.bracketOrder(
                "BUY", 10, limitPrice=99.0, takeProfitPrice=110.0, stopLossPrice=95.0
            )
            for order in (parent, take_profit, stop_loss):
                order.orderRef = f"bracket-{order.orderId}"
            trades = [ib.placeOrder(contract, order) for order in (parent, take_profit, stop_loss)]
            entry, profit, loss = trades
            await until(lambda: loss.orderStatus.status == "PreSubmitted", what="children wait")
            assert entry.orderStatus.status == "Submitted"
            assert profit.orderStatus.status == "PreSubmitted"
            assert profit.orderStatus.parentId == entry.order.orderId
            gateway.post("/prices", {"GOOG": 98.5})
            await reaches(entry, "Filled")
            await until(lambda: profit.orderStatus.status == "Submitted", what="children live")
            assert loss.orderStatus.status == "Submitted"
            gateway.post("/prices", {"GOOG": 111.0})
            await reaches(profit, "Filled")
            # The stop-loss is cancelled in the same burst of messages as the fill.
            await until(lambda: loss.orderStatus.status == "Cancelled", what="OCA cancel")
            assert profit.fills[0].execution.price == 110.0
            assert not loss.fills

    run(scenario)
    [position] = gateway.state()["positions"]
    assert position["quantity"] == 0


def test_bracket_stop_loss_fill_cancels_the_take_profit(gateway: GatewayProcess) -> None:
    async def scenario() -> None:
        async with connected(gateway) as ib:
            contract = await _stock(ib, "AMZN")
            orders = ib.bracketOrder(
                "SELL", 5, limitPrice=100.0, takeProfitPrice=90.0, stopLossPrice=105.0
            )
            entry, profit, loss = (ib.placeOrder(contract, order) for order in orders)
            await reaches(entry, "Filled")
            gateway.post("/prices", {"AMZN": 106.0})
            await reaches(loss, "Filled")
            await until(lambda: profit.orderStatus.status == "Cancelled", what="OCA cancel")
            assert loss.fills[0].execution.side == "BOT"

    run(scenario)


def test_oca_group_one_fill_cancels_the_others(gateway: GatewayProcess) -> None:
    async def scenario() -> None:
        async with connected(gateway) as ib:
            contract = await _stock(ib, "PEP")
            low = LimitOrder("BUY", 1, 95.0, ocaGroup="oca-1", ocaType=1)
            high = LimitOrder("BUY", 1, 90.0, ocaGroup="oca-1", ocaType=1)
            first, second = ib.placeOrder(contract, low), ib.placeOrder(contract, high)
            await until(lambda: second.orderStatus.status == "Submitted")
            gateway.post("/prices", {"PEP": 94.0})
            await reaches(first, "Filled")
            await until(lambda: second.orderStatus.status == "Cancelled", what="OCA cancel")

    run(scenario)


def test_ioc_that_cannot_fill_is_cancelled(gateway: GatewayProcess) -> None:
    async def scenario() -> None:
        async with connected(gateway) as ib:
            contract = await _stock(ib, "KO")
            trade = ib.placeOrder(contract, LimitOrder("BUY", 1, 90.0, tif="IOC"))
            await reaches(trade, "Cancelled")
            assert not trade.fills

    run(scenario)


def test_gtd_order_is_cancelled_when_its_time_passes(gateway: GatewayProcess) -> None:
    good_till = (datetime.now(UTC) + timedelta(seconds=1)).strftime("%Y%m%d-%H:%M:%S")

    async def scenario() -> None:
        async with connected(gateway) as ib:
            contract = await _stock(ib, "WMT")
            order = LimitOrder("BUY", 1, 90.0, tif="GTD", goodTillDate=good_till)
            trade = ib.placeOrder(contract, order)
            await until(lambda: trade.orderStatus.status == "Submitted")
            await reaches(trade, "Cancelled", timeout=4)

    run(scenario)


def test_repeating_the_order_id_modifies_the_working_order(gateway: GatewayProcess) -> None:
    async def scenario() -> None:
        async with connected(gateway) as ib:
            contract = await _stock(ib, "CSCO")
            order = LimitOrder("BUY", 2, 90.0, orderRef="modify-1")
            trade = ib.placeOrder(contract, order)
            await until(lambda: trade.orderStatus.status == "Submitted")
            order.lmtPrice = 101.0
            assert ib.placeOrder(contract, order) is trade
            await reaches(trade, "Filled")
            assert trade.fills[0].execution.price == 100.0
            assert trade.order.lmtPrice == 101.0

    run(scenario)


def test_what_if_order_reports_margin_without_trading(gateway: GatewayProcess) -> None:
    async def scenario() -> None:
        async with connected(gateway) as ib:
            contract = await _stock(ib, "ADBE")
            state = await settle(ib.whatIfOrderAsync(contract, MarketOrder("BUY", 100)))
            assert float(state.initMarginChange) == pytest.approx(0.25 * 100 * 100)
            assert state.commission == pytest.approx(0.5)

    run(scenario)
    assert gateway.state()["orders"] == []


def test_orders_off_the_tick_size_are_refused_with_110(gateway: GatewayProcess) -> None:
    async def scenario() -> list[int]:
        async with connected(gateway) as ib:
            codes: list[int] = []
            ib.errorEvent += lambda _req, code, _text, _contract: codes.append(code)
            trade = ib.placeOrder(_future_contract(), LimitOrder("BUY", 1, 5000.1))
            await reaches(trade, "Cancelled")
            return codes

    assert 110 in run(scenario)


def _future_contract() -> Contract:
    """An ES contract by local symbol: the simulator lists the next quarterly months."""
    today = datetime.now(UTC).date()
    year = today.year + 1
    return Contract(secType="FUT", symbol="ES", exchange="CME", localSymbol=f"ESH{year % 10}")


def test_orders_on_unknown_contracts_get_200(gateway: GatewayProcess) -> None:
    async def scenario() -> list[int]:
        async with connected(gateway) as ib:
            codes: list[int] = []
            ib.errorEvent += lambda _req, code, _text, _contract: codes.append(code)
            contract = Contract(secType="FUT", symbol="NOPE", exchange="CME")
            trade = ib.placeOrder(contract, Order(action="BUY", orderType="MKT", totalQuantity=1))
            await reaches(trade, "Cancelled")
            return codes

    assert 200 in run(scenario)
