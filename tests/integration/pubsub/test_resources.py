"""Topics and subscriptions over real HTTP: create, read, list, update, delete and error codes."""

from __future__ import annotations

from typing import Any

import pytest
import requests

pytestmark = pytest.mark.integration


def assert_error(response: requests.Response, code: int, status: str) -> dict[str, Any]:
    assert response.status_code == code, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["status"] == status
    assert error["message"]
    return error


def test_root_answers_ok_like_googles_emulator(pubsub_service: Any) -> None:
    response = requests.get(f"{pubsub_service.url}/", timeout=5)

    assert response.status_code == 200
    assert response.text == "Ok"


def test_topic_lifecycle(api: Any) -> None:
    created = api.call("PUT", api.topic("signals"))
    assert created.status_code == 200
    assert created.json() == {"name": api.topic("signals")}
    api.create_topic("orders")

    assert api.ok("GET", api.topic("signals")) == {"name": api.topic("signals")}
    listed = api.ok("GET", f"projects/{api.project}/topics")
    assert sorted(topic["name"] for topic in listed["topics"]) == [
        api.topic("orders"),
        api.topic("signals"),
    ]

    assert api.ok("DELETE", api.topic("signals")) == {}
    assert_error(api.call("GET", api.topic("signals")), 404, "NOT_FOUND")
    assert api.ok("GET", f"projects/{api.project}/topics") == {
        "topics": [{"name": api.topic("orders")}]
    }


def test_topic_errors(api: Any) -> None:
    api.create_topic("signals")

    error = assert_error(api.call("PUT", api.topic("signals")), 409, "ALREADY_EXISTS")
    assert error["message"] == "Topic already exists"
    assert_error(api.call("GET", api.topic("missing")), 404, "NOT_FOUND")
    assert_error(api.call("DELETE", api.topic("missing")), 404, "NOT_FOUND")
    assert_error(api.call("PUT", api.topic("ab")), 400, "INVALID_ARGUMENT")
    assert_error(api.call("PUT", api.topic("goog-topic")), 400, "INVALID_ARGUMENT")
    assert_error(api.call("POST", f"{api.topic('signals')}:explode", {}), 404, "NOT_FOUND")


def test_projects_are_isolated(api: Any) -> None:
    api.create_topic("signals")

    other = api.call("GET", f"projects/{api.project}-other/topics/signals")

    assert_error(other, 404, "NOT_FOUND")
    assert api.ok("GET", f"projects/{api.project}-other/topics") == {}


def test_subscription_create_returns_google_defaults(api: Any) -> None:
    api.create_topic("signals")

    created = api.create_subscription("signals-pull", "signals")

    assert created == {
        "name": api.subscription("signals-pull"),
        "topic": api.topic("signals"),
        "pushConfig": {},
        "ackDeadlineSeconds": 10,
        "messageRetentionDuration": "604800s",
        "expirationPolicy": {"ttl": "2678400s"},
        "state": "ACTIVE",
    }


def test_subscription_create_echoes_every_policy(api: Any) -> None:
    api.create_topic("signals")
    api.create_topic("signals-dead-letter")

    created = api.create_subscription(
        "signals-cerebro",
        "signals",
        pushConfig={"pushEndpoint": "http://127.0.0.1:9/push"},
        ackDeadlineSeconds=30,
        retryPolicy={"minimumBackoff": "0.050s", "maximumBackoff": "2.5s"},
        deadLetterPolicy={"deadLetterTopic": api.topic("signals-dead-letter")},
        enableMessageOrdering=True,
    )

    assert created["pushConfig"] == {"pushEndpoint": "http://127.0.0.1:9/push"}
    assert created["ackDeadlineSeconds"] == 30
    assert created["retryPolicy"] == {"minimumBackoff": "0.050s", "maximumBackoff": "2.500s"}
    assert created["deadLetterPolicy"] == {
        "deadLetterTopic": api.topic("signals-dead-letter"),
        "maxDeliveryAttempts": 5,
    }
    assert created["enableMessageOrdering"] is True
    assert api.ok("GET", api.subscription("signals-cerebro")) == created


def test_retry_policy_defaults_fill_in(api: Any) -> None:
    api.create_topic("signals")

    created = api.create_subscription("signals-pull", "signals", retryPolicy={})

    assert created["retryPolicy"] == {"minimumBackoff": "10s", "maximumBackoff": "600s"}


def _dead_letter(attempts: int) -> Any:
    return lambda api: {
        "deadLetterPolicy": {
            "deadLetterTopic": api.topic("signals-dead-letter"),
            "maxDeliveryAttempts": attempts,
        }
    }


