"""``mats allocations``: how much of each account's equity each strategy may use."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import click

from mats.cli.app import CliContext, pass_cli
from mats.cli.output import emit, json_option, table
from mats.domain.portfolio import Allocation


@click.group()
def allocations() -> None:
    """Set, show and review capital allocations."""


@allocations.command("set")
@click.argument("assignments", nargs=-1, required=True, metavar="STRATEGY=PERCENT...")
@click.option("--notes", help="Why this allocation.")
@json_option
@pass_cli
def set_allocation(app: CliContext, assignments: tuple[str, ...], notes: str | None) -> None:
    """Make STRATEGY=PERCENT ... the ACTIVE allocation now (the previous one is archived).

    Strategies left out get 0%. Each strategy at most 50%, all together at most 200%.
    """
    activated = app.services.operations.set_allocation(
        _parse(assignments), approved_by="cli", notes=notes
    )
    data = {"allocation": activated.allocation, "archived": activated.archived}
    emit(data, lambda d: _render(d["allocation"]) + _archived(d["archived"]))


@allocations.command("show")
@json_option
@pass_cli
def show(app: CliContext) -> None:
    """Show the ACTIVE allocation."""
    current = app.services.operations.current_allocation()
    emit(
        current,
        lambda a: (
            _render(a) if a else "No ACTIVE allocation: every entry is rejected (NO_ALLOCATION)."
        ),
    )


@allocations.command("history")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@json_option
@pass_cli
def history(app: CliContext, limit: int) -> None:
    """List allocations, newest first."""
    rows = app.services.operations.allocation_history(limit=limit)
    emit(
        list(rows),
        lambda items: (
            table(
                [
                    (
                        a.allocation_id,
                        a.status,
                        a.total_percent,
                        len(a.allocations),
                        a.approved_by,
                        a.created_at,
                    )
                    for a in items
                ],
                ["ALLOCATION", "STATUS", "TOTAL %", "STRATEGIES", "APPROVED BY", "CREATED (UTC)"],
            )
            if items
            else "No allocations yet."
        ),
    )


def _parse(assignments: tuple[str, ...]) -> dict[str, Decimal]:
    parsed: dict[str, Decimal] = {}
    for assignment in assignments:
        strategy_id, _, percent = assignment.partition("=")
        try:
            value = Decimal(percent.strip().rstrip("%"))
        except InvalidOperation:
            raise click.BadParameter(
                f"{assignment!r}: use STRATEGY=PERCENT, e.g. trend-es=25"
            ) from None
        if not strategy_id or strategy_id in parsed:
            raise click.BadParameter(f"{assignment!r}: name each strategy once")
        parsed[strategy_id.strip()] = value
    return parsed


def _render(allocation: Allocation) -> str:
    rows = [
        (strategy, f"{percent}%") for strategy, percent in sorted(allocation.allocations.items())
    ]
    header = (
        f"{allocation.allocation_id} {allocation.status.value}, total {allocation.total_percent}% "
        f"(approved by {allocation.approved_by or '-'})"
    )
    return header + "\n" + table(rows, ["STRATEGY", "ALLOCATION"])


def _archived(archived: Any) -> str:
    return f"\nArchived: {', '.join(archived)}" if archived else ""
