"""The nightly schedule over the API on the session's stack: shown, moved, paused and resumed,
run now exactly once per request id, audited as the signed-in admin, bad input refused by name.

Whether a scheduled run is made is proved by driving a nightly runner — the stack's own code,
on the stack's schedule document and its optimizer function — at a moment of the test's
choosing, past the run time, instead of waiting for the clock: the stack's own runner ticks
on the wall clock, hours before that run time."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mats.domain.schedule import RequestStatus, daily_time, slot_request_id
from mats.localstack.nightly import NightlyRunner
from tests.conftest import Stack, unique
from tests.fakes import FakeClock
from tests.integration.api.client import ApiClient
from tests.integration.api.writes import audit_of, newest_audit, put

NIGHTLY = "/api/schedule/nightly"


@pytest.fixture(scope="module", autouse=True)
def left_paused(api: ApiClient) -> Iterator[None]:
    """Leave the session's schedule paused: no scheduled run lands in another module's test."""
    yield
    api.post(f"{NIGHTLY}/pause")


def hours_ahead(hours: int) -> str:
    """A run time this many hours ahead (UTC): the stack's own runner will not reach it."""
    return f"{(datetime.now(UTC) + timedelta(hours=hours)):%H:%M}"


def runner_at(api: ApiClient, stack: Stack, moment: datetime) -> NightlyRunner:
    optimizer = stack.info["function_urls"]["optimizer"]
    return NightlyRunner(api.services.local_schedule, optimizer, FakeClock(moment), io.StringIO())


