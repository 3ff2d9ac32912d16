"""Bad operator input that used to change state or claim success, run through the CLI against the
local stack: each gets a clear error naming the problem, exit status 1 (2 for usage errors), and
changes nothing."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Stack, unique
from tests.integration.test_cli import mats, mats_json, record_account
from tests.integration.test_optimizer_end_to_end import register, write_backtest


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


# --- backtests for registered strategies only --------------------------------------------------


def test_backtests_ingest_skips_an_unregistered_strategy_and_stores_nothing_for_it(
    stack: Stack, services: Any, tmp_path: Path
) -> None:
    known, stranger = unique("known"), unique("stranger")
    register(services, known)
    write_backtest(tmp_path, known, 0.001, 1)
    write_backtest(tmp_path, stranger, 0.001, 2)

    result = mats(stack, "backtests", "ingest", "--data-dir", str(tmp_path))
    shown = mats(stack, "backtests", "show", stranger)

    assert result.returncode == 1
    assert (
        f"SKIPPED {stranger}: strategy '{stranger}' is not registered; register with "
        "`mats strategies create`, or ingest with --register --account ACCOUNT"
    ) in result.stdout
    assert f"{stranger}: skipped: strategy '{stranger}' is not registered" in result.stderr
    assert shown.returncode == 1
    assert mats_json(stack, "backtests", "show", known)["strategy_id"] == known
    assert mats(stack, "strategies", "show", stranger).returncode == 1


def test_backtests_ingest_naming_an_unregistered_strategy_changes_nothing(
    stack: Stack, services: Any, tmp_path: Path
) -> None:
    known, stranger = unique("known"), unique("stranger")
    register(services, known)
    write_backtest(tmp_path, known, 0.001, 1)
    write_backtest(tmp_path, stranger, 0.001, 2)
    named = ("--strategy", known, "--strategy", stranger)

    result = mats(stack, "backtests", "ingest", "--data-dir", str(tmp_path), *named, "--json")

    assert result.returncode == 1
    assert json.loads(result.stdout) == {
        "error": f"strategy: strategy '{stranger}' is not registered; register with "
        "`mats strategies create`, or ingest with --register --account ACCOUNT",
        "field": "strategy",
    }
    assert mats(stack, "backtests", "show", known).returncode == 1


def test_backtests_ingest_register_registers_strategies_that_cannot_trade(
    stack: Stack, tmp_path: Path
) -> None:
    newcomer = unique("newcomer")
    write_backtest(tmp_path, newcomer, 0.001, 3)

    ingest = ("backtests", "ingest", "--data-dir", str(tmp_path))
    result = mats(stack, *ingest, "--register", "--account", "IBKR_Main")
    strategy = mats_json(stack, "strategies", "show", newcomer)

    assert result.returncode == 0, result.stderr
    assert (
        f"REGISTERED {newcomer}: INACTIVE, PAPER on IBKR_Main, not optimised; activate it with "
        "`mats strategies update`"
    ) in result.stdout
    assert (strategy["status"], strategy["trading_mode"], strategy["account"]) == (
        "INACTIVE",
        "PAPER",
        "IBKR_Main",
    )
    assert strategy["include_in_optimization"] is False
    assert strategy["sender_ids"] == []
    assert mats_json(stack, "backtests", "show", newcomer)["strategy_id"] == newcomer


@pytest.mark.parametrize(
    ("flags", "code", "message"),
    [
        (("--register",), 2, "--register and --account go together"),
        (("--account", "IBKR_Main"), 2, "--register and --account go together"),
        (("--register", "--account", "NoSuchAccount"), 1, "unknown account 'NoSuchAccount'"),
    ],
)
def test_backtests_ingest_register_needs_a_known_account(
    stack: Stack, tmp_path: Path, flags: tuple[str, ...], code: int, message: str
) -> None:
    newcomer = unique("newcomer")
    write_backtest(tmp_path, newcomer, 0.001, 3)

    result = mats(stack, "backtests", "ingest", "--data-dir", str(tmp_path), *flags)

    assert result.returncode == code
    assert message in result.stderr
    assert mats(stack, "strategies", "show", newcomer).returncode == 1
    assert mats(stack, "backtests", "show", newcomer).returncode == 1


def test_backtests_sync_skips_unregistered_strategies_and_refuses_to_queue_one_by_name(
    stack: Stack, services: Any
) -> None:
    directory = stack.state_dir / "backtests"
    directory.mkdir(exist_ok=True)
    known, stranger = unique("synced"), unique("stranger")
    register(services, known)
    write_backtest(directory, known, 0.001, 4)
    write_backtest(directory, stranger, 0.001, 5)

    refused = mats(stack, "backtests", "sync", "--strategy", stranger)
    queued = mats_json(stack, "backtests", "sync")
    job = queued
    deadline = time.monotonic() + 30
    while job["status"] in ("QUEUED", "RUNNING") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = mats_json(stack, "backtests", "job", queued["job_id"])

    assert refused.returncode == 1
    assert f"strategy '{stranger}' is not registered" in refused.stderr
    assert "a sync loads registered strategies only" in refused.stderr
    assert job["status"] == "COMPLETED", job
    assert job["results"][known] == "stored"
    assert job["results"][stranger].startswith(f"skipped: strategy '{stranger}' is not registered")
    assert mats(stack, "backtests", "show", stranger).returncode == 1


# --- FX pairs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("GBPJPY", "'GBPJPY' must be written BASE/QUOTE, e.g. EUR/USD or USDT/USD"),
        ("GBP/JPX", "'JPX' is not a currency code: use an ISO 4217 code"),
        ("GBP/GBP", "GBP/GBP prices a currency in itself"),
    ],
)
def test_fx_set_needs_base_slash_quote_in_currency_codes(
    stack: Stack, services: Any, pair: str, message: str
) -> None:
    text = mats(stack, "fx", "set", pair, "150")
    as_json = mats(stack, "fx", "set", pair, "150", "--json")

    assert text.returncode == as_json.returncode == 1
    assert text.stderr.startswith(f"error: pair: {message}")
    assert json.loads(as_json.stdout)["field"] == "pair"
    for stored in ("GBPJPY", "GBPJPX", "GBPGBP"):
        assert services.trading_state.fx_rates.get(stored) is None


def test_fx_set_accepts_a_crypto_settlement_asset(stack: Stack) -> None:
    rate = mats_json(stack, "fx", "set", "usdt/usd", "0.9998")

    assert (rate["base_currency"], rate["quote_currency"], rate["rate"]) == (
        "USDT",
        "USD",
        "0.9998",
    )


# --- allocations never silently drop a strategy that still trades ----------------------------


@pytest.fixture
def held(stack: Stack) -> dict[str, str]:
    """A strategy at 10% of the ACTIVE allocation that holds 600 MSFT, and one more strategy."""
    account, held_id, other_id = unique("HOLD"), unique("holder"), unique("other")
    record_account(stack, account)
    for strategy_id in (held_id, other_id):
        mats_json(stack, *create_args(strategy_id, account))
    # The session's stack is shared: earlier tests' strategies may still hold positions.
    mats_json(stack, "allocations", "set", f"{held_id}=10", "--allow-close")
    mats_json(stack, "positions", "set", account, held_id, "MSFT", "600")
    return {"account": account, "held": held_id, "other": other_id}


@pytest.mark.parametrize("held_percent", [None, "0"])
def test_allocations_set_refuses_to_drop_a_strategy_that_holds_a_position(
    stack: Stack, held: dict[str, str], held_percent: str | None
) -> None:
    before = mats_json(stack, "allocations", "current")
    kept = () if held_percent is None else (f"{held['held']}={held_percent}",)

    text = mats(stack, "allocations", "set", f"{held['other']}=20", *kept)
    as_json = mats(stack, "allocations", "set", f"{held['other']}=20", *kept, "--json")

    assert text.returncode == as_json.returncode == 1
    assert text.stderr.startswith("error: allocations: would drop to 0% while still trading: ")
    assert f"{held['held']} (was 10%; holds long 600 MSFT on {held['account']})" in text.stderr
    assert "pass --allow-close to drop" in text.stderr
    assert json.loads(as_json.stdout)["field"] == "allocations"
    assert mats_json(stack, "allocations", "current") == before


def test_allocations_set_with_allow_close_drops_it_and_says_so(
    stack: Stack, held: dict[str, str]
) -> None:
    text = mats(stack, "allocations", "set", f"{held['other']}=20", "--allow-close")
    current = mats_json(stack, "allocations", "current")

    assert text.returncode == 0, text.stderr
    assert (
        f"Dropped to 0% while still trading: {held['held']} (was 10%; holds long 600 MSFT on "
        f"{held['account']})"
    ) in text.stdout
    assert current["allocations"] == {held["other"]: "20"}
    assert mats_json(stack, "positions", "list", "--strategy", held["held"])[0]["quantity"] == "600"


def test_allocations_approve_of_a_recommendation_that_drops_a_held_strategy_needs_allow_close(
    stack: Stack, services: Any, held: dict[str, str]
) -> None:
    proposal = services.allocations.propose(
        {held["other"]: Decimal(20)}, run_id="OPT_TEST", metrics={}
    )

    refused = mats(stack, "allocations", "approve", proposal.allocation_id)
    pending = mats_json(stack, "allocations", "show", proposal.allocation_id)
    approved = mats_json(stack, "allocations", "approve", proposal.allocation_id, "--allow-close")

    assert refused.returncode == 1
    assert f"{held['held']} (was 10%; holds long 600 MSFT" in refused.stderr
    assert pending["status"] == "PENDING_APPROVAL"
    assert approved["allocation"]["status"] == "ACTIVE"
    assert [d["strategy_id"] for d in approved["dropped"]] == [held["held"]]
    assert approved["dropped"][0]["positions"] == [
        {"account": held["account"], "symbol": "MSFT", "quantity": "600"}
    ]


@pytest.mark.parametrize(
    ("assignments", "message"),
    [
        (("x =10", "x=20"), "name each strategy once"),
        (("=10",), "use STRATEGY=PERCENT"),
        (("x",), "use STRATEGY=PERCENT"),
        (("x=NaN",), "use STRATEGY=PERCENT"),
    ],
)
def test_allocations_set_refuses_assignments_it_cannot_read(
    stack: Stack, assignments: tuple[str, ...], message: str
) -> None:
    result = mats(stack, "allocations", "set", *assignments)

    assert result.returncode == 2
    assert message in result.stderr
