"""Size an exit: close the strategy's own position, fully or by the fraction the signal reduces.

Exits are privileged: no allocation, margin, max-position, slippage or REDUCING check applies.
Only HALTED (checked by the caller) stops them. An exit never closes more than the position less
the exits already on their way out, so two exit alerts at once cannot sell it twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from mats.domain.cerebro.context import DecisionInputs, Known, Trace
from mats.domain.cerebro.decisions import Reason, fmt
from mats.domain.cerebro.exposure import exposure, working_orders
from mats.domain.cerebro.orders import MAIN_LEG, build_order
from mats.domain.orders import Order
from mats.domain.trading import OrderPurpose, Side


def size_exit(
    trace: Trace,
    inputs: DecisionInputs,
    known: Known,
    *,
    fraction: Decimal = Decimal(1),
    leg: str = MAIN_LEG,
    pending: Sequence[Order] = (),
) -> Order | None:
    """Return the closing order for ``fraction`` of the position, or ``None`` if flat."""
    instrument, signal = known.instrument, trace.signal
    position = inputs.position_of(signal)
    held = position.quantity if position is not None else Decimal(0)
    if held == 0:
        trace.reason(Reason.NO_POSITION, "the strategy holds no position to close")
        return None
    size = abs(held)
    if fraction >= 1:
        wanted = size
        trace.step("exit_quantity", f"close the whole position of {fmt(held)}", wanted)
    else:
        # Round down (never close more than asked) but always close at least one lot.
        wanted = min(
            size, max(instrument.round_quantity_down(size * fraction), instrument.lot_size)
        )
        trace.step(
            "exit_quantity",
            f"{fmt(fraction * 100)}% of {fmt(size)}, rounded down to a lot "
            f"({fmt(instrument.lot_size)}), at least one",
            wanted,
        )
    working = working_orders(inputs.orders_on(signal.account), pending)
    found = exposure(held, working, strategy_id=signal.strategy_id, symbol=signal.symbol)
    if found.exiting:
        trace.step(
            "exits_on_their_way",
            f"{fmt(found.exiting)} of {fmt(size)} is already being closed",
            found.closable,
        )
    quantity = min(wanted, found.closable)
    if quantity <= 0:
        trace.reason(
            Reason.ALREADY_EXITING,
            f"exits already on their way close the whole position of {fmt(held)}",
        )
        return None
    side = Side.SELL if held > 0 else Side.BUY
    quote = inputs.quote
    fresh = quote is not None and quote.is_fresh(trace.now, trace.settings.quote_max_age)
    reference = (quote.price_for(side) if quote is not None and fresh else None) or signal.price
    return build_order(
        signal,
        known.account,
        instrument,
        purpose=OrderPurpose.EXIT,
        side=side,
        quantity=quantity,
        reference_price=reference,
        created_at=trace.now,
        leg=leg,
        decision_mid=trace.decision_mid,
    )
