"""The valuer's marks: the brokers' latest ones when no account has reported since the moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from mats.domain.accounting import AccountState
from mats.services.accounting.valuing import FundValuer

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)


class Ledger:
    """The reads ``FundValuer.marks`` makes; ``broker_marks`` notes the moment it was asked."""

    def __init__(self, updated_at: datetime) -> None:
        self.updated_at = updated_at
        self.asked: list[datetime | None] = []

    def quotes(self) -> list[Any]:
        return []

    def latest_accounts(self) -> list[AccountState]:
        return [
            AccountState("IB1", "ib", "USD", Decimal(1), Decimal(1), Decimal(0), self.updated_at)
        ]

    def broker_marks(self, at: datetime | None) -> list[tuple[str, Decimal, datetime, str]]:
        self.asked.append(at)
        return [("AAPL", Decimal(100), self.updated_at, "IB1")]


class Records:
    def list(self, *_: Any, **__: Any) -> list[Any]:
        return []


def marks_at(updated_at: datetime, at: datetime) -> tuple[Any, list[datetime | None]]:
    ledger = Ledger(updated_at)
    valuer = FundValuer(ledger, Records(), "USD", timedelta(days=4))  # type: ignore[arg-type]
    return valuer.marks(at), ledger.asked


def test_after_every_latest_update_the_latest_marks_are_read() -> None:
    marks, asked = marks_at(T0, T0 + timedelta(minutes=5))
    assert asked == [None]
    assert marks["AAPL"].price == 100
    assert marks["AAPL"].source == "broker:IB1"


def test_a_moment_before_an_accounts_latest_update_reads_the_history_then() -> None:
    _, asked = marks_at(T0, T0 - timedelta(hours=1))
    assert asked == [T0 - timedelta(hours=1)]
