"""TradingView strategy alerts: JSON built from ``{{...}}`` placeholders.

Accepted keys (flat, or nested under a ``"strategy"`` object as in the common bot template, or
with the placeholder's own dotted name such as ``"strategy.order.action"``):

============================  ==========================================================
``ticker``                    ``{{ticker}}`` — the instrument (required)
``exchange``                  ``{{exchange}}``
``close``                     ``{{close}}`` — used as the price when no order price is sent
``time``                      ``{{time}}`` — bar time
``timenow``                   ``{{timenow}}`` — when the alert fired (used for staleness)
``action``                    ``{{strategy.order.action}}`` — buy or sell
``contracts``                 ``{{strategy.order.contracts}}``
``price``                     ``{{strategy.order.price}}``
``order_id``                  ``{{strategy.order.id}}``
``comment``                   ``{{strategy.order.comment}}``
``position_size``             ``{{strategy.position_size}}`` — signed
``market_position``           ``{{strategy.market_position}}`` — long, short or flat
``market_position_size``      ``{{strategy.market_position_size}}``
``prev_market_position``      ``{{strategy.prev_market_position}}``
``prev_market_position_size`` ``{{strategy.prev_market_position_size}}``
============================  ==========================================================

The intent comes from the position before and after the order; when only ``position_size`` is
sent, the previous position is worked out from the order action and contracts.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from mats.domain.signals.alert import SIDES, Alert, read_order_terms
from mats.domain.signals.fields import Fields, validate_symbol
from mats.domain.signals.intent import derive_intent, position_from_signed, signed_size
from mats.domain.trading import Position, PositionSide, Side
from mats.errors import ValidationError

FORMAT = "tradingview"
POSITION_KEYS = (
    "position_size",
    "market_position",
    "market_position_size",
    "prev_market_position",
    "prev_market_position_size",
)
_POSITION_SIDES = {
    "long": PositionSide.LONG,
    "short": PositionSide.SHORT,
    "flat": PositionSide.FLAT,
}


def looks_like_tradingview(payload: Mapping[str, Any]) -> bool:
    flat = _flatten(payload)
    return any(key in flat for key in (*POSITION_KEYS, "contracts", "order_contracts"))


def parse_tradingview(payload: Mapping[str, Any], strategy_id: str) -> Alert:
    """Parse a TradingView strategy alert into an :class:`Alert`."""
    fields = Fields(_flatten(payload))
    action = fields.keyword(SIDES, "action", "order_action")
    contracts = fields.number("contracts", "order_contracts")
    target = _target_position(fields)
    previous = _previous_position(fields, target, action, contracts)
    if target is None or previous is None:
        raise ValidationError(
            "market_position",
            "TradingView alerts need the strategy position: send market_position and "
            "prev_market_position (or position_size with the order action and contracts)",
        )
    intent = derive_intent(previous, target, action)
    return Alert(
        source_format=FORMAT,
        strategy_id=strategy_id,
        symbol=validate_symbol("ticker", fields.text("ticker", "symbol", max_length=40)),
        exchange=fields.text("exchange", max_length=40),
        intent=intent,
        side=action,
        quantity=contracts,
        price=fields.number("price", "order_price", positive=True)
        or fields.number("close", positive=True),
        target=target,
        previous=previous,
        terms=read_order_terms(fields),
        signal_time=fields.timestamp("timenow"),
        bar_time=fields.timestamp("time", "bar_time"),
        alert_order_id=fields.text("order_id", "alert_order_id"),
        comment=fields.text("comment", "order_comment", max_length=256),
    )


def _flatten(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Merge the nested ``strategy`` object and dotted placeholder names into flat keys."""
    flat: dict[str, Any] = {}
    nested = payload.get("strategy")
    if isinstance(nested, Mapping):
        flat.update(nested)
    bar = payload.get("bar")
    if isinstance(bar, Mapping) and "time" in bar:
        flat["bar_time"] = bar["time"]
    for key, value in payload.items():
        if key.startswith("strategy.order."):
            flat[key.removeprefix("strategy.order.")] = value
        elif key.startswith("strategy."):
            flat[key.removeprefix("strategy.")] = value
        elif key != "strategy" or not isinstance(value, Mapping):
            flat[key] = value
    return flat


def _target_position(fields: Fields) -> Position | None:
    side = fields.keyword(_POSITION_SIDES, "market_position")
    size = fields.number("market_position_size")
    signed = fields.number("position_size", signed=True)
    if side is None:
        return None if signed is None else position_from_signed(signed)
    if size is None and signed is not None:
        size = abs(signed)
    position = _checked_position(side, size, "market_position_size")
    if signed is not None and signed_size(position) != signed:
        raise ValidationError(
            "position_size", f"{signed} contradicts market_position {side.value.lower()}"
        )
    return position


def _previous_position(
    fields: Fields, target: Position | None, action: Side | None, contracts: Decimal | None
) -> Position | None:
    side = fields.keyword(_POSITION_SIDES, "prev_market_position")
    if side is not None:
        size = fields.number("prev_market_position_size")
        return _checked_position(side, size, "prev_market_position_size")
    target_size = signed_size(target) if target is not None else None
    if target_size is None or action is None or contracts is None:
        return None
    change = contracts if action is Side.BUY else -contracts
    return position_from_signed(target_size - change)


def _checked_position(side: PositionSide, size: Decimal | None, size_field: str) -> Position:
    if side is PositionSide.FLAT:
        if size not in (None, Decimal(0)):
            raise ValidationError(size_field, f"must be 0 when the position is flat; got {size}")
        return Position(PositionSide.FLAT, Decimal(0))
    if size is not None and size == 0:
        raise ValidationError(size_field, f"must be above 0 for a {side.value.lower()} position")
    return Position(side, size)
