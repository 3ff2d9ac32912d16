"""The TWS wire format: framing, field encoding, handshake and time parsing."""

from __future__ import annotations

import math
import struct
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mats.localstack.ib_gateway.wire import (
    UNSET_DOUBLE,
    UNSET_INTEGER,
    FieldReader,
    ProtocolError,
    encode_field,
    encode_message,
    format_number,
    handshake_reply,
    parse_ib_time,
    parse_length,
    parse_version_range,
    split_fields,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (100.0, "100"),
        (5000.25, "5000.25"),
        (0.1, "0.1"),
        (-3.0, "-3"),
        (1e-08, "1e-08"),
        (UNSET_DOUBLE, ""),
        (math.inf, "Infinite"),
        (math.nan, ""),
        (7, "7"),
    ],
)
def test_format_number_writes_numbers_as_tws_does(value: float, text: str) -> None:
    assert format_number(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), (True, "1"), (False, "0"), (42, "42"), (UNSET_INTEGER, ""), ("AAPL", "AAPL")],
)
def test_encode_field_renders_each_type(value: object, text: str) -> None:
    assert encode_field(value) == text  # type: ignore[arg-type]


def test_encode_message_prefixes_the_length_and_terminates_every_field() -> None:
    encoded = encode_message([9, 1, 42])
    assert encoded == struct.pack(">I", 7) + b"9\x001\x0042\x00"


@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"))))
def test_split_fields_inverts_encode_message(fields: list[str]) -> None:
    encoded = encode_message(fields)
    assert parse_length(encoded[:4]) == len(encoded) - 4
    assert split_fields(encoded[4:]) == fields


def test_parse_length_refuses_absurd_frames() -> None:
    with pytest.raises(ProtocolError):
        parse_length(struct.pack(">I", 1 << 30))


@pytest.mark.parametrize(
    ("payload", "expected"),
    [(b"v157..178", (157, 178)), (b"v100..176 +PACEAPI", (100, 176)), (b"v176", (176, 176))],
)
def test_parse_version_range_reads_the_client_announcement(
    payload: bytes, expected: tuple[int, int]
) -> None:
    assert parse_version_range(payload) == expected


def test_parse_version_range_refuses_other_protocols() -> None:
    with pytest.raises(ProtocolError):
        parse_version_range(b"GET / HTTP/1.1")


def test_handshake_reply_is_the_two_fields_the_client_expects() -> None:
    reply = handshake_reply(176, datetime(2026, 3, 20, 14, 30, tzinfo=UTC))
    assert split_fields(reply[4:]) == ["176", "20260320 14:30:00 UTC"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20260320-14:30:00", datetime(2026, 3, 20, 14, 30, tzinfo=UTC)),
        ("20260320 14:30:00", datetime(2026, 3, 20, 14, 30, tzinfo=UTC)),
        ("20260320 14:30:00 UTC", datetime(2026, 3, 20, 14, 30, tzinfo=UTC)),
        ("20260320 10:30:00 US/Eastern", datetime(2026, 3, 20, 14, 30, tzinfo=UTC)),
        ("20260320", datetime(2026, 3, 20, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_parse_ib_time_reads_every_tws_time_format_as_utc(text: str, expected: datetime) -> None:
    assert parse_ib_time(text) == expected


@pytest.mark.parametrize("text", ["tomorrow", "20261340 10:00:00", "20260320 10:00:00 Mars/Base"])
def test_parse_ib_time_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="invalid time"):
        parse_ib_time(text)


def test_field_reader_converts_and_reports_short_messages() -> None:
    reader = FieldReader(["3", "", "1.5", "", "1", "x"], start=0)
    assert reader.integer() == 3
    assert reader.integer(default=-1) == -1
    assert reader.number() == 1.5
    assert reader.number() is None
    assert reader.flag() is True
    assert reader.peek() == "x"
    assert reader.text() == "x"
    assert reader.remaining == 0
    with pytest.raises(ProtocolError):
        reader.text()


def test_field_reader_refuses_non_numbers() -> None:
    with pytest.raises(ProtocolError):
        FieldReader(["abc"]).integer()
    with pytest.raises(ProtocolError):
        FieldReader(["abc"]).number()