def wait_done(api: ApiClient, runner: NightlyRunner, request_id: str) -> Any:
    """Tick until the request's run has finished (the stack's own runner may be sending it too:
    either way the optimizer runs it once)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runner.tick()
        request = api.services.local_schedule.request(request_id)
        if request is not None and request.status is RequestStatus.DONE:
            return request
        time.sleep(0.5)
    raise AssertionError(f"{request_id} did not finish within 120 s")


def test_show_then_set_the_time_then_show_it(api: ApiClient) -> None:
    shown = api.get(NIGHTLY)
    assert shown.status == 200, shown.body
    assert shown.body["job"].startswith("the local stack")

    moved = put(api, NIGHTLY, {"time": "06:45", "time_zone": "Europe/London"})
    again = api.get(NIGHTLY)

    assert moved.status == 200, moved.body
    assert (again.body["time"], again.body["time_zone"]) == ("06:45", "Europe/London")
    expected = daily_time("06:45", "Europe/London").next_after(datetime.now(UTC))
    if again.body["state"] == "ENABLED":
        assert again.body["next_run_at"] == expected.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # Only the time given: the zone stays.
    assert put(api, NIGHTLY, {"time": "07:00"}).body["time_zone"] == "Europe/London"


def test_a_paused_schedule_makes_no_run_at_its_time_and_a_resumed_one_does(
    api: ApiClient, stack: Stack
) -> None:
    at = hours_ahead(3)
    assert put(api, NIGHTLY, {"time": at, "time_zone": "UTC"}).status == 200
    assert api.post(f"{NIGHTLY}/pause").body["next_run_at"] is None
    slot = daily_time(at, "UTC").next_after(datetime.now(UTC))
    slot_id = slot_request_id(slot)

    finished = runner_at(api, stack, slot + timedelta(minutes=1)).tick()

    assert slot_id not in [request.request_id for request in finished]
    assert api.services.local_schedule.request(slot_id) is None  # Never asked for.
    assert api.services.portfolio.request_runs(slot_id) == []

    resumed = api.post(f"{NIGHTLY}/resume")
    assert resumed.body["state"] == "ENABLED"
    assert resumed.body["next_run_at"] == slot.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    runner = runner_at(api, stack, slot + timedelta(minutes=1))
    done = wait_done(api, runner, slot_id)

    assert done.outcome in ("COMPLETED", "FAILED")
    assert [run.request_id for run in api.services.portfolio.request_runs(slot_id)] == [slot_id]
    last = api.get(NIGHTLY).body["last_run"]
    assert (last["request_id"], last["run_id"]) == (slot_id, done.run_id)
    runner.tick()  # The run time is taken: ticking again asks for nothing more.
    assert len(api.services.portfolio.request_runs(slot_id)) == 1


def test_run_now_posted_three_times_at_once_and_again_runs_once_even_while_paused(
    api: ApiClient, stack: Stack
) -> None:
    api.post(f"{NIGHTLY}/pause")
    request_id = unique("RUN")
    answers: list[Any] = []
    start = threading.Barrier(3)

    def post() -> None:
        start.wait()
        answers.append(api.post(f"{NIGHTLY}/run", {"request_id": request_id}))

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    repeat = api.post(f"{NIGHTLY}/run", {"request_id": request_id})

    assert [answer.status for answer in answers] == [202, 202, 202]
    assert repeat.status == 202
    assert {answer.body["request_id"] for answer in [*answers, repeat]} == {request_id}
    done = wait_done(api, runner_at(api, stack, datetime.now(UTC)), request_id)
    runs = api.services.portfolio.request_runs(request_id)
    assert [run.run_id for run in runs] == [done.run_id]
    assert runs[0].requested_by == "admin@example.test"
    after = api.post(f"{NIGHTLY}/run", {"request_id": request_id})
    assert (after.status, after.body["run_id"]) == (202, done.run_id)
    assert len(api.services.portfolio.request_runs(request_id)) == 1
    (entry,) = audit_of(api, request_id)
    assert (entry["operation"], entry["by_email"]) == ("run_nightly_now", "admin@example.test")


def test_a_run_now_without_an_id_gets_a_new_one(api: ApiClient) -> None:
    first = api.post(f"{NIGHTLY}/run")
    second = api.post(f"{NIGHTLY}/run", {})

    assert first.status == second.status == 202
    assert first.body["request_id"] != second.body["request_id"]
    assert first.body["requested_by"] == "admin@example.test"


def test_changes_are_audited_as_the_admin_and_a_repeat_is_not(api: ApiClient) -> None:
    api.post(f"{NIGHTLY}/resume")
    job = api.get(NIGHTLY).body["job"]
    before = len(audit_of(api, job))

    api.post(f"{NIGHTLY}/pause")
    api.post(f"{NIGHTLY}/pause")  # Paused already: nothing changes, nothing is recorded.
    put(api, NIGHTLY, {"time": "05:15", "time_zone": "Asia/Tokyo"})
    put(api, NIGHTLY, {"time": "05:15", "time_zone": "Asia/Tokyo"})

    entries = audit_of(api, job)
    assert len(entries) == before + 2
    newest, paused = entries[0], entries[1]
    assert (paused["operation"], paused["by_email"]) == (
        "pause_nightly_schedule",
        "admin@example.test",
    )
    assert (paused["before"]["state"], paused["after"]["state"]) == ("ENABLED", "PAUSED")
    assert newest["operation"] == "set_nightly_time"
    assert newest["after"] == {"time": "05:15", "time_zone": "Asia/Tokyo", "state": "PAUSED"}


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", NIGHTLY, {"time": "25:00", "time_zone": "UTC"}, "time"),
        ("PUT", NIGHTLY, {"time": "7:30"}, "time"),
        ("PUT", NIGHTLY, {"time": "06:00", "time_zone": "Mars/Olympus"}, "time_zone"),
        ("PUT", NIGHTLY, {"time_zone": "UTC"}, "time"),
        ("PUT", NIGHTLY, {"time": "06:00", "when": "now"}, "when"),
        ("POST", f"{NIGHTLY}/run", {"request_id": "not an id"}, "request_id"),
    ],
)
def test_bad_input_is_refused_by_name_and_changes_nothing(
    api: ApiClient, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    shown = api.get(NIGHTLY).body
    audited = newest_audit(api)

    refused = api.call(method, path, body=body)

    assert (refused.status, refused.body["field"]) == (422, field), refused.body
    after = api.get(NIGHTLY).body
    assert {k: after[k] for k in ("time", "time_zone", "state")} == {
        k: shown[k] for k in ("time", "time_zone", "state")
    }
    assert newest_audit(api) == audited


def test_pause_takes_no_body(api: ApiClient) -> None:
    refused = api.post(f"{NIGHTLY}/pause", {"really": True})

    assert (refused.status, refused.body["field"]) == (400, "body")
