"""The fund commands' parsing and formatting: money to the cent, labelled percentages, aligned
tables, and bad input refused naming the field before anything is asked of the fund."""

from __future__ import annotations

import io
import json
import urllib.error
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner

from mats.cli.app import cli
from mats.cli.dashboard import _refusal
from mats.cli.figures import (
    fields,
    money,
    parse_day,
    parse_month_option,
    parse_number,
    parse_whole,
    percent,
    return_pct,
    signed_money,
)
from mats.cli.fund import render_fund, render_returns, returns_table
from mats.domain.accounting.views import (
    FundSettings,
    FundSummary,
    MonthReturn,
    ReturnsView,
    YearReturn,
)
from mats.errors import MatsError, TemporaryError, ValidationError

D = Decimal
NOW = datetime(2026, 3, 4, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (D("1234567.5"), "1,234,567.50 USD"),
        (D("0.005"), "0.01 USD"),  # Half-up, as the accounting rounds.
        (D("-0.005"), "-0.01 USD"),
        (D("2.675"), "2.68 USD"),
        (None, "-"),
    ],
)
def test_money_is_shown_to_the_cent_with_its_currency(amount: Decimal | None, shown: str) -> None:
    assert money(amount, "USD") == shown


def test_gains_and_losses_carry_their_sign() -> None:
    assert signed_money(D("400"), "EUR") == "+400.00 EUR"
    assert signed_money(D("-12"), "EUR") == "-12.00 EUR"


def test_returns_are_fractions_shown_as_signed_percentages() -> None:
    assert return_pct(D("0.04555036")) == "+4.56%"
    assert return_pct(D("-0.0303032080")) == "-3.03%"
    assert return_pct(None) == "-"
    assert percent(D("12.5")) == "12.50%"
    assert percent(D("0.5"), signed=True) == "+0.50%"


def test_fields_align_their_values() -> None:
    assert fields([("NAV", "1.00 USD"), ("NAV per unit", "100.000000")]) == (
        "NAV           1.00 USD\nNAV per unit  100.000000"
    )


