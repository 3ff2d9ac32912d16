"""Orders as Cerebro decides them and fills as venues execute them, in MATS's own terms."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from mats.domain.trading import (
    BracketLeg,
    OrderAction,
    OrderPurpose,
    OrderType,
    Side,
    TimeInForce,
    TradingMode,
)


@dataclass(frozen=True)
class Order:
    """One order for one strategy's account and instrument.

    ``id`` is ``{signal_id}_ORD`` (a reverse's closing leg is ``{signal_id}_ORD_EXIT``); it
    travels to the venue (IB ``orderRef``, ccxt ``clientOrderId``) so a retry is recognised.
    Prices are already rounded to the instrument's tick and the quantity to its lot. A
    ``CANCEL_OPEN`` order has no side and quantity 0: it cancels the strategy's working orders
    on the instrument.
    """

    id: str
    created_at: datetime
    signal_id: str
    strategy_id: str
    account: str
    broker: str
    trading_mode: TradingMode
    symbol: str
    currency: str
    purpose: OrderPurpose
    action: OrderAction
    quantity: Decimal
    side: Side | None = None
    reference_price: Decimal | None = None
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    expire_at: datetime | None = None
    stop_loss: BracketLeg | None = None
    take_profit: BracketLeg | None = None
    exchange: str | None = None
    asset_class: str | None = None
    multiplier: Decimal = Decimal(1)
    broker_symbol: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    tick_size: Decimal | None = None  # The instrument's price increment (paper fills use it).
    # Cerebro's estimate of the margin one unit ties up, in the account's currency (entries).
    margin_per_unit: Decimal | None = None
    # The mid of the quote Cerebro decided on ((bid + ask) / 2, else last): implementation
    # shortfall's decision price. ``None`` without a fresh quote.
    decision_mid: Decimal | None = None


@dataclass(frozen=True)
class Fill:
    """One execution at a venue (``id`` is the venue's execution id), attributed to a strategy."""

    id: str
    created_at: datetime
    order_id: str
    signal_id: str
    strategy_id: str
    account: str
    broker: str
    trading_mode: TradingMode
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    commission: Decimal
    currency: str
    executed_at: datetime
    purpose: OrderPurpose
    multiplier: Decimal = Decimal(1)
    commission_currency: str | None = None  # When the venue charges in another currency (BNB).
