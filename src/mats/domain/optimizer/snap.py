"""Weights that are zero are zero: snap solver noise to 0 without breaking any bound.

An interior point never lands exactly on a bound, so Clarabel leaves the strategies max-Sharpe
does not hold at 1e-10..6e-7 instead of 0, and a weight like that once "set" a minimum account
size of $40 billion (one unit at 4.7e-9 of equity). Every weight below
:data:`.settings.NOISE_WEIGHT` becomes exactly 0. Where that leaves the total below what the
method requires (max-Sharpe's fixed total, a total floor), the strategies still held are scaled up
in proportion, those at their caps staying there: proportions are what the Sharpe ratio depends
on, so it moves only as far as a cap forces. The result is accepted only if no bound is worse
than in the solver's own answer — total range, turnover and, exactly, the CVaR limit; otherwise
:func:`snap_noise` says so and the caller solves again without the noisy strategies.
"""

from __future__ import annotations

import numpy as np

from mats.domain.optimizer.cvar import historical_cvar
from mats.domain.optimizer.highs import FloatArray
from mats.domain.optimizer.problem import Problem
from mats.domain.optimizer.settings import NOISE_WEIGHT, Method

# Sums of a few hundred O(1) weights round at about 1e-14; a bound no worse within this is kept.
ROUNDING = 1e-12


def snap_noise(problem: Problem, weights: FloatArray) -> FloatArray | None:
    """Return ``weights`` with noise at 0 and the total refilled, or None if a bound would break.

    ``weights`` are the solver's answer within the per-strategy bounds (``clean_weights``).
    Floors are 0 or at least NOISE_WEIGHT (the settings refuse others), so no floor breaks.
    """
    noise = (weights > 0) & (weights < NOISE_WEIGHT)
    snapped = np.where(noise, 0.0, weights)
    low, high = total_range(problem)
    total = float(snapped.sum())
    if total < low or total > high:
        target = min(max(total, low), high)
        snapped = _refill(snapped, problem.lower, problem.upper, target)
    if np.array_equal(snapped, weights):
        return weights
    if (_violations(problem, snapped) > np.maximum(_violations(problem, weights), 0.0)).any():
        # Without noise only the solver's rounding of the total was at stake: keep its answer.
        return None if noise.any() else weights
    return snapped


def total_range(problem: Problem) -> tuple[float, float]:
    """Return the lowest and highest total allocation the method allows."""
    settings = problem.settings
    if settings.method is Method.MAX_SHARPE:
        return settings.sharpe_total_allocation, settings.sharpe_total_allocation
    return settings.min_total_allocation, settings.max_total_allocation


def _refill(weights: FloatArray, lower: FloatArray, upper: FloatArray, target: float) -> FloatArray:
    """Scale the held weights towards ``target`` in total, within their bounds (water filling).

    A pass in which no weight meets a bound reaches the target; every other pass brings one more
    strategy to a bound, so it ends within one pass per strategy. Weights at 0 stay at 0.
    """
    filled = weights.copy()
    for _ in range(len(filled)):
        gap = target - float(filled.sum())
        movable = (filled > 0) & (filled < upper if gap > 0 else filled > lower)
        if not movable.any():
            break
        scaled = filled[movable] * (1.0 + gap / float(filled[movable].sum()))
        bounded = np.clip(scaled, lower[movable], upper[movable])
        filled[movable] = bounded
        if np.array_equal(bounded, scaled):
            break
    return filled


def _violations(problem: Problem, weights: FloatArray) -> FloatArray:
    """How far ``weights`` are outside each bound beyond rounding (<= 0: within it).

    CVaR is compared exactly: a snap may never take it over the limit.
    """
    low, high = total_range(problem)
    total = float(weights.sum())
    found = [low - total - ROUNDING, total - high - ROUNDING]
    if problem.turnover_budget is not None:
        moved = float(np.abs(weights - problem.current).sum())
        found.append(moved - problem.turnover_budget - ROUNDING)
    limit = problem.settings.cvar_limit
    if limit is not None:
        found.append(
            historical_cvar(-(problem.returns @ weights), problem.settings.cvar_confidence) - limit
        )
    return np.array(found)
