"""The local stack's Cloud Scheduler for the nightly optimisation, reading the schedule document.

Every tick (``mats up``'s chores thread, at start and every 10 s): if the schedule is ENABLED
and its time has come, ask for that time's run (once per run time: its request id is the
time's); then send every run asked for and not yet finished — scheduled ones and run-nows, which
run even while the schedule is paused — to the optimizer, as Cloud Scheduler's HTTP target
would (``POST /run {"request_id", "requested_by"}``), and record each outcome on the request and
as the schedule's last run.

Crash safety: a request is stored before it is sent and marked done only after its run's
outcome came back, so one whose runner (or optimizer) was killed mid-run is sent again by the
next tick, and the optimizer answers a request id it has seen with that run instead of running
again (a run its dead process left RUNNING is taken over once it is plainly abandoned). Killed
at any point, nothing is lost and nothing is run twice.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import IO, Any

from mats.adapters.firestore.schedule import FirestoreNightlySchedule
from mats.domain.schedule import RunRequest
from mats.ports import Clock

_RETRIED = frozenset({429, 500, 502, 503, 504})


class NightlyRunner:
    """Make the schedule's runs through the optimizer function at ``optimizer_url``."""

    def __init__(
        self,
        schedule: FirestoreNightlySchedule,
        optimizer_url: str,
        clock: Clock,
        out: IO[str],
        *,
        timeout: float = 120.0,
    ) -> None:
        self._schedule = schedule
        self._url = f"{optimizer_url}/run"
        self._clock = clock
        self._out = out
        self._timeout = timeout

    def tick(self) -> list[RunRequest]:
        """Ask for the run that is due, if one is, and send what is pending; return the
        requests whose runs finished in this tick."""
        due = self._schedule.take_due_run(self._clock.now())
        if due is not None and due.slot is not None:
            self._say(
                f"nightly optimisation due at {due.slot:%Y-%m-%d %H:%M} UTC ({due.request_id})"
            )
        finished = []
        for request in self._schedule.pending():
            run = self._send(request)
            if run is None or run.get("status") == "RUNNING":
                continue  # Sent again at the next tick; the optimizer runs it once.
            finished.append(self._schedule.finish(request, run))
            self._say(_described(request, run))
        return finished

    def _send(self, request: RunRequest) -> dict[str, Any] | None:
        """The run the optimizer answers for ``request``; ``None`` to send it again later."""
        body = json.dumps({"request_id": request.request_id, "requested_by": request.requested_by})
        post = urllib.request.Request(  # noqa: S310 - the stack's own loopback URL.
            self._url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(post, timeout=self._timeout) as response:  # noqa: S310
                answer: dict[str, Any] = json.loads(response.read())
                return answer
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:300]
            if error.code in _RETRIED:
                self._say(f"nightly optimisation {request.request_id}: {error.code}, will retry")
                return None
            return {"status": "REFUSED", "error": f"{error.code}: {detail}"}
        except (urllib.error.URLError, OSError, ValueError) as error:
            self._say(f"nightly optimisation {request.request_id} could not be sent: {error}")
            return None

    def _say(self, line: str) -> None:
        print(line, file=self._out, flush=True)


def _described(request: RunRequest, run: dict[str, Any]) -> str:
    outcome = run.get("allocation_id") or run.get("error") or "no allocation"
    return (
        f"optimisation {run.get('run_id')} {run.get('status')} for {request.request_id}: "
        f"{outcome} (review with `mats allocations recommendation`)"
    )
