"""The activity reads over the API, on signals driven through the stack: webhooks in, Cerebro's
decisions, orders filled at the simulated IB Gateway, fills, positions and the accounting's
figures out — each list filtered and paged with cursors (no page repeats or skips), unknown
ids 404, bad filters 422 naming the field, every answer in its documented shape; and a sender's
signals with Cerebro's sizing, their own only."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from mats.domain.execution.states import OrderState
from mats.domain.strategies import StrategyStatus
from mats.domain.trading import TradingMode
from mats.services.registry import IssuedSecret, StrategyChanges
from tests.builders import tradingview_alert
from tests.conftest import Stack, http_post, unique
from tests.integration.api.client import Answer, ApiClient
from tests.integration.api.shapes import answer_schema, problems
from tests.integration.trading import order_in, until, value_every_account
from tests.integration.trading_desk import ACCOUNT, PRICE, new_stocks


@dataclass(frozen=True)
class World:
    sender: str  # Sender A: the traded strategy's, the idle one's and the inactive one's.
    other_sender: str  # Sender B, with a signal of their own.
    live: str
    idle: str  # ACTIVE with no allocation: Cerebro refuses its entries.
    traded: tuple[str, ...]  # The live strategy's signals, oldest first, each filled.
    refused: str  # The idle strategy's signal (NO_ALLOCATION).
    turned_away: str  # The inactive strategy's signal, refused at ingest.
    foreign: str  # Sender B's signal.


def strategy(services: Any, sender: IssuedSecret, status: StrategyStatus) -> str:
    strategy_id = unique("act")
    services.strategies.create(
        strategy_id,
        StrategyChanges(
            name=strategy_id,
            status=status,
            trading_mode=TradingMode.LIVE,
            account=ACCOUNT,
            max_position_size=Decimal(5000),  # 100 shares at 50.
            sender_ids=(sender.sender.sender_id,),
        ),
    )
    return strategy_id


def alert(stack: Stack, sender: IssuedSecret, strategy_id: str, symbol: str) -> str:
    fired = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = tradingview_alert(
        strategy_id=strategy_id, ticker=symbol, price=str(PRICE), timenow=fired
    )
    url = f"{stack.ingest_url}/webhook/{sender.sender.sender_id}/{sender.secret}"
    status, _, answer = http_post(url, json.dumps(body).encode())
    assert status in (202, 422), answer
    return str(answer["signal_id"])


@pytest.fixture(scope="module")
def world(stack: Stack, services: Any) -> World:
    until(lambda: any(a.account == ACCOUNT for a in services.trading_state.list_accounts()))
    value_every_account(services)
    mine = services.senders.create(unique("Activity A"), rate_limit_per_minute=6000)
    theirs = services.senders.create(unique("Activity B"), rate_limit_per_minute=6000)
    live = strategy(services, mine, StrategyStatus.ACTIVE)
    idle = strategy(services, mine, StrategyStatus.ACTIVE)
    inactive = strategy(services, mine, StrategyStatus.INACTIVE)
    foreign = strategy(services, theirs, StrategyStatus.ACTIVE)
    services.allocations.set_custom(
        {live: Decimal(1), foreign: Decimal(1)}, approved_by="test", allow_close=True
    )
    symbols = new_stocks(stack, services, 4)
    traded = tuple(alert(stack, mine, live, symbol) for symbol in symbols[:3])
    refused = alert(stack, mine, idle, symbols[0])
    turned_away = alert(stack, mine, inactive, symbols[0])
    theirs_signal = alert(stack, theirs, foreign, symbols[3])
    for signal_id in traded:
        order_in(services, f"{signal_id}_ORD", OrderState.FILLED, timeout=90)
    for signal_id in (refused, theirs_signal):
        until(lambda s=signal_id: services.decision_store.get(s), 60, f"a decision on {signal_id}")
    return World(
        mine.sender.sender_id,
        theirs.sender.sender_id,
        live,
        idle,
        traded,
        refused,
        turned_away,
        theirs_signal,
    )


def shaped(answer: Answer, template: str) -> Any:
    """The answer's body, once it is a 200 in the shape the contract gives ``template``."""
    assert answer.status == 200, answer.body
    assert problems(answer.body, answer_schema(template)) == []
    return answer.body


def every_page(
    api: ApiClient, path: str, template: str, limit: int, as_: str = "admin"
) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    for _ in range(100):
        query = f"limit={limit}" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        body = shaped(api.get(f"{path}{'&' if '?' in path else '?'}{query}", as_=as_), template)
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError(f"the pages of {path} never ended")


