"""The sizing base is the fund: every account's equity in the base currency, and the margin
limit holds for the strategy's account and for the fund as a whole."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mats.domain.cerebro.brain import decide
from mats.domain.cerebro.decisions import CerebroSettings, Decision, DecisionStatus, Reason
from mats.domain.execution.records import new_record
from mats.domain.market import FxRate
from tests.builders import (
    NOW,
    a_signal,
    an_account,
    an_allocation,
    an_instrument,
    an_order,
    decision_inputs,
)

SETTINGS = CerebroSettings()
EURUSD = FxRate("EUR", "USD", Decimal("1.25"), NOW)
# No margin data: full notional, so only the allocation binds unless a test says otherwise.
UNLEVERED = an_instrument(margin_rate=None)


def run(**inputs: Any) -> Decision:
    signal = inputs.pop("signal", None) or a_signal()
    inputs.setdefault("instrument", UNLEVERED)
    return decide(signal, decision_inputs(**inputs), SETTINGS, NOW)


def steps(decision: Decision) -> dict[str, str | None]:
    return {step.name: step.value for step in decision.steps}


def check(decision: Decision, name: str) -> Any:
    return next(c for c in decision.checks if c.name == name)


def test_allocated_capital_is_a_share_of_every_accounts_equity_in_the_base_currency() -> None:
    # 100,000 USD + 200,000 EUR x 1.25 = 350,000 USD; 10% = 35,000 = 175 shares at 200.
    europe = an_account(account="IB_Europe", base_currency="EUR", equity=Decimal(200_000))

    decision = run(accounts=(an_account(), europe), fx=EURUSD)

    assert decision.status is DecisionStatus.APPROVED
    assert steps(decision)["fund_equity"] == "350000"
    assert steps(decision)["allocated_capital"] == "35000"
    assert decision.orders[0].quantity == Decimal(175)
    fund = decision.input("fund_equity")
    assert fund is not None
    assert (fund.value, fund.source) == (Decimal(350_000), "accounts (2 of 2 valued in USD)")
    detail = next(s.detail for s in decision.steps if s.name == "fund_equity")
    assert detail == "IBKR_Main 100000 USD + IB_Europe 200000 EUR x 1.25, in USD"


def test_the_strategys_account_counts_even_when_the_store_lists_only_the_others() -> None:
    other = an_account(account="IBKR_Futures", equity=Decimal(300_000))

    decision = run(accounts=(other,))

    assert steps(decision)["fund_equity"] == "400000"


def test_an_account_without_a_rate_to_the_base_is_left_out_and_named_never_a_silent_1() -> None:
    europe = an_account(account="IB_Europe", base_currency="EUR", equity=Decimal(200_000))

    decision = run(accounts=(an_account(), europe))

    assert Reason.FX_RATE_MISSING in decision.reasons
    # Sized on the 100,000 USD that can be valued: a smaller order than the fund allows.
    assert decision.status is DecisionStatus.SCALED
    assert decision.orders[0].quantity == Decimal(50)
    missing = next(s.detail for s in decision.steps if s.name == "FX_RATE_MISSING")
    assert missing == (
        "no EUR/USD rate is stored: account IB_Europe (200000 EUR equity) is left out of the "
        "fund's equity"
    )
    fund = decision.input("fund_equity")
    assert fund is not None
    assert fund.source == "accounts (1 of 2 valued in USD; left out: IB_Europe)"


def test_no_equity_when_no_account_of_the_fund_can_be_valued() -> None:
    europe = an_account(account="IB_Europe", base_currency="EUR", equity=Decimal(200_000))
    strategy_on_europe = a_signal(account="IB_Europe")

    decision = run(signal=strategy_on_europe, account=europe, accounts=(europe,))

    assert decision.status is DecisionStatus.REJECTED
    assert decision.reasons == (Reason.FX_RATE_MISSING, Reason.NO_EQUITY)


def test_the_capital_is_converted_into_the_instruments_currency_before_it_buys_units() -> None:
    sap = an_instrument("SAP", currency="EUR")
    big = an_account(account="IBKR_Futures", equity=Decimal(400_000))

    # 500,000 USD x 10% = 50,000 USD = 40,000 EUR = 250 SAP at 160 EUR.
    decision = run(
        signal=a_signal(symbol="SAP", price=Decimal(160)),
        instrument=sap,
        accounts=(big,),
        fx=EURUSD,
    )

    assert steps(decision)["allocated_in_instrument_currency"] == "40000"
    assert decision.orders[0].quantity == Decimal(250)


def test_a_small_account_in_a_large_fund_is_bounded_by_its_own_margin_room() -> None:
    # 10% of a 10,100,000 USD fund buys 5,050 shares; the 100,000 USD account's 40% holds 199
    # at full notional (less the cost allowance).
    big = an_account(account="IBKR_Futures", equity=Decimal(10_000_000))

    decision = run(accounts=(big,))

    assert decision.reasons == (Reason.MARGIN_SCALED,)
    assert decision.orders[0].quantity == Decimal(199)
    assert check(decision, "margin_utilisation").passed is False
    assert check(decision, "fund_margin_utilisation").passed is True


def test_the_fund_margin_limit_holds_when_another_account_is_already_past_its_own() -> None:
    # IBKR_Futures uses 150,000 of its 200,000: the fund uses 150,000 of 300,000 x 40% =
    # 120,000 already, so not one more share fits although IBKR_Main's own margin is free.
    strained = an_account(
        account="IBKR_Futures", equity=Decimal(200_000), margin_used=Decimal(150_000)
    )

    decision = run(accounts=(strained,))

    assert decision.reasons == (Reason.MARGIN_LIMIT,)
    assert check(decision, "margin_utilisation").passed is True
    fund_check = check(decision, "fund_margin_utilisation")
    assert fund_check.passed is False
    assert "fund equity" in fund_check.note


def test_the_fund_margin_limit_scales_an_entry_down_to_the_room_left() -> None:
    # Fund: 300,000 equity, limit 120,000, 100,000 used elsewhere: 20,000 of room, less the
    # cost allowance, is 99 shares at 200 at full notional (10% would buy 150).
    strained = an_account(
        account="IBKR_Futures", equity=Decimal(200_000), margin_used=Decimal(100_000)
    )

    decision = run(accounts=(strained,))

    assert decision.reasons == (Reason.MARGIN_SCALED,)
    assert decision.orders[0].quantity == Decimal(99)
    scaled = next(s.detail for s in decision.steps if s.name == "MARGIN_SCALED")
    assert "fund's margin use" in scaled


def test_entries_in_flight_on_another_account_count_against_the_fund_margin() -> None:
    other = an_account(account="IBKR_Futures", equity=Decimal(200_000), margin_used=Decimal(60_000))
    # A working 500-share entry at 100 on IBKR_Futures ties up 50,000 more of margin.
    working = an_order(
        "elsewhere_ORD",
        account="IBKR_Futures",
        strategy_id="other",
        quantity=Decimal(500),
        margin_per_unit=Decimal(100),
    )
    inputs: dict[str, Any] = {
        "accounts": (other,),
        "allocation": an_allocation("25"),
        "instrument": an_instrument(),  # 25% margin: 50 a share at 200.
    }
    without = run(**inputs)
    with_it = run(**inputs, orders=(new_record(working, NOW),))

    # 25% of 300,000 = 375 shares, 18,750 of margin: the fund's 120,000 holds it with the
    # 60,000 used; with the 50,000 in flight only (0.4 x (300,000 - 0.1% of 50,000) - 110,000)
    # / (50 + 0.4 x 0.1% x 200) = 199 fit.
    assert without.orders[0].quantity == Decimal(375)
    assert with_it.reasons == (Reason.MARGIN_SCALED,)
    assert with_it.orders[0].quantity == Decimal(199)
    # The other account's order is not this account's: its own margin check leaves it out.
    assert "0 in flight" in check(with_it, "margin_utilisation").note
    assert "50000 in flight" in check(with_it, "fund_margin_utilisation").note


MONEY = st.decimals(min_value=Decimal(1000), max_value=Decimal(10_000_000), places=2)
FRACTIONS = st.decimals(min_value=0, max_value=Decimal("0.6"), places=3)


@settings(max_examples=300, deadline=None)
@given(
    own=MONEY,
    own_used=FRACTIONS,
    others=st.lists(
        st.tuples(MONEY, FRACTIONS, st.sampled_from(["USD", "EUR", "JPY"])), max_size=3
    ),
    percent=st.decimals(min_value=Decimal("0.1"), max_value=Decimal(50), places=1),
    price=st.decimals(min_value=Decimal("0.5"), max_value=Decimal(100_000), places=2),
    margin_rate=st.sampled_from([None, Decimal("0.05"), Decimal("0.25")]),
    flying_margin=st.decimals(min_value=0, max_value=Decimal(200_000), places=2),
)
def test_entries_stay_within_the_fund_allocation_and_both_margin_limits(
    own: Decimal,
    own_used: Decimal,
    others: list[tuple[Decimal, Decimal, str]],
    percent: Decimal,
    price: Decimal,
    margin_rate: Decimal | None,
    flying_margin: Decimal,
) -> None:
    rates = {"USD": Decimal(1), "EUR": Decimal("1.25")}  # No JPY rate: left out of the fund.
    accounts = tuple(
        an_account(
            account=f"other-{n}", base_currency=currency, equity=equity, margin_used=equity * used
        )
        for n, (equity, used, currency) in enumerate(others)
    )
    working = an_order(
        "other_ORD", account="other-0", strategy_id="other", margin_per_unit=flying_margin / 10
    )
    orders = (new_record(working, NOW),) if accounts else ()
    account = an_account(equity=own, margin_used=own * own_used)
    instrument = an_instrument(margin_rate=margin_rate)

    decision = run(
        signal=a_signal(price=price),
        account=account,
        accounts=accounts,
        fx=EURUSD,
        instrument=instrument,
        allocation=an_allocation(str(percent)),
        orders=orders,
    )

    valued = [a for a in (account, *accounts) if a.base_currency in rates]
    fund = sum((a.equity * rates[a.base_currency] for a in valued), Decimal(0))
    fund_used = sum((a.margin_used * rates[a.base_currency] for a in valued), Decimal(0))
    other_zero = accounts[0] if accounts else None
    if other_zero is not None and other_zero.base_currency in rates:
        fund_used += Decimal(10) * working.margin_per_unit * rates[other_zero.base_currency]
    limit = SETTINGS.margin_limit
    for order in decision.orders:
        quantity = order.quantity
        per_unit = price * margin_rate if margin_rate is not None else price
        assert quantity > 0
        assert quantity * price <= fund * percent / 100
        assert account.margin_used + quantity * per_unit <= own * limit
        assert fund_used + quantity * per_unit <= fund * limit
