"""Every reason code and rule of the sizing brain, one behaviour per test."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest

from mats.domain.cerebro.brain import decide
from mats.domain.cerebro.context import BacktestFacts
from mats.domain.cerebro.decisions import CerebroSettings, DecisionStatus, MismatchPolicy, Reason
from mats.domain.market import AssetClass, FxRate, Quote
from mats.domain.risk import GLOBAL_SCOPE, RiskSetting, RiskState
from mats.domain.strategies import RiskLimits, StrategyStatus
from mats.domain.trading import (
    Intent,
    OrderAction,
    OrderPurpose,
    OrderType,
    Position,
    PositionSide,
    ProtectiveLeg,
    Side,
)
from tests.builders import (
    NOW,
    a_position,
    a_signal,
    a_strategy,
    an_account,
    an_allocation,
    an_instrument,
    decision_inputs,
)

SETTINGS = CerebroSettings()


def run(signal: object = None, settings: CerebroSettings = SETTINGS, **inputs: object) -> object:
    return decide(signal or a_signal(), decision_inputs(**inputs), settings, NOW)


def exit_signal(**overrides: object) -> object:
    fields = {
        "intent": Intent.EXIT,
        "side": Side.SELL,
        "previous": Position(PositionSide.LONG, Decimal(10)),
        "target": Position(PositionSide.FLAT, Decimal(0)),
    }
    fields.update(overrides)
    return a_signal(**fields)


def fresh_quote(price: str, **overrides: object) -> Quote:
    fields = {"symbol": "AAPL", "as_of": NOW - timedelta(seconds=1), "last": Decimal(price)}
    fields.update(overrides)
    return Quote(**fields)  # type: ignore[arg-type]


def test_entry_spends_the_allocation_rounded_down_to_whole_shares() -> None:
    decision = run(
        instrument=an_instrument(margin_rate=None), account=an_account(equity=Decimal("100003"))
    )

    assert decision.status is DecisionStatus.APPROVED
    [order] = decision.orders
    assert order.id == "momentum_20261120_143000_1_ORD"
    assert (order.side, order.quantity, order.purpose) == (
        Side.BUY,
        Decimal(50),
        OrderPurpose.ENTRY,
    )
    assert order.broker == "IB"
    assert order.reference_price == Decimal(200)
    steps = {step.name: step.value for step in decision.steps}
    assert steps["allocated_capital"] == "10000.3"
    assert steps["quantity_by_allocation"] == "50"
    assert decision.input("equity").value == Decimal("100003")
    assert decision.input("equity").source == "accounts/IBKR_Main (manual)"


def test_no_allocation_rejects_the_entry() -> None:
    without = run(allocation=None)
    zero = run(allocation=an_allocation("0"))

    assert without.status is DecisionStatus.REJECTED
    assert without.reasons == (Reason.NO_ALLOCATION,)
    assert zero.reasons == (Reason.NO_ALLOCATION,)
    assert without.orders == ()


def test_an_allocation_smaller_than_one_share_is_below_min_size() -> None:
    decision = run(signal=a_signal(price=Decimal(20_000)), allocation=an_allocation("0.1"))

    assert decision.reasons == (Reason.BELOW_MIN_SIZE,)


def test_venue_minimum_notional_rejects_a_tiny_crypto_order() -> None:
    crypto = an_instrument(
        "BTCUSDT",
        asset_class=AssetClass.CRYPTO,
        lot_size=Decimal("0.00001"),
        min_notional=Decimal(10),
    )
    decision = run(
        signal=a_signal(symbol="BTCUSDT", price=Decimal(90_000)),
        instrument=crypto,
        allocation=an_allocation("0.005"),
    )

    assert decision.reasons == (Reason.BELOW_MIN_SIZE,)
    assert [c.name for c in decision.checks if not c.passed] == ["min_notional"]


def test_crypto_quantity_rounds_down_to_the_step() -> None:
    crypto = an_instrument(
        "BTCUSDT", asset_class=AssetClass.CRYPTO, lot_size=Decimal("0.001"), margin_rate=None
    )
    decision = run(signal=a_signal(symbol="BTCUSDT", price=Decimal("91234.5")), instrument=crypto)

    assert decision.orders[0].quantity == Decimal("0.109")


def test_max_position_size_is_money_and_caps_then_blocks() -> None:
    # $6,000 of AAPL at 200 a share is 30 shares.
    limited = a_strategy("momentum", risk_limits=RiskLimits(max_position_size=Decimal(6000)))
    capped = run(strategy=limited)
    full = run(
        signal=a_signal(
            intent=Intent.ADD,
            previous=Position(PositionSide.LONG, Decimal(1)),
            target=Position(PositionSide.LONG, Decimal(2)),
        ),
        strategy=limited,
        position=a_position("30"),
    )

    assert capped.status is DecisionStatus.SCALED
    assert capped.reasons == (Reason.MAX_POSITION_CAPPED,)
    assert capped.orders[0].quantity == Decimal(30)
    assert full.reasons == (Reason.MAX_POSITION_REACHED,)


def test_margin_limit_scales_down_or_rejects() -> None:
    full_notional = an_instrument(margin_rate=Decimal(1))
    scaled = run(instrument=full_notional, account=an_account(margin_used=Decimal(35_000)))
    rejected = run(instrument=full_notional, account=an_account(margin_used=Decimal("39900")))

    assert scaled.status is DecisionStatus.SCALED
    assert scaled.reasons == (Reason.MARGIN_SCALED,)
    # 5,000 of room at 200 a share, less the 0.1% of equity set aside for costs: 24.
    assert scaled.orders[0].quantity == Decimal(24)
    assert rejected.reasons == (Reason.MARGIN_LIMIT,)
    margin_check = next(c for c in rejected.checks if c.name == "margin_utilisation")
    assert margin_check.threshold == "0.4"


def test_margin_source_is_named_in_the_decision() -> None:
    def margin_step(**inputs: object) -> str:
        decision = run(**inputs)
        return next(s.detail for s in decision.steps if s.name == "margin_per_unit")

    unknown = an_instrument(margin_rate=None)
    assert margin_step() == "instrument margin rate 0.25"
    assert margin_step(instrument=unknown) == "full notional (no margin data: assume no leverage)"
    backtest = BacktestFacts("momentum", margin_per_unit=Decimal(40))
    assert margin_step(instrument=unknown, backtest=backtest) == "backtest margin per unit"


def test_futures_are_sized_by_contract_with_their_multiplier_and_margin() -> None:
    es = an_instrument(
        "ES1!",
        asset_class=AssetClass.FUTURE,
        tick_size=Decimal("0.25"),
        multiplier=Decimal(50),
        margin_rate=None,
        margin_per_unit=Decimal(12_000),
    )
    decision = run(
        signal=a_signal(symbol="ES1!", price=Decimal("5000")),
        instrument=es,
        allocation=an_allocation("50"),
        account=an_account(equity=Decimal(1_000_000)),
    )

    [order] = decision.orders
    assert order.quantity == Decimal(2)
    assert order.multiplier == Decimal(50)


def test_slippage_beyond_30_percent_of_alpha_drops_the_entry() -> None:
    backtest = BacktestFacts("momentum", expected_alpha_per_trade=Decimal("0.01"))

    dropped = run(backtest=backtest, quote=fresh_quote("201"))
    kept = run(backtest=backtest, quote=fresh_quote("200.5"))
    favourable = run(
        signal=a_signal(
            intent=Intent.ENTRY_SHORT,
            side=Side.SELL,
            target=Position(PositionSide.SHORT, Decimal(1)),
        ),
        backtest=backtest,
        quote=fresh_quote("201"),
    )
    stale_quote = run(backtest=backtest, quote=fresh_quote("210", as_of=NOW - timedelta(minutes=5)))

    assert dropped.reasons == (Reason.SLIPPAGE_EXCEEDED,)
    assert dropped.status is DecisionStatus.REJECTED
    assert kept.status is DecisionStatus.APPROVED
    assert favourable.status is DecisionStatus.APPROVED
    assert stale_quote.status is DecisionStatus.APPROVED
    assert any("not evaluated: no fresh quote" in s.detail for s in stale_quote.steps)


def test_halted_blocks_entries_and_exits_and_raises_hell_for_the_exit() -> None:
    halted = RiskSetting(GLOBAL_SCOPE, RiskState.HALTED, NOW)

    entry = run(risk_global=halted)
    exit_ = run(signal=exit_signal(), risk_global=halted, position=a_position("10"))

    assert entry.reasons == (Reason.TRADING_HALTED,)
    assert exit_.reasons == (Reason.TRADING_HALTED,)
    assert exit_.orders == ()
    assert [a.kind for a in exit_.alerts] == ["EXIT_BLOCKED"]


def test_reducing_blocks_entries_but_never_exits() -> None:
    reducing = RiskSetting("strategy:momentum", RiskState.REDUCING, NOW)

    entry = run(risk_strategy=reducing)
    exit_ = run(
        signal=exit_signal(), risk_strategy=reducing, position=a_position("10"), allocation=None
    )

    assert entry.reasons == (Reason.REDUCING_ONLY,)
    assert exit_.status is DecisionStatus.APPROVED
    assert exit_.orders[0].side is Side.SELL


def test_daily_loss_past_the_limit_turns_the_strategy_reducing() -> None:
    limited = a_strategy("momentum", risk_limits=RiskLimits(max_daily_loss=Decimal(5000)))

    decision = run(strategy=limited, strategy_pnl_today=Decimal(-6000))

    assert Reason.DAILY_LOSS_LIMIT in decision.reasons
    assert Reason.REDUCING_ONLY in decision.reasons
    assert decision.orders == ()
    assert decision.risk_change.state is RiskState.REDUCING
    assert decision.risk_change.scope == "strategy:momentum"
    assert [a.kind for a in decision.alerts] == ["DAILY_LOSS_LIMIT"]


def test_inactive_strategy_entry_is_rejected_but_its_exit_goes() -> None:
    inactive = a_strategy("momentum", status=StrategyStatus.INACTIVE)

    assert run(strategy=inactive).reasons == (Reason.STRATEGY_INACTIVE,)
    assert run(signal=exit_signal(), strategy=inactive, position=a_position("10")).orders


@pytest.mark.parametrize(
    ("missing", "reason"),
    [
        ({"strategy": None}, Reason.STRATEGY_UNKNOWN),
        ({"account": None}, Reason.ACCOUNT_UNKNOWN),
        ({"instrument": None}, Reason.INSTRUMENT_UNKNOWN),
    ],
)
def test_unknown_references_are_rejected(missing: dict[str, None], reason: Reason) -> None:
    decision = run(**missing)

    assert decision.status is DecisionStatus.REJECTED
    assert decision.reasons == (reason,)


def test_unknown_instrument_on_an_exit_raises_an_alert() -> None:
    decision = run(signal=exit_signal(), instrument=None, position=a_position("10"))

    assert [a.kind for a in decision.alerts] == ["EXIT_BLOCKED"]


def test_without_any_price_the_entry_cannot_be_sized() -> None:
    assert run(signal=a_signal(price=None)).reasons == (Reason.NO_PRICE,)


def test_foreign_currency_instruments_use_the_fx_rate() -> None:
    sap = an_instrument("SAP", currency="EUR", margin_rate=None)
    eurusd = FxRate("EUR", "USD", Decimal("1.25"), NOW)

    converted = run(signal=a_signal(symbol="SAP", price=Decimal(160)), instrument=sap, fx=eurusd)
    missing = run(signal=a_signal(symbol="SAP", price=Decimal(160)), instrument=sap)

    assert converted.orders[0].quantity == Decimal(50)
    assert missing.reasons == (Reason.FX_RATE_MISSING,)


def test_limit_and_stop_prices_round_to_the_tick_in_the_safe_direction() -> None:
    buy = run(
        signal=a_signal(
            order_type=OrderType.STOP_LIMIT,
            limit_price=Decimal("200.509"),
            stop_price=Decimal("200.001"),
        )
    )
    sell = run(
        signal=a_signal(
            intent=Intent.ENTRY_SHORT,
            side=Side.SELL,
            target=Position(PositionSide.SHORT, Decimal(1)),
            order_type=OrderType.LIMIT,
            limit_price=Decimal("199.991"),
        )
    )

    assert (buy.orders[0].limit_price, buy.orders[0].stop_price) == (
        Decimal("200.50"),
        Decimal("200.01"),
    )
    assert sell.orders[0].limit_price == Decimal("200.00")


def test_bracket_legs_get_their_own_ids_and_tighter_rounding() -> None:
    decision = run(
        signal=a_signal(
            stop_loss=ProtectiveLeg(percent=Decimal("2.5")),
            take_profit=ProtectiveLeg(price=Decimal("210.005")),
        )
    )

    order = decision.orders[0]
    assert order.stop_loss.order_id == "momentum_20261120_143000_1_ORD_SL"
    assert order.stop_loss.price == Decimal("195.00")
    assert order.take_profit.order_id == "momentum_20261120_143000_1_ORD_TP"
    assert order.take_profit.price == Decimal("210.00")


def test_a_stop_loss_on_the_wrong_side_is_rejected() -> None:
    decision = run(signal=a_signal(stop_loss=ProtectiveLeg(price=Decimal(205))))

    assert decision.reasons == (Reason.INVALID_BRACKET,)


def test_exit_closes_the_strategys_whole_position() -> None:
    decision = run(signal=exit_signal(), position=a_position("37"), allocation=None)

    [order] = decision.orders
    assert (order.side, order.quantity, order.purpose) == (
        Side.SELL,
        Decimal(37),
        OrderPurpose.EXIT,
    )
    assert order.stop_loss is None


def test_exit_when_flat_is_ignored() -> None:
    decision = run(
        signal=exit_signal(previous=Position(PositionSide.LONG, Decimal(1))), position=None
    )

    assert decision.status is DecisionStatus.IGNORED
    assert Reason.NO_POSITION in decision.reasons or Reason.ALREADY_AT_TARGET in decision.reasons


def test_reduce_closes_the_fraction_the_sender_reduced() -> None:
    reduce = a_signal(
        intent=Intent.REDUCE,
        side=Side.SELL,
        previous=Position(PositionSide.LONG, Decimal(4)),
        target=Position(PositionSide.LONG, Decimal(1)),
    )
    tiny = a_signal(
        intent=Intent.REDUCE,
        side=Side.SELL,
        previous=Position(PositionSide.LONG, Decimal(1000)),
        target=Position(PositionSide.LONG, Decimal(999)),
    )

    assert run(signal=reduce, position=a_position("37")).orders[0].quantity == Decimal(27)
    assert run(signal=tiny, position=a_position("37")).orders[0].quantity == Decimal(1)


def test_reverse_is_an_exit_leg_then_an_entry_leg() -> None:
    reverse = a_signal(
        intent=Intent.REVERSE,
        side=Side.SELL,
        previous=Position(PositionSide.LONG, Decimal(10)),
        target=Position(PositionSide.SHORT, Decimal(10)),
    )

    decision = run(signal=reverse, position=a_position("12"))

    exit_leg, entry_leg = decision.orders
    assert exit_leg.id.endswith("_ORD_EXIT")
    assert (exit_leg.side, exit_leg.quantity, exit_leg.purpose) == (
        Side.SELL,
        Decimal(12),
        OrderPurpose.EXIT,
    )
    assert entry_leg.id.endswith("_ORD")
    assert (entry_leg.side, entry_leg.quantity, entry_leg.purpose) == (
        Side.SELL,
        Decimal(50),
        OrderPurpose.ENTRY,
    )


def test_reverse_under_reducing_keeps_only_the_exit() -> None:
    reverse = a_signal(
        intent=Intent.REVERSE,
        side=Side.SELL,
        previous=Position(PositionSide.LONG, Decimal(10)),
        target=Position(PositionSide.SHORT, Decimal(10)),
    )

    decision = run(
        signal=reverse,
        position=a_position("12"),
        risk_global=RiskSetting(GLOBAL_SCOPE, RiskState.REDUCING, NOW),
    )

    assert [o.purpose for o in decision.orders] == [OrderPurpose.EXIT]
    assert decision.status is DecisionStatus.SCALED
    assert Reason.REDUCING_ONLY in decision.reasons


def test_an_entry_while_already_positioned_that_way_does_nothing() -> None:
    no_history = a_signal(previous=None)

    decision = run(signal=no_history, position=a_position("50"))

    assert decision.status is DecisionStatus.IGNORED
    assert decision.reasons == (Reason.ALREADY_AT_TARGET,)


def test_add_grows_the_position_in_proportion_within_the_allocation() -> None:
    add = a_signal(
        intent=Intent.ADD,
        previous=Position(PositionSide.LONG, Decimal(2)),
        target=Position(PositionSide.LONG, Decimal(3)),
    )

    assert run(signal=add, position=a_position("10")).orders[0].quantity == Decimal(5)
    assert run(signal=add, position=a_position("40")).orders[0].quantity == Decimal(10)


def test_position_mismatch_alerts_and_follows_the_senders_target() -> None:
    missed_exit = a_signal(
        intent=Intent.ENTRY_LONG, previous=Position(PositionSide.FLAT, Decimal(0))
    )

    short_held = run(signal=missed_exit, position=a_position("-8"))

    assert Reason.POSITION_MISMATCH in short_held.reasons
    assert short_held.status is DecisionStatus.APPROVED
    assert [a.kind for a in short_held.alerts] == ["POSITION_MISMATCH"]
    assert short_held.effective_intent is Intent.REVERSE
    assert [o.side for o in short_held.orders] == [Side.BUY, Side.BUY]
    assert short_held.orders[0].quantity == Decimal(8)


def test_position_mismatch_policies() -> None:
    mismatch = a_signal(previous=Position(PositionSide.FLAT, Decimal(0)))
    ignore = dataclasses.replace(SETTINGS, mismatch_policy=MismatchPolicy.IGNORE_SIGNAL)
    trust = dataclasses.replace(SETTINGS, mismatch_policy=MismatchPolicy.TRUST_SIGNAL)

    ignored = run(signal=mismatch, settings=ignore, position=a_position("-8"))
    trusted = run(signal=mismatch, settings=trust, position=a_position("5"))

    assert ignored.status is DecisionStatus.IGNORED
    assert ignored.orders == ()
    assert trusted.effective_intent is Intent.ENTRY_LONG
    # The 5 already held count against the allocation of 50.
    assert trusted.orders[0].quantity == Decimal(45)


def test_cancel_is_allowed_even_when_halted() -> None:
    cancel = a_signal(intent=Intent.CANCEL, side=None, previous=None, target=None)

    decision = run(signal=cancel, risk_global=RiskSetting(GLOBAL_SCOPE, RiskState.HALTED, NOW))

    [order] = decision.orders
    assert order.action is OrderAction.CANCEL_OPEN
    assert order.quantity == 0
    assert decision.status is DecisionStatus.APPROVED


def test_summary_reads_like_a_sentence() -> None:
    assert run().summary == "APPROVED BUY 50 AAPL (entry)"
    assert run(allocation=None).summary == "REJECTED [NO_ALLOCATION]"
