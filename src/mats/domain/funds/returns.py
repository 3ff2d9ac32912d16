"""The fund's time-weighted returns from NAV per unit, its drawdown, and a client's IRR.

Conventions (decided; the README documents them):

- **Time-weighted (TWR).** Every fund return is a ratio of NAV per unit: month-on-month =
  NAVPU(month end) / NAVPU(previous month end) - 1, the month end being the month's last strike;
  the first month is measured from the first strike (the inception price, 100). Flows in and out
  change the units, not the NAV per unit, so the return is the same for every client and chained
  months equal the ratio of the period's end and start NAV per unit.
- **Year-on-year, year to date, since inception** are the same ratios over a year, from the last
  strike of the previous year (or inception), and from the first strike.
- **Max drawdown** = min over every strike t of NAVPU_t / max(NAVPU up to t) - 1 (0 or less).
- **IRR is money-weighted** and per client: the XIRR of the client's own flows (Actual/365),
  labelled as such beside the fund's TWR, never in place of it.

Returns are unrounded Decimals; the caller rounds only for display.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from itertools import pairwise

from mats.errors import ValidationError

_DAYS_PER_YEAR = Decimal(365)
_IRR_STEP = Decimal("1E-10")
_IRR_LOWEST = Decimal("-0.999999")
_IRR_HIGHEST = Decimal(1_000_000)
_BISECTIONS = 200


@dataclass(frozen=True)
class NavPoint:
    """The NAV per unit struck on one day."""

    on: date
    nav_per_unit: Decimal


def month_end_points(points: Sequence[NavPoint]) -> list[NavPoint]:
    """Return the last strike of each month, in date order."""
    return _last_per(_ordered(points), lambda point: (point.on.year, point.on.month))


def monthly_returns(points: Sequence[NavPoint]) -> list[tuple[str, Decimal]]:
    """Return each month's TWR as ("YYYY-MM", return), the first month from the first strike."""
    ordered = _ordered(points)
    if not ordered:
        return []
    ends = _last_per(ordered, lambda point: (point.on.year, point.on.month))
    return [
        (f"{end.on.year:04d}-{end.on.month:02d}", _ratio(end, start) - 1)
        for start, end in zip([ordered[0], *ends], ends, strict=False)
    ]


def yearly_returns(points: Sequence[NavPoint]) -> list[tuple[int, Decimal]]:
    """Return each year's TWR: the ratio of year-end NAV per unit (the chained months)."""
    ordered = _ordered(points)
    if not ordered:
        return []
    ends = _last_per(ordered, lambda point: point.on.year)
    return [
        (end.on.year, _ratio(end, start) - 1)
        for start, end in zip([ordered[0], *ends], ends, strict=False)
    ]


def year_to_date(points: Sequence[NavPoint], on: date) -> Decimal:
    """Return the TWR from the previous year's last strike (or inception) to the last strike on
    or before ``on``."""
    ordered = _ordered(points)
    known = [point for point in ordered if point.on <= on]
    if not known:
        raise ValidationError("on", f"no NAV strike on or before {on.isoformat()}")
    before_year = [point for point in known if point.on.year < on.year]
    start = before_year[-1] if before_year else known[0]
    return _ratio(known[-1], start) - 1


def since_inception(points: Sequence[NavPoint]) -> Decimal:
    """Return the TWR from the first strike to the last."""
    ordered = _ordered(points)
    if not ordered:
        raise ValidationError("points", "no NAV strike yet")
    return _ratio(ordered[-1], ordered[0]) - 1


def max_drawdown(points: Sequence[NavPoint]) -> Decimal:
    """Return the deepest fall of NAV per unit from its running peak (0 or negative)."""
    deepest = Decimal(0)
    peak: Decimal | None = None
    for point in _ordered(points):
        peak = point.nav_per_unit if peak is None else max(peak, point.nav_per_unit)
        deepest = min(deepest, point.nav_per_unit / peak - 1)
    return deepest


