"""The nightly optimisation's schedule: a time of day in a time zone, enabled or paused, its last
run and the next one, and the requests that run it.

The time is a wall-clock time in an IANA time zone, once every local day. On a day whose clocks
jump over it (spring forward) it runs as if they had not moved yet, an hour later on the wall
clock; on a day that passes it twice (fall back) it runs at the first pass only — so never twice
and never not at all in one local day. UTC has neither day.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from enum import StrEnum
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from mats.errors import ValidationError

_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
_DAILY_CRON = re.compile(r"^([0-9]{1,2}) ([0-9]{1,2}) \* \* \*$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
# Files of the tz database directory that are not zones a schedule may name.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


class ScheduleState(StrEnum):
    ENABLED = "ENABLED"
    PAUSED = "PAUSED"


@dataclass(frozen=True)
class DailyTime:
    """``at`` (``HH:MM``) every local day in ``time_zone``; build it with :func:`daily_time`."""

    at: str
    time_zone: str

    @property
    def cron(self) -> str:
        """The unix-cron schedule Cloud Scheduler takes: ``MM HH * * *``."""
        hours, minutes = self.at.split(":")
        return f"{int(minutes)} {int(hours)} * * *"

    def on(self, day: date) -> datetime:
        """The run of local ``day``, in UTC (``fold=0``: the first pass of a repeated time, and
        the offset before the jump for a skipped one)."""
        local = datetime.combine(day, clock_time.fromisoformat(self.at), tzinfo=_zone(self))
        return local.astimezone(UTC)

    def next_after(self, moment: datetime) -> datetime:
        """The first run strictly after ``moment``."""
        today = moment.astimezone(_zone(self)).date()
        for offset in range(-1, 3):
            run = self.on(today + timedelta(days=offset))
            if run > moment:
                return run
        raise AssertionError("a daily time runs within three days")  # pragma: no cover

    def latest_until(self, moment: datetime) -> datetime:
        """The last run at or before ``moment``."""
        today = moment.astimezone(_zone(self)).date()
        for offset in range(1, -3, -1):
            run = self.on(today + timedelta(days=offset))
            if run <= moment:
                return run
        raise AssertionError("a daily time ran within three days")  # pragma: no cover


def daily_time(at: Any, time_zone: Any) -> DailyTime:
    """Parse ``HH:MM`` and an IANA time zone name; the ``ValidationError`` names ``time`` or
    ``time_zone``."""
    if not isinstance(at, str) or _TIME.match(at) is None:
        raise ValidationError("time", f"must be HH:MM, 00:00 to 23:59; got {at!r}")
    if not isinstance(time_zone, str) or time_zone not in _zone_names():
        raise ValidationError(
            "time_zone",
            f"must be an IANA time zone such as UTC or Europe/London; got {time_zone!r}",
        )
    return DailyTime(at, time_zone)


def daily_time_from_cron(cron: str, time_zone: str) -> DailyTime:
    """The daily time of a ``MM HH * * *`` schedule (Cloud Scheduler says ``utc`` for UTC)."""
    found = _DAILY_CRON.match(cron.strip())
    zone = "UTC" if time_zone in ("", "utc", "Etc/UTC") else time_zone
    if found is None:
        raise ValidationError("schedule", f"is not a daily time (MM HH * * *): {cron!r}")
    minutes, hours = int(found.group(1)), int(found.group(2))
    return daily_time(f"{hours:02d}:{minutes:02d}", zone)


def _zone(daily: DailyTime) -> ZoneInfo:
    return ZoneInfo(daily.time_zone)


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


@dataclass(frozen=True)
class LastRun:
    """The last run the schedule made: when it started and how it ended."""

    at: datetime
    outcome: str  # The run's status (COMPLETED, FAILED), or what the target answered.
    run_id: str | None = None
    request_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Schedule:
    """The schedule as shown: ``next_run_at`` is ``None`` while it is paused."""

    time: str
    time_zone: str
    state: ScheduleState
    next_run_at: datetime | None
    last_run: LastRun | None
    job: str  # What runs it: the Cloud Scheduler job's name, or the local stack's runner.


def schedule_of(
    daily: DailyTime, state: ScheduleState, last_run: LastRun | None, job: str, now: datetime
) -> Schedule:
    """The schedule as of ``now``, its next run computed from its time and zone."""
    following = daily.next_after(now) if state is ScheduleState.ENABLED else None
    return Schedule(daily.at, daily.time_zone, state, following, last_run, job)


def due_run(
    daily: DailyTime,
    state: ScheduleState,
    *,
    armed_at: datetime,
    last_slot: datetime | None,
    now: datetime,
) -> datetime | None:
    """The scheduled run to make now, if any: the latest run time at or before ``now`` that
    came after the schedule was last set or resumed (``armed_at``) and after the last run time
    already taken (``last_slot``). A paused schedule has none; one down for several nights
    makes only the latest of them."""
    if state is not ScheduleState.ENABLED:
        return None
    latest = daily.latest_until(now)
    floor = max(armed_at, last_slot) if last_slot is not None else armed_at
    return latest if latest > floor else None


class RequestStatus(StrEnum):
    PENDING = "PENDING"  # Asked for; the runner has not seen its run finish yet.
    DONE = "DONE"


@dataclass(frozen=True)
class RunRequest:
    """One run of the schedule, asked for once under its id: a scheduled time (``slot``) or a
    run-now. However often the same id is asked for, it makes one optimisation run."""

    request_id: str
    requested_at: datetime
    requested_by: str
    status: RequestStatus = RequestStatus.PENDING
    slot: datetime | None = None
    run_id: str | None = None
    outcome: str | None = None
    error: str | None = None
    finished_at: datetime | None = None


def request_id_of(value: Any) -> str:
    """A caller's request id (the same id asks for the same run); ``request_id`` if bad."""
    if not isinstance(value, str) or _REQUEST_ID.match(value) is None:
        raise ValidationError("request_id", "use 1-100 letters, digits, '_', '.', ':' or '-'")
    return value


def new_request_id(now: datetime) -> str:
    """A fresh run-now id: ``RUN_{YYYYMMDD}_{HHMMSS}_{random}``."""
    return f"RUN_{now.astimezone(UTC):%Y%m%d_%H%M%S}_{uuid.uuid4().hex[:8]}"


def slot_request_id(slot: datetime) -> str:
    """The id of a scheduled run: one per run time, whoever notices it is due."""
    return f"NIGHTLY_{slot.astimezone(UTC):%Y%m%d_%H%M}"
