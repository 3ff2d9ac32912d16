"""``mats backtests``: load strategies' backtest CSVs and review their figures."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mats.cli.app import CliContext, pass_cli
from mats.cli.output import emit, exit_if_failed, json_option, table, wants_json
from mats.domain.backtests import BacktestSummary
from mats.errors import ValidationError
from mats.settings.backtests import SCHEME, BacktestLocation, parse_backtest_location

if TYPE_CHECKING:
    from mats.services.backtests import IngestReport


class BacktestLocationParam(click.ParamType[BacktestLocation, Any]):
    """An existing directory, or ``gs://BUCKET[/PREFIX]`` (read with your gcloud identity)."""

    name = "DIR|gs://BUCKET/PREFIX"
    _directory = click.Path(path_type=Path, file_okay=False, exists=True)

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> BacktestLocation:
        if isinstance(value, str) and value.startswith(SCHEME):
            try:
                return parse_backtest_location(value, "--data-dir")
            except ValidationError as error:
                self.fail(error.message, param, ctx)
        directory: Path = self._directory.convert(value, param, ctx)
        return directory


@click.group()
def backtests() -> None:
    """Ingest, sync and show strategies' backtests."""


@backtests.command()
@click.option(
    "--data-dir",
    required=True,
    type=BacktestLocationParam(),
    help="Holds {strategy_id}.csv per strategy and, optionally, metadata.csv: a directory or "
    "gs://BUCKET/PREFIX.",
)
@click.option(
    "--strategy", "strategy_ids", multiple=True, metavar="ID", help="Only these (repeatable)."
)
@click.option(
    "--register",
    is_flag=True,
    help="Register unregistered ones first: INACTIVE, PAPER, not optimised (needs --account).",
)
@click.option("--account", metavar="ACCOUNT", help="The known account --register puts them on.")
@json_option
@pass_cli
def ingest(
    app: CliContext,
    data_dir: BacktestLocation,
    strategy_ids: tuple[str, ...],
    register: bool,
    account: str | None,
) -> None:
    """Parse, score and store registered strategies' backtests; a bad file stores nothing for
    its strategy, a file of an unregistered strategy is skipped (unless --register).

    CSV format: a header, then `date` (YYYY-MM-DD, increasing) and either `return` (daily, 0.01 =
    1%) or `equity`; optional `trades` per day. metadata.csv: strategy_id,margin_per_unit,currency
    [,unit_cost].
    """
    if register != (account is not None):
        raise click.UsageError("--register and --account go together: --register --account A")

    def progress(strategy_id: str, outcome: str, done: int, total: int) -> None:
        if not wants_json():
            click.echo(f"[{done}/{total}] {strategy_id}: {outcome}", err=True)

    services = app.services
    report = services.backtests.ingest(
        services.backtest_files_at(data_dir),
        strategy_ids=strategy_ids,
        progress=progress,
        register_account=account,
    )
    emit(
        {
            "stored": list(report.stored),
            "failed": report.failed,
            "skipped": report.skipped,
            "registered": list(report.registered),
        },
        lambda _: _render_report(report),
    )
    if report.failed or report.skipped:
        sys.exit(1)


def _render_report(report: IngestReport) -> str:
    lines = [_summaries_table(list(report.stored))]
    lines += [
        f"REGISTERED {s.strategy_id}: {s.status.value}, {s.trading_mode.value} on {s.account}, "
        "not optimised; activate it with `mats strategies update`"
        for s in report.registered
    ]
    lines += [f"FAILED {name}: {why}" for name, why in report.failed.items()]
    lines += [f"SKIPPED {strategy}: {why}" for strategy, why in report.skipped.items()]
    return "\n".join(lines)


@backtests.command("list")
@json_option
@pass_cli
def list_backtests(app: CliContext) -> None:
    """List stored backtests with their figures."""
    emit(list(app.services.backtests.list()), _summaries_table)


@backtests.command()
@click.argument("strategy_id")
@json_option
@pass_cli
def show(app: CliContext, strategy_id: str) -> None:
    """Show one strategy's backtest figures."""
    summary = app.services.backtests.get(strategy_id)
    emit(summary, lambda s: _summaries_table([s]))


@backtests.command()
@click.option(
    "--strategy", "strategy_ids", multiple=True, metavar="ID", help="Only these (repeatable)."
)
@json_option
@pass_cli
def sync(app: CliContext, strategy_ids: tuple[str, ...]) -> None:
    """Reload backtests from MATS_BACKTEST_DIR in the background; prints the job to follow.

    The job runs in the optimizer, which reads its own MATS_BACKTEST_DIR: in a project, the
    backtests bucket (`gcloud storage cp *.csv gs://PROJECT-mats-backtests/` first).
    """
    job = app.services.backtests.start_sync(strategy_ids, requested_by="cli")
    emit(job, lambda j: f"Queued {j.job_id}; follow it with `mats backtests job {j.job_id}`.")


@backtests.command()
@click.argument("job_id")
@json_option
@pass_cli
def job(app: CliContext, job_id: str) -> None:
    """Show a sync job: status, progress and each strategy's outcome."""
    found = app.services.backtests.job(job_id)
    emit(found, _render_job)
    exit_if_failed(found.status, found.error)


def _render_job(job: Any) -> str:
    lines = [f"{job.job_id} {job.status.value}: {job.done}/{job.total or '?'} strategies"]
    lines += [f"  {strategy}: {outcome}" for strategy, outcome in sorted(job.results.items())]
    return "\n".join(lines)


def _summaries_table(rows: list[BacktestSummary]) -> str:
    if not rows:
        return "No backtests stored."
    return table(
        [
            (
                s.strategy_id,
                f"{s.statistics.start}..{s.statistics.end}",
                s.statistics.observations,
                f"{s.statistics.mean_annual:.2%}",
                f"{s.statistics.volatility_annual:.2%}",
                f"{s.statistics.sharpe:.2f}",
                f"{s.statistics.max_drawdown:.2%}",
                f"{s.statistics.cvar_95:.2%}",
                f"{s.statistics.win_rate:.1%}" if s.statistics.win_rate is not None else "-",
                f"{s.statistics.expected_alpha_per_trade:.4%}"
                if s.statistics.expected_alpha_per_trade is not None
                else "-",
                s.margin_per_unit,
                s.currency,
            )
            for s in rows
        ],
        [
            "STRATEGY",
            "PERIOD",
            "DAYS",
            "RETURN/YR",
            "VOL/YR",
            "SHARPE",
            "MAX DD",
            "CVAR95",
            "WIN RATE",
            "ALPHA/TRADE",
            "MARGIN/UNIT",
            "CCY",
        ],
    )
