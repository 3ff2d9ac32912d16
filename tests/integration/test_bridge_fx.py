"""FX rates on the local stack: the bridge keeps the simulated IB Gateway's ExchangeRate account
values as dated rates, the pair's latest in ``fx_rates`` and every one in ``fx_history``."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from mats.domain.market import FxRate
from tests.conftest import Stack
from tests.integration.trading import control, until

# The stack's bridge trades both gateway accounts; either may report a rate first.
SOURCES = {"ib:IBKR_Main", "ib:IBKR_Futures"}


@pytest.fixture
def demo_rates_back(stack: Stack) -> Iterator[None]:
    yield
    control(stack, "/fx", {"EUR": 1.08, "GBP": 1.27, "CHF": None})


def latest(services: Any, pair: str) -> FxRate | None:
    found: FxRate | None = services.trading_state.fx_rates.get(pair)
    return found


def test_the_bridge_keeps_the_gateways_exchange_rates_as_dated_rates(
    stack: Stack, services: Any, demo_rates_back: None
) -> None:
    # At connect the bridge published the accounts, with the gateway's demo rates.
    gbp = until(lambda: latest(services, "GBPUSD"), what="GBPUSD from IB")
    assert gbp.source in SOURCES
    assert gbp.rate == Decimal("1.27")
    assert (gbp.base_currency, gbp.quote_currency) == ("GBP", "USD")

    eur = Decimal(f"1.{random.randint(1000, 1999)}")  # noqa: S311 - a rate no other run left
    changed_at = datetime.now(UTC)
    control(stack, "/fx", {"EUR": float(eur), "CHF": 1.1325})

    # The next account update (every 30 s) reports the moved rate and the new currency.
    stored = until(
        lambda: (found := latest(services, "EURUSD")) is not None and found.rate == eur and found,
        timeout=75,
        what=f"EURUSD {eur} from IB",
    )
    assert stored.source in SOURCES
    assert stored.as_of >= changed_at - timedelta(seconds=1)
    chf = until(lambda: latest(services, "CHFUSD"), what="CHFUSD from IB")
    assert chf.rate == Decimal("1.1325")

    history = [r for r in services.ledger_store.fx_history() if r.source in SOURCES]
    eur_history = sorted((r for r in history if r.pair == "EURUSD"), key=lambda r: r.as_of)
    assert eur_history[-1] == stored
    assert any(r.rate == Decimal("1.08") and r.as_of < changed_at for r in eur_history)
    # Two accounts report the same rate: kept once per move, not once per account update.
    assert [r.rate for r in eur_history].count(eur) == 1
