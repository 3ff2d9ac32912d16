"""The nightly optimisation's schedule for admins: show it, move it, pause and resume it, and ask
for a run now. Each write that changed something is in the audit log: a pause of a paused
schedule, or a run asked for again under the same request id, is not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mats.api.handlers.call import Call, Reply
from mats.codec import to_primitive
from mats.domain.schedule import Schedule, daily_time, new_request_id, request_id_of


def show_nightly_schedule(call: Call) -> Reply:
    return to_primitive(call.services.nightly_schedule.show())


def set_nightly_time(call: Call) -> Reply:
    schedule = call.services.nightly_schedule
    before = schedule.show()
    daily = daily_time(call.body["time"], call.body.get("time_zone", before.time_zone))
    after = schedule.set_time(daily)
    call.audit("set_nightly_time", after.job, _setting(before), _setting(after))
    return to_primitive(after)


def pause_nightly_schedule(call: Call) -> Reply:
    return _change(call, "pause_nightly_schedule", lambda schedule: schedule.pause())


def resume_nightly_schedule(call: Call) -> Reply:
    return _change(call, "resume_nightly_schedule", lambda schedule: schedule.resume())


def run_nightly_now(call: Call) -> Reply:
    given = call.body.get("request_id")
    request_id = request_id_of(given) if given is not None else None
    schedule = call.services.nightly_schedule
    request, new = schedule.run_now(
        request_id or new_request_id(call.services.clock.now()), call.user.label
    )
    if new:
        call.audit("run_nightly_now", request.request_id, None, request)
    return to_primitive(request), 202


def _change(call: Call, operation: str, change: Callable[[Any], Schedule]) -> Reply:
    schedule = call.services.nightly_schedule
    before = schedule.show()
    after = change(schedule)
    call.audit(operation, after.job, _setting(before), _setting(after))
    return to_primitive(after)


def _setting(schedule: Schedule) -> dict[str, str]:
    """What an admin sets (the audit's before and after): not the runs, which move by themselves."""
    return {"time": schedule.time, "time_zone": schedule.time_zone, "state": schedule.state.value}


HANDLERS: dict[str, Callable[[Call], Any]] = {
    "show_nightly_schedule": show_nightly_schedule,
    "set_nightly_time": set_nightly_time,
    "pause_nightly_schedule": pause_nightly_schedule,
    "resume_nightly_schedule": resume_nightly_schedule,
    "run_nightly_now": run_nightly_now,
}
