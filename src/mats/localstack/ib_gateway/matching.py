"""When an order fills and at what price, given the simulated market price."""

from __future__ import annotations

from dataclasses import dataclass

from mats.localstack.ib_gateway.model import SimOrder

STOP_TYPES = frozenset({"STP", "STP LMT"})
MARKET_TYPES = frozenset({"MKT", "STP"})


@dataclass(frozen=True)
class Decision:
    """Whether a working order's stop has triggered and the price it fills at, if any."""

    triggered: bool
    fill_price: float | None


def decide(order: SimOrder, price: float) -> Decision:
    """Decide what a working order does at ``price``."""
    triggered = order.triggered
    if order.order_type in STOP_TYPES and not triggered:
        stop = order.stop_price if order.stop_price is not None else price
        triggered = price >= stop if order.is_buy else price <= stop
        if not triggered:
            return Decision(triggered=False, fill_price=None)
    if order.order_type in MARKET_TYPES:
        return Decision(triggered, price)
    limit = order.limit_price if order.limit_price is not None else price
    marketable = price <= limit if order.is_buy else price >= limit
    if not marketable:
        return Decision(triggered, None)
    # A limit already resting on the book when the market trades through it fills at the limit;
    # one that is marketable on arrival takes the better market price.
    return Decision(triggered, limit if order.resting else price)


def slices(quantity: float, count: int, increment: float) -> list[float]:
    """Split ``quantity`` into at most ``count`` near-equal fills in whole ``increment`` steps."""
    units = round(quantity / increment)
    if count <= 1 or units < 2 or abs(units * increment - quantity) > increment * 1e-6:
        return [quantity]
    count = min(count, units)
    base, extra = divmod(units, count)
    parts = [round((base + (1 if index < extra else 0)) * increment, 10) for index in range(count)]
    parts[-1] = round(quantity - sum(parts[:-1]), 10)
    return parts


def on_tick(price: float, tick: float) -> bool:
    """Return whether ``price`` is a whole number of ``tick`` steps."""
    steps = price / tick
    return abs(steps - round(steps)) < 1e-6
