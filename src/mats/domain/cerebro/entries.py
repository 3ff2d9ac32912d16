"""Size an entry (or an add) against allocation, max position, margin and slippage.

The chain, each step recorded: allocated capital = the fund's equity (every account, in the base
currency) x allocation %; converted to the instrument's currency, quantity = capital / (price x
multiplier), rounded down to the lot, less what the strategy already holds or has on its way on
that side (exposure: the ledger plus every working order, as if filled); capped so the
position's notional in the fund's base currency stays within max_position_size; scaled down so
margin use, with the margin of working orders, stays within the limit on the strategy's account
and on the fund as a whole (or rejected when not even one lot fits).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from mats.domain.alerts import AlertSeverity
from mats.domain.cerebro.context import DecisionInputs, Known, Trace
from mats.domain.cerebro.decisions import Reason, fmt
from mats.domain.cerebro.exposure import exposure, in_flight, working_orders
from mats.domain.cerebro.fund import Fund, fund_in_flight, value_fund, value_in_account
from mats.domain.cerebro.orders import build_order
from mats.domain.cerebro.sizing import ALLOCATED_CAPITAL
from mats.domain.market import Instrument
from mats.domain.orders import Order
from mats.domain.strategies import StrategyStatus
from mats.domain.trading import OrderPurpose, Side
from mats.errors import ValidationError


@dataclass(frozen=True)
class Pricing:
    """One unit of the instrument at the sizing price, in the account's and the base currency."""

    price: Decimal
    to_account: Decimal  # FX from the instrument's currency to the account's.
    in_account: Decimal
    to_base: Decimal  # FX from the instrument's currency to the base currency.
    in_base: Decimal

    def account_to_base(self, amount: Decimal) -> Decimal:
        """An amount in the account's currency, in the base currency (through the instrument's
        rates, so it holds even when the account's own rate to the base is missing)."""
        return amount / self.to_account * self.to_base


def size_entry(
    trace: Trace,
    inputs: DecisionInputs,
    known: Known,
    *,
    side: Side,
    desired_total: Decimal | None = None,
    pending: Sequence[Order] = (),
) -> Order | None:
    """Return the entry order, or ``None`` with the reason recorded on ``trace``.

    ``desired_total`` caps the position an add asks for (``None``: as much as allowed);
    ``pending`` are orders this decision made already (a reverse's exit leg).
    """
    base = _sizing_base(trace, inputs, known)
    if base is None:
        return None
    percent, fund = base
    price = _sizing_price(trace, inputs, side)
    if price is None or not _slippage_ok(trace, inputs, side):
        return None
    pricing = _pricing(trace, inputs, known, price)
    if pricing is None:
        return None
    committed = _committed(trace, inputs, side, pending)
    quantity = _by_allocation(
        trace,
        known,
        fund,
        percent=percent,
        pricing=pricing,
        committed=committed,
        desired_total=desired_total,
    )
    if quantity is None:
        return None
    quantity = _cap_by_max_position(trace, known, quantity, pricing, committed)
    if quantity is None:
        return None
    quantity = _fit_margin(trace, inputs, known, quantity, pricing)
    if quantity is None:
        return None
    quantity = _fit_fund_margin(trace, inputs, known, quantity, pricing, fund=fund)
    if quantity is None or not _min_notional_ok(trace, known.instrument, quantity, price):
        return None
    per_unit, _ = _margin_per_unit(inputs, known.instrument, pricing)
    return _order(trace, known, side, quantity, price=price, per_unit=per_unit)


def _sizing_base(trace: Trace, inputs: DecisionInputs, known: Known) -> tuple[Decimal, Fund] | None:
    """The strategy's allocation % and the fund it is a share of, if an entry may be sized."""
    strategy, account = known.strategy, known.account
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
    fund = value_fund(trace, inputs)
    if fund.equity <= 0:
        trace.reason(
            Reason.NO_EQUITY, f"the fund's equity is {fmt(fund.equity)} {fund.base_currency}"
        )
        return None
    return percent, fund


def _pricing(trace: Trace, inputs: DecisionInputs, known: Known, price: Decimal) -> Pricing | None:
    instrument, account = known.instrument, known.account
    to_account = trace.convert(inputs.fx_rates, instrument.currency, account.base_currency)
    if to_account is None:
        return None
    in_account = price * instrument.multiplier * to_account.rate
    trace.step(
        "unit_value",
        f"price {fmt(price)} x multiplier {fmt(instrument.multiplier)} x fx "
        f"{fmt(to_account.rate)} ({account.base_currency})",
        in_account,
    )
    base = trace.settings.base_currency
    to_base = trace.convert(inputs.fx_rates, instrument.currency, base)
    if to_base is None:
        return None
    in_base = price * instrument.multiplier * to_base.rate
    return Pricing(price, to_account.rate, in_account, to_base.rate, in_base)


