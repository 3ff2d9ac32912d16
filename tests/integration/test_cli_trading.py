"""The CLI for Cerebro's inputs and outputs: accounts, positions, market data, risk, allocations,
decisions, orders and alerts — run as a user runs it against the local stack."""

from __future__ import annotations

import json
import time
import urllib.request
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import pytest

from mats.domain.cerebro.decisions import fmt
from tests.conftest import Stack, unique
from tests.integration.test_cli import mats, mats_json, record_account


@pytest.fixture(scope="module")
def setup(stack: Stack) -> dict[str, Any]:
    sender = mats_json(stack, "senders", "create", unique("Trader"), "--rate-limit", "600")
    strategy_id, account, symbol = unique("cli-brain"), unique("CLI_ACCT"), "MSFT"
    sender_id = sender["sender"]["sender_id"]
    record_account(stack, account)
    mats_json(
        stack,
        "strategies",
        "create",
        strategy_id,
        "--name",
        "CLI Brain",
        "--status",
        "ACTIVE",
        "--mode",
        "PAPER",
        "--account",
        account,
        "--sender",
        sender_id,
        "--max-daily-loss",
        "1000",
    )
    return {"sender": sender, "strategy_id": strategy_id, "account": account, "symbol": symbol}


def test_accounts_instruments_quotes_and_fx(stack: Stack, setup: dict[str, Any]) -> None:
    account = mats_json(
        stack,
        "accounts",
        "set",
        setup["account"],
        "--broker",
        "ib",
        "--currency",
        "usd",
        "--equity",
        "50000",
        "--cash",
        "45000",
        "--margin-used",
        "5000",
    )
    instrument = mats_json(
        stack,
        "instruments",
        "set",
        "MSFT",
        "--asset-class",
        "stock",
        "--currency",
        "USD",
        "--tick-size",
        "0.01",
        "--lot-size",
        "1",
        "--margin-rate",
        "0.25",
        "--exchange",
        "NASDAQ",
    )
    quote = mats_json(stack, "quotes", "set", "MSFT", "--bid", "409.9", "--ask", "410.1")
    rate = mats_json(stack, "fx", "set", "EUR/USD", "1.08")
    accounts = mats_json(stack, "accounts", "list")
    table = mats(stack, "accounts", "list").stdout

    assert (account["broker"], account["base_currency"], account["equity"]) == (
        "IB",
        "USD",
        "50000",
    )
    assert instrument["margin_rate"] == "0.25"
    assert (quote["bid"], quote["ask"]) == ("409.9", "410.1")
    assert (rate["base_currency"], rate["quote_currency"], rate["rate"]) == ("EUR", "USD", "1.08")
    assert setup["account"] in [a["account"] for a in accounts]
    assert "10.0%" in table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (
                "accounts",
                "set",
                "X",
                "--broker",
                "IB",
                "--currency",
                "DOLLARS",
                "--equity",
                "1",
                "--cash",
                "1",
            ),
            "currency",
        ),
        (("quotes", "set", "MSFT", "--bid", "11", "--ask", "10"), "above the ask"),
        (("quotes", "set", "MSFT"), "at least one"),
        (("fx", "set", "EURO", "1.1"), "BASE/QUOTE"),
        (
            (
                "instruments",
                "set",
                "X",
                "--asset-class",
                "STOCK",
                "--currency",
                "USD",
                "--tick-size",
                "0.01",
                "--lot-size",
                "1",
                "--margin-rate",
                "2",
            ),
            "margin_rate",
        ),
        (("allocations", "set", "no-such-strategy=10"), "does not exist"),
        (("risk", "set", "HALTED", "--strategy", "no-such-strategy"), "does not exist"),
        (("positions", "set", "A", "no-such-strategy", "X", "1"), "does not exist"),
        (("decisions", "show", "no-such-signal"), "no decision"),
    ],
)
def test_bad_operator_input_is_refused_clearly(
    stack: Stack, args: tuple[str, ...], message: str
) -> None:
    result = mats(stack, *args)

    assert result.returncode == 1
    assert message in result.stderr


def test_allocation_caps_are_enforced(stack: Stack, setup: dict[str, Any]) -> None:
    over = mats(stack, "allocations", "set", f"{setup['strategy_id']}=60")
    usage = mats(stack, "allocations", "set", "nonsense")

    assert over.returncode == 1
    assert "50% cap" in over.stderr
    assert usage.returncode == 2


