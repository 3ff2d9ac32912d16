"""`mats up` itself: demo data, the printed example, one stack per state directory, clean stop."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import BIN, REPO, Stack, start_stack, stop_stack
from tests.integration.stack_control import alive, wait_for


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
        "dashboard",
        "bridge",
        "auth",
    }


def test_demo_data_covers_every_status_and_mode(demo_stack: Stack) -> None:
    listed = json.loads(cli(demo_stack, "strategies", "list", "--json").stdout)

    assert {s["status"] for s in listed} == {"ACTIVE", "INACTIVE", "TESTING"}
    assert {s["trading_mode"] for s in listed} == {"LIVE", "PAPER"}
    assert len({s["account"] for s in listed}) >= 3
    sender_id = demo_stack.info["demo_sender_id"]
    assert all(s["sender_ids"][0] == sender_id for s in listed)
    # A second sender sends for two of them, so the senders' P&L and payouts differ.
    both = {s["strategy_id"] for s in listed if len(s["sender_ids"]) == 2}
    assert both == {"trend-es", "momentum-aapl"}


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
    line = f"optimisation {run['run_id']} COMPLETED"
    wait_for(lambda: line in demo_stack.log.read_text(), 30, "the run's line")


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


def test_the_printed_api_url_serves_the_contract_and_asks_for_a_token(demo_stack: Stack) -> None:
    output = demo_stack.log.read_text()
    printed = re.search(r"^  api +(\S+) +\(the dashboard API; its contract: (\S+)\)$", output, re.M)
    assert printed
    assert printed.group(1) == demo_stack.info["api_url"]

    with urllib.request.urlopen(printed.group(2), timeout=30) as answer:
        contract = json.loads(answer.read())
    refused = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", printed.group(1) + "/fund"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert contract["openapi"].startswith("3.1")
    assert "/api/fund" in contract["paths"]
    assert refused.stdout == "401"


def test_the_printed_web_url_serves_the_dashboard_with_this_stacks_configuration(
    demo_stack: Stack,
) -> None:
    info = demo_stack.info
    printed = re.search(r"^  web +(\S+) +\(the web dashboard", demo_stack.log.read_text(), re.M)
    assert printed
    assert printed.group(1) == info["web_url"]

    with urllib.request.urlopen(info["web_url"] + "/config.json", timeout=30) as answer:
        config = json.loads(answer.read())
        config_cache = answer.headers["Cache-Control"]
    # A deep link is the app's too: the SPA rewrite answers it with index.html.
    with urllib.request.urlopen(info["web_url"] + "/admin/allocations", timeout=30) as answer:
        deep_link = answer.read().decode()
    preflight = urllib.request.Request(
        info["api_url"] + "/me",
        method="OPTIONS",
        headers={
            "Origin": info["web_url"],
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    with urllib.request.urlopen(preflight, timeout=30) as answer:
        allowed_origin = answer.headers["Access-Control-Allow-Origin"]

    assert config == {
        "apiUrl": info["api_url"],
        "authEmulatorUrl": info["auth_emulator_url"],
        "projectId": info["auth_project_id"],
        "apiKey": "local-emulator-key",
    }
    assert config_cache == "no-store"
    assert '<div id="root">' in deep_link
    assert allowed_origin == info["web_url"]


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


def test_status_shows_every_process_with_its_pid_health_and_restarts(demo_stack: Stack) -> None:
    report = json.loads(cli(demo_stack, "status", "--json").stdout)
    text = cli(demo_stack, "status").stdout

    processes = report["processes"]
    assert set(processes) == set(demo_stack.info["child_pids"])
    assert {p["health"] for p in processes.values()} == {"ok"}
    assert {p["restarts"] for p in processes.values()} == {0}
    assert processes["bridge"]["pid"] == demo_stack.info["child_pids"]["bridge"]
    assert text.splitlines()[1].split() == [
        "PROCESS",
        "PID",
        "STATE",
        "HEALTH",
        "RESTARTS",
        "ENDPOINT",
    ]
    assert len(text.splitlines()) == 2 + len(processes)


def test_status_says_when_the_bridge_is_up_but_not_taking_orders(demo_stack: Stack) -> None:
    gateway_errors = demo_stack.info["ib_control_url"] + "/errors"
    _post_json(gateway_errors, {"code": 1100})
    try:
        bridge = wait_for(
            lambda: (b := _status(demo_stack)["bridge"])["health"] != "ok" and b,
            30,
            "the bridge not ready",
        )
    finally:
        _post_json(gateway_errors, {"code": 1102})

    assert bridge["health"].startswith("not ready: IB:")
    assert "1100" in bridge["health"]
    assert bridge["healthy"] is False
    wait_for(lambda: _status(demo_stack)["bridge"]["health"] == "ok", 30, "the bridge ready")


def test_sigterm_stops_every_child_and_removes_stack_json(demo_stack: Stack) -> None:
    children = demo_stack.info["child_pids"].values()

    code = stop_stack(demo_stack)

    assert code == 0
    assert not (demo_stack.state_dir / "stack.json").exists()
    wait_for(lambda: not any(alive(pid) for pid in children), 10, "every child gone")
    assert "MATS local stack stopped." in demo_stack.log.read_text()


def test_down_then_up_keeps_every_record_and_up_fresh_discards_them(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    state_dir = tmp_path_factory.mktemp("kept")
    first = start_stack(state_dir)
    sent = cli(
        first,
        *("signals", "send", "--strategy", "trend-es", "--ticker", "ES1!", "--action", "buy"),
        *("--contracts", "1", "--price", "5012.25", "--position", "long"),
        *("--position-size", "1", "--prev-position", "flat"),
    )
    assert sent.returncode == 0, sent.stderr
    email = "kept-user@mats.example"
    assert cli(first, "users", "create", email, "--role", "admin").returncode == 0
    demo_users = (state_dir / "demo-users.json").read_text()
    signal_id = re.search(r'"signal_id": "([^"]+)"', sent.stdout)
    assert signal_id, sent.stdout
    order_id = f"{signal_id.group(1)}_ORD"
    wait_for(
        lambda: _flow_done(first, order_id), 60, "the demo alert filled and its fill published"
    )
    before = _documents(first)
    assert cli(first, "down").returncode == 0
    first.process.wait(30)

    second = start_stack(state_dir)
    try:
        _ready(second)
        after = _documents(second)
        senders = json.loads(cli(second, "senders", "list", "--json").stdout)
        kept_users = _emails(second)
        kept_demo_users = (state_dir / "demo-users.json").read_text()
        output = second.log.read_text()
    finally:
        stop_stack(second)
    fresh = start_stack(state_dir, "--fresh")
    try:
        anew = _documents(fresh)
        fresh_users = _emails(fresh)
        fresh_output = fresh.log.read_text()
        fresh_demo_users = (state_dir / "demo-users.json").read_text()
    finally:
        stop_stack(fresh)

    # Only live market data moves: the bridge refreshes accounts, quotes and FX rates as it
    # reconnects, and its health; the accounting keeps each account update and revalues its
    # read models from them (none of these is a record a user made).
    live = (
        "accounts",
        "quotes",
        "fx_rates",
        "fx_history",
        "bridge_health",
        "account_history",
        "account_latest",
        "fund_summary",
        "pnl_views",
        "strategy_day_pnl",
        "sender_views",
        "signal_pnl",
        "day_start_totals",
        "health_topics",
        "health",
        "snapshots",
        "equity_history",
        # The accounting books the fills the bridge publishes, perhaps after `mats down`
        # was asked for: its copies may still be taking their last write.
        "ledger_fills",
        "ledgers",
        "shortfall_orders",
        "shortfall_views",
    )
    kept = {path: at for path, at in before.items() if _collection_of(path) not in live}
    rewritten = [p for p, at in kept.items() if after.get(p) != at]
    added = [p for p in after if p not in before and _collection_of(p) not in live]
    counts = {name: len(_collection(after, name)) for name in sorted(map(_collection_of, after))}
    print(f"kept over mats down / mats up: {len(after)} documents {counts}")
    assert set(before) <= set(after)
    assert rewritten == []
    assert added == []
    assert "Kept the data of the last run" in output
    assert "shown once" not in output
    assert len(senders) == 2  # The demo senders, not seeded again.
    # The Auth emulator's users are kept too, and the demo users' passwords printed again.
    assert email in kept_users
    assert kept_demo_users == demo_users
    assert fresh_demo_users != demo_users
    assert all(user["password"] in output for user in json.loads(demo_users))
    # --fresh: the kept data is gone and the demo is seeded anew, with a new sender.
    # Only the demo history's signals, all from before today: the one sent above is gone.
    today = f"_{datetime.now(UTC):%Y%m%d}_"
    assert any(today in path for path in _collection(before, "signals"))
    assert not any(today in path for path in _collection(anew, "signals"))
    assert _collection(anew, "senders") != _collection(after, "senders")
    assert "shown once" in fresh_output
    assert email not in fresh_users
    assert len(fresh_users) == 3  # The demo users, seeded anew with new passwords.
    assert not any(user["password"] in fresh_output for user in json.loads(demo_users))


def _documents(stack: Stack) -> dict[str, int]:
    """Every document the Firestore emulator keeps, with its last update time."""
    url = stack.info["firestore_control_url"] + "/documents"
    with urllib.request.urlopen(url, timeout=10) as answer:
        documents: dict[str, int] = json.loads(answer.read())
    return documents


def _flow_done(stack: Stack, order_id: str) -> bool:
    """The marker that the bridge is done: ``order_id`` (the alert's) among the orders, every
    order FILLED (the demo history's are already) and every fill published."""
    from google.cloud import firestore  # noqa: PLC0415 - pointed at this stack below.

    saved = os.environ.get("FIRESTORE_EMULATOR_HOST")
    os.environ["FIRESTORE_EMULATOR_HOST"] = stack.info["firestore_emulator_host"]
    try:
        client = firestore.Client(project=stack.info["project_id"])
    finally:
        if saved is None:
            os.environ.pop("FIRESTORE_EMULATOR_HOST")
        else:
            os.environ["FIRESTORE_EMULATOR_HOST"] = saved
    orders = [d.to_dict() for d in client.collection("orders").stream()]
    fills = [d.to_dict() for d in client.collection("fills").stream()]
    client.close()
    ordered = any(order["order"]["id"] == order_id for order in orders)
    filled = ordered and all(order["state"] == "FILLED" for order in orders)
    return filled and bool(fills) and all(fill.get("published") for fill in fills)


def _emails(stack: Stack) -> set[str]:
    return {user["email"] for user in json.loads(cli(stack, "users", "list", "--json").stdout)}


def _collection_of(path: str) -> str:
    return path.split("/documents/", 1)[1].split("/", 1)[0]


def _collection(documents: dict[str, int], name: str) -> list[str]:
    return [path for path in documents if _collection_of(path) == name]


def _ready(stack: Stack) -> None:
    """Wait until the bridge has reconnected and reconciled (its /readyz answers 200)."""
    wait_for(lambda: _status(stack)["bridge"]["health"] == "ok", 60, "the bridge ready")


def _status(stack: Stack) -> dict[str, Any]:
    processes: dict[str, Any] = json.loads(cli(stack, "status", "--json").stdout)["processes"]
    return processes


def _post_json(url: str, body: Any) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10):
        pass
