"""What the API write tests share: PUT and DELETE calls, the newest audit entries, and
strategies registered (on an account no venue trades, where a test may set positions)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mats.domain.strategies import StrategyStatus
from mats.domain.trading import TradingMode
from mats.services.registry import StrategyChanges
from tests.conftest import unique
from tests.integration.api.client import Answer, ApiClient

ACCOUNT = "IBKR_Main"


def put(api: ApiClient, path: str, body: Any, **options: Any) -> Answer:
    return api.call("PUT", path, body=body, **options)


def delete(api: ApiClient, path: str, **options: Any) -> Answer:
    return api.call("DELETE", path, **options)


def newest_audit(api: ApiClient) -> list[str]:
    """The ids of the newest audit entries: unchanged by a refused request."""
    return [entry["audit_id"] for entry in api.get("/api/audit-log?limit=20").body["items"]]


def audit_of(api: ApiClient, target: str) -> list[dict[str, Any]]:
    entries = api.get("/api/audit-log?limit=200").body["items"]
    return [entry for entry in entries if entry["target"] == target]


def recorded_account(api: ApiClient) -> str:
    """An account recorded by hand: no venue trades it, so no reconciliation touches it."""
    account = unique("HOLD")
    api.services.operations.set_account(
        account,
        broker="IB",
        base_currency="USD",
        equity=Decimal(100_000),
        cash=Decimal(100_000),
        margin_used=Decimal(0),
    )
    return account


def register(api: ApiClient, account: str = ACCOUNT) -> str:
    strategy_id = unique("api-strat")
    api.services.strategies.create(
        strategy_id,
        StrategyChanges(
            name=strategy_id,
            status=StrategyStatus.ACTIVE,
            trading_mode=TradingMode.PAPER,
            account=account,
        ),
    )
    return strategy_id
