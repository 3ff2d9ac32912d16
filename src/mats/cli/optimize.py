"""``mats optimize`` and ``mats sandbox``: the nightly allocation run and what-if simulations."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from mats.cli.app import CliContext, pass_cli
from mats.cli.output import emit, exit_if_failed, json_option, table
from mats.domain.optimization import OptimizationRun, RunStatus, SandboxRun
from mats.domain.optimizer import CovarianceEstimator, Method
from mats.services.backtests import parse_hypothetical
from mats.services.optimizer import SandboxRequest

METHODS = click.Choice([m.value for m in Method])
ESTIMATORS = click.Choice([c.value for c in CovarianceEstimator])


def setting_options(function: Any) -> Any:
    """Options that override optimiser settings (for `settings` and `sandbox run`)."""
    options = [
        click.option(
            "--method",
            type=METHODS,
            help="max_return (under the CVaR limit), min_cvar or max_sharpe.",
        ),
        click.option(
            "--cvar-limit",
            type=click.FloatRange(0, 1, min_open=True),
            help="Daily CVaR limit, e.g. 0.02.",
        ),
        click.option("--cvar-confidence", type=click.FloatRange(0.5, 1, max_open=True)),
        click.option(
            "--max-weight",
            type=click.FloatRange(0, min_open=True),
            help="Per-strategy cap (0.5 = 50%).",
        ),
        click.option(
            "--max-total",
            "max_total_allocation",
            type=click.FloatRange(0, min_open=True),
            help="Total cap (2.0 = 200%).",
        ),
        click.option(
            "--min-total",
            "min_total_allocation",
            type=click.FloatRange(0),
            help="Total floor (1.0 = fully invested).",
        ),
        click.option(
            "--sharpe-total",
            "sharpe_total_allocation",
            type=click.FloatRange(0, min_open=True),
            help="Total allocation max_sharpe invests (1.0 = 100%), within the total range.",
        ),
        click.option("--covariance", type=ESTIMATORS),
        click.option(
            "--turnover-limit",
            type=click.FloatRange(0),
            help="Most total change from the ACTIVE weights.",
        ),
        click.option("--min-observations", type=click.IntRange(2)),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _given(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


@click.group()
def optimize() -> None:
    """Run the nightly optimisation now and review its runs and settings."""


@optimize.command()
@click.option(
    "--date", "run_date", type=click.DateTime(["%Y-%m-%d"]), help="Run date (default today, UTC)."
)
@click.option("--force", is_flag=True, help="Run again even if this date already ran.")
@json_option
@pass_cli
def run(app: CliContext, run_date: Any, force: bool) -> None:
    """Run the optimisation now, as the nightly schedule does (once per date unless --force)."""
    day: date | None = run_date.date() if run_date else None
    result = app.services.optimizer.run_nightly(run_date=day, force=force, requested_by="cli")
    emit(result, render_run)
    _exit_if_failed(result)


@optimize.command()
@json_option
@pass_cli
def latest(app: CliContext) -> None:
    """Show the latest optimisation run."""
    found = app.services.optimizer.latest_run()
    emit(found, lambda r: render_run(r) if r else "No optimisation has run yet.")
    if found:
        _exit_if_failed(found)


@optimize.command()
@click.argument("run_id")
@json_option
@pass_cli
def show(app: CliContext, run_id: str) -> None:
    """Show one optimisation run."""
    found = app.services.optimizer.get_run(run_id)
    emit(found, render_run)
    _exit_if_failed(found)


@optimize.command("list")
@click.option("--limit", type=click.IntRange(1, 200), default=10, show_default=True)
@json_option
@pass_cli
def list_runs(app: CliContext, limit: int) -> None:
    """List optimisation runs, newest first."""
    rows = list(app.services.optimizer.list_runs(limit=limit))
    emit(
        rows,
        lambda items: (
            table(
                [
                    (
                        r.run_id,
                        r.run_date,
                        r.status,
                        r.method,
                        len(r.eligible),
                        r.allocation_id,
                        r.error_code,
                    )
                    for r in items
                ],
                ["RUN", "DATE", "STATUS", "METHOD", "STRATEGIES", "ALLOCATION", "ERROR"],
            )
            if items
            else "No optimisation has run yet."
        ),
    )


@optimize.command()
@setting_options
@json_option
@pass_cli
def settings(app: CliContext, /, **values: Any) -> None:
    """Show the nightly settings, or change the ones given."""
    changes = _given(values)
    current = (
        app.services.optimizer.update_settings(changes)
        if changes
        else app.services.optimizer.settings()
    )
    emit(current, lambda s: "\n".join(f"{name:<22} {value}" for name, value in sorted(s.items())))


@click.group()
def sandbox() -> None:
    """Try settings and hypothetical strategies without touching live allocations."""


@sandbox.command("run")
@click.option(
    "--strategy-csv",
    "csv_files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A hypothetical strategy's backtest (ingest format); its file name is its id.",
)
@click.option("--no-live", is_flag=True, help="Leave out the live strategies.")
@setting_options
@json_option
@pass_cli
def run_sandbox(
    app: CliContext, /, csv_files: tuple[Path, ...], no_live: bool, **values: Any
) -> None:
    """Optimise live and/or hypothetical strategies; show weights, frontier and equity curves."""
    request = SandboxRequest(
        settings=_given(values),
        hypothetical=parse_hypothetical(csv_files),
        include_live=not no_live,
        requested_by="cli",
    )
    result = app.services.optimizer.sandbox(request)
    emit(result, render_sandbox)
    _exit_if_failed(result)


@sandbox.command("show")
@click.argument("sandbox_id")
@json_option
@pass_cli
def show_sandbox(app: CliContext, sandbox_id: str) -> None:
    """Show a stored sandbox run."""
    found = app.services.optimizer.get_sandbox(sandbox_id)
    emit(found, render_sandbox)
    _exit_if_failed(found)


def _exit_if_failed(run: OptimizationRun | SandboxRun) -> None:
    """A run that FAILED exits 1 with its code and message (:func:`exit_if_failed`)."""
    exit_if_failed(run.status, f"{run.error_code}: {run.error}")


def render_run(run: OptimizationRun) -> str:
    """The run as text; a FAILED run's error goes to stderr (:func:`_exit_if_failed`)."""
    lines = [f"{run.run_id} ({run.run_date}) {run.status.value}, method {run.method}"]
    if run.period_start:
        lines.append(
            f"backtests aligned over {run.period_start}..{run.period_end} ({run.observations} days)"
        )
    if run.weights:
        lines.append(
            table(
                [
                    (
                        s,
                        f"{w:.2%}",
                        f"{run.expected_returns.get(s, 0):.2%}",
                        f"{run.volatilities.get(s, 0):.2%}",
                    )
                    for s, w in sorted(run.weights.items())
                ],
                ["STRATEGY", "WEIGHT", "RETURN/YR", "VOL/YR"],
            )
        )
    if run.metrics:
        m = run.metrics
        lines.append(
            f"portfolio: return {m['expected_return_annual']:.2%}/yr, "
            f"volatility {m['volatility_annual']:.2%}/yr, Sharpe {m['sharpe']:.2f}, "
            f"daily CVaR {m['cvar']:.2%}, max drawdown {m['max_drawdown']:.2%}, "
            f"leverage {m['leverage']:.2f}"
        )
    for exclusion in run.excluded:
        lines.append(f"left out {exclusion.strategy_id}: {exclusion.reason}")
    if run.minimum_account and run.minimum_account.get("minimum_capital"):
        account = run.minimum_account
        lines.append(
            f"minimum account size {account['minimum_capital']} (set by {account['binding']})"
        )
    if run.allocation_id:
        lines.append(f"recommendation {run.allocation_id}: `mats allocations recommendation`")
    return "\n".join(lines)


