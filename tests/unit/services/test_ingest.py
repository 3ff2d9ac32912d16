import dataclasses
import json
import threading
from datetime import timedelta

import pytest

from mats.contracts import decode
from mats.domain.senders import UNKNOWN_KEY_NAME, SenderStatus, sign_body, signing_key
from mats.domain.signals.records import OutboxState, RejectionReason, SignalStatus
from mats.domain.strategies import StrategyStatus
from mats.services.ingest import Outcome, WebhookRequest
from tests.builders import SECRET, a_sender, a_strategy, body, tradingview_alert
from tests.unit.services.conftest import IngestWorld

SENDER = "alpha-1a2b3c"


def post(world: IngestWorld, payload: dict[str, object], **request: object) -> object:
    fields: dict[str, object] = {
        "sender_id": SENDER,
        "path_secret": SECRET,
        "client_ip": "203.0.113.7",
    }
    fields.update(request)
    return world.service.receive(WebhookRequest(body=body(payload), **fields))  # type: ignore[arg-type]


def fresh_alert(world: IngestWorld, **overrides: object) -> dict[str, object]:
    fired = world.clock.now() - timedelta(seconds=2)
    return tradingview_alert(**{"timenow": fired.strftime("%Y-%m-%dT%H:%M:%SZ"), **overrides})


def test_accepted_signal_is_stored_then_published_with_the_stored_bytes(world: IngestWorld) -> None:
    result = post(world, fresh_alert(world))

    assert result.outcome is Outcome.ACCEPTED
    assert result.signal_id == "trend-es_20261120_143000_1"
    assert result.published is True
    record = world.signals.get(result.signal_id)
    assert record.status is SignalStatus.ACCEPTED
    assert record.outbox_state is OutboxState.PUBLISHED
    assert record.message_id == "1"
    [message] = world.publisher.messages
    assert message.data == record.message.encode()
    assert message.ordering_key == "trend-es"
    assert message.attributes["strategy_id"] == "trend-es"
    signal = decode(message.data)
    assert signal.id == result.signal_id
    assert signal.account == "IBKR_Futures"
    assert json.loads(record.raw_payload)["ticker"] == "ES1!"


def test_secret_in_the_body_authenticates_and_is_redacted_from_the_stored_payload(
    world: IngestWorld,
) -> None:
    result = post(world, fresh_alert(world, secret=SECRET), path_secret=None)

    assert result.outcome is Outcome.ACCEPTED
    raw = world.signals.get(result.signal_id).raw_payload
    assert SECRET not in raw
    assert json.loads(raw)["secret"] == "[REDACTED]"


def test_sender_id_and_secret_may_both_come_in_the_body(world: IngestWorld) -> None:
    result = post(
        world,
        fresh_alert(world, sender_id=SENDER, passphrase=SECRET),
        sender_id=None,
        path_secret=None,
    )

    assert result.outcome is Outcome.ACCEPTED


def test_hmac_signature_authenticates_the_raw_body(world: IngestWorld) -> None:
    payload = body(fresh_alert(world))
    good = "sha256=" + sign_body(signing_key(SECRET), payload)

    accepted = world.service.receive(WebhookRequest(body=payload, sender_id=SENDER, signature=good))
    tampered = world.service.receive(
        WebhookRequest(body=payload.replace(b"ES1!", b"NQ1!"), sender_id=SENDER, signature=good)
    )

    assert accepted.outcome is Outcome.ACCEPTED
    assert tampered.outcome is Outcome.UNAUTHORIZED


@pytest.mark.parametrize(
    "request_fields",
    [
        {"sender_id": "nobody-000000"},
        {"path_secret": "wrong-secret"},
        {"path_secret": None},
        {"sender_id": None},
    ],
)
def test_every_authentication_failure_looks_the_same_and_stores_nothing(
    world: IngestWorld, request_fields: dict[str, object]
) -> None:
    result = post(world, fresh_alert(world), **request_fields)

    assert result.outcome is Outcome.UNAUTHORIZED
    assert result.detail == "authentication failed"
    assert result.signal_id is None
    assert world.signals.signals == {}
    assert world.publisher.messages == []