@pytest.mark.parametrize("raw", ["2026-02-30", "20/01/2026", "2026-1-5", "yesterday", ""])
def test_a_bad_date_names_the_field(raw: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_day(raw, "date")

    assert raised.value.field == "date"
    assert "must be a date YYYY-MM-DD" in raised.value.message


def test_dates_months_and_numbers_parse() -> None:
    assert parse_day(" 2026-01-31 ", "at") == date(2026, 1, 31)
    assert parse_day(None, "at") is None
    assert parse_month_option("2026-02") == "2026-02"
    assert parse_number("0.25", "rate") == D("0.25")
    assert parse_whole("5", "payment_day") == 5


@pytest.mark.parametrize(
    ("parse", "raw", "field"),
    [
        (parse_month_option, "2026-13", "month"),
        (parse_month_option, "May", "month"),
        (parse_number, "lots", "rate"),
        (parse_number, "NaN", "rate"),
        (parse_whole, "1.5", "payment_day"),
    ],
)
def test_bad_months_and_numbers_name_the_field(parse: Any, raw: str, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse(raw, field)

    assert raised.value.field == field


def a_returns_view() -> ReturnsView:
    return ReturnsView(
        months=(
            MonthReturn("2025-12", D("0")),
            MonthReturn("2026-01", D("0.04555036")),
            MonthReturn("2026-02", D("-0.030303208")),
        ),
        years=(YearReturn(2025, D("0")), YearReturn(2026, D("0.01386683"))),
        year_to_date=D("0.01386683"),
        since_inception=D("0.01386683"),
        max_drawdown=D("-0.030303208"),
        nav_per_unit=D("101.386683"),
        as_of=NOW,
    )


def test_the_returns_table_has_years_down_months_across_and_the_year_at_the_end() -> None:
    lines = returns_table(a_returns_view()).splitlines()

    assert lines[0].split() == [
        "YEAR",
        *(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]),
        "YEAR",
        "%",
    ]
    header, first, second = lines
    assert first.startswith("2025")
    assert first[header.index("DEC") :].startswith("+0.00%")
    assert second[header.index("JAN") :].startswith("+4.56%")
    assert second[header.index("FEB") :].startswith("-3.03%")
    assert second.endswith("+1.39%")


def test_returns_are_labelled_time_weighted_with_ytd_inception_and_drawdown() -> None:
    shown = render_returns(a_returns_view())

    assert shown.startswith("Time-weighted returns")
    assert "Year to date     +1.39%" in shown
    assert "Since inception  +1.39%" in shown
    assert "Max drawdown     -3.03%" in shown
    assert render_returns(None).startswith("No NAV strikes yet")


def test_fund_show_says_when_no_summary_exists_yet() -> None:
    settings = FundSettings("USD", NOW, "default")

    assert render_fund(settings, None) == (
        "Fund in USD (default)\nNo fund summary yet: the accounting writes one with the first "
        "fill or account update, or now with `mats snapshots take`."
    )


def test_fund_show_labels_every_figure() -> None:
    summary = FundSummary(
        base_currency="EUR",
        equity=D("556896.71"),
        accrued_fees=D("100.00"),
        withdrawals_held=D("0.00"),
        nav=D("556796.71"),
        day_pnl=D("-1200.5"),
        day_pnl_pct=D("-0.22"),
        margin_used=D("50000"),
        margin_max=D("222758.68"),
        margin_used_pct=D("8.98"),
        open_positions=3,
        unpriced_positions=1,
        accounts=(),
        as_of=NOW,
        nav_per_unit=D("101.386683"),
        units_in_issue=D("5491.812946"),
    )

    shown = render_fund(FundSettings("EUR", NOW, "cli"), summary)

    assert shown.splitlines()[0] == "Fund in EUR (set by cli)"
    assert "Equity                  556,896.71 EUR" in shown
    assert "NAV                     556,796.71 EUR" in shown
    assert "NAV per unit            101.386683" in shown
    assert "Today's P&L             -1,200.50 EUR (-0.22% of the day's starting equity)" in shown
    assert "Margin used             50,000.00 EUR of 222,758.68 EUR max (8.98% of equity)" in shown
    assert "Open positions          3 (1 unpriced)" in shown


def http_error(code: int, body: Any) -> urllib.error.HTTPError:
    raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
    return urllib.error.HTTPError("http://dashboard/strike", code, "x", {}, io.BytesIO(raw))  # type: ignore[arg-type]


def test_the_dashboards_refusals_become_our_errors() -> None:
    named = _refusal(http_error(422, {"status": "invalid", "field": "at", "error": "in future"}))
    unnamed = _refusal(http_error(422, {"status": "invalid", "error": "no route"}))
    down = _refusal(http_error(503, {"status": "unavailable", "error": "store down"}))
    junk = _refusal(http_error(400, b"<html>bad</html>"))

    assert isinstance(named, ValidationError)
    assert (named.field, named.message) == ("at", "in future")
    assert type(unnamed) is MatsError
    assert isinstance(down, TemporaryError)
    assert str(junk) == "<html>bad</html>"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["nav", "strike", "--at", "2026-02-30"], "at"),
        (["payouts", "crystallise", "--month", "2026-13"], "month"),
        (["payouts", "list", "--month", "26-01"], "month"),
        (["clients", "withdraw", "alice"], "amount"),
        (["clients", "deposit", "alice", "100", "--date", "01/02/2026"], "date"),
    ],
)
def test_bad_input_is_refused_before_the_fund_is_reached(args: list[str], field: str) -> None:
    runner = CliRunner()

    as_text = runner.invoke(cli, ["--state-dir", "/nonexistent", *args])
    as_json = runner.invoke(cli, ["--state-dir", "/nonexistent", *args, "--json"])

    assert as_text.exit_code == as_json.exit_code == 1
    assert as_text.output.startswith(f"error: {field}: ")
    assert json.loads(as_json.output)["field"] == field
