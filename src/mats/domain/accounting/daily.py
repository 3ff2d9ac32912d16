"""A strategy's P&L since the start of the trading day: the read model Cerebro's daily loss uses.

The dashboard aggregator writes one ``StrategyDayPnl`` per strategy (``strategy_day_pnl/{id}``):
realised + unrealised since the trading day began, net of commissions, in the fund's base
currency. The trading day starts at ``MATS_TRADING_DAY_START`` (a UTC time of day, default
00:00), so a day that starts at 22:00 runs from 22:00 yesterday to 22:00 today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal


@dataclass(frozen=True)
class StrategyDayPnl:
    """Realised + unrealised P&L of one strategy since ``day_start``, in the base currency.

    ``pnl`` is the net figure (``realized + unrealized - commissions``); ``flags`` carry what
    the figure could not value (``UNPRICED``, ``FX_STALE``, ``FX_MISSING``).
    """

    strategy_id: str
    trading_day: date
    day_start: datetime
    pnl: Decimal
    realized: Decimal
    unrealized: Decimal
    commissions: Decimal
    as_of: datetime
    flags: tuple[str, ...] = ()


def trading_day_start(now: datetime, start: time) -> datetime:
    """Return the latest UTC moment at or before ``now`` when a trading day began at ``start``."""
    moment = now.astimezone(UTC)
    opened = datetime.combine(moment.date(), start.replace(tzinfo=None), tzinfo=UTC)
    return opened if opened <= moment else opened - timedelta(days=1)
