"""Build order messages: ids, tick-rounded prices, bracket legs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from mats.domain.accounting import AccountState
from mats.domain.market import Instrument
from mats.domain.orders import Order
from mats.domain.signals.signal import Signal
from mats.domain.trading import BracketLeg, OrderAction, OrderPurpose, ProtectiveLeg, Side
from mats.errors import ValidationError

MAIN_LEG = "_ORD"
EXIT_LEG = "_ORD_EXIT"


def order_id(signal_id: str, leg: str = MAIN_LEG) -> str:
    return f"{signal_id}{leg}"


def build_order(
    signal: Signal,
    account: AccountState,
    instrument: Instrument,
    *,
    purpose: OrderPurpose,
    side: Side,
    quantity: Decimal,
    reference_price: Decimal | None,
    created_at: datetime,
    leg: str = MAIN_LEG,
    margin_per_unit: Decimal | None = None,
    decision_mid: Decimal | None = None,
) -> Order:
    """Make the order for one leg, with prices rounded to the tick in the safe direction."""
    identifier = order_id(signal.id, leg)
    buy = side is Side.BUY
    limit = signal.limit_price
    stop = signal.stop_price
    stop_loss = take_profit = None
    if purpose is OrderPurpose.ENTRY:
        entry = limit or stop or reference_price
        stop_loss = _bracket(
            identifier + "_SL", signal.stop_loss, entry, instrument, buy, loss=True
        )
        take_profit = _bracket(
            identifier + "_TP", signal.take_profit, entry, instrument, buy, loss=False
        )
    return Order(
        id=identifier,
        created_at=created_at,
        signal_id=signal.id,
        strategy_id=signal.strategy_id,
        account=signal.account,
        broker=account.broker,
        trading_mode=signal.trading_mode,
        symbol=signal.symbol,
        currency=instrument.currency,
        purpose=purpose,
        action=OrderAction.PLACE,
        side=side,
        quantity=quantity,
        reference_price=reference_price,
        order_type=signal.order_type,
        # Never pay more (buy) or accept less (sell) than the sender asked: round the limit
        # inwards; a stop triggers no earlier than asked: round it outwards.
        limit_price=instrument.round_price(limit, up=not buy) if limit is not None else None,
        stop_price=instrument.round_price(stop, up=buy) if stop is not None else None,
        time_in_force=signal.time_in_force,
        expire_at=signal.expire_at,
        stop_loss=stop_loss,
        take_profit=take_profit,
        exchange=instrument.exchange or signal.exchange,
        asset_class=instrument.asset_class.value,
        multiplier=instrument.multiplier,
        broker_symbol=instrument.broker_symbol,
        tags=signal.tags,
        tick_size=instrument.tick_size,
        margin_per_unit=margin_per_unit,
        decision_mid=decision_mid,
    )


def cancel_order(
    signal: Signal, account: AccountState, instrument: Instrument, created_at: datetime
) -> Order:
    return Order(
        id=order_id(signal.id),
        created_at=created_at,
        signal_id=signal.id,
        strategy_id=signal.strategy_id,
        account=signal.account,
        broker=account.broker,
        trading_mode=signal.trading_mode,
        symbol=signal.symbol,
        currency=instrument.currency,
        purpose=OrderPurpose.EXIT,
        action=OrderAction.CANCEL_OPEN,
        quantity=Decimal(0),
        exchange=instrument.exchange or signal.exchange,
        asset_class=instrument.asset_class.value,
        multiplier=instrument.multiplier,
        broker_symbol=instrument.broker_symbol,
        tags=signal.tags,
    )


def _bracket(
    identifier: str,
    leg: ProtectiveLeg | None,
    entry: Decimal | None,
    instrument: Instrument,
    buy: bool,
    *,
    loss: bool,
) -> BracketLeg | None:
    """Turn a stop-loss or take-profit into a price, rounded towards the entry (tighter)."""
    if leg is None:
        return None
    name = "stop_loss" if loss else "take_profit"
    if leg.price is not None:
        price = leg.price
    elif entry is not None and leg.percent is not None:
        below = buy == loss  # A long's stop and a short's target sit below the entry.
        factor = 1 - leg.percent / 100 if below else 1 + leg.percent / 100
        price = entry * factor
    else:
        raise ValidationError(name, "a percentage needs a reference price")
    below_entry = buy == loss
    rounded = instrument.round_price(price, up=below_entry)
    if entry is not None and (rounded >= entry if below_entry else rounded <= entry):
        side = "below" if below_entry else "above"
        raise ValidationError(name, f"{rounded} must be {side} the entry price {entry}")
    if rounded <= 0:
        raise ValidationError(name, "must be above zero")
    return BracketLeg(identifier, rounded)
