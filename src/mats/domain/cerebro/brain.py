"""Decide: one standard signal + the state of the fund → a recorded decision with its orders.

Order of reasoning: can we act at all (strategy, account, instrument known)? What risk state
applies (fund, strategy, and today's loss against max_daily_loss)? Does the sender's previous
position agree with our ledger (if not: alert, and by default move to the sender's target)?
Then size the exit and/or entry the effective intent needs.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal

from mats.domain.accounting import AccountState, StrategyPosition
from mats.domain.accounting.daily import trading_day_start
from mats.domain.alerts import AlertSeverity
from mats.domain.cerebro.context import DecisionInputs, Known, Trace, quote_mid
from mats.domain.cerebro.decisions import (
    CerebroSettings,
    Decision,
    DecisionStatus,
    MismatchPolicy,
    Reason,
    fmt,
)
from mats.domain.cerebro.entries import size_entry
from mats.domain.cerebro.exits import size_exit
from mats.domain.cerebro.orders import EXIT_LEG, cancel_order
from mats.domain.market import Instrument
from mats.domain.orders import Order
from mats.domain.risk import RiskSetting, RiskState, most_restrictive, strategy_scope
from mats.domain.signals.signal import Signal
from mats.domain.strategies import Strategy
from mats.domain.trading import Intent, PositionSide, Side

_SCALING = {Reason.MARGIN_SCALED, Reason.MAX_POSITION_CAPPED}
# Recorded and alerted, but they do not by themselves stop or shrink an order.
_ADVISORY = {Reason.POSITION_MISMATCH, Reason.DAILY_LOSS_LIMIT, Reason.LIMIT_BREACHED}
_NOTHING_TO_DO = {Reason.NO_POSITION, Reason.ALREADY_AT_TARGET, Reason.ALREADY_EXITING}
_OPENING_SIDE = {PositionSide.LONG: Side.BUY, PositionSide.SHORT: Side.SELL}


def decide(
    signal: Signal, inputs: DecisionInputs, settings: CerebroSettings, now: datetime
) -> Decision:
    """Work out the orders for ``signal``; every input, step and limit lands in the decision."""
    trace = Trace(signal, now, settings)
    _record_inputs(trace, inputs)
    strategy, account, instrument = inputs.strategy, inputs.account, inputs.instrument
    if strategy is None or account is None or instrument is None:
        _missing_reference(trace, strategy, account, instrument)
        return _finish(trace, inputs, None, None)
    known = Known(strategy, account, instrument)
    risk, risk_change = _risk_state(trace, inputs, known)
    intent = _effective_intent(trace, inputs.position_of(signal))
    if intent is not None:
        if intent is not Intent.CANCEL:
            trace.decision_mid = _decision_mid(trace, inputs)
        _act(trace, inputs, known, intent, risk)
    return _finish(trace, inputs, intent, risk_change)


def drop_stale_event(
    signal: Signal, inputs: DecisionInputs, age_seconds: float, now: datetime
) -> Decision:
    """Record a signal delivered too late to act on; an exit dropped this way raises an alert."""
    trace = Trace(signal, now, CerebroSettings())
    _record_inputs(trace, inputs)
    trace.reason(Reason.EVENT_TOO_OLD, f"delivered {age_seconds:.0f} s after it was published")
    if signal.intent in (Intent.EXIT, Intent.REDUCE, Intent.REVERSE) and _held(inputs, signal):
        trace.alert(
            "EXIT_DROPPED",
            AlertSeverity.CRITICAL,
            f"an exit for {signal.symbol} arrived too late to act on; the position is still open",
        )
    decision = _finish(trace, inputs, None, None)
    return dataclasses.replace(decision, status=DecisionStatus.DROPPED)


def _act(
    trace: Trace, inputs: DecisionInputs, known: Known, intent: Intent, risk: RiskState
) -> None:
    account, instrument = known.account, known.instrument
    if intent is Intent.CANCEL:
        trace.step("cancel", "cancel the strategy's open orders on this instrument")
        trace.orders.append(cancel_order(trace.signal, account, instrument, trace.now))
        return
    if risk is RiskState.HALTED:
        trace.reason(Reason.TRADING_HALTED, "trading is HALTED: no order of any kind")
        if intent in (Intent.EXIT, Intent.REDUCE, Intent.REVERSE) and _held(inputs, trace.signal):
            trace.alert(
                "EXIT_BLOCKED", AlertSeverity.CRITICAL, "an exit was blocked: trading is HALTED"
            )
        return
    closes = intent in (Intent.EXIT, Intent.REDUCE, Intent.REVERSE)
    if closes:
        fraction = _reduce_fraction(trace) if intent is Intent.REDUCE else Decimal(1)
        leg = EXIT_LEG if intent is Intent.REVERSE else "_ORD"
        order = size_exit(trace, inputs, known, fraction=fraction, leg=leg, pending=trace.orders)
        if order is not None:
            trace.orders.append(order)
    if intent in (Intent.ENTRY_LONG, Intent.ENTRY_SHORT, Intent.REVERSE, Intent.ADD):
        if risk is RiskState.REDUCING:
            trace.reason(Reason.REDUCING_ONLY, "the strategy may only reduce: entries are blocked")
            return
        _enter(trace, inputs, known, intent)


def _enter(trace: Trace, inputs: DecisionInputs, known: Known, intent: Intent) -> None:
    side = _entry_side(trace.signal, intent, inputs.position_of(trace.signal))
    desired = _add_target(trace, abs(_held(inputs, trace.signal))) if intent is Intent.ADD else None
    order = size_entry(trace, inputs, known, side=side, desired_total=desired, pending=trace.orders)
    if order is not None:
        trace.orders.append(order)


def _entry_side(signal: Signal, intent: Intent, position: StrategyPosition | None) -> Side:
    if intent is Intent.ENTRY_LONG:
        return Side.BUY
    if intent is Intent.ENTRY_SHORT:
        return Side.SELL
    if intent is Intent.ADD and position is not None and position.quantity != 0:
        return Side.BUY if position.quantity > 0 else Side.SELL
    if signal.target is not None and signal.target.side in _OPENING_SIDE:
        return _OPENING_SIDE[signal.target.side]
    if signal.side is not None:
        return signal.side
    # A reverse from our own position: open the other way.
    return Side.SELL if position is not None and position.quantity > 0 else Side.BUY


def _effective_intent(trace: Trace, position: StrategyPosition | None) -> Intent | None:
    """Reconcile the sender's view with the ledger; return what to do, or ``None`` for nothing."""
    signal = trace.signal
    ours = position.side if position is not None else PositionSide.FLAT
    trace.step("ledger_position", f"the ledger holds {ours.value}", _held_of(position))
    if signal.intent is Intent.CANCEL:
        return Intent.CANCEL
    previous = signal.previous
    if previous is not None and previous.side is not ours:
        message = (
            f"the sender says the strategy was {previous.side.value} but the ledger holds "
            f"{ours.value}: a missed or duplicate alert"
        )
        trace.reason(Reason.POSITION_MISMATCH, message)
        trace.alert("POSITION_MISMATCH", AlertSeverity.WARNING, message)
        policy = trace.settings.mismatch_policy
        trace.step("mismatch_policy", policy.value)
        if policy is MismatchPolicy.IGNORE_SIGNAL:
            return None
        if policy is MismatchPolicy.TRUST_SIGNAL:
            return signal.intent
    target = _target_side(signal, ours)
    if target is None:
        return signal.intent
    intent = _transition(ours, target, signal.intent)
    if intent is None:
        trace.reason(Reason.ALREADY_AT_TARGET, f"the ledger is already {target.value}")
    elif intent is not signal.intent:
        trace.step(
            "effective_intent", f"{signal.intent.value} becomes {intent.value} from {ours.value}"
        )
    return intent


