"""Validate the optimiser's inputs into one :class:`Problem`, or say exactly what is wrong."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mats.domain.optimizer.errors import OptimizerError, OptimizerErrorCode
from mats.domain.optimizer.settings import Method, OptimizerSettings
from mats.errors import ValidationError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Problem:
    """Validated returns (T days x N strategies) and the bounds every method honours."""

    strategy_ids: tuple[str, ...]
    returns: FloatArray
    mean: FloatArray
    settings: OptimizerSettings
    lower: FloatArray
    upper: FloatArray
    current: FloatArray
    turnover_budget: float | None

    @property
    def strategy_count(self) -> int:
        return len(self.strategy_ids)

    @property
    def observation_count(self) -> int:
        return int(self.returns.shape[0])

    @property
    def tail_weight(self) -> float:
        """Weight of one day's excess loss in the Rockafellar-Uryasev CVaR: 1 / ((1 - b) T)."""
        return 1.0 / ((1.0 - self.settings.cvar_confidence) * self.observation_count)


def build_problem(
    strategy_ids: Sequence[str],
    returns: npt.ArrayLike,
    settings: OptimizerSettings,
    current_weights: Mapping[str, float] | None = None,
) -> Problem:
    """Check ids, returns and bounds; raise ``OptimizerError`` naming the first problem."""
    ids = _check_ids(strategy_ids)
    matrix, mean = _check_returns(ids, returns, settings)
    lower = np.array([settings.min_weights.get(i, 0.0) for i in ids], dtype=np.float64)
    unknown = sorted(set(settings.min_weights) - set(ids))
    if unknown:
        raise OptimizerError(
            OptimizerErrorCode.UNKNOWN_STRATEGY,
            f"min_weights names strategies that are not eligible: {', '.join(unknown)}",
        )
    upper = np.full(len(ids), settings.max_weight)
    _check_totals(ids, lower, upper, settings)
    current, budget = _current_allocation(ids, current_weights or {}, settings)
    return Problem(
        strategy_ids=ids,
        returns=matrix,
        mean=mean,
        settings=settings,
        lower=lower,
        upper=upper,
        current=current,
        turnover_budget=budget,
    )


def _check_ids(strategy_ids: Sequence[str]) -> tuple[str, ...]:
    ids = tuple(strategy_ids)
    if not ids:
        raise OptimizerError(
            OptimizerErrorCode.NO_STRATEGIES,
            "no eligible strategies (ACTIVE and include_in_optimization, with backtest data)",
        )
    if len(ids) == 1:
        raise OptimizerError(
            OptimizerErrorCode.ONE_STRATEGY,
            f"only {ids[0]} is eligible; there is nothing to trade off. Allocate it directly "
            "within its cap, or include more strategies in the optimisation",
            {"strategy_id": ids[0]},
        )
    seen: set[str] = set()
    for strategy_id in ids:
        if strategy_id in seen:
            raise OptimizerError(
                OptimizerErrorCode.DUPLICATE_STRATEGY,
                f"{strategy_id} appears twice",
                {"strategy_id": strategy_id},
            )
        seen.add(strategy_id)
    return ids