def render_sandbox(result: SandboxRun) -> str:
    """The sandbox run as text; a FAILED run's error goes to stderr (:func:`_exit_if_failed`)."""
    lines = [f"{result.sandbox_id} {result.status.value}"]
    if result.status is RunStatus.FAILED:
        return "\n".join(lines)
    lines.append(
        table(
            [
                (s, f"{w:.2%}", "yes" if s in result.hypothetical else "")
                for s, w in sorted(result.weights.items())
            ],
            ["STRATEGY", "WEIGHT", "HYPOTHETICAL"],
        )
    )
    lines.append(_portfolio_line("proposed", result.metrics))
    if result.current_metrics:
        lines.append(
            _portfolio_line(f"ACTIVE {result.current_allocation_id}", result.current_metrics)
        )
    if result.proposed_equity:
        current = result.current_equity[-1] if result.current_equity else None
        lines.append(
            f"growth of 1 over {len(result.dates)} days: proposed {result.proposed_equity[-1]:.3f}"
            + (f", ACTIVE {result.current_allocation_id} {current:.3f}" if current else "")
            + f"; worst drawdown proposed {min(result.proposed_drawdown):.2%}"
            + (f", ACTIVE {min(result.current_drawdown):.2%}" if result.current_drawdown else "")
        )
    if result.frontier:
        lines.append(
            "frontier (daily CVaR -> return/yr): "
            + ", ".join(
                f"{p['cvar']:.2%}->{p['expected_return_annual']:.1%}"
                for p in result.frontier[:: max(1, len(result.frontier) // 6)]
            )
        )
    if result.minimum_account and result.minimum_account.get("minimum_capital"):
        account = result.minimum_account
        lines.append(
            f"minimum account size {account['minimum_capital']} (set by {account['binding']})"
        )
    return "\n".join(lines)


def _portfolio_line(name: str, metrics: dict[str, float]) -> str:
    return (
        f"{name}: return {metrics['expected_return_annual']:.2%}/yr, "
        f"Sharpe {metrics['sharpe']:.2f}, daily CVaR {metrics['cvar']:.2%}, "
        f"max drawdown {metrics['max_drawdown']:.2%}"
    )