def xirr(cashflows: Sequence[tuple[date, Decimal]]) -> Decimal | None:
    """Return the money-weighted annual rate r with sum(cf / (1 + r) ** (days / 365)) = 0.

    Flows are the investor's: deposits negative, withdrawals positive, and the holding's value
    today as a last positive flow. None when the flows lack a sign change or no rate between
    -99.9999% and 10**8 % solves them. Rounded to 1e-10.
    """
    if not any(amount > 0 for _, amount in cashflows) or not any(
        amount < 0 for _, amount in cashflows
    ):
        return None
    first = min(day for day, _ in cashflows)
    years = [(Decimal((day - first).days) / _DAYS_PER_YEAR, amount) for day, amount in cashflows]
    with localcontext() as context:
        context.prec = 40

        def value(rate: Decimal) -> Decimal:
            growth = 1 + rate
            return sum((amount / growth**time for time, amount in years), Decimal(0))

        low, high = _IRR_LOWEST, _IRR_HIGHEST
        low_value = value(low)
        if low_value == 0:
            return low.quantize(_IRR_STEP)
        if (low_value > 0) == (value(high) > 0):
            return None
        low, high, low_value = _narrowed(years, low, high, low_value, value)
        for _ in range(_BISECTIONS):
            middle = (low + high) / 2
            middle_value = value(middle)
            if middle_value == 0 or high - low < _IRR_STEP / 100:
                break
            if (middle_value > 0) == (low_value > 0):
                low, low_value = middle, middle_value
            else:
                high = middle
        return ((low + high) / 2).quantize(_IRR_STEP)


def _narrowed(
    years: list[tuple[Decimal, Decimal]],
    low: Decimal,
    high: Decimal,
    low_value: Decimal,
    value: Callable[[Decimal], Decimal],
) -> tuple[Decimal, Decimal, Decimal]:
    """The same bisection in floats first, to a bracket 1e-11 wide (most of its 60 steps, at
    a fraction of their cost); the exact bisection then goes on from there. A bracket the
    Decimal figures do not confirm is dropped for the whole one, so the root is the same."""
    flows = [(float(time), float(amount)) for time, amount in years]

    def estimate(rate: float) -> float:
        return sum(amount / math.pow(1 + rate, time) for time, amount in flows)

    positive = low_value > 0
    f_low, f_high = float(low), float(high)
    try:
        for _ in range(_BISECTIONS):
            middle = (f_low + f_high) / 2
            if f_high - f_low <= 1e-11 or middle in (f_low, f_high):
                break
            if (estimate(middle) > 0) == positive:
                f_low = middle
            else:
                f_high = middle
    except (OverflowError, ZeroDivisionError):
        return low, high, low_value
    margin = Decimal("1E-11")
    near_low = max(low, Decimal(f_low) - margin)
    near_high = min(high, Decimal(f_high) + margin)
    near_low_value = value(near_low)
    if (
        (near_low_value > 0) == positive
        and near_low_value != 0
        and (value(near_high) > 0) != positive
    ):
        return near_low, near_high, near_low_value
    return low, high, low_value


def _ordered(points: Sequence[NavPoint]) -> list[NavPoint]:
    ordered = sorted(points, key=lambda point: point.on)
    for earlier, later in pairwise(ordered):
        if earlier.on == later.on:
            raise ValidationError("points", f"two NAV strikes on {later.on.isoformat()}")
    for point in ordered:
        if not point.nav_per_unit.is_finite() or point.nav_per_unit <= 0:
            raise ValidationError(
                "nav_per_unit",
                f"{point.on.isoformat()}: must be positive, got {point.nav_per_unit}",
            )
    return ordered


def _last_per(ordered: list[NavPoint], period: Callable[[NavPoint], object]) -> list[NavPoint]:
    last: dict[object, NavPoint] = {}
    for point in ordered:
        last[period(point)] = point  # Ordered by date, so the last one written is the period's end.
    return list(last.values())


def _ratio(end: NavPoint, start: NavPoint) -> Decimal:
    return end.nav_per_unit / start.nav_per_unit
