"""Account snapshots and the per-strategy position ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from mats.domain.trading import PositionSide, Side


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

    ``pnl_today`` and ``realized_pnl`` are realised P&L (today's since the start of
    ``pnl_date``) in ``currency``, the instrument's currency (``None`` on positions set by hand
    or written before the ledger recorded it: the account's currency).
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
    realized_pnl: Decimal = Decimal(0)
    last_execution_id: str | None = None
    currency: str | None = None

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


@dataclass(frozen=True)
class LedgerFill:
    """What the ledger needs of one execution (quantity unsigned, money in the fill's currency)."""

    execution_id: str
    side: Side
    quantity: Decimal
    price: Decimal
    at: datetime
    commission: Decimal = Decimal(0)
    multiplier: Decimal = Decimal(1)
    currency: str | None = None


def apply_fill(
    position: StrategyPosition | None,
    fill: LedgerFill,
    *,
    account: str,
    strategy_id: str,
    symbol: str,
    source: str = "fills",
) -> StrategyPosition:
    """Return the position after one fill: quantity, average cost and realised P&L.

    Closing (part of) a position realises (price - average cost) x closed quantity x multiplier
    for a long (the opposite for a short); a fill larger than the position closes it and opens
    the rest the other way at the fill price. Commission is always a realised cost. The caller
    applies each execution id once (the ledger stores the fills it has seen).
    """
    held = position.quantity if position else Decimal(0)
    cost = position.average_cost if position and position.average_cost is not None else fill.price
    signed = fill.quantity if fill.side is Side.BUY else -fill.quantity
    closing = min(abs(signed), abs(held)) if held and (held > 0) != (signed > 0) else Decimal(0)
    direction = Decimal(1) if held > 0 else Decimal(-1)
    realized = closing * (fill.price - cost) * fill.multiplier * direction - fill.commission
    after = held + signed
    if after == 0:
        average: Decimal | None = None
    elif held == 0 or (held > 0) != (after > 0):
        average = fill.price  # Opened, or flipped: the remainder is new at the fill price.
    elif abs(after) > abs(held):
        average = (abs(held) * cost + abs(signed) * fill.price) / abs(after)
    else:
        average = cost  # Reduced: what is left keeps its cost.
    day = fill.at.date()
    carried = position.pnl_on(day) if position else Decimal(0)
    return StrategyPosition(
        account=account,
        strategy_id=strategy_id,
        symbol=symbol,
        quantity=after,
        updated_at=fill.at,
        average_cost=average,
        pnl_today=carried + realized,
        pnl_date=day,
        source=source,
        realized_pnl=(position.realized_pnl if position else Decimal(0)) + realized,
        last_execution_id=fill.execution_id,
        currency=fill.currency or (position.currency if position else None),
    )
