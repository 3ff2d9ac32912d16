"""The documented `mats` CLI, run as a user runs it, against the session's local stack."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest
from click.testing import CliRunner

from mats.cli.app import cli
from tests.conftest import BIN, REPO, Stack, http_post, unique


def mats(
    stack: Stack | None, *args: str, state_dir: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_EMULATOR_HOST")}
    env.pop("GOOGLE_CLOUD_PROJECT", None)
    env["MATS_STATE_DIR"] = state_dir or str(stack.state_dir if stack else "")
    return subprocess.run(
        [str(BIN / "mats"), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def mats_json(stack: Stack, *args: str) -> Any:
    result = mats(stack, *args, "--json")
    assert result.returncode == 0, result.stderr + result.stdout
    return json.loads(result.stdout)


def record_account(stack: Stack, account: str) -> None:
    """Record an account by hand (as no venue reports it), with 100,000 USD of equity."""
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


# No venue reports Binance_Main on the local stack: it is known once recorded by hand.
RECORD_BINANCE = (
    "accounts",
    "set",
    "Binance_Main",
    "--broker",
    "BINANCE",
    "--currency",
    "USDT",
    "--equity",
    "150000",
    "--cash",
    "150000",
)


@pytest.fixture(scope="module")
def cli_sender(stack: Stack) -> dict[str, Any]:
    return mats_json(stack, "senders", "create", unique("CLI Sender"), "--rate-limit", "600")


def test_senders_create_prints_the_secret_and_webhook_url_once(stack: Stack) -> None:
    created = mats_json(
        stack, "senders", "create", "Desk One", "--ip-allow", "10.0.0.0/8", "--max-lag", "30"
    )
    listed = mats_json(stack, "senders", "list")

    sender_id = created["sender"]["sender_id"]
    assert sender_id.startswith("desk-one-")
    assert created["webhook_url"] == f"{stack.ingest_url}/webhook/{sender_id}/{created['secret']}"
    assert created["sender"]["ip_allowlist"] == ["10.0.0.0/8"]
    [row] = [row for row in listed if row["sender_id"] == sender_id]
    assert row["max_lag_seconds"] == 30
    listing = json.dumps(listed)
    assert created["secret"] not in listing
    assert "secret_hash" not in listing


def test_senders_human_output_shows_how_to_authenticate(stack: Stack) -> None:
    result = mats(stack, "senders", "create", "Desk Two")

    assert result.returncode == 0
    assert "Secret (shown once; store it now):" in result.stdout
    assert f"{stack.ingest_url}/webhook/desk-two-" in result.stdout
    assert "X-Signature" in result.stdout


def test_rotation_switches_the_secret_that_works(stack: Stack, cli_sender: dict[str, Any]) -> None:
    strategy_id = unique("cli")
    sender_id = cli_sender["sender"]["sender_id"]
    mats_json(
        stack,
        "strategies",
        "create",
        strategy_id,
        "--name",
        "Rotation",
        "--status",
        "ACTIVE",
        "--mode",
        "PAPER",
        "--account",
        "IBKR_Main",
        "--sender",
        sender_id,
    )
    rotated = mats_json(stack, "senders", "rotate", sender_id)
    body = json.dumps({"strategy_id": strategy_id, "ticker": "AAPL", "action": "exit"}).encode()

    old_status, _, _ = http_post(cli_sender["webhook_url"], body)
    new_status, _, _ = http_post(rotated["webhook_url"], body)

    assert rotated["secret"] != cli_sender["secret"]
    assert (old_status, new_status) == (401, 202)
    cli_sender.update(rotated)


def test_strategies_create_update_show_and_list(stack: Stack, cli_sender: dict[str, Any]) -> None:
    strategy_id = unique("cli-strat")
    sender_id = cli_sender["sender"]["sender_id"]
    mats_json(stack, *RECORD_BINANCE)

    created = mats_json(
        stack,
        "strategies",
        "create",
        strategy_id,
        "--name",
        "Carry Trade",
        "--status",
        "testing",
        "--mode",
        "PAPER",
        "--account",
        "Binance_Main",
        "--include-in-optimization",
        "--max-position-size",
        "0.5",
        "--max-daily-loss",
        "1000",
        "--sender",
        sender_id,
        "--notes",
        "needle-123",
    )
    updated = mats_json(
        stack,
        "strategies",
        "update",
        strategy_id,
        "--status",
        "INACTIVE",
        "--clear",
        "max_daily_loss",
    )
    shown = mats_json(stack, "strategies", "show", strategy_id)
    by_text = mats_json(stack, "strategies", "list", "--search", "needle-123")
    by_status = mats_json(
        stack, "strategies", "list", "--status", "INACTIVE", "--account", "Binance_Main"
    )

    assert created["status"] == "TESTING"
    assert created["risk_limits"] == {"max_position_size": "0.5", "max_daily_loss": "1000"}
    assert created["include_in_optimization"] is True
    assert updated["status"] == "INACTIVE"
    assert updated["risk_limits"]["max_daily_loss"] is None
    assert shown == updated
    assert [s["strategy_id"] for s in by_text] == [strategy_id]
    assert strategy_id in [s["strategy_id"] for s in by_status]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            (
                "strategies",
                "create",
                "dup-check",
                "--name",
                "x",
                "--status",
                "ACTIVE",
                "--mode",
                "PAPER",
                "--account",
                "IBKR_Main",
            ),
            1,
            "already exists",
        ),
        (
            (
                "strategies",
                "create",
                "bad id",
                "--name",
                "x",
                "--status",
                "ACTIVE",
                "--mode",
                "PAPER",
                "--account",
                "A",
            ),
            1,
            "strategy_id",
        ),
        (
            (
                "strategies",
                "create",
                "x1",
                "--name",
                "x",
                "--status",
                "RUNNING",
                "--mode",
                "PAPER",
                "--account",
                "A",
            ),
            2,
            "RUNNING",
        ),
        (
            (
                "strategies",
                "create",
                "x2",
                "--name",
                "x",
                "--status",
                "ACTIVE",
                "--mode",
                "PAPER",
                "--account",
                "A",
                "--max-daily-loss",
                "-3",
            ),
            2,
            "positive",
        ),
        (("strategies", "show", "no-such-strategy"), 1, "does not exist"),
        (("senders", "rotate", "no-such-sender"), 1, "does not exist"),
        (("senders", "create", "x", "--ip-allow", "999.1.1.1"), 1, "not an IP address"),
        (("signals", "show", "no-such-signal"), 1, "does not exist"),
    ],
)
def test_bad_input_gets_a_clear_error_and_exit_status(
    stack: Stack, args: tuple[str, ...], code: int, message: str
) -> None:
    if args[:3] == ("strategies", "create", "dup-check"):
        mats(stack, *args)

    result = mats(stack, *args)

    assert result.returncode == code
    assert message in result.stderr


def test_errors_are_json_under_json(stack: Stack) -> None:
    result = mats(stack, "strategies", "show", "no-such-strategy", "--json")

    assert result.returncode == 1
    assert json.loads(result.stdout) == {"error": "strategy 'no-such-strategy' does not exist"}


def test_signals_send_list_and_show(stack: Stack, cli_sender: dict[str, Any]) -> None:
    strategy_id = unique("cli-sig")
    sender_id = cli_sender["sender"]["sender_id"]
    mats_json(
        stack,
        "strategies",
        "create",
        strategy_id,
        "--name",
        "Signals",
        "--status",
        "ACTIVE",
        "--mode",
        "LIVE",
        "--account",
        "IBKR_Main",
        "--sender",
        sender_id,
    )
    credentials = ("--sender", sender_id, "--secret", cli_sender["secret"])

    sent = mats_json(
        stack,
        "signals",
        "send",
        "--strategy",
        strategy_id,
        "--ticker",
        "AAPL",
        "--action",
        "buy",
        "--contracts",
        "10",
        "--position",
        "long",
        "--position-size",
        "10",
        "--prev-position",
        "flat",
        *credentials,
    )
    signed = mats_json(
        stack,
        "signals",
        "send",
        "--strategy",
        strategy_id,
        "--ticker",
        "MSFT",
        "--action",
        "sell",
        "--position",
        "short",
        "--prev-position",
        "flat",
        "--auth",
        "signature",
        *credentials,
    )
    in_body = mats_json(
        stack,
        "signals",
        "send",
        "--strategy",
        strategy_id,
        "--ticker",
        "NVDA",
        "--action",
        "sell",
        "--position",
        "short",
        "--prev-position",
        "flat",
        "--auth",
        "body",
        *credentials,
    )
    listed = mats_json(stack, "signals", "list", "--strategy", strategy_id)
    shown = mats_json(stack, "signals", "show", sent["response"]["signal_id"])

    assert [r["http_status"] for r in (sent, signed, in_body)] == [202, 202, 202]
    assert {row["symbol"] for row in listed} == {"AAPL", "MSFT", "NVDA"}
    assert shown["signal"]["intent"] == "ENTRY_LONG"
    assert shown["signal"]["quantity"] == "10"
    assert shown["outbox_state"] == "PUBLISHED"
    assert json.loads(shown["raw_payload"])["ticker"] == "AAPL"


def test_signals_send_reports_a_rejection_with_exit_status_1(
    stack: Stack, cli_sender: dict[str, Any]
) -> None:
    result = mats(
        stack,
        "signals",
        "send",
        "--strategy",
        "nope",
        "--ticker",
        "AAPL",
        "--action",
        "buy",
        "--position",
        "long",
        "--prev-position",
        "flat",
        "--sender",
        cli_sender["sender"]["sender_id"],
        "--secret",
        cli_sender["secret"],
    )

    assert result.returncode == 1
    assert result.stdout.startswith("422 ")
    assert "unknown strategy" in result.stdout


def test_every_command_has_help() -> None:
    for args in (
        [],
        ["up"],
        ["down"],
        ["status"],
        ["senders"],
        ["senders", "create"],
        ["strategies", "update"],
        ["signals", "send"],
        ["signals", "publish-pending"],
    ):
        result = mats(None, *args, "--help")
        assert result.returncode == 0, args
        assert "Usage:" in result.stdout


def test_the_cli_reaches_the_stack_and_leaves_os_environ_untouched(
    stack: Stack, cli_sender: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in a user's shell: no emulator variables; the stack is found by its state directory.
    for name in stack.env():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MATS_STATE_DIR", str(stack.state_dir))
    before = dict(os.environ)

    senders = CliRunner().invoke(cli, ["senders", "list", "--json"], catch_exceptions=False)
    strategies = CliRunner().invoke(cli, ["strategies", "list", "--json"], catch_exceptions=False)

    assert dict(os.environ) == before
    assert senders.exit_code == 0, senders.output
    assert cli_sender["sender"]["sender_id"] in {
        row["sender_id"] for row in json.loads(senders.output)
    }
    assert strategies.exit_code == 0, strategies.output


def test_without_a_stack_or_project_the_cli_says_how_to_start_one(tmp_path: Any) -> None:
    result = mats(None, "senders", "list", state_dir=str(tmp_path))

    assert result.returncode == 1
    assert "mats up" in result.stderr


def test_status_reports_every_service_healthy(stack: Stack) -> None:
    report = mats_json(stack, "status")

    assert report["healthy"] == dict.fromkeys(
        (
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
        ),
        True,
    )
    assert report["ingest_url"] == stack.ingest_url
