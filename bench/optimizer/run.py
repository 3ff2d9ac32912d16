"""MATS' optimiser against Riskfolio-Lib, PyPortfolioOpt, skfolio (default solvers) and
the raw solver MATS uses (HiGHS for the LPs, Clarabel for the QP).

Same synthetic data as the research (``data.py``). Each size: one warm-up call per contender,
then ``--rounds`` rounds; within a round every contender runs once, in an order that rotates
between rounds. Times are medians; ratios are medians of per-round ratios. Objectives are
re-scored by one evaluator (exact historical CVaR95, mean return, annualised Sharpe) and compared
with MATS. Run with BLAS pinned to one thread (the Makefile does):

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        .venv/bin/python bench/optimizer/run.py [--rounds 5] [--out .mats/bench/optimizer.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import data
import peers

from mats.domain.optimizer import Method, OptimizerSettings, efficient_frontier
from mats.domain.optimizer.cvar import historical_cvar

REPO = Path(__file__).resolve().parents[2]
PEERS = ("riskfolio", "pypfopt", "skfolio")
Runner = Callable[[], np.ndarray]


def score(returns: np.ndarray, weights: np.ndarray, kind: str) -> float:
    if kind == "min_cvar":
        return historical_cvar(-(returns @ weights), peers.CONFIDENCE)
    if kind == "max_return":
        return float(returns.mean(axis=0) @ weights)
    covariance = np.cov(returns, rowvar=False)
    return float(
        np.sqrt(252) * returns.mean(axis=0) @ weights / np.sqrt(weights @ covariance @ weights)
    )


def problems(returns: np.ndarray) -> list[peers.Problem]:
    minimum = score(returns, peers.mats(returns, peers.Problem("b", "min_cvar", 1.0)), "min_cvar")
    limit = 1.5 * minimum
    # Halfway from the lowest CVaR to the unconstrained max-Sharpe portfolio's: a limit that binds.
    sharpest = peers.mats(returns, peers.Problem("s", "max_sharpe", 1.0))
    sharpe_limit = (minimum + score(returns, sharpest, "min_cvar")) / 2
    return [
        peers.Problem("min-CVaR, sum(w)=1", "min_cvar", 1.0),
        peers.Problem("max-return s.t. CVaR<=1.5xmin, sum(w)=1", "max_return", 1.0, limit),
        peers.Problem("max-return s.t. CVaR<=1.5xmin, sum(w)<=2", "max_return", 2.0, limit),
        peers.Problem("max-Sharpe, sum(w)=1", "max_sharpe", 1.0),
        peers.Problem("max-Sharpe s.t. CVaR<=mid, sum(w)=1", "max_sharpe", 1.0, sharpe_limit),
    ]


def contenders(returns: np.ndarray, problem: peers.Problem) -> dict[str, Runner | str]:
    frame = pd.DataFrame(returns, columns=[f"s{i}" for i in range(returns.shape[1])])
    found: dict[str, Runner | str] = {
        "mats": lambda: peers.mats(returns, problem),
        "raw-solver": lambda: peers.raw_solver(returns, problem),
        "riskfolio": lambda: peers.riskfolio(frame, problem),
        "pypfopt": lambda: peers.pypfopt(frame, problem),
        "skfolio": lambda: peers.skfolio(returns, problem),
    }
    for (name, total), reason in peers.NOT_EXPRESSIBLE.items():
        if total == problem.max_total:
            found[name] = f"n/a: {reason}"
    if problem.kind == "max_sharpe" and problem.cvar_limit is None:
        found["highs-qp"] = lambda: peers.highs_qp(returns, problem)
    if problem.kind == "max_sharpe" and problem.cvar_limit is not None:
        found["pypfopt"] = "n/a: max_sharpe() takes no CVaR constraint"
    return found


def timed(runner: Runner) -> tuple[float, np.ndarray | str]:
    started = time.perf_counter()
    try:
        weights = runner()
    except Exception as error:
        return time.perf_counter() - started, f"FAILED: {type(error).__name__}: {error}"[:160]
    return time.perf_counter() - started, weights


def measure(returns: np.ndarray, problem: peers.Problem, rounds: int) -> dict[str, Any]:
    runners = {k: v for k, v in contenders(returns, problem).items() if not isinstance(v, str)}
    outcome: dict[str, Any] = {k: {"note": v} for k, v in contenders(returns, problem).items()}
    times: dict[str, list[float]] = {name: [] for name in runners}
    answers: dict[str, np.ndarray | str] = {name: timed(run)[1] for name, run in runners.items()}
    names = list(runners)
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            elapsed, answers[name] = timed(runners[name])
            times[name].append(elapsed)
    reference = answers["mats"]
    assert not isinstance(reference, str), reference
    best = score(returns, reference, problem.kind)
    for name in names:
        outcome[name] = _cell(returns, problem, answers[name], times=times, name=name, best=best)
    return outcome


def _cell(
    returns: np.ndarray,
    problem: peers.Problem,
    answer: np.ndarray | str,
    *,
    times: dict[str, list[float]],
    name: str,
    best: float,
) -> dict[str, Any]:
    if isinstance(answer, str):
        return {"note": answer, "seconds": statistics.median(times[name])}
    if problem.max_total > 1 and problem.kind == "max_sharpe":
        answer = answer * (problem.max_total / answer.sum())
    objective = score(returns, answer, problem.kind)
    ratios = [mine / theirs for mine, theirs in zip(times["mats"], times[name], strict=True)]
    return {
        "seconds": statistics.median(times[name]),
        "mats_over_this": statistics.median(ratios),
        "objective": objective,
        "relative_difference": (objective - best) / abs(best),
        "leverage": float(answer.sum()),
        "max_weight": float(answer.max()),
    }


def frontier_cost(returns: np.ndarray, rounds: int) -> dict[str, float]:
    ids = [f"s{i}" for i in range(returns.shape[1])]
    cold_problem = problems(returns)[2]
    frontier_settings = OptimizerSettings(method=Method.MIN_CVAR, min_total_allocation=1.0)
    efficient_frontier(ids, returns, frontier_settings)
    ratios, frontier_times, cold_times = [], [], []
    for _ in range(rounds):
        frontier_seconds, _ = timed(lambda: _frontier(ids, returns, frontier_settings))
        cold_seconds, _ = timed(lambda: peers.mats(returns, cold_problem))
        ratios.append(frontier_seconds / cold_seconds)
        frontier_times.append(frontier_seconds)
        cold_times.append(cold_seconds)
    return {
        "frontier_seconds": statistics.median(frontier_times),
        "cold_solve_seconds": statistics.median(cold_times),
        "frontier_over_cold": statistics.median(ratios),
    }


def _frontier(ids: list[str], returns: np.ndarray, settings: OptimizerSettings) -> np.ndarray:
    frontier = efficient_frontier(ids, returns, settings)
    return np.array([point.metrics.cvar for point in frontier.points])


def markdown(report: dict[str, Any]) -> str:
    lines = []
    for size, cells in report["sizes"].items():
        lines += [f"\n### N x T = {size}\n", _header()]
        for problem_name, outcome in cells["problems"].items():
            for name, cell in outcome.items():
                lines.append(_row(problem_name, name, cell))
        frontier = cells["frontier"]
        lines.append(
            f"\n25-point frontier: {frontier['frontier_seconds'] * 1e3:.0f} ms = "
            f"{frontier['frontier_over_cold']:.2f}x one cold max-return solve "
            f"({frontier['cold_solve_seconds'] * 1e3:.0f} ms)"
        )
    return "\n".join(lines)


def _header() -> str:
    return (
        "| problem | contender | median time | MATS time / this (median per round) "
        "| objective | rel. diff vs MATS |\n|---|---|---|---|---|---|"
    )


def _row(problem_name: str, name: str, cell: dict[str, Any]) -> str:
    if "objective" not in cell:
        return f"| {problem_name} | {name} | {cell['note']} | | | |"
    return (
        f"| {problem_name} | {name} | {cell['seconds'] * 1e3:.1f} ms "
        f"| {cell['mats_over_this']:.3f} | {cell['objective']:.9g} "
        f"| {cell['relative_difference']:+.1e} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    # The frontier's ratio is one number per size from tens of short solves, so it varies more
    # from round to round than the peers' timings; its median takes more rounds.
    parser.add_argument("--frontier-rounds", type=int, default=21)
    parser.add_argument("--sizes", default="0,1,2", help="indices into data.SIZES")
    parser.add_argument("--out", default=str(REPO / ".mats" / "bench" / "optimizer.json"))
    arguments = parser.parse_args()
    # The peers' deprecation chatter is not part of the report.
    warnings.filterwarnings("ignore")
    threads = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    report: dict[str, Any] = {
        "threads": threads,
        "rounds": arguments.rounds,
        "frontier_rounds": arguments.frontier_rounds,
        "sizes": {},
    }
    for index in (int(i) for i in arguments.sizes.split(",")):
        count, days = data.SIZES[index]
        returns = data.returns(count, days)
        cells: dict[str, Any] = {"problems": {}}
        for problem in problems(returns):
            print(f"{count}x{days}: {problem.name}", file=sys.stderr)
            cells["problems"][problem.name] = measure(returns, problem, arguments.rounds)
        cells["frontier"] = frontier_cost(returns, arguments.frontier_rounds)
        report["sizes"][f"{count}x{days}"] = cells
    out = Path(arguments.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(markdown(report))
    print(f"\nJSON: {out}")


if __name__ == "__main__":
    main()
