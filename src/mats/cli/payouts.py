"""``mats payouts``: senders' fees crystallised at month-end, what is due and paid, and terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import click

from mats.cli.app import CliContext, pass_cli
from mats.cli.dashboard import dashboard_call
from mats.cli.figures import (
    fields,
    moment,
    money,
    parse_month_option,
    parse_number,
    parse_whole,
    percent,
    signed_money,
)
from mats.cli.output import emit, json_option, table
from mats.codec import from_primitive
from mats.domain.funds.payouts import PayoutTerms
from mats.errors import NotFoundError, ValidationError
from mats.services.accounting.payouts import Payout, PayoutState

HUNDRED = 100


@dataclass(frozen=True)
class TermsReport:
    """A sender's payout terms and where it stands: HWM, carried, due and paid from its payouts
    as they are now; C and the fee accrued on it as of the sender's view (``as_of``)."""

    sender_id: str
    terms: PayoutTerms
    standing: PayoutState
    cumulative_pnl: Decimal | None
    accrued: Decimal | None
    as_of: datetime | None


@click.group()
def payouts() -> None:
    """Senders' fees: month-end crystallisation, payouts due and paid, payout terms."""


@payouts.command("crystallise")
@click.option("--month", required=True, metavar="YYYY-MM", help="A month that has ended.")
@json_option
@pass_cli
def crystallise(app: CliContext, month: str) -> None:
    """Crystallise every sender's fee for a month at its last NAV strike, as the month-end
    call does; once per month (a repeat answers with the first).

    The dashboard function crystallises, as the Scheduler's call on the 1st does.
    """
    wanted = parse_month_option(month) or month
    answer = dashboard_call(app, "/month-end", {"month": wanted})
    done = [from_primitive(Payout, item, "payouts") for item in answer["payouts"]]
    ccy = app.services.accounting.base_currency
    emit(answer, lambda _: _payouts_table(done, ccy))


@payouts.command("list")
@click.option("--sender", "sender_id", help="One sender's payouts.")
@click.option("--month", metavar="YYYY-MM", help="One month's payouts.")
@json_option
@pass_cli
def list_payouts(app: CliContext, sender_id: str | None, month: str | None) -> None:
    """List crystallised payouts, oldest month first."""
    wanted = parse_month_option(month)
    accounting = app.services.accounting
    found = accounting.payouts.payouts(sender_id=sender_id, month=wanted)
    emit(found, lambda items: _payouts_table(items, accounting.base_currency))


@payouts.command("show")
@click.argument("payout_id")
@json_option
@pass_cli
def show(app: CliContext, payout_id: str) -> None:
    """Show one payout: how its fee was crystallised, and its payment."""
    accounting = app.services.accounting
    payout = _payout(app, payout_id)
    emit(payout, lambda p: render_payout(p, accounting.base_currency))


@payouts.command("mark-paid")
@click.argument("payout_id")
@click.option("--reference", required=True, help="How it was paid (a transfer reference).")
@click.option("--by", default="cli", show_default=True, help="Who paid it (recorded).")
@json_option
@pass_cli
def mark_paid(app: CliContext, payout_id: str, reference: str, by: str) -> None:
    """Record a payout paid; a repeat with the same reference changes nothing, another
    reference is refused."""
    accounting = app.services.accounting
    payout = accounting.payouts.mark_paid(payout_id, reference=reference, by=by).payout
    emit(payout, lambda p: render_payout(p, accounting.base_currency))


