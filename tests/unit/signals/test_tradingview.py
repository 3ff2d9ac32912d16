from decimal import Decimal

import pytest

from mats.domain.signals import parse_alert
from mats.domain.trading import Intent, PositionSide, Side
from mats.errors import ValidationError
from tests.builders import tradingview_alert


def test_flat_to_long_is_an_entry_with_every_field_read() -> None:
    alert = parse_alert(tradingview_alert())

    assert alert.source_format == "tradingview"
    assert alert.intent is Intent.ENTRY_LONG
    assert alert.side is Side.BUY
    assert alert.symbol == "ES1!"
    assert alert.exchange == "CME_MINI"
    assert alert.quantity == Decimal("1")
    assert alert.price == Decimal("5012.25")
    assert alert.previous.side is PositionSide.FLAT
    assert alert.target.side is PositionSide.LONG
    assert alert.target.size == Decimal(1)
    assert alert.alert_order_id == "Long Entry"
    assert alert.comment is None
    assert alert.bar_time.isoformat() == "2026-11-20T14:29:00+00:00"
    assert alert.signal_time.isoformat() == "2026-11-20T14:29:58+00:00"


@pytest.mark.parametrize(
    ("action", "previous", "target", "intent"),
    [
        ("sell", ("flat", "0"), ("short", "2"), Intent.ENTRY_SHORT),
        ("sell", ("long", "2"), ("flat", "0"), Intent.EXIT),
        ("buy", ("short", "2"), ("flat", "0"), Intent.EXIT),
        ("sell", ("long", "2"), ("short", "1"), Intent.REVERSE),
        ("buy", ("short", "1"), ("long", "3"), Intent.REVERSE),
        ("buy", ("long", "1"), ("long", "3"), Intent.ADD),
        ("sell", ("long", "3"), ("long", "1"), Intent.REDUCE),
        ("sell", ("short", "1"), ("short", "2"), Intent.ADD),
        ("buy", ("short", "2"), ("short", "1"), Intent.REDUCE),
    ],
)
def test_position_change_decides_the_intent(
    action: str, previous: tuple[str, str], target: tuple[str, str], intent: Intent
) -> None:
    alert = parse_alert(
        tradingview_alert(
            action=action,
            position_size=None,
            prev_market_position=previous[0],
            prev_market_position_size=previous[1],
            market_position=target[0],
            market_position_size=target[1],
        )
    )

    assert alert.intent is intent


def test_previous_position_is_derived_from_position_size_action_and_contracts() -> None:
    alert = parse_alert(
        tradingview_alert(
            action="sell",
            contracts="3",
            position_size="-1",
            market_position=None,
            market_position_size=None,
            prev_market_position=None,
            prev_market_position_size=None,
        )
    )

    assert alert.intent is Intent.REVERSE
    assert alert.previous.side is PositionSide.LONG
    assert alert.previous.size == Decimal(2)


def test_nested_strategy_object_and_dotted_keys_are_understood() -> None:
    nested = {
        "strategy_id": "trend-es",
        "ticker": "NQ1!",
        "strategy": {
            "order_action": "sell",
            "order_contracts": 2,
            "market_position": "flat",
            "prev_market_position": "long",
            "prev_market_position_size": 2,
        },
    }
    dotted = {
        "strategy_id": "trend-es",
        "ticker": "NQ1!",
        "strategy.order.action": "sell",
        "strategy.market_position": "flat",
        "strategy.prev_market_position": "long",
    }

    assert parse_alert(nested).intent is Intent.EXIT
    assert parse_alert(dotted).intent is Intent.EXIT


def test_numbers_may_arrive_as_strings_or_json_numbers() -> None:
    alert = parse_alert(tradingview_alert(contracts=Decimal("0.5"), price=" 187.50 "))

    assert alert.quantity == Decimal("0.5")
    assert alert.price == Decimal("187.50")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ticker": None}, "ticker", "is required"),
        (
            {"contracts": "{{strategy.order.contracts}}"},
            "contracts",
            "unfilled TradingView placeholder",
        ),
        ({"contracts": "-1"}, "contracts", "must not be negative"),
        ({"contracts": "NaN"}, "contracts", "finite"),
        ({"contracts": "lots"}, "contracts", "expected a number"),
        ({"action": "hold"}, "action", "must be one of"),
        ({"market_position": "sideways"}, "market_position", "must be one of"),
        ({"market_position_size": "0"}, "market_position_size", "above 0"),
        ({"action": "sell"}, "action", "contradicts the position change flat → long"),
        ({"position_size": "-1"}, "position_size", "contradicts market_position long"),
        ({"time": "yesterday"}, "time", "ISO-8601"),
        ({"timenow": "2026-11-20T14:29:58"}, "timenow", "timezone"),
        ({"ticker": "ES 1"}, "ticker", "not a valid instrument"),
        (
            {"market_position": "flat", "market_position_size": "0", "position_size": "0"},
            "market_position",
            "does not change the position",
        ),
        (
            {"prev_market_position": "long", "prev_market_position_size": "1"},
            "market_position_size",
            "does not change the position",
        ),
    ],
)
def test_bad_alerts_are_rejected_naming_the_field(
    overrides: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_alert(tradingview_alert(**overrides))

    assert raised.value.field == field
    assert message in raised.value.message


def test_alert_without_any_position_information_is_rejected() -> None:
    with pytest.raises(ValidationError) as raised:
        parse_alert(
            tradingview_alert(
                position_size=None,
                market_position=None,
                market_position_size=None,
                prev_market_position=None,
                prev_market_position_size=None,
            )
        )

    assert raised.value.field == "market_position"


def test_epoch_milliseconds_are_accepted_as_times() -> None:
    alert = parse_alert(tradingview_alert(time=1795185540000, timenow="1795185598000"))

    assert alert.bar_time.isoformat() == "2026-11-20T14:39:00+00:00"
    assert alert.signal_time.isoformat() == "2026-11-20T14:39:58+00:00"
