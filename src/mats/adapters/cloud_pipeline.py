"""The pipeline in a project, as Google Cloud reports it: each Cloud Run service (the four
functions are gen2 functions, i.e. Cloud Run services, and the bridge is one) with its terminal
condition, through ``google-cloud-run``; each subscription's unacknowledged messages and the age
of its oldest, the latest points of Cloud Monitoring's
``pubsub.googleapis.com/subscription/num_undelivered_messages`` and
``.../oldest_unacked_message_age``, through ``google-cloud-monitoring``.

The dashboard's service account needs ``roles/run.viewer`` and ``roles/monitoring.viewer`` on
the project (Terraform grants both). The client libraries are imported on first use.
"""

# ruff: noqa: PLC0415 - the client libraries are imported where they are first used (above).

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mats.domain.pipeline import ProcessState, SubscriptionBacklog
from mats.errors import PermanentError, TemporaryError

UNDELIVERED = "pubsub.googleapis.com/subscription/num_undelivered_messages"
OLDEST_AGE = "pubsub.googleapis.com/subscription/oldest_unacked_message_age"
WINDOW_SECONDS = 600  # Pub/Sub's metrics are sampled every 60 s and appear up to 4 min late.
TIMEOUT_SECONDS = 30.0


class CloudPipelineProbe:
    def __init__(
        self, project: str, region: str, *, run_client: Any = None, metrics_client: Any = None
    ) -> None:
        self._project, self._region = project, region
        self._run, self._metrics = run_client, metrics_client

    def processes(self) -> list[ProcessState]:
        parent = f"projects/{self._project}/locations/{self._region}"
        with _translated("Cloud Run"):
            services = list(
                self._run_client().list_services(parent=parent, timeout=TIMEOUT_SECONDS)
            )
        return sorted((_process(service) for service in services), key=lambda p: p.name)

    def backlog(self) -> list[SubscriptionBacklog]:
        undelivered = self._latest(UNDELIVERED)
        ages = self._latest(OLDEST_AGE)
        return [
            SubscriptionBacklog(
                subscription=name,
                undelivered=int(count),
                oldest_age_seconds=int(ages[name]) if name in ages else None,
            )
            for name, count in sorted(undelivered.items())
        ]

    def _latest(self, metric: str) -> dict[str, int]:
        """Each subscription's newest point of ``metric`` in the last ``WINDOW_SECONDS``."""
        from google.cloud import monitoring_v3

        now = time.time()
        interval = monitoring_v3.TimeInterval(
            end_time={"seconds": int(now)}, start_time={"seconds": int(now) - WINDOW_SECONDS}
        )
        with _translated("Cloud Monitoring"):
            series = self._metrics_client().list_time_series(
                request={
                    "name": f"projects/{self._project}",
                    "filter": f'metric.type = "{metric}"',
                    "interval": interval,
                    "view": monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.FULL,
                },
                timeout=TIMEOUT_SECONDS,
            )
            latest: dict[str, int] = {}
            for one in series:
                name = one.resource.labels["subscription_id"]
                if one.points:  # Newest first.
                    latest[name] = int(one.points[0].value.int64_value)
        return latest

    def _run_client(self) -> Any:
        if self._run is None:
            from google.cloud import run_v2

            self._run = run_v2.ServicesClient()
        return self._run

    def _metrics_client(self) -> Any:
        if self._metrics is None:
            from google.cloud import monitoring_v3

            self._metrics = monitoring_v3.MetricServiceClient()
        return self._metrics


def _process(service: Any) -> ProcessState:
    condition = service.terminal_condition  # Cloud Run's verdict on the latest revision.
    state = condition.state.name
    ready = state == "CONDITION_SUCCEEDED"
    return ProcessState(
        name=service.name.rsplit("/", 1)[-1],
        ready=ready,
        state=state,
        detail=None if ready else (condition.message or None),
    )


@contextmanager
def _translated(platform: str) -> Iterator[None]:
    from google.api_core import exceptions as google_errors

    try:
        yield
    except (
        google_errors.ServiceUnavailable,
        google_errors.DeadlineExceeded,
        google_errors.InternalServerError,
        google_errors.TooManyRequests,
        google_errors.RetryError,
    ) as error:
        raise TemporaryError(f"{platform} unavailable: {error}") from error
    except google_errors.GoogleAPICallError as error:
        raise PermanentError(f"{platform} refused: {error}") from None