def test_signal_to_decision_through_the_cli(stack: Stack, setup: dict[str, Any]) -> None:
    strategy_id, account = setup["strategy_id"], setup["account"]
    mats_json(
        stack,
        "accounts",
        "set",
        account,
        "--broker",
        "IB",
        "--currency",
        "USD",
        "--equity",
        "100000",
        "--cash",
        "100000",
    )
    mats_json(
        stack,
        "instruments",
        "set",
        "MSFT",
        "--asset-class",
        "STOCK",
        "--currency",
        "USD",
        "--tick-size",
        "0.01",
        "--lot-size",
        "1",
        "--margin-rate",
        "0.25",
    )
    # The bridge quotes MSFT from the simulated IB Gateway: let it agree with the signal's price.
    set_gateway_price(stack, "MSFT", 400)
    mats_json(stack, "quotes", "set", "MSFT", "--last", "400")
    # Sizing takes a share of the whole fund: every account on the session's stack, valued in
    # USD (Binance_Main's USDT too). 1% of it stays well within this account's margin room.
    mats_json(stack, "fx", "set", "USDT/USD", "1")
    # The session's stack is shared: earlier tests' strategies may still hold positions.
    activated = mats_json(
        stack, "allocations", "set", f"{strategy_id}=1", "--notes", "cli test", "--allow-close"
    )
    shown = mats_json(stack, "allocations", "current")
    history = mats_json(stack, "allocations", "history", "--limit", "3")
    sender = setup["sender"]
    sent = mats_json(
        stack,
        "signals",
        "send",
        "--strategy",
        strategy_id,
        "--ticker",
        "MSFT",
        "--action",
        "buy",
        "--price",
        "400",
        "--position",
        "long",
        "--prev-position",
        "flat",
        "--sender",
        sender["sender"]["sender_id"],
        "--secret",
        sender["secret"],
    )
    signal_id = sent["response"]["signal_id"]
    decision = _wait(lambda: mats(stack, "decisions", "show", signal_id, "--json"))
    text = mats(stack, "decisions", "show", signal_id).stdout
    listed = mats_json(stack, "decisions", "list", "--strategy", strategy_id)
    orders = mats_json(stack, "orders", "list", "--strategy", strategy_id)

    fund = Decimal(next(i["value"] for i in decision["inputs"] if i["name"] == "fund_equity"))
    quantity = (fund / 100 / 400).to_integral_value(rounding=ROUND_FLOOR)

    assert activated["allocation"]["status"] == "ACTIVE"
    assert shown["allocations"] == {strategy_id: "1"}
    assert history[0]["allocation_id"] == activated["allocation"]["allocation_id"]
    assert decision["status"] == "APPROVED"
    assert decision["orders"][0]["quantity"] == str(quantity)
    assert "allocated_capital" in text
    assert f"{fmt(fund)} USD fund equity x 1% = {fmt(fund / 100)}" in text
    assert "pass  margin_utilisation" in text
    assert "pass  fund_margin_utilisation" in text
    assert [d["signal_id"] for d in listed] == [signal_id]
    assert orders[0]["order"]["id"] == f"{signal_id}_ORD"
    # A PAPER strategy: the bridge fills it on the paper venue.
    filled = _wait(
        lambda: mats(stack, "orders", "show", f"{signal_id}_ORD", "--json"),
        until=lambda shown: shown["state"] == "FILLED",
    )
    assert (filled["venue"], filled["filled_quantity"]) == ("PAPER", str(quantity))


def test_positions_risk_and_alerts(stack: Stack, setup: dict[str, Any]) -> None:
    strategy_id, account = setup["strategy_id"], setup["account"]
    position = mats_json(
        stack,
        "positions",
        "set",
        account,
        strategy_id,
        "MSFT",
        "-25",
        "--average-cost",
        "400",
        "--pnl-today",
        "-1500",
    )
    listed = mats_json(stack, "positions", "list", "--strategy", strategy_id)
    halted = mats_json(stack, "risk", "set", "reducing", "--reason", "drill")
    risk = mats_json(stack, "risk", "list")
    mats_json(stack, "risk", "set", "ACTIVE")
    sender = setup["sender"]
    fired = mats_json(
        stack,
        "signals",
        "send",
        "--strategy",
        strategy_id,
        "--ticker",
        "MSFT",
        "--action",
        "buy",
        "--price",
        "400",
        "--position",
        "long",
        "--prev-position",
        "flat",
        "--bar-time",
        "2026-11-20T09:00:00Z",
        "--sender",
        sender["sender"]["sender_id"],
        "--secret",
        sender["secret"],
    )
    decision = _wait(
        lambda: mats(stack, "decisions", "show", fired["response"]["signal_id"], "--json")
    )
    alerts = mats_json(stack, "alerts", "list")

    assert position["quantity"] == "-25"
    assert [p["quantity"] for p in listed] == ["-25"]
    assert halted["scope"] == "global"
    assert "global" in [r["scope"] for r in risk]
    assert "POSITION_MISMATCH" in decision["reasons"]
    assert "DAILY_LOSS_LIMIT" in decision["reasons"]
    assert [o["purpose"] for o in decision["orders"]] == ["EXIT"]
    kinds = {a["kind"] for a in alerts if a["signal_id"] == fired["response"]["signal_id"]}
    assert kinds == {"POSITION_MISMATCH", "DAILY_LOSS_LIMIT"}
    strategy_risk = [
        r for r in mats_json(stack, "risk", "list") if r["scope"] == f"strategy:{strategy_id}"
    ]
    assert strategy_risk[0]["state"] == "REDUCING"


def _wait(run: Any, timeout: float = 15, until: Any = None) -> Any:
    """Run a CLI command until it succeeds (and its answer passes ``until``); its JSON."""
    deadline = time.monotonic() + timeout
    while True:
        result = run()
        if result.returncode == 0:
            answer = json.loads(result.stdout)
            if until is None or until(answer):
                return answer
        if time.monotonic() > deadline:
            raise AssertionError(result.stderr or result.stdout)
        time.sleep(0.2)


def set_gateway_price(stack: Stack, symbol: str, price: float) -> None:
    request = urllib.request.Request(
        stack.info["ib_control_url"] + "/prices",
        data=json.dumps({symbol: price}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass
