"""``mats schedule``: the nightly optimisation's schedule, on the local stack or, with
``--project``, the project's Cloud Scheduler job."""

from __future__ import annotations

import click

from mats.cli.app import CliContext, pass_cli
from mats.cli.output import emit, json_option
from mats.domain.schedule import RunRequest, Schedule, daily_time, new_request_id, request_id_of


@click.group()
def schedule() -> None:
    """The nightly optimisation's schedule: show, pause, resume, run now, change the time."""


@schedule.command("show")
@json_option
@pass_cli
def show(app: CliContext) -> None:
    """Show the schedule: its time and zone, state, next run and last run."""
    emit(app.services.nightly_schedule.show(), _text)


@schedule.command("pause")
@json_option
@pass_cli
def pause(app: CliContext) -> None:
    """Pause the scheduled runs: a run time that passes while paused is not made."""
    emit(app.services.nightly_schedule.pause(), _text)


@schedule.command("resume")
@json_option
@pass_cli
def resume(app: CliContext) -> None:
    """Resume the scheduled runs from the next run time on."""
    emit(app.services.nightly_schedule.resume(), _text)


@schedule.command("set-time")
@click.argument("at", metavar="HH:MM")
@click.option(
    "--time-zone",
    help="IANA time zone of HH:MM (UTC, Europe/London, ...); default: the schedule's current one.",
)
@json_option
@pass_cli
def set_time(app: CliContext, at: str, time_zone: str | None) -> None:
    """Run the nightly optimisation at HH:MM from now on."""
    nightly = app.services.nightly_schedule
    zone = time_zone if time_zone is not None else nightly.show().time_zone
    emit(nightly.set_time(daily_time(at, zone)), _text)


@schedule.command("run")
@click.option(
    "--request-id",
    help="Your id for this run (default: a new one); the same id asks for the same run.",
)
@click.option("--by", default="cli", show_default=True, help="Who asks (recorded).")
@json_option
@pass_cli
def run(app: CliContext, request_id: str | None, by: str) -> None:
    """Ask for one nightly optimisation now, even while the schedule is paused."""
    services = app.services
    chosen = request_id_of(request_id) if request_id is not None else None
    request, new = services.nightly_schedule.run_now(
        chosen or new_request_id(services.clock.now()), by
    )
    emit(request, lambda asked: _asked(asked, new))


def _text(shown: Schedule) -> str:
    lines = [
        f"nightly optimisation at {shown.time} {shown.time_zone}: {shown.state}",
        f"  next run  {_when(shown)}",
    ]
    last = shown.last_run
    if last is None:
        lines.append("  last run  none yet")
    else:
        ran = f"{last.at:%Y-%m-%d %H:%M} UTC {last.outcome}"
        detail = " ".join(part for part in (last.run_id, last.error) if part)
        lines.append(f"  last run  {ran}{f' ({detail})' if detail else ''}")
    lines.append(f"  job       {shown.job}")
    return "\n".join(lines)


def _when(shown: Schedule) -> str:
    if shown.next_run_at is None:
        return "none while paused (`mats schedule resume`)"
    return f"{shown.next_run_at:%Y-%m-%d %H:%M} UTC"


def _asked(request: RunRequest, new: bool) -> str:
    if not new:
        outcome = f": run {request.run_id} {request.outcome}" if request.outcome else ""
        return f"{request.request_id} was asked for already ({request.status}){outcome}"
    return (
        f"{request.request_id} asked for: the nightly optimisation runs now "
        "(follow it with `mats schedule show` and `mats optimize latest`)"
    )
