from __future__ import annotations

from datetime import UTC, datetime

from mats.domain.trading import Side
from tests.integration.accounting.conftest import Books


def test_a_round_trip_books_realised_pnl(books: Books) -> None:
    t0 = datetime(2026, 1, 2, 10, tzinfo=UTC)
    books.signal("s1", strategy_id="alpha", sender_id="snd-a")
    books.signal("s2", strategy_id="alpha", sender_id="snd-a")
    acc = books.accounting
    acc.on_account(books.account("IB1", currency="USD", equity="100000", at=t0))
    acc.on_fill(
        books.fill(
            "e1",
            signal_id="s1",
            strategy_id="alpha",
            account="IB1",
            symbol="AAPL",
            side=Side.BUY,
            quantity="10",
            price="100",
            at=t0,
            commission="1",
        ),
        message_id="m1",
    )
    acc.on_fill(
        books.fill(
            "e2",
            signal_id="s2",
            strategy_id="alpha",
            account="IB1",
            symbol="AAPL",
            side=Side.SELL,
            quantity="4",
            price="110",
            at=t0.replace(hour=11),
            commission="1",
        ),
        message_id="m2",
    )
    summary = acc.summary()
    views = {v.name: v for v in acc.pnl("strategy")}
    print(summary)
    print(views)
    assert views["alpha"].realized == 40
    assert views["alpha"].commissions == 2
    record, new = acc.strike()
    assert new and record.nav_per_unit == 100