def _target_side(signal: Signal, ours: PositionSide) -> PositionSide | None:
    intent = signal.intent
    if intent is Intent.ENTRY_LONG:
        return PositionSide.LONG
    if intent is Intent.ENTRY_SHORT:
        return PositionSide.SHORT
    if intent is Intent.EXIT:
        return PositionSide.FLAT
    if signal.target is not None and signal.target.side is not PositionSide.FLAT:
        return signal.target.side
    if intent in (Intent.ADD, Intent.REDUCE) and ours is not PositionSide.FLAT:
        return ours
    return None


def _transition(ours: PositionSide, target: PositionSide, asked: Intent) -> Intent | None:
    """The intent that moves the ledger from ``ours`` to ``target``."""
    if ours is PositionSide.FLAT:
        if target is PositionSide.FLAT:
            return None
        return Intent.ENTRY_LONG if target is PositionSide.LONG else Intent.ENTRY_SHORT
    if target is PositionSide.FLAT:
        return Intent.EXIT
    if target is not ours:
        return Intent.REVERSE
    return asked if asked in (Intent.ADD, Intent.REDUCE) else None


def _reduce_fraction(trace: Trace) -> Decimal:
    """The fraction a reduce closes, from the sender's sizes; without sizes, everything."""
    previous, target = trace.signal.previous, trace.signal.target
    if previous is not None and target is not None and previous.size and target.size is not None:
        fraction = (previous.size - target.size) / previous.size
        trace.step(
            "reduce_fraction",
            f"sender went from {fmt(previous.size)} to {fmt(target.size)}",
            fraction,
        )
        return min(Decimal(1), max(Decimal(0), fraction))
    trace.step("reduce_fraction", "the sender gave no sizes: close the whole position", Decimal(1))
    return Decimal(1)


