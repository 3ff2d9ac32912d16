"""The smallest account that can run a set of strategies at their weights within the risk limits.

Two rules, and the capital must satisfy both:

- each allocated strategy (weight at least NOISE_WEIGHT; below it a weight is solver noise) must
  afford one minimum tradable unit (lot x price, or the contract's notional) out of its own
  allocation: ``capital x weight >= unit_cost``;
- holding one unit of every allocated strategy at once must stay within the margin limit:
  ``sum(margin_per_unit) <= margin_limit x capital`` (40% of equity by default).

Amounts are ``Decimal`` and rounded up to whole currency units: rounding down would give an account
that is a fraction too small to trade.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from mats.domain.optimizer.settings import NOISE_WEIGHT
from mats.errors import ValidationError

NOISE = Decimal(repr(NOISE_WEIGHT))
MARGIN_LIMIT = Decimal("0.40")
MARGIN_RULE = "margin_limit"


@dataclass(frozen=True)
class TradableUnit:
    """What one minimum tradable unit of a strategy's instrument costs and ties up in margin."""

    unit_cost: Decimal
    margin_per_unit: Decimal


@dataclass(frozen=True)
class AccountSizeRequirement:
    """``minimum_capital`` is the largest of the per-strategy and margin requirements; ``binding``
    names the strategy (or ``margin_limit``) that sets it."""

    minimum_capital: Decimal
    binding: str
    per_strategy: Mapping[str, Decimal]
    margin_capital: Decimal
    total_margin_per_unit: Decimal


def minimum_account_size(
    weights: Mapping[str, float],
    units: Mapping[str, TradableUnit],
    margin_limit: Decimal = MARGIN_LIMIT,
) -> AccountSizeRequirement:
    """Return the smallest capital that runs every strategy weighing NOISE_WEIGHT or more."""
    if not margin_limit.is_finite() or not Decimal(0) < margin_limit <= 1:
        raise ValidationError("margin_limit", f"must be in (0, 1]; got {margin_limit}")
    checked = {i: _weight(i, w) for i, w in weights.items()}
    # Below NOISE_WEIGHT a weight is solver noise, not an allocation: one unit at 4.7e-9 of
    # equity would "need" billions.
    allocated = {i: w for i, w in checked.items() if w >= NOISE}
    if not allocated:
        raise ValidationError("weights", f"no strategy has a weight of {NOISE_WEIGHT:g} or more")
    per_strategy: dict[str, Decimal] = {}
    total_margin = Decimal(0)
    for strategy_id, weight in allocated.items():
        unit = _unit(strategy_id, units)
        per_strategy[strategy_id] = _round_up(unit.unit_cost / weight)
        total_margin += unit.margin_per_unit
    margin_capital = _round_up(total_margin / margin_limit)
    binding, largest = max(per_strategy.items(), key=lambda item: (item[1], item[0]))
    if margin_capital > largest:
        binding, largest = MARGIN_RULE, margin_capital
    return AccountSizeRequirement(
        minimum_capital=largest,
        binding=binding,
        per_strategy=per_strategy,
        margin_capital=margin_capital,
        total_margin_per_unit=total_margin,
    )


def _weight(strategy_id: str, weight: float) -> Decimal:
    if not math.isfinite(weight) or weight < 0:
        raise ValidationError(f"weights.{strategy_id}", f"must be finite and >= 0; got {weight}")
    # repr gives the shortest decimal that round-trips, e.g. 0.1 rather than 0.1000000000000000055.
    return Decimal(repr(weight))


def _unit(strategy_id: str, units: Mapping[str, TradableUnit]) -> TradableUnit:
    unit = units.get(strategy_id)
    if unit is None:
        raise ValidationError(f"units.{strategy_id}", "is required for every allocated strategy")
    for name, value in (("unit_cost", unit.unit_cost), ("margin_per_unit", unit.margin_per_unit)):
        if not value.is_finite() or value < 0:
            raise ValidationError(f"units.{strategy_id}.{name}", f"must be >= 0; got {value}")
    if unit.unit_cost == 0:
        raise ValidationError(f"units.{strategy_id}.unit_cost", "must be greater than zero")
    return unit


def _round_up(amount: Decimal) -> Decimal:
    # quantize, not to_integral_value: 10000 / 0.5 would stay Decimal("2E+4") and print so.
    return amount.quantize(Decimal(1), rounding=ROUND_CEILING)
