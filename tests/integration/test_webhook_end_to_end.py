"""Webhook → ingest function → Firestore → Pub/Sub → a CloudEvent subscriber, on the real stack."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mats.domain.senders import sign_body, signing_key
from mats.domain.strategies import StrategyStatus
from mats.domain.trading import TradingMode
from mats.services.registry import IssuedSecret, StrategyChanges
from tests.builders import tradingview_alert
from tests.conftest import Stack, http_post, unique
from tests.integration.conftest import Receiver


@pytest.fixture
def sender(services: Any) -> IssuedSecret:
    issued: IssuedSecret = services.senders.create(unique("E2E Sender"), rate_limit_per_minute=6000)
    return issued


def make_strategy(services: Any, sender: IssuedSecret, status: StrategyStatus, **extra: Any) -> str:
    strategy_id = unique("e2e")
    services.strategies.create(
        strategy_id,
        StrategyChanges(
            name="End to end",
            status=status,
            trading_mode=TradingMode.PAPER,
            account="IBKR_Main",
            sender_ids=(sender.sender.sender_id,),
            **extra,
        ),
    )
    return strategy_id


def now_alert(strategy_id: str, **overrides: Any) -> dict[str, Any]:
    fired = datetime.now(UTC) - timedelta(seconds=1)
    bar = f"2026-11-20T{len(overrides):02d}:00:00Z"
    return tradingview_alert(
        **{"strategy_id": strategy_id, "timenow": fired.strftime("%Y-%m-%dT%H:%M:%SZ"), "time": bar}
        | overrides
    )


def webhook(stack: Stack, sender: IssuedSecret) -> str:
    return f"{stack.ingest_url}/webhook/{sender.sender.sender_id}/{sender.secret}"


def test_accepted_webhook_is_stored_and_pushed_as_an_eventarc_cloudevent(
    stack: Stack, services: Any, sender: IssuedSecret, receiver: Receiver
) -> None:
    strategy_id = make_strategy(services, sender, StrategyStatus.ACTIVE)

    status, _, answer = http_post(
        webhook(stack, sender), json.dumps(now_alert(strategy_id)).encode()
    )

    assert status == 202
    assert answer["status"] == "accepted"
    assert answer["published"] is True
    signal_id = answer["signal_id"]
    assert signal_id.startswith(f"{strategy_id}_")
    assert signal_id.endswith("_1")
    record = services.signal_store.get(signal_id)
    assert record.outbox_state.value == "PUBLISHED"
    assert json.loads(record.raw_payload)["strategy_id"] == strategy_id
    [delivery] = receiver.wait_for(signal_id)
    assert delivery["ce_type"] == "google.cloud.pubsub.topic.v1.messagePublished"
    assert delivery["ce_source"].endswith("/topics/signals")
    assert delivery["ce_id"] == delivery["message_id"] == record.message_id
    assert delivery["data"] == record.message
    assert delivery["ordering_key"] == strategy_id
    assert delivery["attributes"]["strategy_id"] == strategy_id
    assert delivery["decoded"]["intent"] == "ENTRY_LONG"
    assert delivery["decoded"]["trading_mode"] == "PAPER"


def test_duplicate_and_concurrent_duplicate_posts_yield_one_signal(
    stack: Stack, services: Any, sender: IssuedSecret, receiver: Receiver
) -> None:
    strategy_id = make_strategy(services, sender, StrategyStatus.ACTIVE)
    payload = json.dumps(now_alert(strategy_id)).encode()
    answers: list[tuple[int, Any]] = []

    def post() -> None:
        status, _, answer = http_post(webhook(stack, sender), payload)
        answers.append((status, answer))

    threads = [threading.Thread(target=post) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    later_status, _, later = http_post(webhook(stack, sender), payload)

    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 11 + [202]
    signal_ids = {answer["signal_id"] for _, answer in answers} | {later["signal_id"]}
    assert len(signal_ids) == 1
    assert (later_status, later["status"]) == (200, "duplicate")
    [signal_id] = signal_ids
    assert (
        len(
            services.signal_store.list(
                strategy_id=strategy_id, sender_id=None, status=None, limit=50
            )
        )
        == 1
    )
    deliveries = receiver.wait_for(signal_id)
    assert len(deliveries) == 1


def test_inactive_strategy_is_rejected_and_recorded_testing_is_tagged(
    stack: Stack, services: Any, sender: IssuedSecret
) -> None:
    inactive = make_strategy(services, sender, StrategyStatus.INACTIVE)
    testing = make_strategy(services, sender, StrategyStatus.TESTING)

    rejected_status, _, rejected = http_post(
        webhook(stack, sender), json.dumps(now_alert(inactive)).encode()
    )
    tagged_status, _, tagged = http_post(
        webhook(stack, sender), json.dumps(now_alert(testing)).encode()
    )

    assert rejected_status == 422
    assert rejected["reason"] == "STRATEGY_INACTIVE"
    assert rejected["error"] == f"Strategy {inactive} is INACTIVE"
    assert services.signal_store.get(rejected["signal_id"]).status.value == "REJECTED"
    assert tagged_status == 202
    assert tagged["tags"] == ["TESTING"]


def test_stale_alert_is_rejected_as_stale(
    stack: Stack, services: Any, sender: IssuedSecret
) -> None:
    strategy_id = make_strategy(services, sender, StrategyStatus.ACTIVE, max_signal_lag_seconds=5)
    fired = (datetime.now(UTC) - timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")

    status, _, answer = http_post(
        webhook(stack, sender), json.dumps(now_alert(strategy_id, timenow=fired)).encode()
    )

    assert status == 422
    assert answer["reason"] == "STALE"
    assert "limit for this strategy is 5 s" in answer["error"]


@pytest.mark.parametrize(
    "credentials",
    [
        "unknown-sender",
        "wrong-secret",
        "missing-secret",
        "bad-signature",
        "secret-in-wrong-body-field",
    ],
)
def test_every_authentication_failure_answers_401_with_the_same_body(
    stack: Stack, services: Any, sender: IssuedSecret, credentials: str
) -> None:
    strategy_id = make_strategy(services, sender, StrategyStatus.ACTIVE)
    payload = now_alert(strategy_id)
    base = f"{stack.ingest_url}/webhook"
    sender_id = sender.sender.sender_id
    headers: dict[str, str] = {}
    url = {
        "unknown-sender": f"{base}/nobody-000000/{sender.secret}",
        "wrong-secret": f"{base}/{sender_id}/not-the-secret",
        "missing-secret": f"{base}/{sender_id}",
        "bad-signature": f"{base}/{sender_id}",
        "secret-in-wrong-body-field": f"{base}/{sender_id}",
    }[credentials]
    if credentials == "bad-signature":
        headers["X-Signature"] = "sha256=" + "0" * 64
    if credentials == "secret-in-wrong-body-field":
        payload["password"] = sender.secret

    status, _, answer = http_post(url, json.dumps(payload).encode(), headers)

    assert status == 401
    assert answer == {"status": "unauthorized", "error": "authentication failed"}
    assert (
        services.signal_store.list(strategy_id=strategy_id, sender_id=None, status=None, limit=5)
        == []
    )


def test_body_secret_and_signature_authenticate(
    stack: Stack, services: Any, sender: IssuedSecret
) -> None:
    strategy_id = make_strategy(services, sender, StrategyStatus.ACTIVE)
    url = f"{stack.ingest_url}/webhook/{sender.sender.sender_id}"
    in_body = json.dumps(now_alert(strategy_id, secret=sender.secret)).encode()
    signed = json.dumps(now_alert(strategy_id, time="2026-11-20T05:00:00Z")).encode()
    signature = "sha256=" + sign_body(signing_key(sender.secret), signed)

    body_status, _, body_answer = http_post(url, in_body)
    signed_status, _, _ = http_post(url, signed, {"X-Signature": signature})

    assert (body_status, signed_status) == (202, 202)
    raw = services.signal_store.get(body_answer["signal_id"]).raw_payload
    assert sender.secret not in raw


def test_ip_allowlist_is_enforced(stack: Stack, services: Any) -> None:
    issued = services.senders.create(unique("Allowlisted"), ip_allowlist=("198.51.100.0/24",))
    strategy_id = make_strategy(services, issued, StrategyStatus.ACTIVE)

    status, _, _ = http_post(webhook(stack, issued), json.dumps(now_alert(strategy_id)).encode())
    services.senders.update(issued.sender.sender_id, ip_allowlist=("127.0.0.1",))
    allowed_status, _, _ = http_post(
        webhook(stack, issued), json.dumps(now_alert(strategy_id)).encode()
    )

    assert (status, allowed_status) == (401, 202)


def test_rate_limit_answers_429_with_retry_after(stack: Stack, services: Any) -> None:
    issued = services.senders.create(unique("Limited"), rate_limit_per_minute=2)
    strategy_id = make_strategy(services, issued, StrategyStatus.ACTIVE)
    statuses = []
    for minute in range(3):
        status, headers, answer = http_post(
            webhook(stack, issued),
            json.dumps(now_alert(strategy_id, time=f"2026-11-20T06:0{minute}:00Z")).encode(),
        )
        statuses.append(status)

    assert statuses == [202, 202, 429]
    assert int(headers["Retry-After"]) >= 1
    assert answer["status"] == "rate_limited"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"", 400, "body"),
        (b"not json", 400, "body"),
        (b"[1, 2]", 400, "body"),
        (json.dumps({"ticker": "ES1!", "action": "buy"}).encode(), 422, "strategy_id"),
    ],
)
def test_malformed_requests_get_a_4xx_naming_the_field(
    stack: Stack, sender: IssuedSecret, body: bytes, status: int, field: str
) -> None:
    got, _, answer = http_post(webhook(stack, sender), body)

    assert got == status
    assert answer["field"] == field
    assert answer["status"] == "invalid"


def test_wrong_types_and_unknown_strategy_are_422_and_create_nothing(
    stack: Stack, services: Any, sender: IssuedSecret
) -> None:
    strategy_id = make_strategy(services, sender, StrategyStatus.ACTIVE)

    bad_type_status, _, bad_type = http_post(
        webhook(stack, sender), json.dumps(now_alert(strategy_id, contracts=["1"])).encode()
    )
    unknown_status, _, unknown = http_post(
        webhook(stack, sender), json.dumps(now_alert("no-such-strategy")).encode()
    )

    assert (bad_type_status, bad_type["field"]) == (422, "contracts")
    assert (unknown_status, unknown["field"]) == (422, "strategy_id")
    assert (
        services.signal_store.list(strategy_id=strategy_id, sender_id=None, status=None, limit=5)
        == []
    )


def test_oversized_body_is_refused_with_413(stack: Stack, sender: IssuedSecret) -> None:
    status, _, answer = http_post(webhook(stack, sender), b"{" + b" " * 40_000 + b"}")

    assert status == 413
    assert answer["field"] == "body"


def test_unknown_paths_and_methods(stack: Stack) -> None:
    status, _, answer = http_post(f"{stack.ingest_url}/hooks", b"{}")

    assert status == 404
    assert "webhook" in answer["error"]


def test_raw_message_data_is_the_standard_signal(
    stack: Stack, services: Any, sender: IssuedSecret, receiver: Receiver
) -> None:
    strategy_id = make_strategy(services, sender, StrategyStatus.ACTIVE)
    alert = {
        "format": "traderspost",
        "strategy_id": strategy_id,
        "ticker": "AAPL",
        "action": "buy",
        "orderType": "limit",
        "limitPrice": "187.5",
        "stopLoss": {"percent": "2"},
    }

    _, _, answer = http_post(webhook(stack, sender), json.dumps(alert).encode())
    [delivery] = receiver.wait_for(answer["signal_id"])

    assert delivery["decoded"]["order_type"] == "LMT"
    assert delivery["decoded"]["limit_price"] == "187.5"
    assert delivery["decoded"]["stop_loss"] == {"percent": "2", "price": None}


def stack_logs(stack: Stack) -> str:
    """Every log file the stack's processes wrote so far."""
    return "\n".join(
        path.read_text(errors="replace")
        for path in sorted((stack.state_dir / "logs").glob("*.log"))
    )