def refused(answer: Answer, status: int, field: str | None = None) -> None:
    assert answer.status == status, answer.body
    assert isinstance(answer.body["error"], str)
    assert answer.body.get("field") == field


def test_signals_are_listed_newest_first_filtered_and_paged(api: ApiClient, world: World) -> None:
    pages = every_page(api, f"/api/signals?strategy_id={world.live}", "/api/signals", limit=2)
    of_sender = every_page(api, f"/api/signals?sender_id={world.sender}", "/api/signals", 3)
    accepted = shaped(
        api.get(f"/api/signals?sender_id={world.sender}&status=ACCEPTED"), "/api/signals"
    )
    rejected = shaped(
        api.get(f"/api/signals?sender_id={world.sender}&status=REJECTED"), "/api/signals"
    )

    assert [[s["signal_id"] for s in page] for page in pages] == [
        [world.traded[2], world.traded[1]],
        [world.traded[0]],
    ]
    assert pages[0][0]["strategy_id"] == world.live
    assert "raw_payload" not in pages[0][0]
    newest_first = [world.turned_away, world.refused, *reversed(world.traded)]
    assert [s["signal_id"] for page in of_sender for s in page] == newest_first
    assert [s["signal_id"] for s in accepted["items"]] == newest_first[1:]
    assert [(s["signal_id"], s["rejection_reason"]) for s in rejected["items"]] == [
        (world.turned_away, "STRATEGY_INACTIVE")
    ]


def test_signals_carry_the_senders_price_and_cerebros_sizing(api: ApiClient, world: World) -> None:
    listed = shaped(api.get(f"/api/signals?sender_id={world.sender}"), "/api/signals")["items"]
    one = shaped(api.get(f"/api/signals/{world.traded[0]}"), "/api/signals/{signal_id}")

    items = {item["signal_id"]: item for item in listed}
    assert {Decimal(item["price"]) for item in listed} == {PRICE}
    for signal_id in world.traded:
        sizing = items[signal_id]["sizing"]
        order = api.services.execution_store.order(f"{signal_id}_ORD")
        assert sizing["signal_id"] == signal_id
        assert sizing["outcome"] in ("APPROVED", "SCALED")
        assert Decimal(sizing["quantity"]) == order.order.quantity > 0
    no_allocation = items[world.refused]["sizing"]
    assert (no_allocation["outcome"], no_allocation["reasons"]) == ("REJECTED", ["NO_ALLOCATION"])
    assert items[world.turned_away]["sizing"] is None  # Refused at ingest: never decided.
    assert (one["price"], one["sizing"]) == (
        items[world.traded[0]]["price"],
        items[world.traded[0]]["sizing"],
    )


def test_bad_signal_filters_and_cursors_are_named(api: ApiClient, world: World) -> None:
    refused(api.get("/api/signals?status=PENDING"), 422, "status")
    refused(api.get("/api/signals?strategy_id=no%20such"), 422, "strategy_id")
    refused(api.get("/api/signals?sender=x"), 422, "sender")
    refused(api.get("/api/signals?limit=201"), 422, "limit")
    refused(api.get("/api/signals?cursor=NOPE_1"), 422, "cursor")
    refused(api.get("/api/signals?cursor=__reserved__"), 422, "cursor")
    # Another list's record is not a cursor of this one.
    refused(api.get(f"/api/signals?strategy_id={world.live}&cursor={world.foreign}"), 422, "cursor")


def test_one_signal_and_its_decision(api: ApiClient, world: World) -> None:
    signal = shaped(api.get(f"/api/signals/{world.traded[0]}"), "/api/signals/{signal_id}")
    decision = shaped(api.get(f"/api/decisions/{world.traded[0]}"), "/api/decisions/{signal_id}")
    refusal = shaped(api.get(f"/api/decisions/{world.refused}"), "/api/decisions/{signal_id}")

    assert signal["signal"]["id"] == world.traded[0]
    assert json.loads(signal["raw_payload"])["strategy_id"] == world.live
    assert decision["status"] in ("APPROVED", "SCALED")
    assert decision["published"] is True
    assert [o["id"] for o in decision["orders"]] == [f"{world.traded[0]}_ORD"]
    assert {i["name"] for i in decision["inputs"]} >= {"equity", "allocation_percent"}
    assert any(step["name"] == "allocated_capital" for step in decision["steps"])
    assert (refusal["status"], refusal["reasons"]) == ("REJECTED", ["NO_ALLOCATION"])
    refused(api.get("/api/signals/NOPE_20260101_000000_1"), 404)
    refused(api.get(f"/api/decisions/{world.turned_away}"), 404)  # Refused at ingest.


