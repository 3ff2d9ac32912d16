"""``mats accounts``, ``positions``, ``instruments``, ``quotes``, ``fx`` and ``risk``.

The state Cerebro sizes against. The execution bridge will keep accounts, positions and quotes
current from the broker; until then, and for what-if work on the local stack, set them here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import click

from mats.cli.app import CliContext, pass_cli
from mats.cli.output import emit, json_option, table
from mats.cli.params import NON_NEGATIVE, POSITIVE, SIGNED
from mats.domain.market import AssetClass
from mats.domain.risk import RiskState


@click.group()
def accounts() -> None:
    """Broker account snapshots: equity, cash, margin."""


@accounts.command("set")
@click.argument("account")
@click.option("--broker", required=True, help="Who holds it: IB, BINANCE, PAPER, ...")
@click.option("--currency", required=True, help="Base currency, e.g. USD.")
@click.option("--equity", type=NON_NEGATIVE, required=True)
@click.option("--cash", type=SIGNED, required=True)
@click.option("--margin-used", type=NON_NEGATIVE, default="0", show_default=True)
@click.option("--margin-available", type=NON_NEGATIVE)
@json_option
@pass_cli
def set_account(
    app: CliContext,
    account: str,
    broker: str,
    currency: str,
    equity: Decimal,
    cash: Decimal,
    margin_used: Decimal,
    margin_available: Decimal | None,
) -> None:
    """Record an account's state, as the bridge will from the broker."""
    state = app.services.operations.set_account(
        account,
        broker=broker,
        base_currency=currency,
        equity=equity,
        cash=cash,
        margin_used=margin_used,
        margin_available=margin_available,
    )
    emit(state, lambda s: _accounts_table([s]))


@accounts.command("list")
@json_option
@pass_cli
def list_accounts(app: CliContext) -> None:
    """List accounts with equity and margin use."""
    emit(list(app.services.operations.list_accounts()), _accounts_table)


def _accounts_table(rows: list[Any]) -> str:
    if not rows:
        return "No accounts yet: `mats accounts set ACCOUNT ...`."
    return table(
        [
            (
                a.account,
                a.broker,
                a.base_currency,
                a.equity,
                a.cash,
                a.margin_used,
                f"{a.margin_used / a.equity * 100:.1f}%" if a.equity else "-",
                a.updated_at,
            )
            for a in rows
        ],
        ["ACCOUNT", "BROKER", "CCY", "EQUITY", "CASH", "MARGIN USED", "MARGIN %", "UPDATED (UTC)"],
    )


@click.group()
def positions() -> None:
    """The per-strategy position ledger."""


# Negative quantities (shorts) must read as numbers, not as unknown options.
@positions.command("set", context_settings={"ignore_unknown_options": True})
@click.argument("account")
@click.argument("strategy_id")
@click.argument("symbol")
@click.argument("quantity", type=SIGNED)
@click.option("--average-cost", type=POSITIVE)
@click.option(
    "--pnl-today", type=SIGNED, default="0", show_default=True, help="Realised + unrealised today."
)
@json_option
@pass_cli
def set_position(
    app: CliContext,
    account: str,
    strategy_id: str,
    symbol: str,
    quantity: Decimal,
    average_cost: Decimal | None,
    pnl_today: Decimal,
) -> None:
    """Set a strategy's position (negative QUANTITY for short), as fills will."""
    position = app.services.operations.set_position(
        account, strategy_id, symbol, quantity, average_cost=average_cost, pnl_today=pnl_today
    )
    emit(position, lambda p: positions_table([p], position.updated_at.date()))


@positions.command("list")
@click.option("--account")
@click.option("--strategy", "strategy_id")
@json_option
@pass_cli
def list_positions(app: CliContext, account: str | None, strategy_id: str | None) -> None:
    """List ledger positions."""
    rows = app.services.operations.list_positions(account=account, strategy_id=strategy_id)
    today = app.services.clock.now().date()
    emit(list(rows), lambda found: positions_table(found, today))


def positions_table(rows: list[Any], today: date) -> str:
    """The positions, each with its realised P&L of ``today`` (a position last traded on an
    earlier day made none today, whatever it made then)."""
    if not rows:
        return "No positions."
    return table(
        [
            (
                p.account,
                p.strategy_id,
                p.symbol,
                p.quantity,
                p.average_cost,
                p.pnl_on(today),
                p.updated_at,
            )
            for p in rows
        ],
        ["ACCOUNT", "STRATEGY", "SYMBOL", "QUANTITY", "AVG COST", "P&L TODAY", "UPDATED (UTC)"],
    )


@click.group()
def instruments() -> None:
    """What each venue accepts: tick, lot, multiplier, minimum notional, margin."""