def deeply_nested(strategy_id: str, depth: int) -> bytes:
    return (
        b'{"strategy_id": "'
        + strategy_id.encode()
        + b'", "extra": '
        + b"[" * depth
        + b"1"
        + b"]" * depth
        + b"}"
    )


@pytest.mark.parametrize(
    ("hostile", "field"),
    [
        ("nesting 1,200 levels deep", "body"),
        ("an integer of 5,000 digits", "contracts"),
        ("a lone surrogate in a stored field", "exchange"),
    ],
)
def test_hostile_bodies_get_a_json_4xx_store_nothing_and_log_no_secret(
    stack: Stack, services: Any, sender: IssuedSecret, hostile: str, field: str
) -> None:
    strategy_id = make_strategy(services, sender, StrategyStatus.ACTIVE)
    data = {
        "nesting 1,200 levels deep": deeply_nested(strategy_id, 1200),
        "an integer of 5,000 digits": json.dumps(now_alert(strategy_id, contracts="X"))
        .replace('"X"', "9" * 5000)
        .encode(),
        "a lone surrogate in a stored field": json.dumps(
            now_alert(strategy_id, exchange="\ud83dx")
        ).encode(),
    }[hostile]

    status, headers, answer = http_post(webhook(stack, sender), data)

    assert 400 <= status < 500, (status, answer)
    assert headers["Content-Type"] == "application/json"
    assert answer["status"] == "invalid"
    assert answer["field"].split(".")[0] == field
    assert (
        services.signal_store.list(strategy_id=strategy_id, sender_id=None, status=None, limit=5)
        == []
    )
    assert sender.secret not in stack_logs(stack)


