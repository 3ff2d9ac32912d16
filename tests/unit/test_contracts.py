import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from mats.contracts import (
    ContractError,
    FillV1,
    OrderV1,
    SignalV1,
    decode,
    decode_as,
    encode,
    from_message,
    to_message,
)
from mats.domain.orders import Fill, Order
from mats.domain.signals.signal import Signal
from mats.domain.trading import Intent, Position, PositionSide, ProtectiveLeg, TradingMode
from tests.builders import an_order


def a_signal(**overrides: object) -> Signal:
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
    return Signal(**fields)  # type: ignore[arg-type]


def test_encode_then_decode_returns_the_same_signal() -> None:
    signal = a_signal()

    assert decode_as(encode(to_message(signal)).data, Signal) == signal


@pytest.mark.parametrize(("domain", "wire"), [(Signal, SignalV1), (Order, OrderV1), (Fill, FillV1)])
def test_each_message_carries_exactly_the_fields_of_its_domain_record(
    domain: type, wire: type
) -> None:
    domain_fields = [(f.name, f.type) for f in dataclasses.fields(domain)]
    wire_fields = [(f.name, f.type) for f in dataclasses.fields(wire)]

    assert wire_fields == domain_fields


def test_an_order_crosses_the_wire_and_back_unchanged() -> None:
    order = an_order()

    assert from_message(to_message(order)) == order
    assert decode_as(encode(to_message(order)).data, Order) == order


def test_an_orders_decision_mid_crosses_the_wire_and_an_older_message_has_none() -> None:
    order = an_order(decision_mid=Decimal("200.05"))
    body = json.loads(encode(to_message(order)).data)
    older = {name: value for name, value in body.items() if name != "decision_mid"}

    assert body["decision_mid"] == "200.05"
    assert decode_as(encode(to_message(order)).data, Order) == order
    assert decode_as(json.dumps(older).encode(), Order).decision_mid is None


def test_decoding_a_message_as_the_wrong_record_names_both_schemas() -> None:
    with pytest.raises(ContractError, match=r"expected mats\.order\.v1, got mats\.signal\.v1"):
        decode_as(encode(to_message(a_signal())).data, Order)


def test_body_is_canonical_json_with_schema_id_and_created_at() -> None:
    encoded = encode(to_message(a_signal()))
    body = json.loads(encoded.data)

    assert encoded.data == json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    assert body["schema"] == "mats.signal.v1"
    assert body["id"] == "trend-es_20261120_142958_1"
    assert body["created_at"] == "2026-11-20T14:29:58.123456Z"
    assert body["price"] == "5012.250"
    assert body["target"] == {"side": "LONG", "size": "1"}


def test_attributes_carry_routing_keys_and_ordering_is_per_strategy() -> None:
    encoded = encode(to_message(a_signal()))

    assert encoded.topic == "signals"
    assert encoded.attributes == {
        "schema": "mats.signal.v1",
        "strategy_id": "trend-es",
        "sender_id": "alpha-1a2b3c",
        "account": "IBKR_Futures",
        "mode": "LIVE",
        "intent": "ENTRY_LONG",
    }
    assert encoded.ordering_key == "trend-es"


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
    body = json.loads(encode(to_message(a_signal())).data)
    mutate(body)  # type: ignore[operator]

    with pytest.raises(ContractError, match=message):
        decode(json.dumps(body))


def test_decode_rejects_non_json() -> None:
    with pytest.raises(ContractError, match="not JSON"):
        decode(b"\xff not json")
