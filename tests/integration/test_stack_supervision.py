"""`mats up` survives its own processes: crashed ones come back on their ports with their data,
the rest keep running, and no process outlives the stack."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mats.adapters.pubsub import PubSubAdmin
from mats.domain.execution.states import OrderState
from tests.conftest import BIN, REPO, Stack, start_stack, stop_stack, unique
from tests.integration.stack_control import (
    alive,
    kill_and_wait,
    outstanding,
    process,
    stack_info,
    survivors,
    wait_for,
)
from tests.integration.trading_desk import (
    entry_alert,
    new_stocks,
    open_desk,
    order_reaches,
    post,
    webhook_url,
)

EVERY_PROCESS = (
    "firestore",
    "pubsub",
    "ib_gateway",
    "telegram",
    "auth",
    "ingest",
    "cerebro",
    "optimizer",
    "dashboard",
    "bridge",
)


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of this module's own: its processes get killed."""
    running = start_stack(tmp_path_factory.mktemp("supervised"), "--no-demo")
    saved = {name: os.environ.get(name) for name in running.env()}
    os.environ.update(running.env())
    try:
        yield running
    finally:
        if running.process.poll() is None:
            stop_stack(running)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def mats(stack: Stack, *args: str) -> Any:
    done = subprocess.run(
        [str(BIN / "mats"), "--state-dir", str(stack.state_dir), *args, "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout)


def test_a_killed_bridge_comes_back_on_its_port_and_nothing_else_restarts(
    own_stack: Stack,
) -> None:
    before = stack_info(own_stack)

    old_pid, restarted = kill_and_wait(own_stack, "bridge")

    after = stack_info(own_stack)
    assert restarted["pid"] != old_pid
    assert restarted["endpoint"] == before["processes"]["bridge"]["endpoint"]
    unchanged = {n: p["pid"] for n, p in after["processes"].items() if n != "bridge"}
    assert unchanged == {n: p["pid"] for n, p in before["processes"].items() if n != "bridge"}
    assert own_stack.process.poll() is None
    status = mats(own_stack, "status")
    wait_for(lambda: mats(own_stack, "status")["processes"]["bridge"]["health"] == "ok", 30)
    assert status["processes"]["bridge"]["restarts"] == 1
    output = own_stack.log.read_text()
    assert f"bridge: stopped unexpectedly (pid {old_pid}, killed by SIGKILL)" in output
    assert "bridge: restart 1: up again" in output
    assert "restart 1: up again" in (own_stack.state_dir / "logs" / "bridge.log").read_text()
    print(f"bridge pid {old_pid} -> {restarted['pid']} on {restarted['endpoint']}")


def test_the_killed_bridge_leaves_no_gunicorn_worker_behind(own_stack: Stack) -> None:
    group = int(process(own_stack, "bridge")["pid"])
    workers = [pid for pid, pgid in _groups(own_stack).items() if pgid == group and pid != group]
    assert workers, "the bridge runs one gunicorn worker"

    kill_and_wait(own_stack, "bridge")

    # The supervisor SIGKILLs the dead leader's group before it relaunches; the kernel ends the
    # orphaned worker a moment later, and what adopted it may leave it a zombie for a while.
    wait_for(lambda: not [pid for pid in workers if alive(pid)], 10, "the old worker gone")
    leaders = {p["pid"] for p in stack_info(own_stack)["processes"].values()}
    assert set(_groups(own_stack).values()) == leaders


def test_every_process_is_restarted_after_a_crash_and_the_pipeline_still_works(
    own_stack: Stack,
) -> None:
    for name in EVERY_PROCESS:
        restarts = process(own_stack, name)["restarts"]
        kill_and_wait(own_stack, name)
        assert process(own_stack, name)["restarts"] == restarts + 1

    status = wait_for(lambda: _all_healthy(own_stack), 60, "every process healthy")
    figures = {name: status["processes"][name]["restarts"] for name in EVERY_PROCESS}

    from mats.bootstrap import bootstrap  # noqa: PLC0415 - needs the stack's environment.

    services = bootstrap({**os.environ, **own_stack.env()})
    try:
        desk = open_desk(own_stack, services)
        (symbol,) = new_stocks(own_stack, services, 1)
        answer_status, answer = post(webhook_url(own_stack, desk), entry_alert(desk, symbol))
        assert answer_status == 202, answer
        order_reaches(services, f"{answer['signal_id']}_ORD", OrderState.FILLED)
    finally:
        services.close()
    print(f"restarts per process: {figures}; a webhook then became an IB fill")


def test_a_sigkilled_firestore_loses_no_write_it_acknowledged(own_stack: Stack) -> None:
    from google.cloud import firestore  # noqa: PLC0415 - needs the stack's environment.

    client = firestore.Client(project=own_stack.info["project_id"])
    collection = unique("journal")
    acknowledged: list[int] = []
    failed: list[int] = []
    stop = threading.Event()

    def write() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            try:
                client.collection(collection).document(f"d{number}").set(
                    {"n": number, "payload": "x" * 200}, timeout=2
                )
            except Exception:
                failed.append(number)
                time.sleep(0.05)
            else:
                acknowledged.append(number)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        wait_for(lambda: len(acknowledged) >= 200, 30, "200 writes")
        at_kill = len(acknowledged)
        kill_and_wait(own_stack, "firestore")
        wait_for(lambda: len(acknowledged) >= at_kill + 100, 60, "writes after the restart")
    finally:
        stop.set()
        writer.join(10)

    kept = {int(d.id[1:]) for d in client.collection(collection).stream()}
    lost = set(acknowledged) - kept
    print(
        f"firestore SIGKILL after {at_kill} writes: {len(acknowledged)} acknowledged, "
        f"{len(failed)} refused, {len(kept)} kept, {len(lost)} lost"
    )
    assert not lost


def test_a_sigkilled_auth_emulator_keeps_the_users_it_checkpointed(own_stack: Stack) -> None:
    email = f"{unique('kept')}@mats.example"
    created = mats(own_stack, "users", "create", email, "--role", "admin")
    exported = own_stack.state_dir / "auth" / "export" / "auth_export" / "accounts.json"
    # The marker: the stack's checkpoint (every few seconds) has written the new user out.
    wait_for(lambda: email in _text(exported), 60, "the user checkpointed")

    kill_and_wait(own_stack, "auth")

    listed = {user["email"]: user for user in mats(own_stack, "users", "list")}
    assert listed[email]["uid"] == created["user"]["uid"]
    assert "auth: restart" in own_stack.log.read_text()


def test_reset_clears_the_kept_documents_too(own_stack: Stack) -> None:
    control = own_stack.info["firestore_control_url"]
    reset = urllib.request.Request(control + "/reset", data=b"", method="POST")
    with urllib.request.urlopen(reset, timeout=10):
        pass

    kill_and_wait(own_stack, "firestore")

    with urllib.request.urlopen(control + "/stats", timeout=10) as answer:
        assert json.loads(answer.read()) == {"documents": 0}


def test_a_sigkilled_pubsub_service_keeps_unacknowledged_messages_and_the_topology(
    own_stack: Stack,
) -> None:
    admin = PubSubAdmin(own_stack.info["project_id"])
    subscription = unique("kept-sub")
    admin.ensure_subscription(subscription, topic="alerts", ack_deadline_seconds=60)
    sent = {_publish(own_stack, "alerts", f"kept {i}".encode()) for i in range(20)}
    pulled = _pull(own_stack, subscription, 5)  # Leased, not acknowledged: must come back.
    assert len(pulled) == 5

    kill_and_wait(own_stack, "pubsub")

    received: dict[str, bytes] = {}
    wait_for(lambda: received.update(_pull(own_stack, subscription, 20)) or len(received) >= 20)
    assert set(received) == sent
    print(f"pubsub SIGKILL: {len(sent)} published, 5 leased, {len(received)} delivered again")
    assert outstanding(own_stack)["cerebro-signals"] == 0  # The topology's subscriptions are back.
    admin.delete_subscription(subscription)


def test_mats_down_leaves_no_process_of_the_stack(own_stack: Stack) -> None:
    running = own_stack  # After its crashes, with their restarted processes.
    started = survivors(running)
    assert len(started) > len(EVERY_PROCESS)  # Gunicorn and functions-framework workers too.

    done = subprocess.run(
        [str(BIN / "mats"), "--state-dir", str(running.state_dir), "down"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert running.process.wait(30) == 0
    assert survivors(running) == []
    print(f"mats down: {len(started)} processes started, 0 left")


def test_a_sigkilled_mats_up_leaves_no_process_and_down_cleans_up_after_it(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    running = start_stack(tmp_path_factory.mktemp("killed"), "--no-demo")
    started = survivors(running)

    running.process.send_signal(signal.SIGKILL)
    running.process.wait(10)

    left = wait_for(lambda: survivors(running) == [] or None, 30, "no survivors")
    status = subprocess.run(
        [str(BIN / "mats"), "--state-dir", str(running.state_dir), "status"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert status.returncode == 1
    assert "is not running" in status.stderr
    down = subprocess.run(
        [str(BIN / "mats"), "--state-dir", str(running.state_dir), "down"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert down.returncode == 0
    assert "had died" in down.stdout
    assert not (running.state_dir / "stack.json").exists()
    print(f"mats up SIGKILL: {len(started)} processes started, {len(survivors(running))} left")
    assert left


def _text(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:  # Between an export's removal of the old copy and its move of the new.
        return ""


def _groups(stack: Stack) -> dict[int, int]:
    """Each living process of the stack and its process group."""
    groups = {}
    for pid in survivors(stack):
        try:
            groups[pid] = os.getpgid(pid)
        except ProcessLookupError:
            continue
    return groups


def _all_healthy(stack: Stack) -> dict[str, Any] | None:
    status: dict[str, Any] = mats(stack, "status")
    return status if all(status["healthy"].values()) else None


def _rest(stack: Stack, path: str, body: Any) -> Any:
    project = stack.info["project_id"]
    request = urllib.request.Request(
        f"http://{stack.info['pubsub_emulator_host']}/v1/projects/{project}/{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def _publish(stack: Stack, topic: str, data: bytes) -> str:
    message = {"data": base64.b64encode(data).decode()}
    answer = _rest(stack, f"topics/{topic}:publish", {"messages": [message]})
    return str(answer["messageIds"][0])


def _pull(stack: Stack, subscription: str, count: int) -> dict[str, bytes]:
    answer = _rest(stack, f"subscriptions/{subscription}:pull", {"maxMessages": count})
    received = answer.get("receivedMessages", [])
    return {m["message"]["messageId"]: base64.b64decode(m["message"]["data"]) for m in received}
