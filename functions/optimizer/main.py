"""Optimizer: the nightly allocation run, the sandbox, and background backtest syncs.

Trigger: HTTPS, private. When ``MATS_OIDC_AUDIENCE`` is set every request must carry a Google
OIDC token for that audience (Cloud Scheduler and Pub/Sub push sign theirs), from an email in
``MATS_OIDC_ALLOWED_EMAILS`` when that is set; otherwise 401.

Routes:
- ``POST /run`` (Cloud Scheduler, nightly): body ``{"run_date": "YYYY-MM-DD", "force": false}``,
  both optional. Stores ``portfolio_optimization_runs/OPT_...`` and a PENDING_APPROVAL
  allocation; one run per date (a repeat answers with the first run). 200 with the run; a run
  that FAILED for its inputs is still 200 (retrying cannot fix it); 503 when the store is down.
  Or ``{"request_id": ID, "requested_by": WHO}`` (the local stack's nightly runner, for a
  scheduled time or a run-now): one run per request id, whatever the date; a repeat answers with
  that run (RUNNING while it runs: ask again), 503 while another call is starting it.
- ``POST /sandbox``: body ``{"settings": {...}, "strategies": {"id": {"dates": [...], "returns":
  [...]}}, "include_live": true}``. Stores and returns ``sandbox_runs/SBX_...``; live allocations
  are never changed.
- ``POST /jobs/backtest-sync``: Pub/Sub push of ``mats.backtest_job.v1`` from ``backtest-jobs``;
  reloads backtests from ``MATS_BACKTEST_DIR`` (a directory, or ``gs://BUCKET/PREFIX`` on Cloud
  Run) with progress on ``backtest_jobs/{id}``; 503 when the files cannot be reached (redelivered).
- ``GET /healthz``.
"""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import date
from typing import Any

import flask
import functions_framework

from mats.bootstrap import Services
from mats.bootstrap.private_routes import serve
from mats.codec import from_primitive, to_primitive
from mats.contracts import BacktestJobV1, ContractError, decode
from mats.domain.backtests import BacktestSeries, validate_series
from mats.domain.schedule import request_id_of
from mats.errors import ValidationError
from mats.logs import install_redaction
from mats.services.optimizer import SandboxRequest

install_redaction()  # Before the framework serves (or logs) a single request.
log = logging.getLogger("mats.functions.optimizer")


@functions_framework.http
def optimizer(request: flask.Request) -> flask.typing.ResponseReturnValue:
    """Route one request."""
    routes = {"/run": _run, "/sandbox": _sandbox, "/jobs/backtest-sync": _backtest_job}
    return serve(request, routes, log)


def _run(app: Services, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    if "request_id" in body:
        return _requested_run(app, body)
    run_date = from_primitive(date, body["run_date"], "run_date") if body.get("run_date") else None
    force = body.get("force", False)
    if not isinstance(force, bool):
        raise ValidationError("force", "expected true or false")
    run = app.optimizer.run_nightly(run_date=run_date, force=force, requested_by="scheduler")
    return to_primitive(run), 200


def _requested_run(app: Services, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    unknown = set(body) - {"request_id", "requested_by"}
    if unknown:
        raise ValidationError(
            sorted(unknown)[0], "a requested run takes only request_id and requested_by"
        )
    requested_by = body.get("requested_by", "scheduler")
    if not isinstance(requested_by, str) or not requested_by:
        raise ValidationError("requested_by", "expected who asked for the run")
    request_id = request_id_of(body["request_id"])
    run = app.optimizer.run_requested(request_id, requested_by=requested_by)
    return to_primitive(run), 200


def _sandbox(app: Services, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    strategies = body.get("strategies") or {}
    if not isinstance(strategies, dict):
        raise ValidationError("strategies", "expected an object of id -> {dates, returns}")
    hypothetical = {
        strategy_id: validate_series(
            from_primitive(
                BacktestSeries,
                {
                    "source": f"sandbox:{strategy_id}",
                    "trades": None,
                    "ignored_columns": [],
                    **series,
                },
                f"strategies.{strategy_id}",
            ),
            f"strategies.{strategy_id}",
        )
        for strategy_id, series in strategies.items()
    }
    settings = body.get("settings") or {}
    if not isinstance(settings, dict):
        raise ValidationError("settings", "expected an object")
    include_live = body.get("include_live", True)
    if not isinstance(include_live, bool):
        raise ValidationError("include_live", "expected true or false")
    run = app.optimizer.sandbox(
        SandboxRequest(
            settings=settings,
            hypothetical=hypothetical,
            include_live=include_live,
            requested_by="api",
        )
    )
    return to_primitive(run), 200


def _series(strategy_id: str, value: Any) -> BacktestSeries:
    field = f"strategies.{strategy_id}"
    if not isinstance(value, dict):
        raise ValidationError(field, 'expected {"dates": [...], "returns": [...]}')
    document = {"source": f"sandbox:{strategy_id}", "trades": None, "ignored_columns": []}
    document.update(dates=value.get("dates"), returns=value.get("returns"))
    return validate_series(from_primitive(BacktestSeries, document, field), field)


def _backtest_job(app: Services, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Run a pushed job; junk is acknowledged (200) with a log, since a retry cannot help."""
    try:
        data = base64.b64decode(body["message"]["data"], validate=True)
        message = decode(data)
        if not isinstance(message, BacktestJobV1):
            raise ContractError(f"expected {BacktestJobV1.schema}")
    except (KeyError, TypeError, binascii.Error, ContractError) as error:
        log.error("backtest job message rejected", extra={"error": repr(error)})
        return {"status": "ignored", "error": str(error)}, 200
    job = app.backtests.run_job(message.id, app.backtest_files)
    return to_primitive(job), 200