def test_disabled_sender_and_disallowed_address_are_refused_alike(world: IngestWorld) -> None:
    world.senders.save(a_sender(status=SenderStatus.DISABLED))
    disabled = post(world, fresh_alert(world))
    world.senders.save(a_sender(ip_allowlist=("52.89.214.238/32",)))
    elsewhere = post(world, fresh_alert(world))
    allowed = post(world, fresh_alert(world), client_ip="52.89.214.238")

    assert (disabled.outcome, disabled.detail) == (Outcome.UNAUTHORIZED, "authentication failed")
    assert (elsewhere.outcome, elsewhere.detail) == (Outcome.UNAUTHORIZED, "authentication failed")
    assert allowed.outcome is Outcome.ACCEPTED


def test_invalid_json_is_reported_only_to_an_authenticated_sender(world: IngestWorld) -> None:
    bad = b'{"ticker": "ES1!",'

    anonymous = world.service.receive(WebhookRequest(body=bad, sender_id="nobody", path_secret="x"))
    known = world.service.receive(WebhookRequest(body=bad, sender_id=SENDER, path_secret=SECRET))

    assert anonymous.outcome is Outcome.UNAUTHORIZED
    assert known.outcome is Outcome.INVALID
    assert known.field == "body"
    assert "not valid JSON" in known.detail
    assert world.signals.signals == {}


def test_unknown_strategy_and_another_senders_strategy_look_the_same(world: IngestWorld) -> None:
    world.strategies.create(a_strategy("their-strategy", sender_ids=("someone-else",)))

    unknown = post(world, fresh_alert(world, strategy_id="no-such"))
    theirs = post(world, fresh_alert(world, strategy_id="their-strategy"))

    assert (unknown.outcome, unknown.field) == (Outcome.INVALID, "strategy_id")
    assert (theirs.outcome, theirs.field) == (Outcome.INVALID, "strategy_id")
    assert unknown.detail == "unknown strategy 'no-such'"
    assert theirs.detail == "unknown strategy 'their-strategy'"
    assert world.signals.signals == {}


def test_validation_error_names_the_field_and_stores_nothing(world: IngestWorld) -> None:
    result = post(world, fresh_alert(world, contracts="lots"))

    assert (result.outcome, result.field) == (Outcome.INVALID, "contracts")
    assert world.signals.signals == {}


def test_inactive_strategy_is_rejected_with_its_reason_and_recorded(world: IngestWorld) -> None:
    world.strategies.save(a_strategy(status=StrategyStatus.INACTIVE))

    result = post(world, fresh_alert(world))

    assert result.outcome is Outcome.REJECTED
    assert result.reason is RejectionReason.STRATEGY_INACTIVE
    assert result.detail == "Strategy trend-es is INACTIVE"
    record = world.signals.get(result.signal_id)
    assert record.status is SignalStatus.REJECTED
    assert record.outbox_state is OutboxState.NOT_PUBLISHED
    assert world.publisher.messages == []


def test_testing_strategy_signal_is_accepted_and_tagged(world: IngestWorld) -> None:
    world.strategies.save(a_strategy(status=StrategyStatus.TESTING))

    result = post(world, fresh_alert(world))

    assert result.outcome is Outcome.ACCEPTED
    assert result.tags == ("TESTING",)
    assert decode(world.publisher.messages[0].data).tags == ("TESTING",)


@pytest.mark.parametrize(
    ("sender_lag", "strategy_lag", "age", "stale"),
    [
        (None, None, 119, False),
        (None, None, 121, True),
        (30, None, 31, True),
        (None, 30, 31, True),
        (600, 30, 31, True),
        (30, 600, 29, False),
    ],
)
def test_alerts_older_than_the_max_lag_are_rejected_as_stale(
    world: IngestWorld, sender_lag: int | None, strategy_lag: int | None, age: int, stale: bool
) -> None:
    world.senders.save(a_sender(max_lag_seconds=sender_lag))
    world.strategies.save(a_strategy(max_signal_lag_seconds=strategy_lag))
    fired = world.clock.now() - timedelta(seconds=age)

    result = post(world, tradingview_alert(timenow=fired.strftime("%Y-%m-%dT%H:%M:%SZ")))

    if stale:
        assert result.outcome is Outcome.REJECTED
        assert result.reason is RejectionReason.STALE
        assert world.signals.get(result.signal_id).status is SignalStatus.REJECTED
    else:
        assert result.outcome is Outcome.ACCEPTED


