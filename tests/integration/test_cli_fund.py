"""The fund's CLI — ``mats fund``, ``clients``, ``nav``, ``payouts``, ``pnl``, ``snapshots`` and
``shortfall`` — run as a user runs it against the session's local stack.

NAV strikes are fund-wide, once per date and only forward, so a fund shared with the other tests
could not be struck at the past dates a story needs. Each fund here is therefore a Firestore
project of its own on the stack's emulator, with its own ``functions/dashboard`` process (the
commands that strike, crystallise, snapshot or change settings call it, as the Scheduler does)
and a ``stack.json`` that points the real ``mats`` binary at both. The facts a broker would
report (account updates, fills and the signals behind them) are given to the accounting
directly; everything else goes through the CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mats.domain.accounting.shortfall import ExecutionPrices, shortfall, summarise
from mats.domain.trading import Side
from mats.localstack.probes import free_port
from tests.conftest import BIN, REPO, Stack, unique
from tests.integration.accounting.conftest import Books
from tests.integration.test_cli import mats

D = Decimal
TODAY = datetime.now(UTC).date()
MONTH_END = TODAY.replace(day=1) - timedelta(days=1)  # The last day of last month.
MONTH = MONTH_END.strftime("%Y-%m")
DAY_1, DAY_2, DAY_3 = (MONTH_END.replace(day=day) for day in (3, 10, 20))
TOMORROW = TODAY + timedelta(days=1)


@dataclass
class Fund:
    """A fund of its own: its state directory for ``mats``, and its services for the facts."""

    state_dir: Path
    services: Any
    books: Books

    @property
    def accounting(self) -> Any:
        return self.services.accounting


@contextmanager
def fund_of_its_own(stack: Stack, directory: Path) -> Iterator[Fund]:
    from mats.bootstrap import bootstrap  # noqa: PLC0415 - needs the stack's environment.

    project = unique("fund")
    port = free_port()
    env = {**os.environ, "GOOGLE_CLOUD_PROJECT": project, "THREADS": "1"}
    argv = [str(BIN / "functions-framework"), "--target", "dashboard"]
    argv += ["--signature-type", "http", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        argv,
        cwd=REPO / "functions" / "dashboard",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(url, process)
    info = {
        **stack.info,
        "project_id": project,
        "function_urls": {**stack.info["function_urls"], "dashboard": url},
    }
    (directory / "stack.json").write_text(json.dumps(info))
    services = bootstrap(env)
    try:
        yield Fund(directory, services, Books(services, services.clock))
    finally:
        services.close()
        process.terminate()
        process.wait(10)


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"the dashboard function at {url} did not start")


def run(fund: Fund, *args: str) -> subprocess.CompletedProcess[str]:
    return mats(None, *args, state_dir=str(fund.state_dir))


def ok(fund: Fund, *args: str) -> Any:
    done = run(fund, *args, "--json")
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout)


def text(fund: Fund, *args: str) -> str:
    done = run(fund, *args)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def refused(fund: Fund, *args: str, field: str) -> str:
    """Run a command that must be refused naming ``field``: exit 1 in text and in JSON."""
    as_text = run(fund, *args)
    as_json = run(fund, *args, "--json")
    assert as_text.returncode == 1, as_text.stdout + as_text.stderr
    assert as_text.stderr.startswith(f"error: {field}: "), as_text.stderr
    assert as_json.returncode == 1, as_json.stdout + as_json.stderr
    assert json.loads(as_json.stdout)["field"] == field
    return as_text.stderr


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, dt_time(hour), UTC)


# --- a fund with a month of history --------------------------------------------------------


@pytest.fixture(scope="module")
def fund(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fund]:
    with fund_of_its_own(stack, tmp_path_factory.mktemp("fund")) as opened:
        yield opened


@pytest.fixture(scope="module")
def story(fund: Fund) -> dict[str, Any]:
    """Last month: alice deposits 10,000 (day 3), a sender's signals make 500 (day 10) as bob
    deposits 5,000, alice withdraws 1,040 (day 20); a strike each of those days."""
    accounting, books = fund.accounting, fund.books
    alice, bob = unique("alice"), unique("bob")
    sender_id = ok(fund, "senders", "create", unique("Fund Sender"))["sender"]["sender_id"]
    strategy, account = unique("fund-trend"), unique("FUND_ACC")
    accounting.on_account(books.account(account, currency="USD", equity="10000", at=at(DAY_1, 9)))
    ok(fund, "clients", "create", alice, "--name", "Alice Example", "--email", "a@example.com")
    ok(fund, "clients", "create", bob, "--name", "Bob Example")
    first_deposit = ok(fund, "clients", "deposit", alice, "10000", "--date", str(DAY_1))
    strikes = {DAY_1: ok(fund, "nav", "strike", "--at", str(DAY_1))}

    for signal, side, price, hour in (
        ("open", Side.BUY, "100", 10),
        ("close", Side.SELL, "150", 11),
    ):
        signal_id = f"{strategy}_{signal}"
        books.signal(signal_id, strategy_id=strategy, sender_id=sender_id)
        fill = books.fill(
            f"{signal_id}-e1",
            signal_id=signal_id,
            strategy_id=strategy,
            account=account,
            symbol="FUNDX",
            side=side,
            quantity="10",
            price=price,
            at=at(DAY_2, hour),
        )
        accounting.on_fill(fill, message_id=f"{signal_id}-m1")
    # 10 x (150 - 100) = 500 made; bob's 5,000 is at the broker before it is dealt.
    accounting.on_account(books.account(account, currency="USD", equity="15500", at=at(DAY_2, 12)))
    ok(fund, "clients", "deposit", bob, "5000", "--date", str(DAY_2))
    strikes[DAY_2] = ok(fund, "nav", "strike", "--at", str(DAY_2))
    withdrawal = ok(fund, "clients", "withdraw", alice, "--amount", "1040", "--date", str(DAY_3))
    strikes[DAY_3] = ok(fund, "nav", "strike", "--at", str(DAY_3))
    return {
        "alice": alice,
        "bob": bob,
        "sender": sender_id,
        "strategy": strategy,
        "account": account,
        "first_deposit": first_deposit,
        "withdrawal": withdrawal,
        "strikes": strikes,
    }


def test_nav_strike_deals_each_flow_at_the_days_nav_per_unit(
    fund: Fund, story: dict[str, Any]
) -> None:
    first, second, third = (story["strikes"][day] for day in (DAY_1, DAY_2, DAY_3))

    assert first["status"] == "struck"
    # The first subscription is at 100: 10,000 buys 100 units.
    assert first["strike"]["nav_per_unit"] == "100.000000"
    assert first["strike"]["holdings"] == {story["alice"]: "100.000000"}
    # Day 10: equity 15,500 - the 20% fee accrued on the sender's 500 (100) = 15,400; without
    # bob's 5,000, 10,400 over 100 units: 104. Bob gets 5,000 / 104 = 48.076923 (rounded down).
    assert second["strike"]["fund_nav"] == "15400.00"
    assert second["strike"]["nav_per_unit"] == "104.000000"
    assert second["strike"]["holdings"][story["bob"]] == "48.076923"
    # Day 20: the 1,040 withdrawn cancels 1,040 / 104 = 10 units.
    assert third["strike"]["nav_per_unit"] == "104.000000"
    assert third["strike"]["holdings"][story["alice"]] == "90.000000"
    assert third["strike"]["dealt"] == [story["withdrawal"]["flow_id"]]


def test_nav_strike_text_shows_the_nav_arithmetic(fund: Fund, story: dict[str, Any]) -> None:
    shown = text(fund, "nav", "strike", "--at", str(DAY_2))

    assert f"NAV strike {DAY_2} at {DAY_2} 22:00 UTC: already struck" in shown
    assert "Equity                  15,500.00 USD" in shown
    assert "- fees owed to senders  100.00 USD" in shown
    assert "= fund NAV              15,400.00 USD" in shown
    assert "NAV per unit            104.000000" in shown


def test_a_repeated_strike_answers_with_the_first(fund: Fund, story: dict[str, Any]) -> None:
    again = ok(fund, "nav", "strike", "--at", str(DAY_1))

    assert again["status"] == "repeat"
    assert again["strike"] == story["strikes"][DAY_1]["strike"]


def test_bad_strike_dates_are_refused_naming_the_field(fund: Fund, story: dict[str, Any]) -> None:
    before = ok(fund, "nav", "history", "--year", str(MONTH_END.year))

    future = refused(fund, "nav", "strike", "--at", str(TOMORROW), field="at")
    backwards = refused(fund, "nav", "strike", "--at", str(DAY_2 + timedelta(days=1)), field="at")
    garbled = refused(fund, "nav", "strike", "--at", "20/01/2026", field="at")

    assert "is in the future" in future
    assert "strikes only go forward" in backwards
    assert "must be a date YYYY-MM-DD, got '20/01/2026'" in garbled
    assert ok(fund, "nav", "history", "--year", str(MONTH_END.year)) == before


def test_nav_history_and_returns(fund: Fund, story: dict[str, Any]) -> None:
    history = ok(fund, "nav", "history", "--year", str(MONTH_END.year))
    returns = ok(fund, "nav", "returns")
    shown = text(fund, "nav", "returns")
    table = text(fund, "nav", "history", "--year", str(MONTH_END.year))

    assert [p["on"] for p in history["points"]] == [str(DAY_1), str(DAY_2), str(DAY_3)]
    assert [p["nav_per_unit"] for p in history["points"]] == [
        "100.000000",
        "104.000000",
        "104.000000",
    ]
    # Month on month: 104 / 100 - 1 = 4%.
    assert D({m["month"]: m["value"] for m in returns["months"]}[MONTH]) == D("0.04")
    assert D(returns["since_inception"]) == D("0.04")
    assert D(returns["max_drawdown"]) == 0
    month_column = MONTH_END.strftime("%b").upper()
    header, row = shown.splitlines()[1:3]
    assert header.startswith("YEAR  JAN")
    assert header.endswith("YEAR %")
    assert row[header.index(month_column) :].startswith("+4.00%")
    assert "Since inception  +4.00%" in shown
    assert f"{DAY_2}  104.000000    15,400.00 USD" in table


def test_clients_show_what_an_investor_holds(fund: Fund, story: dict[str, Any]) -> None:
    alice = story["alice"]

    view = ok(fund, "clients", "show", alice)
    shown = text(fund, "clients", "show", alice)

    # 90 units x 104 = 9,360; in 10,000, out 1,040: 8,960 net, 400 profit.
    assert (view["units"], view["nav_per_unit"], view["value"]) == (
        "90.000000",
        "104.000000",
        "9360.00",
    )
    assert (view["net_contributions"], view["profit"]) == ("8960.00", "400.00")
    assert D(view["irr"]) > 0
    assert [f["status"] for f in view["flows"]] == ["DEALT", "DEALT"]
    assert f"Client {alice} (Alice Example), as at the NAV strike of {DAY_3} 22:00 UTC" in shown
    assert "Value                           9,360.00 USD" in shown
    assert "Net contributions               8,960.00 USD" in shown
    assert "Profit                          +400.00 USD" in shown
    assert "IRR, money-weighted (your own)  +" in shown
    assert "Fund return since inception     +4.00% (time-weighted" in shown
    assert "Monthly returns (time-weighted)" in shown
    assert story["withdrawal"]["flow_id"] in shown


def test_clients_list_shows_every_investors_holding(fund: Fund, story: dict[str, Any]) -> None:
    rows = {row["client_id"]: row for row in ok(fund, "clients", "list")}
    shown = text(fund, "clients", "list")

    assert rows[story["alice"]]["value"] == "9360.00"
    # 48.076923 x 104 = 4,999.999992: 5,000.00 to the cent.
    assert rows[story["bob"]]["value"] == "5000.00"
    assert rows[story["bob"]]["email"] is None
    assert shown.startswith("ID")
    assert "9,360.00 USD" in shown


def test_a_pending_deposit_shows_until_it_is_dealt(fund: Fund, story: dict[str, Any]) -> None:
    carol = unique("carol")
    ok(fund, "clients", "create", carol, "--name", "Carol")

    flow = ok(fund, "clients", "deposit", carol, "250.50")
    view = ok(fund, "clients", "show", carol)
    shown = text(fund, "clients", "show", carol)

    assert (flow["status"], flow["amount"]) == ("PENDING", "250.50")
    assert [p["flow_id"] for p in view["pending"]] == [flow["flow_id"]]
    assert view["units"] == "0"
    assert "Pending (dealt at the next NAV strike)" in shown
    assert "250.50 USD" in shown


def test_a_flow_for_an_unknown_client_is_refused(fund: Fund, story: dict[str, Any]) -> None:
    nobody = unique("nobody")

    deposit = refused(fund, "clients", "deposit", nobody, "100", field="client")
    refused(fund, "clients", "withdraw", nobody, "--amount", "100", field="client")
    refused(fund, "clients", "show", nobody, field="client")

    assert f"no client '{nobody}'" in deposit
    assert nobody not in {row["client_id"] for row in ok(fund, "clients", "list")}


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5", "must be positive, got -5"),
        ("0", "must be positive, got 0"),
        ("ten", "not a number: 'ten'"),
        ("10.001", "at most 2 decimal places"),
    ],
)
def test_a_bad_deposit_amount_is_refused_and_changes_nothing(
    fund: Fund, story: dict[str, Any], amount: str, message: str
) -> None:
    before = ok(fund, "clients", "show", story["bob"])

    error = refused(fund, "clients", "deposit", story["bob"], amount, field="amount")

    assert message in error
    assert ok(fund, "clients", "show", story["bob"]) == before


def test_a_flow_dated_in_the_future_or_garbled_is_refused(
    fund: Fund, story: dict[str, Any]
) -> None:
    before = ok(fund, "clients", "show", story["bob"])

    future = refused(
        fund, "clients", "deposit", story["bob"], "100", "--date", str(TOMORROW), field="date"
    )
    garbled = refused(
        fund, "clients", "deposit", story["bob"], "100", "--date", "2026-02-30", field="date"
    )
    withdrawal = refused(
        fund,
        "clients",
        "withdraw",
        story["bob"],
        "--units",
        "1",
        "--date",
        str(TOMORROW),
        field="date",
    )

    assert "is in the future" in future
    assert "must be a date YYYY-MM-DD" in garbled
    assert "is in the future" in withdrawal
    assert ok(fund, "clients", "show", story["bob"]) == before


def test_a_withdrawal_above_the_holding_is_refused(fund: Fund, story: dict[str, Any]) -> None:
    alice = story["alice"]
    before = ok(fund, "clients", "show", alice)

    by_units = refused(fund, "clients", "withdraw", alice, "--units", "90.000001", field="units")
    by_amount = refused(fund, "clients", "withdraw", alice, "--amount", "9360.01", field="amount")
    negative = refused(fund, "clients", "withdraw", alice, "--amount", "-1", field="amount")
    both = refused(
        fund, "clients", "withdraw", alice, "--amount", "1", "--units", "1", field="amount"
    )

    assert f"{alice} holds 90.000000 units free to withdraw (worth 9360.00" in by_units
    assert "the withdrawal asks for more" in by_amount
    assert "must be positive" in negative
    assert "not both" in both
    assert ok(fund, "clients", "show", alice) == before


def test_paying_a_withdrawal_records_it_once(fund: Fund, story: dict[str, Any]) -> None:
    flow_id = story["withdrawal"]["flow_id"]

    paid = ok(fund, "clients", "pay", flow_id, "--reference", "TR-1")
    twice = refused(fund, "clients", "pay", flow_id, "--reference", "TR-2", field="flow")
    not_owed = refused(
        fund, "clients", "pay", story["first_deposit"]["flow_id"], "--reference", "X", field="flow"
    )
    shown = text(fund, "clients", "show", story["alice"])

    assert paid["paid_reference"] == "TR-1"
    assert "already paid (TR-1)" in twice
    assert "no cash is owed" in not_owed
    assert "TR-1" in shown
    assert "TR-2" not in shown


def test_payouts_crystallise_list_show_and_mark_paid(fund: Fund, story: dict[str, Any]) -> None:
    sender = story["sender"]
    payout_id = f"{sender}__{MONTH}"

    done = ok(fund, "payouts", "crystallise", "--month", MONTH)
    again = ok(fund, "payouts", "crystallise", "--month", MONTH)
    listed = ok(fund, "payouts", "list", "--sender", sender)
    by_month = ok(fund, "payouts", "list", "--month", MONTH)
    shown = text(fund, "payouts", "show", payout_id)
    paid = ok(fund, "payouts", "mark-paid", payout_id, "--reference", "PAY-1", "--by", "ops")
    table = text(fund, "payouts", "list", "--sender", sender)

    ours = [p for p in done["payouts"] if p["payout_id"] == payout_id]
    assert len(ours) == 1
    # C = 500 at the month's last strike, HWM 0: 20% x 500 = 100, over the 50 minimum.
    crystallised = ours[0]["crystallisation"]
    assert (crystallised["cumulative_pnl"], crystallised["fee"], crystallised["payable"]) == (
        "500.00",
        "100.00",
        "100.00",
    )
    assert crystallised["hwm_after"] == "500.00"
    assert crystallised["payment_date"] == str(TODAY.replace(day=1))
    assert again["payouts"] == done["payouts"]
    assert [p["payout_id"] for p in listed] == [payout_id]
    assert payout_id in {p["payout_id"] for p in by_month}
    assert "Fee                    100.00 USD" in shown
    assert "Status                 DUE" in shown
    assert (paid["paid_reference"], paid["paid_by"]) == ("PAY-1", "ops")
    assert "PAID" in table
    assert "PAY-1" in table


def test_a_payout_marked_paid_twice_is_refused_and_keeps_the_first(
    fund: Fund, story: dict[str, Any]
) -> None:
    payout_id = f"{story['sender']}__{MONTH}"
    ok(fund, "payouts", "crystallise", "--month", MONTH)
    if ok(fund, "payouts", "show", payout_id)["paid_at"] is None:
        ok(fund, "payouts", "mark-paid", payout_id, "--reference", "PAY-1")
    before = ok(fund, "payouts", "show", payout_id)

    error = refused(fund, "payouts", "mark-paid", payout_id, "--reference", "PAY-2", field="payout")

    assert "was already paid on" in error
    assert ok(fund, "payouts", "show", payout_id) == before
    refused(fund, "payouts", "show", unique("nopayout"), field="payout")


def test_bad_months_are_refused_naming_the_field(fund: Fund, story: dict[str, Any]) -> None:
    before = ok(fund, "payouts", "list")

    garbled = refused(fund, "payouts", "crystallise", "--month", "2026-13", field="month")
    this_month = refused(
        fund, "payouts", "crystallise", "--month", TODAY.strftime("%Y-%m"), field="month"
    )
    listing = refused(fund, "payouts", "list", "--month", "May", field="month")

    assert "must be YYYY-MM, got '2026-13'" in garbled
    assert "has not ended" in this_month
    assert "must be YYYY-MM" in listing
    assert ok(fund, "payouts", "list") == before


def test_payout_terms_show_and_change(fund: Fund, story: dict[str, Any]) -> None:
    sender = story["sender"]
    ok(fund, "payouts", "crystallise", "--month", MONTH)  # The HWM is set at a month-end.

    shown = ok(fund, "payouts", "terms", sender)
    changed = ok(
        fund, "payouts", "terms", sender, "--rate", "0.25", "--min-payout", "100",
        "--payment-day", "5",
    )  # fmt: skip
    described = text(fund, "payouts", "terms", sender)

    assert shown["terms"] == {"rate": "0.20", "min_payout": "50", "payment_day": 1}
    assert shown["standing"]["hwm"] == "500.00"
    assert shown["cumulative_pnl"] == "500.00"
    assert changed["terms"] == {"rate": "0.25", "min_payout": "100", "payment_day": 5}
    assert "Fee rate            25.00% of new profit above the HWM" in described
    assert "Minimum payout      100.00 USD" in described


@pytest.mark.parametrize(
    ("option", "value", "field", "message"),
    [
        ("--rate", "2", "rate", "must be between 0 and 1"),
        ("--rate", "lots", "rate", "not a number: 'lots'"),
        ("--min-payout", "-1", "min_payout", "must be zero or more"),
        ("--payment-day", "31", "payment_day", "must be 1 to 28"),
        ("--payment-day", "first", "payment_day", "not a whole number"),
    ],
)
def test_bad_payout_terms_are_refused_and_change_nothing(
    fund: Fund, story: dict[str, Any], option: str, value: str, field: str, message: str
) -> None:
    sender = story["sender"]
    before = ok(fund, "payouts", "terms", sender)

    error = refused(fund, "payouts", "terms", sender, option, value, field=field)

    assert message in error
    assert ok(fund, "payouts", "terms", sender) == before


def test_payout_terms_of_an_unknown_sender_are_refused(fund: Fund, story: dict[str, Any]) -> None:
    error = refused(fund, "payouts", "terms", unique("ghost"), "--rate", "0.1", field="sender")

    assert "see `mats senders list`" in error


def test_fund_show_summarises_the_fund(fund: Fund, story: dict[str, Any]) -> None:
    report = ok(fund, "fund", "show")
    shown = text(fund, "fund", "show")

    assert report["settings"]["base_currency"] == "USD"
    summary = report["summary"]
    assert summary["equity"] == "15500.00"
    assert summary["nav_per_unit"] == "104.000000"
    assert shown.startswith("Fund in USD (default)\n")
    assert "Equity                  15,500.00 USD" in shown
    assert "NAV per unit            104.000000" in shown
    assert story["account"] in shown


def test_the_base_currency_cannot_change_once_the_books_are_kept(
    fund: Fund, story: dict[str, Any]
) -> None:
    error = refused(fund, "fund", "set", "--base-currency", "EUR", field="base_currency")

    assert "already keeps its books in USD" in error
    assert ok(fund, "fund", "show")["settings"]["base_currency"] == "USD"


def test_pnl_by_every_group(fund: Fund, story: dict[str, Any]) -> None:
    strategy, sender = story["strategy"], story["sender"]

    whole = ok(fund, "pnl")
    strategies = ok(fund, "pnl", "--by", "strategy", "--strategy", strategy)
    senders = ok(fund, "pnl", "--by", "sender", "--sender", sender)
    accounts = ok(fund, "pnl", "--by", "account")
    signals = ok(fund, "pnl", "--by", "signal", "--sender", sender)
    shown = text(fund, "pnl", "--by", "strategy")

    assert (whole[0]["realized"], whole[0]["net"]) == ("500.00", "500.00")
    assert [(v["name"], v["net"]) for v in strategies] == [(strategy, "500.00")]
    assert [(v["name"], v["net"]) for v in senders] == [(sender, "500.00")]
    assert story["account"] in {v["name"] for v in accounts}
    assert D({s["signal_id"]: s["realized"] for s in signals}[f"{strategy}_open"]) == 500
    assert shown.startswith("STRATEGY")
    assert "+500.00 USD" in shown
    refused(fund, "pnl", "--by", "strategy", "--sender", sender, field="sender")


def test_snapshots_take_and_list(fund: Fund, story: dict[str, Any]) -> None:
    first = ok(fund, "snapshots", "take")
    again = ok(fund, "snapshots", "take")
    listed = ok(fund, "snapshots", "list", "--limit", "5")
    shown = text(fund, "snapshots", "list")

    assert first["status"] in ("taken", "repeat")
    assert again["status"] == "repeat"
    assert again["snapshot"]["snapshot_id"] == first["snapshot"]["snapshot_id"]
    assert listed[0]["snapshot_id"] == first["snapshot"]["snapshot_id"]
    assert listed[0]["equity"] == "15500.00"
    assert "15,500.00 USD" in shown


def test_shortfall_by_strategy_and_sender(fund: Fund, story: dict[str, Any]) -> None:
    strategy, sender = story["strategy"], story["sender"]
    measured = shortfall(
        ExecutionPrices(
            order_id=f"{strategy}_open_ORD",
            strategy_id=strategy,
            sender_id=sender,
            side=Side.BUY,
            quantity_ordered=D(10),
            quantity_filled=D(10),
            sender_price=D("99.90"),
            decision_mid=D("99.95"),
            arrival_mid=D("99.98"),
            fill_vwap=D(100),
            commission_base=D(1),
            base_rate=D(1),
        )
    )
    records = fund.services.records  # What the accounting measures on a fill of a known order.
    for group, name in (("strategy", strategy), ("sender", sender)):
        records.put("shortfall_views", f"{group}__{name}", summarise(f"{group}:{name}", [measured]))

    by_strategy = ok(fund, "shortfall")
    one = ok(fund, "shortfall", "--by", "sender", "--name", sender)
    shown = text(fund, "shortfall", "--name", strategy)
    nothing = text(fund, "shortfall", "--name", unique("none"))

    assert f"strategy:{strategy}" in {s["group"] for s in by_strategy}
    # A buy filled at 100 against the sender's 99.90: (100 - 99.90) / 99.90 = 10.0100 bp.
    assert one["weighted_mean_bps"] == "10.0100"
    assert "positive = cost" in shown
    assert "+10.01" in shown
    assert "Worst orders" in shown
    assert "No execution quality measured for strategy" in nothing


# --- a fund with nothing in it yet ---------------------------------------------------------


def test_a_new_fund_says_it_has_no_summary_and_takes_a_base_currency(
    stack: Stack, tmp_path: Path
) -> None:
    with fund_of_its_own(stack, tmp_path) as empty:
        before = text(empty, "fund", "show")
        returns = text(empty, "nav", "returns")
        payouts = text(empty, "payouts", "list")
        clients = text(empty, "clients", "list")
        snapshots = text(empty, "snapshots", "list")

        changed = ok(empty, "fund", "set", "--base-currency", "eur")
        after = ok(empty, "fund", "show")
        bad = refused(empty, "fund", "set", "--base-currency", "EURO", field="base_currency")

    assert before.startswith("Fund in USD (default)\nNo fund summary yet")
    assert "No NAV strikes yet" in returns
    assert payouts.strip() == "No payouts."
    assert "No clients yet" in clients
    assert "No snapshots yet" in snapshots
    assert (changed["base_currency"], changed["updated_by"]) == ("EUR", "cli")
    assert after["settings"]["base_currency"] == "EUR"
    assert after["summary"] is None
    assert "EURO" in bad


def test_a_client_before_any_strike_holds_nothing_yet(stack: Stack, tmp_path: Path) -> None:
    with fund_of_its_own(stack, tmp_path) as empty:
        ok(empty, "clients", "create", "dana", "--name", "Dana")
        flow = ok(empty, "clients", "deposit", "dana", "1000")
        view = ok(empty, "clients", "show", "dana")
        shown = text(empty, "clients", "show", "dana")
        duplicate = refused(empty, "clients", "create", "dana", "--name", "Dana", field="client_id")

    assert (view["units"], view["value"], view["nav_per_unit"]) == ("0", "0.00", None)
    assert [p["flow_id"] for p in view["pending"]] == [flow["flow_id"]]
    assert "no NAV strike has dealt anything yet" in shown
    assert "already exists" in duplicate
