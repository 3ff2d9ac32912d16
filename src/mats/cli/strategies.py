"""``mats strategies``: the strategy registry (``strategy_configurations``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from mats.cli.app import CliContext, pass_cli
from mats.cli.output import emit, json_option, table
from mats.cli.params import POSITIVE
from mats.codec import to_primitive
from mats.domain.strategies import Strategy, StrategyFilter, StrategyStatus
from mats.domain.trading import TradingMode
from mats.services.registry import CLEARABLE, StrategyChanges

STATUS = click.Choice([s.value for s in StrategyStatus], case_sensitive=False)
MODE = click.Choice([m.value for m in TradingMode], case_sensitive=False)


def strategy_options(*, creating: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options shared by ``create`` and ``update`` (required ones only on create)."""
    options = [
        click.option("--name", required=creating, help="Display name."),
        click.option(
            "--status", type=STATUS, required=creating, help="ACTIVE, INACTIVE or TESTING."
        ),
        click.option("--mode", type=MODE, required=creating, help="LIVE or PAPER."),
        click.option(
            "--account",
            required=creating,
            help="A known account (`mats accounts list`), e.g. IBKR_Main.",
        ),
        click.option(
            "--include-in-optimization/--exclude-from-optimization",
            "include_in_optimization",
            default=None,
            help="Whether the nightly optimiser allocates to it.",
        ),
        click.option(
            "--max-position-size",
            type=POSITIVE,
            help="Risk limit: largest notional of a position, in the base currency.",
        ),
        click.option(
            "--max-daily-loss",
            type=POSITIVE,
            help="Risk limit: realised loss per day, in the base currency.",
        ),
        click.option("--developer-contact", help="Who to call about this strategy."),
        click.option("--notes"),
        click.option(
            "--sender",
            "senders",
            multiple=True,
            metavar="SENDER_ID",
            help="Sender allowed to post its signals (repeatable; replaces the list).",
        ),
        click.option(
            "--max-lag",
            type=click.IntRange(min=1),
            metavar="SECONDS",
            help="Reject this strategy's alerts older than this.",
        ),
    ]
    if not creating:
        options.append(
            click.option(
                "--clear",
                "cleared",
                multiple=True,
                type=click.Choice(sorted(CLEARABLE | {"max_lag"})),
                help="Unset an optional field (repeatable).",
            )
        )

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


def _changes(values: dict[str, Any]) -> StrategyChanges:
    cleared = {"max_signal_lag_seconds" if c == "max_lag" else c for c in values.get("cleared", ())}
    return StrategyChanges(
        name=values["name"],
        status=StrategyStatus(values["status"].upper()) if values["status"] else None,
        trading_mode=TradingMode(values["mode"].upper()) if values["mode"] else None,
        account=values["account"],
        include_in_optimization=values["include_in_optimization"],
        max_position_size=values["max_position_size"],
        max_daily_loss=values["max_daily_loss"],
        developer_contact=values["developer_contact"],
        notes=values["notes"],
        sender_ids=tuple(values["senders"]) or None,
        max_signal_lag_seconds=values["max_lag"],
        cleared=frozenset(cleared),
    )


@click.group()
def strategies() -> None:
    """Create, update, show and list strategies."""


@strategies.command()
@click.argument("strategy_id")
@strategy_options(creating=True)
@json_option
@pass_cli
def create(app: CliContext, /, strategy_id: str, **values: Any) -> None:
    """Register a strategy under a new, unique STRATEGY_ID."""
    strategy = app.services.strategies.create(strategy_id, _changes(values))
    emit(strategy, render_strategy)


@strategies.command()
@click.argument("strategy_id")
@strategy_options(creating=False)
@json_option
@pass_cli
def update(app: CliContext, /, strategy_id: str, **values: Any) -> None:
    """Change a strategy; the next signal sees the change."""
    strategy = app.services.strategies.update(strategy_id, _changes(values))
    emit(strategy, render_strategy)


@strategies.command()
@click.argument("strategy_id")
@json_option
@pass_cli
def show(app: CliContext, strategy_id: str) -> None:
    """Show one strategy."""
    emit(app.services.strategies.get(strategy_id), render_strategy)


@strategies.command("list")
@click.option("--status", type=STATUS, help="Only this status.")
@click.option("--account", help="Only this account.")
@click.option("--search", metavar="TEXT", help="Match id, name, notes or contact.")
@json_option
@pass_cli
def list_strategies(
    app: CliContext, status: str | None, account: str | None, search: str | None
) -> None:
    """List strategies, filtered by status, account or text."""
    query = StrategyFilter(
        status=StrategyStatus(status.upper()) if status else None, account=account, search=search
    )
    emit(list(app.services.strategies.list(query)), _render_list)


def render_strategy(strategy: Strategy) -> str:
    data = to_primitive(strategy)
    limits = data.pop("risk_limits")
    data.update({f"risk_limits.{k}": v for k, v in limits.items()})
    width = max(len(key) for key in data)
    return "\n".join(f"{key.ljust(width)}  {_show(value)}" for key, value in data.items())


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(value) or "-"
    return str(value)


def _render_list(rows: list[Strategy]) -> str:
    if not rows:
        return "No strategies match."
    return table(
        [
            (
                s.strategy_id,
                s.name,
                s.status,
                s.trading_mode,
                s.account,
                s.include_in_optimization,
                s.risk_limits.max_position_size,
                s.risk_limits.max_daily_loss,
                s.sender_ids,
            )
            for s in rows
        ],
        [
            "ID",
            "NAME",
            "STATUS",
            "MODE",
            "ACCOUNT",
            "OPTIMISE",
            "MAX POSITION",
            "MAX DAILY LOSS",
            "SENDERS",
        ],
    )