def _by_allocation(
    trace: Trace,
    known: Known,
    fund: Fund,
    *,
    percent: Decimal,
    pricing: Pricing,
    committed: Decimal,
    desired_total: Decimal | None,
) -> Decimal | None:
    instrument, base = known.instrument, fund.base_currency
    allocated = fund.equity * percent / 100
    trace.step(
        ALLOCATED_CAPITAL,
        f"{fmt(fund.equity)} {base} fund equity x {fmt(percent)}%",
        allocated,
    )
    capital = allocated
    if instrument.currency != base:
        capital = allocated / pricing.to_base
        trace.step(
            "allocated_in_instrument_currency",
            f"{fmt(allocated)} {base} / {fmt(pricing.to_base)} ({instrument.currency} -> {base})"
            f" in {instrument.currency}",
            capital,
        )
    unit = pricing.price * instrument.multiplier
    affordable = instrument.round_quantity_down(capital / unit)
    quantity = affordable - committed
    trace.step(
        "quantity_by_allocation",
        f"{fmt(capital)} / {fmt(unit)} rounded down to lot "
        f"{fmt(instrument.lot_size)} = {fmt(affordable)}, less {fmt(committed)} committed",
        quantity,
    )
    if desired_total is not None:
        wanted = instrument.round_quantity_down(desired_total) - committed
        trace.step("quantity_by_signal", "the add the signal's own sizes ask for", wanted)
        quantity = min(quantity, wanted)
    if quantity > 0:
        return quantity
    if committed > 0 and affordable - committed <= 0:
        trace.reason(
            Reason.ALLOCATION_REACHED,
            f"{fmt(committed)} held or on its way already uses the allocation of {fmt(affordable)}",
        )
    else:
        trace.reason(Reason.BELOW_MIN_SIZE, "the allocation does not buy a single lot")
    return None


def _committed(
    trace: Trace, inputs: DecisionInputs, side: Side, pending: Sequence[Order]
) -> Decimal:
    """The position on ``side`` if every working order of the strategy on it fills."""
    signal = trace.signal
    position = inputs.position_of(signal)
    held = position.quantity if position is not None else Decimal(0)
    working = working_orders(inputs.orders_on(signal.account), pending)
    found = exposure(held, working, strategy_id=signal.strategy_id, symbol=signal.symbol)
    committed = found.committed(side)
    trace.step("exposure", f"{found.describe(side)}: committed on the {side.value} side", committed)
    return committed


def _cap_by_max_position(
    trace: Trace, known: Known, quantity: Decimal, pricing: Pricing, committed: Decimal
) -> Decimal | None:
    """Keep the position's notional, in the base currency, within max_position_size."""
    limit = known.strategy.risk_limits.max_position_size
    if limit is None:
        trace.step("max_position_size", "not set")
        return quantity
    base, unit = trace.settings.base_currency, pricing.in_base
    notional = (committed + quantity) * unit
    note = f"({fmt(committed)} + {fmt(quantity)}) x {fmt(unit)} {base}"
    if trace.check("max_position_size", notional, limit, passed=notional <= limit, note=note):
        return quantity
    room = known.instrument.round_quantity_down(limit / unit) - committed
    if committed * unit > limit:
        message = (
            f"{known.strategy.strategy_id} already holds or has on its way {fmt(committed)} "
            f"{known.instrument.symbol} worth {fmt(committed * unit)} {base}, above its "
            f"max_position_size of {fmt(limit)} {base}"
        )
        trace.reason(Reason.LIMIT_BREACHED, message)
        trace.alert("LIMIT_BREACHED", AlertSeverity.CRITICAL, message)
    if room <= 0:
        trace.reason(
            Reason.MAX_POSITION_REACHED,
            f"{fmt(committed)} committed already reaches {fmt(limit)} {base}",
        )
        return None
    trace.reason(
        Reason.MAX_POSITION_CAPPED,
        f"capped from {fmt(quantity)} to {fmt(room)}: {fmt(limit)} {base} / {fmt(unit)} {base} "
        f"a unit, less {fmt(committed)} committed",
    )
    return room


