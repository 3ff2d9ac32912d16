"""MATS's own webhook format, for senders that can build any JSON.

.. code-block:: json

    {
      "format": "mats",
      "strategy_id": "trend-es",
      "symbol": "ES", "exchange": "CME",
      "intent": "ENTRY_LONG",
      "side": "BUY",
      "quantity": "2", "price": "5012.25",
      "previous_position": {"side": "FLAT", "size": "0"},
      "target_position": {"side": "LONG", "size": "2"},
      "order_type": "LMT", "limit_price": "5010",
      "stop_loss": {"price": "4990"}, "take_profit": {"percent": "2"},
      "time_in_force": "GTD", "expire_at": "2026-11-21T20:00:00Z",
      "signal_time": "2026-11-21T14:30:05Z", "bar_time": "2026-11-21T14:30:00Z",
      "idempotency_key": "trend-es-2026-11-21T14:30-long",
      "comment": "breakout"
    }

Only ``symbol`` and either ``intent`` or both positions are required. When both are given they
must agree. ``idempotency_key`` (unique per alert) makes deduplication exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from mats.domain.signals.alert import Alert, read_order_terms
from mats.domain.signals.fields import Fields, nested_field, validate_symbol
from mats.domain.signals.intent import derive_intent, expected_side
from mats.domain.trading import Intent, Position, PositionSide, Side
from mats.errors import ValidationError

FORMAT = "mats"
_INTENTS = {intent.value.casefold(): intent for intent in Intent}
_SIDES = {side.value.casefold(): side for side in Side}
_POSITION_SIDES = {side.value.casefold(): side for side in PositionSide}


def parse_native(payload: Mapping[str, Any], strategy_id: str) -> Alert:
    """Parse a MATS-format alert into an :class:`Alert`."""
    fields = Fields(payload)
    side = fields.keyword(_SIDES, "side")
    previous = _position(fields, "previous_position")
    target = _position(fields, "target_position")
    stated = fields.keyword(_INTENTS, "intent")
    intent = _resolve_intent(stated, previous, target, side)
    if side is None and previous is not None and target is not None:
        side = expected_side(intent, previous, target)
    return Alert(
        source_format=FORMAT,
        strategy_id=strategy_id,
        symbol=validate_symbol("symbol", fields.text("symbol", "ticker", max_length=40)),
        exchange=fields.text("exchange", max_length=40),
        intent=intent,
        side=side,
        quantity=fields.number("quantity", positive=True),
        price=fields.number("price", positive=True),
        target=target,
        previous=previous,
        terms=read_order_terms(fields),
        signal_time=fields.timestamp("signal_time", "timestamp"),
        bar_time=fields.timestamp("bar_time"),
        alert_order_id=fields.text("alert_order_id", "order_id"),
        comment=fields.text("comment", max_length=256),
        idempotency_key=fields.text("idempotency_key", max_length=200),
    )


def _resolve_intent(
    stated: Intent | None, previous: Position | None, target: Position | None, side: Side | None
) -> Intent:
    if previous is not None and target is not None:
        derived = derive_intent(previous, target, side)
        if stated is not None and stated is not derived:
            raise ValidationError(
                "intent",
                f"{stated.value} contradicts the positions given (they describe {derived.value})",
            )
        return derived
    if stated is None:
        raise ValidationError(
            "intent", "is required (or send both previous_position and target_position)"
        )
    return stated


def _position(fields: Fields, key: str) -> Position | None:
    found = fields.mapping(key)
    if found is None:
        return None
    _, value = found
    with nested_field(key):
        return _read_position(Fields(value))


def _read_position(fields: Fields) -> Position:
    side = fields.keyword(_POSITION_SIDES, "side")
    if side is None:
        raise ValidationError("side", "is required: LONG, SHORT or FLAT")
    size = fields.number("size")
    if side is PositionSide.FLAT:
        if size not in (None, Decimal(0)):
            raise ValidationError("size", "must be 0 for a flat position")
        return Position(side, Decimal(0))
    if size is not None and size == 0:
        raise ValidationError("size", f"must be above 0 for a {side.value} position")
    return Position(side, size)
