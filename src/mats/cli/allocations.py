"""``mats allocations``: how much of each account's equity each strategy may use.

The nightly optimiser recommends (PENDING_APPROVAL); an operator approves, rejects, or edits and
approves. Exactly one allocation is ACTIVE; Cerebro uses it for the very next signal.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import click

from mats.cli.app import CliContext, pass_cli
from mats.cli.output import emit, json_option, table
from mats.domain.portfolio import Allocation
from mats.services.allocations import Activated


@click.group()
def allocations() -> None:
    """Review, approve, reject and edit capital allocations."""


@allocations.command()
@json_option
@pass_cli
def current(app: CliContext) -> None:
    """Show the ACTIVE allocation."""
    allocation = app.services.allocations.current()
    emit(
        allocation,
        lambda a: (
            render(a) if a else "No ACTIVE allocation: every entry is rejected (NO_ALLOCATION)."
        ),
    )


@allocations.command()
@json_option
@pass_cli
def recommendation(app: CliContext) -> None:
    """Show the newest recommendation awaiting approval, beside the ACTIVE allocation."""
    pending = app.services.allocations.recommendation()
    active = app.services.allocations.current()
    emit(
        {"recommendation": pending, "current": active},
        lambda _: (
            _compare(pending, active) if pending else "No recommendation is waiting for approval."
        ),
    )


ALLOW_CLOSE = click.option(
    "--allow-close",
    is_flag=True,
    help="Take to 0% strategies that still hold a position or have working orders.",
)


@allocations.command()
@click.argument("allocation_id")
@ALLOW_CLOSE
@json_option
@pass_cli
def approve(app: CliContext, allocation_id: str, allow_close: bool) -> None:
    """Make a PENDING_APPROVAL allocation ACTIVE (the previous one is archived).

    Refused if it takes to 0% a strategy that still holds a position or has working orders,
    unless --allow-close is given.
    """
    activated = app.services.allocations.approve(
        allocation_id, approved_by="cli", allow_close=allow_close
    )
    emit(_activated(activated), _render_activated)


@allocations.command()
@click.argument("allocation_id")
@click.option("--reason", help="Why it is rejected.")
@json_option
@pass_cli
def reject(app: CliContext, allocation_id: str, reason: str | None) -> None:
    """Reject a PENDING_APPROVAL allocation; the ACTIVE one stays."""
    rejected = app.services.allocations.reject(allocation_id, rejected_by="cli", reason=reason)
    emit(
        rejected,
        lambda a: f"{a.allocation_id} is REJECTED." + (f" Reason: {reason}" if reason else ""),
    )


@allocations.command("set")
@click.argument("assignments", nargs=-1, required=True, metavar="STRATEGY=PERCENT...")
@click.option("--based-on", metavar="ALLOCATION_ID", help="The allocation this edits (recorded).")
@click.option("--notes", help="Why this allocation.")
@ALLOW_CLOSE
@json_option
@pass_cli
def set_allocation(
    app: CliContext,
    assignments: tuple[str, ...],
    based_on: str | None,
    notes: str | None,
    allow_close: bool,
) -> None:
    """Edit and approve: make STRATEGY=PERCENT ... the ACTIVE allocation now.

    Strategies left out get 0%. Each strategy at most 50%, all together at most 200%. Taking
    to 0% a strategy that still holds a position or has working orders needs --allow-close.
    """
    activated = app.services.allocations.set_custom(
        _parse(assignments),
        approved_by="cli",
        notes=notes,
        based_on=based_on,
        allow_close=allow_close,
    )
    emit(_activated(activated), _render_activated)


@allocations.command()
@click.argument("allocation_id")
@json_option
@pass_cli
def show(app: CliContext, allocation_id: str) -> None:
    """Show one allocation, whatever its status."""
    emit(app.services.allocations.get(allocation_id), render)


@allocations.command()
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@click.option("--before", metavar="ALLOCATION_ID", help="Continue after this one (next page).")
@json_option
@pass_cli
def history(app: CliContext, limit: int, before: str | None) -> None:
    """List allocations, newest first, a page at a time."""
    rows = list(app.services.allocations.history(limit=limit, before=before))
    emit(rows, lambda items: _history(items, limit))


def _parse(assignments: tuple[str, ...]) -> dict[str, Decimal]:
    parsed: dict[str, Decimal] = {}
    for assignment in assignments:
        strategy_id, equals, percent = (part.strip() for part in assignment.partition("="))
        try:
            value = Decimal(percent.rstrip("%"))
        except InvalidOperation:
            value = None
        if not strategy_id or not equals or value is None or not value.is_finite():
            raise click.BadParameter(f"{assignment!r}: use STRATEGY=PERCENT, e.g. trend-es=25")
        if strategy_id in parsed:
            raise click.BadParameter(f"{assignment!r}: name each strategy once")
        parsed[strategy_id] = value
    return parsed


def _activated(activated: Activated) -> dict[str, Any]:
    return {
        "allocation": activated.allocation,
        "archived": activated.archived,
        "dropped": activated.dropped,
    }


def _render_activated(data: dict[str, Any]) -> str:
    archived, dropped = data["archived"], data["dropped"]
    lines = [render(data["allocation"])]
    if archived:
        lines.append(f"Archived: {', '.join(archived)}")
    lines += [f"Dropped to 0% while still trading: {d.describe()}" for d in dropped]
    return "\n".join(lines)


def render(allocation: Allocation) -> str:
    rows = [
        (strategy, f"{percent}%") for strategy, percent in sorted(allocation.allocations.items())
    ]
    lines = [
        f"{allocation.allocation_id} {allocation.status.value}, total {allocation.total_percent}%, "
        f"source {allocation.source}"
        + (f" (run {allocation.run_id})" if allocation.run_id else ""),
    ]
    if allocation.approved_by:
        when = f"{allocation.activated_at:%Y-%m-%d %H:%M:%S} UTC" if allocation.activated_at else ""
        lines.append(f"approved by {allocation.approved_by} at {when}")
    if allocation.metrics:
        lines.append(
            "metrics: " + ", ".join(f"{k} {v}" for k, v in sorted(allocation.metrics.items()))
        )
    if allocation.rejection_reason:
        lines.append(f"rejected: {allocation.rejection_reason}")
    return "\n".join(lines) + "\n" + table(rows, ["STRATEGY", "ALLOCATION"])


def _compare(pending: Allocation, active: Allocation | None) -> str:
    strategies = sorted(set(pending.allocations) | set(active.allocations if active else {}))
    rows = []
    for strategy in strategies:
        proposed = pending.allocations.get(strategy, Decimal(0))
        now = active.allocations.get(strategy, Decimal(0)) if active else Decimal(0)
        rows.append((strategy, f"{now}%", f"{proposed}%", f"{proposed - now:+}%"))
    header = render(pending).splitlines()[0]
    metrics = ", ".join(f"{k} {v}" for k, v in sorted(pending.metrics.items()))
    return "\n".join(
        [
            f"Recommendation {header}",
            f"metrics: {metrics}" if metrics else "",
            table(rows, ["STRATEGY", "CURRENT", "RECOMMENDED", "CHANGE"]),
            f"Approve with `mats allocations approve {pending.allocation_id}`.",
        ]
    )


def _history(items: list[Allocation], limit: int) -> str:
    if not items:
        return "No allocations yet."
    text = table(
        [
            (
                a.allocation_id,
                a.status,
                a.source,
                a.total_percent,
                len(a.allocations),
                a.approved_by,
                a.created_at,
            )
            for a in items
        ],
        ["ALLOCATION", "STATUS", "SOURCE", "TOTAL %", "STRATEGIES", "APPROVED BY", "CREATED (UTC)"],
    )
    if len(items) == limit:
        last = items[-1].allocation_id
        text += f"\nNext page: mats allocations history --limit {limit} --before {last}"
    return text