def _check_returns(
    ids: tuple[str, ...], returns: npt.ArrayLike, settings: OptimizerSettings
) -> tuple[FloatArray, FloatArray]:
    matrix = np.asarray(returns, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != len(ids):
        raise OptimizerError(
            OptimizerErrorCode.SHAPE_MISMATCH,
            f"returns must be days x strategies = (T, {len(ids)}); got shape {matrix.shape}",
        )
    observations = matrix.shape[0]
    # A NaN or infinity makes its column's mean non-finite, so the mean the problem needs anyway
    # screens for them; only then is every value checked (a huge sum can overflow too).
    with np.errstate(invalid="ignore", over="ignore"):
        mean = matrix.mean(axis=0) if observations else np.zeros(len(ids))
    bad = np.argwhere(~np.isfinite(matrix)) if not np.isfinite(mean).all() else np.empty((0, 2))
    if len(bad):
        day, column = (int(v) for v in bad[0])
        raise OptimizerError(
            OptimizerErrorCode.NON_FINITE_RETURNS,
            f"{ids[column]} has a {matrix[day, column]} return on day {day} "
            f"({len(bad)} non-finite values in total)",
            {"strategy_id": ids[column], "day": day},
        )
    if observations and matrix.min() <= -1.0:
        ruin = np.argwhere(matrix <= -1.0)
        day, column = (int(v) for v in ruin[0])
        raise OptimizerError(
            OptimizerErrorCode.RETURN_BELOW_TOTAL_LOSS,
            f"{ids[column]} loses {-matrix[day, column]:.2%} on day {day}; a daily simple "
            "return cannot be -100% or worse (returns are fractions: 0.01 = 1%)",
            {"strategy_id": ids[column], "day": day},
        )
    needed = max(settings.min_observations, int(np.ceil(1.0 / (1.0 - settings.cvar_confidence))))
    if observations < needed:
        raise OptimizerError(
            OptimizerErrorCode.TOO_FEW_OBSERVATIONS,
            f"{observations} days of returns; at least {needed} are needed "
            f"(min_observations and one day in the {settings.cvar_confidence:.0%} CVaR tail)",
            {"observations": observations, "required": needed},
        )
    return np.ascontiguousarray(matrix), mean


def _check_totals(
    ids: tuple[str, ...], lower: FloatArray, upper: FloatArray, settings: OptimizerSettings
) -> None:
    low_total = settings.min_total_allocation
    if settings.method is Method.MAX_SHARPE:
        low_total = settings.sharpe_total_allocation
    reachable = float(upper.sum())
    if reachable < low_total - 1e-12:
        raise OptimizerError(
            OptimizerErrorCode.INFEASIBLE_CONSTRAINTS,
            f"{len(ids)} strategies capped at {settings.max_weight:.0%} each reach at most "
            f"{reachable:.0%} in total, below the required {low_total:.0%}; add strategies, "
            "raise max_weight or lower the total",
            {"max_reachable_total": reachable, "required_total": low_total},
        )
    floors = float(lower.sum())
    high_total = settings.max_total_allocation
    if settings.method is Method.MAX_SHARPE:
        high_total = settings.sharpe_total_allocation
    if floors > high_total + 1e-12:
        raise OptimizerError(
            OptimizerErrorCode.INFEASIBLE_CONSTRAINTS,
            f"the per-strategy floors add up to {floors:.0%}, above the allowed total "
            f"{high_total:.0%}",
            {"floor_total": floors, "allowed_total": high_total},
        )


def _current_allocation(
    ids: tuple[str, ...], current: Mapping[str, float], settings: OptimizerSettings
) -> tuple[FloatArray, float | None]:
    for strategy_id, weight in current.items():
        if not np.isfinite(weight) or weight < 0:
            raise ValidationError(
                f"current_weights.{strategy_id}", f"must be a finite weight >= 0; got {weight}"
            )
    vector = np.array([current.get(i, 0.0) for i in ids], dtype=np.float64)
    if settings.turnover_limit is None:
        return vector, None
    # Strategies that leave the optimisation are sold in full, which uses turnover too.
    leaving = sum(weight for strategy_id, weight in current.items() if strategy_id not in ids)
    budget = settings.turnover_limit - leaving
    if budget < 0:
        raise OptimizerError(
            OptimizerErrorCode.INFEASIBLE_CONSTRAINTS,
            f"closing strategies that are no longer eligible already turns over {leaving:.2%}, "
            f"more than the turnover limit {settings.turnover_limit:.2%}",
            {"forced_turnover": leaving, "turnover_limit": settings.turnover_limit},
        )
    return vector, budget
