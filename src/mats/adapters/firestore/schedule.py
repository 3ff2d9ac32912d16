"""The local stack's nightly schedule: a Firestore document its runner reads, and the runs asked
of it (``NightlySchedule`` for the local stack; in a project Cloud Scheduler holds the job).

- ``schedules/nightly``: ``time``, ``time_zone``, ``state``, ``armed_at`` (when it was last set or
  resumed: no run time before it is made), ``last_slot`` (the latest scheduled time already asked
  for) and ``last_run``. Each writer updates only its own fields, so neither overwrites the
  other: an admin the time, zone, state and ``armed_at``; the runner ``last_slot`` and
  ``last_run``. The document is created, with ``MATS_OPTIMIZE_AT`` in UTC, on first use.
- ``schedule_runs/{request_id}``: each run asked for, ``create()``-d once: of any number of
  concurrent askers of one id the first wins and every other gets that request back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from datetime import time as clock_time
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud.firestore import FieldFilter

from mats.adapters.firestore.documents import from_document, to_document, translated_errors
from mats.codec import to_primitive
from mats.domain.schedule import (
    DailyTime,
    LastRun,
    RequestStatus,
    RunRequest,
    Schedule,
    ScheduleState,
    due_run,
    schedule_of,
    slot_request_id,
)
from mats.ports import Clock

SCHEDULES = "schedules"
NIGHTLY = "nightly"
RUN_REQUESTS = "schedule_runs"
LOCAL_JOB = "the local stack's nightly runner (mats up)"


@dataclass(frozen=True)
class StoredSchedule:
    """The schedule document; its time and zone were checked before they were stored."""

    time: str
    time_zone: str
    state: ScheduleState
    armed_at: datetime
    last_slot: datetime | None = None
    last_run: LastRun | None = None

    @property
    def daily(self) -> DailyTime:
        return DailyTime(self.time, self.time_zone)


class FirestoreNightlySchedule:
    def __init__(self, client: Any, clock: Clock, first_time: clock_time) -> None:
        self._client = client
        self._document = client.collection(SCHEDULES).document(NIGHTLY)
        self._requests = client.collection(RUN_REQUESTS)
        self._clock = clock
        self._first_time = first_time

    # The port

    def show(self) -> Schedule:
        return self._shown(self.stored())

    def pause(self) -> Schedule:
        return self._change({"state": ScheduleState.PAUSED}, unless=ScheduleState.PAUSED)

    def resume(self) -> Schedule:
        # Armed anew: a run time that passed while it was paused is not made.
        return self._change({"state": ScheduleState.ENABLED}, unless=ScheduleState.ENABLED)

    def set_time(self, daily: DailyTime) -> Schedule:
        current = self.stored()
        if current.daily == daily:
            return self._shown(current)
        return self._change({"time": daily.at, "time_zone": daily.time_zone})

    def run_now(self, request_id: str, requested_by: str) -> tuple[RunRequest, bool]:
        request = RunRequest(request_id, self._clock.now(), requested_by)
        return self._ask(request)

    # The runner's

    def stored(self) -> StoredSchedule:
        """The schedule document, created with the first time in UTC if there is none yet."""
        with translated_errors("reading the nightly schedule"):
            snapshot = self._document.get()
        if snapshot.exists:
            return from_document(StoredSchedule, snapshot.to_dict())
        first = StoredSchedule(
            self._first_time.strftime("%H:%M"), "UTC", ScheduleState.ENABLED, self._clock.now()
        )
        try:
            with translated_errors("creating the nightly schedule"):
                self._document.create(to_document(first))
        except AlreadyExists:
            return self.stored()  # Another process created it first: that one holds.
        return first

    def take_due_run(self, now: datetime) -> RunRequest | None:
        """Ask for the scheduled run due at ``now``, if one is (once per run time, whoever
        asks: its id is the time's); ``None`` when none is due."""
        current = self.stored()
        slot = due_run(
            current.daily,
            current.state,
            armed_at=current.armed_at,
            last_slot=current.last_slot,
            now=now,
        )
        if slot is None:
            return None
        request, _ = self._ask(RunRequest(slot_request_id(slot), now, "scheduler", slot=slot))
        with translated_errors("recording the nightly run time taken"):
            self._document.update({"last_slot": slot})
        return request

    def pending(self) -> list[RunRequest]:
        """The runs asked for whose outcome the runner has not seen, oldest first."""
        query = self._requests.where(
            filter=FieldFilter("status", "==", RequestStatus.PENDING.value)
        )
        with translated_errors("listing the nightly runs asked for"):
            found = [from_document(RunRequest, s.to_dict()) for s in query.stream()]
        return sorted(found, key=lambda request: (request.requested_at, request.request_id))

    def finish(self, request: RunRequest, run: Mapping[str, Any]) -> RunRequest:
        """Record the outcome of a request's run on the request and as the schedule's last run."""
        now = self._clock.now()
        done = dataclasses.replace(
            request,
            status=RequestStatus.DONE,
            run_id=run.get("run_id"),
            outcome=str(run.get("status") or "UNKNOWN"),
            error=run.get("error"),
            finished_at=now,
        )
        last = LastRun(now, done.outcome or "UNKNOWN", done.run_id, done.request_id, done.error)
        batch = self._client.batch()
        batch.set(self._requests.document(request.request_id), to_document(done))
        batch.update(self._document, {"last_run": to_document(last)})
        with translated_errors("recording a nightly run's outcome"):
            batch.commit()
        return done

    def request(self, request_id: str) -> RunRequest | None:
        with translated_errors("reading a nightly run asked for"):
            snapshot = self._requests.document(request_id).get()
        return from_document(RunRequest, snapshot.to_dict()) if snapshot.exists else None

    # Helpers

    def _ask(self, request: RunRequest) -> tuple[RunRequest, bool]:
        try:
            with translated_errors("asking for a nightly run"):
                self._requests.document(request.request_id).create(to_document(request))
        except AlreadyExists:
            existing = self.request(request.request_id)
            if existing is not None:
                return existing, False
        return request, True

    def _change(self, fields: dict[str, Any], unless: ScheduleState | None = None) -> Schedule:
        current = self.stored()
        if unless is not None and current.state is unless:
            return self._shown(current)
        changes = {**fields, "armed_at": self._clock.now()}
        with translated_errors("changing the nightly schedule"):
            self._document.update(to_primitive(changes, native_datetimes=True))
        return self.show()

    def _shown(self, stored: StoredSchedule) -> Schedule:
        return schedule_of(
            stored.daily, stored.state, stored.last_run, LOCAL_JOB, self._clock.now()
        )
