"""``mats orders``, ``fills``, ``bridge`` and ``reconcile``: what was executed, and the bridge.

Orders and fills are read from the store; ``orders cancel``, ``bridge status`` and ``reconcile``
ask the execution bridge itself (its URL comes from the local stack's ``stack.json`` or
``MATS_BRIDGE_URL``; against a Google Cloud project the request carries an identity token).
"""

from __future__ import annotations

from typing import Any

import click

from mats.adapters.bridge_control import HttpBridgeControl
from mats.cli.app import CliContext, pass_cli
from mats.cli.output import emit, json_option, table
from mats.codec import parse_datetime
from mats.domain.execution.records import OrderRecord
from mats.errors import MatsError, NotFoundError


@click.group()
def orders() -> None:
    """Orders Cerebro decided, and how far they are executed."""


@orders.command("list")
@click.option("--strategy", "strategy_id")
@click.option("--account")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@json_option
@pass_cli
def list_orders(app: CliContext, strategy_id: str | None, account: str | None, limit: int) -> None:
    """List the latest orders, newest first."""
    rows = list(
        app.services.decision_store.list_orders(
            strategy_id=strategy_id, account=account, limit=limit
        )
    )
    emit(rows, lambda _: _orders_table(rows) if rows else "No orders yet.")


@orders.command("show")
@click.argument("order_id")
@json_option
@pass_cli
def show_order(app: CliContext, order_id: str) -> None:
    """Show one order with every state it went through."""
    record = app.services.execution_store.order(order_id)
    if record is None:
        raise NotFoundError(f"no order {order_id!r}")
    emit(record, lambda _: _order_detail(record))


@orders.command("cancel")
@click.argument("order_id")
@json_option
@pass_cli
def cancel_order(app: CliContext, order_id: str) -> None:
    """Cancel a working order at its venue, or stop an exit's retries (through the bridge)."""
    record = bridge_control(app).cancel_order(order_id)
    emit(record, lambda r: f"{r.order.id}: {r.state.value} ({r.reason})")


@click.group()
def fills() -> None:
    """Executions at the venues, each booked once to its strategy's position."""


@fills.command("list")
@click.option("--strategy", "strategy_id")
@click.option("--account")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@json_option
@pass_cli
def list_fills(app: CliContext, strategy_id: str | None, account: str | None, limit: int) -> None:
    """List the latest fills, newest first."""
    rows = list(
        app.services.execution_store.list_fills(
            strategy_id=strategy_id, account=account, limit=limit
        )
    )
    emit(
        rows,
        lambda _: (
            table(
                [
                    (
                        f.executed_at,
                        f.id,
                        f.order_id,
                        f.strategy_id,
                        f.account,
                        f.symbol,
                        f.side.value,
                        f.quantity,
                        f.price,
                        f.commission,
                        f.trading_mode.value,
                    )
                    for f in rows
                ],
                [
                    "EXECUTED (UTC)",
                    "EXECUTION ID",
                    "ORDER ID",
                    "STRATEGY",
                    "ACCOUNT",
                    "SYMBOL",
                    "SIDE",
                    "QTY",
                    "PRICE",
                    "COMMISSION",
                    "MODE",
                ],
            )
            if rows
            else "No fills yet."
        ),
    )


@click.group()
def bridge() -> None:
    """The execution bridge: venue sessions and background jobs."""


@bridge.command("status")
@json_option
@pass_cli
def bridge_status(app: CliContext) -> None:
    """Show whether each venue is connected and taking orders, and the bridge's jobs."""
    emit(bridge_control(app).status(), _status_text)


@click.command()
@click.option("--account", help="Reconcile this account only (default: every live account).")
@json_option
@pass_cli
def reconcile(app: CliContext, account: str | None) -> None:
    """Reconcile now: the broker's positions against the strategies'; residuals to Discretionary."""
    answer = {"accounts": bridge_control(app).reconcile(account)}
    emit(answer, _reconciliation_text)


