"""The local stack's nightly runner over its schedule document (the in-memory Firestore) and an
optimizer on loopback (the real OptimizerService behind HTTP): a run time asked for once, a paused
schedule making none, and a run whose answer a crash lost sent again by the next runner and made
once."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mats.adapters.firestore.schedule import FirestoreNightlySchedule
from mats.codec import to_primitive
from mats.domain.schedule import RequestStatus, slot_request_id
from mats.errors import TemporaryError
from mats.localstack.demo_history.memory_firestore import MemoryFirestore
from mats.localstack.nightly import NightlyRunner
from tests.fakes import FakeClock
from tests.unit.services.test_portfolio import World, three_strategies

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Optimizer:
    """``POST /run`` of the optimizer function over the real service; it can lose answers."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.posted: list[dict[str, Any]] = []
        self.lose_answers = 0  # The process dies after running, before it answers.
        self.unavailable = 0

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        self.posted.append(body)
        if self.unavailable:
            self.unavailable -= 1
            return 503, {"error": "store unavailable"}
        try:
            run = self.world.optimizer.run_requested(
                body["request_id"], requested_by=body["requested_by"]
            )
        except TemporaryError as error:
            return 503, {"error": str(error)}
        if self.lose_answers:
            self.lose_answers -= 1
            return 0, None
        return 200, to_primitive(run)


@pytest.fixture
def optimizer(tmp_path: Path) -> Iterator[tuple[Optimizer, str]]:
    world = World(tmp_path)
    three_strategies(world)
    served = Optimizer(world)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            status, answer = served.answer(body) if self.path == "/run" else (404, {"error": "no"})
            if answer is None:
                return  # The connection closes with no answer.
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def schedule_at(store: MemoryFirestore, clock: FakeClock) -> FirestoreNightlySchedule:
    return FirestoreNightlySchedule(store, clock, time(22, 0))


def test_a_run_time_is_asked_for_once_whoever_ticks_and_none_while_paused(
    optimizer: tuple[Optimizer, str],
) -> None:
    served, url = optimizer
    store, clock = MemoryFirestore(), FakeClock(NINE)
    schedule = schedule_at(store, clock)
    schedule.show()  # Armed at 09:00, at 22:00 UTC.
    first = NightlyRunner(schedule, url, clock, io.StringIO())
    second = NightlyRunner(schedule_at(store, clock), url, clock, io.StringIO())

    clock.current = NINE.replace(hour=21, minute=59)
    assert first.tick() == []
    clock.current = NINE.replace(hour=22, minute=0, second=5)
    done = first.tick() + second.tick() + first.tick()

    slot_id = slot_request_id(NINE.replace(hour=22))
    assert [request.request_id for request in done] == [slot_id]
    assert len(served.world.store.request_runs(slot_id)) == 1
    shown = schedule.show()
    assert shown.last_run is not None
    assert (shown.last_run.request_id, shown.last_run.outcome) == (slot_id, "COMPLETED")

    schedule.pause()
    clock.advance(timedelta(days=1).total_seconds())
    assert first.tick() == []
    assert schedule.request(slot_request_id(NINE.replace(day=3, hour=22))) is None


def test_a_run_whose_answer_was_lost_is_sent_again_by_the_next_runner_and_made_once(
    optimizer: tuple[Optimizer, str],
) -> None:
    served, url = optimizer
    store, clock = MemoryFirestore(), FakeClock(NINE)
    schedule = schedule_at(store, clock)
    schedule.run_now("RUN_1", "admin@example.test")
    served.lose_answers = 1

    assert NightlyRunner(schedule, url, clock, io.StringIO()).tick() == []  # Killed mid-run.
    pending = schedule.request("RUN_1")
    assert pending is not None
    assert pending.status is RequestStatus.PENDING

    restarted = NightlyRunner(schedule_at(store, clock), url, clock, io.StringIO())
    (done,) = restarted.tick()

    runs = served.world.store.request_runs("RUN_1")
    assert [run.run_id for run in runs] == [done.run_id]
    assert [body["request_id"] for body in served.posted] == ["RUN_1", "RUN_1"]
    assert restarted.tick() == []  # Done: not sent again.
    assert len(served.posted) == 2


def test_an_unavailable_optimizer_is_asked_again_at_the_next_tick(
    optimizer: tuple[Optimizer, str],
) -> None:
    served, url = optimizer
    clock = FakeClock(NINE)
    schedule = schedule_at(MemoryFirestore(), clock)
    runner = NightlyRunner(schedule, url, clock, io.StringIO())
    schedule.run_now("RUN_2", "ops")
    served.unavailable = 1

    assert runner.tick() == []
    (done,) = runner.tick()

    assert (done.request_id, done.outcome) == ("RUN_2", "COMPLETED")
    assert len(served.world.store.request_runs("RUN_2")) == 1


def test_a_refusal_is_recorded_and_not_sent_again(optimizer: tuple[Optimizer, str]) -> None:
    served, url = optimizer
    clock = FakeClock(NINE)
    schedule = schedule_at(MemoryFirestore(), clock)
    runner = NightlyRunner(schedule, url + "/nowhere", clock, io.StringIO())
    schedule.run_now("RUN_3", "ops")

    (refused,) = runner.tick()

    assert (refused.status, refused.outcome) == (RequestStatus.DONE, "REFUSED")
    assert refused.error is not None
    assert refused.error.startswith("404")
    assert runner.tick() == []
    assert served.posted == []
