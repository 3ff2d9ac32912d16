"""The body limits, at their boundaries, and the depth scan that never recurses."""

import decimal
import json
import time
from decimal import Decimal

import pytest

from mats.domain.signals.fields import to_decimal
from mats.domain.signals.payload import (
    MAX_DEPTH,
    MAX_KEY_CHARS,
    MAX_NUMBER_CHARS,
    MAX_STRING_CHARS,
    MAX_VALUES,
    load_payload,
    nesting_depth,
)
from mats.errors import ValidationError


def nested(depth: int) -> bytes:
    return b'{"a": ' * (depth - 1) + b"{}" + b"}" * (depth - 1)


def refusal(raw: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        load_payload(raw)
    return raised.value


def test_depth_up_to_the_limit_is_accepted_and_one_more_is_refused() -> None:
    assert load_payload(nested(MAX_DEPTH))
    error = refusal(nested(MAX_DEPTH + 1))

    assert (error.field, error.message) == (
        "body",
        "is nested 11 levels deep; at most 10 levels are accepted",
    )


def test_brackets_inside_strings_do_not_count_and_escaped_quotes_do_not_end_them() -> None:
    text = json.dumps({"comment": "[[[[{{{{" * 20 + '\\"]]]"'})

    assert nesting_depth(text) == 1
    assert load_payload(text.encode())["comment"].startswith("[[[[")


def test_the_depth_scan_is_linear_even_for_a_string_that_never_ends() -> None:
    started = time.perf_counter()
    depth = nesting_depth('["' + '\\"' * 16_000)

    assert depth == 1
    assert time.perf_counter() - started < 0.5


def test_a_million_levels_cost_one_scan_not_a_recursion() -> None:
    assert refusal(b"[" * 1_000_000).message.startswith("is nested 1000000 levels deep")


def test_values_keys_strings_and_numbers_have_their_limits() -> None:
    many = {"a": list(range(MAX_VALUES - 1))}
    assert load_payload(json.dumps(many).encode())
    assert refusal(json.dumps({"a": list(range(MAX_VALUES))}).encode()).field == "body"
    assert load_payload(json.dumps({"k" * MAX_KEY_CHARS: 1}).encode())
    assert refusal(json.dumps({"k" * (MAX_KEY_CHARS + 1): 1}).encode()).message.startswith("key is")
    assert load_payload(json.dumps({"c": "x" * MAX_STRING_CHARS}).encode())
    assert refusal(json.dumps({"c": "x" * (MAX_STRING_CHARS + 1)}).encode()).field == "c"
    assert load_payload(b'{"n": ' + b"9" * MAX_NUMBER_CHARS + b"}")["n"] == int("9" * 40)
    assert refusal(b'{"n": ' + b"9" * (MAX_NUMBER_CHARS + 1) + b"}").field == "n"


def test_numbers_are_exact_and_never_float() -> None:
    payload = load_payload(b'{"price": 0.1, "quantity": 2, "big": 1e400}')

    assert payload == {"price": Decimal("0.1"), "quantity": 2, "big": Decimal("1e400")}


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        (b'{"a": {"b": 1, "b": 2}}', "a.b", "more than once"),
        (b'{"a": ["x", "\\ud800"]}', "a[1]", "lone surrogate"),
        (b'{"\\udc00": 1}', "'\\udc00'", "lone surrogate"),
        (b'{"a": "\\u0007"}', "a", "U+0007"),
        (b'{"a": "line\\nnext\\ttab"}', None, None),
        (b'{"a": NaN}', "body", "NaN is not a number"),
        (b"\xef\xbb\xbf{}", "body", "byte order mark"),
        (b'{"a": "\xc0\x80"}', "body", "UTF-8"),
        (b"null", "body", "not null"),
    ],
)
def test_text_and_structure_are_checked_naming_the_field(
    raw: bytes, field: str | None, words: str | None
) -> None:
    if field is None:
        assert load_payload(raw)
        return
    error = refusal(raw)

    assert error.field == field
    assert words in error.message


@pytest.mark.parametrize("literal", ["1e-999999999", "-1E-999999999", "0.1000000000000000000001"])
def test_a_number_with_too_many_places_is_refused_even_where_underflow_is_trapped(
    literal: str,
) -> None:
    with decimal.localcontext() as context:
        context.traps[decimal.Underflow] = True  # As ccxt leaves a thread's context.

        with pytest.raises(ValidationError, match="decimal places"):
            to_decimal("price", Decimal(literal))


def test_trailing_zeros_are_not_decimal_places() -> None:
    assert to_decimal("price", Decimal("1.5000000000000000000000")) == Decimal("1.5")
