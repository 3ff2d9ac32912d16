"""The FIFO lot ledger: partial closes, reversals, shorts, multipliers, commission shares."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from mats.domain.accounting.lots import LedgerKey, LotBook, fold, fold_by_key, sort_key
from mats.domain.accounting.positions import position_id
from mats.domain.trading import Side
from mats.errors import ValidationError
from tests.unit.accounting.builders import KEY, a_fill, buy, sell


def test_key_id_is_the_position_document_id() -> None:
    key = LedgerKey("DU1", "crypto", "BTC/USDT")

    assert key.id == position_id("DU1", "crypto", "BTC/USDT") == "DU1__crypto__BTC_USDT"


def test_a_partial_close_takes_the_oldest_lot_first() -> None:
    book, realized, _ = fold(KEY, [buy(1, "2", "100"), buy(2, "3", "110"), sell(3, "3", "120")])

    assert [(r.opening_execution_id, r.quantity, r.pnl) for r in realized] == [
        ("exec-0001", Decimal(2), Decimal(40)),
        ("exec-0002", Decimal(1), Decimal(10)),
    ]
    assert [(lot.execution_id, lot.quantity, lot.price) for lot in book.lots] == [
        ("exec-0002", Decimal(2), Decimal(110))
    ]
    assert book.quantity == 2
    assert book.average_cost == Decimal(110)


def test_average_cost_weights_the_open_lots_and_is_none_when_flat() -> None:
    book, _, _ = fold(KEY, [buy(1, "1", "100"), buy(2, "3", "120")])
    flat, _, _ = fold(KEY, [buy(1, "1", "100"), sell(2, "1", "90")])

    assert book.average_cost == Decimal(115)
    assert flat.average_cost is None
    assert flat.quantity == 0
    assert flat.lots == ()


def test_a_reversal_closes_every_lot_then_opens_the_rest_at_the_fill_price() -> None:
    book, realized, _ = fold(KEY, [buy(1, "1", "100"), buy(2, "1", "104"), sell(3, "5", "110")])

    assert sum(r.pnl for r in realized) == Decimal(10) + Decimal(6)
    assert [(lot.execution_id, lot.quantity, lot.price) for lot in book.lots] == [
        ("exec-0003", Decimal(-3), Decimal(110))
    ]
    assert book.lots[0].signal_id == "signal-3"


def test_a_short_realises_the_fall_in_price() -> None:
    book, realized, _ = fold(KEY, [sell(1, "4", "50"), buy(2, "1", "45"), buy(3, "1", "52")])

    assert [r.pnl for r in realized] == [Decimal(5), Decimal(-2)]
    assert book.quantity == -2
    assert book.average_cost == Decimal(50)


def test_adding_to_a_short_opens_a_second_lot() -> None:
    book, realized, _ = fold(KEY, [sell(1, "1", "50"), sell(2, "2", "47")])

    assert realized == ()
    assert [lot.quantity for lot in book.lots] == [Decimal(-1), Decimal(-2)]
    assert book.average_cost == Decimal(48)


def test_the_multiplier_scales_realised_pnl_of_a_future() -> None:
    _, realized, _ = fold(
        KEY, [buy(1, "2", "5000.25", multiplier="50"), sell(2, "2", "5010.75", multiplier="50")]
    )

    assert realized[0].pnl == Decimal("1050.00")  # 10.50 points x 2 contracts x $50
    assert realized[0].multiplier == Decimal(50)


def test_realisations_belong_to_the_opening_lots_signal_and_sender() -> None:
    fills = [
        buy(1, "1", "100", signal_id="alice-long", sender_id="alice"),
        buy(2, "1", "101", signal_id="bob-long", sender_id="bob"),
        sell(3, "2", "105", signal_id="carol-exit", sender_id="carol"),
    ]

    _, realized, _ = fold(KEY, fills)

    assert [(r.signal_id, r.sender_id, r.pnl) for r in realized] == [
        ("alice-long", "alice", Decimal(5)),
        ("bob-long", "bob", Decimal(4)),
    ]
    assert {r.closing_execution_id for r in realized} == {"exec-0003"}


def test_commission_on_a_reversal_splits_pro_rata_between_closed_and_opened_lots() -> None:
    fills = [
        buy(1, "1", "100", signal_id="a", sender_id="alice"),
        buy(2, "2", "100", signal_id="b", sender_id="bob"),
        sell(3, "4", "101", commission="8", signal_id="c", sender_id="carol"),
    ]

    _, _, costs = fold(KEY, fills)

    assert [(c.signal_id, c.sender_id, c.amount) for c in costs] == [
        ("a", "alice", Decimal(2)),
        ("b", "bob", Decimal(4)),
        ("c", "carol", Decimal(2)),
    ]
    assert {c.execution_id for c in costs} == {"exec-0003"}


def test_commission_shares_add_up_exactly_when_the_split_does_not_divide() -> None:
    fills = [
        buy(1, "1", "100", signal_id="a"),
        buy(2, "1", "100", signal_id="b"),
        sell(3, "3", "100", commission="1", signal_id="c"),
    ]

    _, _, costs = fold(KEY, fills)

    assert len(costs) == 3
    assert sum(c.amount for c in costs) == Decimal(1)


def test_commission_stays_in_the_currency_charged() -> None:
    _, _, costs = fold(KEY, [buy(1, "1", "100", commission="1.25", commission_currency="CHF")])

    assert [(c.amount, c.currency, c.signal_id) for c in costs] == [
        (Decimal("1.25"), "CHF", "signal-1")
    ]


def test_lots_closed_by_one_fill_from_one_opener_share_a_single_cost() -> None:
    fills = [
        buy(1, "1", "100", signal_id="a"),
        buy(2, "1", "100", signal_id="a"),
        sell(3, "2", "100", commission="3"),
    ]

    _, _, costs = fold(KEY, fills)

    assert [(c.signal_id, c.amount) for c in costs] == [("a", Decimal(3))]


def test_a_free_fill_charges_nothing() -> None:
    _, _, costs = fold(KEY, [buy(1, "1", "100")])

    assert costs == ()


def test_fold_orders_by_execution_time_then_id_and_skips_duplicates() -> None:
    late_buy = buy(1, "1", "100", minutes=10)
    early_sell = sell(2, "1", "90", minutes=5)

    book, realized, _ = fold(KEY, [late_buy, early_sell, late_buy, early_sell])

    assert [r.opening_execution_id for r in realized] == ["exec-0002"]  # The short opened first.
    assert realized[0].pnl == Decimal(-10)
    assert book.fills_applied == 2
    assert book.last == sort_key(late_buy)


def test_apply_repeating_the_last_fill_changes_nothing() -> None:
    book, _, _ = LotBook.empty(KEY).apply(buy(1, "1", "100"))

    again, realized, costs = book.apply(buy(1, "1", "100"))

    assert again == book
    assert (realized, costs) == ((), ())


def test_apply_refuses_a_fill_older_than_the_last_one() -> None:
    book, _, _ = LotBook.empty(KEY).apply(buy(2, "1", "100"))

    with pytest.raises(ValueError, match="older"):
        book.apply(buy(1, "1", "100"))


def test_apply_refuses_a_fill_of_another_key() -> None:
    other = LotBook.empty(LedgerKey("DU999", "trend", "ES"))

    with pytest.raises(ValueError, match="DU123"):
        other.apply(buy(1, "1", "100"))


def test_apply_refuses_a_change_of_currency_or_multiplier() -> None:
    book, _, _ = LotBook.empty(KEY).apply(buy(1, "1", "100", multiplier="50"))

    with pytest.raises(ValidationError, match="multiplier"):
        book.apply(buy(2, "1", "100", multiplier="5"))
    with pytest.raises(ValidationError, match="currency"):
        book.apply(buy(2, "1", "100", multiplier="50", currency="EUR"))


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("quantity", {"quantity": "0"}),
        ("quantity", {"quantity": "-1"}),
        ("quantity", {"quantity": "NaN"}),
        ("multiplier", {"multiplier": "0"}),
        ("price", {"price": "Infinity"}),
    ],
)
def test_a_fill_with_a_bad_number_names_the_field(field: str, values: dict[str, str]) -> None:
    arguments = {"quantity": "1", "price": "100"} | values

    with pytest.raises(ValidationError) as raised:
        a_fill(
            1,
            Side.BUY,
            arguments.pop("quantity"),
            arguments.pop("price"),
            **arguments,  # type: ignore[arg-type]
        )

    assert raised.value.field == field


def test_fold_by_key_keeps_each_strategy_apart() -> None:
    mine = buy(1, "1", "100")
    theirs = replace(sell(2, "1", "100"), strategy_id="meanrev")
    other_key = LedgerKey(KEY.account, "meanrev", KEY.symbol)

    folded = fold_by_key([theirs, mine])

    assert list(folded) == [other_key, KEY]
    assert folded[KEY][0].quantity == 1
    assert folded[other_key][0].quantity == -1


def test_a_flat_book_remembers_the_instruments_currency_and_multiplier() -> None:
    book, _, _ = fold(
        KEY,
        [
            buy(1, "1", "100", currency="EUR", multiplier="10"),
            sell(2, "1", "100", currency="EUR", multiplier="10"),
        ],
    )

    assert (book.quantity, book.currency, book.multiplier) == (0, "EUR", Decimal(10))
