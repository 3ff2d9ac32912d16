"""The nightly optimisation and the sandbox.

Nightly: take the ACTIVE strategies marked for optimisation (recording why every other strategy
is left out), align their backtests on common days, optimise with the stored settings, and store
the run plus a PENDING_APPROVAL allocation. One run per date: a repeat returns the first run.

Sandbox: the same optimisation with settings overrides and hypothetical strategies, plus the
efficient frontier and the simulated equity curves of the proposal and of the ACTIVE allocation.
It is stored in ``sandbox_runs`` and never touches live allocations.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import numpy as np

from mats.codec import to_primitive
from mats.domain.backtests import BacktestSeries, BacktestSummary
from mats.domain.optimization import (
    Exclusion,
    OptimizationRun,
    RunStatus,
    SandboxRun,
    run_id,
    sandbox_id,
)
from mats.domain.optimizer import (
    CovarianceEstimator,
    Method,
    OptimizationResult,
    OptimizerError,
    OptimizerErrorCode,
    OptimizerSettings,
    TradableUnit,
    efficient_frontier,
    optimize,
)
from mats.domain.optimizer.metrics import portfolio_metrics
from mats.domain.portfolio import Allocation, percents_from_weights
from mats.domain.simulation import AlignedReturns, align, equity_curve
from mats.domain.strategies import StrategyFilter, StrategyStatus
from mats.errors import (
    ConflictError,
    NotFoundError,
    PermanentError,
    TemporaryError,
    ValidationError,
)
from mats.ports import Clock, PortfolioStore, StrategyStore
from mats.services.allocations import AllocationService
from mats.services.optimizer_results import (
    allocation_metrics,
    frontier_point,
    minimum_account,
    result_fields,
)

log = logging.getLogger(__name__)

# Stored settings override these; `mats optimize settings` shows and changes them.
DEFAULT_SETTINGS: dict[str, Any] = {
    "method": Method.MAX_RETURN.value,
    "cvar_confidence": 0.95,
    "cvar_limit": 0.02,
    "max_weight": 0.5,
    "max_total_allocation": 2.0,
    "min_total_allocation": 0.0,
    "sharpe_total_allocation": 1.0,
    "covariance": "ledoit_wolf",
    "turnover_limit": None,
    "min_observations": 60,
}
SETTING_NAMES = frozenset(DEFAULT_SETTINGS)
# A requested run RUNNING this long was left by a process that died (a run takes seconds to
# minutes; Cloud Scheduler gives an HTTP attempt 30 minutes at most): the request runs again.
ABANDONED_AFTER = timedelta(minutes=30)
MAX_REQUEST_ATTEMPTS = 5
ABANDONED = "ABANDONED"


@dataclass(frozen=True)
class SandboxRequest:
    settings: Mapping[str, Any] = field(default_factory=dict)
    hypothetical: Mapping[str, BacktestSeries] = field(default_factory=dict)
    units: Mapping[str, TradableUnit] = field(default_factory=dict)
    include_live: bool = True
    requested_by: str = "sandbox"


@dataclass(frozen=True)
class _Universe:
    """The strategies an optimisation runs over, their aligned returns, and who was left out."""

    returns: AlignedReturns
    excluded: tuple[Exclusion, ...]
    summaries: Mapping[str, BacktestSummary]


class OptimizerService:
    def __init__(
        self,
        store: PortfolioStore,
        strategies: StrategyStore,
        allocations: AllocationService,
        clock: Clock,
    ) -> None:
        self._store = store
        self._strategies = strategies
        self._allocations = allocations
        self._clock = clock

    def settings(self) -> dict[str, Any]:
        """The nightly settings: the stored ones over the defaults."""
        return {**DEFAULT_SETTINGS, **(self._store.optimizer_settings() or {})}

    def update_settings(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(changes) - SETTING_NAMES
        if unknown:
            raise ValidationError(sorted(unknown)[0], "is not an optimiser setting")
        merged = {**self.settings(), **changes}
        _optimizer_settings(merged)
        self._store.put_optimizer_settings(merged)
        return merged

    def run_nightly(
        self, *, run_date: date | None = None, force: bool = False, requested_by: str
    ) -> OptimizationRun:
        """Run (once per date unless forced) and store the run and its recommendation."""
        now = self._clock.now()
        day = run_date or now.date()
        identifier = run_id(now)
        holder = self._store.claim_run_date(day, identifier)
        if holder is not None:
            existing = self._store.get_run(holder)
            if existing is not None and not force:
                log.info("nightly run already done", extra={"run_id": holder})
                return existing
            self._store.release_run_date(day, identifier)
        return self._run(
            self._new_run(now, day, requested_by),
            on_renamed=lambda renamed: self._store.release_run_date(day, renamed),
        )

    def run_requested(self, request_id: str, *, requested_by: str) -> OptimizationRun:
        """The run of a schedule's request (a scheduled time or a run-now): made once however
        often, and however concurrently, the request is sent. A request's run still RUNNING
        ``ABANDONED_AFTER`` after it started was left by a process that died: it is stored
        FAILED (``ABANDONED``) and the request runs again, in its next attempt."""
        for attempt in range(1, MAX_REQUEST_ATTEMPTS + 1):
            now = self._clock.now()
            claimed_at = self._store.claim_run_request(request_id, attempt, now)
            if claimed_at is None:
                fresh = self._new_run(now, now.date(), requested_by)
                return self._run(dataclasses.replace(fresh, request_id=request_id, attempt=attempt))
            runs = self._store.request_runs(request_id)
            run = next((r for r in runs if r.attempt == attempt), None)
            if run is not None and run.error_code == ABANDONED:
                continue
            if run is not None and run.status is not RunStatus.RUNNING:
                return run
            if now - (run.created_at if run else claimed_at) < ABANDONED_AFTER:
                if run is None:
                    raise TemporaryError(f"the run of request {request_id} is starting; ask again")
                return run  # Still running: the caller asks again for its outcome.
            if run is not None:
                self._store.put_run(_abandoned(run, now))
        raise PermanentError(f"request {request_id} was abandoned {MAX_REQUEST_ATTEMPTS} times")

    def _new_run(self, now: datetime, day: date, requested_by: str) -> OptimizationRun:
        settings = self.settings()
        return OptimizationRun(
            run_id=run_id(now),
            run_date=day,
            created_at=now,
            status=RunStatus.RUNNING,
            method=str(settings["method"]),
            settings=settings,
            requested_by=requested_by,
        )

    def _run(
        self, run: OptimizationRun, on_renamed: Callable[[str], None] | None = None
    ) -> OptimizationRun:
        """Store the run RUNNING, optimise, store how it finished."""
        created = self._create_run(run)
        if created.run_id != run.run_id and on_renamed is not None:
            on_renamed(created.run_id)
        finished = self._complete(created, created.settings)
        self._store.put_run(finished)
        log.info(
            "nightly optimisation finished",
            extra={
                "run_id": finished.run_id,
                "request_id": finished.request_id,
                "status": finished.status.value,
                "error": finished.error,
            },
        )
        return finished

    def _create_run(self, run: OptimizationRun) -> OptimizationRun:
        """Store a new run as ``OPT_{YYYYMMDD}_{HHMMSS}``, suffixed if that id is taken."""
        base = run.run_id
        for attempt in range(1, 100):
            candidate = dataclasses.replace(
                run, run_id=base if attempt == 1 else f"{base}_{attempt}"
            )
            try:
                self._store.create_run(candidate)
            except ConflictError:
                continue
            return candidate
        raise ConflictError(f"no free run id after {base}; retry")

    def latest_run(self) -> OptimizationRun | None:
        runs = self._store.list_runs(limit=1)
        return runs[0] if runs else None

    def get_run(self, identifier: str) -> OptimizationRun:
        run = self._store.get_run(identifier)
        if run is None:
            raise NotFoundError(f"optimisation run {identifier!r} does not exist")
        return run

    def list_runs(self, *, limit: int) -> Sequence[OptimizationRun]:
        return self._store.list_runs(limit=limit)

    def sandbox(self, request: SandboxRequest) -> SandboxRun:
        """Optimise a what-if universe and store it; live allocations are never changed."""
        now = self._clock.now()
        settings = {**self.settings(), **request.settings}
        run = SandboxRun(
            sandbox_id=sandbox_id(now),
            created_at=now,
            requested_by=request.requested_by,
            status=RunStatus.RUNNING,
            settings=settings,
            hypothetical=tuple(sorted(request.hypothetical)),
        )
        try:
            finished = self._simulate(run, settings, request)
        except (OptimizerError, ValidationError) as error:
            finished = _failed(run, error)
        self._store.put_sandbox(finished)
        return finished

    def get_sandbox(self, identifier: str) -> SandboxRun:
        run = self._store.get_sandbox(identifier)
        if run is None:
            raise NotFoundError(f"sandbox run {identifier!r} does not exist")
        return run

    def sandbox_runs(
        self, *, limit: int, after: str | None = None
    ) -> tuple[list[SandboxRun], str | None]:
        """Sandbox runs, newest first, a page at a time (``after``: the previous page's last)."""
        return self._store.sandbox_page(limit=limit, after=after)

    def check_sandbox(self, request: SandboxRequest) -> None:
        """Refuse settings the optimiser cannot take (the request's over the nightly ones)
        before anything runs or is stored; the ``ValidationError`` names the setting."""
        _optimizer_settings({**self.settings(), **request.settings})

    def _complete(self, run: OptimizationRun, settings: Mapping[str, Any]) -> OptimizationRun:
        try:
            minimum = _optimizer_settings(settings).min_observations
            eligible, excluded, summaries = self._eligible(minimum)
            run = dataclasses.replace(run, excluded=tuple(excluded))
            universe = self._universe(eligible, excluded, summaries)
            result = self._optimize(universe, settings)
        except (OptimizerError, ValidationError) as error:
            return dataclasses.replace(_failed(run, error), finished_at=self._clock.now())
        percents = percents_from_weights(dict(result.weights))
        metrics = allocation_metrics(result, percents)
        allocation = (
            self._allocations.propose(percents, run_id=run.run_id, metrics=metrics)
            if percents
            else None
        )
        return dataclasses.replace(
            run,
            status=RunStatus.COMPLETED,
            finished_at=self._clock.now(),
            **result_fields(universe.returns, result),
            minimum_account=minimum_account(result.weights, universe.summaries),
            allocation_id=allocation.allocation_id if allocation else None,
        )

    def _simulate(
        self, run: SandboxRun, settings: Mapping[str, Any], request: SandboxRequest
    ) -> SandboxRun:
        chosen = _optimizer_settings(settings)
        eligible, excluded, summaries = self._eligible(
            chosen.min_observations, include_live=request.include_live
        )
        run = dataclasses.replace(run, excluded=tuple(excluded))
        universe = self._universe(eligible, excluded, summaries, request.hypothetical)
        result = self._optimize(universe, settings)
        returns = universe.returns
        current = self._allocations.current()
        current_weights = _weights_of(current)
        # Within the proposal's own bounds (turnover from the same ACTIVE weights included), so
        # the proposal, max-Sharpe's too, lies on or below the frontier.
        frontier = efficient_frontier(
            returns.strategy_ids, returns.matrix, chosen, current_weights or None
        )
        live = np.array([current_weights.get(i, 0.0) for i in returns.strategy_ids])
        proposed_curve = equity_curve(returns, result.weights)
        live_curve = equity_curve(returns, current_weights)
        return dataclasses.replace(
            run,
            status=RunStatus.COMPLETED,
            strategies=returns.strategy_ids,
            excluded=universe.excluded,
            weights=dict(result.weights),
            metrics=to_primitive(result.metrics),
            frontier=tuple(frontier_point(point) for point in frontier.points),
            dates=returns.dates,
            proposed_equity=proposed_curve.equity,
            proposed_drawdown=proposed_curve.drawdown,
            current_allocation_id=current.allocation_id if current else None,
            current_metrics=(
                to_primitive(portfolio_metrics(returns.matrix, live, chosen.cvar_confidence))
                if current
                else {}
            ),
            current_equity=live_curve.equity,
            current_drawdown=live_curve.drawdown,
            minimum_account=minimum_account(result.weights, universe.summaries, request.units),
        )

    def _eligible(
        self, min_observations: int, *, include_live: bool = True
    ) -> tuple[list[str], list[Exclusion], dict[str, BacktestSummary]]:
        """The live strategies to optimise, and every other one with the reason it is left out."""
        excluded: list[Exclusion] = []
        candidates: list[str] = []
        for strategy in self._strategies.list(StrategyFilter()) if include_live else ():
            if strategy.status is not StrategyStatus.ACTIVE:
                excluded.append(Exclusion(strategy.strategy_id, f"status {strategy.status.value}"))
            elif not strategy.include_in_optimization:
                excluded.append(Exclusion(strategy.strategy_id, "not included in optimisation"))
            else:
                candidates.append(strategy.strategy_id)
        summaries = {s.strategy_id: s for s in self._store.backtest_summaries()}
        eligible = []
        for strategy_id in candidates:
            summary = summaries.get(strategy_id)
            if summary is None:
                excluded.append(Exclusion(strategy_id, "no backtest data"))
            elif summary.statistics.observations < min_observations:
                count = summary.statistics.observations
                reason = f"only {count} daily returns; at least {min_observations} are needed"
                excluded.append(Exclusion(strategy_id, reason))
            else:
                eligible.append(strategy_id)
        return eligible, excluded, summaries

    def _universe(
        self,
        eligible: Sequence[str],
        excluded: Sequence[Exclusion],
        summaries: Mapping[str, BacktestSummary],
        hypothetical: Mapping[str, BacktestSeries] | None = None,
    ) -> _Universe:
        series = dict(self._store.backtest_series(eligible))
        for strategy_id, extra in (hypothetical or {}).items():
            if strategy_id in series:
                raise ValidationError(
                    strategy_id, "a hypothetical strategy shares a live strategy's id"
                )
            series[strategy_id] = extra
        if not series:
            raise OptimizerError(
                OptimizerErrorCode.NO_STRATEGIES,
                "no ACTIVE strategy included in optimisation has usable backtest data",
            )
        return _Universe(align(series), tuple(excluded), summaries)

    def _optimize(self, universe: _Universe, settings: Mapping[str, Any]) -> OptimizationResult:
        current_weights = _weights_of(self._allocations.current())
        returns = universe.returns
        return optimize(
            returns.strategy_ids,
            returns.matrix,
            _optimizer_settings(settings),
            current_weights or None,
        )


def _weights_of(allocation: Allocation | None) -> dict[str, float]:
    """An allocation's percents as optimiser weights (25% -> 0.25); none -> no weights."""
    if allocation is None:
        return {}
    return {strategy: float(percent) / 100 for strategy, percent in allocation.allocations.items()}


def _optimizer_settings(settings: Mapping[str, Any]) -> OptimizerSettings:
    """Build the optimiser's settings from stored primitives, naming any bad one."""
    values = {name: settings[name] for name in SETTING_NAMES if settings.get(name) is not None}
    try:
        values["method"] = Method(values.get("method", Method.MAX_RETURN))
        values["covariance"] = CovarianceEstimator(
            values.get("covariance", CovarianceEstimator.SAMPLE)
        )
    except ValueError as error:
        raise ValidationError("settings", str(error)) from None
    if values["method"] is Method.MIN_CVAR:
        # The stored limit belongs to max_return; minimising CVaR needs none.
        values.pop("cvar_limit", None)
    try:
        return OptimizerSettings(**values)
    except TypeError as error:
        raise ValidationError("settings", str(error)) from None


RunT = TypeVar("RunT", OptimizationRun, SandboxRun)


def _abandoned(run: OptimizationRun, now: datetime) -> OptimizationRun:
    return dataclasses.replace(
        run,
        status=RunStatus.FAILED,
        finished_at=now,
        error_code=ABANDONED,
        error=f"still RUNNING {ABANDONED_AFTER} after it started: its process stopped; "
        f"request {run.request_id} runs again",
    )


def _failed(run: RunT, error: OptimizerError | ValidationError) -> RunT:
    if isinstance(error, OptimizerError):
        code, message = error.code.value, error.message
    else:
        code, message = "INVALID_INPUT", str(error)
    return dataclasses.replace(run, status=RunStatus.FAILED, error_code=code, error=message)
