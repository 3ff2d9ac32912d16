"""Exact decimals in request bodies: strings only, never a JSON number that may not be exact."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mats.api.handlers.inputs import decimal_of, id_map
from mats.domain.strategies import STRATEGY_ID_PATTERN
from mats.errors import ValidationError


@pytest.mark.parametrize(
    ("given", "expected"),
    [("25", Decimal(25)), ("12.50", Decimal("12.50")), ("-3", Decimal(-3)), ("0", Decimal(0))],
)
def test_a_decimal_string_is_read_exactly(given: str, expected: Decimal) -> None:
    read = decimal_of(given, "percent")

    assert read == expected
    assert str(read) == given


@pytest.mark.parametrize("given", [0.1, 25, 1e3])
def test_a_json_number_is_refused_with_the_string_to_send_instead(given: float) -> None:
    with pytest.raises(ValidationError) as refused:
        decimal_of(given, "allocations.trend")

    assert refused.value.field == "allocations.trend"
    assert f'decimal string such as "{given}", not a JSON number' in refused.value.message


@pytest.mark.parametrize("given", ["1e3", "NaN", "Infinity", " 5", "5.", ".5", "", True, None])
def test_anything_but_plain_digits_is_refused(given: Any) -> None:
    with pytest.raises(ValidationError, match="must be a decimal string"):
        decimal_of(given, "max_daily_loss")


def test_an_id_map_names_the_key_that_is_not_an_id() -> None:
    assert id_map({"trend-es": 1}, "hypothetical", STRATEGY_ID_PATTERN) == {"trend-es": 1}
    with pytest.raises(ValidationError) as refused:
        id_map({"ok": 1, "not ok": 2}, "hypothetical", STRATEGY_ID_PATTERN)

    assert refused.value.field == "hypothetical.not ok"
