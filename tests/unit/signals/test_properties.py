"""Property tests: any combination of TradingView position fields parses cleanly or is rejected."""

import contextlib
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from mats.domain.signals import parse_alert
from mats.domain.signals.intent import expected_side, signed_size
from mats.domain.signals.payload import load_payload
from mats.domain.trading import Intent, Position, PositionSide
from mats.errors import ValidationError

SIDES = st.sampled_from(["long", "short", "flat", "LONG", "Flat", "", "sideways", None])
SIZES = st.one_of(
    st.none(),
    st.sampled_from(["", "0", "-0", "NaN", "Infinity", "1e400", "abc", "{{x}}", "-1"]),
    st.decimals(min_value=-1000, max_value=1000, places=4, allow_nan=False).map(str),
    st.integers(min_value=-1000, max_value=1000),
)
ACTIONS = st.sampled_from(["buy", "sell", "BUY", "", "short", "hold", None])


@settings(max_examples=1500, deadline=None)
@given(
    action=ACTIONS,
    contracts=SIZES,
    position_size=SIZES,
    market_position=SIDES,
    market_position_size=SIZES,
    prev_market_position=SIDES,
    prev_market_position_size=SIZES,
)
def test_every_position_combination_gives_an_intent_or_a_clean_rejection(**fields: object) -> None:
    given_fields = {k: v for k, v in fields.items() if v is not None}
    payload = {"format": "tradingview", "strategy_id": "s", "ticker": "AAPL", **given_fields}

    try:
        alert = parse_alert(payload)
    except ValidationError as error:
        assert error.field
        assert error.message
        return

    assert alert.intent in set(Intent) - {Intent.CANCEL}
    for amount in (alert.quantity, alert.target.size, alert.previous.size):
        assert amount is None or (amount.is_finite() and amount >= 0)
    assert alert.previous.side is not alert.target.side or alert.intent in (
        Intent.ADD,
        Intent.REDUCE,
    )
    implied = expected_side(alert.intent, alert.previous, alert.target)
    assert alert.side is None or implied is None or alert.side is implied


@settings(max_examples=500, deadline=None)
@given(previous=st.integers(-5, 5), target=st.integers(-5, 5))
def test_intent_follows_the_signed_position_change(previous: int, target: int) -> None:
    payload = {
        "strategy_id": "s",
        "ticker": "AAPL",
        "prev_market_position": _side(previous),
        "prev_market_position_size": str(abs(previous)),
        "position_size": str(target),
    }

    try:
        alert = parse_alert(payload)
    except ValidationError:
        assert previous == target
        return

    before, after = signed_size(alert.previous), signed_size(alert.target)
    assert (before, after) == (Decimal(previous), Decimal(target))
    if previous == 0:
        assert alert.intent in (Intent.ENTRY_LONG, Intent.ENTRY_SHORT)
    elif target == 0:
        assert alert.intent is Intent.EXIT
    elif (previous > 0) != (target > 0):
        assert alert.intent is Intent.REVERSE
    else:
        assert alert.intent is (Intent.ADD if abs(target) > abs(previous) else Intent.REDUCE)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_crash_the_body_parser(raw: bytes) -> None:
    try:
        payload = load_payload(raw)
    except ValidationError as error:
        assert error.field == "body"
        return
    with contextlib.suppress(ValidationError):
        parse_alert(payload)


def _side(size: int) -> str:
    return "long" if size > 0 else "short" if size < 0 else "flat"


def test_position_helpers_round_trip() -> None:
    assert signed_size(Position(PositionSide.SHORT, Decimal(2))) == Decimal(-2)
