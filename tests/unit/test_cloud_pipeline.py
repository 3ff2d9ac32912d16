"""The pipeline as Google Cloud reports it: the requests the probe sends to Cloud Run and Cloud
Monitoring, and how their answers (the libraries' own message types) become processes and
backlogs; an unavailable platform is a TemporaryError."""

from __future__ import annotations

from typing import Any

import pytest
from google.api_core import exceptions as google_errors
from google.cloud import monitoring_v3, run_v2

from mats.adapters.cloud_pipeline import OLDEST_AGE, UNDELIVERED, CloudPipelineProbe
from mats.domain.pipeline import ProcessState, SubscriptionBacklog
from mats.errors import PermanentError, TemporaryError

Condition = run_v2.Condition


class FakeRun:
    def __init__(self, services: list[run_v2.Service] | Exception) -> None:
        self.services = services
        self.asked: list[dict[str, Any]] = []

    def list_services(self, **request: Any) -> list[run_v2.Service]:
        self.asked.append(request)
        if isinstance(self.services, Exception):
            raise self.services
        return self.services


class FakeMetrics:
    def __init__(self, series: dict[str, list[monitoring_v3.TimeSeries]]) -> None:
        self.series = series
        self.asked: list[dict[str, Any]] = []

    def list_time_series(self, *, request: dict[str, Any], timeout: float) -> Any:
        self.asked.append(request)
        metric = request["filter"].split('"')[1]
        return self.series[metric]


def _service(name: str, state: Any, message: str = "") -> run_v2.Service:
    return run_v2.Service(
        name=f"projects/p/locations/europe-west1/services/{name}",
        terminal_condition=Condition(type_="Ready", state=state, message=message),
    )


def _series(subscription: str, *values: int) -> monitoring_v3.TimeSeries:
    return monitoring_v3.TimeSeries(
        resource={"type": "pubsub_subscription", "labels": {"subscription_id": subscription}},
        points=[{"value": {"int64_value": value}} for value in values],
    )


def test_every_cloud_run_service_is_a_process_ready_only_when_cloud_run_says_so() -> None:
    run = FakeRun(
        [
            _service("mats-ingest", Condition.State.CONDITION_SUCCEEDED),
            _service("mats-bridge", Condition.State.CONDITION_FAILED, "Revision failed: port"),
        ]
    )
    probe = CloudPipelineProbe("p", "europe-west1", run_client=run, metrics_client=None)

    found = probe.processes()

    assert run.asked[0]["parent"] == "projects/p/locations/europe-west1"
    assert found == [
        ProcessState("mats-bridge", False, "CONDITION_FAILED", detail="Revision failed: port"),
        ProcessState("mats-ingest", True, "CONDITION_SUCCEEDED"),
    ]


def test_each_subscription_gets_its_newest_backlog_point_and_oldest_age() -> None:
    metrics = FakeMetrics(
        {
            UNDELIVERED: [_series("cerebro-signals", 7, 3), _series("dashboard-fills", 0)],
            OLDEST_AGE: [_series("cerebro-signals", 95)],
        }
    )
    probe = CloudPipelineProbe("p", "europe-west1", run_client=None, metrics_client=metrics)

    found = probe.backlog()

    assert [request["name"] for request in metrics.asked] == ["projects/p", "projects/p"]
    assert metrics.asked[0]["filter"] == f'metric.type = "{UNDELIVERED}"'
    assert found == [
        SubscriptionBacklog("cerebro-signals", 7, 95),
        SubscriptionBacklog("dashboard-fills", 0, None),
    ]


@pytest.mark.parametrize(
    ("error", "raised"),
    [
        (google_errors.ServiceUnavailable("down"), TemporaryError),
        (google_errors.PermissionDenied("no run.viewer"), PermanentError),
    ],
)
def test_a_platform_that_cannot_answer_is_named_in_the_error(
    error: Exception, raised: type[Exception]
) -> None:
    probe = CloudPipelineProbe("p", "r", run_client=FakeRun(error), metrics_client=None)

    with pytest.raises(raised, match="Cloud Run"):
        probe.processes()