def _fit_margin(
    trace: Trace, inputs: DecisionInputs, known: Known, quantity: Decimal, pricing: Pricing
) -> Decimal | None:
    """Keep margin use within the limit after the order and every entry still in flight.

    Equity is taken net of a cost allowance on what those orders trade (commission and
    slippage lower equity when they fill), so filling them cannot take margin use past the limit.
    """
    account, instrument = known.account, known.instrument
    per_unit, source = _margin_per_unit(inputs, instrument, pricing)
    trace.step("margin_per_unit", source, per_unit)
    limit, allowance = trace.settings.margin_limit, trace.settings.cost_allowance
    flying = in_flight(
        inputs.orders_on(account.account),
        snapshot_at=account.updated_at,
        notional_per_unit=lambda order: value_in_account(inputs, order, account),
    )
    if flying is None:
        trace.reason(
            Reason.MARGIN_LIMIT,
            "a working order's margin cannot be valued (no price or FX rate): entries wait",
        )
        return None
    used = account.margin_used + flying.margin
    traded = flying.notional + quantity * pricing.in_account
    equity = account.equity - traded * allowance
    projected = (used + quantity * per_unit) / equity if equity > 0 else Decimal("Infinity")
    if trace.check(
        "margin_utilisation",
        _shown(projected),
        limit,
        passed=projected <= limit,
        note=f"({fmt(account.margin_used)} used + {fmt(flying.margin)} in flight + "
        f"{fmt(quantity)} x {fmt(per_unit)}) / ({fmt(account.equity)} equity - "
        f"{fmt(allowance * 100)}% of {fmt(traded)} traded)",
    ):
        return quantity
    # used + q x m <= limit x (equity - allowance x (in flight + q x unit)), solved for q.
    fitting = _fitting(
        instrument,
        headroom=limit * (account.equity - allowance * flying.notional) - used,
        per_unit_total=per_unit + limit * allowance * pricing.in_account,
    )
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


def _shown(ratio: Decimal) -> Decimal:
    """A ratio as the flight recorder shows it: six places, rounded up (never flattering)."""
    return (
        ratio.quantize(Decimal("0.000001"), rounding=ROUND_CEILING) if ratio.is_finite() else ratio
    )


def _fit_fund_margin(
    trace: Trace,
    inputs: DecisionInputs,
    known: Known,
    quantity: Decimal,
    pricing: Pricing,
    *,
    fund: Fund,
) -> Decimal | None:
    """Keep the fund's margin use within the limit: every account's margin used, every entry
    in flight and this order's margin, against the fund's equity, all in the base currency."""
    per_unit, _ = _margin_per_unit(inputs, known.instrument, pricing)
    per_unit_base = pricing.account_to_base(per_unit)
    limit, allowance = trace.settings.margin_limit, trace.settings.cost_allowance
    base = fund.base_currency
    flying, unvalued = fund_in_flight(inputs, fund)
    if unvalued:
        trace.step(
            "fund_in_flight",
            f"working orders on {', '.join(unvalued)} cannot be valued (no price or FX rate): "
            "left out of the fund's margin",
        )
    used = fund.margin_used + flying.margin
    traded = flying.notional + quantity * pricing.in_base
    equity = fund.equity - traded * allowance
    projected = (used + quantity * per_unit_base) / equity if equity > 0 else Decimal("Infinity")
    if trace.check(
        "fund_margin_utilisation",
        _shown(projected),
        limit,
        passed=projected <= limit,
        note=f"({fmt(fund.margin_used)} used + {fmt(flying.margin)} in flight + "
        f"{fmt(quantity)} x {fmt(per_unit_base)}) / ({fmt(fund.equity)} fund equity - "
        f"{fmt(allowance * 100)}% of {fmt(traded)} traded), {base}",
    ):
        return quantity
    fitting = _fitting(
        known.instrument,
        headroom=limit * (fund.equity - allowance * flying.notional) - used,
        per_unit_total=per_unit_base + limit * allowance * pricing.in_base,
    )
    if fitting <= 0:
        trace.reason(
            Reason.MARGIN_LIMIT,
            f"the fund's margin use would reach {fmt(projected * 100)}% of its equity; the "
            f"limit is {fmt(limit * 100)}% and not even one lot fits",
        )
        return None
    trace.reason(
        Reason.MARGIN_SCALED,
        f"scaled from {fmt(quantity)} to {fmt(fitting)} to keep the fund's margin use within "
        f"{fmt(limit * 100)}% of its equity",
    )
    return fitting


def _fitting(instrument: Instrument, *, headroom: Decimal, per_unit_total: Decimal) -> Decimal:
    """The most lots whose margin (and cost allowance) fits in ``headroom``."""
    if headroom <= 0:
        return Decimal(0)
    return instrument.round_quantity_down(headroom / per_unit_total)


def _order(
    trace: Trace, known: Known, side: Side, quantity: Decimal, *, price: Decimal, per_unit: Decimal
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
            margin_per_unit=per_unit,
            decision_mid=trace.decision_mid,
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


def _margin_per_unit(
    inputs: DecisionInputs, instrument: Instrument, pricing: Pricing
) -> tuple[Decimal, str]:
    """The best margin estimate available (account currency), saying which one it is."""
    fx = pricing.to_account
    if instrument.margin_per_unit is not None:
        return instrument.margin_per_unit * fx, "instrument margin per unit"
    if instrument.margin_rate is not None:
        return (
            pricing.in_account * instrument.margin_rate,
            f"instrument margin rate {instrument.margin_rate}",
        )
    backtest = inputs.backtest
    if backtest is not None and backtest.margin_per_unit is not None:
        return backtest.margin_per_unit * fx, "backtest margin per unit"
    return pricing.in_account, "full notional (no margin data: assume no leverage)"


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
