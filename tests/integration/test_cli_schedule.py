"""``mats schedule`` run as a user runs it against the session's local stack: the schedule shown,
moved, paused and resumed, a run asked for once by id and made by the stack's own runner."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from mats.domain.schedule import RequestStatus
from tests.conftest import Stack, unique
from tests.integration.test_cli import mats, mats_json


@pytest.fixture(scope="module", autouse=True)
def left_paused(stack: Stack) -> Iterator[None]:
    """Leave the session's schedule paused: no scheduled run lands in another module's test."""
    yield
    mats(stack, "schedule", "pause")


def test_show_set_time_pause_and_resume(stack: Stack) -> None:
    moved = mats_json(stack, "schedule", "set-time", "04:10", "--time-zone", "America/New_York")
    kept_zone = mats_json(stack, "schedule", "set-time", "04:20")
    paused = mats_json(stack, "schedule", "pause")
    text = mats(stack, "schedule", "show")
    resumed = mats_json(stack, "schedule", "resume")

    assert (moved["time"], moved["time_zone"]) == ("04:10", "America/New_York")
    assert (kept_zone["time"], kept_zone["time_zone"]) == ("04:20", "America/New_York")
    assert (paused["state"], paused["next_run_at"]) == ("PAUSED", None)
    assert text.returncode == 0, text.stderr
    assert "nightly optimisation at 04:20 America/New_York: PAUSED" in text.stdout
    assert "none while paused" in text.stdout
    assert resumed["state"] == "ENABLED"
    assert resumed["next_run_at"] is not None


def test_run_asks_once_per_id_and_the_stack_makes_the_run(stack: Stack, services: Any) -> None:
    mats_json(stack, "schedule", "pause")  # A run asked for runs even while paused.
    request_id = unique("CLI_RUN")

    first = mats_json(stack, "schedule", "run", "--request-id", request_id, "--by", "ops")
    again = mats(stack, "schedule", "run", "--request-id", request_id)

    assert (first["request_id"], first["requested_by"]) == (request_id, "ops")
    assert again.returncode == 0, again.stderr
    assert f"{request_id} was asked for already" in again.stdout
    deadline = time.monotonic() + 120  # The stack's runner ticks every 10 s.
    while (request := services.local_schedule.request(request_id)).status is RequestStatus.PENDING:
        assert time.monotonic() < deadline, "the stack's runner did not make the run"
        time.sleep(0.5)
    runs = services.portfolio.request_runs(request_id)
    assert [run.run_id for run in runs] == [request.run_id]
    assert runs[0].requested_by == "ops"


def test_a_bad_time_or_zone_is_refused_by_name(stack: Stack) -> None:
    before = mats_json(stack, "schedule", "show")

    bad_time = mats(stack, "schedule", "set-time", "25:00", "--json")
    bad_zone = mats(stack, "schedule", "set-time", "06:00", "--time-zone", "Nowhere/City")

    assert bad_time.returncode == 1
    assert '"field": "time"' in bad_time.stdout
    assert bad_zone.returncode == 1
    assert bad_zone.stderr.startswith("error: time_zone: must be an IANA time zone")
    after = mats_json(stack, "schedule", "show")
    assert (after["time"], after["time_zone"]) == (before["time"], before["time_zone"])
