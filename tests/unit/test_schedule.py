"""The nightly schedule's time: its next run across daylight-saving days, what is due, bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mats.domain.schedule import (
    ScheduleState,
    daily_time,
    daily_time_from_cron,
    due_run,
    request_id_of,
    schedule_of,
    slot_request_id,
)
from mats.errors import ValidationError


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_next_run_is_today_before_the_time_and_tomorrow_from_it() -> None:
    nightly = daily_time("22:00", "UTC")

    assert nightly.next_after(utc("2026-03-02T21:59")) == utc("2026-03-02T22:00")
    assert nightly.next_after(utc("2026-03-02T22:00")) == utc("2026-03-03T22:00")


def test_a_local_time_keeps_its_wall_clock_across_spring_forward() -> None:
    london = daily_time("22:00", "Europe/London")  # BST from 2026-03-29 01:00 UTC.

    assert london.next_after(utc("2026-03-28T12:00")) == utc("2026-03-28T22:00")  # GMT
    assert london.next_after(utc("2026-03-28T22:00")) == utc("2026-03-29T21:00")  # BST


def test_a_local_time_keeps_its_wall_clock_across_fall_back() -> None:
    new_york = daily_time("09:30", "America/New_York")  # EST from 2026-11-01 06:00 UTC.

    assert new_york.next_after(utc("2026-10-31T14:00")) == utc("2026-11-01T14:30")
    assert new_york.next_after(utc("2026-10-31T12:00")) == utc("2026-10-31T13:30")


def test_a_time_the_clocks_skip_runs_once_an_hour_later_on_the_wall_clock() -> None:
    new_york = daily_time("02:30", "America/New_York")  # 02:00 -> 03:00 on 2026-03-08.

    first = new_york.next_after(utc("2026-03-07T12:00"))

    assert first == utc("2026-03-08T07:30")  # 03:30 EDT, as 02:30 EST would have been.
    assert new_york.next_after(first) == utc("2026-03-09T06:30")  # 02:30 EDT.


def test_a_time_the_clocks_pass_twice_runs_at_the_first_pass_only() -> None:
    new_york = daily_time("01:30", "America/New_York")  # 02:00 EDT -> 01:00 EST on 2026-11-01.

    first = new_york.next_after(utc("2026-10-31T12:00"))

    assert first == utc("2026-11-01T05:30")  # 01:30 EDT
    assert new_york.next_after(first) == utc("2026-11-02T06:30")  # not 06:30 on the 1st


def test_a_paused_schedule_has_no_next_run() -> None:
    nightly = daily_time("22:00", "UTC")
    now = utc("2026-03-02T12:00")

    paused = schedule_of(nightly, ScheduleState.PAUSED, None, "local", now)
    enabled = schedule_of(nightly, ScheduleState.ENABLED, None, "local", now)

    assert paused.next_run_at is None
    assert enabled.next_run_at == utc("2026-03-02T22:00")


def test_a_run_is_due_once_its_time_passes_after_the_schedule_was_armed() -> None:
    nightly = daily_time("22:00", "UTC")
    armed = utc("2026-03-02T10:00")

    def due(now: str, last: datetime | None = None) -> datetime | None:
        return due_run(nightly, ScheduleState.ENABLED, armed_at=armed, last_slot=last, now=utc(now))

    assert due("2026-03-02T21:59") is None
    assert due("2026-03-02T22:00") == utc("2026-03-02T22:00")
    assert due("2026-03-02T22:05", last=utc("2026-03-02T22:00")) is None
    # Down for three nights: only the latest is made.
    assert due("2026-03-05T23:00", last=utc("2026-03-02T22:00")) == utc("2026-03-05T22:00")


def test_nothing_is_due_while_paused_nor_for_a_time_before_the_schedule_was_set() -> None:
    nightly = daily_time("09:00", "UTC")
    now = utc("2026-03-02T10:00")

    assert (
        due_run(nightly, ScheduleState.PAUSED, armed_at=utc("2026-03-01"), last_slot=None, now=now)
        is None
    )
    assert (
        due_run(
            nightly,
            ScheduleState.ENABLED,
            armed_at=utc("2026-03-02T09:30"),
            last_slot=None,
            now=now,
        )
        is None
    )


def test_a_cron_schedule_round_trips_to_the_daily_time() -> None:
    nightly = daily_time("07:05", "Europe/Berlin")

    assert nightly.cron == "5 7 * * *"
    assert daily_time_from_cron(nightly.cron, "Europe/Berlin") == nightly
    assert daily_time_from_cron("0 22 * * *", "utc") == daily_time("22:00", "UTC")


@pytest.mark.parametrize("at", ["24:00", "7:30", "07:60", "0730", "07:30:00", "", None, 730])
def test_a_bad_time_names_the_time_field(at: object) -> None:
    with pytest.raises(ValidationError) as refused:
        daily_time(at, "UTC")

    assert refused.value.field == "time"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "utc", "localtime", "../etc/passwd", "", None])
def test_an_unknown_zone_names_the_time_zone_field(zone: object) -> None:
    with pytest.raises(ValidationError) as refused:
        daily_time("22:00", zone)

    assert refused.value.field == "time_zone"


def test_a_schedule_that_is_not_daily_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a daily time"):
        daily_time_from_cron("0 */6 * * *", "UTC")


def test_request_ids_are_checked_and_a_slot_has_one_id() -> None:
    assert request_id_of("run-1") == "run-1"
    with pytest.raises(ValidationError) as refused:
        request_id_of("a b")
    assert refused.value.field == "request_id"
    assert slot_request_id(utc("2026-03-02T22:00")) == "NIGHTLY_20260302_2200"