@instruments.command("set")
@click.argument("symbol")
@click.option(
    "--asset-class",
    type=click.Choice([a.value for a in AssetClass], case_sensitive=False),
    required=True,
)
@click.option("--currency", required=True)
@click.option("--tick-size", type=POSITIVE, required=True)
@click.option("--lot-size", type=POSITIVE, required=True, help="Quantity step (1 for stocks).")
@click.option("--multiplier", type=POSITIVE, default="1", show_default=True)
@click.option("--min-notional", type=NON_NEGATIVE)
@click.option("--margin-rate", type=POSITIVE, help="Initial margin as a fraction of notional.")
@click.option("--margin-per-unit", type=NON_NEGATIVE, help="Fixed margin per unit (futures).")
@click.option("--exchange")
@click.option("--broker-symbol", help="The venue's own name for it, if different.")
@json_option
@pass_cli
def set_instrument(app: CliContext, /, symbol: str, asset_class: str, **values: Any) -> None:
    """Register or update an instrument."""
    instrument = app.services.operations.set_instrument(
        symbol, asset_class=AssetClass(asset_class.upper()), **values
    )
    emit(instrument, lambda i: _instruments_table([i]))


@instruments.command("list")
@json_option
@pass_cli
def list_instruments(app: CliContext) -> None:
    """List instruments."""
    emit(list(app.services.operations.list_instruments()), _instruments_table)


def _instruments_table(rows: list[Any]) -> str:
    if not rows:
        return "No instruments yet: `mats instruments set SYMBOL ...`."
    return table(
        [
            (
                i.symbol,
                i.asset_class,
                i.currency,
                i.tick_size,
                i.lot_size,
                i.multiplier,
                i.min_notional,
                i.margin_rate,
                i.margin_per_unit,
                i.exchange,
            )
            for i in rows
        ],
        [
            "SYMBOL",
            "CLASS",
            "CCY",
            "TICK",
            "LOT",
            "MULT",
            "MIN NOTIONAL",
            "MARGIN RATE",
            "MARGIN/UNIT",
            "EXCHANGE",
        ],
    )


@click.group()
def quotes() -> None:
    """Latest prices (the bridge will stream these)."""


@quotes.command("set")
@click.argument("symbol")
@click.option("--last", type=POSITIVE)
@click.option("--bid", type=POSITIVE)
@click.option("--ask", type=POSITIVE)
@json_option
@pass_cli
def set_quote(
    app: CliContext, symbol: str, last: Decimal | None, bid: Decimal | None, ask: Decimal | None
) -> None:
    """Record a quote now; Cerebro uses it while it is fresh (MATS_QUOTE_MAX_AGE_SECONDS)."""
    quote = app.services.operations.set_quote(symbol, last=last, bid=bid, ask=ask)
    emit(quote, lambda q: f"{q.symbol}: bid {q.bid or '-'} ask {q.ask or '-'} last {q.last or '-'}")


@click.group()
def fx() -> None:
    """FX rates for valuing instruments in another currency than the account's."""


@fx.command("set")
@click.argument("pair")
@click.argument("rate", type=POSITIVE)
@json_option
@pass_cli
def set_fx(app: CliContext, pair: str, rate: Decimal) -> None:
    """Set PAIR, written BASE/QUOTE (EUR/USD: USD per EUR), to RATE.

    Currencies are ISO 4217 codes or the crypto assets BNB, BTC, ETH, USDC and USDT.
    """
    fx_rate = app.services.operations.set_fx_rate(pair, rate)
    emit(fx_rate, lambda r: f"{r.pair} = {r.rate}")


@click.group()
def risk() -> None:
    """Trading states: ACTIVE, REDUCING (exits only), HALTED (nothing)."""


@risk.command("set")
@click.argument("state", type=click.Choice([s.value for s in RiskState], case_sensitive=False))
@click.option("--strategy", "strategy_id", help="One strategy (default: the whole fund).")
@click.option("--reason", help="Why; shown on every decision it affects.")
@json_option
@pass_cli
def set_risk(app: CliContext, state: str, strategy_id: str | None, reason: str | None) -> None:
    """Set the fund's or a strategy's trading state; the next signal obeys it."""
    setting = app.services.operations.set_risk(
        RiskState(state.upper()), strategy_id=strategy_id, reason=reason, set_by="cli"
    )
    emit(setting, lambda s: _risk_table([s]))


@risk.command("list")
@json_option
@pass_cli
def list_risk(app: CliContext) -> None:
    """List the trading states that are set (unset means ACTIVE)."""
    emit(list(app.services.operations.list_risk()), _risk_table)


def _risk_table(rows: list[Any]) -> str:
    if not rows:
        return "No trading states set: everything is ACTIVE."
    return table(
        [(r.scope, r.state, r.reason, r.set_by, r.updated_at) for r in rows],
        ["SCOPE", "STATE", "REASON", "SET BY", "UPDATED (UTC)"],
    )
