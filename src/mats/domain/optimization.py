"""Optimisation runs and sandbox simulations as they are recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class RunStatus(StrEnum):
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class Exclusion:
    """A strategy left out of an optimisation, and why."""

    strategy_id: str
    reason: str


@dataclass(frozen=True)
class OptimizationRun:
    """One nightly run (``portfolio_optimization_runs/OPT_{YYYYMMDD}_{HHMMSS}``).

    A run asked for under a request id (a scheduled time or a run-now) carries it: one run per
    request, and another attempt only after one was left RUNNING by a process that died.

    Per-strategy maps are keyed by strategy id; ``correlation`` is a map of maps (Firestore has no
    nested lists). Returns and volatilities are annualised; CVaR is daily, as a positive loss.
    """

    run_id: str
    run_date: date
    created_at: datetime
    status: RunStatus
    method: str
    settings: dict[str, Any]
    requested_by: str
    eligible: tuple[str, ...] = ()
    excluded: tuple[Exclusion, ...] = ()
    finished_at: datetime | None = None
    period_start: date | None = None
    period_end: date | None = None
    observations: int | None = None
    weights: dict[str, float] = field(default_factory=dict)
    expected_returns: dict[str, float] = field(default_factory=dict)
    volatilities: dict[str, float] = field(default_factory=dict)
    correlation: dict[str, dict[str, float]] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    risk_contributions: dict[str, dict[str, float]] = field(default_factory=dict)
    minimum_account: dict[str, Any] | None = None
    solver: dict[str, Any] = field(default_factory=dict)
    allocation_id: str | None = None
    error_code: str | None = None
    error: str | None = None
    request_id: str | None = None  # The schedule's request it ran for, if any.
    attempt: int = 1  # Of that request: a later attempt follows one abandoned.


@dataclass(frozen=True)
class SandboxRun:
    """A what-if optimisation (``sandbox_runs/SBX_...``); it never touches live allocations.

    ``frontier`` points carry ``cvar`` and ``expected_return_annual`` as ``metrics`` (the
    proposal) and ``current_metrics`` (the ACTIVE allocation over the same strategies and days)
    do, so both can be marked on it; the proposal lies on or below it.
    """

    sandbox_id: str
    created_at: datetime
    requested_by: str
    status: RunStatus
    settings: dict[str, Any]
    strategies: tuple[str, ...] = ()
    hypothetical: tuple[str, ...] = ()
    excluded: tuple[Exclusion, ...] = ()
    weights: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    frontier: tuple[dict[str, float], ...] = ()
    dates: tuple[date, ...] = ()
    proposed_equity: tuple[float, ...] = ()
    proposed_drawdown: tuple[float, ...] = ()
    current_allocation_id: str | None = None
    current_metrics: dict[str, float] = field(default_factory=dict)
    current_equity: tuple[float, ...] = ()
    current_drawdown: tuple[float, ...] = ()
    minimum_account: dict[str, Any] | None = None
    error_code: str | None = None
    error: str | None = None


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class BacktestJob:
    """A background backtest sync (``backtest_jobs/{job_id}``) with progress per strategy."""

    job_id: str
    created_at: datetime
    requested_by: str
    status: JobStatus
    strategy_ids: tuple[str, ...] = ()
    done: int = 0
    total: int = 0
    results: dict[str, str] = field(default_factory=dict)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None


def run_id(at: datetime) -> str:
    return f"OPT_{at:%Y%m%d_%H%M%S}"


def sandbox_id(at: datetime) -> str:
    return f"SBX_{at:%Y%m%d_%H%M%S_%f}"
