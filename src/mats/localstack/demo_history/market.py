"""The generated markets and trades: closes, intraday prices, alerts' executions, FX."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from mats.domain.market import FxRate
from mats.domain.trading import Side
from mats.localstack.demo_history.scenario import (
    HISTORY_DAYS,
    INSTRUMENTS,
    STRATEGIES,
    TradedInstrument,
    TradedStrategy,
)


@dataclass(frozen=True)
class Execution:
    at: datetime
    quantity: Decimal
    price: Decimal


@dataclass(frozen=True)
class Trade:
    """One alert and the executions of its order(s)."""

    at: datetime
    strategy: TradedStrategy
    sender: str
    previous: Decimal  # Signed position before.
    target: Decimal  # Signed position after.
    price: Decimal  # The sender's price ({{close}}).
    executions: tuple[Execution, ...]

    @property
    def side(self) -> Side:
        return Side.BUY if self.target > self.previous else Side.SELL


@dataclass(frozen=True)
class Market:
    days: tuple[date, ...]  # Business days.
    closes: dict[str, tuple[Decimal, ...]]  # Per symbol, one per business day.
    log_closes: dict[str, np.ndarray[Any, Any]]
    trend: dict[str, np.ndarray[Any, Any]]

    def close(self, symbol: str, index: int) -> Decimal:
        return self.closes[symbol][index]

    def intraday(self, symbol: str, index: int, fraction: float, noise: float) -> Decimal:
        """The price ``fraction`` of the way through day ``index`` (from the previous close)."""
        logs = self.log_closes[symbol]
        start = logs[index - 1] if index > 0 else logs[0]
        level = start + fraction * (logs[index] - start) + noise
        spec = INSTRUMENTS[symbol]
        return tick(float(spec.end_price) * float(np.exp(level - logs[-1])), spec.tick)


def history_days(today: date) -> tuple[date, date]:
    last = today - timedelta(days=1)
    return last - timedelta(days=HISTORY_DAYS - 1), last


def generate_market(first: date, last: date, generator: np.random.Generator) -> Market:
    days = tuple(
        first + timedelta(days=n)
        for n in range((last - first).days + 1)
        if (first + timedelta(days=n)).weekday() < 5
    )
    closes, logs, trends = {}, {}, {}
    persistence = 0.97
    for symbol, spec in INSTRUMENTS.items():
        count = len(days)
        shocks = generator.standard_normal(count)
        trend = np.zeros(count)
        for n in range(1, count):
            trend[n] = persistence * trend[n - 1] + np.sqrt(1 - persistence**2) * shocks[n]
        drift = 0.08 * spec.volatility * trend
        noise = spec.volatility * generator.standard_t(5, count) / np.sqrt(5 / 3)
        log_close = np.cumsum(drift + noise)
        prices = float(spec.end_price) * np.exp(log_close - log_close[-1])
        closes[symbol] = tuple(tick(float(p), spec.tick) for p in prices)
        logs[symbol], trends[symbol] = log_close, trend
    return Market(days, closes, logs, trends)


def generate_trades(market: Market, generator: np.random.Generator) -> list[Trade]:
    trades: list[Trade] = []
    days = market.days
    for strategy in STRATEGIES:
        spec = INSTRUMENTS[strategy.symbol]
        trend = market.trend[strategy.symbol]
        stop = days[-1] - timedelta(days=strategy.stops_days_before_end)
        last_index = max(i for i, day in enumerate(days) if day <= stop)
        position = Decimal(0)
        index = int(generator.integers(0, strategy.every[0]))
        while True:
            final = index >= last_index
            index = min(index, last_index)
            if final:
                level = 0
            else:
                lean = trend[index] + 0.5 * generator.standard_normal()
                level = int(
                    np.clip(np.rint(1.3 * lean + strategy.bias), strategy.low, strategy.high)
                )
            target = strategy.step * level
            if target != position:
                trades.append(
                    _trade(
                        market,
                        generator,
                        strategy=strategy,
                        spec=spec,
                        index=index,
                        previous=position,
                        target=target,
                        final=final,
                    )
                )
                position = target
            if final:
                break
            index += int(generator.integers(strategy.every[0], strategy.every[1] + 1))
    return sorted(trades, key=lambda t: (t.at, t.strategy.strategy_id))


def _trade(
    market: Market,
    generator: np.random.Generator,
    *,
    strategy: TradedStrategy,
    spec: TradedInstrument,
    index: int,
    previous: Decimal,
    target: Decimal,
    final: bool,
) -> Trade:
    day = market.days[index]
    # US session 14:30-20:30 UTC; the last day's exits before 19:30.
    minutes = int(generator.integers(5, 300 if final else 355))
    at = datetime.combine(day, time(14, 30), UTC) + timedelta(
        minutes=minutes, seconds=int(generator.integers(0, 60))
    )
    fraction = minutes / 390
    names = [name for name, _ in strategy.senders]
    weights = np.array([weight for _, weight in strategy.senders])
    sender = names[int(generator.choice(len(names), p=weights / weights.sum()))]
    sent_price = market.intraday(spec.symbol, index, fraction, 0.0)
    quantity = abs(target - previous)
    first_at = at + timedelta(seconds=int(generator.integers(1, 4)))
    slip = spec.volatility * 0.05
    first_price = market.intraday(spec.symbol, index, fraction, slip * generator.standard_normal())
    parts = [quantity]
    lot = strategy.step if spec.symbol != "ES1!" else Decimal(1)
    if quantity > lot and generator.random() < 0.35:  # A partial fill, then the rest.
        first_part = lot * max(1, int((quantity / lot) * Decimal(generator.uniform(0.3, 0.7))))
        parts = [first_part, quantity - first_part]
    executions = [Execution(first_at, parts[0], first_price)]
    if len(parts) == 2:
        later = first_at + timedelta(seconds=int(generator.integers(40, 240)))
        price = market.intraday(
            spec.symbol, index, fraction + 0.005, slip * generator.standard_normal()
        )
        executions.append(Execution(later, parts[1], price))
    return Trade(at, strategy, sender, previous, target, sent_price, tuple(executions))


def generate_fx(days: tuple[date, ...], generator: np.random.Generator) -> list[FxRate]:
    """USDT/USD at 00:00 UTC every Monday, Wednesday and Friday (so a rate is never older than
    ``MATS_FX_MAX_AGE_DAYS``, 4, at a strike), within a few basis points of 1."""
    days = tuple(day for day in days if day.weekday() in (0, 2, 4) or day == days[0])
    level = np.clip(np.cumsum(generator.normal(0, 0.0002, len(days))) * 0.3, -0.0015, 0.0015)
    return [
        FxRate(
            "USDT",
            "USD",
            Decimal(1 + float(value)).quantize(Decimal("0.00001")),
            datetime.combine(day, time(), UTC),
            "demo-history",
        )
        for day, value in zip(days, level, strict=True)
    ]


def tick(price: float, tick: Decimal) -> Decimal:
    return (Decimal(round(price / float(tick))) * tick).quantize(tick)
