"""Account arithmetic: IB-style average cost, realised P&L, cash, margin."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mats.localstack.ib_gateway.catalog import Instrument
from mats.localstack.ib_gateway.ledger import Ledger, UnknownAccountError
from mats.localstack.ib_gateway.model import Settings

STOCK = Instrument(1, "AAPL", "STK", "SMART", "USD", "AAPL", "NMS")
FUTURE = Instrument(2, "ES", "FUT", "CME", "USD", "ESH6", "ES", multiplier=50.0)
CASH = 1_000_000.0


def _ledger(prices: dict[int, float] | None = None) -> Ledger:
    known = prices or {}
    return Ledger(["DU1"], CASH, Settings(), lambda found: known.get(found.con_id, 100.0))


def test_opening_includes_commission_in_the_average_cost() -> None:
    ledger = _ledger()
    realized = ledger.apply("DU1", STOCK, buy=True, quantity=10, price=100.0, commission=1.0)
    [holding] = ledger.holdings("DU1")
    assert realized is None
    assert (holding.quantity, holding.average_cost) == (10, pytest.approx(100.1))
    assert ledger.values("DU1")["TotalCashValue"] == pytest.approx(CASH - 1001)


def test_closing_realises_pnl_net_of_both_commissions() -> None:
    ledger = _ledger({1: 110.0})
    ledger.apply("DU1", STOCK, buy=True, quantity=10, price=100.0, commission=1.0)
    realized = ledger.apply("DU1", STOCK, buy=False, quantity=10, price=110.0, commission=1.0)
    assert realized == pytest.approx(100 - 2)
    values = ledger.values("DU1")
    assert values["RealizedPnL"] == pytest.approx(98)
    assert values["NetLiquidation"] == pytest.approx(CASH + 98)
    assert values["GrossPositionValue"] == 0


def test_selling_through_zero_opens_the_other_side() -> None:
    ledger = _ledger()
    ledger.apply("DU1", STOCK, buy=True, quantity=5, price=100.0, commission=0.0)
    realized = ledger.apply("DU1", STOCK, buy=False, quantity=8, price=102.0, commission=0.8)
    [holding] = ledger.holdings("DU1")
    assert realized == pytest.approx(5 * 2 - 0.5)
    assert holding.quantity == -3
    assert holding.average_cost == pytest.approx(102 - 0.1)  # fees lower a short's proceeds


def test_futures_move_cash_only_by_realised_pnl() -> None:
    ledger = _ledger({2: 5010.0})
    ledger.apply("DU1", FUTURE, buy=True, quantity=2, price=5000.0, commission=1.7)
    values = ledger.values("DU1")
    assert values["TotalCashValue"] == CASH
    assert values["UnrealizedPnL"] == pytest.approx(2 * 10 * 50 - 1.7)
    assert values["NetLiquidation"] == pytest.approx(CASH + 1000 - 1.7)
    assert values["InitMarginReq"] == pytest.approx(0.25 * 2 * 5010 * 50)
    realized = ledger.apply("DU1", FUTURE, buy=False, quantity=2, price=5010.0, commission=1.7)
    assert realized == pytest.approx(1000 - 3.4)
    assert ledger.values("DU1")["TotalCashValue"] == pytest.approx(CASH + 1000 - 3.4)


@given(
    quantity=st.integers(1, 1000),
    entry=st.floats(1, 1000),
    exit_price=st.floats(1, 1000),
    fee=st.floats(0, 10),
    buy=st.booleans(),
)
def test_round_trip_realises_price_change_times_quantity_minus_fees(
    quantity: int, entry: float, exit_price: float, fee: float, buy: bool
) -> None:
    ledger = _ledger()
    ledger.apply("DU1", STOCK, buy=buy, quantity=quantity, price=entry, commission=fee)
    realized = ledger.apply(
        "DU1", STOCK, buy=not buy, quantity=quantity, price=exit_price, commission=fee
    )
    direction = 1 if buy else -1
    expected = (exit_price - entry) * quantity * direction - 2 * fee
    assert realized == pytest.approx(expected, rel=1e-9, abs=1e-6)
    assert ledger.values("DU1")["TotalCashValue"] == pytest.approx(CASH + expected, abs=1e-6)


def test_set_values_sets_cash_and_pins_other_tags() -> None:
    ledger = _ledger()
    ledger.set_values("DU1", {"NetLiquidation": 500_000, "Cushion": 0.5})
    ledger.set_values("DU2", {"TotalCashValue": 42})
    assert ledger.values("DU1")["TotalCashValue"] == 500_000
    assert ledger.values("DU1")["Cushion"] == 0.5
    ledger.set_values("DU1", {"Cushion": None})
    assert ledger.values("DU1")["Cushion"] == 1.0
    assert ledger.codes == ["DU1", "DU2"]
    assert ledger.values("DU2")["NetLiquidation"] == 42


def test_unknown_accounts_are_refused() -> None:
    with pytest.raises(UnknownAccountError):
        _ledger().values("DU9")
