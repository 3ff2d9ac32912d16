"""The admin's journey on the demo stack, over HTTP as the web dashboard makes it: sign in through
the Auth emulator with a password and the SMS code, review the demo's pending recommendation,
approve it, and see the next alert sized with the approved allocation."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import REPO, Stack, start_stack, stop_stack
from tests.integration.firebase_signin import AuthEmulatorSignIn, SignInRefusedError
from tests.integration.test_cli import mats_json
from tests.integration.trading import until


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("journey"))
    try:
        yield running
    finally:
        if running.process.poll() is None:
            stop_stack(running)


class Browser:
    """What the dashboard's page does: the signed-in user's ID token on every API call."""

    def __init__(self, api_url: str, token: str) -> None:
        self.api_url, self.token = api_url, token

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            self.api_url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def get(self, path: str) -> Any:
        status, body = self.call("GET", path)
        assert status == 200, (path, status, body)
        return body


def _admin(stack: Stack) -> dict[str, Any]:
    saved = json.loads((stack.state_dir / "demo-users.json").read_text())
    return next(user for user in saved if user["role"] == "admin")


def _alert(stack: Stack) -> str:
    sent = mats_json(
        stack,
        *("signals", "send", "--strategy", "trend-es", "--ticker", "ES1!", "--action", "buy"),
        *("--contracts", "1", "--price", "5012.25", "--position", "long"),
        *("--position-size", "1", "--prev-position", "flat"),
    )
    assert sent["http_status"] == 202, sent
    return str(sent["response"]["signal_id"])


def _decided(stack: Stack, signal_id: str) -> dict[str, Any]:
    def decision() -> dict[str, Any] | None:
        found = [d for d in mats_json(stack, "decisions", "list") if d["signal_id"] == signal_id]
        return found[0] if found else None

    return until(decision, timeout=60, what=f"the decision on {signal_id}")


def _allocation_input(decision: dict[str, Any]) -> dict[str, Any]:
    return next(i for i in decision["inputs"] if i["name"] == "allocation_percent")


def _exit(stack: Stack) -> None:
    """Close what the first alert opened, so the second is a fresh entry sized from flat."""
    mats_json(
        stack,
        *("signals", "send", "--strategy", "trend-es", "--ticker", "ES1!", "--action", "sell"),
        *("--contracts", "1", "--price", "5012.25", "--position", "flat"),
        *("--position-size", "0", "--prev-position", "long", "--prev-position-size", "1"),
    )

    def flat() -> bool:
        held = mats_json(stack, "positions", "list")
        return not any(p["strategy_id"] == "trend-es" and p["quantity"] != "0" for p in held)

    until(flat, timeout=60, what="trend-es flat again")


def test_an_admin_signed_in_with_sms_approves_the_recommendation_and_the_next_alert_uses_it(
    demo_stack: Stack,
) -> None:
    admin = _admin(demo_stack)
    auth = AuthEmulatorSignIn.from_stack(demo_stack)
    with pytest.raises(SignInRefusedError) as password_only:
        auth.sign_in(admin["email"], admin["password"])
    browser = Browser(
        demo_stack.info["api_url"], auth.sign_in_with_mfa(admin["email"], admin["password"])
    )
    before = _decided(demo_stack, _alert(demo_stack))
    _exit(demo_stack)

    me = browser.get("/me")
    current = browser.get("/portfolio/allocations/current")
    pending = browser.get("/portfolio/allocations/latest-recommendation")
    status, approved = browser.call(
        "POST", f"/portfolio/allocations/{pending['allocation_id']}/approve", {}
    )
    again, repeated = browser.call(
        "POST", f"/portfolio/allocations/{pending['allocation_id']}/approve", {}
    )
    stale, refused = browser.call(
        "POST", f"/portfolio/allocations/{pending['allocation_id']}/reject", {"reason": "late"}
    )
    active = browser.get("/portfolio/allocations/current")
    audit = browser.get("/audit-log?limit=5")["items"]
    after = _decided(demo_stack, _alert(demo_stack))

    assert password_only.value.reason == "MFA_REQUIRED"
    assert (me["role"], me["email"]) == ("admin", admin["email"])
    assert pending["status"] == "PENDING_APPROVAL"
    assert pending["allocations"] != current["allocations"]
    assert status == 200, approved
    assert (again, repeated["allocation"]) == (200, approved["allocation"])  # A retry.
    assert stale == 409, refused  # No longer pending: a stale rejection changes nothing.
    assert active["allocation_id"] == pending["allocation_id"]
    assert active["status"] == "ACTIVE"
    assert active["approved_by"] == admin["email"]
    approvals = [e for e in audit if e["operation"] == "approve_allocation"]
    assert len(approvals) == 1
    approval = approvals[0]
    assert approval["by_email"] == admin["email"]
    assert approval["target"] == pending["allocation_id"]
    # The decision before sized trend-es with the demo's allocation, the one after with the
    # approved recommendation, and says so.
    assert _allocation_input(before) == {
        **_allocation_input(before),
        "value": current["allocations"]["trend-es"],
        "source": f"portfolio_allocations/{current['allocation_id']}",
    }
    assert _allocation_input(after) == {
        **_allocation_input(after),
        "value": pending["allocations"]["trend-es"],
        "source": f"portfolio_allocations/{pending['allocation_id']}",
    }
    assert after["status"] == "APPROVED", after["summary"]


def test_the_health_page_lists_every_process_and_every_subscriptions_backlog(
    demo_stack: Stack,
) -> None:
    admin = _admin(demo_stack)
    auth = AuthEmulatorSignIn.from_stack(demo_stack)
    token = auth.sign_in_with_mfa(admin["email"], admin["password"])
    browser = Browser(demo_stack.info["api_url"], token)
    topology = json.loads((REPO / "infra" / "pubsub" / "topology.json").read_text())

    health = until(
        lambda: (answer := browser.get("/health")) and answer["processes"] and answer,
        timeout=60,
        what="a health view with the platform's processes",
    )

    processes = {process["name"]: process for process in health["processes"]}
    assert set(processes) == set(demo_stack.info["child_pids"])
    assert all(process["ready"] and process["state"] == "running" for process in processes.values())
    backlog = {item["subscription"]: item["undelivered"] for item in health["backlog"]}
    assert set(backlog) == {s["name"] for s in topology["subscriptions"]}
    assert all(count >= 0 for count in backlog.values())
    assert health["platform_error"] is None