@payouts.command("terms")
@click.argument("sender_id")
@click.option("--rate", help="Fee on new profit above the high-water mark, 0 to 1 (0.20 = 20%).")
@click.option("--min-payout", help="A fee under this is carried to the next month.")
@click.option("--payment-day", help="Day of the next month a fee is paid (1 to 28).")
@json_option
@pass_cli
def terms(
    app: CliContext,
    sender_id: str,
    rate: str | None,
    min_payout: str | None,
    payment_day: str | None,
) -> None:
    """Show a sender's payout terms, or change them with the options given."""
    services = app.services
    try:
        services.senders.get(sender_id)
    except NotFoundError:
        raise ValidationError(
            "sender", f"no sender {sender_id!r}; see `mats senders list`"
        ) from None
    book = services.accounting.payouts
    new_rate = parse_number(rate, "rate")
    new_minimum = parse_number(min_payout, "min_payout")
    new_day = parse_whole(payment_day, "payment_day")
    if (new_rate, new_minimum, new_day) != (None, None, None):
        book.set_terms(sender_id, rate=new_rate, min_payout=new_minimum, payment_day=new_day)
    standing = book.states([sender_id])[sender_id]
    view = services.accounting.sender_view(sender_id)
    report = TermsReport(
        sender_id=sender_id,
        terms=standing.terms,
        standing=standing,
        cumulative_pnl=view.cumulative_pnl if view else None,
        accrued=standing.accrued(view.cumulative_pnl) if view else None,
        as_of=view.as_of if view else None,
    )
    emit(report, lambda r: render_terms(r, services.accounting.base_currency))


def _payout(app: CliContext, payout_id: str) -> Payout:
    found = app.services.accounting.payouts.get(payout_id)
    if found is None:
        raise ValidationError("payout", f"no payout {payout_id!r}; see `mats payouts list`")
    return found


def _payouts_table(items: list[Payout], ccy: str) -> str:
    if not items:
        return "No payouts."
    return table(
        [
            (
                p.payout_id,
                p.sender_id,
                p.month,
                signed_money(p.crystallisation.cumulative_pnl, ccy),
                money(p.crystallisation.hwm_after, ccy),
                money(p.crystallisation.fee, ccy),
                money(p.crystallisation.payable, ccy),
                money(p.crystallisation.carried_out, ccy),
                p.crystallisation.payment_date,
                p.status,
                p.paid_reference,
            )
            for p in items
        ],
        [
            "PAYOUT",
            "SENDER",
            "MONTH",
            "CUMULATIVE P&L",
            "HWM",
            "FEE",
            "PAYABLE",
            "CARRIED",
            "PAY ON",
            "STATUS",
            "REFERENCE",
        ],
    )


def render_payout(payout: Payout, ccy: str) -> str:
    c = payout.crystallisation
    rows = [
        ("Crystallised at", moment(c.at)),
        ("Cumulative P&L (C)", signed_money(c.cumulative_pnl, ccy)),
        ("High-water mark", f"{money(c.hwm_before, ccy)} -> {money(c.hwm_after, ccy)}"),
        ("Fee", money(c.fee, ccy)),
        ("Carried in", money(c.carried_in, ccy)),
        ("Payable", money(c.payable, ccy)),
        ("Carried to next month", money(c.carried_out, ccy)),
        ("Payment date", str(c.payment_date)),
        ("Status", payout.status),
    ]
    if payout.paid_at is not None:
        rows += [
            ("Paid at", moment(payout.paid_at)),
            ("Reference", payout.paid_reference or "-"),
            ("Paid by", payout.paid_by or "-"),
        ]
    return f"Payout {payout.payout_id}: {c.sender_id}, {c.month}\n{fields(rows)}"


def render_terms(report: TermsReport, ccy: str) -> str:
    rows = [
        ("Fee rate", percent(report.terms.rate * HUNDRED) + " of new profit above the HWM"),
        ("Minimum payout", money(report.terms.min_payout, ccy)),
        ("Payment day", f"{report.terms.payment_day} of the next month"),
    ]
    standing = report.standing
    rows += [
        ("High-water mark", money(standing.hwm, ccy)),
        ("Last crystallised", standing.last_month or "-"),
        ("Due", money(standing.due, ccy)),
        ("Carried", money(standing.carried, ccy)),
        ("Paid", money(standing.paid, ccy)),
        ("Next payment", str(standing.next_payment_date or "-")),
        ("Cumulative P&L (C)", signed_money(report.cumulative_pnl, ccy)),
        ("Accrued on it", money(report.accrued, ccy)),
        ("C as of", moment(report.as_of)),
    ]
    return f"Payout terms of {report.sender_id}\n{fields(rows)}"
