"""Senders and clients over the API on the real stack. A sender's secret is in the answer that
issues it and nowhere else — not in a later read, the audit log or any log file of the stack —
and it signs webhooks that ingest accepts. A deposit sent three times, or many times at once,
with one request id books one flow; different request ids each book theirs."""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mats.domain.senders import sign_body, signing_key
from mats.domain.strategies import StrategyStatus
from mats.domain.trading import TradingMode
from mats.services.registry import StrategyChanges
from tests.builders import tradingview_alert
from tests.conftest import Stack, http_post, unique
from tests.integration.api.client import ApiClient
from tests.integration.api.writes import ACCOUNT, audit_of, newest_audit
from tests.integration.firebase_signin import AuthEmulatorSignIn


def request_id() -> str:
    return str(uuid.uuid4())


def alert_for(strategy_id: str, minute: int) -> bytes:
    fired = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    bar = f"2026-11-22T10:{minute:02d}:00Z"
    return json.dumps(tradingview_alert(strategy_id=strategy_id, timenow=fired, time=bar)).encode()


def strategy_for(api: ApiClient, sender_id: str) -> str:
    strategy_id = unique("api-sender")
    api.services.strategies.create(
        strategy_id,
        StrategyChanges(
            name=strategy_id,
            status=StrategyStatus.ACTIVE,
            trading_mode=TradingMode.PAPER,
            account=ACCOUNT,
            sender_ids=(sender_id,),
        ),
    )
    return strategy_id


def logs_of_the_stack(stack: Stack, caplog: pytest.LogCaptureFixture) -> Iterator[str]:
    for path in sorted(stack.state_dir.rglob("*.log")):
        yield path.read_text(errors="replace")
    yield caplog.text