def _add_target(trace: Trace, held: Decimal) -> Decimal | None:
    previous, target = trace.signal.previous, trace.signal.target
    if held and previous is not None and target is not None and previous.size and target.size:
        return held * target.size / previous.size
    return None


def _risk_state(
    trace: Trace, inputs: DecisionInputs, known: Known
) -> tuple[RiskState, RiskSetting | None]:
    strategy = known.strategy
    fund = inputs.risk_global.state if inputs.risk_global else RiskState.ACTIVE
    own = inputs.risk_strategy.state if inputs.risk_strategy else RiskState.ACTIVE
    automatic, change = RiskState.ACTIVE, None
    limit = strategy.risk_limits.max_daily_loss
    if limit is not None:
        loss, basis = _loss_today(trace, inputs, known)
        if loss is None:
            automatic = RiskState.REDUCING  # A limit that cannot be checked holds entries back.
        elif not trace.check(
            "max_daily_loss",
            loss,
            limit,
            passed=loss <= limit,
            note=f"{trace.settings.base_currency}, {basis}",
        ):
            automatic = RiskState.REDUCING
            detail = (
                f"today's loss {fmt(loss)} {trace.settings.base_currency} exceeds "
                f"max_daily_loss {fmt(limit)}"
            )
            trace.reason(Reason.DAILY_LOSS_LIMIT, detail)
            if own is RiskState.ACTIVE:
                change = RiskSetting(
                    strategy_scope(strategy.strategy_id),
                    RiskState.REDUCING,
                    trace.now,
                    detail,
                    "cerebro",
                )
                trace.alert(
                    "DAILY_LOSS_LIMIT",
                    AlertSeverity.CRITICAL,
                    f"{strategy.strategy_id} set to REDUCING: {detail}",
                )
    state = most_restrictive(fund, own, automatic)
    trace.step(
        "risk_state",
        f"fund {fund.value}, strategy {own.value}, daily loss {automatic.value}",
        state.value,
    )
    return state, change


