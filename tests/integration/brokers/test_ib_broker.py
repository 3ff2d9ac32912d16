"""The IB venue adapter against the simulated IB Gateway, through the real ib_async client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from tests.fakes import FakeClock
from tests.integration.brokers.ib_support import an_order, until
from tests.integration.ib_gateway.support import ACCOUNT, GatewayProcess

from mats.adapters.brokers.ib import IbBroker
from mats.adapters.brokers.ib_session import IbSession
from mats.domain.execution.states import OrderState
from mats.domain.trading import BracketLeg, OrderType
from mats.domain.venues import OrderRejectedError, VenueRate
from mats.errors import TemporaryError


def test_a_market_order_fills_and_is_found_again_by_our_id(session: IbSession) -> None:
    broker = IbBroker(session, {ACCOUNT: ACCOUNT})

    placed = broker.place(an_order("mkt_1_ORD"))
    until(
        lambda: (
            (r := broker.lookup("mkt_1_ORD")) is not None
            and r.state is OrderState.FILLED
            and r.fills[0].commission > 0
        )
    )
    report = broker.lookup("mkt_1_ORD")
    again = broker.place(an_order("mkt_1_ORD"))

    assert placed.state in (OrderState.ACCEPTED, OrderState.FILLED)
    assert report.filled_quantity == 10
    [fill] = report.fills
    assert fill.order_id == "mkt_1_ORD"
    assert fill.price == Decimal(190)
    assert again.fills == report.fills
    assert (
        len(
            [
                e
                for e in broker.executions(datetime.now(UTC) - timedelta(hours=1))
                if e.order_id == "mkt_1_ORD"
            ]
        )
        == 1
    )


def test_a_continuous_future_trades_its_front_month(session: IbSession) -> None:
    broker = IbBroker(session, {ACCOUNT: ACCOUNT})

    broker.place(
        an_order(
            "fut_1_ORD", symbol="ES1!", asset_class="FUTURE", exchange="CME", quantity=Decimal(2)
        )
    )
    until(lambda: (r := broker.lookup("fut_1_ORD")) is not None and r.state is OrderState.FILLED)

    assert broker.lookup("fut_1_ORD").fills[0].price == Decimal(5000)


def test_a_rejected_order_raises_with_the_reason(
    session: IbSession, gateway: GatewayProcess
) -> None:
    gateway.post("/reject-next", {"reason": "Order size exceeds the account's buying power"})

    with pytest.raises(OrderRejectedError, match="buying power"):
        IbBroker(session, {ACCOUNT: ACCOUNT}).place(an_order("rej_1_ORD"))


def test_an_order_for_a_contract_ib_does_not_know_is_rejected_under_its_own_id(
    session: IbSession,
) -> None:
    broker = IbBroker(session, {ACCOUNT: ACCOUNT})

    with pytest.raises(OrderRejectedError, match="does not know the contract") as refused:
        broker.place(an_order("unk_1_ORD", symbol="ZZ1!", asset_class="FUTURE", exchange="CME"))

    assert refused.value.order_id == "unk_1_ORD"


def test_a_resting_limit_order_can_be_cancelled(session: IbSession) -> None:
    broker = IbBroker(session, {ACCOUNT: ACCOUNT})
    broker.place(an_order("lmt_1_ORD", order_type=OrderType.LIMIT, limit_price=Decimal(150)))

    cancelled = broker.cancel("lmt_1_ORD")
    until(lambda: broker.lookup("lmt_1_ORD").state is OrderState.CANCELLED)

    assert cancelled is not None
    assert broker.cancel("never-placed") is None


def test_a_bracket_places_linked_take_profit_and_stop_loss(
    session: IbSession, gateway: GatewayProcess
) -> None:
    broker = IbBroker(session, {ACCOUNT: ACCOUNT})
    order = an_order(
        "brk_1_ORD",
        take_profit=BracketLeg("brk_1_ORD_TP", Decimal(200)),
        stop_loss=BracketLeg("brk_1_ORD_SL", Decimal(180)),
    )

    broker.place(order)
    until(lambda: broker.lookup("brk_1_ORD").state is OrderState.FILLED)
    gateway.post("/prices", {"AAPL": 201})
    until(lambda: (r := broker.lookup("brk_1_ORD_TP")) is not None and r.state is OrderState.FILLED)

    until(lambda: broker.lookup("brk_1_ORD_SL").state is OrderState.CANCELLED)


@pytest.mark.parametrize("code", [1100, 2110])
def test_lost_connectivity_pauses_new_orders_until_1102(
    session: IbSession, gateway: GatewayProcess, code: int
) -> None:
    broker = IbBroker(session, {ACCOUNT: ACCOUNT})
    gateway.post("/errors", {"code": code})
    until(lambda: not session.status().accepting_orders)

    with pytest.raises(TemporaryError, match=f"IB lost connectivity \\({code}\\)"):
        broker.place(an_order(f"pause_{code}_ORD"))
    gateway.post("/errors", {"code": 1102})
    until(lambda: session.status().accepting_orders)
    assert broker.place(an_order(f"pause_{code}_ORD")).order_id == f"pause_{code}_ORD"


def test_a_gateway_restart_reconnects_and_recovers_the_fill(
    session: IbSession, gateway: GatewayProcess
) -> None:
    broker = IbBroker(session, {ACCOUNT: ACCOUNT})
    gateway.post("/fill-mode", {"fill_delay": 0.5})
    broker.place(an_order("rst_1_ORD"))
    gateway.post("/restart", {"down_seconds": 1.0, "next_valid_id": 1})
    until(lambda: not session.status().connected)
    until(lambda: session.status().accepting_orders, timeout=20)

    until(lambda: (r := broker.lookup("rst_1_ORD")) is not None and r.state is OrderState.FILLED)
    report = broker.lookup("rst_1_ORD")
    assert len(report.fills) == 1
    assert session.disconnected_since is None


def test_order_ids_a_restarted_gateway_hands_out_again_are_never_reused(
    session: IbSession, gateway: GatewayProcess
) -> None:
    broker = IbBroker(session, {ACCOUNT: ACCOUNT})
    for name in ("old_1_ORD", "old_2_ORD"):
        broker.place(an_order(name))
        until(lambda n=name: broker.lookup(n).state is OrderState.FILLED)
    gateway.post("/restart", {"down_seconds": 0.5, "next_valid_id": 1})
    until(lambda: not session.status().connected)
    until(lambda: session.status().accepting_orders, timeout=20)

    report = broker.place(an_order("new_1_ORD"))

    until(lambda: broker.lookup("new_1_ORD").state is OrderState.FILLED)
    assert report.reason is None
    placed = [o for o in gateway.state()["orders"] if o["order_ref"] == "new_1_ORD"]
    assert [o["status"] for o in placed] == ["Filled"]


def test_account_values_and_positions(session: IbSession, clock: FakeClock) -> None:
    broker = IbBroker(session, {ACCOUNT: ACCOUNT})
    broker.place(an_order("acct_1_ORD"))
    until(lambda: broker.lookup("acct_1_ORD").state is OrderState.FILLED)

    until(lambda: any(p.symbol == "AAPL" for p in broker.account(ACCOUNT).positions))
    account = broker.account(ACCOUNT)
    assert account.as_of == clock.now()
    assert account.equity > 0
    assert [p.quantity for p in account.positions if p.symbol == "AAPL"] == [Decimal(10)]


def test_an_account_reports_the_gateways_exchange_rates_in_its_currency(
    session: IbSession, gateway: GatewayProcess
) -> None:
    broker = IbBroker(session, {"IBKR_Main": ACCOUNT})

    account = broker.account("IBKR_Main")
    assert account.currency == "USD"
    assert account.fx_rates == (
        VenueRate("EUR", Decimal("1.08")),
        VenueRate("GBP", Decimal("1.27")),
    )

    answer = gateway.post("/fx", {"EUR": 1.0925, "GBP": None, "JPY": 0.0066})
    assert answer == {"fx_rates": {"EUR": 1.0925, "JPY": 0.0066}}
    until(lambda: broker.account("IBKR_Main").fx_rates[0].rate == Decimal("1.0925"))
    assert broker.account("IBKR_Main").fx_rates == (
        VenueRate("EUR", Decimal("1.0925")),
        VenueRate("GBP", Decimal("1.27")),  # no longer sent; ib_async keeps the last value
        VenueRate("JPY", Decimal("0.0066")),
    )
