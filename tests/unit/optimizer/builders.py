"""Small synthetic strategy returns with fat tails and a common factor, the same for every seed."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from mats.domain.optimizer import Method, OptimizerSettings


def synthetic_returns(
    strategies: int = 6, days: int = 250, seed: int = 7
) -> npt.NDArray[np.float64]:
    generator = np.random.Generator(np.random.PCG64(seed))
    market = generator.standard_t(4, size=(days, 1)) / np.sqrt(2)
    noise = generator.standard_t(4, size=(days, strategies)) / np.sqrt(2)
    beta = generator.uniform(0.2, 0.6, strategies)
    shocks = beta * market + np.sqrt(1 - beta**2) * noise
    shocks -= shocks.mean(axis=0)
    volatility = 0.01 * generator.uniform(0.7, 1.3, strategies)
    mean = 0.0005 + 0.0003 * generator.standard_normal(strategies)
    return mean + volatility * shocks


def ids(count: int) -> list[str]:
    return [f"strategy-{i}" for i in range(count)]


def settings(**overrides: object) -> OptimizerSettings:
    fields: dict[str, object] = {"method": Method.MAX_RETURN, "cvar_limit": 0.02}
    fields.update(overrides)
    return OptimizerSettings(**fields)  # type: ignore[arg-type]