def test_orders_carry_their_fills_and_one_order_its_history(api: ApiClient, world: World) -> None:
    listed = every_page(api, f"/api/orders?strategy_id={world.live}", "/api/orders", limit=2)
    filled = shaped(api.get(f"/api/orders?strategy_id={world.live}&status=FILLED"), "/api/orders")
    working = shaped(
        api.get(f"/api/orders?strategy_id={world.live}&status=SUBMITTED"), "/api/orders"
    )
    first = f"{world.traded[0]}_ORD"
    one = shaped(api.get(f"/api/orders/{first}"), "/api/orders/{order_id}")

    orders = [order for page in listed for order in page]
    assert [o["order_id"] for o in orders] == [f"{s}_ORD" for s in reversed(world.traded)]
    assert [len(page) for page in listed] == [2, 1]
    for order in orders:
        assert order["state"] == "FILLED"
        assert order["fills"], order["order_id"]
        filled_quantity = sum(Decimal(f["quantity"]) for f in order["fills"])
        assert filled_quantity == Decimal(order["order"]["quantity"])
        assert {f["order_id"] for f in order["fills"]} == {order["order_id"]}
        assert "transitions" not in order
    assert [o["order_id"] for o in filled["items"]] == [o["order_id"] for o in orders]
    assert working["items"] == []
    states = [t["state"] for t in one["transitions"]]
    assert states[0] == "NEW"
    assert states[-1] == "FILLED"
    assert one["fills"] == next(o["fills"] for o in orders if o["order_id"] == first)
    refused(api.get("/api/orders/NOPE_ORD"), 404)
    refused(api.get("/api/orders?status=LOST"), 422, "status")
    refused(api.get(f"/api/orders?strategy_id={world.live}&cursor={world.live}"), 422, "cursor")


def test_fills_are_listed_newest_first_by_strategy_or_order(api: ApiClient, world: World) -> None:
    pages = every_page(api, f"/api/fills?strategy_id={world.live}", "/api/fills", limit=1)
    first = f"{world.traded[0]}_ORD"
    of_order = shaped(api.get(f"/api/fills?order_id={first}"), "/api/fills")

    fills = [fill for page in pages for fill in page]
    assert len({f["id"] for f in fills}) == len(fills) >= 3
    assert {f["order_id"] for f in fills} == {f"{s}_ORD" for s in world.traded}
    executed = [f["executed_at"] for f in fills]
    assert executed == sorted(executed, reverse=True)
    assert of_order["items"]
    assert {f["order_id"] for f in of_order["items"]} == {first}
    assert all(Decimal(f["price"]) > 0 for f in fills)
    refused(api.get("/api/fills?order_id=a/b"), 422, "order_id")


def test_accounts_and_positions_are_paged_by_name(api: ApiClient, world: World) -> None:
    accounts = every_page(api, "/api/accounts", "/api/accounts", limit=1)
    positions = every_page(
        api, f"/api/positions?strategy_id={world.live}", "/api/positions", limit=2
    )
    on_account = shaped(
        api.get(f"/api/positions?account={ACCOUNT}&strategy_id={world.live}"), "/api/positions"
    )
    orders = shaped(api.get(f"/api/orders?strategy_id={world.live}"), "/api/orders")["items"]

    names = [a["account"] for page in accounts for a in page]
    assert names == sorted(names)
    assert ACCOUNT in names
    main = next(a for page in accounts for a in page if a["account"] == ACCOUNT)
    assert Decimal(main["equity"]) > 0
    held = {p["symbol"]: Decimal(p["quantity"]) for page in positions for p in page}
    bought = {o["order"]["symbol"]: Decimal(o["filled_quantity"]) for o in orders}
    assert held == bought
    assert len(on_account["items"]) == 3
    refused(api.get("/api/positions?account=IBKR%20Main"), 422, "account")


def test_the_equity_history_is_paged_by_month_newest_first(api: ApiClient) -> None:
    accounting = api.services.accounting
    for month in (1, 2, 3):
        accounting.snapshot(datetime(2001, month, 15, 10, tzinfo=UTC))
    accounting.snapshot(datetime(2001, 3, 15, 11, tzinfo=UTC))

    pages = every_page(api, "/api/equity-history", "/api/equity-history", limit=2)

    months = [m["month"] for page in pages for m in page]
    assert months == sorted(months, reverse=True)
    assert len(months) == len(set(months))
    assert months[-3:] == ["2001-03", "2001-02", "2001-01"]
    march = next(m for page in pages for m in page if m["month"] == "2001-03")
    assert [p["at"][:13] for p in march["points"]] == ["2001-03-15T10", "2001-03-15T11"]
    refused(api.get("/api/equity-history?limit=25"), 422, "limit")
    refused(api.get("/api/equity-history?cursor=2001-1"), 422, "cursor")


