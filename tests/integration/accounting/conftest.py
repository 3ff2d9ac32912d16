"""An accounting of its own per test: a fresh Firestore project on the stack's emulator, a clock
the test moves, and helpers to record the facts a worked example starts from."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from mats.adapters.firestore.documents import SIGNALS, to_document
from mats.domain.accounting import AccountState
from mats.domain.accounting.daily import StrategyDayPnl
from mats.domain.market import FxRate
from mats.domain.orders import Fill
from mats.domain.signals.records import OutboxState, SignalRecord, SignalStatus
from mats.domain.trading import OrderPurpose, Side, TradingMode
from mats.services.accounting.service import AccountUpdate
from tests.conftest import unique
from tests.fakes import FakeClock


@dataclass
class Books:
    """One isolated accounting and the facts fed to it."""

    services: Any
    clock: FakeClock

    @property
    def accounting(self) -> Any:
        return self.services.accounting

    def signal(self, signal_id: str, *, strategy_id: str, sender_id: str) -> None:
        """The stored webhook a fill's signal came from (all the ledger reads is its sender)."""
        record = SignalRecord(
            signal_id=signal_id,
            strategy_id=strategy_id,
            sender_id=sender_id,
            received_at=self.clock.now(),
            business_key=signal_id,
            status=SignalStatus.ACCEPTED,
            raw_payload="{}",
            message="{}",
            source_format="native",
            symbol="X",
            intent="ENTRY_LONG",
            outbox_state=OutboxState.PUBLISHED,
        )
        self.services.firestore.collection(SIGNALS).document(signal_id).set(to_document(record))

    def fill(
        self,
        execution_id: str,
        *,
        signal_id: str,
        strategy_id: str,
        account: str,
        symbol: str,
        side: Side,
        quantity: str,
        price: str,
        at: datetime,
        currency: str = "USD",
        commission: str = "0",
        commission_currency: str | None = None,
        multiplier: str = "1",
    ) -> Fill:
        return Fill(
            id=execution_id,
            created_at=at,
            order_id=f"{signal_id}_ORD",
            signal_id=signal_id,
            strategy_id=strategy_id,
            account=account,
            broker="ib",
            trading_mode=TradingMode.LIVE,
            symbol=symbol,
            side=side,
            quantity=Decimal(quantity),
            price=Decimal(price),
            commission=Decimal(commission),
            currency=currency,
            executed_at=at,
            purpose=OrderPurpose.ENTRY,
            multiplier=Decimal(multiplier),
            commission_currency=commission_currency,
        )

    def account(
        self,
        account: str,
        *,
        currency: str,
        equity: str,
        at: datetime,
        margin: str = "0",
        marks: tuple[tuple[str, str], ...] = (),
    ) -> AccountUpdate:
        return AccountUpdate(
            message_id=f"{account}@{at.isoformat()}",
            state=AccountState(
                account=account,
                broker="ib",
                base_currency=currency,
                equity=Decimal(equity),
                cash=Decimal(equity),
                margin_used=Decimal(margin),
                updated_at=at,
                source="ib",
            ),
            marks=tuple((s, Decimal(p)) for s, p in marks),
        )

    def records(self, collection: str) -> list[Any]:
        """Every document of a read-model collection, as its dataclass."""
        return self.services.records.list(collection, _KINDS[collection])

    def rate(self, pair: str, rate: str, at: datetime) -> None:
        base, quote = pair.split("/")
        self.services.trading_state.put_fx_rate(FxRate(base, quote, Decimal(rate), at, "test"))


@contextmanager
def open_books(**env: str) -> Iterator[Books]:
    """An accounting in a Firestore project of its own (the stack's emulator must be up)."""
    from mats.bootstrap import bootstrap  # noqa: PLC0415 - needs the stack's environment.

    clock = FakeClock(datetime(2026, 1, 2, 12, 0, tzinfo=UTC))
    environment = {
        **os.environ,
        "GOOGLE_CLOUD_PROJECT": unique("books"),
        "MATS_BASE_CURRENCY": "USD",
        **env,
    }
    services = bootstrap(environment, clock=clock)
    try:
        yield Books(services, clock)
    finally:
        services.close()


@pytest.fixture
def books(stack: Any) -> Iterator[Books]:
    with open_books() as opened:
        yield opened


_KINDS: dict[str, type] = {"strategy_day_pnl": StrategyDayPnl}
