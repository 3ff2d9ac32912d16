"""``mats positions``' table: the P&L of today only, never an earlier day's as today's."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from mats.cli.trading import positions_table
from mats.domain.accounting import StrategyPosition

TODAY = date(2026, 12, 3)


def position(symbol: str, pnl: str, on: date) -> StrategyPosition:
    return StrategyPosition(
        account="IBKR_Main",
        strategy_id="momentum-aapl",
        symbol=symbol,
        quantity=Decimal(0),
        updated_at=datetime.combine(on, datetime.min.time(), UTC),
        pnl_today=Decimal(pnl),
        pnl_date=on,
    )


def test_a_position_last_traded_on_an_earlier_day_made_nothing_today() -> None:
    shown = positions_table(
        [position("AAPL", "-178.91", date(2026, 9, 18)), position("SPY", "42.50", TODAY)], TODAY
    )

    aapl, spy = (line.split() for line in shown.splitlines()[1:])
    assert aapl[5] == "0"
    assert spy[5] == "42.50"
