"""When the local stack's scheduler makes each of Cloud Scheduler's calls."""

from __future__ import annotations

from datetime import UTC, datetime, time

from mats.localstack.chores import daily, hourly, monthly


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_daily_runs_at_the_time_today_or_tomorrow() -> None:
    strike = daily(time(22, 0))
    assert strike(at("2026-03-02T21:59")) == at("2026-03-02T22:00")
    assert strike(at("2026-03-02T22:00")) == at("2026-03-03T22:00")


def test_hourly_runs_on_the_next_hour() -> None:
    assert hourly(at("2026-03-02T21:59:59")) == at("2026-03-02T22:00")
    assert hourly(at("2026-03-02T22:00")) == at("2026-03-02T23:00")


def test_month_end_runs_just_after_midnight_on_the_first() -> None:
    assert monthly(at("2026-03-01T00:00")) == at("2026-03-01T00:05")
    assert monthly(at("2026-03-01T00:05")) == at("2026-04-01T00:05")
    assert monthly(at("2026-12-15T10:00")) == at("2027-01-01T00:05")