def test_a_valid_signature_authenticates_whatever_secret_the_body_holds(
    stack: Stack, services: Any, sender: IssuedSecret
) -> None:
    strategy_id = make_strategy(services, sender, StrategyStatus.ACTIVE)
    url = f"{stack.ingest_url}/webhook/{sender.sender.sender_id}"
    signed = json.dumps(now_alert(strategy_id, secret="not-the-secret")).encode()
    signature = "sha256=" + sign_body(signing_key(sender.secret), signed)

    status, _, answer = http_post(url, signed, {"X-Signature": signature})

    assert (status, answer["status"]) == (202, "accepted")
    assert "not-the-secret" not in services.signal_store.get(answer["signal_id"]).raw_payload


def test_what_firestore_stores_cannot_authenticate_or_sign(
    stack: Stack, services: Any, sender: IssuedSecret
) -> None:
    strategy_id = make_strategy(services, sender, StrategyStatus.ACTIVE)
    sender_id = sender.sender.sender_id
    document = services.firestore.collection("senders").document(sender_id).get().to_dict()
    stored = [value for value in document.values() if isinstance(value, str) and len(value) >= 32]
    url = f"{stack.ingest_url}/webhook/{sender_id}"
    answers = []

    for n, value in enumerate(stored):
        alert = json.dumps(now_alert(strategy_id, time=f"2026-11-20T07:{n:02d}:00Z")).encode()
        answers.append(http_post(url, alert, {"X-Signature": "sha256=" + sign_body(value, alert)}))
        answers.append(http_post(f"{url}/{value}", alert))

    assert stored, document
    assert [status for status, _, _ in answers] == [401] * len(answers)
