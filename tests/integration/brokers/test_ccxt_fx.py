"""FX rates from an exchange's tickers (``MATS_CCXT_FX_PAIRS``), through ccxt's HTTP session:
the broker prices its pairs and the bridge keeps them as dated rates."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from tests.fakes import FakeClock, FakePublisher, InMemoryExecutionStore, alert_service
from tests.integration.brokers.ccxt_binance import (
    NOW,
    BinanceRecording,
    a_binance_broker,
    recorded,
)

from mats.adapters.brokers.ccxt import CcxtBroker
from mats.domain.market import FxRate
from mats.services.bridge import assemble_bridge
from mats.services.execution.router import VenueRouter

EXCHANGE_INFO = "/api/v3/exchangeInfo"
TICKERS = "/api/v3/ticker/24hr"


def with_fx_markets() -> BinanceRecording:
    """binance with its EURUSDT and USDCUSDT spot markets listed too."""
    venue = BinanceRecording()
    info = recorded("exchange_info")
    info["symbols"] += recorded("fx.exchange_info_symbols")
    venue.forget("GET", EXCHANGE_INFO)
    venue.answer("GET", EXCHANGE_INFO, info)
    return venue


def an_fx_broker(*pairs: str, venue: BinanceRecording | None = None) -> tuple[Any, ...]:
    return a_binance_broker(venue or with_fx_markets(), fx_pairs=pairs, name="BINANCE")


def test_pairs_are_priced_at_the_mid_of_one_tickers_request() -> None:
    broker, venue, _ = an_fx_broker("EUR/USDT", "USDC/USDT")
    venue.answer("GET", TICKERS, recorded("fx.tickers"))

    rates = broker.fx_rates()

    assert rates == [
        FxRate("EUR", "USDT", Decimal("1.0844"), NOW, source="ccxt:BINANCE"),  # (1.0843+1.0845)/2
        FxRate("USDC", "USDT", Decimal("0.99985"), NOW, source="ccxt:BINANCE"),
    ]
    (request,) = venue.to("GET", TICKERS)
    assert request.params["symbols"] == '["EURUSDT","USDCUSDT"]'
    assert "X-MBX-APIKEY" not in request.headers  # public market data: no key sent


def test_a_one_sided_or_crossed_ticker_gives_its_last_price() -> None:
    broker, venue, _ = an_fx_broker("EUR/USDT", "USDC/USDT")
    eur, usdc = recorded("fx.tickers")
    eur.update(bidPrice="0.00000000", bidQty="0.00000000")
    usdc.update(bidPrice="1.00020000", askPrice="0.99980000")
    venue.answer("GET", TICKERS, [eur, usdc])

    assert broker.fx_rates() == [
        FxRate("EUR", "USDT", Decimal("1.0844"), NOW, source="ccxt:BINANCE"),
        FxRate("USDC", "USDT", Decimal("0.9999"), NOW, source="ccxt:BINANCE"),
    ]


def test_a_pair_the_exchange_has_no_market_for_is_left_out_and_asks_nothing() -> None:
    broker, venue, _ = an_fx_broker("USDT/USD")  # binance.com lists no USDT/USD market

    assert broker.fx_rates() == []
    assert broker.fx_rates() == []
    assert venue.to("GET", TICKERS) == []


def test_a_broker_without_fx_pairs_is_no_fx_feed_at_all() -> None:
    broker, venue, _ = a_binance_broker()

    assert broker.fx_rates() == []
    assert venue.sent == []


class Market:
    def __init__(self) -> None:
        self.fx: list[FxRate] = []

    def list_instruments(self) -> list[object]:
        return []

    def put_fx_rate(self, rate: FxRate) -> None:
        self.fx.append(rate)


def test_the_bridge_keeps_the_exchanges_rates_on_its_fx_cycle_when_they_move() -> None:
    broker, venue, clock = an_fx_broker("EUR/USDT")
    market = Market()
    bridge = a_bridge(broker, market, clock)
    eur = recorded("fx.tickers")[0]
    venue.answer("GET", TICKERS, [eur])

    first = bridge.refresh_fx()
    later = NOW + timedelta(seconds=5)
    eur.update(closeTime=int(later.timestamp() * 1000), bidPrice="1.08440000")  # +0.5 bp
    venue.forget("GET", TICKERS)
    venue.answer("GET", TICKERS, [eur])
    unmoved = bridge.refresh_fx()
    moved = dict(eur, closeTime=int((later + timedelta(seconds=5)).timestamp() * 1000))
    moved.update(bidPrice="1.09000000", askPrice="1.09020000")
    venue.forget("GET", TICKERS)
    venue.answer("GET", TICKERS, [moved])
    changed = bridge.refresh_fx()

    assert (first, unmoved, changed) == (1, 0, 1)
    assert [(r.pair, r.rate, r.as_of, r.source) for r in market.fx] == [
        ("EURUSDT", Decimal("1.0844"), NOW, "ccxt:BINANCE"),
        ("EURUSDT", Decimal("1.0901"), later + timedelta(seconds=5), "ccxt:BINANCE"),
    ]
    assert len(venue.to("GET", TICKERS)) == 3


def a_bridge(broker: CcxtBroker, market: Market, clock: FakeClock) -> Any:
    store = InMemoryExecutionStore()
    alerts, _, _ = alert_service(clock)
    return assemble_bridge(
        store=store,
        router=VenueRouter(broker, {"BINANCE": broker}, {"Binance_Main": "BINANCE"}),
        publisher=FakePublisher(),
        alerts=alerts,
        accounts=store,  # type: ignore[arg-type]
        positions=store,
        market=market,  # type: ignore[arg-type]
        clock=clock,
        feeds={"BINANCE": broker},
        fx_feeds={"BINANCE": broker},
    )
