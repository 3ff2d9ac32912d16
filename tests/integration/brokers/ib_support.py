"""Helpers for the IB adapter's tests against the simulated gateway."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests import builders
from tests.fakes import FakeClock
from tests.integration.ib_gateway.support import ACCOUNT, GatewayProcess, next_client_id

from mats.adapters.brokers.ib_session import IbSession, IbSettings
from mats.domain.orders import Order


def until(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def an_order(order_id: str, **overrides: Any) -> Order:
    fields: dict[str, Any] = {
        "strategy_id": "s",
        "account": ACCOUNT,
        "reference_price": Decimal(190),
        "created_at": datetime.now(UTC),
    }
    return builders.an_order(order_id, **{**fields, **overrides})


def a_session(
    gateway: GatewayProcess,
    clock: FakeClock,
    on_connected: Callable[[], None] | None = None,
    **settings: Any,
) -> IbSession:
    """A session (not started) with quick reconnects, on a client id no other test uses."""
    defaults: dict[str, Any] = {
        "port": gateway.port,
        "client_id": next_client_id(),
        "heartbeat_seconds": 1.0,
        "min_backoff_seconds": 0.2,
        "max_backoff_seconds": 1.0,
    }
    return IbSession(IbSettings(**{**defaults, **settings}), clock=clock, on_connected=on_connected)