def test_alert_from_the_future_is_invalid(world: IngestWorld) -> None:
    fired = world.clock.now() + timedelta(minutes=5)

    result = post(world, tradingview_alert(timenow=fired.strftime("%Y-%m-%dT%H:%M:%SZ")))

    assert (result.outcome, result.field) == (Outcome.INVALID, "timenow")


def test_a_repeat_gets_the_original_signal_id_and_is_published_once(world: IngestWorld) -> None:
    first = post(world, fresh_alert(world))
    world.clock.advance(30)
    repeat = post(world, fresh_alert(world))
    replay = post(world, fresh_alert(world, timenow="2026-11-20T14:29:58Z"))

    assert first.outcome is Outcome.ACCEPTED
    assert repeat.outcome is Outcome.DUPLICATE
    assert replay.outcome is Outcome.DUPLICATE
    assert repeat.signal_id == replay.signal_id == first.signal_id
    assert len(world.publisher.messages) == 1


def test_a_different_bar_is_a_different_signal(world: IngestWorld) -> None:
    first = post(world, fresh_alert(world))
    second = post(world, fresh_alert(world, time="2026-11-20T14:30:00Z"))

    assert second.outcome is Outcome.ACCEPTED
    assert second.signal_id == "trend-es_20261120_143000_2"
    assert first.signal_id != second.signal_id


def test_alerts_without_a_time_are_deduplicated_within_the_window_only(world: IngestWorld) -> None:
    alert = {"strategy_id": "trend-es", "ticker": "AAPL", "action": "buy", "sentiment": "bullish"}

    first = post(world, alert)
    world.clock.advance(5)
    within = post(world, alert)
    world.clock.advance(6)
    after = post(world, alert)

    assert within.outcome is Outcome.DUPLICATE
    assert within.signal_id == first.signal_id
    assert after.outcome is Outcome.ACCEPTED
    assert after.signal_id != first.signal_id


