"""Bad operator input that used to change state or claim success, run through the CLI against the
local stack: each gets a clear error naming the problem, exit status 1 (2 for usage errors), and
changes nothing."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Stack, unique
from tests.integration.test_cli import mats, mats_json


def create_args(strategy_id: str, account: str, *extra: str) -> tuple[str, ...]:
    return (
        "strategies",
        "create",
        strategy_id,
        "--name",
        "Validation",
        "--status",
        "ACTIVE",
        "--mode",
        "LIVE",
        "--account",
        account,
        *extra,
    )


def record_account(stack: Stack, account: str) -> None:
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


# --- strategies on known accounts only ---------------------------------------------------------


def test_strategies_create_on_an_unknown_account_is_refused_naming_the_known_ones(
    stack: Stack,
) -> None:
    strategy_id = unique("nowhere")

    text = mats(stack, *create_args(strategy_id, "NoSuchAccount"))
    as_json = mats(stack, *create_args(strategy_id, "NoSuchAccount"), "--json")
    shown = mats(stack, "strategies", "show", strategy_id)

    assert text.returncode == as_json.returncode == 1
    assert text.stderr.startswith(
        "error: account: unknown account 'NoSuchAccount'; known accounts: "
    )
    assert "IBKR_Futures, IBKR_Main" in text.stderr
    assert "record another with `mats accounts set`" in text.stderr
    error = json.loads(as_json.stdout)
    assert error["field"] == "account"
    assert error["error"] == text.stderr.removeprefix("error: ").strip()
    assert shown.returncode == 1
    assert "does not exist" in shown.stderr


def test_strategies_update_to_an_unknown_account_is_refused_and_changes_nothing(
    stack: Stack,
) -> None:
    strategy_id = unique("stays")
    created = mats_json(stack, *create_args(strategy_id, "IBKR_Main"))

    moved = mats(
        stack, "strategies", "update", strategy_id, "--account", "IBKR_Mian", "--notes", "moved"
    )

    assert moved.returncode == 1
    assert "unknown account 'IBKR_Mian'" in moved.stderr
    assert mats_json(stack, "strategies", "show", strategy_id) == created


def test_an_account_recorded_with_accounts_set_can_be_named(stack: Stack) -> None:
    account = unique("DESK")
    record_account(stack, account)

    created = mats_json(stack, *create_args(unique("desk"), account))

    assert created["account"] == account


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        ((), 1, "changes: nothing to change"),
        (
            ("--max-daily-loss", "5", "--clear", "max_daily_loss"),
            1,
            "max_daily_loss: is both given and cleared",
        ),
    ],
)
def test_strategies_update_that_says_nothing_or_contradicts_itself_is_refused(
    stack: Stack, extra: tuple[str, ...], code: int, message: str
) -> None:
    strategy_id = unique("vague")
    created = mats_json(stack, *create_args(strategy_id, "IBKR_Main", "--max-daily-loss", "100"))

    result = mats(stack, "strategies", "update", strategy_id, *extra)

    assert result.returncode == code
    assert message in result.stderr
    assert mats_json(stack, "strategies", "show", strategy_id) == created


def test_accounts_set_refuses_a_name_no_strategy_could_use(stack: Stack) -> None:
    name = "IBKR Main"
    result = mats(
        stack,
        "accounts",
        "set",
        name,
        "--broker",
        "IB",
        "--currency",
        "USD",
        "--equity",
        "1",
        "--cash",
        "1",
    )

    assert result.returncode == 1
    assert "account: use letters, digits" in result.stderr
    assert name not in [a["account"] for a in mats_json(stack, "accounts", "list")]
