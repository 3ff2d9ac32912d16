"""A worked example of the fund's accounting, every figure derived by hand in the comments.

Two accounts (IB_US in USD, IB_EU in EUR), three strategies (alpha: AAPL on IB_US; beta: SAP
on IB_EU, in EUR; gamma: ES futures x50 on IB_US), two senders (snd-a sends alpha's and one of
gamma's signals, snd-b beta's and the other of gamma's), three clients with mid-month flows.
It has partial fills (one order filled in two), a reversal (long 200 SAP sold 300), commissions
charged in a third currency (GBP), a day without an FX rate (Saturday 3 January), and a
month-end crystallisation after a losing month (February). Base currency USD.

The events run in time order on the real accounting (the Firestore emulator), the clock moving
with them, as the scheduler and the bridge would drive it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from mats.domain.trading import Side
from tests.integration.accounting.conftest import Books

D = Decimal


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Story:
    """What the example recorded on the way: strikes and crystallisations as they were made."""

    books: Books
    strikes: dict[str, Any] = field(default_factory=dict)
    payouts: dict[str, list[Any]] = field(default_factory=dict)
    flows: dict[str, Any] = field(default_factory=dict)
    day_pnl_jan6: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def story(stack: Any) -> Iterator[Story]:
    from tests.integration.accounting.conftest import open_books  # noqa: PLC0415

    with open_books() as books:
        yield play(books)


def play(books: Books) -> Story:
    story = Story(books)
    acc = books.accounting

    def now(text: str) -> None:
        books.clock.current = at(text)

    def fill(execution_id: str, when: str, **fields: Any) -> None:
        now(when)
        acc.on_fill(books.fill(execution_id, at=at(when), **fields), message_id=execution_id)

    def account(when: str, name: str, currency: str, equity: str, *marks: tuple[str, str]) -> None:
        now(when)
        acc.on_account(
            books.account(name, currency=currency, equity=equity, at=at(when), marks=marks)
        )

    for signal, strategy, sender in [
        ("a1", "alpha", "snd-a"),
        ("a2", "alpha", "snd-a"),
        ("b1", "beta", "snd-b"),
        ("b2", "beta", "snd-b"),
        ("g1", "gamma", "snd-a"),
        ("g2", "gamma", "snd-b"),
        ("g3", "gamma", "snd-a"),
    ]:
        books.signal(signal, strategy_id=strategy, sender_id=sender)

    now("2025-12-30T09:00")
    books.rate("EUR/USD", "1.10", at("2025-12-30T09:00"))
    books.rate("GBP/USD", "1.30", at("2025-12-30T09:00"))
    for client in ("c1", "c2", "c3"):
        acc.investors.create_client(client, f"Client {client}")
    now("2025-12-30T10:05")
    story.flows["c1-in"] = acc.investors.deposit("c1", "300000").flow
    now("2025-12-31T10:00")
    story.flows["c2-in"] = acc.investors.deposit("c2", "200000").flow
    # IB_US 390,000 USD + IB_EU 100,000 EUR x 1.10 = 500,000.00: the two deposits, at the broker.
    account("2025-12-31T21:00", "IB_US", "USD", "390000")
    account("2025-12-31T21:00", "IB_EU", "EUR", "100000")
    now("2025-12-31T23:00")
    story.strikes["2025-12-31"], _ = acc.strike(date(2025, 12, 31))

    now("2026-01-02T09:00")
    books.rate("EUR/USD", "1.10", at("2026-01-02T09:00"))
    books.rate("GBP/USD", "1.30", at("2026-01-02T09:00"))
    us = {"account": "IB_US", "currency": "USD"}
    eu = {"account": "IB_EU", "currency": "EUR", "commission_currency": "GBP"}
    # One order (a1) filled in two: 100 @ 150.00 then 50 @ 151.00.
    fill(
        "e1",
        "2026-01-02T10:00",
        signal_id="a1",
        strategy_id="alpha",
        symbol="AAPL",
        side=Side.BUY,
        quantity="100",
        price="150.00",
        commission="1.00",
        **us,
    )
    fill(
        "e2",
        "2026-01-02T10:01",
        signal_id="a1",
        strategy_id="alpha",
        symbol="AAPL",
        side=Side.BUY,
        quantity="50",
        price="151.00",
        commission="0.50",
        **us,
    )
    fill(
        "e4",
        "2026-01-02T11:00",
        signal_id="b1",
        strategy_id="beta",
        symbol="SAP",
        side=Side.BUY,
        quantity="200",
        price="100.00",
        commission="2.00",
        **eu,
    )
    # Saturday: no FX rate that day. The reversal sells 300: closes 200, opens 100 short.
    fill(
        "e5",
        "2026-01-03T11:00",
        signal_id="b2",
        strategy_id="beta",
        symbol="SAP",
        side=Side.SELL,
        quantity="300",
        price="95.00",
        commission="3.00",
        **eu,
    )
    now("2026-01-05T09:00")
    books.rate("EUR/USD", "1.20", at("2026-01-05T09:00"))
    fill(
        "e6",
        "2026-01-05T10:00",
        signal_id="g1",
        strategy_id="gamma",
        symbol="ES",
        side=Side.BUY,
        quantity="2",
        price="4000.00",
        commission="4.00",
        multiplier="50",
        **us,
    )
    fill(
        "e7",
        "2026-01-05T10:05",
        signal_id="g2",
        strategy_id="gamma",
        symbol="ES",
        side=Side.BUY,
        quantity="1",
        price="4010.00",
        commission="2.00",
        multiplier="50",
        **us,
    )
    account("2026-01-05T21:00", "IB_US", "USD", "390000", ("AAPL", "152"), ("ES", "4005"))
    fill(
        "e3",
        "2026-01-06T15:00",
        signal_id="a2",
        strategy_id="alpha",
        symbol="AAPL",
        side=Side.SELL,
        quantity="120",
        price="160.00",
        commission="1.20",
        **us,
    )
    story.day_pnl_jan6 = {d.strategy_id: d for d in books.records("strategy_day_pnl")}

    now("2026-01-10T10:00")
    story.flows["c3-in"] = acc.investors.deposit("c3", "100000").flow
    now("2026-01-12T10:00")
    story.flows["c1-out"] = acc.investors.withdraw("c1", amount="50000").flow
    now("2026-01-15T09:00")
    books.rate("EUR/USD", "1.20", at("2026-01-15T09:00"))
    account("2026-01-15T21:00", "IB_US", "USD", "495000", ("AAPL", "158"), ("ES", "4020"))
    account("2026-01-15T21:00", "IB_EU", "EUR", "95000", ("SAP", "92"))
    now("2026-01-15T23:00")
    story.strikes["2026-01-15"], _ = acc.strike(date(2026, 1, 15))
    now("2026-01-16T10:00")
    acc.investors.pay(story.flows["c1-out"].flow_id, reference="WIRE-1")

    fill(
        "e8",
        "2026-01-20T14:00",
        signal_id="g3",
        strategy_id="gamma",
        symbol="ES",
        side=Side.SELL,
        quantity="2",
        price="3950.00",
        commission="4.00",
        multiplier="50",
        **us,
    )
    now("2026-01-31T09:00")
    books.rate("EUR/USD", "1.25", at("2026-01-31T09:00"))
    account("2026-01-31T21:00", "IB_US", "USD", "450000", ("AAPL", "155"), ("ES", "4100"))
    account("2026-01-31T21:00", "IB_EU", "EUR", "100000", ("SAP", "90"))
    now("2026-01-31T23:00")
    story.strikes["2026-01-31"], _ = acc.strike(date(2026, 1, 31))
    now("2026-02-01T00:05")
    story.payouts["2026-01"] = acc.crystallise("2026-01")

    now("2026-02-27T09:00")
    books.rate("EUR/USD", "1.20", at("2026-02-27T09:00"))
    account("2026-02-27T21:00", "IB_US", "USD", "440000", ("AAPL", "150"), ("ES", "4000"))
    account("2026-02-27T21:00", "IB_EU", "EUR", "98000", ("SAP", "96"))
    now("2026-02-27T23:00")
    story.strikes["2026-02-27"], _ = acc.strike(date(2026, 2, 27))
    now("2026-03-01T00:05")
    story.payouts["2026-02"] = acc.crystallise("2026-02")
    acc.refresh()
    return story


def test_positions_at_the_end(story: Story) -> None:
    (fund,) = story.books.accounting.pnl("fund")
    lines = {(p.strategy_id, p.symbol): p for p in fund.positions}
    # alpha: bought 100 @ 150 and 50 @ 151, sold 120 FIFO: 30 left of the 151 lot.
    assert lines["alpha", "AAPL"].quantity == 30
    assert lines["alpha", "AAPL"].average_cost == D("151")
    # beta: long 200 @ 100 reversed by selling 300 @ 95: 100 short at 95.
    assert lines["beta", "SAP"].quantity == -100
    assert lines["beta", "SAP"].average_cost == D("95")
    # gamma: 2 @ 4000 (g1) and 1 @ 4010 (g2); sold 2 FIFO: the 4010 lot is left.
    assert lines["gamma", "ES"].quantity == 1
    assert lines["gamma", "ES"].average_cost == D("4010")


def test_realised_and_unrealised_pnl_per_strategy(story: Story) -> None:
    views = {v.name: v for v in story.books.accounting.pnl("strategy")}
    # alpha realised: 100 x (160 - 150) + 20 x (160 - 151) = 1,000 + 180 = 1,180.00;
    # commissions 1.00 + 0.50 + 1.20 = 2.70; unrealised at the 27 Feb mark 150:
    # 30 x (150 - 151) = -30.00.
    assert (views["alpha"].realized, views["alpha"].commissions) == (D("1180.00"), D("2.70"))
    assert views["alpha"].unrealized == D("-30.00")
    assert views["alpha"].net == D("1147.30")
    # beta realised: 200 x (95 - 100) = -1,000 EUR on Saturday 3 Jan, at the latest rate
    # before it (2 Jan, 1.10), frozen: -1,100.00. Commissions 2.00 + 3.00 GBP at 1.30 = 6.50.
    # Unrealised: short 100 @ 95, mark 96: -100 EUR at 27 Feb's 1.20 = -120.00.
    assert (views["beta"].realized, views["beta"].commissions) == (D("-1100.00"), D("6.50"))
    assert views["beta"].unrealized == D("-120.00")
    # gamma realised: 2 x (3950 - 4000) x 50 = -5,000.00; commissions 4 + 2 + 4 = 10.00;
    # unrealised 1 x (4000 - 4010) x 50 = -500.00.
    assert (views["gamma"].realized, views["gamma"].commissions) == (D("-5000.00"), D("10.00"))
    assert views["gamma"].unrealized == D("-500.00")
    (fund,) = story.books.accounting.pnl("fund")
    # -4,920.00 realised, -650.00 unrealised, 19.20 commissions: -5,589.20.
    assert (fund.realized, fund.unrealized, fund.commissions, fund.net) == (
        D("-4920.00"),
        D("-650.00"),
        D("19.20"),
        D("-5589.20"),
    )


def test_todays_pnl_is_realised_and_unrealised_since_the_day_began(story: Story) -> None:
    alpha = story.day_pnl_jan6["alpha"]
    # 6 Jan 00:00 baseline, AAPL marked 152 (5 Jan): 100 x 2 + 50 x 1 = 250 unrealised, less
    # 1.50 commissions: 248.50. After e3: 1,180 realised - 2.70 + 30 x (152 - 151) = 1,207.30.
    # Today: 1,207.30 - 248.50 = 958.80 (= 1,180 realised - 220 unrealised change - 1.20).
    assert alpha.pnl == D("958.80")
    assert (alpha.realized, alpha.unrealized, alpha.commissions) == (
        D("1180.00"),
        D("-220.00"),
        D("1.20"),
    )


def test_first_strike_issues_units_at_100(story: Story) -> None:
    first = story.strikes["2025-12-31"]
    # No units yet: 100.000000 per unit; 300,000 / 100 = 3,000 and 200,000 / 100 = 2,000 units.
    assert first.nav_per_unit == D("100")
    assert first.holdings == {"c1": D("3000.000000"), "c2": D("2000.000000")}
    assert first.residual == D("0.00")


def test_mid_month_strike_deals_a_deposit_and_a_withdrawal(story: Story) -> None:
    mid = story.strikes["2026-01-15"]
    # Equity 495,000 + 95,000 EUR x 1.20 = 609,000.00.
    # snd-a's C: alpha 1,180 - 2.70 + 30 x (158 - 151) + gamma 2 x (4020 - 4000) x 50 - 4.00
    #   = 3,383.30 -> accrued 20% = 676.66. snd-b's C: -1,100 - 6.50 + 300 EUR x 1.20
    #   + 1 x (4020 - 4010) x 50 - 2.00 = -248.50 -> nothing.
    # Held for c1's withdrawal: 50,000. Fund NAV = 609,000 - 676.66 - 50,000 = 558,323.34.
    assert (mid.equity, mid.fees_owed, mid.withdrawals_held) == (
        D("609000.00"),
        D("676.66"),
        D("50000"),
    )
    assert mid.fund_nav == D("558323.34")
    # Before dealing: 558,323.34 - 100,000 (c3's deposit, at the broker) + 50,000 (held for
    # the withdrawal dealt now) = 508,323.34 over 5,000 units = 101.664668.
    assert mid.nav_before_dealing == D("508323.34")
    assert mid.nav_per_unit == D("101.664668")
    # c3: 100,000 / 101.664668 = 983.625894(5...) rounded down; c1 cancels
    # 50,000 / 101.664668 = 491.812947(2...) rounded up = 491.812948 -> 2,508.187052 left.
    assert mid.holdings == {
        "c1": D("2508.187052"),
        "c2": D("2000.000000"),
        "c3": D("983.625894"),
    }
    # Values: 254,994.00 + 203,329.34 + 100,000.00 = 558,323.34 = NAV after dealing; residual 0.
    assert mid.nav_after_dealing == D("558323.34")
    assert mid.residual == D("0.00")


def test_january_crystallisation(story: Story) -> None:
    payouts = {p.sender_id: p.crystallisation for p in story.payouts["2026-01"]}
    # 31 Jan: snd-a C = 1,180 - 2.70 - 5,000 - 8.00 (g1's two commissions) + 30 x (155 - 151)
    #   = -3,710.70: no fee. snd-b C = -1,100 - 6.50 + 500 EUR x 1.25 - 2.00
    #   + 1 x (4100 - 4010) x 50 = 4,016.50: fee 20% = 803.30, payable on 1 Feb; HWM 4,016.50.
    assert payouts["snd-a"].cumulative_pnl == D("-3710.70")
    assert (payouts["snd-a"].fee, payouts["snd-a"].hwm_after) == (D("0.00"), D("0"))
    assert payouts["snd-b"].cumulative_pnl == D("4016.50")
    assert (payouts["snd-b"].fee, payouts["snd-b"].payable) == (D("803.30"), D("803.30"))
    assert payouts["snd-b"].hwm_after == D("4016.50")
    assert payouts["snd-b"].payment_date == date(2026, 2, 1)
    jan = story.strikes["2026-01-31"]
    # Equity 450,000 + 100,000 x 1.25 = 575,000; fees owed 803.30 accrued: NAV 574,196.70 over
    # 5,491.812946 units = 104.555036.
    assert (jan.equity, jan.fees_owed, jan.fund_nav) == (
        D("575000.00"),
        D("803.30"),
        D("574196.70"),
    )
    assert jan.nav_per_unit == D("104.555036")


def test_crystallisation_after_a_losing_month(story: Story) -> None:
    feb = {p.sender_id: p.crystallisation for p in story.payouts["2026-02"]}
    # 27 Feb: snd-b C = -1,100 - 6.50 - 100 EUR x 1.20 - 2.00 + 1 x (4000 - 4010) x 50
    #   = -1,728.50: below its HWM, no fee, the HWM stays 4,016.50 (losses carried, no clawback).
    assert feb["snd-b"].cumulative_pnl == D("-1728.50")
    assert (feb["snd-b"].fee, feb["snd-b"].payable) == (D("0.00"), D("0.00"))
    assert feb["snd-b"].hwm_after == D("4016.50")
    assert feb["snd-a"].cumulative_pnl == D("-3860.70")
    last = story.strikes["2026-02-27"]
    # Equity 440,000 + 98,000 x 1.20 = 557,600; still owed to snd-b 803.30 (unpaid):
    # NAV 556,796.70 / 5,491.812946 = 101.386683.
    assert (last.equity, last.fees_owed, last.fund_nav) == (
        D("557600.00"),
        D("803.30"),
        D("556796.70"),
    )
    assert last.nav_per_unit == D("101.386683")


def test_sender_views(story: Story) -> None:
    b = story.books.accounting.sender_view("snd-b")
    assert (b.cumulative_pnl, b.hwm, b.accrued, b.due, b.paid) == (
        D("-1728.50"),
        D("4016.50"),
        D("0.00"),
        D("803.30"),
        D("0"),
    )
    assert b.next_payment_date == date(2026, 2, 1)
    a = story.books.accounting.sender_view("snd-a")
    # snd-a's lots: realised 1,180 (alpha) - 5,000 (gamma g1) = -3,820.00; commissions
    # 2.70 + 8.00 = 10.70; unrealised -30.00 (alpha's 30 @ 151 at 150): -3,860.70.
    assert (a.realized, a.commissions, a.unrealized, a.cumulative_pnl) == (
        D("-3820.00"),
        D("10.70"),
        D("-30.00"),
        D("-3860.70"),
    )


def test_client_values_and_returns(story: Story) -> None:
    acc = story.books.accounting
    views = {c: acc.client_view(c) for c in ("c1", "c2", "c3")}
    # At 101.386683: c1 2,508.187052 units = 254,296.77; c2 2,000 = 202,773.37;
    # c3 983.625894 = 99,726.57. Sum 556,796.71: one cent more than the NAV, the residual -0.01.
    assert {c: v.value for c, v in views.items()} == {
        "c1": D("254296.77"),
        "c2": D("202773.37"),
        "c3": D("99726.57"),
    }
    assert story.strikes["2026-02-27"].residual == D("-0.01")
    # c1 put in 300,000 and took out 50,000: 250,000 net, profit 4,296.77.
    assert (views["c1"].net_contributions, views["c1"].profit) == (D("250000.00"), D("4296.77"))
    # c3 put in 100,000 at 101.664668 and is worth 99,726.57: -273.43.
    assert views["c3"].profit == D("-273.43")
    assert views["c1"].returns.since_inception == D("0.01386683")  # The fund's, in the view.
    returns = acc.returns()
    months = {m.month: m.value for m in returns.months}
    # December: the inception month, at 100. January 104.555036 / 100 - 1 = +4.555036 %;
    # February 101.386683 / 104.555036 - 1 = -3.030321 %; 2026 so far 101.386683 / 100 - 1.
    assert months["2026-01"] == D("0.04555036")
    assert abs(months["2026-02"] - D("-0.0303032080")) < D("1e-10")
    years = {y.year: y.value for y in returns.years}
    assert years[2026] == D("0.01386683")
    assert returns.since_inception == D("0.01386683")
    # The drawdown: from 104.555036 down to 101.386683 (the lowest after the peak).
    assert abs(returns.max_drawdown - (D("101.386683") / D("104.555036") - 1)) < D("1e-12")
