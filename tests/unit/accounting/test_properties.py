"""Properties of the lot ledger, valuation and FX over generated fill sequences."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from mats.domain.accounting.fx import RateBook, RateFlag
from mats.domain.accounting.lots import LotFill, fold
from mats.domain.accounting.valuation import (
    Mark,
    combine,
    pnl_totals,
    totals_by_sender,
    value_position,
)
from mats.domain.market import FxRate
from mats.domain.trading import Side
from tests.unit.accounting.builders import KEY, T0, a_fill

SENDERS = st.sampled_from(["alice", "bob", None])
QUANTITIES = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(500), places=2)
PRICES = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10_000), places=2)
COMMISSIONS = st.decimals(min_value=Decimal(0), max_value=Decimal(20), places=2)


@st.composite
def fill_sequences(draw: st.DrawFn, *, multiplier: str = "1") -> list[LotFill]:
    """Fills with distinct ids; some share an execution time so the id breaks the tie."""
    count = draw(st.integers(min_value=1, max_value=25))
    return [
        a_fill(
            number,
            draw(st.sampled_from(Side)),
            str(draw(QUANTITIES)),
            str(draw(PRICES)),
            commission=str(draw(COMMISSIONS)),
            multiplier=multiplier,
            sender_id=draw(SENDERS),
            minutes=draw(st.integers(min_value=0, max_value=10)),
        )
        for number in range(count)
    ]


def cash_flow_pnl(fills: list[LotFill], mark: Decimal) -> Decimal:
    """Total P&L the independent way: money in from sells, out on buys, plus what is held."""
    cash = Decimal(0)
    held = Decimal(0)
    for fill in fills:
        notional = fill.quantity * fill.price * fill.multiplier
        cash += notional if fill.side is Side.SELL else -notional
        cash -= fill.commission
        held += fill.signed_quantity
    multiplier = fills[0].multiplier
    return cash + held * mark * multiplier


@given(fill_sequences(), st.data())
def test_fold_is_the_same_whatever_the_arrival_order_and_duplicates(
    fills: list[LotFill], data: st.DataObject
) -> None:
    duplicates = data.draw(st.lists(st.sampled_from(fills), max_size=10))
    arrival = data.draw(st.permutations(fills + duplicates))

    assert fold(KEY, arrival) == fold(KEY, fills)


@given(fill_sequences())
def test_lots_all_have_the_sign_of_the_position_and_add_up_to_it(fills: list[LotFill]) -> None:
    book, realized, _ = fold(KEY, fills)

    assert book.quantity == sum((f.signed_quantity for f in fills), Decimal(0))
    assert len({lot.quantity > 0 for lot in book.lots}) <= 1
    assert all(lot.quantity != 0 for lot in book.lots)
    assert all(r.quantity > 0 for r in realized)
    assert book.fills_applied == len(fills)


@given(fill_sequences())
def test_commission_shares_add_up_to_each_fills_commission(fills: list[LotFill]) -> None:
    _, _, costs = fold(KEY, fills)

    for fill in fills:
        shares = [c.amount for c in costs if c.execution_id == fill.execution_id]
        assert sum(shares, Decimal(0)) == fill.commission


@settings(max_examples=200)
@given(st.sampled_from(["1", "50", "0.1"]).flatmap(lambda m: fill_sequences(multiplier=m)), PRICES)
def test_total_pnl_equals_an_independent_cash_flow_ledger(
    fills: list[LotFill], mark_price: Decimal
) -> None:
    book, realized, costs = fold(KEY, fills)
    at = T0 + timedelta(days=1)
    mark = Mark(KEY.symbol, mark_price, "quote", at)
    value = value_position(book, mark, RateBook([]), "USD", at)

    totals = pnl_totals(
        realizations=realized, costs=costs, positions=[value], rates=RateBook([]), base="USD"
    )

    assert totals.net == cash_flow_pnl(fills, mark_price)
    assert totals.flags == ()


@given(fill_sequences(), PRICES)
def test_sender_totals_add_up_to_the_books_total(fills: list[LotFill], mark_price: Decimal) -> None:
    book, realized, costs = fold(KEY, fills)
    at = T0 + timedelta(days=1)
    mark = Mark(KEY.symbol, mark_price, "quote", at)
    rates = RateBook([])

    by_sender = totals_by_sender(
        realizations=realized, costs=costs, books=[(book, mark)], rates=rates, base="USD", at=at
    )
    whole = pnl_totals(
        realizations=realized,
        costs=costs,
        positions=[value_position(book, mark, rates, "USD", at)],
        rates=rates,
        base="USD",
    )

    assert combine(by_sender.values()) == whole


@given(
    st.lists(
        st.tuples(
            st.booleans(),
            st.integers(min_value=0, max_value=20),
            st.decimals(min_value=Decimal("0.5"), max_value=Decimal(2), places=4),
        ),
        max_size=12,
    ),
    st.integers(min_value=-2, max_value=24),
    st.sampled_from([("EUR", "USD"), ("USD", "EUR"), ("EUR", "EUR"), ("CHF", "USD")]),
)
def test_a_conversion_uses_the_latest_rate_at_or_before_its_time_or_is_flagged(
    stored: list[tuple[bool, int, Decimal]], hour: int, currencies: tuple[str, str]
) -> None:
    source, target = currencies
    rates = [
        FxRate(*(("EUR", "USD") if direct else ("USD", "EUR")), rate, T0 + timedelta(hours=h))
        for direct, h, rate in stored
    ]
    at = T0 + timedelta(hours=hour)

    converted = RateBook(rates, max_age=timedelta(hours=3)).convert(Decimal(7), source, target, at)

    usable = [r for r in rates if {r.base_currency, r.quote_currency} == {source, target}]
    usable = [r for r in usable if r.as_of <= at]
    if source == target:
        assert (converted.flag, converted.amount) == (RateFlag.SAME, Decimal(7))
    elif not usable:
        assert (converted.flag, converted.amount, converted.rate) == (RateFlag.MISSING, None, None)
    else:
        latest = max(r.as_of for r in usable)
        assert converted.rate_as_of == latest
        candidates = {
            r.rate if r.base_currency == source else 1 / r.rate for r in usable if r.as_of == latest
        }
        assert converted.rate in candidates
        assert converted.amount == Decimal(7) * converted.rate
        expected = RateFlag.STALE if at - latest > timedelta(hours=3) else RateFlag.OK
        assert converted.flag is expected
