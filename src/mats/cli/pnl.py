"""``mats pnl`` and ``mats shortfall``: the accounting's P&L read models and execution quality."""

from __future__ import annotations

from typing import Any

import click

from mats.cli.app import CliContext, pass_cli
from mats.cli.figures import bps, fields, flags, moment, money, signed_money
from mats.cli.output import emit, json_option, table
from mats.domain.accounting.shortfall import ShortfallSummary
from mats.domain.accounting.views import PnlView, PositionLine, SignalPnl
from mats.errors import ValidationError

GROUPS = ("fund", "account", "strategy", "sender", "signal")


@click.command()
@click.option(
    "--by",
    "group",
    type=click.Choice(GROUPS, case_sensitive=False),
    default="fund",
    show_default=True,
)
@click.option("--sender", "sender_id", help="Only this sender (--by sender or signal).")
@click.option("--strategy", "strategy_id", help="Only this strategy (--by strategy or signal).")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@json_option
@pass_cli
def pnl(
    app: CliContext, group: str, sender_id: str | None, strategy_id: str | None, limit: int
) -> None:
    """P&L in the base currency by fund, account, strategy, sender or signal.

    Realised P&L is converted at the rate of its day and frozen, unrealised P&L at the freshest
    mark and rate; a sender's P&L is that of the lots its signals opened.
    """
    group = group.lower()
    accounting = app.services.accounting
    base = accounting.base_currency
    if group == "signal":
        signals, _ = accounting.signal_pnl(
            sender_id=sender_id, strategy_id=strategy_id, limit=limit
        )
        emit(signals, lambda items: _signals_table(items, base))
        return
    _check_filters(group, sender_id, strategy_id)
    wanted = sender_id or strategy_id
    views = [v for v in accounting.pnl(group) if wanted is None or v.name == wanted][:limit]
    if group == "fund":
        emit(views, lambda items: render_fund_pnl(items, base))
    else:
        emit(views, lambda items: _groups_table(items, group, base))


def _check_filters(group: str, sender_id: str | None, strategy_id: str | None) -> None:
    if sender_id is not None and group != "sender":
        raise ValidationError("sender", "filters --by sender or --by signal only")
    if strategy_id is not None and group != "strategy":
        raise ValidationError("strategy", "filters --by strategy or --by signal only")


def render_fund_pnl(views: list[PnlView], ccy: str) -> str:
    if not views:
        return "No P&L yet: the accounting writes it with the first fill or account update."
    view = views[0]
    rows = [
        ("As of", moment(view.as_of)),
        ("Realised", signed_money(view.realized, ccy)),
        ("Unrealised", signed_money(view.unrealized, ccy)),
        ("Commissions", money(view.commissions, ccy)),
        ("Net", signed_money(view.net, ccy)),
        ("Today", signed_money(view.day_pnl, ccy)),
        ("Flags", flags(view.flags)),
    ]
    text = f"Fund P&L in {ccy}\n{fields(rows)}"
    if view.positions:
        text += "\n\n" + positions_table(view.positions, ccy)
    return text


def positions_table(lines: tuple[PositionLine, ...], ccy: str) -> str:
    return table(
        [
            (
                p.account,
                p.strategy_id,
                p.symbol,
                p.quantity,
                p.average_cost,
                p.mark,
                f"{p.mark_source} {p.mark_as_of:%Y-%m-%d %H:%M}" if p.mark_as_of else p.mark_source,
                signed_money(p.unrealized_ccy, p.currency),
                signed_money(p.unrealized, ccy),
                flags(p.flags),
            )
            for p in lines
        ],
        [
            "ACCOUNT",
            "STRATEGY",
            "SYMBOL",
            "QUANTITY",
            "AVG COST",
            "MARK",
            "MARK SOURCE (UTC)",
            "UNREALISED",
            f"UNREALISED ({ccy})",
            "FLAGS",
        ],
    )


def _groups_table(views: list[PnlView], group: str, ccy: str) -> str:
    if not views:
        return f"No P&L by {group} yet."
    return table(
        [
            (
                v.name,
                signed_money(v.realized, ccy),
                signed_money(v.unrealized, ccy),
                money(v.commissions, ccy),
                signed_money(v.net, ccy),
                signed_money(v.day_pnl, ccy),
                len(v.positions),
                flags(v.flags),
            )
            for v in views
        ],
        [
            group.upper(),
            "REALISED",
            "UNREALISED",
            "COMMISSIONS",
            "NET",
            "TODAY",
            "POSITIONS",
            "FLAGS",
        ],
    )


