"""Size an exit: close the strategy's own position, fully or by the fraction the signal reduces.

Exits are privileged: no allocation, margin, max-position, slippage or REDUCING check applies.
Only HALTED (checked by the caller) stops them.
"""

from __future__ import annotations

from decimal import Decimal

from mats.domain.cerebro.context import DecisionInputs, Known, Trace
from mats.domain.cerebro.decisions import Reason, fmt
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
) -> Order | None:
    """Return the closing order for ``fraction`` of the position, or ``None`` if flat."""
    instrument = known.instrument
    held = inputs.position.quantity if inputs.position is not None else Decimal(0)
    if held == 0:
        trace.reason(Reason.NO_POSITION, "the strategy holds no position to close")
        return None
    size = abs(held)
    if fraction >= 1:
        quantity = size
        trace.step("exit_quantity", f"close the whole position of {fmt(held)}", quantity)
    else:
        # Round down (never close more than asked) but always close at least one lot.
        quantity = min(
            size, max(instrument.round_quantity_down(size * fraction), instrument.lot_size)
        )
        trace.step(
            "exit_quantity",
            f"{fmt(fraction * 100)}% of {fmt(size)}, rounded down to a lot "
            f"({fmt(instrument.lot_size)}), at least one",
            quantity,
        )
    side = Side.SELL if held > 0 else Side.BUY
    quote = inputs.quote
    fresh = quote is not None and quote.is_fresh(trace.now, trace.settings.quote_max_age)
    reference = (
        quote.price_for(side) if quote is not None and fresh else None
    ) or trace.signal.price
    return build_order(
        trace.signal,
        known.account,
        instrument,
        purpose=OrderPurpose.EXIT,
        side=side,
        quantity=quantity,
        reference_price=reference,
        created_at=trace.now,
        leg=leg,
    )
