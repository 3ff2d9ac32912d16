"""NAV per unit strikes and the dealing of client flows: worked examples and properties."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mats.domain.funds.units import (
    ClientFlow,
    FlowKind,
    FlowStatus,
    Strike,
    client_value,
    parse_amount,
    parse_units,
    strike,
)
from mats.errors import ValidationError

AT = datetime(2026, 1, 31, 21, tzinfo=UTC)
D = Decimal


def deposit(flow_id: str, client: str, amount: str, day: int = 2) -> ClientFlow:
    return ClientFlow(
        flow_id, client, FlowKind.DEPOSIT, D(amount), None, datetime(2026, 1, day, tzinfo=UTC)
    )


def withdraw_amount(flow_id: str, client: str, amount: str, day: int = 2) -> ClientFlow:
    return ClientFlow(
        flow_id, client, FlowKind.WITHDRAWAL, D(amount), None, datetime(2026, 1, day, tzinfo=UTC)
    )


def withdraw_units(flow_id: str, client: str, units: str, day: int = 2) -> ClientFlow:
    return ClientFlow(
        flow_id, client, FlowKind.WITHDRAWAL, None, D(units), datetime(2026, 1, day, tzinfo=UTC)
    )


def test_the_first_strike_deals_at_100_and_issues_amount_over_100_units() -> None:
    # No units in issue: NAV/unit = 100.000000 by convention. The deposits' cash is already at
    # the broker, so fund NAV 15,000.00 = 10,000.00 + 5,000.00 and NAV before dealing = 0.
    result = strike(
        strike_id="2026-01-05",
        at=AT,
        fund_nav=D("15000.00"),
        holdings={},
        pending=[deposit("f1", "alice", "10000.00"), deposit("f2", "bob", "5000.00", day=3)],
        withdrawals_held=D(0),
    )

    assert result.nav_per_unit == D("100.000000")
    assert result.nav_before_dealing == D("0.00")
    assert result.holding("alice") == D("100.000000")  # 10,000.00 / 100
    assert result.holding("bob") == D("50.000000")  # 5,000.00 / 100
    assert result.units_after == D("150.000000")
    assert result.nav_after_dealing == D("15000.00")
    assert result.residual == D("0.00")
    assert [f.status for f in result.dealt] == [FlowStatus.DEALT, FlowStatus.DEALT]
    assert result.dealt[0].amount_dealt == D("10000.00")
    assert result.dealt[0].strike_id == "2026-01-05"


def test_mid_month_flows_deal_at_one_nav_per_unit_rounding_for_the_fund() -> None:
    # Holdings: alice 100, bob 50 units (150 in issue). Equity 19,237.45 includes carol's pending
    # 3,000.00 deposit; alice's pending 1,000.00 withdrawal is held, so
    #   fund NAV = 19,237.45 - 1,000.00 = 18,237.45, withdrawals_held = 1,000.00
    #   NAV before dealing = 18,237.45 - 3,000.00 + 1,000.00 = 16,237.45
    #   NAV/unit = 16,237.45 / 150 = 108.2496666… → 108.249667 (half-up, 6 dp)
    # carol:  3,000.00 / 108.249667 = 27.7137111… → 27.713711 issued (down)
    # alice:  1,000.00 / 108.249667 = 9.2379037… → 9.237904 cancelled (up), pays 1,000.00
    # bob:    10 units * 108.249667 = 1,082.49667 → pays 1,082.49 (down)
    # NAV after = 16,237.45 + 3,000.00 - 1,000.00 - 1,082.49 = 17,154.96
    # values: alice 90.762096 * p = 9,824.9666… → 9,824.97; bob 40 * p = 4,329.98668 → 4,329.99;
    #         carol 27.713711 * p = 2,999.99998… → 3,000.00; Σ = 17,154.96 → residual 0.00
    result = strike(
        strike_id="2026-01-31",
        at=AT,
        fund_nav=D("18237.45"),
        holdings={"alice": D("100"), "bob": D("50")},
        pending=[
            withdraw_units("f5", "bob", "10", day=20),
            deposit("f3", "carol", "3000.00", day=12),
            withdraw_amount("f4", "alice", "1000.00", day=15),
        ],
        withdrawals_held=D("1000.00"),
    )

    assert result.nav_before_dealing == D("16237.45")
    assert result.nav_per_unit == D("108.249667")
    assert [f.flow_id for f in result.dealt] == ["f3", "f4", "f5"]  # recorded order
    carol, alice, bob = result.dealt
    assert carol.units_dealt == D("27.713711")
    assert carol.amount_dealt == D("3000.00")
    assert alice.units_dealt == D("-9.237904")
    assert alice.amount_dealt == D("-1000.00")
    assert bob.units_dealt == D("-10")
    assert bob.amount_dealt == D("-1082.49")
    assert result.holding("alice") == D("90.762096")
    assert result.holding("bob") == D("40")
    assert result.units_after == D("158.475807")  # 150 + 27.713711 - 9.237904 - 10
    assert result.nav_after_dealing == D("17154.96")
    assert [result.value(c) for c in ("alice", "bob", "carol")] == [
        D("9824.97"),
        D("4329.99"),
        D("3000.00"),
    ]
    assert result.residual == D("0.00")
    # 1,000.00 still held for alice until paid, plus bob's 1,082.49 now held too.
    assert result.withdrawals_held_after == D("2082.49")


def test_the_rounding_residual_is_reported_and_stays_with_the_fund() -> None:
    # 3 clients * 1 unit, NAV 100.00: NAV/unit = 33.333333; each value 33.33, Σ 99.99,
    # residual = 100.00 - 99.99 = 0.01.
    result = strike(
        strike_id="2026-02-27",
        at=AT,
        fund_nav=D("100.00"),
        holdings={"a": D(1), "b": D(1), "c": D(1)},
        pending=[],
        withdrawals_held=D(0),
    )

    assert result.nav_per_unit == D("33.333333")
    assert result.residual == D("0.01")


def test_a_withdrawal_above_the_holding_is_refused_and_its_cash_released() -> None:
    refused = strike(
        strike_id="2026-02-27",
        at=AT,
        fund_nav=D("-500.00"),  # equity 1,500.00 - 2,000.00 held
        holdings={"alice": D(10)},
        pending=[withdraw_amount("w1", "alice", "2000.00")],
        withdrawals_held=D("2000.00"),
    )
    # NAV before dealing = -500.00 + 2,000.00 = 1,500.00 → 150.000000; 2,000 needs 13.333334.
    assert refused.nav_per_unit == D("150.000000")
    assert refused.dealt == ()
    assert refused.refused[0].status is FlowStatus.REFUSED
    assert "exceeds the holding of 10 units" in (refused.refused[0].reason or "")
    assert refused.holding("alice") == D(10)
    assert refused.nav_after_dealing == D("1500.00")  # the held cash goes back into NAV
    assert refused.withdrawals_held_after == D("0.00")


def test_a_withdrawal_may_use_units_bought_earlier_in_the_same_strike() -> None:
    result = strike(
        strike_id="2026-01-05",
        at=AT,
        fund_nav=D("500.00"),
        holdings={},
        pending=[deposit("d", "a", "500.00", day=1), withdraw_units("w", "a", "5", day=2)],
        withdrawals_held=D(0),
    )

    assert result.holding("a") == D(0)
    assert result.dealt[1].amount_dealt == D("-500.00")


def test_a_withdrawal_ahead_of_the_deposit_is_refused() -> None:
    result = strike(
        strike_id="2026-01-05",
        at=AT,
        fund_nav=D("500.00"),
        holdings={},
        pending=[deposit("d", "a", "500.00", day=3), withdraw_units("w", "a", "5", day=2)],
        withdrawals_held=D(0),
    )

    assert [f.flow_id for f in result.refused] == ["w"]
    assert result.holding("a") == D(5)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-5", "must be positive"),
        ("0", "must be positive"),
        ("abc", "not a number"),
        ("NaN", "not a finite number"),
        ("1.001", "at most 2 decimal places"),
        (1.5, "exact decimal"),
        ("1e3", "no exponent"),
        ("2E-2", "no exponent"),
        ("ten", "not a number"),
        ("-Infinity", "not a finite number"),
    ],
)
def test_a_bad_amount_is_refused_naming_the_field(raw: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        parse_amount(raw)
    assert caught.value.field == "amount"


def test_units_take_six_decimals() -> None:
    assert parse_units("1.123456") == D("1.123456")
    with pytest.raises(ValidationError, match="at most 6"):
        parse_units("1.1234567")


def test_a_deposit_of_units_or_of_both_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        ClientFlow("f", "c", FlowKind.DEPOSIT, None, D(1), AT)
    assert caught.value.field == "units"
    with pytest.raises(ValidationError) as caught:
        ClientFlow("f", "c", FlowKind.WITHDRAWAL, D(1), D(1), AT)
    assert caught.value.field == "amount"
    with pytest.raises(ValidationError) as caught:
        ClientFlow("f", "c", FlowKind.WITHDRAWAL, D(-1), None, AT)
    assert caught.value.field == "amount"


def test_held_cash_must_cover_the_pending_amount_withdrawals() -> None:
    with pytest.raises(ValidationError) as caught:
        strike(
            strike_id="2026-01-05",
            at=AT,
            fund_nav=D(100),
            holdings={"a": D(1)},
            pending=[withdraw_amount("w", "a", "10.00")],
            withdrawals_held=D(0),
        )
    assert caught.value.field == "withdrawals_held"


def test_a_flow_already_dealt_or_a_bad_strike_id_is_refused() -> None:
    dealt = ClientFlow(
        "f", "c", FlowKind.DEPOSIT, D(1), None, AT, status=FlowStatus.DEALT, strike_id="x"
    )
    with pytest.raises(ValidationError) as caught:
        strike(
            strike_id="2026-01-05",
            at=AT,
            fund_nav=D(1),
            holdings={},
            pending=[dealt],
            withdrawals_held=D(0),
        )
    assert caught.value.field == "pending"
    with pytest.raises(ValidationError) as caught:
        strike(
            strike_id="2026-13-05",
            at=AT,
            fund_nav=D(1),
            holdings={},
            pending=[],
            withdrawals_held=D(0),
        )
    assert caught.value.field == "strike_id"


# --- properties -------------------------------------------------------------------------------

CLIENTS = ["a", "b", "c", "d"]
cents = st.integers(min_value=1, max_value=5_000_000).map(lambda n: D(n) / 100)
unit_counts = st.integers(min_value=1, max_value=50_000_000_000).map(lambda n: D(n) / 1_000_000)


@st.composite
def a_strike_case(draw: st.DrawFn) -> dict[str, object]:
    holdings = {
        client: draw(unit_counts)
        for client in draw(st.lists(st.sampled_from(CLIENTS), unique=True, max_size=4))
    }
    target = D(draw(st.integers(min_value=100, max_value=100_000_000))) / 100_000
    units_before = sum(holdings.values(), D(0))
    # A fund with units in issue is worth at least a cent (NAV/unit must be positive to deal).
    nav_before = max((units_before * target).quantize(D("0.01")), D("0.01"))
    flows: list[ClientFlow] = []
    for index in range(draw(st.integers(min_value=0, max_value=8))):
        client = draw(st.sampled_from(CLIENTS))
        at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 10_000)))
        kind = draw(st.sampled_from(["deposit", "amount", "units"]))
        if kind == "deposit":
            flows.append(ClientFlow(f"f{index}", client, FlowKind.DEPOSIT, draw(cents), None, at))
        elif kind == "amount":
            flows.append(
                ClientFlow(f"f{index}", client, FlowKind.WITHDRAWAL, draw(cents), None, at)
            )
        else:
            flows.append(
                ClientFlow(f"f{index}", client, FlowKind.WITHDRAWAL, None, draw(unit_counts), at)
            )
    deposits = sum((f.amount or D(0) for f in flows if f.kind is FlowKind.DEPOSIT), D(0))
    held = sum((f.amount or D(0) for f in flows if f.kind is FlowKind.WITHDRAWAL), D(0))
    extra_held = draw(cents) if draw(st.booleans()) else D(0)
    return {
        "holdings": holdings,
        "pending": flows,
        "fund_nav": nav_before + deposits - held,
        "withdrawals_held": held + extra_held,
    }


def run(case: dict[str, object]) -> Strike:
    return strike(strike_id="2026-01-31", at=AT, **case)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(a_strike_case())
def test_client_values_and_residual_add_up_to_the_nav_after_dealing(
    case: dict[str, object],
) -> None:
    result = run(case)
    values = sum((result.value(c) for c, _ in result.holdings_after), D(0))

    assert values + result.residual == result.nav_after_dealing
    assert result.residual == result.residual.quantize(D("0.01"))
    # Money is only moved between the fund's NAV and the cash held for clients.
    assert (
        result.nav_after_dealing + result.withdrawals_held_after
        == case["fund_nav"] + case["withdrawals_held"]
    )


@settings(max_examples=300, deadline=None)
@given(a_strike_case())
def test_every_flow_conserves_units(case: dict[str, object]) -> None:
    result = run(case)
    moved = sum((f.units_dealt or D(0) for f in result.dealt), D(0))

    assert result.units_after == result.units_before + moved
    assert sum(u for _, u in result.holdings_after) == result.units_after
    assert all(u >= 0 for _, u in result.holdings_after)
    assert len(result.dealt) + len(result.refused) == len(case["pending"])  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(a_strike_case())
def test_rounding_never_creates_money(case: dict[str, object]) -> None:
    result = run(case)
    price = result.nav_per_unit

    for flow in result.dealt:
        assert flow.units_dealt is not None
        assert flow.amount_dealt is not None
        # Issued units are worth at most the cash paid in; cancelled units at least the cash out.
        assert flow.units_dealt * price <= flow.amount_dealt
    # The exact, unallocated remainder of NAV over units * NAV/unit never shrinks by dealing.
    before = result.nav_before_dealing - result.units_before * price
    after = result.nav_after_dealing - result.units_after * price
    assert after >= before


@settings(max_examples=200, deadline=None)
@given(a_strike_case(), st.randoms(use_true_random=False))
def test_the_order_flows_arrive_in_does_not_matter(
    case: dict[str, object], shuffler: random.Random
) -> None:
    shuffled = list(case["pending"])  # type: ignore[call-overload]
    shuffler.shuffle(shuffled)

    assert run({**case, "pending": shuffled}) == run(case)


def test_client_value_rounds_half_up_to_the_cent() -> None:
    assert client_value(D("0.5"), D("0.01")) == D("0.01")  # 0.005 → 0.01
    assert client_value(D(3), D("33.333333")) == D("100.00")
