"""The nightly schedule over Cloud Scheduler: the exact requests sent to the client, no network."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from google.api_core import exceptions as google_errors
from google.cloud import scheduler_v1

from mats.adapters.cloud_scheduler import TIMEOUT_SECONDS, CloudSchedulerNightlySchedule
from mats.adapters.firestore.client import firestore_client
from mats.adapters.firestore.schedule import FirestoreNightlySchedule
from mats.bootstrap import bootstrap
from mats.domain.schedule import ScheduleState, daily_time
from mats.errors import NotFoundError, PermanentError, TemporaryError, ValidationError
from tests.fakes import FakeClock

NAME = "projects/fund-prod/locations/us-central1/jobs/mats-nightly-optimization"
State = scheduler_v1.Job.State


class FakeSchedulerClient:
    """``CloudSchedulerClient``'s surface that the adapter uses: one job, every request kept."""

    def __init__(self, job: scheduler_v1.Job) -> None:
        self.job = job
        self.requests: list[tuple[str, Any]] = []
        self.failure: Exception | None = None

    def _take(self, method: str, request: Any, timeout: float) -> None:
        assert timeout == TIMEOUT_SECONDS
        self.requests.append((method, request))
        if self.failure is not None:
            raise self.failure

    def get_job(self, *, request: scheduler_v1.GetJobRequest, timeout: float) -> scheduler_v1.Job:
        self._take("get_job", request, timeout)
        return scheduler_v1.Job(self.job)

    def pause_job(self, *, request: scheduler_v1.PauseJobRequest, timeout: float) -> Any:
        self._take("pause_job", request, timeout)
        self.job.state = State.PAUSED
        return scheduler_v1.Job(self.job)

    def resume_job(self, *, request: scheduler_v1.ResumeJobRequest, timeout: float) -> Any:
        self._take("resume_job", request, timeout)
        self.job.state = State.ENABLED
        return scheduler_v1.Job(self.job)

    def run_job(self, *, request: scheduler_v1.RunJobRequest, timeout: float) -> Any:
        self._take("run_job", request, timeout)
        return scheduler_v1.Job(self.job)

    def update_job(self, *, request: scheduler_v1.UpdateJobRequest, timeout: float) -> Any:
        self._take("update_job", request, timeout)
        for path in request.update_mask.paths:
            setattr(self.job, path, getattr(request.job, path))
        return scheduler_v1.Job(self.job)


def a_job(**fields: Any) -> scheduler_v1.Job:
    values = {
        "name": NAME,
        "schedule": "0 22 * * *",
        "time_zone": "Etc/UTC",
        "state": State.ENABLED,
    }
    return scheduler_v1.Job(**(values | fields))


def adapter(job: scheduler_v1.Job) -> tuple[CloudSchedulerNightlySchedule, FakeSchedulerClient]:
    client = FakeSchedulerClient(job)
    clock = FakeClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    return CloudSchedulerNightlySchedule(NAME, clock, client=client), client


GET = ("get_job", scheduler_v1.GetJobRequest(name=NAME))


def test_show_reads_the_job_and_computes_the_next_run() -> None:
    attempt = datetime(2026, 3, 1, 22, 0, 3, tzinfo=UTC)
    schedule, client = adapter(a_job(last_attempt_time=attempt))

    shown = schedule.show()

    assert client.requests == [GET]
    assert (shown.time, shown.time_zone, shown.state) == ("22:00", "UTC", ScheduleState.ENABLED)
    assert shown.next_run_at == datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
    assert shown.last_run is not None
    assert (shown.last_run.at, shown.last_run.outcome) == (attempt, "SUCCEEDED")
    assert shown.job == NAME


def test_a_failed_last_attempt_carries_its_status() -> None:
    job = a_job(
        last_attempt_time=datetime(2026, 3, 1, 22, 0, tzinfo=UTC),
        status={"code": 14, "message": "upstream unavailable"},
    )
    schedule, _ = adapter(job)

    last = schedule.show().last_run

    assert last is not None
    assert (last.outcome, last.error) == ("FAILED", "14: upstream unavailable")


def test_pause_sends_pause_job_and_a_second_pause_sends_nothing() -> None:
    schedule, client = adapter(a_job())

    paused = schedule.pause()
    again = schedule.pause()

    assert client.requests == [GET, ("pause_job", scheduler_v1.PauseJobRequest(name=NAME)), GET]
    assert paused.state is ScheduleState.PAUSED
    assert paused.next_run_at is None
    assert again == paused


