"""Account snapshots and the per-strategy position ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from mats.contracts import PositionSide


@dataclass(frozen=True)
class AccountState:
    """The latest known state of one broker account, in its base currency."""

    account: str
    broker: str
    base_currency: str
    equity: Decimal
    cash: Decimal
    margin_used: Decimal
    updated_at: datetime
    margin_available: Decimal | None = None
    source: str = "manual"


@dataclass(frozen=True)
class StrategyPosition:
    """One strategy's position in one instrument on one account (signed quantity).

    ``pnl_today`` is realised plus unrealised P&L since the start of ``pnl_date``, in the
    account's base currency, kept by the ledger.
    """

    account: str
    strategy_id: str
    symbol: str
    quantity: Decimal
    updated_at: datetime
    average_cost: Decimal | None = None
    pnl_today: Decimal = Decimal(0)
    pnl_date: date | None = None
    source: str = "manual"

    @property
    def side(self) -> PositionSide:
        if self.quantity > 0:
            return PositionSide.LONG
        if self.quantity < 0:
            return PositionSide.SHORT
        return PositionSide.FLAT

    def pnl_on(self, day: date) -> Decimal:
        return self.pnl_today if self.pnl_date == day else Decimal(0)


def position_id(account: str, strategy_id: str, symbol: str) -> str:
    """The ledger document id; '/' in symbols (BTC/USDT) cannot appear in a document id."""
    return f"{account}__{strategy_id}__{symbol.replace('/', '_')}"
