"""What the optimiser is asked to do and within which bounds."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from mats.errors import ValidationError

TRADING_DAYS_PER_YEAR = 252
# A weight below this is solver noise and is stored as exactly 0 (see :mod:`.snap`). Measured:
# strategies a solver does not hold come back at up to 1e-13 (HiGHS' simplex) and 6e-7 (Clarabel's
# interior point at its 1e-9 tolerance, under a binding CVaR limit), while the smallest real
# optimal weight seen was 1.6e-4. 1e-5 is 17x the largest noise, 16x below that weight and 10x
# below an allocation's 0.01% step.
NOISE_WEIGHT = 1e-5


class Method(StrEnum):
    MAX_RETURN = "max_return"
    MIN_CVAR = "min_cvar"
    MAX_SHARPE = "max_sharpe"


class CovarianceEstimator(StrEnum):
    SAMPLE = "sample"
    LEDOIT_WOLF = "ledoit_wolf"


@dataclass(frozen=True)
class OptimizerSettings:
    """The problem statement; every fraction is of account equity (``0.5`` = 50%).

    - ``max_return``: maximise the mean daily return subject to daily CVaR <= ``cvar_limit``.
    - ``min_cvar``: minimise daily CVaR. CVaR is positively homogeneous, so without a floor on
      the total the answer would be the empty portfolio; ``min_total_allocation`` (default 1.0,
      fully invested) is that floor.
    - ``max_sharpe``: maximise the Sharpe ratio (rf = 0) of portfolios whose weights sum to
      exactly ``sharpe_total_allocation`` (default 1.0). Sharpe does not change when every weight
      is scaled, so a leverage cap alone cannot fix the scale; fixing the total does, and the
      per-strategy caps apply at that scale. ``cvar_limit``, when given, is also enforced.

    Every method honours the per-strategy cap and floors, ``min_total_allocation <= sum(w) <=
    max_total_allocation`` and, when ``turnover_limit`` is set, ``sum |w - w_current| <= limit``
    over every strategy in the current allocation (strategies that drop out count in full).
    """

    method: Method = Method.MAX_RETURN
    cvar_confidence: float = 0.95
    cvar_limit: float | None = None
    max_weight: float = 0.5
    min_weights: Mapping[str, float] = field(default_factory=dict)
    max_total_allocation: float = 2.0
    min_total_allocation: float = 1.0
    sharpe_total_allocation: float = 1.0
    covariance: CovarianceEstimator = CovarianceEstimator.SAMPLE
    turnover_limit: float | None = None
    min_observations: int = 60
    frontier_points: int = 25

    def __post_init__(self) -> None:
        _check_range("cvar_confidence", self.cvar_confidence, 0.5, 1.0, upper_open=True)
        _check_range("max_weight", self.max_weight, 0.0, 1e6, lower_open=True)
        _check_range("max_total_allocation", self.max_total_allocation, 0.0, 1e6, lower_open=True)
        _check_range("min_total_allocation", self.min_total_allocation, 0.0, 1e6)
        if self.min_total_allocation > self.max_total_allocation:
            raise ValidationError(
                "min_total_allocation",
                f"{self.min_total_allocation} exceeds max_total_allocation "
                f"{self.max_total_allocation}",
            )
        for strategy_id, floor in self.min_weights.items():
            _check_range(f"min_weights.{strategy_id}", floor, 0.0, self.max_weight)
            if 0 < floor < NOISE_WEIGHT:
                # A weight that small is stored as 0, which such a floor would forbid.
                raise ValidationError(
                    f"min_weights.{strategy_id}",
                    f"must be 0 or at least {NOISE_WEIGHT:g} (smaller weights are solver noise); "
                    f"got {floor}",
                )
        if self.cvar_limit is not None:
            _check_range("cvar_limit", self.cvar_limit, 0.0, 1.0, lower_open=True)
        if self.turnover_limit is not None:
            _check_range("turnover_limit", self.turnover_limit, 0.0, 1e6)
        if self.min_observations < 2:
            raise ValidationError("min_observations", "must be at least 2")
        if self.frontier_points < 2:
            raise ValidationError("frontier_points", "must be at least 2")
        self._check_method()

    def _check_method(self) -> None:
        if self.method is Method.MAX_RETURN and self.cvar_limit is None:
            raise ValidationError(
                "cvar_limit", "is required for max_return (daily CVaR as a loss, e.g. 0.02)"
            )
        if self.method is Method.MIN_CVAR:
            if self.cvar_limit is not None:
                raise ValidationError("cvar_limit", "min_cvar minimises CVaR; it takes no limit")
            if self.min_total_allocation <= 0:
                raise ValidationError(
                    "min_total_allocation",
                    "must be above 0 for min_cvar, otherwise the answer is the empty portfolio",
                )
        if self.method is Method.MAX_SHARPE:
            low, high = self.min_total_allocation, self.max_total_allocation
            _check_range(
                "sharpe_total_allocation", self.sharpe_total_allocation, 0, high, lower_open=True
            )
            if self.sharpe_total_allocation < low:
                raise ValidationError(
                    "sharpe_total_allocation", f"must be within [{low}, {high}] (the total range)"
                )


def _check_range(
    name: str,
    value: float,
    low: float,
    high: float,
    *,
    lower_open: bool = False,
    upper_open: bool = False,
) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(name, f"must be a finite number; got {value!r}")
    below = value <= low if lower_open else value < low
    above = value >= high if upper_open else value > high
    if below or above:
        left = "(" if lower_open else "["
        right = ")" if upper_open else "]"
        raise ValidationError(name, f"must be in {left}{low}, {high}{right}; got {value}")