def test_concurrent_copies_of_one_alert_yield_one_signal(world: IngestWorld) -> None:
    payload = fresh_alert(world)
    results = []

    def send() -> None:
        results.append(post(world, payload))

    threads = [threading.Thread(target=send) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    outcomes = sorted(result.outcome.value for result in results)
    assert outcomes.count("accepted") == 1
    assert outcomes.count("duplicate") == 15
    assert len({result.signal_id for result in results}) == 1
    assert len(world.publisher.messages) == 1


def test_failed_publish_leaves_the_signal_pending_until_the_sweep_sends_the_same_bytes(
    world: IngestWorld,
) -> None:
    world.publisher.failing = True
    result = post(world, fresh_alert(world))
    pending = world.signals.get(result.signal_id)

    world.publisher.failing = False
    too_early = world.service.publish_pending(min_age_seconds=30)
    world.clock.advance(31)
    swept = world.service.publish_pending(min_age_seconds=30)
    swept_again = world.service.publish_pending(min_age_seconds=30)

    assert result.outcome is Outcome.ACCEPTED
    assert result.published is False
    assert pending.outbox_state is OutboxState.PENDING
    assert "publisher unavailable" in pending.last_publish_error
    assert (too_early, swept, swept_again) == (0, 1, 0)
    [message] = world.publisher.messages
    assert message.data == pending.message.encode()
    assert message.ordering_key == "trend-es"
    assert world.signals.get(result.signal_id).outbox_state is OutboxState.PUBLISHED


def test_an_unreadable_pending_record_is_reported_and_does_not_stop_the_sweep(
    world: IngestWorld,
) -> None:
    world.publisher.failing = True
    first = post(world, fresh_alert(world, time="2026-11-20T14:00:00Z"))
    second = post(world, fresh_alert(world, time="2026-11-20T14:01:00Z"))
    corrupt = dataclasses.replace(world.signals.get(first.signal_id), message="{}")
    world.signals.signals[first.signal_id] = corrupt
    world.publisher.failing = False
    world.clock.advance(31)

    swept = world.service.publish_pending(min_age_seconds=30)

    assert swept == 1
    [message] = world.publisher.messages
    assert message.data == world.signals.get(second.signal_id).message.encode()
    assert world.signals.get(second.signal_id).outbox_state is OutboxState.PUBLISHED
    kept = world.signals.get(first.signal_id)
    assert kept.outbox_state is OutboxState.PENDING
    assert "not a valid mats.signal.v1" in kept.last_publish_error


def test_rate_limit_answers_with_a_wait_and_stores_nothing(world: IngestWorld) -> None:
    world.senders.save(a_sender(rate_limit_per_minute=2))
    outcomes = [
        post(world, fresh_alert(world, time=f"2026-11-20T14:0{i}:00Z")).outcome for i in range(3)
    ]
    limited = post(world, fresh_alert(world, time="2026-11-20T14:09:00Z"))

    assert outcomes == [Outcome.ACCEPTED, Outcome.ACCEPTED, Outcome.RATE_LIMITED]
    assert limited.retry_after_seconds > 0
    assert len(world.signals.signals) == 2


def test_repeated_authentication_failures_from_one_address_are_rate_limited(
    world: IngestWorld,
) -> None:
    outcomes = [post(world, fresh_alert(world), path_secret="guess").outcome for _ in range(121)]

    assert outcomes[:120] == [Outcome.UNAUTHORIZED] * 120
    assert outcomes[120] is Outcome.RATE_LIMITED


@pytest.mark.parametrize(
    ("signature", "path_secret", "body_secret", "outcome"),
    [
        ("valid", None, None, Outcome.ACCEPTED),
        ("valid", None, "wrong", Outcome.ACCEPTED),
        ("valid", None, SECRET, Outcome.ACCEPTED),
        ("valid", "wrong", None, Outcome.ACCEPTED),
        ("invalid", None, SECRET, Outcome.UNAUTHORIZED),
        ("invalid", SECRET, None, Outcome.UNAUTHORIZED),
        (None, None, SECRET, Outcome.ACCEPTED),
        (None, None, "wrong", Outcome.UNAUTHORIZED),
        (None, SECRET, "wrong", Outcome.ACCEPTED),
    ],
)
def test_a_present_signature_is_what_authenticates_whatever_else_the_request_holds(
    world: IngestWorld,
    signature: str | None,
    path_secret: str | None,
    body_secret: str | None,
    outcome: Outcome,
) -> None:
    extra = {"secret": body_secret} if body_secret else {}
    payload = body(fresh_alert(world, **extra))
    key = signing_key(SECRET) if signature == "valid" else signing_key("wrong")
    header = "sha256=" + sign_body(key, payload) if signature else None

    result = world.service.receive(
        WebhookRequest(body=payload, sender_id=SENDER, path_secret=path_secret, signature=header)
    )

    assert result.outcome is outcome
    if outcome is Outcome.ACCEPTED:
        raw = world.signals.get(result.signal_id).raw_payload
        assert SECRET not in raw
        assert "wrong" not in raw


def test_a_request_signed_with_the_stored_verifier_is_refused(world: IngestWorld) -> None:
    payload = body(fresh_alert(world))
    verifier = world.senders.get(SENDER).secret_verifier

    forged = world.service.receive(
        WebhookRequest(
            body=payload, sender_id=SENDER, signature="sha256=" + sign_body(verifier, payload)
        )
    )
    as_secret = post(world, fresh_alert(world), path_secret=verifier)

    assert forged.outcome is Outcome.UNAUTHORIZED
    assert as_secret.outcome is Outcome.UNAUTHORIZED


def test_without_its_key_in_the_secret_store_a_sender_cannot_sign_but_its_secret_works(
    world: IngestWorld,
) -> None:
    world.secrets.secrets.clear()
    payload = body(fresh_alert(world))
    good = "sha256=" + sign_body(signing_key(SECRET), payload)

    signed_result = world.service.receive(
        WebhookRequest(body=payload, sender_id=SENDER, signature=good)
    )
    secret_result = post(world, fresh_alert(world))

    assert signed_result.outcome is Outcome.UNAUTHORIZED
    assert secret_result.outcome is Outcome.ACCEPTED


def test_an_unknown_sender_reads_the_secret_store_as_a_known_one_does(world: IngestWorld) -> None:
    payload = body(fresh_alert(world))
    header = "sha256=" + sign_body(signing_key(SECRET), payload)

    world.service.receive(WebhookRequest(body=payload, sender_id="nobody-000000", signature=header))
    unknown_reads = list(world.secrets.reads)
    world.secrets.reads.clear()
    world.service.receive(WebhookRequest(body=payload, sender_id=SENDER, signature=header))

    assert unknown_reads == [UNKNOWN_KEY_NAME, UNKNOWN_KEY_NAME]
    assert len(world.secrets.reads) == 2


@pytest.mark.parametrize("header", ["", "sha256=", "sha256=" + "0" * 63, "x" * 8000])
def test_a_malformed_signature_header_is_invalid_and_stores_nothing(
    world: IngestWorld, header: str
) -> None:
    result = world.service.receive(
        WebhookRequest(body=body(fresh_alert(world)), sender_id=SENDER, signature=header)
    )

    assert (result.outcome, result.field) == (Outcome.INVALID, "X-Signature")
    assert world.signals.signals == {}


# Added to an otherwise valid alert, so each is refused for itself alone.
HOSTILE_MEMBERS = {
    "nested 1,200 deep": (b'"extra": ' + b"[" * 1200 + b"]" * 1200, "body"),
    "5,000-digit integer": (b'"contracts": ' + b"9" * 5000, "contracts"),
    "lone surrogate": (b'"exchange": "\\ud83dx"', "exchange"),
    "duplicate key": (b'"ticker": "NQ1!"', "ticker"),
    "NUL character": (b'"comment": "a\\u0000b"', "comment"),
    "500+ values": (b'"extra": [' + b"1," * 600 + b"1]", "body"),
    "long string": (b'"note": "' + b"x" * 2000 + b'"', "note"),
    "long key": (b'"' + b"k" * 100 + b'": 1', "'" + "k" * 32 + "'"),
    "tiny exponent": (b'"contracts": "1e-999999999"', "contracts"),
    "unicode digits as epoch": (b'"timenow": "\xc2\xb2"', "timenow"),
}
HOSTILE_BODIES = {
    "byte order mark": b"\xef\xbb\xbf{}",
    "bad UTF-8": b'{"ticker": "\xff"}',
    "not an object": b"[1, 2]",
    "a bare number": b"1" * 5000,
}


@pytest.mark.parametrize("hostile", HOSTILE_MEMBERS)
def test_hostile_members_are_invalid_naming_the_field_and_store_nothing(
    world: IngestWorld, hostile: str
) -> None:
    member, field = HOSTILE_MEMBERS[hostile]
    raw = body(fresh_alert(world))[:-1] + b", " + member + b"}"

    result = post_raw(world, raw)

    assert (result.outcome, result.field) == (Outcome.INVALID, field), result
    assert result.detail
    assert world.signals.signals == {}
    assert world.publisher.messages == []


@pytest.mark.parametrize("hostile", HOSTILE_BODIES)
def test_hostile_bodies_are_invalid_and_store_nothing(world: IngestWorld, hostile: str) -> None:
    result = post_raw(world, HOSTILE_BODIES[hostile])

    assert (result.outcome, result.field) == (Outcome.INVALID, "body"), result
    assert world.signals.signals == {}


def post_raw(world: IngestWorld, raw: bytes) -> object:
    return world.service.receive(WebhookRequest(body=raw, sender_id=SENDER, path_secret=SECRET))
