"""What the fund did, for admins: signals, Cerebro's decisions, orders with their history and
fills, fills, the broker accounts, the position ledger, the equity history and the execution
quality — what ``mats signals``, ``decisions``, ``orders``, ``fills``, ``accounts``,
``positions`` and ``shortfall`` show.

Every list is one bounded query, newest first (accounts, positions and shortfall by name), a
page at a time; a page of signals reads their decisions, and a page of orders its fills, in one
more round. A sender's own signals, with
their sizing and P&L, are :func:`sender_signals` (``/api/senders/{id}/signals``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mats.api.handlers.activity_views import (
    order_view,
    orders_with_fills,
    own_signals,
    signal_detail,
    signals_with_sizing,
)
from mats.api.handlers.call import Call, Reply, page
from mats.bootstrap import Services
from mats.codec import to_primitive
from mats.domain.cerebro.sizing import sizing_of
from mats.domain.execution.states import OrderState
from mats.domain.signals.records import SignalStatus
from mats.errors import NotFoundError


def list_signals(call: Call) -> Reply:
    params = call.params
    status = params.get("status")
    records, following = call.services.signal_store.page(
        strategy_id=params.get("strategy_id"),
        sender_id=params.get("sender_id"),
        status=SignalStatus(status) if status else None,
        limit=params["limit"],
        after=params.get("cursor"),
    )
    decisions = call.services.decision_store.get_many([record.signal_id for record in records])
    sizings = [sizing_of(stored.decision) for stored in decisions]
    return page(signals_with_sizing(records, sizings), following)


def get_signal(call: Call) -> Reply:
    signal_id = call.params["signal_id"]
    record = call.services.signal_store.get(signal_id)
    if record is None:
        raise NotFoundError(f"no signal {signal_id!r}")
    stored = call.services.decision_store.get(signal_id)
    return signal_detail(record, sizing_of(stored.decision) if stored else None)


def get_decision(call: Call) -> Reply:
    signal_id = call.params["signal_id"]
    stored = call.services.decision_store.get(signal_id)
    if stored is None:
        raise NotFoundError(f"no decision for signal {signal_id!r} (yet)")
    return {**to_primitive(stored.decision), "published": stored.published}


def list_orders(call: Call) -> Reply:
    params = call.params
    status = params.get("status")
    records, following = call.services.decision_store.orders_page(
        strategy_id=params.get("strategy_id"),
        state=OrderState(status) if status else None,
        limit=params["limit"],
        after=params.get("cursor"),
    )
    fills = call.services.execution_store.fills_of([record.order_id for record in records])
    return page(orders_with_fills(records, fills), following)


def get_order(call: Call) -> Reply:
    order_id = call.params["order_id"]
    execution = call.services.execution_store
    record = execution.order(order_id)
    if record is None:
        raise NotFoundError(f"no order {order_id!r}")
    return order_view(record, execution.fills_of([order_id]), history=True)


def list_fills(call: Call) -> Reply:
    params = call.params
    fills, following = call.services.execution_store.fills_page(
        strategy_id=params.get("strategy_id"),
        order_id=params.get("order_id"),
        limit=params["limit"],
        after=params.get("cursor"),
    )
    return page(fills, following)


def list_accounts(call: Call) -> Reply:
    accounts, following = call.services.trading_state.accounts_page(
        limit=call.params["limit"], after=call.params.get("cursor")
    )
    return page(accounts, following)


def list_positions(call: Call) -> Reply:
    params = call.params
    positions, following = call.services.trading_state.positions_page(
        account=params.get("account"),
        strategy_id=params.get("strategy_id"),
        limit=params["limit"],
        after=params.get("cursor"),
    )
    return page(positions, following)


def equity_history(call: Call) -> Reply:
    months, following = call.services.accounting.snapshots.equity_months(
        limit=call.params["limit"], after=call.params.get("cursor")
    )
    return page([{"month": m.period, "points": m.points} for m in months], following)


def shortfall(call: Call) -> Reply:
    summaries, following = call.services.accounting.quality.summaries_page(
        call.params["by"], limit=call.params["limit"], after=call.params.get("cursor")
    )
    return page(summaries, following)


def sender_signals(
    services: Services, sender_id: str, *, limit: int, after: str | None
) -> dict[str, Any]:
    """A page of one sender's signals, newest first, each with Cerebro's sizing and its P&L:
    one query for the page, then one batch read each for their decisions and P&L."""
    records, following = services.signal_store.page(
        strategy_id=None, sender_id=sender_id, status=None, limit=limit, after=after
    )
    ids = [record.signal_id for record in records]
    decisions = services.decision_store.get_many(ids)
    pnls = services.ledger_store.signal_pnls(ids)
    sizings = [sizing_of(stored.decision) for stored in decisions]
    return page(own_signals(records, pnls, sizings, sender_id), following)


HANDLERS: dict[str, Callable[[Call], Any]] = {
    "list_signals": list_signals,
    "get_signal": get_signal,
    "get_decision": get_decision,
    "list_orders": list_orders,
    "get_order": get_order,
    "list_fills": list_fills,
    "list_accounts": list_accounts,
    "list_positions": list_positions,
    "equity_history": equity_history,
    "shortfall": shortfall,
}
