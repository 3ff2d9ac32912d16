"""The strategy registry over the API: an admin creates, edits and deletes strategies and syncs
a backtest as a job; deletion is refused while a strategy could still trade, a stale edit is a
409, a bad field a 422 naming it — and a refused request changes nothing, the audit log included.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from mats.domain.execution.records import moved, new_record
from mats.domain.execution.states import OrderState
from tests.builders import an_order, write_backtest
from tests.conftest import Stack, unique
from tests.integration.api.client import ApiClient
from tests.integration.api.writes import (
    ACCOUNT,
    audit_of,
    delete,
    newest_audit,
    put,
    recorded_account,
    register,
)


def listed(api: ApiClient, strategy_id: str) -> dict[str, Any]:
    """The strategy's row in the registry's list (searched by its id)."""
    rows = api.get(f"/api/strategies?search={strategy_id}").body["items"]
    return next(row for row in rows if row["strategy_id"] == strategy_id)


def a_strategy_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "strategy_id": unique("api-strat"),
        "name": "Trend over the API",
        "status": "ACTIVE",
        "trading_mode": "PAPER",
        "account": ACCOUNT,
    }
    body.update(overrides)
    return body


def test_an_admin_creates_edits_and_deletes_a_strategy_each_write_audited(
    api: ApiClient,
) -> None:
    body = a_strategy_body(
        max_position_size="25000",
        max_daily_loss="1000.50",
        notes="first notes",
        include_in_optimization=False,
        max_signal_lag_seconds=30,
        sender_ids=[],
    )
    strategy_id = body["strategy_id"]

    created = api.post("/api/strategies", body)
    shown = api.get(f"/api/strategies/{strategy_id}")
    edited = put(
        api,
        f"/api/strategies/{strategy_id}",
        {
            "notes": None,
            "max_daily_loss": "2000",
            "status": "TESTING",
            "expected_updated_at": created.body["updated_at"],
        },
    )
    deleted = delete(api, f"/api/strategies/{strategy_id}")
    gone = api.get(f"/api/strategies/{strategy_id}")

    assert created.status == 201, created.body
    assert created.body["risk_limits"] == {
        "max_position_size": "25000",
        "max_daily_loss": "1000.50",
    }
    assert (created.body["notes"], created.body["max_signal_lag_seconds"]) == ("first notes", 30)
    assert shown.body["strategy"] == created.body
    assert edited.status == 200, edited.body
    assert (edited.body["notes"], edited.body["status"]) == (None, "TESTING")
    assert edited.body["risk_limits"]["max_daily_loss"] == "2000"
    assert deleted.status == 200, deleted.body
    assert deleted.body["deleted"] == edited.body
    assert gone.status == 404
    update, creation = audit_of(api, strategy_id)[1:]
    removal = audit_of(api, strategy_id)[0]
    assert [creation["operation"], update["operation"], removal["operation"]] == [
        "create_strategy",
        "update_strategy",
        "delete_strategy",
    ]
    assert (creation["before"], creation["after"]) == (None, created.body)
    assert (update["before"], update["after"]) == (created.body, edited.body)
    assert (removal["before"], removal["after"]) == (edited.body, None)
    assert removal["by_email"] == "admin@example.test"


def test_bad_strategy_writes_name_the_problem_and_change_nothing(api: ApiClient) -> None:
    strategy_id = register(api)
    path = f"/api/strategies/{strategy_id}"
    stored = api.services.strategies.get(strategy_id)
    stale = datetime(2020, 1, 1, tzinfo=UTC).isoformat()
    audit_before = newest_audit(api)

    posted = "/api/strategies"
    cases = [
        (api.post(posted, a_strategy_body(account=None)), 422, "account", "string"),
        (api.post(posted, {"name": "x"}), 422, "strategy_id", "required"),
        (
            api.post(posted, a_strategy_body(max_position_size=25000.5)),
            422,
            "max_position_size",
            'as a decimal string such as "25000.5", not a JSON number',
        ),
        (
            api.post(posted, a_strategy_body(max_position_size="-5")),
            422,
            "max_position_size",
            "positive",
        ),
        (api.post(posted, a_strategy_body(max_daily_loss="1e3")), 422, "max_daily_loss", "12.5"),
        (api.post(posted, a_strategy_body(account="NoSuchAccount")), 422, "account", "unknown"),
        (api.post(posted, a_strategy_body(sender_ids=["nobody"])), 422, "sender_ids", "nobody"),
        (api.post(posted, a_strategy_body(sender_ids=[3])), 422, "sender_ids[0]", "sender id"),
        (api.post(posted, a_strategy_body(mode="PAPER")), 422, "mode", "not a field"),
        (api.post(posted, a_strategy_body(strategy_id="bad id")), 422, "strategy_id", ""),
        (api.post(posted, a_strategy_body(strategy_id=strategy_id)), 409, None, "exists"),
        (api.call("POST", posted, raw=b"{oops"), 400, "body", "JSON"),
        (put(api, path, {}), 422, "changes", "nothing to change"),
        (put(api, path, {"name": None}), 422, "name", "string"),
        (put(api, path, {"strategy_id": "other"}), 422, "strategy_id", "not a field"),
        (put(api, path, {"notes": "x", "expected_updated_at": stale}), 409, None, "reload it"),
        (
            put(api, path, {"notes": "x", "expected_updated_at": "yesterday"}),
            422,
            "expected_updated_at",
            "ISO-8601",
        ),
        (put(api, "/api/strategies/nobody-here", {"notes": "x"}), 404, None, "does not exist"),
        (delete(api, "/api/strategies/nobody-here"), 404, None, "does not exist"),
        (api.call("PATCH", path), 405, None, "not a method"),
    ]

    for answer, status, field, words in cases:
        assert answer.status == status, answer.body
        assert words in answer.body["error"], answer.body
        assert answer.body.get("field") == field, answer.body
    assert api.services.strategies.get(strategy_id) == stored
    assert newest_audit(api) == audit_before


def test_delete_is_refused_while_the_strategy_could_still_trade(api: ApiClient) -> None:
    services = api.services
    account = recorded_account(api)
    strategy_id, other_id = register(api, account), register(api, account)
    path = f"/api/strategies/{strategy_id}"
    allocate = {"allocations": {strategy_id: "5"}, "allow_close": True}
    assert put(api, "/api/portfolio/allocations/custom", allocate).status == 200

    refusals = []
    refusals.append(delete(api, path))
    assert (
        put(
            api,
            "/api/portfolio/allocations/custom",
            {
                "allocations": {other_id: "5"},
                "allow_close": True,
            },
        ).status
        == 200
    )
    services.operations.set_position(account, strategy_id, "MSFT", Decimal(600))
    refusals.append(delete(api, path))
    services.operations.set_position(account, strategy_id, "MSFT", Decimal(0))
    order = new_record(
        an_order(f"{strategy_id}_ORD", strategy_id=strategy_id, account=account),
        datetime.now(UTC),
    )
    services.execution_store.put_order(order)
    refusals.append(delete(api, path))
    still_there = services.strategies.get(strategy_id)
    audited = [entry["operation"] for entry in audit_of(api, strategy_id)]
    services.execution_store.put_order(
        moved(order, OrderState.CANCELLED, datetime.now(UTC), "test over")
    )
    deleted = delete(api, path)

    assert [answer.status for answer in refusals] == [409, 409, 409]
    messages = [answer.body["error"] for answer in refusals]
    assert messages[0].startswith(f"strategy '{strategy_id}' cannot be deleted while it has 5%")
    assert "in the ACTIVE allocation" in messages[0]
    assert messages[1].endswith(f"while it holds long 600 MSFT on {account}")
    assert messages[2].endswith(f"while it has 1 working order: {strategy_id}_ORD NEW BUY 10 AAPL")
    assert still_there.strategy_id == strategy_id
    assert "delete_strategy" not in audited
    assert deleted.status == 200, deleted.body
    assert services.strategy_store.get(strategy_id) is None


def test_a_backtest_sync_is_a_job_whose_progress_can_be_followed(
    api: ApiClient, stack: Stack
) -> None:
    strategy_id = register(api)
    directory = stack.state_dir / "backtests"  # The stack's MATS_BACKTEST_DIR.
    directory.mkdir(exist_ok=True)
    written = write_backtest(directory, strategy_id, 0.0005, 11)
    daily = [float(row.split(",")[1]) for row in written.read_text().splitlines()[1:]]
    listed_before = listed(api, strategy_id)

    queued = api.post(f"/api/strategies/{strategy_id}/sync-backtest")
    job_id = queued.body["job_id"]
    deadline = time.monotonic() + 60
    job = api.get(f"/api/jobs/{job_id}")
    while job.body["status"] not in ("COMPLETED", "FAILED") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = api.get(f"/api/jobs/{job_id}")

    assert queued.status == 202, queued.body
    assert (queued.body["status"], queued.body["strategy_ids"]) == ("QUEUED", [strategy_id])
    assert queued.body["requested_by"] == "admin@example.test"
    assert job.status == 200
    assert job.body["status"] == "COMPLETED", job.body
    assert (job.body["done"], job.body["total"]) == (1, 1)
    assert job.body["results"] == {strategy_id: "stored"}
    backtest = api.get(f"/api/strategies/{strategy_id}").body["backtest"]
    assert backtest["strategy_id"] == strategy_id
    wins = sum(r > 0 for r in daily) / sum(r != 0 for r in daily)
    assert backtest["statistics"]["win_rate"] == pytest.approx(wins)
    assert (listed_before["has_backtest"], listed(api, strategy_id)["has_backtest"]) == (
        False,
        True,
    )
    (entry,) = audit_of(api, strategy_id)
    assert (entry["operation"], entry["after"]["job_id"]) == ("sync_backtest", job_id)
    assert api.post("/api/strategies/nobody-here/sync-backtest").status == 404
    assert api.get("/api/jobs/SYNC_NOPE").status == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/strategies", {"strategy_id": "x"}),
        ("PUT", "/api/strategies/{id}", {"notes": "x"}),
        ("DELETE", "/api/strategies/{id}", None),
        ("POST", "/api/strategies/{id}/sync-backtest", None),
        ("GET", "/api/jobs/SYNC_X", None),
        ("PUT", "/api/portfolio/allocations/custom", {"allocations": {"{id}": "5"}}),
        ("GET", "/api/portfolio/optimization/latest", None),
        ("GET", "/api/portfolio/optimization/runs/OPT_X", None),
        ("POST", "/api/sandbox/runs", {"include_live": False}),
        ("GET", "/api/sandbox/runs", None),
        ("GET", "/api/sandbox/runs/SBX_X", None),
    ],
)
def test_a_client_or_a_sender_may_not_call_these_admin_routes(
    api: ApiClient, method: str, path: str, body: Any
) -> None:
    strategy_id = register(api)
    stored = api.services.strategies.get(strategy_id)
    current = api.services.allocations.current()
    audit_before = newest_audit(api)
    route = path.replace("{id}", strategy_id)
    sent = json.loads(json.dumps(body).replace("{id}", strategy_id))
    client = api.user("c1", {"role": "client", "client_id": "x"})
    sender = api.user("s1", {"role": "sender", "sender_id": "y"})

    answers = [api.call(method, route, body=sent, as_=who) for who in (client, sender)]

    assert [answer.status for answer in answers] == [403, 403]
    assert api.services.strategies.get(strategy_id) == stored
    assert api.services.allocations.current() == current
    assert newest_audit(api) == audit_before