def test_resume_sends_resume_job() -> None:
    schedule, client = adapter(a_job(state=State.PAUSED))

    resumed = schedule.resume()

    assert client.requests == [GET, ("resume_job", scheduler_v1.ResumeJobRequest(name=NAME))]
    assert resumed.state is ScheduleState.ENABLED


def test_set_time_updates_only_the_schedule_and_the_time_zone() -> None:
    schedule, client = adapter(a_job(description="kept", attempt_deadline={"seconds": 900}))

    moved = schedule.set_time(daily_time("06:30", "Europe/London"))

    expected = scheduler_v1.UpdateJobRequest(
        job=scheduler_v1.Job(name=NAME, schedule="30 6 * * *", time_zone="Europe/London"),
        update_mask={"paths": ["schedule", "time_zone"]},
    )
    assert client.requests == [GET, ("update_job", expected)]
    assert (moved.time, moved.time_zone) == ("06:30", "Europe/London")
    assert moved.next_run_at == datetime(2026, 3, 3, 6, 30, tzinfo=UTC)
    assert client.job.description == "kept"


def test_setting_the_time_it_has_sends_no_update() -> None:
    schedule, client = adapter(a_job(schedule="0 22 * * *", time_zone="UTC"))

    schedule.set_time(daily_time("22:00", "UTC"))

    assert client.requests == [GET]


def test_run_now_sends_run_job_even_while_paused() -> None:
    schedule, client = adapter(a_job(state=State.PAUSED))

    request, new = schedule.run_now("RUN_1", "admin@example.test")

    assert client.requests == [("run_job", scheduler_v1.RunJobRequest(name=NAME))]
    assert (request.request_id, request.requested_by, new) == ("RUN_1", "admin@example.test", True)


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (google_errors.ServiceUnavailable("down"), TemporaryError),
        (google_errors.DeadlineExceeded("slow"), TemporaryError),
        (google_errors.NotFound("no job"), NotFoundError),
        (google_errors.PermissionDenied("no role"), PermanentError),
    ],
)
def test_client_errors_are_translated(failure: Exception, error: type[Exception]) -> None:
    schedule, client = adapter(a_job())
    client.failure = failure

    with pytest.raises(error):
        schedule.pause()


@pytest.mark.parametrize("state", [State.DISABLED, State.UPDATE_FAILED])
def test_a_job_the_scheduler_disabled_is_reported_not_shown_as_paused(state: State) -> None:
    schedule, _ = adapter(a_job(state=state))

    with pytest.raises(PermanentError, match=state.name):
        schedule.show()


def test_a_schedule_that_is_not_daily_is_refused_by_name() -> None:
    schedule, _ = adapter(a_job(schedule="0 */6 * * *"))

    with pytest.raises(ValidationError, match="not a daily time"):
        schedule.show()


def test_a_project_gets_its_cloud_scheduler_job_and_emulators_the_local_schedule() -> None:
    project = bootstrap(
        {"GOOGLE_CLOUD_PROJECT": "fund-prod", "MATS_SCHEDULER_LOCATION": "europe-west1"}
    )
    emulated = {"GOOGLE_CLOUD_PROJECT": "mats-local", "FIRESTORE_EMULATOR_HOST": "127.0.0.1:9"}
    local = bootstrap(emulated, firestore_client=firestore_client("mats-local", "127.0.0.1:9"))

    cloud = project.nightly_schedule
    assert isinstance(cloud, CloudSchedulerNightlySchedule)
    assert cloud.job_name == (
        "projects/fund-prod/locations/europe-west1/jobs/mats-nightly-optimization"
    )
    assert isinstance(local.nightly_schedule, FirestoreNightlySchedule)


def test_the_client_library_loads_only_when_the_job_is_called() -> None:
    script = (
        "import sys\n"
        "from mats.adapters.firestore.client import firestore_client\n"
        "from mats.bootstrap import bootstrap\n"
        "env = {'GOOGLE_CLOUD_PROJECT': 'mats-local', 'FIRESTORE_EMULATOR_HOST': '127.0.0.1:9'}\n"
        "client = firestore_client('mats-local', '127.0.0.1:9')\n"
        "bootstrap(env, firestore_client=client).nightly_schedule\n"
        "local = 'mats.adapters.cloud_scheduler' in sys.modules\n"
        "bootstrap({'GOOGLE_CLOUD_PROJECT': 'fund-prod'}).nightly_schedule\n"
        "print(local, 'google.cloud.scheduler_v1' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False False"
