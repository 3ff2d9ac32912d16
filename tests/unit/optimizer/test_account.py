"""Minimum account size: worked examples that can be checked by hand."""

from decimal import Decimal

import pytest

from mats.domain.optimizer import TradableUnit, minimum_account_size
from mats.errors import ValidationError


def unit(cost: str, margin: str) -> TradableUnit:
    return TradableUnit(unit_cost=Decimal(cost), margin_per_unit=Decimal(margin))


def test_the_strategy_whose_unit_is_dearest_for_its_weight_binds() -> None:
    # a: 10,000 / 0.5 = 20,000; b: 4,000 / 0.25 = 16,000; margin: 3,000 / 0.4 = 7,500.
    requirement = minimum_account_size(
        {"a": 0.5, "b": 0.25}, {"a": unit("10000", "2000"), "b": unit("4000", "1000")}
    )

    assert requirement.minimum_capital == Decimal(20000)
    assert requirement.binding == "a"
    assert requirement.per_strategy == {"a": Decimal(20000), "b": Decimal(16000)}
    assert requirement.margin_capital == Decimal(7500)
    assert requirement.total_margin_per_unit == Decimal(3000)


def test_the_margin_limit_binds_when_one_unit_each_needs_too_much_margin() -> None:
    # Units: 1,000 / 0.5 = 2,000 and 500 / 0.5 = 1,000; margin: 6,000 / 0.4 = 15,000.
    requirement = minimum_account_size(
        {"es": 0.5, "nq": 0.5}, {"es": unit("1000", "5000"), "nq": unit("500", "1000")}
    )

    assert requirement.minimum_capital == Decimal(15000)
    assert requirement.binding == "margin_limit"


def test_amounts_round_up_to_whole_currency_units() -> None:
    # 1,000 / 0.3 = 3,333.33... -> 3,334, never 3,333.
    requirement = minimum_account_size({"a": 0.3}, {"a": unit("1000", "0")})

    assert requirement.minimum_capital == Decimal(3334)


def test_amounts_print_as_whole_numbers_not_exponents() -> None:
    requirement = minimum_account_size({"a": 0.5}, {"a": unit("10000", "0")})

    assert str(requirement.minimum_capital) == "20000"
    assert str(requirement.per_strategy["a"]) == "20000"


def test_a_custom_margin_limit_is_used() -> None:
    requirement = minimum_account_size(
        {"a": 1.0}, {"a": unit("100", "250")}, margin_limit=Decimal("0.25")
    )

    assert requirement.margin_capital == Decimal(1000)
    assert requirement.binding == "margin_limit"


def test_unallocated_strategies_need_no_unit_data() -> None:
    requirement = minimum_account_size({"a": 0.5, "idle": 0.0}, {"a": unit("100", "10")})

    assert set(requirement.per_strategy) == {"a"}


def test_a_weight_below_the_noise_threshold_needs_no_capital_and_never_binds() -> None:
    # 10,000 / 4.7e-9 would be $2 trillion, "set by" a strategy the portfolio does not hold.
    requirement = minimum_account_size(
        {"a": 0.5, "noise": 4.7e-9}, {"a": unit("10000", "2000"), "noise": unit("10000", "0")}
    )

    assert requirement.minimum_capital == Decimal(20000)
    assert requirement.binding == "a"
    assert set(requirement.per_strategy) == {"a"}


@pytest.mark.parametrize(
    ("weights", "units", "field"),
    [
        ({"a": 0.5}, {}, "units.a"),
        ({"a": float("nan")}, {"a": unit("1", "1")}, "weights.a"),
        ({"a": -0.1}, {"a": unit("1", "1")}, "weights.a"),
        ({"a": 0.0}, {"a": unit("1", "1")}, "weights"),
        ({"a": 0.5}, {"a": unit("0", "1")}, "units.a.unit_cost"),
        ({"a": 0.5}, {"a": unit("10", "-1")}, "units.a.margin_per_unit"),
    ],
)
def test_bad_inputs_name_the_field(
    weights: dict[str, float], units: dict[str, TradableUnit], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        minimum_account_size(weights, units)

    assert raised.value.field == field


def test_margin_limit_must_be_a_fraction() -> None:
    with pytest.raises(ValidationError):
        minimum_account_size({"a": 0.5}, {"a": unit("1", "1")}, margin_limit=Decimal("1.5"))
