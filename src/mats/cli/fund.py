"""``mats fund``, ``nav`` and ``snapshots``: the fund's summary and settings, its NAV per unit
strikes and returns, and the hourly snapshots."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import click

from mats.cli.app import CliContext, pass_cli
from mats.cli.dashboard import dashboard_call
from mats.cli.figures import (
    fields,
    flags,
    moment,
    money,
    nav_per_unit,
    parse_day,
    percent,
    return_pct,
    signed_money,
    units,
)
from mats.cli.output import emit, json_option, table
from mats.codec import from_primitive
from mats.domain.accounting.views import (
    AccountLine,
    FundSettings,
    FundSummary,
    NavHistory,
    ReturnsView,
    Snapshot,
    StrikeRecord,
)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@click.group()
def fund() -> None:
    """The fund: its summary (equity, NAV, today's P&L, margin) and settings."""


@fund.command("show")
@json_option
@pass_cli
def show_fund(app: CliContext) -> None:
    """Show the fund summary read model and the fund's settings."""
    accounting = app.services.accounting
    report = {"settings": accounting.fund_settings(), "summary": accounting.summary()}
    emit(report, lambda r: render_fund(r["settings"], r["summary"]))


@fund.command("set")
@click.option(
    "--base-currency",
    required=True,
    metavar="CCY",
    help="The currency every aggregate is kept in (only before the first fill or NAV strike).",
)
@json_option
@pass_cli
def set_fund(app: CliContext, base_currency: str) -> None:
    """Change the fund's settings (through the dashboard function, their one writer)."""
    answer = dashboard_call(app, "/settings", {"base_currency": base_currency, "by": "cli"})
    stored = from_primitive(FundSettings, answer["settings"], "settings")
    emit(stored, lambda s: f"Base currency: {s.base_currency} (set by {s.updated_by}).")


def render_fund(settings: FundSettings, summary: FundSummary | None) -> str:
    origin = "default" if settings.updated_by == "default" else f"set by {settings.updated_by}"
    head = f"Fund in {settings.base_currency} ({origin})"
    if summary is None:
        return (
            f"{head}\nNo fund summary yet: the accounting writes one with the first fill or "
            "account update, or now with `mats snapshots take`."
        )
    ccy = summary.base_currency
    day = signed_money(summary.day_pnl, ccy)
    if summary.day_pnl_pct is not None:
        day += f" ({percent(summary.day_pnl_pct, signed=True)} of the day's starting equity)"
    margin = f"{money(summary.margin_used, ccy)} of {money(summary.margin_max, ccy)} max"
    if summary.margin_used_pct is not None:
        margin += f" ({percent(summary.margin_used_pct)} of equity)"
    rows = [
        ("As of", moment(summary.as_of)),
        ("Equity", money(summary.equity, ccy)),
        ("Accrued fees (senders)", money(summary.accrued_fees, ccy)),
        ("Held for withdrawals", money(summary.withdrawals_held, ccy)),
        ("NAV", money(summary.nav, ccy)),
        ("NAV per unit", nav_per_unit(summary.nav_per_unit)),
        ("Units in issue", units(summary.units_in_issue)),
        ("Today's P&L", day),
        ("Margin used", margin),
        ("Open positions", f"{summary.open_positions} ({summary.unpriced_positions} unpriced)"),
        ("FX translation", signed_money(summary.fx_translation, ccy)),
        ("Flags", flags(summary.flags)),
    ]
    text = f"{head}\n{fields(rows)}"
    if summary.accounts:
        text += "\n\n" + accounts_table(summary.accounts, ccy)
    return text


def accounts_table(accounts: tuple[AccountLine, ...], base: str) -> str:
    return table(
        [
            (
                a.account,
                a.broker,
                a.currency,
                money(a.equity, a.currency),
                money(a.margin_used, a.currency),
                money(a.equity_base, base),
                a.fx_rate,
                a.as_of,
                flags(a.flags),
            )
            for a in accounts
        ],
        [
            "ACCOUNT",
            "BROKER",
            "CCY",
            "EQUITY",
            "MARGIN USED",
            f"EQUITY ({base})",
            "FX RATE",
            "AS OF (UTC)",
            "FLAGS",
        ],
    )


@click.group()
def nav() -> None:
    """NAV per unit: strike it, its history and the fund's returns."""


@nav.command("strike")
@click.option(
    "--at",
    "at_date",
    metavar="YYYY-MM-DD",
    help="Strike a past date at MATS_NAV_STRIKE_AT, as the Scheduler would have (default: now).",
)
@json_option
@pass_cli
def strike(app: CliContext, at_date: str | None) -> None:
    """Strike the NAV per unit and deal the pending flows; once per date (a repeat answers
    with the first).

    The dashboard function strikes, as the Scheduler's daily call does.
    """
    on = parse_day(at_date, "at")
    answer = dashboard_call(app, "/strike", {"date": on.isoformat()} if on else {})
    record = from_primitive(StrikeRecord, answer["strike"], "strike")
    ccy = app.services.accounting.base_currency
    emit(answer, lambda r: render_strike(record, r["status"] == "struck", ccy))


def render_strike(record: StrikeRecord, new: bool, ccy: str) -> str:
    status = "struck" if new else "already struck: this is the first strike of the date"
    rows = [
        ("Equity", money(record.equity, ccy)),
        ("- fees owed to senders", money(record.fees_owed, ccy)),
        ("- held for withdrawals", money(record.withdrawals_held, ccy)),
        ("= fund NAV", money(record.fund_nav, ccy)),
        ("NAV per unit", nav_per_unit(record.nav_per_unit)),
        ("Units", f"{units(record.units_before)} -> {units(record.units_after)}"),
        ("NAV after dealing", money(record.nav_after_dealing, ccy)),
        ("Residual (the fund's)", signed_money(record.residual, ccy)),
        ("Dealt", flags(record.dealt)),
        ("Refused", flags(record.refused)),
        ("Flags", flags(record.flags)),
    ]
    return f"NAV strike {record.strike_id} at {moment(record.at)}: {status}\n{fields(rows)}"


@nav.command("history")
@click.option("--year", type=click.IntRange(1970, 9999), help="Default: this year (UTC).")
@json_option
@pass_cli
def history(app: CliContext, year: int | None) -> None:
    """Show a year of NAV per unit, a line per strike."""
    services = app.services
    wanted = year or services.clock.now().year
    page = services.accounting.nav_history(wanted)
    emit(page, lambda p: render_history(p, services.accounting.base_currency))


def render_history(page: NavHistory, ccy: str) -> str:
    if not page.points:
        return f"No NAV strikes in {page.year}."
    return table(
        [
            (p.on, nav_per_unit(p.nav_per_unit), money(p.nav, ccy), units(p.units))
            for p in page.points
        ],
        ["DATE", "NAV PER UNIT", f"NAV ({ccy})", "UNITS"],
    )


@nav.command("returns")
@click.option("--year", type=click.IntRange(1970, 9999), help="Every month of that year.")
@json_option
@pass_cli
def returns(app: CliContext, year: int | None) -> None:
    """Show the fund's time-weighted returns: months by year (the latest 24, or every month of
    --year), year on year, year to date, since inception and the maximum drawdown."""
    accounting = app.services.accounting
    emit(accounting.returns_of(year) if year else accounting.returns(), render_returns)


def render_returns(view: ReturnsView | None) -> str:
    if view is None or not view.months:
        return "No NAV strikes yet: returns start with the first (`mats nav strike`)."
    return "\n".join(
        [
            "Time-weighted returns (ratios of month-end NAV per unit, the same for every client)",
            returns_table(view),
            "",
            fields(
                [
                    ("Year to date", return_pct(view.year_to_date)),
                    ("Since inception", return_pct(view.since_inception)),
                    ("Max drawdown", return_pct(view.max_drawdown)),
                    ("NAV per unit", nav_per_unit(view.nav_per_unit)),
                    ("As of", moment(view.as_of)),
                ]
            ),
        ]
    )


def returns_table(view: ReturnsView) -> str:
    """Years down, months across, and each year's return (year on year) at the end."""
    by_month = {m.month: m.value for m in view.months}
    by_year = {y.year: y.value for y in view.years}
    years = sorted({int(month[:4]) for month in by_month} | set(by_year))
    rows: list[list[Any]] = [
        [
            year,
            *(
                return_pct(by_month[key]) if (key := f"{year}-{n:02d}") in by_month else ""
                for n in range(1, 13)
            ),
            return_pct(by_year.get(year)),
        ]
        for year in years
    ]
    return table(rows, ["YEAR", *(m.upper() for m in MONTHS), "YEAR %"])


@click.group()
def snapshots() -> None:
    """Hourly snapshots of every position and account, as valued then."""


@snapshots.command("list")
@click.option("--limit", type=click.IntRange(1, 500), default=24, show_default=True)
@json_option
@pass_cli
def list_snapshots(app: CliContext, limit: int) -> None:
    """List the latest snapshots, newest first."""
    emit(app.services.accounting.snapshots.list(limit=limit), snapshots_table)


@snapshots.command("take")
@json_option
@pass_cli
def take(app: CliContext) -> None:
    """Snapshot the fund now and refresh the read models; once per hour (a repeat answers with
    the first).

    The dashboard function takes it, as the Scheduler's hourly call does.
    """
    answer = dashboard_call(app, "/snapshot", {})
    emit(answer, lambda r: render_taken(r, app.services.accounting.base_currency))


def render_taken(answer: dict[str, Any], ccy: str) -> str:
    brief = answer["snapshot"]
    note = "taken" if answer["status"] == "taken" else "already taken this hour: this is the first"
    rows = [
        ("At", str(brief["at"])),
        ("Equity", money(Decimal(brief["equity"]), ccy)),
        ("Margin used", money(Decimal(brief["margin_used"]), ccy)),
        ("Positions", str(answer.get("positions", "-"))),
        ("Flags", flags(brief.get("flags") or ())),
    ]
    return f"Snapshot {brief['snapshot_id']}: {note}\n{fields(rows)}"


def snapshots_table(items: list[Snapshot]) -> str:
    if not items:
        return "No snapshots yet: `mats snapshots take` (the Scheduler takes one every hour)."
    return table(
        [
            (
                s.snapshot_id,
                s.at,
                money(s.equity, s.base_currency),
                money(s.margin_used, s.base_currency),
                len(s.positions),
                len(s.accounts),
                _total(s.strategy_totals, s.base_currency),
                flags(s.flags),
            )
            for s in items
        ],
        [
            "ID",
            "AT (UTC)",
            "EQUITY",
            "MARGIN USED",
            "POSITIONS",
            "ACCOUNTS",
            "P&L TO DATE",
            "FLAGS",
        ],
    )


def _total(totals: dict[str, Decimal], ccy: str) -> str:
    return signed_money(sum(totals.values(), Decimal(0)), ccy)
