"""Deterministic fat-tailed strategy returns with factor structure (the research's generator).

``R[t, i] = mean_i + vol_i * (bm_i M_t + bb_i F[t, block(i)] + idio_i e[t, i])`` with unit-variance
Student-t(4) draws for the market M, the block factors F and the idiosyncratic noise e;
``bm^2 + bb^2 + idio^2 = 1``. The noise is de-meaned so each sample mean is exactly ``mean_i``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

SIZES = ((10, 756), (50, 1260), (200, 2520))
DEGREES_OF_FREEDOM = 4


def _student_t(generator: np.random.Generator, shape: tuple[int, ...]) -> npt.NDArray[np.float64]:
    draws = generator.standard_t(DEGREES_OF_FREEDOM, size=shape)
    return draws / np.sqrt(DEGREES_OF_FREEDOM / (DEGREES_OF_FREEDOM - 2))


def returns(strategies: int, days: int) -> npt.NDArray[np.float64]:
    """Return a (days x strategies) matrix of daily simple returns, the same on every call."""
    generator = np.random.Generator(np.random.PCG64(20240000 + 1000 * strategies + days))
    blocks = min(6, max(2, strategies // 10))
    block = np.arange(strategies) % blocks
    market_beta = generator.uniform(0.15, 0.35, strategies)
    block_beta = generator.uniform(0.45, 0.65, strategies)
    idiosyncratic = np.sqrt(1.0 - market_beta**2 - block_beta**2)
    market = _student_t(generator, (days, 1))
    factors = _student_t(generator, (days, blocks))
    noise = _student_t(generator, (days, strategies))
    shocks = market_beta * market + block_beta * factors[:, block] + idiosyncratic * noise
    shocks -= shocks.mean(axis=0)
    volatility = 0.01 * generator.uniform(0.7, 1.3, strategies)
    mean = 0.0004 + 0.0003 * generator.standard_normal(strategies)
    return mean + volatility * shocks


if __name__ == "__main__":
    for count, length in SIZES:
        data = returns(count, length)
        correlation = np.corrcoef(data, rowvar=False)
        off_diagonal = correlation[~np.eye(count, dtype=bool)]
        centred = data - data.mean(axis=0)
        kurtosis = (centred**4).mean(axis=0) / (centred**2).mean(axis=0) ** 2 - 3
        print(
            f"{count}x{length}: mean mu {data.mean():.5f}, max corr {off_diagonal.max():.2f}, "
            f"median excess kurtosis {np.median(kurtosis):.1f}"
        )
