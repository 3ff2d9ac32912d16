from decimal import Decimal

import pytest

from mats.domain.signals import detect_format, parse_alert
from mats.domain.trading import Intent, OrderType, PositionSide, Side, TimeInForce
from mats.errors import ValidationError


def traderspost(**fields: object) -> dict[str, object]:
    return {"strategy_id": "trend-es", "ticker": "AAPL", **fields}


@pytest.mark.parametrize(
    ("action", "sentiment", "intent", "side"),
    [
        ("buy", None, Intent.ENTRY_LONG, Side.BUY),
        ("buy", "bullish", Intent.ENTRY_LONG, Side.BUY),
        ("sell", None, Intent.ENTRY_SHORT, Side.SELL),
        ("sell", "bearish", Intent.ENTRY_SHORT, Side.SELL),
        ("sell", "flat", Intent.EXIT, Side.SELL),
        ("buy", "flat", Intent.EXIT, Side.BUY),
        ("exit", None, Intent.EXIT, None),
        ("sell", "bullish", Intent.REDUCE, Side.SELL),
        ("buy", "bearish", Intent.REDUCE, Side.BUY),
        ("add", "bullish", Intent.ADD, Side.BUY),
        ("add", "bearish", Intent.ADD, Side.SELL),
        ("cancel", None, Intent.CANCEL, None),
    ],
)
def test_traderspost_action_and_sentiment_map_to_intents(
    action: str, sentiment: str | None, intent: Intent, side: Side | None
) -> None:
    fields = {"action": action} | ({"sentiment": sentiment} if sentiment else {})

    alert = parse_alert(traderspost(**fields))

    assert alert.source_format == "traderspost"
    assert (alert.intent, alert.side) == (intent, side)


def test_traderspost_exit_targets_flat() -> None:
    alert = parse_alert(traderspost(action="exit"))

    assert alert.target.side is PositionSide.FLAT


def test_traderspost_order_terms_and_brackets() -> None:
    alert = parse_alert(
        traderspost(
            action="buy",
            quantity=10,
            orderType="limit",
            limitPrice="187.50",
            stopLoss={"stopPrice": "180"},
            takeProfit={"percent": "5"},
            timeInForce="gtc",
        )
    )

    assert alert.quantity == Decimal(10)
    assert alert.terms.order_type is OrderType.LIMIT
    assert alert.terms.limit_price == Decimal("187.50")
    assert alert.terms.stop_loss.price == Decimal(180)
    assert alert.terms.take_profit.percent == Decimal(5)
    assert alert.terms.time_in_force is TimeInForce.GTC


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"action": "hodl"}, "action", "must be one of"),
        ({"action": "add"}, "sentiment", "add needs a sentiment"),
        ({"action": "buy", "orderType": "limit"}, "limit_price", "is required for LMT"),
        ({"action": "buy", "stopPrice": "10"}, "stop_price", "does not apply to MKT"),
        (
            {"action": "buy", "timeInForce": "gtd"},
            "expire_at",
            "is required with time in force GTD",
        ),
        ({"action": "buy", "stopLoss": {"percent": "120"}}, "stopLoss.percent", "below 100"),
        ({"action": "buy", "stopLoss": {}}, "stopLoss.price", "exactly one of price or percent"),
        ({"action": "buy", "quantity": "0"}, "quantity", "greater than zero"),
    ],
)
def test_traderspost_errors_name_the_field(
    fields: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_alert(traderspost(**fields))

    assert raised.value.field == field
    assert message in raised.value.message


def native(**fields: object) -> dict[str, object]:
    return {"format": "mats", "strategy_id": "trend-es", "symbol": "BTCUSDT", **fields}


def test_native_format_with_intent_and_good_till_date() -> None:
    alert = parse_alert(
        native(
            intent="entry_long",
            price="91000.5",
            order_type="STP_LMT",
            stop_price="91000",
            limit_price="91100",
            expire_at="2026-11-20T20:00:00Z",
            idempotency_key="k-1",
        )
    )

    assert alert.intent is Intent.ENTRY_LONG
    assert alert.terms.order_type is OrderType.STOP_LIMIT
    assert alert.terms.time_in_force is TimeInForce.GTD
    assert alert.idempotency_key == "k-1"


def test_native_positions_decide_the_intent_and_must_agree_with_it() -> None:
    positions = {
        "previous_position": {"side": "LONG", "size": "2"},
        "target_position": {"side": "SHORT", "size": "1"},
    }

    assert parse_alert(native(**positions)).intent is Intent.REVERSE
    assert parse_alert(native(**positions)).side is Side.SELL
    with pytest.raises(ValidationError) as raised:
        parse_alert(native(intent="EXIT", **positions))
    assert raised.value.field == "intent"


def test_native_nested_errors_carry_the_parent_field() -> None:
    with pytest.raises(ValidationError) as raised:
        parse_alert(native(target_position={"side": "UP"}))

    assert raised.value.field == "target_position.side"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"format": "TradingView"}, "tradingview"),
        ({"intent": "EXIT"}, "mats"),
        ({"market_position": "long"}, "tradingview"),
        ({"strategy": {"position_size": 1}}, "tradingview"),
        ({"ticker": "X", "action": "buy"}, "traderspost"),
        ({"ticker": "X", "sentiment": "flat"}, "traderspost"),
    ],
)
def test_format_detection(payload: dict[str, object], expected: str) -> None:
    assert detect_format(payload) == expected


def test_unknown_shape_and_unknown_format_are_rejected() -> None:
    with pytest.raises(ValidationError, match="cannot tell the alert format"):
        detect_format({"hello": "world"})
    with pytest.raises(ValidationError, match="must be one of"):
        detect_format({"format": "ninjatrader"})


def test_strategy_id_comes_from_the_body_or_the_url_and_they_must_agree() -> None:
    assert parse_alert({"ticker": "X", "action": "exit"}, strategy_hint="s-1").strategy_id == "s-1"
    with pytest.raises(ValidationError, match="contradicts the URL"):
        parse_alert(traderspost(action="exit"), strategy_hint="other")
    with pytest.raises(ValidationError) as raised:
        parse_alert({"ticker": "X", "action": "exit"})
    assert raised.value.field == "strategy_id"
