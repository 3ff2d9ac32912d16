"""The bridge keeps the FX rates its venues report: IB's ExchangeRate account values and the
exchanges' tickers, stored when new, moved or an hour old."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from mats.domain.market import FxRate
from mats.domain.venues import VenueRate, VenueStatus
from mats.services.execution.fx import FxRecorder
from tests.unit.services.execution_world import NOW, NoInstruments, a_world


def a_rate(rate: str, *, minutes: float = 0, pair: tuple[str, str] = ("EUR", "USD")) -> FxRate:
    return FxRate(pair[0], pair[1], Decimal(rate), NOW + timedelta(minutes=minutes), "test")


def kept(market: NoInstruments) -> list[tuple[str, Decimal, float]]:
    return [(r.pair, r.rate, (r.as_of - NOW).total_seconds() / 60) for r in market.fx]


def test_a_rate_is_stored_when_first_seen_moved_by_five_basis_points_or_an_hour_old() -> None:
    market = NoInstruments()
    recorder = FxRecorder(market)  # type: ignore[arg-type]

    stored = [
        recorder.record(a_rate("1.0800")),  # first sighting of EURUSD
        recorder.record(a_rate("1.0800", minutes=1)),  # unchanged
        recorder.record(a_rate("1.08053", minutes=2)),  # 0.049 %: not yet
        recorder.record(a_rate("1.08054", minutes=3)),  # 0.05 % from 1.0800
        recorder.record(a_rate("1.0780", minutes=4)),  # -0.23 %
        recorder.record(a_rate("1.0780", minutes=63)),  # 59 minutes after the last stored
        recorder.record(a_rate("1.0780", minutes=64)),  # an hour after it
        recorder.record(a_rate("1.2700", minutes=64, pair=("GBP", "USD"))),  # another pair
    ]

    assert stored == [True, False, False, True, True, False, True, True]
    assert kept(market) == [
        ("EURUSD", Decimal("1.0800"), 0),
        ("EURUSD", Decimal("1.08054"), 3),
        ("EURUSD", Decimal("1.0780"), 4),
        ("EURUSD", Decimal("1.0780"), 64),
        ("GBPUSD", Decimal("1.2700"), 64),
    ]


def test_a_rate_not_newer_than_the_one_stored_or_not_positive_is_not_stored() -> None:
    market = NoInstruments()
    recorder = FxRecorder(market)  # type: ignore[arg-type]
    recorder.record(a_rate("1.08", minutes=10))

    assert not recorder.record(a_rate("1.20", minutes=5))  # older, however different
    assert not recorder.record(a_rate("1.20", minutes=10))  # the same moment
    assert not recorder.record(a_rate("0", minutes=120))
    assert not recorder.record(a_rate("-1.08", minutes=120))
    assert not FxRecorder(market).record(a_rate("NaN"))  # type: ignore[arg-type]
    assert kept(market) == [("EURUSD", Decimal("1.08"), 10)]


def test_an_account_update_stores_the_rates_it_reports_in_the_account_currency() -> None:
    world = a_world()
    world.venue.fx_rates = (
        VenueRate("EUR", Decimal("1.08")),
        VenueRate("GBP", Decimal("1.27")),
        VenueRate("USD", Decimal("1.00")),  # the account's own currency
    )

    world.accounts_out.publish()

    assert world.market.fx == [
        FxRate("EUR", "USD", Decimal("1.08"), NOW, source="ib:IBKR_Main"),
        FxRate("GBP", "USD", Decimal("1.27"), NOW, source="ib:IBKR_Main"),
    ]


def test_account_updates_every_30_s_store_a_steady_rate_once_an_hour() -> None:
    world = a_world()
    world.venue.fx_rates = (VenueRate("EUR", Decimal("1.08")),)

    for _ in range(121):  # an hour at 30 s, both ends included
        world.accounts_out.publish()
        world.clock.advance(30)
    world.venue.fx_rates = (VenueRate("EUR", Decimal("1.09")),)
    world.accounts_out.publish()

    assert [(r.rate, r.as_of - NOW) for r in world.market.fx] == [
        (Decimal("1.08"), timedelta(0)),
        (Decimal("1.08"), timedelta(hours=1)),
        (Decimal("1.09"), timedelta(hours=1, seconds=30)),
    ]


def test_a_rate_the_store_refuses_does_not_stop_the_account_update() -> None:
    world = a_world()
    world.venue.fx_rates = (VenueRate("EUR", Decimal("1.08")),)
    world.market.failing = True

    (state,) = world.accounts_out.publish()

    assert state.account == "IBKR_Main"
    assert world.accounts.accounts["IBKR_Main"].equity == Decimal(100_000)
    assert len(world.publisher.messages) == 1
    world.market.failing = False
    world.accounts_out.publish()  # the next update stores it
    assert [r.pair for r in world.market.fx] == ["EURUSD"]


class FakeFxFeed:
    def __init__(self, *rates: FxRate) -> None:
        self.rates = list(rates)
        self.asked = 0

    def fx_rates(self) -> list[FxRate]:
        self.asked += 1
        return self.rates


def test_the_fx_job_keeps_each_connected_feeds_rates_when_due() -> None:
    usdt = FxRate("USDT", "USD", Decimal("0.9998"), NOW, source="ccxt:IB")
    feed = FakeFxFeed(usdt)
    world = a_world(fx_feeds={"IB": feed})

    assert world.bridge.refresh_fx() == 1
    assert world.bridge.refresh_fx() == 0  # the same ticker again
    world.venue.status_now = VenueStatus(False, False, "down")
    assert world.bridge.refresh_fx() == 0
    assert feed.asked == 2  # a disconnected venue is not asked

    assert world.market.fx == [usdt]
    assert "fx" in world.bridge.status()["jobs"]


def test_rates_from_accounts_and_feeds_share_the_pairs_last_stored_rate() -> None:
    feed = FakeFxFeed(FxRate("EUR", "USD", Decimal("1.0801"), NOW, source="ccxt:IB"))
    world = a_world(fx_feeds={"IB": feed})
    world.venue.fx_rates = (VenueRate("EUR", Decimal("1.08")),)

    world.accounts_out.publish()
    world.clock.advance(5)
    feed.rates = [FxRate("EUR", "USD", Decimal("1.0801"), world.clock.now(), source="ccxt:IB")]
    world.bridge.refresh_fx()

    assert [r.source for r in world.market.fx] == ["ib:IBKR_Main"]  # 0.01 % off: not due
