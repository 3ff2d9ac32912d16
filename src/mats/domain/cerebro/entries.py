"""Size an entry (or an add) against allocation, max position, margin and slippage.

The chain, each step recorded: allocated capital = equity x allocation %; quantity = capital /
(price x multiplier x FX), rounded down to the lot; capped by max_position_size; scaled down so
projected margin use stays within the limit (or rejected when not even one lot fits).
"""

from __future__ import annotations

from decimal import Decimal

from mats.domain.accounting import AccountState
from mats.domain.cerebro.context import DecisionInputs, Known, Trace
from mats.domain.cerebro.decisions import Reason, fmt
from mats.domain.cerebro.orders import build_order
from mats.domain.market import Instrument
from mats.domain.orders import Order
from mats.domain.strategies import Strategy, StrategyStatus
from mats.domain.trading import OrderPurpose, Side
from mats.errors import ValidationError


def size_entry(
    trace: Trace,
    inputs: DecisionInputs,
    known: Known,
    *,
    side: Side,
    held: Decimal = Decimal(0),
    desired_total: Decimal | None = None,
) -> Order | None:
    """Return the entry order, or ``None`` with the reason recorded on ``trace``.

    ``held`` is the strategy's current absolute position on this side (an add builds on it);
    ``desired_total`` caps the position an add asks for (``None``: as much as allowed).
    """
    strategy, account, instrument = known.strategy, known.account, known.instrument
    if strategy.status is StrategyStatus.INACTIVE:
        trace.reason(Reason.STRATEGY_INACTIVE, f"Strategy {strategy.strategy_id} is INACTIVE")
        return None
    percent = inputs.allocation.percent_for(strategy.strategy_id) if inputs.allocation else None
    if not percent:
        trace.reason(Reason.NO_ALLOCATION, "the ACTIVE allocation gives this strategy 0%")
        return None
    if account.equity <= 0:
        trace.reason(Reason.NO_EQUITY, f"account equity is {fmt(account.equity)}")
        return None
    price = _sizing_price(trace, inputs, side)
    if price is None or not _slippage_ok(trace, inputs, side):
        return None
    fx = _fx_to_account(trace, inputs, instrument, account)
    if fx is None:
        return None
    unit_value = price * instrument.multiplier * fx
    allocated = account.equity * percent / 100
    trace.step(
        "allocated_capital",
        f"{fmt(account.equity)} {account.base_currency} equity x {fmt(percent)}%",
        allocated,
    )
    trace.step(
        "unit_value",
        f"price {fmt(price)} x multiplier {fmt(instrument.multiplier)} x fx {fmt(fx)}",
        unit_value,
    )
    by_allocation = instrument.round_quantity_down(allocated / unit_value) - held
    trace.step(
        "quantity_by_allocation",
        f"{fmt(allocated)} / {fmt(unit_value)} rounded down to lot {fmt(instrument.lot_size)}"
        + (f", less {fmt(held)} held" if held else ""),
        by_allocation,
    )
    quantity = by_allocation
    if desired_total is not None:
        wanted = instrument.round_quantity_down(desired_total) - held
        trace.step("quantity_by_signal", "the add the signal's own sizes ask for", wanted)
        quantity = min(quantity, wanted)
    if quantity <= 0:
        trace.reason(Reason.BELOW_MIN_SIZE, "the allocation does not buy a single lot")
        return None
    limited = _within_limits(
        trace, inputs, known, quantity, held=held, unit_value=unit_value, fx=fx
    )
    if limited is None or not _min_notional_ok(trace, instrument, limited, price):
        return None
    return _order(trace, known, side, limited, price)


def _within_limits(
    trace: Trace,
    inputs: DecisionInputs,
    known: Known,
    quantity: Decimal,
    *,
    held: Decimal,
    unit_value: Decimal,
    fx: Decimal,
) -> Decimal | None:
    capped = _cap_by_max_position(trace, known.strategy, known.instrument, quantity, held)
    if capped is None:
        return None
    return _fit_margin(trace, inputs, known, capped, unit_value=unit_value, fx=fx)


def _order(
    trace: Trace, known: Known, side: Side, quantity: Decimal, price: Decimal
) -> Order | None:
    account, instrument = known.account, known.instrument
    try:
        order = build_order(
            trace.signal,
            account,
            instrument,
            purpose=OrderPurpose.ENTRY,
            side=side,
            quantity=quantity,
            reference_price=price,
            created_at=trace.now,
        )
    except ValidationError as error:
        trace.reason(Reason.INVALID_BRACKET, str(error))
        return None
    trace.step("entry_order", f"{side.value} {fmt(quantity)} {instrument.symbol}", quantity)
    return order


def _sizing_price(trace: Trace, inputs: DecisionInputs, side: Side) -> Decimal | None:
    """The highest price the order may plausibly fill at: sizing with it never overspends."""
    signal = trace.signal
    quote = inputs.quote
    fresh = quote is not None and quote.is_fresh(trace.now, trace.settings.quote_max_age)
    reference = quote.price_for(side) if quote is not None and fresh else None
    source = f"fresh quote ({quote.source})" if reference is not None and quote else None
    if reference is None and signal.price is not None:
        reference, source = signal.price, "signal price"
    candidates = [p for p in (reference, signal.limit_price, signal.stop_price) if p is not None]
    if not candidates:
        trace.reason(Reason.NO_PRICE, "no fresh quote, no signal price and no order price")
        return None
    price = max(candidates)
    detail = f"{source or 'order price'}; the highest of reference, limit and stop prices"
    trace.step("sizing_price", detail, price)
    return price


