"""``mats decisions`` and ``mats alerts``: what Cerebro decided and why, and what went wrong."""

from __future__ import annotations

from typing import Any

import click

from mats.cli.app import CliContext, pass_cli
from mats.cli.output import emit, json_option, table
from mats.codec import to_primitive
from mats.domain.cerebro.decisions import fmt
from mats.errors import NotFoundError
from mats.ports import StoredDecision


@click.group()
def decisions() -> None:
    """Cerebro's decisions: the flight recorder."""


@decisions.command()
@click.argument("signal_id")
@json_option
@pass_cli
def show(app: CliContext, signal_id: str) -> None:
    """Show the full calculation behind a signal's decision."""
    stored = app.services.decision_store.get(signal_id)
    if stored is None:
        raise NotFoundError(f"no decision for signal {signal_id!r} (yet)")
    emit(_data(stored), lambda _: render_decision(stored))


@decisions.command("list")
@click.option("--strategy", "strategy_id")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@json_option
@pass_cli
def list_decisions(app: CliContext, strategy_id: str | None, limit: int) -> None:
    """List the latest decisions, newest first."""
    rows = app.services.decision_store.list(strategy_id=strategy_id, limit=limit)
    emit([_data(s) for s in rows], lambda _: _decisions_table(rows))


def _data(stored: StoredDecision) -> dict[str, Any]:
    return {**to_primitive(stored.decision), "published": stored.published}


def _decisions_table(rows: Any) -> str:
    if not rows:
        return "No decisions yet."
    return table(
        [
            (
                s.decision.signal_id,
                s.decision.decided_at,
                s.decision.status,
                len(s.decision.orders),
                ",".join(r.value for r in s.decision.reasons) or "-",
            )
            for s in rows
        ],
        ["SIGNAL ID", "DECIDED (UTC)", "STATUS", "ORDERS", "REASONS"],
    )


def render_decision(stored: StoredDecision) -> str:
    """The flight recorder as text: inputs with their sources and ages, steps, checks, orders."""
    d = stored.decision
    effective = d.effective_intent.value if d.effective_intent else "-"
    published = "yes" if stored.published else "no"
    lines = [
        f"Decision for {d.signal_id}: {d.status.value}",
        f"  {d.summary}",
        f"  strategy {d.strategy_id} | account {d.account} | {d.symbol} | "
        f"signal {d.signal_intent.value} -> {effective}",
        f"  decided {d.decided_at:%Y-%m-%d %H:%M:%S} UTC | orders published: {published}",
        "",
        "Inputs",
    ]
    for item in d.inputs:
        age = f"({item.age_seconds:.0f} s old)" if item.age_seconds is not None else ""
        lines.append(f"  {item.name:<24} {_value(item.value):<16} {item.source} {age}".rstrip())
    lines += ["", "Steps"]
    lines += [
        f"  {i:>2}. {s.name:<24} {s.detail}" + (f" = {s.value}" if s.value else "")
        for i, s in enumerate(d.steps, 1)
    ]
    if d.checks:
        lines += ["", "Limits checked"]
        lines += [
            f"  {'pass' if c.passed else 'FAIL'}  {c.name:<22} {c.value} <= {c.threshold}"
            + (f"  ({c.note})" if c.note else "")
            for c in d.checks
        ]
    lines += ["", "Orders"]
    lines += [
        f"  {o.id}  {o.side.value if o.side else o.action.value} {fmt(o.quantity)} {o.symbol} "
        f"{o.order_type.value} {o.time_in_force.value} ({o.purpose.value.lower()})"
        + (f" limit {o.limit_price}" if o.limit_price else "")
        + (f" stop {o.stop_price}" if o.stop_price else "")
        + (f" SL {o.stop_loss.price}" if o.stop_loss else "")
        + (f" TP {o.take_profit.price}" if o.take_profit else "")
        for o in d.orders
    ] or ["  none"]
    if d.alerts:
        lines += ["", "Alerts raised"] + [
            f"  {a.severity.value} {a.kind}: {a.message}" for a in d.alerts
        ]
    return "\n".join(lines)


def _value(value: Any) -> str:
    if isinstance(value, dict | list) and not value:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {v if v is not None else '-'}" for k, v in value.items())
    return "-" if value is None else str(value)
