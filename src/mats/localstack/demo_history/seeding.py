"""A year of history seeded: generated, replayed in memory, copied to the store."""

from __future__ import annotations

import time as wallclock
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import partial

import numpy as np

from mats.bootstrap import Services
from mats.localstack.demo_history.market import (
    generate_fx,
    generate_market,
    generate_trades,
    history_days,
)
from mats.localstack.demo_history.memory_firestore import MemoryFirestore
from mats.localstack.demo_history.replay import HistoryClock, Rank, Replay
from mats.localstack.demo_history.scenario import (
    CLIENTS,
    HISTORY_DAYS,
    HISTORY_SEED,
    DemoClient,
)


@dataclass(frozen=True)
class HistoryReport:
    """What the history seeded, and each account's equity at its end (for today's broker)."""

    first_day: date
    last_day: date
    signals: int
    orders: int
    fills: int
    strikes: int
    clients: int
    payouts_paid: int
    equities: dict[str, Decimal]
    usdt_usd: Decimal  # The history's last USDT/USD rate: today's starts there.
    documents: int
    replay_seconds: float
    copy_seconds: float


def seed_history(
    services: Services, senders: Mapping[str, str], *, now: datetime | None = None
) -> HistoryReport:
    """Generate a year of facts ending yesterday, run the real accounting over them and copy
    every document it wrote into the stack's store.

    ``senders`` maps ``FIRST``/``SECOND`` to the demo senders' ids. The history runs on services
    of its own, with the stack's settings, its own clock and an in-memory Firestore client (the
    real adapters over :class:`MemoryFirestore`): a year of strikes takes seconds, not the
    minutes the emulator's round trips would, and nothing live sees a half-written history.
    """
    started = wallclock.monotonic()
    today_now = now or datetime.now(UTC)
    first, last = history_days(today_now.date())
    generator = np.random.default_rng(HISTORY_SEED)
    market = generate_market(first, last, generator)
    trades = generate_trades(market, generator)
    rates = generate_fx(market.days, generator)
    clock = HistoryClock(datetime.combine(first, time(), UTC))
    memory = MemoryFirestore()
    history = Services(services.settings, clock=clock, firestore_client=memory)
    replay = Replay(history, clock, senders, market, rates)
    strike_at = services.settings.accounting.nav_strike_at
    for client in CLIENTS:
        replay.at(clock.now(), Rank.RATE, partial(_create_client, history, client))
    for rate in rates:
        replay.at(rate.as_of, Rank.RATE, partial(replay.rate, rate))
    for trade in trades:
        replay.at(trade.at, Rank.SIGNAL, partial(replay.trade, trade))
    days = market.days
    for index, day in enumerate(days):
        close = datetime.combine(day, time(21), UTC)
        replay.at(close, Rank.CLOSE, partial(replay.close, index))
        replay.at(close, Rank.SNAPSHOT, replay.snapshot)
        strike = datetime.combine(day, strike_at, UTC)
        following = days[index + 1] if index + 1 < len(days) else None
        replay.at(strike, Rank.STRIKE, partial(replay.strike, day, following))
    for month_start in _month_starts(first, last + timedelta(days=1)):
        month = (month_start - timedelta(days=1)).strftime("%Y-%m")
        moment = datetime.combine(month_start, time(0, 5), UTC)
        if moment <= today_now:
            replay.at(moment, Rank.CRYSTALLISE, partial(replay.crystallise, month, last))
    for client in CLIENTS:
        for offset, kind, amount, units in client.flows:
            if offset >= HISTORY_DAYS:
                continue
            day = _business_day_on_or_after(days, first + timedelta(days=offset))
            moment = datetime.combine(day, time(10), UTC)
            replay.at(
                moment,
                Rank.FLOW,
                partial(replay.flow, client, kind, amount, units),
            )
    replay.run()
    replay.report_now(today_now)
    replayed = wallclock.monotonic()
    documents = memory.copy_to(services.firestore)
    return HistoryReport(
        first_day=first,
        last_day=last,
        signals=replay.signals,
        orders=replay.orders,
        fills=replay.fills,
        strikes=replay.strikes,
        clients=len(CLIENTS),
        payouts_paid=replay.payouts_paid,
        equities=replay.equities(),
        usdt_usd=rates[-1].rate,
        documents=documents,
        replay_seconds=replayed - started,
        copy_seconds=wallclock.monotonic() - replayed,
    )


def _create_client(services: Services, client: DemoClient) -> None:
    services.accounting.investors.create_client(client.client_id, client.name, email=client.email)


def _month_starts(first: date, end: date) -> Iterator[date]:
    """The 1st of every month after ``first`` up to ``end``."""
    year, month = first.year, first.month
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        start = date(year, month, 1)
        if start > end:
            return
        yield start


def _business_day_on_or_after(days: tuple[date, ...], wanted: date) -> date:
    return next((day for day in days if day >= wanted), days[-1])