def test_shortfall_is_per_strategy_or_sender(api: ApiClient, world: World) -> None:
    def measured(group: str, name: str) -> dict[str, Any] | None:
        every = every_page(api, f"/api/shortfall?by={group}", "/api/shortfall", limit=50)
        found = [s for page in every for s in page if s["group"] == f"{group}:{name}"]
        return found[0] if found and found[0]["orders"] == len(world.traded) else None

    by_strategy = until(lambda: measured("strategy", world.live), 60, "the live strategy measured")
    by_sender = until(lambda: measured("sender", world.sender), 60, "sender A measured")
    strategies = every_page(api, "/api/shortfall", "/api/shortfall", limit=1)

    assert by_strategy["measured"] == len(world.traded)
    assert Decimal(by_strategy["notional_base"]) > 0
    assert by_sender["orders"] == len(world.traded)
    groups = [s["group"] for page in strategies for s in page]
    assert groups == sorted(groups)
    assert all(group.startswith("strategy:") for group in groups)
    refused(api.get("/api/shortfall?by=account"), 422, "by")


def test_a_senders_signals_carry_cerebros_sizing(api: ApiClient, world: World) -> None:
    sender = api.user(unique("sender-a"), {"role": "sender", "sender_id": world.sender})
    path = f"/api/senders/{world.sender}/signals"
    template = "/api/senders/{sender_id}/signals"

    def with_pnl() -> list[list[dict[str, Any]]] | None:
        pages = every_page(api, path, template, limit=2, as_=sender)
        items = [item for page in pages for item in page]
        return pages if all(i["pnl"] for i in items if i["signal_id"] in world.traded) else None

    pages = until(with_pnl, 60, "the P&L of the traded signals")
    items = {item["signal_id"]: item for page in pages for item in page}

    newest_first = [world.turned_away, world.refused, *reversed(world.traded)]
    assert [item["signal_id"] for page in pages for item in page] == newest_first
    for signal_id in world.traded:
        item = items[signal_id]
        sizing = item["sizing"]
        order = api.services.execution_store.order(f"{signal_id}_ORD")
        assert sizing["outcome"] in ("APPROVED", "SCALED")
        assert Decimal(sizing["quantity"]) == order.order.quantity > 0
        assert Decimal(sizing["notional"]) == order.order.quantity * PRICE
        assert sizing["currency"] == "USD"
        assert Decimal(sizing["allocated_capital"]) > 0
        assert Decimal(item["pnl"]["opened_quantity"]) == order.order.quantity
        assert item["pnl"]["sender_id"] == world.sender
    no_allocation = items[world.refused]["sizing"]
    assert (no_allocation["outcome"], no_allocation["reasons"]) == ("REJECTED", ["NO_ALLOCATION"])
    assert (no_allocation["quantity"], no_allocation["notional"]) == ("0", None)
    assert items[world.refused]["pnl"] is None
    assert items[world.turned_away]["sizing"] is None
    assert items[world.turned_away]["rejection_reason"] == "STRATEGY_INACTIVE"
    # Nothing of the fund's own figures or of anyone else's signals.
    shown = json.dumps(pages)
    assert world.foreign not in shown
    for secret in ("fund_equity", "margin_used", "inputs", "steps", "summary", "equity"):
        assert f'"{secret}"' not in shown
    admin_view = shaped(api.get(path), template)
    assert [i["signal_id"] for i in admin_view["items"]] == newest_first


def test_a_sender_sees_no_other_senders_signals_nor_probes_them(
    api: ApiClient, world: World
) -> None:
    sender = api.user(unique("sender-a"), {"role": "sender", "sender_id": world.sender})
    mine = f"/api/senders/{world.sender}/signals"

    refused(api.get(f"/api/senders/{world.other_sender}/signals", as_=sender), 404)
    refused(api.get(f"/api/senders/{world.other_sender}", as_=sender), 404)
    # Another sender's signal id as a cursor answers as a made-up one does: no oracle.
    refused(api.get(f"{mine}?cursor={world.foreign}", as_=sender), 422, "cursor")
    refused(api.get(f"{mine}?cursor=NOPE_20260101_000000_1", as_=sender), 422, "cursor")
    for route in ("/api/signals", f"/api/signals/{world.traded[0]}", "/api/orders"):
        refused(api.get(route, as_=sender), 403)