def _loss_today(trace: Trace, inputs: DecisionInputs, known: Known) -> tuple[Decimal | None, str]:
    """The strategy's loss since the start of the trading day, in the base currency, and what
    it counts: the accounting's realised + unrealised figure for the current trading day, else
    the ledger's realised P&L today (``None`` when a figure cannot be valued)."""
    start = trading_day_start(trace.now, trace.settings.trading_day_start)
    day = inputs.day_pnl
    if day is not None and day.day_start == start:
        basis = f"realised + unrealised since {start:%Y-%m-%d %H:%M} UTC"
        trace.record_input(
            "daily_pnl",
            day.pnl,
            f"strategy_day_pnl/{day.strategy_id} ({basis}, net of commissions)",
            day.as_of,
        )
        if day.flags:
            trace.step("daily_pnl_flags", f"the accounting flags: {', '.join(day.flags)}")
        if "FX_MISSING" in day.flags:
            trace.reason(
                Reason.FX_RATE_MISSING,
                f"strategy_day_pnl/{day.strategy_id} lacks an FX rate: today's loss cannot be "
                "valued",
            )
            return None, basis
        return Decimal(0) - day.pnl, basis
    why = (
        "no strategy_day_pnl"
        if day is None
        else f"strategy_day_pnl is for the day from {day.day_start:%Y-%m-%d %H:%M} UTC"
    )
    basis = f"realised today, positions ledger ({why})"
    loss = _realised_loss_today(trace, inputs, known)
    trace.record_input(
        "daily_pnl",
        Decimal(0) - loss if loss is not None else None,
        basis,
        max((p.updated_at for p in inputs.positions), default=None),
    )
    return loss, basis


def _realised_loss_today(trace: Trace, inputs: DecisionInputs, known: Known) -> Decimal | None:
    """Today's realised loss across the strategy's positions, in the base currency."""
    today, base = trace.signal.created_at.date(), trace.settings.base_currency
    loss = Decimal(0)
    for position in inputs.positions:
        pnl = position.pnl_on(today)
        if not pnl:
            continue
        currency = position.currency or known.account.base_currency
        rate = trace.convert(inputs.fx_rates, currency, base)
        if rate is None:
            return None
        loss -= pnl * rate.rate
    return loss


def _decision_mid(trace: Trace, inputs: DecisionInputs) -> Decimal | None:
    """The mid of the fresh quote the decision is made on: the shortfall's decision price."""
    quote = inputs.quote
    if quote is None or not quote.is_fresh(trace.now, trace.settings.quote_max_age):
        trace.step("decision_mid", "not recorded: no fresh quote")
        return None
    mid = quote_mid(quote)
    if mid is None:
        trace.step("decision_mid", f"not recorded: the quote ({quote.source}) has no price")
        return None
    how = "(bid + ask) / 2" if quote.bid is not None and quote.ask is not None else "last"
    trace.step("decision_mid", f"{how} of the fresh quote ({quote.source})", mid)
    return mid


def _missing_reference(
    trace: Trace,
    strategy: Strategy | None,
    account: AccountState | None,
    instrument: Instrument | None,
) -> None:
    signal = trace.signal
    exit_like = signal.intent in (Intent.EXIT, Intent.REDUCE, Intent.REVERSE)
    for value, reason, detail in (
        (strategy, Reason.STRATEGY_UNKNOWN, f"strategy {signal.strategy_id} is not registered"),
        (account, Reason.ACCOUNT_UNKNOWN, f"account {signal.account} has no known state"),
        (instrument, Reason.INSTRUMENT_UNKNOWN, f"instrument {signal.symbol} is not registered"),
    ):
        if value is None:
            trace.reason(reason, detail)
            if exit_like:
                trace.alert(
                    "EXIT_BLOCKED", AlertSeverity.CRITICAL, f"an exit cannot be sized: {detail}"
                )


