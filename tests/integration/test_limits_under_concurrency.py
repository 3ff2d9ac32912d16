"""Limits hold however many alerts arrive at once: on the real stack, through the simulated IB
Gateway, entry alerts posted concurrently never leave a position, or a position with its working
orders, above its allocation (a share of the fund's equity), its money cap or the account's
margin limit."""

from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from mats.domain.execution.states import OrderState
from mats.domain.market import AssetClass
from mats.domain.strategies import StrategyStatus
from mats.domain.trading import TradingMode
from mats.services.registry import IssuedSecret, StrategyChanges
from tests.builders import tradingview_alert
from tests.conftest import Stack, http_post, unique
from tests.integration.trading import (
    control,
    fund_equity,
    shares,
    until,
    value_every_account,
)

ACCOUNT = "IBKR_Main"
PRICE = 50
ALERTS_AT_ONCE = 8


def new_symbol(stack: Stack, services: Any) -> str:
    symbol = "C" + unique("").strip("-").upper()[:5]
    services.operations.set_instrument(
        symbol,
        asset_class=AssetClass.STOCK,
        currency="USD",
        tick_size=Decimal("0.01"),
        lot_size=Decimal(1),
        margin_rate=Decimal("0.25"),  # What the simulated gateway charges.
    )
    control(stack, "/prices", {symbol: PRICE})
    return symbol


def new_strategy(services: Any, sender: IssuedSecret, **limits: Decimal) -> str:
    strategy_id = unique("burst")
    services.strategies.create(
        strategy_id,
        StrategyChanges(
            name=strategy_id,
            status=StrategyStatus.ACTIVE,
            trading_mode=TradingMode.LIVE,
            account=ACCOUNT,
            sender_ids=(sender.sender.sender_id,),
            **limits,
        ),
    )
    return strategy_id


def post_entries(
    stack: Stack, sender: IssuedSecret, targets: Iterable[tuple[str, str]], copies: int
) -> list[str]:
    """Post ``copies`` flat → long alerts (each its own TradingView order id) per target at once."""
    fired = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    url = f"{stack.ingest_url}/webhook/{sender.sender.sender_id}/{sender.secret}"
    bodies = [
        json.dumps(
            tradingview_alert(
                strategy_id=strategy_id,
                ticker=symbol,
                price=str(PRICE),
                timenow=fired,
                order_id=f"Long Entry {n}",
            )
        ).encode()
        for strategy_id, symbol in targets
        for n in range(copies)
    ]
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        answers = list(pool.map(lambda body: http_post(url, body), bodies))
    assert [status for status, _, _ in answers] == [202] * len(bodies), answers
    return [str(answer["signal_id"]) for _, _, answer in answers]


def settle(services: Any, signal_ids: list[str]) -> list[Any]:
    """Wait until every signal is decided and every order it made has ended; return them."""
    decided = until(
        lambda: (
            found if all(found := [services.decision_store.get(s) for s in signal_ids]) else None
        ),
        timeout=60,
        what="every signal decided",
    )
    order_ids = [o.id for stored in decided for o in stored.decision.orders]

    def ended() -> list[Any] | None:
        records = [services.execution_store.order(i) for i in order_ids]
        return records if all(r is not None and r.state.ended for r in records) else None

    return list(until(ended, timeout=60, what="every order ended"))


def held(services: Any, strategy_id: str, symbol: str) -> Decimal:
    found = services.execution_store.position(ACCOUNT, strategy_id, symbol)
    return found.quantity if found is not None else Decimal(0)


@pytest.fixture(scope="module")
def sender(services: Any) -> IssuedSecret:
    until(lambda: any(a.account == ACCOUNT for a in services.trading_state.list_accounts()))
    issued: IssuedSecret = services.senders.create(
        unique("Concurrency"), rate_limit_per_minute=6000
    )
    return issued


def account(services: Any) -> Any:
    return next(a for a in services.trading_state.list_accounts() if a.account == ACCOUNT)


def test_eight_entries_at_once_stay_within_the_allocation_and_the_money_cap(
    stack: Stack, services: Any, sender: IssuedSecret
) -> None:
    by_allocation = new_strategy(services, sender)
    by_cap = new_strategy(services, sender, max_position_size=Decimal(1_000))
    symbol = new_symbol(stack, services)
    value_every_account(services)
    services.allocations.set_custom(
        {by_allocation: Decimal(2), by_cap: Decimal(2)}, approved_by="test", allow_close=True
    )

    signal_ids = post_entries(
        stack, sender, [(by_allocation, symbol), (by_cap, symbol)], ALERTS_AT_ONCE
    )
    records = settle(services, signal_ids)
    decisions = [services.decision_store.get(s).decision for s in signal_ids]
    # Each decision sizes on the fund's equity as it read it (the account's moves with fills).
    funds = [fund_equity(d) for d in decisions if d.input("fund_equity") is not None]
    allowed = max(shares(fund, percent=2, price=PRICE) for fund in funds)

    filled = [r for r in records if r.state is OrderState.FILLED]
    print(
        f"\n{len(signal_ids)} alerts at once: {len(records)} orders, {len(filled)} filled; "
        f"held {held(services, by_allocation, symbol)} of {allowed} allowed by allocation, "
        f"{held(services, by_cap, symbol)} of 20 allowed by the $1,000 cap"
    )
    assert 0 < held(services, by_allocation, symbol) <= allowed
    assert 0 < held(services, by_cap, symbol) <= 20  # $1,000 at 50 a share.
    refused = [d for d in decisions if not d.orders]
    # Refused for the room already taken; alerts that came after a fill was booked also find
    # the ledger long where the sender said flat.
    assert {r.value for d in refused for r in d.reasons} <= {
        "ALLOCATION_REACHED",
        "MAX_POSITION_REACHED",
        "POSITION_MISMATCH",
        "ALREADY_AT_TARGET",
    }


def test_entries_at_once_on_one_account_never_take_its_margin_past_the_limit(
    stack: Stack, services: Any, sender: IssuedSecret
) -> None:
    # Four strategies at 50% each would take 200% of equity at 25% margin: 50% margin use.
    strategies = [new_strategy(services, sender) for _ in range(4)]
    symbol = new_symbol(stack, services)
    services.allocations.set_custom(
        dict.fromkeys(strategies, Decimal(50)), approved_by="test", allow_close=True
    )

    signal_ids = post_entries(stack, sender, [(s, symbol) for s in strategies], 2)
    last_change = max(record.updated_at for record in settle(services, signal_ids))

    def refreshed() -> Any:
        state = account(services)
        return state if state.updated_at > last_change else None

    state = until(refreshed, what="an account snapshot taken after the last fill")
    used = state.margin_used / state.equity
    print(f"\nmargin use after {len(signal_ids)} entries at once: {used:.3%} (limit 40%)")
    assert used <= Decimal("0.40")
    decisions = [services.decision_store.get(s).decision for s in signal_ids]
    assert any("MARGIN_SCALED" in d.reasons or "MARGIN_LIMIT" in d.reasons for d in decisions)
