"""What Google runs on a schedule, run by ``mats up``: the outbox sweep and Cloud Scheduler's jobs.

The jobs are the ones Terraform declares for a project: the hourly snapshot, the daily NAV strike
(``MATS_NAV_STRIKE_AT``) and the month-end crystallisation (the 1st, just after midnight UTC),
each POSTing to its function's route as the Scheduler's HTTP target does; and, as a tick, the
nightly optimisation, whose schedule can be paused, resumed, moved and run now
(``nightly.py``). They run on their own thread: a slow optimisation or a store that is down must
not hold up the supervisor, which restarts crashed processes from the main thread.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from typing import IO, Any

from mats.errors import MatsError

SWEEP_INTERVAL_SECONDS = 10.0

Schedule = Callable[[datetime], datetime]  # The first run strictly after a moment.


def daily(at: dt_time) -> Schedule:
    def following(now: datetime) -> datetime:
        today = datetime.combine(now.date(), at, tzinfo=UTC)
        return today if today > now else today + timedelta(days=1)

    return following


def hourly(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def monthly(now: datetime) -> datetime:
    """Just after midnight UTC on the 1st (the month before has had its last strike)."""
    first = now.replace(day=1, hour=0, minute=5, second=0, microsecond=0)
    if first > now:
        return first
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return first.replace(year=year, month=month)


@dataclass
class ScheduledCall:
    """Cloud Scheduler's part locally: POST ``url`` whenever ``schedule`` says."""

    name: str
    url: str
    schedule: Schedule
    describe: Callable[[dict[str, Any]], str]
    timeout: float = 120.0

    def __post_init__(self) -> None:
        self._next = self.schedule(datetime.now(UTC))

    def due(self, now: datetime) -> bool:
        return now >= self._next

    def trigger(self, out: IO[str]) -> None:
        self._next = self.schedule(datetime.now(UTC))
        request = urllib.request.Request(  # noqa: S310 - the stack's own loopback URL.
            self.url, data=b"{}", headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:300]
            print(f"{self.name} failed ({error.code}): {detail}", file=out, flush=True)
            return
        except (urllib.error.URLError, OSError, ValueError) as error:
            print(f"{self.name} could not run: {error}", file=out, flush=True)
            return
        print(self.describe(answer), file=out, flush=True)


def accounting_jobs(dashboard_url: str, strike_at: dt_time) -> list[ScheduledCall]:
    """The hourly snapshot, the daily NAV strike and the month-end crystallisation."""

    def strike(answer: dict[str, Any]) -> str:
        record = answer.get("strike") or {}
        return (
            f"NAV strike {record.get('strike_id')} ({answer.get('status')}): "
            f"{record.get('nav_per_unit')} per unit, {len(record.get('dealt') or [])} flow(s) dealt"
        )

    def month_end(answer: dict[str, Any]) -> str:
        return f"month-end {answer.get('month')}: {len(answer.get('payouts') or [])} payout(s)"

    return [
        ScheduledCall("hourly snapshot", f"{dashboard_url}/snapshot", hourly, _quiet),
        ScheduledCall("NAV strike", f"{dashboard_url}/strike", daily(strike_at), strike),
        ScheduledCall("month-end", f"{dashboard_url}/month-end", monthly, month_end),
    ]


def _quiet(answer: dict[str, Any]) -> str:
    snapshot = answer.get("snapshot") or {}
    return f"snapshot {snapshot.get('snapshot_id')}: equity {snapshot.get('equity')}"


class Chores:
    """Run each tick (the nightly runner, the Auth emulator's checkpoint) at start and every
    ``SWEEP_INTERVAL_SECONDS``, sweep the outbox as often, and make each scheduled call when
    due."""

    def __init__(
        self,
        publish_pending: Callable[..., int],
        calls: Sequence[ScheduledCall],
        out: IO[str],
        *,
        ticks: Mapping[str, Callable[[], object]] | None = None,
    ) -> None:
        self._publish_pending = publish_pending
        self._calls = list(calls)
        self._out = out
        self._ticks = dict(ticks or {})
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mats-up-chores", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        for name, tick in self._ticks.items():
            self._tick(name, tick)  # At once: a run asked for before a crash, or the demo's.
        while not self._stop.wait(SWEEP_INTERVAL_SECONDS):
            self._sweep()
            for name, tick in self._ticks.items():
                self._tick(name, tick)
            now = datetime.now(UTC)
            for call in self._calls:
                if call.due(now):
                    call.trigger(self._out)

    def _sweep(self) -> None:
        try:
            published = self._publish_pending(min_age_seconds=SWEEP_INTERVAL_SECONDS)
        except MatsError as error:
            print(f"outbox sweep failed (will retry): {error}", file=self._out, flush=True)
            return
        except Exception as error:  # The sweep outlives a store that is restarting.
            print(f"outbox sweep failed (will retry): {error!r}", file=self._out, flush=True)
            return
        if published:
            print(f"published {published} pending signal(s)", file=self._out, flush=True)

    def _tick(self, name: str, tick: Callable[[], object]) -> None:
        try:
            tick()
        except Exception as error:  # A tick outlives the process it looks after restarting.
            print(f"{name} failed (will retry): {error}", file=self._out, flush=True)
