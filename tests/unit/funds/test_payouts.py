"""Sender fee crystallisation with a high-water mark: worked path and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mats.domain.funds.payouts import (
    Crystallisation,
    PayoutTerms,
    accrued_fee,
    crystallise,
    next_payment_date,
)
from mats.errors import ValidationError

D = Decimal
TERMS = PayoutTerms()
AT = datetime(2026, 1, 31, 21, tzinfo=UTC)


def run_path(path: list[Decimal], terms: PayoutTerms = TERMS) -> list[Crystallisation]:
    hwm, carried = D(0), D(0)
    results = []
    for index, cumulative in enumerate(path):
        month = f"{2026 + index // 12}-{index % 12 + 1:02d}"
        result = crystallise(
            sender_id="s1",
            month=month,
            at=AT,
            cumulative_pnl=cumulative,
            hwm=hwm,
            carried=carried,
            terms=terms,
        )
        hwm, carried = result.hwm_after, result.carried_out
        results.append(result)
    return results


def test_a_year_start_path_with_a_losing_month_carry_and_minimum() -> None:
    # Cumulative P&L C at each month end, 20% of C above the HWM, $50 minimum:
    # Jan C=1,000.00  HWM 0       fee 0.20*1,000.00 = 200.00      payable 200.00   HWM 1,000.00
    # Feb C=  600.00  HWM 1,000   fee 0 (a loss: carried forward)  payable 0
    # Mar C=1,150.00  HWM 1,000   fee 0.20*150.00 = 30.00 < 50     carried 30.00    HWM 1,150.00
    # Apr C=1,260.00  HWM 1,150   fee 0.20*110.00 = 22.00; 22 + 30 = 52.00 ≥ 50 → payable 52.00
    # May C=1,260.004 → 1,260.00 (cents) = HWM  fee 0
    # Jun C=  -80.00  HWM 1,260   fee 0, no clawback of the 252.00 paid
    results = run_path([D("1000"), D("600"), D("1150"), D("1260"), D("1260.004"), D("-80")])

    assert [r.fee for r in results] == [D("200.00"), 0, D("30.00"), D("22.00"), 0, 0]
    assert [r.payable for r in results] == [D("200.00"), 0, 0, D("52.00"), 0, 0]
    assert [r.carried_out for r in results] == [0, 0, D("30.00"), 0, 0, 0]
    assert [r.hwm_after for r in results] == [
        D(1000),
        D(1000),
        D(1150),
        D(1260),
        D("1260.00"),
        D("1260.00"),
    ]
    assert results[4].cumulative_pnl == D("1260.00")
    assert results[0].payment_date == date(2026, 2, 1)
    assert results[3].payment_date == date(2026, 5, 1)


def test_december_is_paid_on_the_first_of_january() -> None:
    assert next_payment_date(date(2026, 12, 31), TERMS) == date(2027, 1, 1)
    assert next_payment_date(date(2026, 3, 1), PayoutTerms(payment_day=15)) == date(2026, 4, 15)


def test_the_daily_accrual_is_the_fee_if_the_month_ended_today() -> None:
    # 20% * (1,234.56 - 1,000.00) = 46.912 → 46.91
    assert accrued_fee(D("1234.56"), D(1000), TERMS) == D("46.91")
    assert accrued_fee(D("900"), D(1000), TERMS) == 0


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"month": "2026-1"}, "month"),
        ({"month": "2026-13"}, "month"),
        ({"hwm": D(-1)}, "hwm"),
        ({"carried": D(-1)}, "carried"),
        ({"sender_id": ""}, "sender_id"),
        ({"at": datetime(2026, 1, 31)}, "at"),  # noqa: DTZ001 - the naive datetime under test
        ({"cumulative_pnl": D("NaN")}, "cumulative_pnl"),
    ],
)
def test_bad_input_is_refused_naming_the_field(arguments: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "sender_id": "s1",
        "month": "2026-01",
        "at": AT,
        "cumulative_pnl": D(0),
        "hwm": D(0),
        "carried": D(0),
        "terms": TERMS,
    } | arguments
    with pytest.raises(ValidationError) as caught:
        crystallise(**values)  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"rate": D("1.5")}, "rate"),
        ({"min_payout": D(-1)}, "min_payout"),
        ({"payment_day": 31}, "payment_day"),
    ],
)
def test_bad_terms_are_refused_naming_the_field(terms: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PayoutTerms(**terms)  # type: ignore[arg-type]
    assert caught.value.field == field


paths = st.lists(
    st.integers(min_value=-10_000_000, max_value=10_000_000).map(lambda n: D(n) / 100),
    min_size=1,
    max_size=36,
)
terms = st.builds(
    PayoutTerms,
    rate=st.integers(min_value=0, max_value=100).map(lambda n: D(n) / 100),
    min_payout=st.integers(min_value=0, max_value=50_000).map(lambda n: D(n) / 100),
)


@settings(max_examples=300, deadline=None)
@given(paths, terms)
def test_fees_follow_the_high_water_mark(path: list[Decimal], terms: PayoutTerms) -> None:
    results = run_path(path, terms)

    running_max = D(0)
    for result in results:
        # Never a fee on losses: only on the rise of C above the previous HWM.
        assert result.fee >= 0
        if result.cumulative_pnl <= result.hwm_before:
            assert result.fee == 0
        # The HWM is in money, never falls and is the best C so far (from 0).
        running_max = max(running_max, result.cumulative_pnl)
        assert result.hwm_after == running_max >= result.hwm_before
        # Amounts under the minimum carry; nothing appears or vanishes.
        assert result.fee + result.carried_in == result.payable + result.carried_out
        assert result.payable == 0 or result.payable >= terms.min_payout
        if result.payable == 0:
            assert result.carried_out == result.carried_in + result.fee
            assert result.carried_out < terms.min_payout or result.carried_out == 0
        assert result.carried_out == 0 or result.payable == 0
    # Σ fees = rate * best C ever (from 0), within the half-cent of each month's rounding; what
    # was not paid is the carry at the end.
    fees = sum((r.fee for r in results), D(0))
    assert abs(fees - terms.rate * running_max) <= D("0.005") * len(results)
    assert sum((r.payable for r in results), D(0)) + results[-1].carried_out == fees


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-(10**8), 10**8).map(lambda n: D(n) / 100),
    st.integers(0, 10**8).map(lambda n: D(n) / 100),
)
def test_the_accrual_on_the_last_day_is_the_fee_crystallised(
    cumulative: Decimal, hwm: Decimal
) -> None:
    result = crystallise(
        sender_id="s",
        month="2026-03",
        at=AT,
        cumulative_pnl=cumulative,
        hwm=hwm,
        carried=D(0),
        terms=TERMS,
    )

    assert accrued_fee(cumulative, hwm, TERMS) == result.fee
