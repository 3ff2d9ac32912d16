"""Implementation shortfall: what each order cost against the prices it could have had.

Four prices per order, in the instrument's currency:

- ``P_s`` the sender's price (the alert's ``{{close}}``),
- ``P_d`` the mid at Cerebro's decision,
- ``P_0`` the mid when the order reached the venue (its first submission),
- ``P_f`` the fill VWAP.

Sign convention: **positive = cost**. With the side's sign ``s`` (+1 buy, -1 sell), in basis
points:

- signal → decision ``s * (P_d - P_s)/P_s`` (the sender's, network's and pipeline's delay),
- decision → arrival ``s * (P_0 - P_d)/P_d`` (sizing, risk and routing until the venue has it),
- execution ``s * (P_f - P_0)/P_0`` (spread and impact),
- total ``s * (P_f - P_s)/P_s`` (everything against the sender's price, fees excluded),
- fees ``commission / notional`` (both in the base currency; a rebate is negative).

A buy that fills above the price it was measured against, or a sale below it, has a positive
leg. IBKR's TCA reports the opposite sign ("positive worked in your favour"); MATS follows the
open-source TCA convention. Each leg is relative to its own starting price, so the legs compound
rather than add: with legs as fractions, ``(1 + s*a)(1 + s*b)(1 + s*c) = 1 + s*total``; their
plain sum differs from the total by cross terms of second order (under 0.1 bp for legs of 30 bp).

A leg whose price is missing (or whose base price is not positive) is ``None``: nothing is
guessed or carried over from a neighbouring leg. An unfilled order has no execution leg, no total
and no notional. Legs are kept to 4 decimal places of a basis point (half-up); latencies are whole
milliseconds, and may be negative when the sender's clock runs ahead of ours.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from mats.domain.trading import Side

BPS = Decimal(10_000)
BPS_PLACES = Decimal("0.0001")
WORST_COUNT = 5
_MICROSECONDS_PER_MS = Decimal(1000)


@dataclass(frozen=True, kw_only=True)
class ExecutionPrices:
    """What shortfall needs of one order: its prices, quantities, costs and timestamps.

    Prices are in the instrument's currency; ``commission_base`` is the order's commissions and
    fees in the base currency; ``base_rate`` turns an amount in the instrument's currency into
    the base currency (``1`` when they are the same, ``None`` when no rate is known: then the
    order has no base notional, no fee leg and no weight in the weighted means).
    """

    order_id: str
    strategy_id: str
    sender_id: str | None
    side: Side
    quantity_ordered: Decimal
    quantity_filled: Decimal
    sender_price: Decimal | None
    decision_mid: Decimal | None
    arrival_mid: Decimal | None
    fill_vwap: Decimal | None
    commission_base: Decimal
    base_rate: Decimal | None
    multiplier: Decimal = Decimal(1)
    alert_at: datetime | None = None
    received_at: datetime | None = None
    decided_at: datetime | None = None
    submitted_at: datetime | None = None
    first_fill_at: datetime | None = None


@dataclass(frozen=True)
class Latencies:
    """Milliseconds between the steps of an order; ``None`` when either end is unknown."""

    alert_to_webhook: int | None = None
    webhook_to_decision: int | None = None
    decision_to_submit: int | None = None
    submit_to_first_fill: int | None = None


@dataclass(frozen=True)
class Shortfall:
    """One order's shortfall legs in basis points (positive = cost) and its latencies.

    ``notional`` is the filled quantity * VWAP * multiplier in the instrument's currency;
    ``notional_base`` the same in the base currency: the order's weight in every weighted mean.
    """

    order_id: str
    strategy_id: str
    sender_id: str | None
    side: Side
    quantity_ordered: Decimal
    quantity_filled: Decimal
    notional: Decimal | None
    notional_base: Decimal | None
    signal_to_decision: Decimal | None
    decision_to_arrival: Decimal | None
    execution: Decimal | None
    total: Decimal | None
    fees_bps: Decimal | None
    latencies_ms: Latencies


@dataclass(frozen=True)
class ShortfallSummary:
    """Shortfall aggregated over a group of orders (a strategy, a sender), in basis points.

    ``orders`` counts the group's orders, ``measured`` those with a total. The weighted means
    weigh each order by its base notional (orders without one are left out of them);
    ``median_bps`` and ``p90_bps`` are of the orders' totals, one order one vote (linear
    interpolation between ranks). ``worst`` holds the costliest orders by total, worst first.
    ``median_latencies_ms`` is each latency's median over the orders that have it.
    """

    group: str
    orders: int
    measured: int
    notional_base: Decimal
    weighted_mean_bps: Decimal | None
    median_bps: Decimal | None
    p90_bps: Decimal | None
    signal_to_decision: Decimal | None
    decision_to_arrival: Decimal | None
    execution: Decimal | None
    fees_bps: Decimal | None
    median_latencies_ms: Latencies
    worst: tuple[Shortfall, ...]


def shortfall(prices: ExecutionPrices) -> Shortfall:
    """Measure one order: its legs in basis points (positive = cost), notional and latencies."""
    sign = Decimal(1) if prices.side is Side.BUY else Decimal(-1)
    filled = prices.fill_vwap if prices.quantity_filled > 0 else None
    notional = prices.quantity_filled * filled * prices.multiplier if filled is not None else None
    notional_base = (
        notional * prices.base_rate
        if notional is not None and prices.base_rate is not None
        else None
    )
    fees = (
        _bps(prices.commission_base / notional_base)
        if notional_base is not None and notional_base > 0
        else None
    )
    return Shortfall(
        order_id=prices.order_id,
        strategy_id=prices.strategy_id,
        sender_id=prices.sender_id,
        side=prices.side,
        quantity_ordered=prices.quantity_ordered,
        quantity_filled=prices.quantity_filled,
        notional=notional,
        notional_base=notional_base,
        signal_to_decision=_leg(sign, prices.sender_price, prices.decision_mid),
        decision_to_arrival=_leg(sign, prices.decision_mid, prices.arrival_mid),
        execution=_leg(sign, prices.arrival_mid, filled),
        total=_leg(sign, prices.sender_price, filled),
        fees_bps=fees,
        latencies_ms=Latencies(
            alert_to_webhook=_milliseconds(prices.alert_at, prices.received_at),
            webhook_to_decision=_milliseconds(prices.received_at, prices.decided_at),
            decision_to_submit=_milliseconds(prices.decided_at, prices.submitted_at),
            submit_to_first_fill=_milliseconds(prices.submitted_at, prices.first_fill_at),
        ),
    )


_LegOf = Callable[[Shortfall], Decimal | None]


def summarise(group: str, items: Sequence[Shortfall]) -> ShortfallSummary:
    """Aggregate a group's orders: weighted means, median and p90 of the total, the worst five."""
    totals = sorted(item.total for item in items if item.total is not None)
    weights = [weight for item in items if (weight := _weight(item)) is not None]
    ranked = sorted(
        (item for item in items if item.total is not None),
        key=lambda item: (-(item.total or 0), item.order_id),
    )
    return ShortfallSummary(
        group=group,
        orders=len(items),
        measured=len(totals),
        notional_base=sum(weights, Decimal(0)),
        weighted_mean_bps=_weighted_mean(items, lambda item: item.total),
        median_bps=_quantile(totals, Decimal("0.5")),
        p90_bps=_quantile(totals, Decimal("0.9")),
        signal_to_decision=_weighted_mean(items, lambda item: item.signal_to_decision),
        decision_to_arrival=_weighted_mean(items, lambda item: item.decision_to_arrival),
        execution=_weighted_mean(items, lambda item: item.execution),
        fees_bps=_weighted_mean(items, lambda item: item.fees_bps),
        median_latencies_ms=_median_latencies(items),
        worst=tuple(ranked[:WORST_COUNT]),
    )


