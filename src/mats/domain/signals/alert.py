"""An alert as read from a webhook, whatever its format, before MATS adds its own context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from mats.domain.signals.fields import Fields, nested_field
from mats.domain.trading import Intent, OrderType, Position, ProtectiveLeg, Side, TimeInForce
from mats.errors import ValidationError

SIDES = {"buy": Side.BUY, "sell": Side.SELL, "long": Side.BUY, "short": Side.SELL}


@dataclass(frozen=True)
class OrderTerms:
    """How the sender would like the order placed (type, prices, protection, time in force)."""

    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    stop_loss: ProtectiveLeg | None = None
    take_profit: ProtectiveLeg | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    expire_at: datetime | None = None


@dataclass(frozen=True)
class Alert:
    source_format: str
    strategy_id: str
    symbol: str
    intent: Intent
    terms: OrderTerms
    exchange: str | None = None
    side: Side | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    target: Position | None = None
    previous: Position | None = None
    signal_time: datetime | None = None
    bar_time: datetime | None = None
    alert_order_id: str | None = None
    comment: str | None = None
    idempotency_key: str | None = None


_ORDER_TYPES = {
    "market": OrderType.MARKET,
    "mkt": OrderType.MARKET,
    "limit": OrderType.LIMIT,
    "lmt": OrderType.LIMIT,
    "stop": OrderType.STOP,
    "stp": OrderType.STOP,
    "stop_limit": OrderType.STOP_LIMIT,
    "stop-limit": OrderType.STOP_LIMIT,
    "stp_lmt": OrderType.STOP_LIMIT,
}
_TIME_IN_FORCE = {member.value.casefold(): member for member in TimeInForce}


def read_order_terms(fields: Fields) -> OrderTerms:
    """Read the optional order fields every format shares (snake_case or camelCase)."""
    order_type = fields.keyword(_ORDER_TYPES, "order_type", "orderType") or OrderType.MARKET
    limit_price = fields.number("limit_price", "limitPrice", positive=True)
    stop_price = fields.number("stop_price", "stopPrice", positive=True)
    expire_at = fields.timestamp("expire_at", "expireAt", "expiry")
    time_in_force = fields.keyword(_TIME_IN_FORCE, "time_in_force", "timeInForce", "tif")
    if time_in_force is None:
        time_in_force = TimeInForce.GTD if expire_at else TimeInForce.DAY
    terms = OrderTerms(
        order_type=order_type,
        limit_price=limit_price,
        stop_price=stop_price,
        stop_loss=_protective_leg(fields, "stop_loss", "stopLoss"),
        take_profit=_protective_leg(fields, "take_profit", "takeProfit"),
        time_in_force=time_in_force,
        expire_at=expire_at,
    )
    _check_terms(terms)
    return terms


def _check_terms(terms: OrderTerms) -> None:
    needs_limit = terms.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
    needs_stop = terms.order_type in (OrderType.STOP, OrderType.STOP_LIMIT)
    if needs_limit and terms.limit_price is None:
        raise ValidationError("limit_price", f"is required for {terms.order_type.value} orders")
    if needs_stop and terms.stop_price is None:
        raise ValidationError("stop_price", f"is required for {terms.order_type.value} orders")
    if not needs_limit and terms.limit_price is not None:
        raise ValidationError("limit_price", f"does not apply to {terms.order_type.value} orders")
    if not needs_stop and terms.stop_price is not None:
        raise ValidationError("stop_price", f"does not apply to {terms.order_type.value} orders")
    if terms.time_in_force is TimeInForce.GTD and terms.expire_at is None:
        raise ValidationError("expire_at", "is required with time in force GTD")
    if terms.time_in_force is not TimeInForce.GTD and terms.expire_at is not None:
        raise ValidationError("expire_at", "only applies with time in force GTD")


def _protective_leg(fields: Fields, *keys: str) -> ProtectiveLeg | None:
    found = fields.raw(*keys)
    if found is None:
        return None
    key, value = found
    if not isinstance(value, dict):
        price = fields.number(*keys, positive=True)
        return ProtectiveLeg(price=price)
    with nested_field(key):
        nested = Fields(value)
        price = nested.number(
            "price", "stopPrice", "stop_price", "limitPrice", "limit_price", positive=True
        )
        percent = nested.number("percent", positive=True)
        if (price is None) == (percent is None):
            raise ValidationError("price", "give exactly one of price or percent")
        if key in ("stop_loss", "stopLoss") and percent is not None and percent >= 100:
            raise ValidationError("percent", "must be below 100")
    return ProtectiveLeg(price=price, percent=percent)
