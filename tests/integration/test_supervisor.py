"""The supervisor with real processes: ports lost before a child binds them, crash loops and
their backoff. The race is provoked on purpose: the test holds the port the child was given."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mats.localstack import children
from mats.localstack.children import ChildSpec, Layout
from mats.localstack.ports import LAID_OUT, PICKED, Ports
from mats.localstack.probes import Probe, free_port
from mats.localstack.supervisor import RestartPolicy, StartError, Supervisor
from tests.conftest import REPO


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(REPO, tmp_path, "mats-local", tmp_path / "backtests")


def ports_with(name: str, port: int, *, movable: bool = True) -> Ports:
    """Free ports for everything, but ``name`` gets ``port``, as if picked and then lost."""
    names = (*LAID_OUT, *PICKED)
    assigned = {other: free_port() for other in names}
    assigned[name] = port
    return Ports(assigned, names if movable else [n for n in names if n != name], free_port)


@pytest.fixture
def thief() -> Iterator[socket.socket]:
    """Another program that took a port between the pick and the bind."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock
    sock.close()


def spec_named(specs: list[ChildSpec], name: str) -> ChildSpec:
    return next(spec for spec in specs if spec.name == name)


def test_a_tcp_probed_function_whose_port_is_taken_by_a_listener_moves_to_a_free_one(
    layout: Layout, thief: socket.socket
) -> None:
    thief.listen()  # The TCP probe alone would take this listener for cerebro.
    taken = thief.getsockname()[1]
    ports = ports_with("cerebro", taken)
    out = io.StringIO()
    supervisor = Supervisor(ports, out)
    try:
        supervisor.start([spec_named(children.functions(layout), "cerebro")])

        moved = ports["cerebro"]
        assert moved != taken
        assert supervisor.child("cerebro").listens_on(moved)
        assert f"cerebro: port {taken} was taken before it could bind; trying {moved}" in (
            out.getvalue()
        )
        print(out.getvalue().strip())
    finally:
        supervisor.stop()


def test_a_child_that_fails_to_bind_a_taken_port_is_started_again_on_a_free_one(
    layout: Layout, thief: socket.socket
) -> None:
    taken = thief.getsockname()[1]  # Bound, not listening: only the child's bind can tell.
    ports = ports_with("telegram", taken)
    out = io.StringIO()
    supervisor = Supervisor(ports, out)
    try:
        supervisor.start([spec_named(children.infrastructure(layout), "telegram")])

        assert ports["telegram"] != taken
        assert Probe.http(f"http://127.0.0.1:{ports['telegram']}/messages").check()
        assert f"telegram: port {taken} was taken" in out.getvalue()
    finally:
        supervisor.stop()


def test_a_port_that_was_asked_for_is_not_moved(layout: Layout, thief: socket.socket) -> None:
    thief.listen()
    taken = thief.getsockname()[1]
    supervisor = Supervisor(ports_with("telegram", taken, movable=False), io.StringIO())
    try:
        with pytest.raises(StartError, match="telegram failed to start"):
            supervisor.start([spec_named(children.infrastructure(layout), "telegram")])
    finally:
        supervisor.stop()


# Serves HTTP on its port on the runs listed in SERVE_ON (1-based), exits with 3 on the others.
FLAKY = """
import http.server, os, pathlib, sys
runs = pathlib.Path(os.environ["RUNS_FILE"])
run = len(runs.read_text()) + 1 if runs.exists() else 1
runs.write_text("x" * run)
if str(run) not in os.environ["SERVE_ON"].split(","):
    sys.exit(3)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.BaseHTTPRequestHandler
    ).serve_forever()
"""


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def flaky_spec(layout: Layout, serve_on: str) -> ChildSpec:
    environment = {"RUNS_FILE": str(layout.state_dir / "runs"), "SERVE_ON": serve_on}
    return ChildSpec(
        "flaky",
        ("telegram",),
        lambda p: layout.child(
            "flaky", [sys.executable, "-c", FLAKY, str(p["telegram"])], environment
        ),
        lambda p: Probe.tcp(p["telegram"]),
        lambda p: f"127.0.0.1:{p['telegram']}",
    )


def crash_and_restart(supervisor: Supervisor, clock: FakeClock, out: io.StringIO) -> float:
    """Let one crash be seen, then jump the clock to its restart; return the announced pause."""
    deadline = time.monotonic() + 10
    while not supervisor.watch():
        assert time.monotonic() < deadline, "no crash seen"
        time.sleep(0.02)
    pause = float(re.findall(r"in ([\d.]+) s$", out.getvalue().strip())[-1])
    clock.now += pause
    assert supervisor.watch()  # Started again.
    return pause


def test_a_process_that_keeps_crashing_is_retried_for_ever_with_a_capped_doubling_pause(
    layout: Layout,
) -> None:
    clock, out = FakeClock(), io.StringIO()
    ports = ports_with("telegram", free_port())
    supervisor = Supervisor(ports, out, RestartPolicy(), clock=clock)
    supervisor.start([flaky_spec(layout, serve_on="1,12")])
    try:
        os.kill(supervisor.child("flaky").pid or 0, signal.SIGKILL)
        pauses = [crash_and_restart(supervisor, clock, out) for _ in range(11)]
        assert pauses == [0.5, 1, 2, 4, 8, 16, 30, 30, 30, 30, 30]

        # Run 12 serves: once it has stayed up a minute, the next crash waits the first pause.
        deadline = time.monotonic() + 10
        while supervisor.processes()["flaky"]["state"] != "running":
            assert time.monotonic() < deadline
            supervisor.watch()
            time.sleep(0.02)
        clock.now += RestartPolicy().stable_after
        supervisor.watch()
        os.kill(supervisor.child("flaky").pid or 0, signal.SIGKILL)
        assert crash_and_restart(supervisor, clock, out) == 0.5
        assert supervisor.processes()["flaky"]["restarts"] == 12
        print(f"pauses of a crash loop: {pauses}, then 0.5 after a stable minute")
    finally:
        supervisor.stop()