def _record_inputs(trace: Trace, inputs: DecisionInputs) -> None:
    signal = trace.signal
    trace.record_input(
        "signal_price", signal.price, "signal", signal.signal_time or signal.created_at
    )
    if inputs.account is not None:
        account = inputs.account
        trace.record_input(
            "equity",
            account.equity,
            f"accounts/{account.account} ({account.source})",
            account.updated_at,
        )
        trace.record_input(
            "margin_used", account.margin_used, f"accounts/{account.account}", account.updated_at
        )
    if inputs.allocation is not None:
        allocation = inputs.allocation
        source = f"portfolio_allocations/{allocation.allocation_id}"
        trace.record_input(
            "allocation_percent",
            allocation.percent_for(signal.strategy_id),
            source,
            allocation.activated_at,
        )
    else:
        trace.record_input("allocation_percent", None, "no ACTIVE allocation")
    position = inputs.position_of(signal)
    trace.record_input(
        "position",
        position.quantity if position else Decimal(0),
        "positions ledger",
        position.updated_at if position else None,
    )
    today = signal.created_at.date()
    trace.record_input(
        "strategy_pnl_today",
        {p.symbol: p.pnl_on(today) for p in inputs.positions if p.pnl_on(today)},
        "positions ledger (each in its instrument's currency)",
    )
    trace.record_input(
        "working_orders",
        [
            f"{r.order.id} {r.order.side.value if r.order.side else r.order.action.value} "
            f"{fmt(r.remaining)} {r.order.symbol}"
            for r in inputs.orders_on(signal.account)
            if not r.state.ended
        ],
        f"orders on {signal.account} not yet ended",
    )
    trace.record_input("decision_sequence", inputs.sequence, f"decision_sequence/{signal.account}")
    if inputs.quote is not None:
        quote = inputs.quote
        trace.record_input(
            "quote",
            {"bid": quote.bid, "ask": quote.ask, "last": quote.last},
            f"quotes ({quote.source})",
            quote.as_of,
        )
    if inputs.instrument is not None:
        instrument = inputs.instrument
        trace.record_input(
            "instrument",
            {
                "tick_size": instrument.tick_size,
                "lot_size": instrument.lot_size,
                "multiplier": instrument.multiplier,
                "currency": instrument.currency,
            },
            f"instruments/{instrument.symbol}",
            instrument.updated_at,
        )
    if inputs.backtest is not None:
        backtest = inputs.backtest
        trace.record_input(
            "expected_alpha_per_trade",
            backtest.expected_alpha_per_trade,
            "strategy_backtest_data",
            backtest.as_of,
        )


def _finish(
    trace: Trace, inputs: DecisionInputs, intent: Intent | None, risk_change: RiskSetting | None
) -> Decision:
    signal = trace.signal
    orders: tuple[Order, ...] = tuple(trace.orders)
    blocking = [r for r in trace.reasons if r not in _SCALING | _ADVISORY]
    if not orders:
        nothing_to_do = set(blocking) <= _NOTHING_TO_DO
        status = DecisionStatus.IGNORED if nothing_to_do else DecisionStatus.REJECTED
    elif blocking or set(trace.reasons) & _SCALING:
        status = DecisionStatus.SCALED
    else:
        status = DecisionStatus.APPROVED
    summary = _summary(status, orders, trace.reasons)
    return Decision(
        signal_id=signal.id,
        strategy_id=signal.strategy_id,
        account=signal.account,
        symbol=signal.symbol,
        decided_at=trace.now,
        signal_intent=signal.intent,
        effective_intent=intent,
        status=status,
        summary=summary,
        reasons=tuple(trace.reasons),
        inputs=tuple(trace.inputs),
        steps=tuple(trace.steps),
        checks=tuple(trace.checks),
        orders=orders,
        alerts=tuple(trace.alerts),
        risk_change=risk_change,
        sequence=inputs.sequence + 1,
    )


def _summary(status: DecisionStatus, orders: tuple[Order, ...], reasons: list[Reason]) -> str:
    legs = "; ".join(
        f"{order.side.value if order.side else order.action.value} {fmt(order.quantity)} "
        f"{order.symbol} ({order.purpose.value.lower()})"
        for order in orders
    )
    because = ", ".join(reason.value for reason in reasons)
    return " ".join(
        part for part in (status.value, legs, f"[{because}]" if because else "") if part
    )


def _held(inputs: DecisionInputs, signal: Signal) -> Decimal:
    position = inputs.position_of(signal)
    return position.quantity if position is not None else Decimal(0)


def _held_of(position: StrategyPosition | None) -> Decimal:
    return position.quantity if position is not None else Decimal(0)