def test_a_senders_secret_is_shown_once_signs_webhooks_and_is_kept_nowhere_readable(
    stack: Stack, api: ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = api.post(
        "/api/senders",
        {"name": unique("Api Sender"), "ip_allowlist": ["127.0.0.1"], "rate_limit_per_minute": 600},
    )
    sender_id = created.body["sender"]["sender_id"]
    secret = created.body["secret"]
    strategy_id = strategy_for(api, sender_id)
    url = f"{stack.ingest_url}/webhook/{sender_id}"
    body = alert_for(strategy_id, 1)

    in_path = http_post(f"{url}/{secret}", alert_for(strategy_id, 0))[0]
    signed = http_post(url, body, {"X-Signature": "sha256=" + sign_body(signing_key(secret), body)})
    listed = api.get("/api/senders")
    shown = api.get(f"/api/senders/{sender_id}")
    audit = api.get("/api/audit-log?limit=200")

    assert created.status == 201, created.body
    assert created.body["sender"]["ip_allowlist"] == ["127.0.0.1/32"]
    assert (in_path, signed[0]) == (202, 202), signed
    ours = [s for s in listed.body["items"] if s["sender_id"] == sender_id]
    assert ours == [created.body["sender"]]
    for item in listed.body["items"]:
        assert not {"secret_verifier", "previous_secret_verifier", "secret"} & set(item)
    for answer in (listed, shown, audit):
        assert secret not in json.dumps(answer.body)
        assert signing_key(secret) not in json.dumps(answer.body)
    (entry,) = audit_of(api, sender_id)
    assert (entry["operation"], entry["before"]) == ("create_sender", None)
    assert entry["after"] == created.body["sender"]
    assert entry["by_email"] == "admin@example.test"
    for text in logs_of_the_stack(stack, caplog):
        assert secret not in text
        assert signing_key(secret) not in text


def test_over_http_an_mfa_admins_new_sender_secret_works_and_reaches_no_log(
    stack: Stack, api: ApiClient
) -> None:
    signin = AuthEmulatorSignIn.from_stack(stack)
    tag = unique("ops")
    email, password = f"admin-{tag}@example.test", "ops-" + "x" * 12
    admin = api.services.users.create(email, "admin", password=password, email_verified=True)
    signin.emulator.enroll_phone(admin.user.uid, "+15555550143", f"enr-{tag}")
    headers = {
        "Authorization": f"Bearer {signin.sign_in_with_mfa(email, password)}",
        "Content-Type": "application/json",
    }
    api_url = stack.info["function_urls"]["dashboard"] + "/api/senders"

    status, _, created = http_post(api_url, json.dumps({"name": unique("Http")}).encode(), headers)
    sender_id = created["sender"]["sender_id"]
    rotated = http_post(f"{api_url}/{sender_id}/rotate", b"", headers)
    strategy_id = strategy_for(api, sender_id)
    webhook = f"{stack.ingest_url}/webhook/{sender_id}"
    old_secret, new_secret = created["secret"], rotated[2]["secret"]

    accepted = http_post(f"{webhook}/{new_secret}", alert_for(strategy_id, 20))[0]
    refused = http_post(f"{webhook}/{old_secret}", alert_for(strategy_id, 21))[0]

    assert (status, rotated[0]) == (201, 200), (created, rotated)
    assert (accepted, refused) == (202, 401)
    entries = audit_of(api, sender_id)
    assert {e["by_email"] for e in entries} == {email}
    logs = sorted(stack.state_dir.rglob("*.log"))
    assert "dashboard.log" in {path.name for path in logs}  # The function that answered.
    for secret in (old_secret, new_secret):
        assert secret not in json.dumps(entries)
        for path in logs:
            assert secret not in path.read_text(errors="replace"), path


def test_rotation_shows_a_new_secret_once_and_disabling_refuses_the_senders_webhooks(
    stack: Stack, api: ApiClient
) -> None:
    created = api.post("/api/senders", {"name": unique("Rotating")}).body
    sender_id, old = created["sender"]["sender_id"], created["secret"]
    strategy_id = strategy_for(api, sender_id)
    url = f"{stack.ingest_url}/webhook/{sender_id}"

    rotated = api.post(f"/api/senders/{sender_id}/rotate", {"grace_seconds": 0})
    new = rotated.body["secret"]
    with_old, with_new = (
        http_post(f"{url}/{old}", alert_for(strategy_id, 10))[0],
        http_post(f"{url}/{new}", alert_for(strategy_id, 11))[0],
    )
    disabled = api.post(f"/api/senders/{sender_id}/disable")
    disabled_again = api.post(f"/api/senders/{sender_id}/disable")
    while_disabled = http_post(f"{url}/{new}", alert_for(strategy_id, 12))[0]
    enabled = api.post(f"/api/senders/{sender_id}/enable")
    after = http_post(f"{url}/{new}", alert_for(strategy_id, 13))[0]

    assert rotated.status == 200, rotated.body
    assert new != old
    assert (with_old, with_new, while_disabled, after) == (401, 202, 401, 202)
    assert (disabled.body["status"], enabled.body["status"]) == ("DISABLED", "ACTIVE")
    assert disabled_again.body == disabled.body
    operations = [e["operation"] for e in audit_of(api, sender_id)]
    assert operations == [
        "enable_sender",
        "disable_sender",
        "rotate_sender_secret",
        "create_sender",
    ]
    log = json.dumps(api.get("/api/audit-log?limit=200").body)
    assert old not in log
    assert new not in log


def test_bad_sender_requests_are_refused_and_change_nothing(stack: Stack, api: ApiClient) -> None:
    taken = api.post("/api/senders", {"name": unique("Taken")}).body["sender"]
    listed = api.get("/api/senders").body
    audit_before = newest_audit(api)
    keys = Path(stack.info["secrets_dir"])
    keys_before = sorted(keys.iterdir())

    cases = [
        (api.post("/api/senders", {"name": taken["name"].upper()}), 409, None),
        (
            api.post("/api/senders", {"name": "x", "ip_allowlist": ["not-an-ip"]}),
            422,
            "ip_allowlist",
        ),
        (api.post("/api/senders", {"name": "x", "ip_allowlist": [7]}), 422, "ip_allowlist[0]"),
        (
            api.post("/api/senders", {"name": "x", "rate_limit_per_minute": 0}),
            422,
            "rate_limit_per_minute",
        ),
        (api.post("/api/senders", {"name": ""}), 422, "name"),
        (api.post("/api/senders", {"name": "x", "secret": "mine"}), 422, "secret"),
        (api.post("/api/senders/no-such-sender/rotate", {}), 404, None),
        (
            api.post(f"/api/senders/{taken['sender_id']}/rotate", {"grace_seconds": -1}),
            422,
            "grace_seconds",
        ),
        (api.post("/api/senders/no-such-sender/disable"), 404, None),
        (api.post(f"/api/senders/{taken['sender_id']}/disable", {"now": True}), 400, "body"),
    ]

    for answer, status, field in cases:
        assert answer.status == status, answer.body
        fields = field if isinstance(field, tuple) else (field,)
        assert answer.body.get("field") in fields, answer.body
    assert api.get("/api/senders").body == listed
    assert newest_audit(api) == audit_before
    assert sorted(keys.iterdir()) == keys_before  # No signing key kept for a refused sender.


def a_client(api: ApiClient) -> str:
    client_id = unique("api-client")
    created = api.post("/api/clients", {"client_id": client_id, "name": "Api Client"})
    assert created.status == 201, created.body
    return client_id


def flows_of(api: ApiClient, client_id: str) -> list[Any]:
    return api.services.accounting.investors.flows(client_id)


def test_a_deposit_sent_three_times_books_one_flow_and_is_audited_once(api: ApiClient) -> None:
    client_id = a_client(api)
    path = f"/api/clients/{client_id}/deposits"
    body = {"request_id": request_id(), "amount": "2500.50"}

    answers = [api.post(path, body) for _ in range(3)]
    page = api.get(f"/api/clients/{client_id}")

    assert [a.status for a in answers] == [201, 201, 201], answers[0].body
    assert answers[0].body == answers[1].body == answers[2].body
    flow = answers[0].body
    assert (flow["kind"], flow["amount"], flow["status"]) == ("DEPOSIT", "2500.50", "PENDING")
    assert [f.flow_id for f in flows_of(api, client_id)] == [flow["flow_id"]]
    assert [line["flow_id"] for line in page.body["client"]["pending"]] == [flow["flow_id"]]
    deposits = [e for e in audit_of(api, client_id) if e["operation"] == "record_deposit"]
    assert [e["after"] for e in deposits] == [flow]
    assert deposits[0]["by_email"] == "admin@example.test"


def test_concurrent_deposits_book_once_per_request_id(api: ApiClient) -> None:
    client_id = a_client(api)
    path = f"/api/clients/{client_id}/deposits"
    same, other = request_id(), request_id()
    bodies = [{"request_id": same, "amount": "100"}] * 6 + [{"request_id": other, "amount": "100"}]

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        answers = list(pool.map(lambda body: api.post(path, body), bodies))

    assert {a.status for a in answers} == {201}, [a.body for a in answers]
    assert len({a.body["flow_id"] for a in answers}) == 2
    assert len(flows_of(api, client_id)) == 2
    deposits = [e for e in audit_of(api, client_id) if e["operation"] == "record_deposit"]
    assert len(deposits) == 2


def test_bad_flows_are_refused_naming_the_field_and_book_nothing(api: ApiClient) -> None:
    client_id = a_client(api)
    deposits, withdrawals = (
        f"/api/clients/{client_id}/{kind}" for kind in ("deposits", "withdrawals")
    )
    used = request_id()
    api.post(deposits, {"request_id": used, "amount": "100"})
    audit_before = newest_audit(api)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()

    cases = [
        (api.post(deposits, {"request_id": request_id(), "amount": 100}), 422, "amount"),
        (api.post(deposits, {"request_id": request_id(), "amount": "1e3"}), 422, "amount"),
        (api.post(deposits, {"request_id": request_id(), "amount": "-5"}), 422, "amount"),
        (api.post(deposits, {"request_id": request_id(), "amount": "0"}), 422, "amount"),
        (api.post(deposits, {"request_id": request_id(), "amount": "10.001"}), 422, "amount"),
        (api.post(deposits, {"amount": "10"}), 422, "request_id"),
        (api.post(deposits, {"request_id": "x_y", "amount": "10"}), 422, "request_id"),
        (
            api.post(deposits, {"request_id": request_id(), "amount": "10", "date": tomorrow}),
            422,
            "date",
        ),
        (
            api.post(deposits, {"request_id": request_id(), "amount": "10", "date": "2026-02-30"}),
            422,
            "date",
        ),
        (api.post(deposits, {"request_id": used, "amount": "200"}), 409, "request_id"),
        (api.post(withdrawals, {"request_id": used, "amount": "100"}), 409, "request_id"),
        # Nothing to withdraw yet: the deposit is not dealt. Before the session's fund struck any
        # NAV the refusal names the client (no strike); after one, the amount (0 units free).
        (
            api.post(withdrawals, {"request_id": request_id(), "amount": "50"}),
            422,
            ("client", "amount"),
        ),
        (
            api.post(withdrawals, {"request_id": request_id(), "amount": "5", "units": "1"}),
            422,
            "amount",
        ),
        (
            api.post(
                "/api/clients/no-such-client/deposits", {"request_id": request_id(), "amount": "5"}
            ),
            404,
            None,
        ),
        (api.post("/api/clients", {"client_id": client_id, "name": "Again"}), 409, "client_id"),
        (api.post("/api/clients", {"client_id": "bad id", "name": "x"}), 422, "client_id"),
    ]

    for answer, status, field in cases:
        assert answer.status == status, answer.body
        fields = field if isinstance(field, tuple) else (field,)
        assert answer.body.get("field") in fields, answer.body
    assert len(flows_of(api, client_id)) == 1
    assert newest_audit(api) == audit_before


@pytest.fixture
def own_fund(stack: Stack) -> Iterator[ApiClient]:
    """An API over a project of its own, where a NAV strike touches no other test's fund."""
    from mats.bootstrap import bootstrap  # noqa: PLC0415 - needs the stack's environment.

    env = {**os.environ, "GOOGLE_CLOUD_PROJECT": unique("flows")}
    services = bootstrap({**env, "MATS_BRIDGE_URL": stack.info["bridge_url"]})
    try:
        yield ApiClient(services)
    finally:
        services.close()


def test_a_withdrawal_beyond_the_free_holding_is_refused_as_the_accounting_refuses_it(
    own_fund: ApiClient,
) -> None:
    client_id = a_client(own_fund)
    deposits, withdrawals = (
        f"/api/clients/{client_id}/{kind}" for kind in ("deposits", "withdrawals")
    )
    own_fund.post(deposits, {"request_id": request_id(), "amount": "1000"})
    own_fund.services.accounting.strike()  # The first strike: 10 units at 100.
    kept = request_id()

    over = own_fund.post(withdrawals, {"request_id": request_id(), "amount": "1000.01"})
    over_units = own_fund.post(withdrawals, {"request_id": request_id(), "units": "10.000001"})
    part = own_fund.post(withdrawals, {"request_id": kept, "amount": "400"})
    part_again = own_fund.post(withdrawals, {"request_id": kept, "amount": "400"})
    rest = own_fund.post(withdrawals, {"request_id": request_id(), "amount": "600.01"})
    units = own_fund.post(withdrawals, {"request_id": request_id(), "units": "6"})

    assert (over.status, over.body["field"]) == (422, "amount")
    assert "holds 10.000000 units free" in over.body["error"]
    assert (over_units.status, over_units.body["field"]) == (422, "units")
    assert part.status == 201, part.body
    assert part_again.body == part.body
    assert (rest.status, rest.body["field"]) == (422, "amount")  # 400 is pending already.
    assert "holds 6.000000 units free" in rest.body["error"]
    assert units.status == 201, units.body
    pending = [f for f in flows_of(own_fund, client_id) if f.status.value == "PENDING"]
    assert {(f.amount, f.units) for f in pending} == {(Decimal(400), None), (None, Decimal(6))}