def _signals_table(items: list[SignalPnl], ccy: str) -> str:
    if not items:
        return "No signal P&L yet."
    return table(
        [
            (
                s.signal_id,
                s.sender_id,
                s.strategy_id,
                s.account,
                s.symbol,
                s.opened_quantity,
                s.open_quantity,
                signed_money(s.realized, ccy),
                signed_money(s.unrealized, ccy),
                money(s.commissions, ccy),
                signed_money(s.net, ccy),
                flags(s.flags),
            )
            for s in items
        ],
        [
            "SIGNAL",
            "SENDER",
            "STRATEGY",
            "ACCOUNT",
            "SYMBOL",
            "OPENED",
            "OPEN",
            "REALISED",
            "UNREALISED",
            "COMMISSIONS",
            "NET",
            "FLAGS",
        ],
    )


@click.command()
@click.option(
    "--by",
    "group",
    type=click.Choice(("strategy", "sender"), case_sensitive=False),
    default="strategy",
    show_default=True,
)
@click.option("--name", help="One strategy or sender: its legs, latencies and worst orders.")
@json_option
@pass_cli
def shortfall(app: CliContext, group: str, name: str | None) -> None:
    """Execution quality: implementation shortfall per strategy or sender, in basis points.

    Positive is a cost: signal to decision, decision to arrival at the venue, execution, fees.
    """
    group = group.lower()
    accounting = app.services.accounting
    base = accounting.base_currency
    if name is None:
        found = sorted(accounting.quality.summaries(group), key=lambda s: s.group)
        emit(found, lambda items: _shortfall_table(items, group, base))
        return
    summary = accounting.quality.summary(group, name)
    emit(summary, lambda s: render_shortfall(s, group, name, base))


def _shortfall_table(items: list[ShortfallSummary], group: str, ccy: str) -> str:
    if not items:
        return f"No execution quality measured by {group} yet (it is measured on each fill)."
    return table([_shortfall_row(s) for s in items], shortfall_headers(ccy))


def shortfall_headers(ccy: str) -> list[str]:
    return [
        "GROUP",
        "ORDERS",
        "MEASURED",
        f"NOTIONAL ({ccy})",
        "MEAN BP",
        "MEDIAN BP",
        "P90 BP",
        "SIGNAL>DECISION",
        "DECISION>ARRIVAL",
        "EXECUTION",
        "FEES",
    ]


def _shortfall_row(s: ShortfallSummary) -> list[Any]:
    return [
        s.group,
        s.orders,
        s.measured,
        f"{s.notional_base:,.2f}",
        bps(s.weighted_mean_bps),
        bps(s.median_bps),
        bps(s.p90_bps),
        bps(s.signal_to_decision),
        bps(s.decision_to_arrival),
        bps(s.execution),
        bps(s.fees_bps),
    ]


def render_shortfall(summary: ShortfallSummary | None, group: str, name: str, ccy: str) -> str:
    if summary is None:
        return f"No execution quality measured for {group} {name!r} yet."
    lat = summary.median_latencies_ms
    latencies = [
        ("Alert -> webhook", lat.alert_to_webhook),
        ("Webhook -> decision", lat.webhook_to_decision),
        ("Decision -> submit", lat.decision_to_submit),
        ("Submit -> first fill", lat.submit_to_first_fill),
    ]
    parts = [
        f"Implementation shortfall of {summary.group} (basis points, positive = cost; means "
        "weighted by notional)",
        table([_shortfall_row(summary)], shortfall_headers(ccy)),
        "",
        "Median latencies (ms)",
        fields([(label, "-" if value is None else f"{value:,}") for label, value in latencies]),
    ]
    if summary.worst:
        parts += [
            "",
            "Worst orders",
            table(
                [
                    (
                        w.order_id,
                        w.strategy_id,
                        w.sender_id,
                        w.side,
                        w.quantity_filled,
                        bps(w.total),
                        bps(w.signal_to_decision),
                        bps(w.decision_to_arrival),
                        bps(w.execution),
                        bps(w.fees_bps),
                    )
                    for w in summary.worst
                ],
                [
                    "ORDER",
                    "STRATEGY",
                    "SENDER",
                    "SIDE",
                    "FILLED",
                    "TOTAL BP",
                    "SIGNAL>DECISION",
                    "DECISION>ARRIVAL",
                    "EXECUTION",
                    "FEES",
                ],
            ),
        ]
    return "\n".join(parts)
