"""Helpers for tests that trade on the local stack: the IB simulator's control API, the CLI,
the Telegram capture server and waiting for states."""

from __future__ import annotations

import base64
import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

from mats.domain.execution.records import OrderRecord
from mats.domain.execution.states import OrderState
from mats.localstack.demo import DEMO_IB_ACCOUNTS
from tests.conftest import BIN, REPO, Stack


def control(stack: Stack, path: str, body: Any = None, method: str = "POST") -> Any:
    """The simulated IB Gateway's control API."""
    data = json.dumps(body if body is not None else {}).encode() if method == "POST" else None
    request = urllib.request.Request(
        stack.info["ib_control_url"] + path,
        data=data,
        headers={"Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def telegram_messages(stack: Stack) -> list[str]:
    with urllib.request.urlopen(stack.info["telegram_url"] + "/messages", timeout=5) as answer:
        return [m["text"] for m in json.loads(answer.read())["messages"]]


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


def until(check: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what} not met within {timeout} s")


def order_in(services: Any, order_id: str, *states: OrderState, timeout: float = 30) -> OrderRecord:
    def reached() -> OrderRecord | None:
        record: OrderRecord | None = services.execution_store.order(order_id)
        return record if record is not None and record.state in states else None

    found: OrderRecord = until(reached, timeout, f"{order_id} in {[s.value for s in states]}")
    return found


def venue_orders(stack: Stack, reference: str) -> list[dict[str, Any]]:
    state = control(stack, "/state", method="GET")
    return [o for o in state["orders"] if o["order_ref"] == reference]


def push_message(url: str, message_id: str, data: bytes, topic: str = "signals") -> int:
    """Deliver one Pub/Sub message the way a push subscription does (a CloudEvent), return the
    answer's status: redeliveries, repeats and reorderings on demand."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = {
        "message": {
            "data": base64.b64encode(data).decode(),
            "messageId": message_id,
            "publishTime": now,
            "attributes": {},
        },
        "subscription": "projects/mats-local/subscriptions/test-push",
    }
    headers = {
        "Content-Type": "application/json",
        "ce-id": message_id,
        "ce-specversion": "1.0",
        "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
        "ce-source": f"//pubsub.googleapis.com/projects/mats-local/topics/{topic}",
        "ce-time": now,
    }
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def fund_equity(decision: Any) -> Decimal:
    """The fund's equity (every account, in USD) a decision sized its entry on."""
    found = decision.input("fund_equity")
    assert found is not None, f"{decision.signal_id} recorded no fund equity"
    return Decimal(str(found.value))


def shares(fund: Decimal, *, percent: int, price: int) -> Decimal:
    """Whole shares that ``percent`` of the fund buys at ``price``."""
    return (fund * percent / 100 / price).to_integral_value(rounding=ROUND_FLOOR)


def value_every_account(services: Any) -> None:
    """Give the one non-USD account the session's tests record (Binance_Main, USDT) a rate, so
    the fund's equity counts every account and no decision is SCALED for a missing rate."""
    services.operations.set_fx_rate("USDT/USD", Decimal(1))


def manual_trade(stack: Stack, account: str, symbol: str, quantity: int) -> None:
    """Someone trades the account by hand (another API client, no MATS order reference)."""
    script = f"""
from ib_async import IB, MarketOrder, Stock
ib = IB()
ib.connect("127.0.0.1", {stack.info["ib_gateway"].split(":")[1]}, clientId=901, timeout=10)
order = MarketOrder("BUY", {quantity})
order.account = "{DEMO_IB_ACCOUNTS[account]}"
trade = ib.placeOrder(Stock("{symbol}", "SMART", "USD"), order)
while not trade.isDone():
    ib.sleep(0.05)
ib.disconnect()
"""
    subprocess.run([str(BIN / "python"), "-c", script], check=True, timeout=60, cwd=Path("/"))
