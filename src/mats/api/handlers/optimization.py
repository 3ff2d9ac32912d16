"""Optimisation runs and the sandbox for admins: the latest nightly run (with its correlation
matrix) and any run by id; what-if runs — settings over the nightly ones and hypothetical
strategies, as ``mats sandbox run`` takes them — with the efficient frontier and the simulated
equity and drawdown beside the ACTIVE allocation's. A sandbox run never touches live
allocations; it is run here, in-process, as the CLI runs it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mats.api.handlers.call import Call, Reply, page
from mats.api.handlers.inputs import id_map
from mats.codec import to_primitive
from mats.domain.backtests import BacktestFileError, BacktestSeries, parse_backtest_csv
from mats.domain.optimization import SandboxRun
from mats.domain.strategies import STRATEGY_ID_PATTERN
from mats.errors import ValidationError
from mats.ports import StrategyStore
from mats.services.optimizer import SandboxRequest


def latest_optimization(call: Call) -> Reply:
    return to_primitive(call.services.optimizer.latest_run())


def optimization_run(call: Call) -> Reply:
    return to_primitive(call.services.optimizer.get_run(call.params["run_id"]))


def run_sandbox(call: Call) -> Reply:
    body = call.body
    include_live = body.get("include_live", True)
    request = SandboxRequest(
        settings=dict(body.get("settings", {})),
        hypothetical=_hypothetical(
            body.get("hypothetical", {}), call.services.strategy_store if include_live else None
        ),
        include_live=include_live,
        requested_by=call.user.label,
    )
    optimizer = call.services.optimizer
    try:
        optimizer.check_sandbox(request)
    except ValidationError as error:
        field = error.field if error.field == "settings" else f"settings.{error.field}"
        raise ValidationError(field, error.message) from None
    # A run the optimiser cannot solve (one strategy, no positive mean, ...) is stored as FAILED
    # with its code, and answered like any other: retrying the same request cannot fix it.
    run = optimizer.sandbox(request)
    call.audit("run_sandbox", run.sandbox_id, None, _summary(run))
    return to_primitive(run), 201


def list_sandbox_runs(call: Call) -> Reply:
    runs, following = call.services.optimizer.sandbox_runs(
        limit=call.params["limit"], after=call.params.get("cursor")
    )
    return page([_summary(run) for run in runs], following)


def get_sandbox_run(call: Call) -> Reply:
    return to_primitive(call.services.optimizer.get_sandbox(call.params["run_id"]))


def _hypothetical(
    given: Mapping[str, Any], registered: StrategyStore | None
) -> dict[str, BacktestSeries]:
    """Each hypothetical strategy's CSV (the ingest format) parsed; one that shares a live
    strategy's id is refused, since the run would have two series under one name."""
    series = {}
    for strategy_id, text in id_map(given, "hypothetical", STRATEGY_ID_PATTERN).items():
        field = f"hypothetical.{strategy_id}"
        if not isinstance(text, str):
            raise ValidationError(field, "must be the text of a backtest CSV (date,return,...)")
        if registered is not None and registered.get(strategy_id) is not None:
            raise ValidationError(
                field, "is a registered strategy's id; name the hypothetical one otherwise"
            )
        try:
            series[strategy_id] = parse_backtest_csv(text, f"{strategy_id}.csv")
        except BacktestFileError as error:
            raise ValidationError(field, f"line {error.line}: {error.message}") from None
    return series


def _summary(run: SandboxRun) -> dict[str, Any]:
    """A run without its curves and frontier: what a list or the audit log needs."""
    return {
        "sandbox_id": run.sandbox_id,
        "created_at": run.created_at,
        "requested_by": run.requested_by,
        "status": run.status,
        "strategies": run.strategies,
        "hypothetical": run.hypothetical,
        "weights": run.weights,
        "metrics": run.metrics,
        "current_allocation_id": run.current_allocation_id,
        "error_code": run.error_code,
        "error": run.error,
    }


HANDLERS: dict[str, Callable[[Call], Any]] = {
    "latest_optimization": latest_optimization,
    "optimization_run": optimization_run,
    "run_sandbox": run_sandbox,
    "list_sandbox_runs": list_sandbox_runs,
    "get_sandbox_run": get_sandbox_run,
}
