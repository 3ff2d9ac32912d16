"""The daily loss: the accounting's realised + unrealised P&L since the trading day began, else
the ledger's realised P&L today, with the source in the decision."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from mats.domain.accounting.daily import StrategyDayPnl
from mats.domain.cerebro.brain import decide
from mats.domain.cerebro.decisions import CerebroSettings, Decision, Reason
from mats.domain.risk import RiskState
from mats.domain.strategies import RiskLimits
from tests.builders import NOW, a_signal, a_strategy, decision_inputs

SETTINGS = CerebroSettings()
LIMITED = a_strategy("momentum", risk_limits=RiskLimits(max_daily_loss=Decimal(5000)))
TODAY = datetime(2026, 11, 20, tzinfo=UTC)


def a_day_pnl(pnl: str, **overrides: Any) -> StrategyDayPnl:
    """The accounting's figure for today: ``pnl`` made of a realised 1,000 loss and the rest."""
    fields: dict[str, Any] = {
        "strategy_id": "momentum",
        "trading_day": TODAY.date(),
        "day_start": TODAY,
        "pnl": Decimal(pnl),
        "realized": Decimal(-1000),
        "unrealized": Decimal(pnl) + 1000,
        "commissions": Decimal(0),
        "as_of": NOW - timedelta(seconds=30),
    }
    fields.update(overrides)
    return StrategyDayPnl(**fields)


def run(settings: CerebroSettings = SETTINGS, **inputs: Any) -> Decision:
    inputs.setdefault("strategy", LIMITED)
    return decide(a_signal(), decision_inputs(**inputs), settings, NOW)


def loss_check(decision: Decision) -> Any:
    return next(c for c in decision.checks if c.name == "max_daily_loss")


def test_an_unrealised_loss_today_past_the_limit_turns_the_strategy_reducing() -> None:
    decision = run(day_pnl=a_day_pnl("-6000"))

    assert Reason.DAILY_LOSS_LIMIT in decision.reasons
    assert Reason.REDUCING_ONLY in decision.reasons
    assert decision.risk_change is not None
    assert decision.risk_change.state is RiskState.REDUCING
    check = loss_check(decision)
    assert (check.value, check.threshold, check.passed) == ("6000", "5000", False)
    assert check.note == "USD, realised + unrealised since 2026-11-20 00:00 UTC"


def test_the_source_and_age_of_the_daily_pnl_are_in_the_decision() -> None:
    accounting = run(day_pnl=a_day_pnl("-100"))
    ledger = run(strategy_pnl_today=Decimal(-100))

    used = accounting.input("daily_pnl")
    assert used is not None
    assert used.value == Decimal(-100)
    assert used.source == (
        "strategy_day_pnl/momentum (realised + unrealised since 2026-11-20 00:00 UTC, "
        "net of commissions)"
    )
    assert used.age_seconds == 30
    fallback = ledger.input("daily_pnl")
    assert fallback is not None
    assert fallback.value == Decimal(-100)
    assert fallback.source == "realised today, positions ledger (no strategy_day_pnl)"


def test_the_accountings_figure_wins_over_the_ledgers_realised_pnl() -> None:
    # The ledger realised 6,000 of loss, but open positions have made it back since.
    decision = run(day_pnl=a_day_pnl("250"), strategy_pnl_today=Decimal(-6000))

    assert Reason.DAILY_LOSS_LIMIT not in decision.reasons
    assert loss_check(decision).value == "-250"
    assert decision.orders


def test_yesterdays_figure_is_not_used_the_ledger_is() -> None:
    yesterday = a_day_pnl(
        "-9000",
        trading_day=(TODAY - timedelta(days=1)).date(),
        day_start=TODAY - timedelta(days=1),
    )

    decision = run(day_pnl=yesterday, strategy_pnl_today=Decimal(-6000))

    assert Reason.DAILY_LOSS_LIMIT in decision.reasons
    assert loss_check(decision).value == "6000"
    source = decision.input("daily_pnl")
    assert source is not None
    assert source.source == (
        "realised today, positions ledger (strategy_day_pnl is for the day from "
        "2026-11-19 00:00 UTC)"
    )


def test_the_trading_day_starts_when_the_setting_says() -> None:
    evening_start = dataclasses.replace(SETTINGS, trading_day_start=time(22, 0))
    since_last_evening = a_day_pnl("-6000", day_start=TODAY - timedelta(hours=2))

    current = run(settings=evening_start, day_pnl=since_last_evening)
    midnight_setting = run(day_pnl=since_last_evening)

    assert Reason.DAILY_LOSS_LIMIT in current.reasons
    assert loss_check(current).note == "USD, realised + unrealised since 2026-11-19 22:00 UTC"
    # At 00:00 the figure belongs to another trading day: the ledger (flat today) is used.
    assert Reason.DAILY_LOSS_LIMIT not in midnight_setting.reasons


def test_a_figure_missing_an_fx_rate_holds_entries_back() -> None:
    decision = run(day_pnl=a_day_pnl("-10", flags=("FX_MISSING",)))

    assert Reason.FX_RATE_MISSING in decision.reasons
    assert Reason.REDUCING_ONLY in decision.reasons
    assert decision.orders == ()
    flags = next(s.detail for s in decision.steps if s.name == "daily_pnl_flags")
    assert flags == "the accounting flags: FX_MISSING"


def test_an_unpriced_position_is_flagged_but_the_figure_is_used() -> None:
    decision = run(day_pnl=a_day_pnl("-10", flags=("UNPRICED",)))

    assert decision.reasons == ()
    assert any(s.name == "daily_pnl_flags" for s in decision.steps)


def test_without_a_daily_loss_limit_no_daily_pnl_is_read() -> None:
    decision = run(strategy=a_strategy("momentum", risk_limits=RiskLimits()))

    assert decision.input("daily_pnl") is None
