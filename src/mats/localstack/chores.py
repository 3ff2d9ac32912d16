"""What Google runs on a schedule, run by ``mats up``: the outbox sweep and the nightly run.

They run on their own thread: a slow optimisation or a store that is down must not hold up the
supervisor, which restarts crashed processes from the main thread.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from typing import IO

from mats.errors import MatsError

SWEEP_INTERVAL_SECONDS = 10.0


class NightlyRun:
    """Cloud Scheduler's part locally: POST the optimizer's /run once a day at a set UTC time."""

    def __init__(self, url: str, at: dt_time, out: IO[str]) -> None:
        self._url = url
        self._at = at
        self._out = out
        self._next = self._following(datetime.now(UTC))

    def due(self, now: datetime) -> bool:
        return now >= self._next

    def trigger(self) -> None:
        self._next = self._following(datetime.now(UTC))
        request = urllib.request.Request(  # noqa: S310 - the stack's own loopback URL.
            self._url, data=b"{}", headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback
                run = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as error:
            print(f"nightly optimisation could not run: {error}", file=self._out, flush=True)
            return
        outcome = run.get("allocation_id") or run.get("error") or "no allocation"
        print(
            f"optimisation {run.get('run_id')} {run.get('status')}: {outcome} "
            "(review with `mats allocations recommendation`)",
            file=self._out,
            flush=True,
        )

    def _following(self, now: datetime) -> datetime:
        today = datetime.combine(now.date(), self._at, tzinfo=UTC)
        return today if today > now else today + timedelta(days=1)


def optimize_at() -> dt_time:
    raw = os.environ.get("MATS_OPTIMIZE_AT", "22:00")
    try:
        return dt_time.fromisoformat(raw)
    except ValueError:
        raise MatsError(f"MATS_OPTIMIZE_AT must be HH:MM (UTC); got {raw!r}") from None


class Chores:
    """Sweep the outbox every ``SWEEP_INTERVAL_SECONDS`` and trigger the nightly run when due."""

    def __init__(
        self,
        publish_pending: Callable[..., int],
        nightly: NightlyRun,
        out: IO[str],
        *,
        run_now: bool = False,
    ) -> None:
        self._publish_pending = publish_pending
        self._nightly = nightly
        self._out = out
        self._run_now = run_now
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mats-up-chores", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        if self._run_now:
            self._nightly.trigger()  # So the demo starts with a recommendation to review.
        while not self._stop.wait(SWEEP_INTERVAL_SECONDS):
            self._sweep()
            if self._nightly.due(datetime.now(UTC)):
                self._nightly.trigger()

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