def _slippage_ok(trace: Trace, inputs: DecisionInputs, side: Side) -> bool:
    """Drop an entry whose price has moved against it by more than 30% of the expected alpha."""
    signal, quote, settings = trace.signal, inputs.quote, trace.settings
    alpha = inputs.backtest.expected_alpha_per_trade if inputs.backtest else None
    fresh = quote is not None and quote.is_fresh(trace.now, settings.quote_max_age)
    now_price = quote.price_for(side) if quote is not None and fresh else None
    if now_price is None or signal.price is None or not alpha:
        missing = "no fresh quote" if now_price is None else "no signal price or backtest alpha"
        trace.step("slippage_rule", f"not evaluated: {missing}")
        return True
    move = (now_price - signal.price) / signal.price
    adverse = move if side is Side.BUY else -move
    allowed = alpha * settings.slippage_alpha_fraction
    passed = trace.check(
        "slippage",
        adverse,
        allowed,
        passed=adverse <= allowed,
        note=f"adverse move from {fmt(signal.price)} to {fmt(now_price)} vs "
        f"{fmt(settings.slippage_alpha_fraction * 100)}% of alpha {fmt(alpha)}",
    )
    if not passed:
        trace.reason(
            Reason.SLIPPAGE_EXCEEDED,
            f"price moved {fmt(adverse * 100)}% against the entry; more than "
            f"{fmt(allowed * 100)}% ({fmt(settings.slippage_alpha_fraction * 100)}% of alpha)",
        )
    return passed


def _fx_to_account(
    trace: Trace, inputs: DecisionInputs, instrument: Instrument, account: AccountState
) -> Decimal | None:
    if instrument.currency == account.base_currency:
        return Decimal(1)
    fx = inputs.fx
    if fx is None:
        trace.reason(
            Reason.FX_RATE_MISSING,
            f"no {instrument.currency}/{account.base_currency} rate to value the position",
        )
        return None
    if fx.base_currency == instrument.currency and fx.quote_currency == account.base_currency:
        rate = fx.rate
    else:
        rate = 1 / fx.rate
    trace.step("fx_rate", f"{instrument.currency} -> {account.base_currency} ({fx.pair})", rate)
    return rate


def _cap_by_max_position(
    trace: Trace, strategy: Strategy, instrument: Instrument, quantity: Decimal, held: Decimal
) -> Decimal | None:
    limit = strategy.risk_limits.max_position_size
    if limit is None:
        trace.step("max_position_size", "not set")
        return quantity
    room = instrument.round_quantity_down(limit - held)
    if not trace.check(
        "max_position_size", held + quantity, limit, passed=held + quantity <= limit
    ):
        if room <= 0:
            trace.reason(
                Reason.MAX_POSITION_REACHED, f"{fmt(held)} held already reaches {fmt(limit)}"
            )
            return None
        trace.reason(Reason.MAX_POSITION_CAPPED, f"capped from {fmt(quantity)} to {fmt(room)}")
        return room
    return quantity


def _fit_margin(
    trace: Trace,
    inputs: DecisionInputs,
    known: Known,
    quantity: Decimal,
    *,
    unit_value: Decimal,
    fx: Decimal,
) -> Decimal | None:
    account, instrument = known.account, known.instrument
    per_unit, source = _margin_per_unit(inputs, instrument, unit_value, fx)
    trace.step("margin_per_unit", source, per_unit)
    limit = trace.settings.margin_limit
    projected = (account.margin_used + quantity * per_unit) / account.equity
    if trace.check(
        "margin_utilisation",
        projected,
        limit,
        passed=projected <= limit,
        note=f"({fmt(account.margin_used)} used + {fmt(quantity)} x {fmt(per_unit)}) / "
        f"{fmt(account.equity)} equity",
    ):
        return quantity
    headroom = limit * account.equity - account.margin_used
    fitting = instrument.round_quantity_down(headroom / per_unit) if headroom > 0 else Decimal(0)
    if fitting <= 0:
        trace.reason(
            Reason.MARGIN_LIMIT,
            f"margin use would reach {fmt(projected * 100)}% of equity; the limit is "
            f"{fmt(limit * 100)}% and not even one lot fits",
        )
        return None
    trace.reason(
        Reason.MARGIN_SCALED,
        f"scaled from {fmt(quantity)} to {fmt(fitting)} to keep margin use within "
        f"{fmt(limit * 100)}% of equity",
    )
    return fitting


def _margin_per_unit(
    inputs: DecisionInputs, instrument: Instrument, unit_value: Decimal, fx: Decimal
) -> tuple[Decimal, str]:
    """The best margin estimate available, saying which one it is."""
    if instrument.margin_per_unit is not None:
        return instrument.margin_per_unit * fx, "instrument margin per unit"
    if instrument.margin_rate is not None:
        return (
            unit_value * instrument.margin_rate,
            f"instrument margin rate {instrument.margin_rate}",
        )
    backtest = inputs.backtest
    if backtest is not None and backtest.margin_per_unit is not None:
        return backtest.margin_per_unit * fx, "backtest margin per unit"
    return unit_value, "full notional (no margin data: assume no leverage)"


def _min_notional_ok(
    trace: Trace, instrument: Instrument, quantity: Decimal, price: Decimal
) -> bool:
    if instrument.min_notional is None:
        return True
    notional = quantity * price * instrument.multiplier
    if trace.check(
        "min_notional",
        notional,
        instrument.min_notional,
        passed=notional >= instrument.min_notional,
    ):
        return True
    trace.reason(
        Reason.BELOW_MIN_SIZE,
        f"{fmt(notional)} {instrument.currency} is below the venue minimum "
        f"{fmt(instrument.min_notional)}",
    )
    return False