def bridge_control(app: CliContext) -> HttpBridgeControl:
    """The bridge's admin API at the target's bridge URL (with an identity token in a project)."""
    base = app.target.bridge_url
    if not base:
        raise MatsError("the bridge URL is unknown: set MATS_BRIDGE_URL (the local stack has it)")
    return HttpBridgeControl(base, audience=base if app.target.kind == "cloud" else None)


def _orders_table(rows: list[OrderRecord]) -> str:
    return table(
        [
            (
                r.order.id,
                r.decided_at,
                r.order.account,
                r.order.symbol,
                r.order.side.value if r.order.side else r.order.action.value,
                r.order.quantity,
                r.order.order_type.value,
                r.order.purpose.value,
                f"{r.state.value} (HELD)" if r.held_reason else r.state.value,
                r.filled_quantity,
                r.average_price,
            )
            for r in rows
        ],
        [
            "ORDER ID",
            "DECIDED (UTC)",
            "ACCOUNT",
            "SYMBOL",
            "SIDE",
            "QTY",
            "TYPE",
            "PURPOSE",
            "STATE",
            "FILLED",
            "AVG PRICE",
        ],
    )


def _order_detail(record: OrderRecord) -> str:
    order = record.order
    side = order.side.value if order.side else order.action.value
    lines = [
        f"{order.id}  {side} {order.quantity} {order.symbol} {order.order_type.value} "
        f"({order.purpose.value}, {order.trading_mode.value}) on {order.account}",
        f"state {record.state.value}, filled {record.filled_quantity}"
        + (f" at {record.average_price}" if record.average_price is not None else "")
        + (f", venue {record.venue} as {record.venue_reference}" if record.venue else ""),
    ]
    if record.next_retry_at is not None:
        lines.append(f"next retry {record.next_retry_at:%Y-%m-%d %H:%M:%S} UTC ({record.reason})")
    if record.held_reason is not None:
        lines.append(f"held, unsent: {record.held_reason} (it goes out when the halt is lifted)")
    lines.append("")
    lines.append(
        table(
            [(t.at, t.state.value, t.filled_quantity, t.note) for t in record.transitions],
            ["AT (UTC)", "STATE", "FILLED", "NOTE"],
        )
    )
    return "\n".join(lines)


def _status_text(data: dict[str, Any]) -> str:
    lines = [f"ready: {'yes' if data['ready'] else 'no'}"]
    lines += [f"  problem: {problem}" for problem in data["problems"]]
    rows = [
        (
            name,
            "yes" if venue["connected"] else "no",
            "yes" if venue["accepting_orders"] else "no",
            venue.get("reason"),
            _when(venue.get("connected_since") or venue.get("disconnected_since")),
        )
        for name, venue in sorted(data["venues"].items())
    ]
    lines += ["", table(rows, ["VENUE", "CONNECTED", "TAKING ORDERS", "REASON", "SINCE (UTC)"])]
    jobs = [
        (name, job["every_seconds"], _when(job["last_ok"]), job["last_error"])
        for name, job in sorted(data["jobs"].items())
    ]
    lines += ["", table(jobs, ["JOB", "EVERY (S)", "LAST OK (UTC)", "LAST ERROR"])]
    return "\n".join(lines)


def _reconciliation_text(data: dict[str, Any]) -> str:
    rows = []
    notes = []
    for report in data["accounts"]:
        if report["status"] != "RECONCILED":
            notes.append(f"{report['account']}: {report['status']} ({report['reason']})")
            continue
        rows += [
            (
                report["account"],
                line["symbol"],
                line["venue_quantity"],
                line["strategies_quantity"],
                line["residual"],
                "yes" if line["symbol"] in report["booked"] else "no",
            )
            for line in report["lines"]
        ]
        if not report["lines"]:
            notes.append(f"{report['account']}: nothing held")
    headers = ["ACCOUNT", "SYMBOL", "VENUE", "STRATEGIES", "DISCRETIONARY", "CHANGED NOW"]
    return "\n".join([table(rows, headers) if rows else "No positions.", *notes])


def _when(value: str | None) -> Any:
    return parse_datetime(value, "time") if value else None
