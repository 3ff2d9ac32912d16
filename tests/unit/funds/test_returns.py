"""Time-weighted returns from NAV per unit, max drawdown and the money-weighted XIRR."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from mats.domain.funds.returns import (
    NavPoint,
    max_drawdown,
    month_end_points,
    monthly_returns,
    since_inception,
    xirr,
    year_to_date,
    yearly_returns,
)
from mats.errors import ValidationError

D = Decimal
POINTS = [
    NavPoint(date(2026, 1, 5), D("100.000000")),  # first strike: inception at 100
    NavPoint(date(2026, 1, 20), D("104.000000")),
    NavPoint(date(2026, 1, 30), D("108.249667")),
    NavPoint(date(2026, 2, 27), D("105.000000")),
    NavPoint(date(2026, 3, 31), D("112.350000")),
    NavPoint(date(2026, 12, 31), D("120.000000")),
    NavPoint(date(2027, 1, 29), D("126.000000")),
]


def test_month_ends_are_each_months_last_strike() -> None:
    assert [p.on for p in month_end_points(list(reversed(POINTS)))] == [
        date(2026, 1, 30),
        date(2026, 2, 27),
        date(2026, 3, 31),
        date(2026, 12, 31),
        date(2027, 1, 29),
    ]


def test_monthly_returns_are_month_end_nav_per_unit_ratios() -> None:
    # Jan: 108.249667 / 100 (the first strike) - 1 = 0.08249667
    # Feb: 105 / 108.249667 - 1 = -0.0300200...
    # Mar: 112.35 / 105 - 1 = 0.07
    # Dec: 120 / 112.35 - 1 = 0.0680907...; Jan 2027: 126 / 120 - 1 = 0.05
    assert monthly_returns(POINTS) == [
        ("2026-01", D("0.08249667")),
        ("2026-02", D(105) / D("108.249667") - 1),
        ("2026-03", D("0.07")),
        ("2026-12", D(120) / D("112.35") - 1),
        ("2027-01", D("0.05")),
    ]


def test_yearly_ytd_and_since_inception() -> None:
    # 2026: 120 / 100 - 1 = 0.2; 2027: 126 / 120 - 1 = 0.05; inception: 126 / 100 - 1 = 0.26
    assert yearly_returns(POINTS) == [(2026, D("0.2")), (2027, D("0.05"))]
    assert year_to_date(POINTS, date(2027, 2, 15)) == D("0.05")
    assert year_to_date(POINTS, date(2026, 3, 31)) == D("0.1235")  # 112.35 / 100 - 1
    assert since_inception(POINTS) == D("0.26")


def test_max_drawdown_is_the_deepest_fall_from_a_peak() -> None:
    # Peak 108.249667 on 30 Jan, trough 105 on 27 Feb: 105 / 108.249667 - 1 = -0.03002...
    assert max_drawdown(POINTS) == D(105) / D("108.249667") - 1
    assert max_drawdown(POINTS[:2]) == 0


def test_no_strike_and_duplicate_days_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        year_to_date(POINTS, date(2025, 12, 31))
    assert caught.value.field == "on"
    with pytest.raises(ValidationError) as caught:
        since_inception([])
    assert caught.value.field == "points"
    with pytest.raises(ValidationError) as caught:
        monthly_returns([POINTS[0], POINTS[0]])
    assert caught.value.field == "points"
    assert monthly_returns([]) == []


def test_xirr_of_ten_percent_over_a_year() -> None:
    # -100 on 1 Jan 2025, +110 365 days later: (1 + r) ** 1 = 1.1
    assert xirr([(date(2025, 1, 1), D(-100)), (date(2026, 1, 1), D(110))]) == D("0.1000000000")


def test_xirr_is_none_without_a_sign_change() -> None:
    assert xirr([(date(2025, 1, 1), D(-100)), (date(2025, 6, 1), D(-10))]) is None
    assert xirr([]) is None


def test_xirr_weights_money_by_time_invested() -> None:
    # A client adds 1,000 when the fund is half-way through a +21% year (two +10% halves):
    # the TWR is 21% for everyone, but this client's money-weighted return differs.
    flows = [
        (date(2025, 1, 1), D(-1000)),
        (date(2025, 7, 2), D(-1000)),  # 182 days in
        (date(2026, 1, 1), D("2310.00")),  # 1,000 * 1.21 + 1,000 * 1.1
    ]
    rate = xirr(flows)

    assert rate is not None
    assert D("0.20") < rate < D("0.21")


nav_paths = st.lists(
    st.integers(min_value=1, max_value=10_000_000_000).map(lambda n: D(n) / 1_000_000),
    min_size=1,
    max_size=60,
)


def as_points(prices: list[Decimal], step_days: int = 9) -> list[NavPoint]:
    start = date(2025, 12, 28)
    return [NavPoint(start + timedelta(days=step_days * i), p) for i, p in enumerate(prices)]


@settings(max_examples=300, deadline=None)
@given(nav_paths)
def test_chained_monthly_returns_equal_the_nav_per_unit_ratio(prices: list[Decimal]) -> None:
    points = as_points(prices)
    chained = D(1)
    for _, monthly in monthly_returns(points):
        chained *= 1 + monthly

    # Equal up to Decimal's 28 significant digits, less those 1 + r loses when r is near -1.
    assert abs(chained / (1 + since_inception(points)) - 1) < D("1E-18")
    by_year = D(1)
    for _, yearly in yearly_returns(points):
        by_year *= 1 + yearly
    assert abs(by_year / chained - 1) < D("1E-18")


@settings(max_examples=300, deadline=None)
@given(nav_paths)
def test_max_drawdown_is_the_worst_ratio_of_a_later_to_an_earlier_price(
    prices: list[Decimal],
) -> None:
    worst = min(
        [D(0)] + [later / earlier - 1 for i, earlier in enumerate(prices) for later in prices[i:]]
    )

    assert max_drawdown(as_points(prices)) == worst


amounts = st.integers(min_value=1, max_value=10_000_000).map(lambda n: D(n) / 100)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3000), amounts), min_size=1, max_size=6),
    st.integers(30, 3000),
    st.floats(min_value=-0.5, max_value=1.5),
)
def test_xirr_solves_the_money_weighted_equation(
    deposits: list[tuple[int, Decimal]], horizon: int, growth: float
) -> None:
    start = date(2024, 1, 1)
    flows = [(start + timedelta(days=day), -amount) for day, amount in deposits]
    last = max(day for day, _ in deposits) + horizon
    value = sum((amount for _, amount in deposits), D(0)) * D(str(round(1 + growth, 6)))
    flows.append((start + timedelta(days=last), value.quantize(D("0.01"))))
    rate = xirr(flows)

    def npv(r: float) -> float:
        return sum(float(a) / (1 + r) ** ((d - start).days / 365) for d, a in flows)

    expected = brentq(npv, -0.999999, 1e6, xtol=1e-14, maxiter=1000)
    assert rate is not None
    assert float(rate) == pytest.approx(expected, abs=1e-8)
