"""Derive what an alert asks for from the strategy position before and after it.

The rules (research: pipeline_anchors §4.3): flat → long/short is an entry; anything → flat is a
full exit; long ↔ short is a reverse; same side and larger is an add, smaller a reduce. An order
action that contradicts the position change is rejected rather than guessed at.
"""

from __future__ import annotations

from decimal import Decimal

from mats.domain.trading import Intent, Position, PositionSide, Side
from mats.errors import ValidationError


def signed_size(position: Position) -> Decimal | None:
    if position.side is PositionSide.FLAT:
        return Decimal(0)
    if position.size is None:
        return None
    return position.size if position.side is PositionSide.LONG else -position.size


def position_from_signed(size: Decimal) -> Position:
    if size > 0:
        return Position(PositionSide.LONG, size)
    if size < 0:
        return Position(PositionSide.SHORT, -size)
    return Position(PositionSide.FLAT, Decimal(0))


def derive_intent(previous: Position, target: Position, action: Side | None) -> Intent:
    """Return the intent of moving from ``previous`` to ``target``, checked against ``action``."""
    intent = _intent_from_positions(previous, target, action)
    expected = expected_side(intent, previous, target)
    if action is not None and expected is not None and action is not expected:
        raise ValidationError(
            "action",
            f"{action.value.lower()} contradicts the position change "
            f"{previous.side.value.lower()} → {target.side.value.lower()}",
        )
    return intent


def expected_side(intent: Intent, previous: Position, target: Position) -> Side | None:
    """Return the order side an intent implies, or ``None`` when it does not imply one."""
    if intent is Intent.ENTRY_LONG:
        return Side.BUY
    if intent is Intent.ENTRY_SHORT:
        return Side.SELL
    if intent in (Intent.EXIT, Intent.REDUCE):
        return _closing_side(previous.side)
    if intent is Intent.REVERSE:
        return Side.BUY if target.side is PositionSide.LONG else Side.SELL
    if intent is Intent.ADD:
        return _opening_side(previous.side)
    return None


def _intent_from_positions(previous: Position, target: Position, action: Side | None) -> Intent:
    if previous.side is PositionSide.FLAT:
        if target.side is PositionSide.LONG:
            return Intent.ENTRY_LONG
        if target.side is PositionSide.SHORT:
            return Intent.ENTRY_SHORT
        raise ValidationError("market_position", "the alert does not change the position (flat)")
    if target.side is PositionSide.FLAT:
        return Intent.EXIT
    if target.side is not previous.side:
        return Intent.REVERSE
    if previous.size is not None and target.size is not None:
        if target.size > previous.size:
            return Intent.ADD
        if target.size < previous.size:
            return Intent.REDUCE
        raise ValidationError(
            "market_position_size",
            f"the alert does not change the position ({target.side.value.lower()} {target.size})",
        )
    if action is None:
        raise ValidationError(
            "market_position_size",
            "cannot tell an add from a reduce: send the position sizes or the order action",
        )
    return Intent.ADD if action is _opening_side(previous.side) else Intent.REDUCE


def _opening_side(side: PositionSide) -> Side | None:
    if side is PositionSide.LONG:
        return Side.BUY
    if side is PositionSide.SHORT:
        return Side.SELL
    return None


def _closing_side(side: PositionSide) -> Side | None:
    if side is PositionSide.LONG:
        return Side.SELL
    if side is PositionSide.SHORT:
        return Side.BUY
    return None
