import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from mats.contracts import (
    ContractError,
    Intent,
    Position,
    PositionSide,
    ProtectiveLeg,
    SignalV1,
    TradingMode,
    decode,
    encode,
)


def a_signal(**overrides: object) -> SignalV1:
    fields: dict[str, object] = {
        "id": "trend-es_20261120_142958_1",
        "created_at": datetime(2026, 11, 20, 14, 29, 58, 123456, tzinfo=UTC),
        "strategy_id": "trend-es",
        "sender_id": "alpha-1a2b3c",
        "source_format": "tradingview",
        "symbol": "ES1!",
        "intent": Intent.ENTRY_LONG,
        "trading_mode": TradingMode.LIVE,
        "account": "IBKR_Futures",
        "price": Decimal("5012.250"),
        "target": Position(PositionSide.LONG, Decimal(1)),
        "stop_loss": ProtectiveLeg(percent=Decimal("1.5")),
        "tags": ("TESTING",),
    }
    fields.update(overrides)
    return SignalV1(**fields)  # type: ignore[arg-type]


def test_encode_then_decode_returns_the_same_signal() -> None:
    signal = a_signal()

    assert decode(encode(signal).data) == signal


def test_body_is_canonical_json_with_schema_id_and_created_at() -> None:
    encoded = encode(a_signal())
    body = json.loads(encoded.data)

    assert encoded.data == json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    assert body["schema"] == "mats.signal.v1"
    assert body["id"] == "trend-es_20261120_142958_1"
    assert body["created_at"] == "2026-11-20T14:29:58.123456Z"
    assert body["price"] == "5012.250"
    assert body["target"] == {"side": "LONG", "size": "1"}


def test_attributes_carry_routing_keys_and_ordering_is_per_strategy_and_symbol() -> None:
    encoded = encode(a_signal())

    assert encoded.topic == "signals"
    assert encoded.attributes == {
        "schema": "mats.signal.v1",
        "strategy_id": "trend-es",
        "sender_id": "alpha-1a2b3c",
        "account": "IBKR_Futures",
        "mode": "LIVE",
        "intent": "ENTRY_LONG",
    }
    assert encoded.ordering_key == "trend-es/ES1!"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda body: body.pop("symbol"), "symbol: is required"),
        (lambda body: body.update(intent="BUY_THE_DIP"), "intent: must be one of"),
        (lambda body: body.update(price="cheap"), "price: expected a decimal string"),
        (lambda body: body.update(price=1.5), "price: expected a decimal string"),
        (lambda body: body.update(created_at="2026-11-20T14:29:58"), "timezone"),
        (lambda body: body.update(schema="mats.signal.v9"), "unknown message schema"),
    ],
)
def test_decode_rejects_bodies_that_break_the_contract(mutate: object, message: str) -> None:
    body = json.loads(encode(a_signal()).data)
    mutate(body)  # type: ignore[operator]

    with pytest.raises(ContractError, match=message):
        decode(json.dumps(body))


def test_decode_rejects_non_json() -> None:
    with pytest.raises(ContractError, match="not JSON"):
        decode(b"\xff not json")
