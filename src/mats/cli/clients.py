"""``mats clients``: the fund's investors, their deposits and withdrawals, and what they hold.

Amounts are taken as typed and parsed by the accounting (positive, to the cent), so a negative or
non-numeric amount is an error naming the field, exit 1, like every other refusal.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import click

from mats.cli.app import CliContext, pass_cli
from mats.cli.figures import (
    fields,
    moment,
    money,
    nav_per_unit,
    parse_day,
    return_pct,
    signed_money,
    units,
)
from mats.cli.fund import returns_table
from mats.cli.output import emit, json_option, table
from mats.domain.accounting.views import ClientView, FlowLine, ReturnsView
from mats.domain.funds.units import ClientFlow, FlowStatus
from mats.errors import ValidationError

# Negative amounts must reach the accounting's parser (and its error), not read as options.
NUMBERS_AS_ARGUMENTS = {"ignore_unknown_options": True}


@dataclass(frozen=True)
class ClientRow:
    """One line of ``clients list``: who, and what they hold at the latest strike."""

    client_id: str
    name: str
    email: str | None
    created_at: datetime
    base_currency: str
    units: Decimal
    value: Decimal
    net_contributions: Decimal
    profit: Decimal
    pending: int


@click.group()
def clients() -> None:
    """Investors: create them, record deposits and withdrawals, show their units and value."""


@clients.command("create")
@click.argument("client_id")
@click.option("--name", required=True, help="The investor's name.")
@click.option("--email", help="Where statements go.")
@json_option
@pass_cli
def create(app: CliContext, client_id: str, name: str, email: str | None) -> None:
    """Register an investor (ids: letters, digits, '_', '.' or '-')."""
    client = app.services.accounting.investors.create_client(client_id, name, email=email)
    emit(
        client,
        lambda c: (
            f"Client {c.client_id} ({c.name}) created. Record a deposit with "
            f"`mats clients deposit {c.client_id} AMOUNT`."
        ),
    )


@clients.command("list")
@json_option
@pass_cli
def list_clients(app: CliContext) -> None:
    """List investors with their units and value at the latest NAV strike."""
    accounting = app.services.accounting
    views = {view.client_id: view for view in accounting.client_views()}
    pending = Counter(
        f.client_id for f in accounting.investors.flows() if f.status is FlowStatus.PENDING
    )
    base = accounting.base_currency
    rows = [
        ClientRow(
            client_id=c.client_id,
            name=c.name,
            email=c.email,
            created_at=c.created_at,
            base_currency=view.base_currency if view else base,
            units=view.units if view else Decimal(0),
            value=view.value if view else Decimal(0),
            net_contributions=view.net_contributions if view else Decimal(0),
            profit=view.profit if view else Decimal(0),
            pending=pending[c.client_id],
        )
        for c in accounting.investors.clients()
        for view in [views.get(c.client_id)]
    ]
    emit(rows, _clients_table)


def _clients_table(rows: list[ClientRow]) -> str:
    if not rows:
        return "No clients yet: `mats clients create ID --name NAME`."
    return table(
        [
            (
                r.client_id,
                r.name,
                r.email,
                units(r.units),
                money(r.value, r.base_currency),
                money(r.net_contributions, r.base_currency),
                signed_money(r.profit, r.base_currency),
                r.pending,
                r.created_at,
            )
            for r in rows
        ],
        [
            "ID",
            "NAME",
            "EMAIL",
            "UNITS",
            "VALUE",
            "NET CONTRIBUTIONS",
            "PROFIT",
            "PENDING",
            "CREATED (UTC)",
        ],
    )


@clients.command("show")
@click.argument("client_id")
@json_option
@pass_cli
def show(app: CliContext, client_id: str) -> None:
    """Show what an investor sees: units, value, contributions, profit, returns and flows."""
    investors = app.services.accounting.investors
    view = investors.current_view(client_id)
    fund = app.services.accounting.returns()
    emit(view, lambda v: render_client(v, fund))


def render_client(view: ClientView, fund: ReturnsView | None) -> str:
    ccy = view.base_currency
    since = (
        f"as at the NAV strike of {moment(view.as_of)}"
        if view.as_of
        else "no NAV strike has dealt anything yet"
    )
    irr = f"{return_pct(view.irr)} a year" if view.irr is not None else "-"
    rows = [
        ("Units", units(view.units)),
        ("NAV per unit", nav_per_unit(view.nav_per_unit)),
        ("Value", money(view.value, ccy)),
        ("Net contributions", money(view.net_contributions, ccy)),
        ("Profit", signed_money(view.profit, ccy)),
        ("IRR, money-weighted (your own)", irr),
        (
            "Fund return since inception",
            f"{return_pct(view.returns.since_inception)} (time-weighted, the same for every "
            "client)",
        ),
    ]
    parts = [f"Client {view.client_id} ({view.name}), {since}", fields(rows)]
    if view.pending:
        parts += ["", "Pending (dealt at the next NAV strike)", _flows_table(view.pending, ccy)]
    flows = _flows_table(view.flows, ccy, paid=True) if view.flows else "None yet."
    parts += ["", "Flows", flows]
    if fund is not None and fund.months:
        parts += ["", "Monthly returns (time-weighted)", returns_table(fund)]
    return "\n".join(parts)


def _flows_table(lines: tuple[FlowLine, ...], ccy: str, *, paid: bool = False) -> str:
    headers = [
        "RECORDED (UTC)",
        "FLOW",
        "KIND",
        "STATUS",
        "AMOUNT",
        "UNITS",
        "NAV PER UNIT",
        "UNITS DEALT",
        "CASH DEALT",
        "STRIKE",
    ]
    rows = [
        [
            line.recorded_at,
            line.flow_id,
            line.kind,
            line.status,
            money(line.amount, ccy),
            units(line.units),
            nav_per_unit(line.nav_per_unit),
            f"{line.units_dealt:+,.6f}" if line.units_dealt is not None else "-",
            signed_money(line.amount_dealt, ccy),
            line.strike_id,
        ]
        for line in lines
    ]
    if paid:
        headers.append("PAID")
        for row, line in zip(rows, lines, strict=True):
            row.append(line.paid_reference or "-")
    if any(line.reason for line in lines):
        headers.append("REASON")
        for row, line in zip(rows, lines, strict=True):
            row.append(line.reason)
    return table(rows, headers)


@clients.command("deposit", context_settings=NUMBERS_AS_ARGUMENTS)
@click.argument("client_id")
@click.argument("amount")
@click.option("--date", "on", metavar="YYYY-MM-DD", help="When the cash arrived (default: now).")
@json_option
@pass_cli
def deposit(app: CliContext, client_id: str, amount: str, on: str | None) -> None:
    """Record a deposit of AMOUNT (base currency); it is dealt at the next NAV strike."""
    day = parse_day(on, "date")
    accounting = app.services.accounting
    flow = accounting.investors.deposit(client_id, amount, on=day).flow
    emit(flow, lambda f: _recorded(f, accounting.base_currency))


@clients.command("withdraw", context_settings=NUMBERS_AS_ARGUMENTS)
@click.argument("client_id")
@click.option("--amount", help="Withdraw this much money (base currency).")
@click.option("--units", "units_wanted", help="Or withdraw this many units.")
@click.option("--date", "on", metavar="YYYY-MM-DD", help="When it was asked for (default: now).")
@json_option
@pass_cli
def withdraw(
    app: CliContext, client_id: str, amount: str | None, units_wanted: str | None, on: str | None
) -> None:
    """Record a withdrawal of an amount or of units, dealt at the next NAV strike; more than
    the client holds is refused."""
    if amount is None and units_wanted is None:
        raise ValidationError("amount", "give --amount A or --units U")
    day = parse_day(on, "date")
    accounting = app.services.accounting
    flow = accounting.investors.withdraw(client_id, amount=amount, units=units_wanted, on=day).flow
    emit(flow, lambda f: _recorded(f, accounting.base_currency))


def _recorded(flow: ClientFlow, ccy: str) -> str:
    what = money(flow.amount, ccy) if flow.amount is not None else f"{units(flow.units)} units"
    return (
        f"{flow.flow_id}: {flow.kind.value.lower()} of {what} for {flow.client_id}, recorded "
        f"{moment(flow.recorded_at)}; {flow.status.value}: dealt at the next NAV strike."
    )


@clients.command("pay")
@click.argument("flow_id")
@click.option("--reference", required=True, help="How the cash was sent (a transfer reference).")
@json_option
@pass_cli
def pay(app: CliContext, flow_id: str, reference: str) -> None:
    """Record the cash of a dealt withdrawal (or a refused deposit) sent back to the client."""
    accounting = app.services.accounting
    flow = accounting.investors.pay(flow_id, reference=reference)
    emit(
        flow,
        lambda f: (
            f"{f.flow_id}: {money(_cash_sent(f), accounting.base_currency)} sent to "
            f"{f.client_id} (reference {f.paid_reference}) at {moment(f.paid_at)}."
        ),
    )


def _cash_sent(flow: ClientFlow) -> Decimal | None:
    """A dealt withdrawal's cash out, or a refused deposit's cash back."""
    return -flow.amount_dealt if flow.amount_dealt is not None else flow.amount
