"""``functions/dashboard`` on the local stack: Pub/Sub pushes into read models, and the
Scheduler's routes, each answering once per business key."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from mats.contracts import AccountUpdateV1, encode, to_message
from mats.domain.accounting.views import LedgerRecord, PnlView
from mats.domain.orders import Fill
from mats.domain.trading import OrderPurpose, Side, TradingMode
from tests.conftest import Stack, unique


def post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for(read: Any, until: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if value is not None and until(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout} s; last: {value!r}")
        time.sleep(0.1)


def a_fill(strategy: str, execution: str, side: Side, quantity: str, price: str) -> Fill:
    when = datetime.now(UTC)
    return Fill(
        id=execution,
        created_at=when,
        order_id=f"{strategy}_sig_ORD",
        signal_id=f"{strategy}_sig",
        strategy_id=strategy,
        account="IBKR_Main",
        broker="ib",
        trading_mode=TradingMode.LIVE,
        symbol="AAPL",
        side=side,
        quantity=Decimal(quantity),
        price=Decimal(price),
        commission=Decimal("1.00"),
        currency="USD",
        executed_at=when,
        purpose=OrderPurpose.ENTRY,
    )


def test_pushed_fills_reach_the_read_models_once(stack: Stack, services: Any) -> None:
    strategy = unique("dash")
    buy = a_fill(strategy, f"{strategy}-e1", Side.BUY, "10", "100")
    sell = a_fill(strategy, f"{strategy}-e2", Side.SELL, "4", "110")
    for _ in range(3):  # At least once: the same execution three times.
        services.publisher.publish(encode(to_message(buy)), timeout=10)
    ledger_id = f"IBKR_Main__{strategy}__AAPL"
    wait_for(
        lambda: services.records.get("ledgers", ledger_id, LedgerRecord),
        lambda record: record.fills_applied == 1,
    )
    services.publisher.publish(encode(to_message(sell)), timeout=10)  # The marker: after it,
    record = wait_for(  # every earlier delivery has been taken.
        lambda: services.records.get("ledgers", ledger_id, LedgerRecord),
        lambda record: record.fills_applied == 2,
    )
    view = wait_for(
        lambda: services.records.get("pnl_views", f"strategy__{strategy}", PnlView),
        lambda view: view.realized != 0,
    )
    assert record.quantity == 6
    # 4 x (110 - 100) = 40.00 realised; 1.00 + 1.00 commissions.
    assert (view.realized, view.commissions) == (Decimal("40.00"), Decimal("2.00"))


def test_an_older_account_update_never_replaces_a_newer(stack: Stack, services: Any) -> None:
    account = unique("ACC")
    now = datetime.now(UTC).replace(microsecond=0)

    def update(equity: str, as_of: datetime) -> AccountUpdateV1:
        return AccountUpdateV1(
            id=f"{account}@{as_of:%Y%m%dT%H%M%S}",
            created_at=now,
            account=account,
            broker="ib",
            currency="USD",
            equity=Decimal(equity),
            cash=Decimal(equity),
            margin_used=Decimal(0),
            as_of=as_of,
        )

    services.publisher.publish(encode(update("2000", now)), timeout=10)
    latest = services.ledger_store
    wait_for(
        lambda: {a.account: a for a in latest.latest_accounts()}.get(account),
        lambda state: state.equity == 2000,
    )
    services.publisher.publish(encode(update("1000", now - timedelta(minutes=5))), timeout=10)
    # The older one is kept in the history (its own document) and changes nothing else.
    wait_for(
        lambda: len([a for a in latest.accounts_at(now) if a.account == account]) or None,
        lambda found: True,
    )
    history = services.firestore.collection("account_history")
    wait_for(
        lambda: len([s for s in history.stream() if s.id.startswith(f"{account}__")]),
        lambda count: count == 2,
    )
    state = {a.account: a for a in latest.latest_accounts()}[account]
    assert state.equity == 2000


def test_scheduler_routes_answer_once_per_business_key(stack: Stack) -> None:
    base = stack.info["function_urls"]["dashboard"]
    status, first = post(f"{base}/snapshot", {})
    assert status == 200
    assert first["status"] in ("taken", "repeat")
    status, again = post(f"{base}/snapshot", {})
    assert (status, again["status"]) == (200, "repeat")
    assert again["snapshot"]["snapshot_id"] == first["snapshot"]["snapshot_id"]
    status, struck = post(f"{base}/strike", {})
    assert status == 200
    status, repeat = post(f"{base}/strike", {})
    assert (status, repeat["status"]) == (200, "repeat")
    assert repeat["strike"] == struck["strike"]


def test_scheduler_routes_name_a_bad_field(stack: Stack) -> None:
    base = stack.info["function_urls"]["dashboard"]
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    cases = [
        ("/strike", {"date": "31/12/2026"}, "date"),
        ("/strike", {"date": tomorrow}, "at"),
        ("/month-end", {"month": "2026-13"}, "month"),
        ("/snapshot", {"at": "yesterday"}, "at"),
    ]
    for path, body, field in cases:
        status, answer = post(f"{base}{path}", body)
        assert status == 422, (path, answer)
        assert answer["field"] == field, (path, answer)
    status, answer = post(f"{base}/strike", [])  # type: ignore[arg-type]
    assert (status, answer["field"]) == (400, "body")


def test_the_health_view_shows_the_bridge_session_and_what_arrived(
    stack: Stack, services: Any
) -> None:
    from mats.domain.accounting.views import HealthView  # noqa: PLC0415
    from mats.domain.venues import BridgeHealth  # noqa: PLC0415

    bridge = wait_for(
        lambda: services.records.get("bridge_health", "current", BridgeHealth),
        lambda health: health.ready,
    )
    assert {venue.name for venue in bridge.venues} >= {"IB"}
    base = stack.info["function_urls"]["dashboard"]
    status, _ = post(f"{base}/snapshot", {})
    assert status == 200
    health = services.records.get("health", "current", HealthView)
    assert health.bridge is not None
    assert health.bridge.ready
    assert health.last_snapshot_at is not None
