"""Reconciliation: the broker wins; residuals go to Discretionary; missing data is never flat."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from mats.domain.market import AssetClass, Instrument
from mats.domain.reconciliation import DISCRETIONARY, venue_symbol
from mats.domain.venues import VenueAccount, VenuePosition, VenueStatus
from mats.errors import TemporaryError
from mats.services.reconciliation import ReconciliationService
from tests.builders import a_position, an_instrument
from tests.fakes import (
    FakeClock,
    InMemoryAlertStore,
    InMemoryExecutionStore,
    RecordingNotifier,
    alert_service,
)

NOW = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


class Venue:
    native_brackets = True

    def __init__(self, positions: dict[str, str]) -> None:
        self.positions = positions
        self.connected = True
        self.failing = False

    def account(self, account: str) -> VenueAccount:
        if self.failing:
            raise TemporaryError("IB has not answered")
        return VenueAccount(
            account=account,
            currency="USD",
            equity=Decimal(1),
            cash=Decimal(1),
            margin_used=Decimal(0),
            as_of=NOW,
            positions=tuple(
                VenuePosition(account, symbol, Decimal(quantity), Decimal(100))
                for symbol, quantity in self.positions.items()
            ),
        )

    def status(self) -> VenueStatus:
        return VenueStatus(self.connected, self.connected, None if self.connected else "down")


class Market:
    def __init__(self, instruments: Sequence[Instrument]) -> None:
        self.instruments = list(instruments)

    def list_instruments(self) -> Sequence[Instrument]:
        return self.instruments


def a_service(
    venue: Venue, ledger: InMemoryExecutionStore, tolerance: str = "0"
) -> tuple[ReconciliationService, InMemoryAlertStore, RecordingNotifier]:
    raising, alerts, notifier = alert_service(FakeClock(NOW))
    es = an_instrument("ES1!", asset_class=AssetClass.FUTURE, multiplier=Decimal(50))
    service = ReconciliationService(
        venues={"IB": venue},  # type: ignore[dict-item]
        accounts={"IBKR_Main": "IB"},
        positions=ledger,
        market=Market([an_instrument("AAPL"), es]),  # type: ignore[arg-type]
        alerts=raising,
        clock=FakeClock(NOW),
        tolerance=Decimal(tolerance),
    )
    return service, alerts, notifier


def ledger_with(*positions: tuple[str, str, str, str]) -> InMemoryExecutionStore:
    ledger = InMemoryExecutionStore()
    for strategy_id, symbol, quantity, source in positions:
        ledger.put_position(
            a_position(
                quantity, account="IBKR_Main", strategy_id=strategy_id, symbol=symbol, source=source
            )
        )
    return ledger


def discretionary(ledger: InMemoryExecutionStore, symbol: str) -> Decimal | None:
    found = ledger.position("IBKR_Main", DISCRETIONARY, symbol)
    return found.quantity if found else None


def test_what_no_strategy_explains_is_booked_to_discretionary_and_alerts() -> None:
    ledger = ledger_with(("trend", "AAPL", "100", "fills"), ("meanrev", "AAPL", "-30", "fills"))
    service, alerts, notifier = a_service(Venue({"AAPL": "90"}), ledger)

    (report,) = service.reconcile()

    assert report.status == "RECONCILED"
    (line,) = report.lines
    assert (line.venue_quantity, line.strategies_quantity, line.residual) == (90, 70, 20)
    assert discretionary(ledger, "AAPL") == Decimal(20)
    assert [a.kind for a in notifier.sent] == ["POSITION_RESIDUAL"]
    assert "20 booked to Discretionary" in next(iter(alerts.alerts.values())).message


def test_a_residual_already_booked_is_not_booked_or_alerted_again() -> None:
    ledger = ledger_with(("trend", "AAPL", "100", "fills"))
    service, _, notifier = a_service(Venue({"AAPL": "120"}), ledger)

    service.reconcile()
    (report,) = service.reconcile()

    assert report.booked == ()
    assert len(notifier.sent) == 1


def test_a_continuous_future_matches_its_front_month_by_root() -> None:
    ledger = ledger_with(("trend", "ES1!", "2", "fills"))
    service, _, notifier = a_service(Venue({"ES": "2"}), ledger)

    (report,) = service.reconcile()

    assert [(line.symbol, line.residual) for line in report.lines] == [("ES1!", 0)]
    assert notifier.sent == []


def test_paper_positions_never_reach_the_broker_and_are_left_out() -> None:
    ledger = ledger_with(("paper-strategy", "AAPL", "500", "paper"))
    service, _, _ = a_service(Venue({}), ledger)

    (report,) = service.reconcile()

    assert report.lines == ()
    assert discretionary(ledger, "AAPL") is None


def test_a_position_closed_at_the_venue_zeroes_discretionary() -> None:
    ledger = ledger_with(("trend", "AAPL", "10", "fills"), (DISCRETIONARY, "AAPL", "5", "manual"))
    service, _, _ = a_service(Venue({"AAPL": "10"}), ledger)

    service.reconcile()

    assert discretionary(ledger, "AAPL") == 0


def test_within_tolerance_a_residual_is_booked_without_an_alert() -> None:
    ledger = ledger_with(("trend", "AAPL", "10", "fills"))
    service, _, notifier = a_service(Venue({"AAPL": "11"}), ledger, tolerance="1")

    service.reconcile()

    assert discretionary(ledger, "AAPL") == 1
    assert notifier.sent == []


def test_missing_venue_data_never_means_flat() -> None:
    ledger = ledger_with(("trend", "AAPL", "10", "fills"))
    venue = Venue({})
    service, _, notifier = a_service(venue, ledger)

    venue.connected = False
    (down,) = service.reconcile()
    venue.connected, venue.failing = True, True
    (silent,) = service.reconcile()

    assert (down.status, silent.status) == ("UNAVAILABLE", "UNAVAILABLE")
    assert "IB has not answered" in (silent.reason or "")
    assert discretionary(ledger, "AAPL") is None
    assert notifier.sent == []


def test_venue_symbols() -> None:
    assert venue_symbol("ES1!", None) == "ES"
    assert venue_symbol("MNQ2!", None) == "MNQ"
    assert venue_symbol("AAPL", None) == "AAPL"
    assert venue_symbol("BTC/USDT", None) == "BTCUSDT"
    assert venue_symbol("XAU", an_instrument("XAU", broker_symbol="GC1!")) == "GC"
