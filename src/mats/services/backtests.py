"""Load strategies' backtests from CSV files: by hand (``mats backtests ingest``) or as a job.

The files (a ``BacktestFiles``: a directory, a Cloud Storage prefix) are ``{strategy_id}.csv``
per strategy and, optionally, ``metadata.csv`` (margin per unit, currency, unit cost). Each
strategy is parsed and scored completely before one write stores it; a bad file is reported
with its line and stores nothing for that strategy.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mats.contracts import BacktestJobV1, encode
from mats.domain.backtests import (
    BacktestFileError,
    BacktestSeries,
    BacktestSummary,
    StrategyMetadata,
    parse_backtest_csv,
    parse_strategy_metadata,
)
from mats.domain.optimization import BacktestJob, JobStatus
from mats.domain.strategies import Strategy, StrategyFilter, StrategyStatus
from mats.domain.trading import TradingMode
from mats.errors import NotFoundError, ValidationError
from mats.ports import BacktestFiles, Clock, PortfolioStore, Publisher
from mats.services.registry import StrategyChanges, StrategyService

log = logging.getLogger(__name__)

METADATA_FILE = "metadata.csv"
# Called after each strategy with its id, "stored", "failed: <why>" or "skipped: <why>", and
# done / total.
Progress = Callable[[str, str, int, int], None]
# What ``--register`` makes of a strategy it meets first in a backtest file: one that cannot
# trade (INACTIVE refuses its signals, PAPER never reaches a broker, and the optimiser leaves
# it out) until an operator activates it with ``mats strategies update``.
REGISTERED_STATUS = StrategyStatus.INACTIVE
REGISTERED_MODE = TradingMode.PAPER


@dataclass(frozen=True)
class IngestReport:
    """What an ingestion stored and registered, each file it could not use, and each strategy
    it skipped because it is not registered, with the reasons."""

    stored: tuple[BacktestSummary, ...] = ()
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    registered: tuple[Strategy, ...] = ()


class BacktestService:
    def __init__(
        self,
        store: PortfolioStore,
        registry: StrategyService,
        publisher: Publisher,
        clock: Clock,
    ) -> None:
        self._store = store
        self._registry = registry
        self._publisher = publisher
        self._clock = clock

    def ingest(
        self,
        files: BacktestFiles,
        *,
        strategy_ids: Sequence[str] = (),
        progress: Progress | None = None,
        register_account: str | None = None,
    ) -> IngestReport:
        """Parse, score and store every (or each named) registered strategy's CSV in ``files``.

        Backtests are kept for registered strategies only: a file of any other strategy is
        skipped with the reason or, given ``register_account`` (a known account), its strategy
        is registered first as INACTIVE and PAPER on that account. Named strategies and the
        account are checked before anything is stored.
        """
        # Scoring loads numpy and the optimiser's risk measures: only ingesting pays for them,
        # not the commands that read stored backtests.
        from mats.domain.backtest_scoring import build_record  # noqa: PLC0415

        if register_account is not None:
            self._registry.require_known_account(register_account)
        registered = self._registered_ids()
        if register_account is None:
            _require_registered(strategy_ids, registered, REGISTER_HINT)
        found = _strategy_files(files, strategy_ids)
        metadata = _metadata(files)
        stored: list[BacktestSummary] = []
        new: list[Strategy] = []
        failed: dict[str, str] = {}
        skipped: dict[str, str] = {}
        for done, (strategy_id, file_name) in enumerate(found.items(), start=1):
            name = file_name or f"{strategy_id}.csv"
            try:
                data = files.read(name) if file_name is not None else None
                if data is None:
                    raise BacktestFileError(name, 0, f"no such file in {files.location}")
                series = parse_backtest_csv(_decoded(data, name), name)
                if strategy_id not in registered and register_account is not None:
                    new.append(self._register(strategy_id, register_account))
                    registered.add(strategy_id)
            except ValidationError as error:
                failed[name] = str(error)
                outcome = f"failed: {error}"
            else:
                if strategy_id in registered:
                    now = self._clock.now()
                    record = build_record(strategy_id, series, metadata.get(strategy_id), now)
                    self._store.put_backtest(record)
                    stored.append(record.summary)
                    outcome = "stored"
                else:
                    skipped[strategy_id] = f"{_not_registered([strategy_id])}; {REGISTER_HINT}"
                    outcome = f"skipped: {skipped[strategy_id]}"
            if progress is not None:
                progress(strategy_id, outcome, done, len(found))
        return IngestReport(tuple(stored), failed, skipped, tuple(new))

    def list(self) -> Sequence[BacktestSummary]:
        return self._store.backtest_summaries()

    def get(self, strategy_id: str) -> BacktestSummary:
        summary = self._store.backtest_summary(strategy_id)
        if summary is None:
            raise NotFoundError(f"no backtest stored for strategy {strategy_id!r}")
        return summary

    def start_sync(self, strategy_ids: Sequence[str], *, requested_by: str) -> BacktestJob:
        """Queue a background reload from the configured data directory; return the job.

        Named strategies must be registered; the job skips any other file it finds.
        """
        _require_registered(strategy_ids, self._registered_ids(), SYNC_HINT)
        now = self._clock.now()
        job = BacktestJob(
            job_id=f"SYNC_{now:%Y%m%d_%H%M%S}_{uuid.uuid4().hex[:6]}",
            created_at=now,
            requested_by=requested_by,
            status=JobStatus.QUEUED,
            strategy_ids=tuple(strategy_ids),
        )
        self._store.put_job(job)
        message = BacktestJobV1(id=job.job_id, created_at=now, strategy_ids=job.strategy_ids)
        self._publisher.publish(encode(message), timeout=10)
        return job

    def job(self, job_id: str) -> BacktestJob:
        job = self._store.get_job(job_id)
        if job is None:
            raise NotFoundError(f"backtest job {job_id!r} does not exist")
        return job

    def run_job(self, job_id: str, files: BacktestFiles | None) -> BacktestJob:
        """Run a queued sync from ``files`` (the configured location; ``None``: none is),
        recording progress after each strategy; a finished job is kept."""
        job = self.job(job_id)
        if job.status in (JobStatus.COMPLETED, JobStatus.FAILED):
            return job
        if files is None:
            missing = "no backtest data directory is configured (MATS_BACKTEST_DIR)"
            return self._finish(job, error=missing)
        job = dataclasses.replace(job, status=JobStatus.RUNNING, started_at=self._clock.now())
        self._store.put_job(job)
        results: dict[str, str] = {}

        def record_progress(strategy_id: str, outcome: str, done: int, total: int) -> None:
            nonlocal job
            results[strategy_id] = outcome
            job = dataclasses.replace(job, done=done, total=total, results=dict(results))
            self._store.put_job(job)

        try:
            report = self.ingest(files, strategy_ids=job.strategy_ids, progress=record_progress)
        except ValidationError as error:
            return self._finish(job, error=str(error))
        return self._finish(job, error="; ".join(report.failed.values()) or None)

    def _registered_ids(self) -> set[str]:
        return {strategy.strategy_id for strategy in self._registry.list(StrategyFilter())}

    def _register(self, strategy_id: str, account: str) -> Strategy:
        return self._registry.create(
            strategy_id,
            StrategyChanges(
                name=strategy_id,
                status=REGISTERED_STATUS,
                trading_mode=REGISTERED_MODE,
                account=account,
                include_in_optimization=False,
                notes=f"Registered by backtest ingestion on {self._clock.now():%Y-%m-%d}.",
            ),
        )

    def _finish(self, job: BacktestJob, *, error: str | None) -> BacktestJob:
        status = JobStatus.FAILED if error else JobStatus.COMPLETED
        done = dataclasses.replace(job, status=status, error=error, finished_at=self._clock.now())
        self._store.put_job(done)
        log.info("backtest job finished", extra={"job_id": job.job_id, "status": status.value})
        return done


def parse_hypothetical(paths: Sequence[Path]) -> Mapping[str, BacktestSeries]:
    """Read sandbox strategies from CSV files in the ingest format; the file name is the id."""
    series: dict[str, BacktestSeries] = {}
    for path in paths:
        if path.stem in series:
            raise ValidationError("strategy_csv", f"{path.stem} is given twice")
        series[path.stem] = parse_backtest_csv(_read(path), path.name)
    return series


REGISTER_HINT = (
    "register with `mats strategies create`, or ingest with --register --account ACCOUNT"
)
SYNC_HINT = "register with `mats strategies create` first (a sync loads registered strategies only)"


def _not_registered(strategy_ids: Sequence[str]) -> str:
    if len(strategy_ids) == 1:
        return f"strategy {strategy_ids[0]!r} is not registered"
    return f"strategies {', '.join(map(repr, strategy_ids))} are not registered"


def _require_registered(strategy_ids: Sequence[str], registered: set[str], hint: str) -> None:
    missing = [strategy_id for strategy_id in strategy_ids if strategy_id not in registered]
    if missing:
        raise ValidationError("strategy", f"{_not_registered(missing)}; {hint}")


def _strategy_files(files: BacktestFiles, strategy_ids: Sequence[str]) -> dict[str, str | None]:
    """Each strategy's file name: every file's, or the named strategies' (``None``: absent)."""
    found = {name.removesuffix(".csv"): name for name in files.names() if name != METADATA_FILE}
    if not strategy_ids:
        if not found:
            raise ValidationError("data_dir", f"{files.location} holds no strategy CSV files")
        return dict(found)
    return {strategy_id: found.get(strategy_id) for strategy_id in strategy_ids}


def _metadata(files: BacktestFiles) -> Mapping[str, StrategyMetadata]:
    data = files.read(METADATA_FILE)
    if data is None:
        return {}
    return parse_strategy_metadata(_decoded(data, METADATA_FILE), METADATA_FILE)


def _read(path: Path) -> str:
    return _decoded(path.read_bytes(), path.name)


def _decoded(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BacktestFileError(name, 1, "is not UTF-8 text") from None
