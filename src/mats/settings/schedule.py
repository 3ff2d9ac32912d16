"""The nightly optimisation's schedule: the Cloud Scheduler job in a project, and the time the
local stack's schedule document starts with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from mats.errors import ValidationError
from mats.settings.environment import Environment, text, utc_time

_JOB_ID_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


@dataclass(frozen=True)
class ScheduleSettings:
    """``location`` and ``job`` name the Cloud Scheduler job in a project
    (``projects/{project}/locations/{location}/jobs/{job}``); ``optimize_at`` (UTC) is the local
    stack's first nightly time, until ``mats schedule set-time`` changes its schedule document."""

    location: str = "us-central1"
    job: str = "mats-nightly-optimization"
    optimize_at: time = time(22, 0)

    def job_name(self, project_id: str) -> str:
        return f"projects/{project_id}/locations/{self.location}/jobs/{self.job}"


def schedule_settings(env: Environment) -> ScheduleSettings:
    defaults = ScheduleSettings()
    job = text(env, "MATS_NIGHTLY_JOB") or defaults.job
    if not set(job) <= _JOB_ID_CHARACTERS or len(job) > 500:
        raise ValidationError("MATS_NIGHTLY_JOB", f"must be a Cloud Scheduler job id; got {job!r}")
    location = text(env, "MATS_SCHEDULER_LOCATION") or defaults.location
    if "/" in location:
        raise ValidationError(
            "MATS_SCHEDULER_LOCATION",
            f"must be a location id such as us-central1; got {location!r}",
        )
    return ScheduleSettings(
        location=location,
        job=job,
        optimize_at=utc_time(env, "MATS_OPTIMIZE_AT", defaults.optimize_at),
    )