@pytest.mark.parametrize(
    ("settings", "code"),
    [
        pytest.param(lambda api: {"topic": api.topic("missing")}, 404, id="missing topic"),
        pytest.param(
            lambda api: {"deadLetterPolicy": {"deadLetterTopic": api.topic("missing")}},
            400,
            id="missing dead-letter topic",
        ),
        pytest.param(_dead_letter(4), 400, id="4 delivery attempts"),
        pytest.param(_dead_letter(101), 400, id="101 delivery attempts"),
        pytest.param(lambda _: {"ackDeadlineSeconds": 601}, 400, id="ack deadline"),
        pytest.param(
            lambda _: {"retryPolicy": {"minimumBackoff": "ten seconds"}}, 400, id="bad duration"
        ),
        pytest.param(
            lambda _: {"retryPolicy": {"minimumBackoff": "601s", "maximumBackoff": "601s"}},
            400,
            id="backoff too long",
        ),
        pytest.param(
            lambda _: {"pushConfig": {"pushEndpoint": "ftp://127.0.0.1/push"}},
            400,
            id="push endpoint scheme",
        ),
        pytest.param(lambda _: {"filter": 'attributes.mode = "LIVE"'}, 400, id="filter"),
        pytest.param(lambda _: {"surprise": True}, 400, id="unknown field"),
    ],
)
def test_subscription_create_rejects_what_google_rejects(
    api: Any, settings: Any, code: int
) -> None:
    api.create_topic("signals")
    api.create_topic("signals-dead-letter")
    body = {"topic": api.topic("signals"), **settings(api)}

    response = api.call("PUT", api.subscription("signals-sub"), body)

    assert_error(response, code, {400: "INVALID_ARGUMENT", 404: "NOT_FOUND"}[code])
    assert_error(api.call("GET", api.subscription("signals-sub")), 404, "NOT_FOUND")


def test_subscription_errors(api: Any) -> None:
    api.create_topic("signals")
    api.create_subscription("signals-pull", "signals")

    error = assert_error(
        api.call("PUT", api.subscription("signals-pull"), {"topic": api.topic("signals")}),
        409,
        "ALREADY_EXISTS",
    )
    assert error["message"] == "Subscription already exists"
    assert_error(api.call("GET", api.subscription("missing")), 404, "NOT_FOUND")
    assert_error(api.call("DELETE", api.subscription("missing")), 404, "NOT_FOUND")
    assert_error(api.call("PUT", api.subscription("xy"), {}), 400, "INVALID_ARGUMENT")
    assert_error(
        api.call("POST", f"{api.subscription('signals-pull')}:pull", {"maxMessages": 0}),
        400,
        "INVALID_ARGUMENT",
    )
    assert_error(
        api.call("POST", f"{api.subscription('signals-pull')}:acknowledge", {"ackIds": []}),
        400,
        "INVALID_ARGUMENT",
    )


def test_subscription_list_and_delete(api: Any) -> None:
    api.create_topic("signals")
    api.create_subscription("signals-one", "signals")
    api.create_subscription("signals-two", "signals")

    listed = api.ok("GET", f"projects/{api.project}/subscriptions")["subscriptions"]
    by_topic = api.ok("GET", f"{api.topic('signals')}/subscriptions")

    assert [subscription["name"] for subscription in listed] == [
        api.subscription("signals-one"),
        api.subscription("signals-two"),
    ]
    assert by_topic == {
        "subscriptions": [api.subscription(name) for name in ("signals-one", "signals-two")]
    }
    assert api.ok("DELETE", api.subscription("signals-one")) == {}
    assert_error(api.call("GET", api.subscription("signals-one")), 404, "NOT_FOUND")
    assert api.ok("GET", f"{api.topic('signals')}/subscriptions") == {
        "subscriptions": [api.subscription("signals-two")]
    }


def test_subscription_survives_its_topic_like_in_pubsub(api: Any) -> None:
    api.create_topic("signals")
    api.create_subscription("signals-pull", "signals")

    api.ok("DELETE", api.topic("signals"))

    assert api.ok("GET", api.subscription("signals-pull"))["topic"] == "_deleted-topic_"


def test_subscription_patch_updates_mutable_fields_only(api: Any) -> None:
    api.create_topic("signals")
    api.create_subscription(
        "signals-push", "signals", pushConfig={"pushEndpoint": "http://127.0.0.1:9/a"}
    )

    updated = api.ok(
        "PATCH",
        api.subscription("signals-push"),
        {
            "subscription": {
                "pushConfig": {"pushEndpoint": "http://127.0.0.1:9/b"},
                "ackDeadlineSeconds": 20,
            },
            "updateMask": "pushConfig,ack_deadline_seconds",
        },
    )
    immutable = api.call(
        "PATCH",
        api.subscription("signals-push"),
        {"subscription": {"enableMessageOrdering": True}, "updateMask": "enableMessageOrdering"},
    )

    assert updated["pushConfig"] == {"pushEndpoint": "http://127.0.0.1:9/b"}
    assert updated["ackDeadlineSeconds"] == 20
    assert_error(immutable, 400, "INVALID_ARGUMENT")