def _leg(sign: Decimal, start: Decimal | None, end: Decimal | None) -> Decimal | None:
    if start is None or end is None or start <= 0:
        return None
    return _bps(sign * (end - start) / start)


def _bps(ratio: Decimal) -> Decimal:
    return (ratio * BPS).quantize(BPS_PLACES, rounding=ROUND_HALF_UP)


def _milliseconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    microseconds = Decimal((end - start) // timedelta(microseconds=1))
    return int((microseconds / _MICROSECONDS_PER_MS).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _weight(item: Shortfall) -> Decimal | None:
    weight = item.notional_base
    return weight if weight is not None and weight > 0 else None


def _weighted_mean(items: Sequence[Shortfall], leg: _LegOf) -> Decimal | None:
    weighted, total_weight = Decimal(0), Decimal(0)
    for item in items:
        weight, value = _weight(item), leg(item)
        if weight is not None and value is not None:
            weighted += weight * value
            total_weight += weight
    if not total_weight:
        return None
    return (weighted / total_weight).quantize(BPS_PLACES, rounding=ROUND_HALF_UP)


def _quantile(ordered: Sequence[Decimal], q: Decimal) -> Decimal | None:
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    below = int(position.to_integral_value(rounding=ROUND_FLOOR))
    above = min(below + 1, len(ordered) - 1)
    fraction = position - below
    value = ordered[below] + (ordered[above] - ordered[below]) * fraction
    return value.quantize(BPS_PLACES, rounding=ROUND_HALF_UP)


def _median_latencies(items: Sequence[Shortfall]) -> Latencies:
    def median(values: list[int | None]) -> int | None:
        known = sorted(Decimal(v) for v in values if v is not None)
        middle = _quantile(known, Decimal("0.5"))
        return None if middle is None else int(middle.quantize(Decimal(1), ROUND_HALF_UP))

    latencies = [item.latencies_ms for item in items]
    return Latencies(
        alert_to_webhook=median([lat.alert_to_webhook for lat in latencies]),
        webhook_to_decision=median([lat.webhook_to_decision for lat in latencies]),
        decision_to_submit=median([lat.decision_to_submit for lat in latencies]),
        submit_to_first_fill=median([lat.submit_to_first_fill for lat in latencies]),
    )
