"""The TradersPost-style shape: ``ticker`` + ``action`` with an optional ``sentiment``.

``action`` is buy, sell, exit, cancel or add; ``sentiment`` (bullish, bearish, flat) is the side
the strategy should be on afterwards, which is how exits arrive (``sentiment: flat``). Without a
sentiment, buy means "be long" and sell means "be short". Optional: ``quantity``, ``price``,
``orderType``, ``limitPrice``, ``stopPrice``, ``stopLoss``/``takeProfit`` (a price, or
``{"stopPrice"|"limitPrice"|"percent": ...}``), ``timeInForce``, ``time``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

from mats.domain.signals.alert import Alert, read_order_terms
from mats.domain.signals.fields import Fields, validate_symbol
from mats.domain.trading import Intent, Position, PositionSide, Side
from mats.errors import ValidationError

FORMAT = "traderspost"


class _Action(StrEnum):
    BUY = "buy"
    SELL = "sell"
    EXIT = "exit"
    CANCEL = "cancel"
    ADD = "add"


_ACTIONS = {action.value: action for action in _Action}
_SENTIMENTS = {
    "bullish": PositionSide.LONG,
    "bearish": PositionSide.SHORT,
    "flat": PositionSide.FLAT,
}


def looks_like_traderspost(payload: Mapping[str, Any]) -> bool:
    return "sentiment" in payload or ("ticker" in payload and "action" in payload)


def parse_traderspost(payload: Mapping[str, Any], strategy_id: str) -> Alert:
    """Parse a TradersPost-style alert into an :class:`Alert`."""
    fields = Fields(payload)
    action = fields.keyword(_ACTIONS, "action")
    if action is None:
        raise ValidationError("action", "is required: buy, sell, exit, cancel or add")
    sentiment = fields.keyword(_SENTIMENTS, "sentiment")
    intent, side = _intent(action, sentiment)
    return Alert(
        source_format=FORMAT,
        strategy_id=strategy_id,
        symbol=validate_symbol("ticker", fields.text("ticker", "symbol", max_length=40)),
        exchange=fields.text("exchange", max_length=40),
        intent=intent,
        side=side,
        quantity=fields.number("quantity", positive=True),
        price=fields.number("price", positive=True),
        target=_target(intent, sentiment),
        terms=read_order_terms(fields),
        signal_time=fields.timestamp("time", "timestamp"),
        comment=fields.text("comment", max_length=256),
    )


def _intent(action: _Action, sentiment: PositionSide | None) -> tuple[Intent, Side | None]:
    if action is _Action.CANCEL:
        return Intent.CANCEL, None
    if action is _Action.EXIT or sentiment is PositionSide.FLAT:
        side = {_Action.BUY: Side.BUY, _Action.SELL: Side.SELL}.get(action)
        return Intent.EXIT, side
    if action is _Action.ADD:
        if sentiment is None:
            raise ValidationError("sentiment", "add needs a sentiment: bullish or bearish")
        return Intent.ADD, Side.BUY if sentiment is PositionSide.LONG else Side.SELL
    if action is _Action.BUY:
        return (Intent.REDUCE if sentiment is PositionSide.SHORT else Intent.ENTRY_LONG), Side.BUY
    return (Intent.REDUCE if sentiment is PositionSide.LONG else Intent.ENTRY_SHORT), Side.SELL


def _target(intent: Intent, sentiment: PositionSide | None) -> Position | None:
    if intent is Intent.CANCEL:
        return None
    if intent is Intent.EXIT:
        return Position(PositionSide.FLAT, Decimal(0))
    if sentiment is not None:
        return Position(sentiment)
    if intent is Intent.ENTRY_LONG:
        return Position(PositionSide.LONG)
    if intent is Intent.ENTRY_SHORT:
        return Position(PositionSide.SHORT)
    return None
