"""``mats alerts``: what was raised for people, and acknowledging it."""

from __future__ import annotations

import click

from mats.cli.app import CliContext, pass_cli
from mats.cli.output import emit, json_option, table
from mats.domain.alerts import Alert


@click.group()
def alerts() -> None:
    """Alerts raised for people: blocked exits, limits, mismatches, broker trouble."""


@alerts.command("list")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@click.option(
    "--outstanding",
    is_flag=True,
    help="Only those people still have to see: CRITICAL alerts nobody has acknowledged.",
)
@json_option
@pass_cli
def list_alerts(app: CliContext, limit: int, outstanding: bool) -> None:
    """List the latest alerts, newest first."""
    rows = app.services.alerts.list(limit=limit, outstanding=outstanding)
    emit(rows, lambda items: _table(items) if items else "No alerts.")


@alerts.command("ack")
@click.argument("alert_ids", nargs=-1, required=True)
@click.option("--by", default="cli", show_default=True, help="Who acknowledges (recorded).")
@json_option
@pass_cli
def ack(app: CliContext, alert_ids: tuple[str, ...], by: str) -> None:
    """Acknowledge alerts: a CRITICAL alert stops repeating once someone has seen it."""
    done = [app.services.alerts.acknowledge(alert_id, by=by) for alert_id in alert_ids]
    emit(
        done,
        lambda items: "\n".join(
            f"{a.alert_id}: acknowledged by {a.acknowledged_by} at {a.acknowledged_at:%H:%M:%S} UTC"
            for a in items
        ),
    )


def _table(items: list[Alert]) -> str:
    return table(
        [
            (
                a.created_at,
                a.alert_id,
                a.severity,
                a.kind,
                a.strategy_id,
                a.notifications,
                a.acknowledged_by or ("no" if a.severity == "CRITICAL" else "-"),
                a.message,
            )
            for a in items
        ],
        ["RAISED (UTC)", "ID", "SEVERITY", "KIND", "STRATEGY", "SENT", "ACKNOWLEDGED", "MESSAGE"],
    )
