"""The nightly schedule in a project: its Cloud Scheduler job, through ``google-cloud-scheduler``.

The job (``projects/{project}/locations/{MATS_SCHEDULER_LOCATION}/jobs/{MATS_NIGHTLY_JOB}``,
declared by Terraform with its HTTP target, the optimizer's ``/run`` with an OIDC token) is
shown, paused (``pause_job``), resumed (``resume_job``), run now (``run_job``) and moved
(``update_job`` of ``schedule`` and ``time_zone`` only). Its schedule must be a daily
``MM HH * * *``. A change that changes nothing sends nothing. The client library is imported on
first use, so nothing that never touches the schedule loads it.

A run-now is Cloud Scheduler's own: it posts the job's body, so the optimizer's one-run-per-date
rule holds (a run-now on a day that has its run answers with that run), and the request id is
not seen by the optimizer. The job's last attempt says when it last ran and whether the
optimizer answered 2xx (SUCCEEDED) or not (FAILED, with Cloud Scheduler's status message).
"""

# ruff: noqa: PLC0415 - the client library is imported where it is first used (above).

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from mats.domain.schedule import (
    DailyTime,
    LastRun,
    RunRequest,
    Schedule,
    ScheduleState,
    daily_time_from_cron,
    schedule_of,
)
from mats.errors import ConflictError, NotFoundError, PermanentError, TemporaryError
from mats.ports import Clock

TIMEOUT_SECONDS = 30.0
T = TypeVar("T")


class CloudSchedulerNightlySchedule:
    def __init__(self, job_name: str, clock: Clock, client: Any = None) -> None:
        self.job_name = job_name
        self._clock = clock
        self._given_client = client

    def show(self) -> Schedule:
        return self._shown(self._job())

    def pause(self) -> Schedule:
        return self._set_state(ScheduleState.PAUSED, "pause_job", "PauseJobRequest")

    def resume(self) -> Schedule:
        return self._set_state(ScheduleState.ENABLED, "resume_job", "ResumeJobRequest")

    def set_time(self, daily: DailyTime) -> Schedule:
        job = self._job()
        if _daily(job) == daily:
            return self._shown(job)
        scheduler = _library()
        request = scheduler.UpdateJobRequest(
            job=scheduler.Job(name=self.job_name, schedule=daily.cron, time_zone=daily.time_zone),
            update_mask={"paths": ["schedule", "time_zone"]},
        )
        return self._shown(
            self._call(lambda c: c.update_job(request=request, timeout=TIMEOUT_SECONDS))
        )

    def run_now(self, request_id: str, requested_by: str) -> tuple[RunRequest, bool]:
        request = _library().RunJobRequest(name=self.job_name)
        self._call(lambda c: c.run_job(request=request, timeout=TIMEOUT_SECONDS))
        return RunRequest(request_id, self._clock.now(), requested_by), True

    def _set_state(self, state: ScheduleState, method: str, request_type: str) -> Schedule:
        job = self._job()
        if _state(job) is state:
            return self._shown(job)
        request = getattr(_library(), request_type)(name=self.job_name)
        return self._shown(
            self._call(lambda c: getattr(c, method)(request=request, timeout=TIMEOUT_SECONDS))
        )

    def _job(self) -> Any:
        request = _library().GetJobRequest(name=self.job_name)
        return self._call(lambda c: c.get_job(request=request, timeout=TIMEOUT_SECONDS))

    def _shown(self, job: Any) -> Schedule:
        return schedule_of(
            _daily(job), _state(job), _last_run(job), self.job_name, self._clock.now()
        )

    def _call(self, send: Callable[[Any], T]) -> T:
        with _translated(self.job_name):
            return send(self._client())

    def _client(self) -> Any:
        if self._given_client is None:
            self._given_client = _library().CloudSchedulerClient()
        return self._given_client


def _library() -> Any:
    from google.cloud import scheduler_v1

    return scheduler_v1


def _daily(job: Any) -> DailyTime:
    return daily_time_from_cron(job.schedule, job.time_zone)


def _state(job: Any) -> ScheduleState:
    name = _library().Job.State(job.state).name
    if name in ScheduleState.__members__:
        return ScheduleState(name)
    raise PermanentError(
        f"Cloud Scheduler job {job.name} is {name}: it runs nothing until it is updated "
        "(set the time again) or re-enabled in Cloud Scheduler"
    )


def _last_run(job: Any) -> LastRun | None:
    if job.last_attempt_time is None:
        return None
    code = job.status.code
    if code == 0:
        return LastRun(job.last_attempt_time, "SUCCEEDED")
    return LastRun(job.last_attempt_time, "FAILED", error=f"{code}: {job.status.message}")


@contextmanager
def _translated(job_name: str) -> Iterator[None]:
    """Cloud Scheduler's errors as MATS's: retry the unavailable, report the rest."""
    from google.api_core import exceptions as google_errors

    try:
        yield
    except google_errors.NotFound:
        raise NotFoundError(
            f"Cloud Scheduler has no job {job_name} (Terraform declares it; check "
            "MATS_SCHEDULER_LOCATION and MATS_NIGHTLY_JOB)"
        ) from None
    except google_errors.FailedPrecondition as error:
        raise ConflictError(f"Cloud Scheduler refused: {error.message}") from None
    except (
        google_errors.ServiceUnavailable,
        google_errors.DeadlineExceeded,
        google_errors.InternalServerError,
        google_errors.TooManyRequests,
        google_errors.RetryError,
    ) as error:
        raise TemporaryError(f"Cloud Scheduler unavailable: {error}") from error
    except google_errors.GoogleAPICallError as error:
        raise PermanentError(f"Cloud Scheduler refused: {error}") from None
