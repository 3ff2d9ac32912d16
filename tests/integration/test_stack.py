"""`mats up` itself: demo data, the printed example, one stack per state directory, clean stop."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.conftest import BIN, REPO, Stack, start_stack, stop_stack


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("demo"))
    try:
        yield running
    finally:
        if running.process.poll() is None:
            stop_stack(running)


def cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_EMULATOR_HOST")}
    env["MATS_STATE_DIR"] = str(stack.state_dir)
    return subprocess.run(
        [str(BIN / "mats"), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_stack_json_names_every_endpoint(demo_stack: Stack) -> None:
    info = demo_stack.info

    for key in ("ingest_url", "firestore_emulator_host", "pubsub_emulator_host", "project_id"):
        assert info[key]
    assert info["ingest_url"].startswith("http://127.0.0.1:")
    assert set(info["child_pids"]) == {
        "firestore",
        "pubsub",
        "ib_gateway",
        "telegram",
        "ingest",
        "cerebro",
        "optimizer",
        "bridge",
    }


def test_demo_data_covers_every_status_and_mode(demo_stack: Stack) -> None:
    listed = json.loads(cli(demo_stack, "strategies", "list", "--json").stdout)

    assert {s["status"] for s in listed} == {"ACTIVE", "INACTIVE", "TESTING"}
    assert {s["trading_mode"] for s in listed} == {"LIVE", "PAPER"}
    assert len({s["account"] for s in listed}) >= 3
    sender_id = demo_stack.info["demo_sender_id"]
    assert all(s["sender_ids"] == [sender_id] for s in listed)


def test_the_demo_starts_with_backtests_and_a_recommendation_to_review(demo_stack: Stack) -> None:
    backtests = json.loads(cli(demo_stack, "backtests", "list", "--json").stdout)
    run = json.loads(cli(demo_stack, "optimize", "latest", "--json").stdout)
    pending = json.loads(cli(demo_stack, "allocations", "recommendation", "--json").stdout)

    assert len(backtests) == 6
    assert all(b["statistics"]["expected_alpha_per_trade"] is not None for b in backtests)
    assert run["status"] == "COMPLETED"
    left_out = {e["strategy_id"] for e in run["excluded"]}
    assert left_out == {"btc-breakout", "eth-carry", "gold-swing"}
    assert pending["recommendation"]["run_id"] == run["run_id"]
    assert pending["current"]["approved_by"] == "demo"
    assert f"optimisation {run['run_id']} COMPLETED" in demo_stack.log.read_text()


def test_the_printed_curl_example_works_as_shown(demo_stack: Stack) -> None:
    output = demo_stack.log.read_text()
    secret = re.search(r"its secret, shown once: (\S+)", output)
    curl = re.search(r"(curl -sS -X POST .*?)\nThen:", output, re.DOTALL)
    assert secret
    assert curl
    command = curl.group(1).replace("\\\n", " ")

    result = subprocess.run(
        shlex.split(command), capture_output=True, text=True, timeout=30, check=False
    )

    assert output.count(secret.group(1)) == 2
    answer = json.loads(result.stdout)
    assert answer["status"] == "accepted"
    assert answer["signal_id"].startswith("trend-es_")


def test_a_second_stack_on_the_same_state_directory_is_refused(demo_stack: Stack) -> None:
    result = subprocess.run(
        [str(BIN / "mats"), "--state-dir", str(demo_stack.state_dir), "up", "--port-base", "0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert "already running" in result.stderr
    assert str(demo_stack.info["pid"]) in result.stderr
    assert cli(demo_stack, "status").returncode == 0


def test_busy_ports_are_reported_clearly(demo_stack: Stack, tmp_path: object) -> None:
    port = demo_stack.info["firestore_emulator_host"].rsplit(":", 1)[1]
    result = subprocess.run(
        [str(BIN / "mats"), "--state-dir", str(tmp_path), "up", "--port-base", port],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert f"port {port} is already in use" in result.stderr


def test_sigterm_stops_every_child_and_removes_stack_json(demo_stack: Stack) -> None:
    children = demo_stack.info["child_pids"].values()

    code = stop_stack(demo_stack)

    assert code == 0
    assert not (demo_stack.state_dir / "stack.json").exists()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in children)
    assert "MATS local stack stopped." in demo_stack.log.read_text()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
