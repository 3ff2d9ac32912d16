"""The fund valued at a moment: positions at marks, accounts in the base currency, senders apart."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from mats.domain.accounting import AccountState
from mats.domain.accounting.fund import value_fund
from mats.domain.accounting.fx import RateBook
from mats.domain.accounting.lots import LedgerKey, fold
from mats.domain.accounting.valuation import Mark
from mats.domain.accounting.views import LedgerRecord, SenderShare
from mats.domain.market import FxRate
from tests.unit.accounting.builders import T0, buy, sell

D = Decimal
AT = T0 + timedelta(hours=2)


def record(
    key: LedgerKey,
    *fills: object,
    realized: str = "0",
    commissions: str = "0",
    senders: tuple[SenderShare, ...] = (),
) -> LedgerRecord:
    book, _, _ = fold(key, fills)  # type: ignore[arg-type]
    last = book.last
    assert last is not None
    return LedgerRecord(
        key=key,
        currency=book.currency or "USD",
        multiplier=book.multiplier or D(1),
        lots=book.lots,
        fills_applied=book.fills_applied,
        last_executed_at=last[0],
        last_execution_id=last[1],
        realized=D(realized),
        commissions=D(commissions),
        senders=senders,
    )


def account(name: str, currency: str, equity: str, margin: str = "0") -> AccountState:
    return AccountState(name, "ib", currency, D(equity), D(equity), D(margin), T0)


def test_positions_are_valued_at_their_marks_and_split_by_opening_sender() -> None:
    key = LedgerKey("DU123", "trend", "ES")
    # alice's 2 @ 100, bob's 1 @ 110; mark 120: alice 2 x 20 = 40, bob 1 x 10 = 10.
    ledger = record(
        key,
        buy(1, "2", "100", sender_id="alice"),
        buy(2, "1", "110", sender_id="bob", signal_id="signal-b"),
    )
    valuation = value_fund(
        ledgers=[ledger],
        marks={"ES": Mark("ES", D(120), "quote", AT)},
        accounts=[account("DU123", "USD", "1000")],
        rates=RateBook([]),
        base_currency="USD",
        at=AT,
    )
    assert valuation.strategies["trend"].unrealized == 50
    assert {s: t.unrealized for s, t in valuation.senders.items()} == {"alice": 40, "bob": 10}
    (line,) = valuation.positions
    assert (line.quantity, line.mark, line.mark_source, line.unrealized) == (
        3,
        D(120),
        "quote",
        D("50.00"),
    )


def test_an_unpriced_position_counts_zero_and_says_so() -> None:
    key = LedgerKey("DU123", "trend", "ES")
    valuation = value_fund(
        ledgers=[record(key, buy(1, "2", "100"))],
        marks={},
        accounts=[],
        rates=RateBook([]),
        base_currency="USD",
        at=AT,
    )
    assert valuation.strategies["trend"].unrealized == 0
    assert "UNPRICED" in valuation.positions[0].flags
    assert "UNPRICED" in valuation.flags


def test_accounts_convert_at_the_moment_and_a_missing_rate_is_left_out_flagged() -> None:
    rates = RateBook([FxRate("EUR", "USD", D("1.10"), T0)])
    valuation = value_fund(
        ledgers=[],
        marks={},
        accounts=[
            account("US", "USD", "1000", margin="100"),
            account("EU", "EUR", "1000", margin="200"),
            account("JP", "JPY", "100000"),
        ],
        rates=rates,
        base_currency="USD",
        at=AT,
    )
    # 1,000 + 1,000 x 1.10 = 2,100; JPY has no rate: out, flagged, never a silent 1.
    assert valuation.equity == D("2100.00")
    assert valuation.margin_used == D("320.00")
    lines = {a.account: a for a in valuation.accounts}
    assert lines["JP"].equity_base is None
    assert lines["JP"].flags == ("FX_MISSING",)
    assert "FX_MISSING" in valuation.flags


def test_realised_totals_come_from_the_ledgers_frozen_sums() -> None:
    key = LedgerKey("DU123", "trend", "ES")
    ledger = record(
        key,
        buy(1, "2", "100"),
        sell(2, "2", "110"),
        realized="20",
        commissions="2",
        senders=(SenderShare("alice", D(20), D(2)),),
    )
    valuation = value_fund(
        ledgers=[ledger], marks={}, accounts=[], rates=RateBook([]), base_currency="USD", at=AT
    )
    assert valuation.totals.net == 18
    assert valuation.senders["alice"].net == 18
    assert valuation.positions == ()
