"""Backtests, allocations and their activation log, optimisation runs, sandbox runs and jobs.

- ``strategy_backtest_data/{strategy_id}``: the figures (statistics, margin, currency);
  ``.../series/daily`` beside it holds the dates and returns, so light readers stay light.
- ``portfolio_allocations/{ALLOC_...}``: every allocation with its status.
- ``allocation_activations/{sequence}``: the append-only log; each entry is ``create()``-d once,
  so two approvals can never both take the same place, and the last entry is the ACTIVE one.
- ``portfolio_optimization_runs/{OPT_...}``, ``optimization_claims/{YYYYMMDD}``,
  ``optimization_requests/{request_id}@{attempt}`` (who runs a request's attempt: the one
  ``create()`` that wins), ``sandbox_runs/{SBX_...}``, ``backtest_jobs/{job_id}``,
  ``settings/optimizer``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from mats.adapters.firestore.documents import (
    ALLOCATIONS,
    BACKTESTS,
    Documents,
    from_document,
    to_document,
    translated_errors,
)
from mats.domain.backtests import BacktestRecord, BacktestSeries, BacktestSummary
from mats.domain.optimization import BacktestJob, OptimizationRun, SandboxRun
from mats.domain.portfolio import Activation, Allocation, AllocationStatus, activation_id
from mats.errors import ConflictError, ValidationError

ACTIVATIONS = "allocation_activations"
RUNS = "portfolio_optimization_runs"
RUN_CLAIMS = "optimization_claims"
REQUEST_CLAIMS = "optimization_requests"
SANDBOX_RUNS = "sandbox_runs"
JOBS = "backtest_jobs"
SETTINGS = "settings"
SERIES = "series"


class FirestorePortfolio:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self.summaries = Documents(client, BACKTESTS, BacktestSummary)
        self.allocations = Documents(client, ALLOCATIONS, Allocation)
        self.activations = Documents(client, ACTIVATIONS, Activation)
        self.runs = Documents(client, RUNS, OptimizationRun)
        self.sandbox_runs = Documents(client, SANDBOX_RUNS, SandboxRun)
        self.jobs = Documents(client, JOBS, BacktestJob)

    # Backtests

    def put_backtest(self, record: BacktestRecord) -> None:
        """Store the figures and the series together: all of a strategy's backtest or none."""
        strategy_id = record.summary.strategy_id
        batch = self._client.batch()
        batch.set(self.summaries.ref(strategy_id), to_document(record.summary))
        batch.set(self._series_ref(strategy_id), to_document(record.series))
        with translated_errors(f"storing the backtest of {strategy_id}"):
            batch.commit()

    def backtest_summaries(self) -> Sequence[BacktestSummary]:
        return self.summaries.where(order_by="strategy_id")

    def backtest_summary(self, strategy_id: str) -> BacktestSummary | None:
        return self.summaries.get(strategy_id)

    def backtest_series(self, strategy_ids: Sequence[str]) -> Mapping[str, BacktestSeries]:
        refs = {strategy_id: self._series_ref(strategy_id) for strategy_id in strategy_ids}
        if not refs:
            return {}
        with translated_errors("reading backtest series"):
            by_path = {s.reference.path: s for s in self._client.get_all(list(refs.values()))}
        return {
            strategy_id: from_document(BacktestSeries, by_path[ref.path].to_dict())
            for strategy_id, ref in refs.items()
            if by_path[ref.path].exists
        }

    def _series_ref(self, strategy_id: str) -> Any:
        return self.summaries.ref(strategy_id).collection(SERIES).document("daily")

    # Allocations and the activation log

    def create_allocation(self, allocation: Allocation) -> None:
        try:
            with translated_errors("creating an allocation"):
                self.allocations.ref(allocation.allocation_id).create(to_document(allocation))
        except AlreadyExists:
            raise ConflictError(f"allocation {allocation.allocation_id} exists") from None

    def put_allocation(self, allocation: Allocation) -> None:
        self.allocations.put(allocation.allocation_id, allocation)

    def put_allocations(self, allocations: Sequence[Allocation]) -> None:
        batch = self._client.batch()
        for allocation in allocations:
            batch.set(self.allocations.ref(allocation.allocation_id), to_document(allocation))
        with translated_errors("updating allocation statuses"):
            batch.commit()

    def get_allocation(self, allocation_id: str) -> Allocation | None:
        return self.allocations.get(allocation_id)

    def list_allocations(self, *, limit: int, before: str | None = None) -> Sequence[Allocation]:
        """Newest first; ``before`` (an allocation id) continues from the previous page."""
        query: Any = self.allocations.collection.order_by(
            "created_at", direction=firestore.Query.DESCENDING
        )
        if before is not None:
            cursor = self.allocations.ref(before).get()
            if not cursor.exists:
                return []
            query = query.start_after(cursor)
        with translated_errors("listing allocations"):
            return [from_document(Allocation, s.to_dict()) for s in query.limit(limit).stream()]

    def allocations_with_status(self, status: AllocationStatus) -> Sequence[Allocation]:
        return self.allocations.where(
            [("status", "==", status.value)], order_by="created_at", descending=True
        )

    def head(self) -> Activation | None:
        """The newest activation: it names the ACTIVE allocation."""
        found = self.activations.where(order_by="sequence", descending=True, limit=1)
        return found[0] if found else None

    def append_activation(self, activation: Activation) -> None:
        try:
            with translated_errors("recording an activation"):
                self.activations.ref(activation_id(activation.sequence)).create(
                    to_document(activation)
                )
        except AlreadyExists:
            raise ConflictError(
                f"another allocation was activated at the same moment (activation "
                f"{activation.sequence}); check the current allocation and try again"
            ) from None

    # Optimisation runs

    def claim_run_date(self, run_date: date, run_id: str) -> str | None:
        """Claim the nightly run for ``run_date``; return the run id that already holds it."""
        claim = self._client.collection(RUN_CLAIMS).document(run_date.strftime("%Y%m%d"))
        try:
            with translated_errors("claiming the nightly run"):
                claim.create({"run_id": run_id, "run_date": run_date.isoformat()})
        except AlreadyExists:
            with translated_errors("reading the nightly run claim"):
                return str(claim.get().get("run_id"))
        return None

    def release_run_date(self, run_date: date, run_id: str) -> None:
        """Give the date to ``run_id`` (a forced re-run takes over the claim)."""
        claim = self._client.collection(RUN_CLAIMS).document(run_date.strftime("%Y%m%d"))
        with translated_errors("updating the nightly run claim"):
            claim.set({"run_id": run_id, "run_date": run_date.isoformat()})

    def claim_run_request(self, request_id: str, attempt: int, at: datetime) -> datetime | None:
        """Claim an attempt at a request's run; return when it was claimed, if it was before."""
        claim = self._client.collection(REQUEST_CLAIMS).document(f"{request_id}@{attempt}")
        try:
            with translated_errors("claiming a requested run"):
                claim.create({"request_id": request_id, "attempt": attempt, "claimed_at": at})
        except AlreadyExists:
            with translated_errors("reading a requested run's claim"):
                claimed: datetime = claim.get().get("claimed_at")
            return claimed
        return None

    def request_runs(self, request_id: str) -> Sequence[OptimizationRun]:
        return self.runs.where([("request_id", "==", request_id)])

    def create_run(self, run: OptimizationRun) -> None:
        try:
            with translated_errors("creating an optimisation run"):
                self.runs.ref(run.run_id).create(to_document(run))
        except AlreadyExists:
            raise ConflictError(f"optimisation run {run.run_id} exists") from None

    def put_run(self, run: OptimizationRun) -> None:
        self.runs.put(run.run_id, run)

    def get_run(self, run_id: str) -> OptimizationRun | None:
        return self.runs.get(run_id)

    def list_runs(self, *, limit: int) -> Sequence[OptimizationRun]:
        return self.runs.where(order_by="created_at", descending=True, limit=limit)

    # Sandbox runs and jobs

    def put_sandbox(self, run: SandboxRun) -> None:
        self.sandbox_runs.put(run.sandbox_id, run)

    def get_sandbox(self, sandbox_id: str) -> SandboxRun | None:
        return self.sandbox_runs.get(sandbox_id)

    def sandbox_page(
        self, *, limit: int, after: str | None = None
    ) -> tuple[list[SandboxRun], str | None]:
        """Newest first by id (``SBX_{time}``: ids sort by time and are unique).

        A page continues with a range on the id rather than a query cursor: the local emulator
        ignores cursors, and a range on a unique key neither repeats nor skips a run.
        """
        filters = []
        if after is not None:
            with translated_errors("reading a sandbox cursor"):
                known = self.sandbox_runs.ref(after).get().exists
            if not known:
                raise ValidationError("cursor", "is not a cursor of this list")
            filters.append(("sandbox_id", "<", after))
        found = self.sandbox_runs.where(
            filters, order_by="sandbox_id", descending=True, limit=limit + 1
        )
        following = found[limit - 1].sandbox_id if len(found) > limit else None
        return found[:limit], following

    def put_job(self, job: BacktestJob) -> None:
        self.jobs.put(job.job_id, job)

    def get_job(self, job_id: str) -> BacktestJob | None:
        return self.jobs.get(job_id)

    def optimizer_settings(self) -> dict[str, Any] | None:
        with translated_errors("reading optimiser settings"):
            snapshot = self._client.collection(SETTINGS).document("optimizer").get()
        return snapshot.to_dict() if snapshot.exists else None

    def put_optimizer_settings(self, settings: Mapping[str, Any]) -> None:
        with translated_errors("saving optimiser settings"):
            self._client.collection(SETTINGS).document("optimizer").set(dict(settings))
