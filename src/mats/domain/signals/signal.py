"""The standard signal: one accepted webhook alert in the strategy's context."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from mats.domain.trading import (
    Intent,
    OrderType,
    Position,
    ProtectiveLeg,
    Side,
    TimeInForce,
    TradingMode,
)


@dataclass(frozen=True)
class Signal:
    """A webhook alert in MATS's standard form.

    ``quantity`` and ``price`` are the sender's own figures (informational: Cerebro sizes the
    order itself). ``target`` and ``previous`` are the strategy's position after and before the
    alert as the sender reports it; Cerebro checks ``previous`` against its ledger.
    """

    id: str
    created_at: datetime
    strategy_id: str
    sender_id: str
    source_format: str
    symbol: str
    intent: Intent
    trading_mode: TradingMode
    account: str
    exchange: str | None = None
    side: Side | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    target: Position | None = None
    previous: Position | None = None
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    stop_loss: ProtectiveLeg | None = None
    take_profit: ProtectiveLeg | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    expire_at: datetime | None = None
    signal_time: datetime | None = None
    bar_time: datetime | None = None
    alert_order_id: str | None = None
    comment: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
