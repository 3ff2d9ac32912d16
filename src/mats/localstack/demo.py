"""Demo data for the local stack: two senders, strategies covering every status and mode, and
a year of fund history (``demo_history.py``) for every accounting view."""

from __future__ import annotations

import dataclasses
import json
import urllib.request
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np

from mats.bootstrap import Services
from mats.domain.market import AssetClass
from mats.domain.strategies import StrategyStatus
from mats.domain.trading import TradingMode
from mats.localstack.demo_history import FIRST, SECOND, HistoryReport, seed_history
from mats.services.registry import IssuedSecret, StrategyChanges

DEMO_SENDER_NAME = "Demo Signals"  # Sends for every demo strategy; its secret is printed.
SECOND_SENDER_NAME = "Northside Quant"  # A second sender, so sender views differ.
SECOND_SENDER_STRATEGIES = ("trend-es", "momentum-aapl")

# Risk limits are money in the base currency (USD): max_position_size caps a position's notional.
DEMO_STRATEGIES = {
    "trend-es": StrategyChanges(
        name="ES Trend Follower",
        status=StrategyStatus.ACTIVE,
        trading_mode=TradingMode.LIVE,
        account="IBKR_Futures",
        include_in_optimization=True,
        max_position_size=Decimal(1_100_000),  # About four ES contracts at 5,012.25 x 50.
        max_daily_loss=Decimal(5000),
        developer_contact="trend-desk@example.com",
    ),
    "meanrev-spy": StrategyChanges(
        name="SPY Mean Reversion",
        status=StrategyStatus.ACTIVE,
        trading_mode=TradingMode.PAPER,
        account="IBKR_Main",
        include_in_optimization=True,
        max_position_size=Decimal(225_000),
        max_daily_loss=Decimal(2500),
    ),
    "momentum-aapl": StrategyChanges(
        name="AAPL Momentum",
        status=StrategyStatus.ACTIVE,
        trading_mode=TradingMode.LIVE,
        account="IBKR_Main",
        include_in_optimization=True,
        max_position_size=Decimal(50_000),
    ),
    "btc-breakout": StrategyChanges(
        name="BTC Breakout",
        status=StrategyStatus.TESTING,
        trading_mode=TradingMode.PAPER,
        account="Binance_Main",
        max_position_size=Decimal(25_000),
        notes="New strategy: signals are tagged TESTING while it proves itself.",
    ),
    "eth-carry": StrategyChanges(
        name="ETH Carry",
        status=StrategyStatus.INACTIVE,
        trading_mode=TradingMode.LIVE,
        account="Binance_Main",
        notes="Switched off: its signals are rejected at ingest.",
    ),
    "gold-swing": StrategyChanges(
        name="Gold Swing",
        status=StrategyStatus.INACTIVE,
        trading_mode=TradingMode.PAPER,
        account="IBKR_Futures",
    ),
}


# MATS account -> the simulated IB Gateway's account code (MATS_IB_ACCOUNTS for the bridge).
DEMO_IB_ACCOUNTS = {"IBKR_Main": "DU1000001", "IBKR_Futures": "DU1000002"}
# The simulated market the demo trades in (IB symbols; futures by root).
DEMO_IB_PRICES = {"ES": 5012.25, "GC": 2001.5, "AAPL": 190.10, "SPY": 451.20}

DEMO_ACCOUNTS = {
    "IBKR_Main": ("IB", "USD", Decimal(250_000), Decimal(20_000)),
    "IBKR_Futures": ("IB", "USD", Decimal(2_000_000), Decimal(60_000)),
    "Binance_Main": ("BINANCE", "USDT", Decimal(150_000), Decimal(0)),
}

# symbol: asset class, currency, tick, lot, multiplier, min notional, margin rate, margin/unit
DEMO_INSTRUMENTS = {
    "AAPL": (AssetClass.STOCK, "USD", "0.01", "1", "1", None, "0.25", None, "NASDAQ"),
    "SPY": (AssetClass.ETF, "USD", "0.01", "1", "1", None, "0.25", None, "ARCA"),
    "ES1!": (AssetClass.FUTURE, "USD", "0.25", "1", "50", None, None, "13000", "CME"),
    "GC1!": (AssetClass.FUTURE, "USD", "0.1", "1", "100", None, None, "11000", "COMEX"),
    "BTCUSDT": (AssetClass.CRYPTO, "USDT", "0.01", "0.00001", "1", "5", None, None, "BINANCE"),
    "ETHUSDT": (AssetClass.CRYPTO, "USDT", "0.01", "0.0001", "1", "5", None, None, "BINANCE"),
}

DEMO_ALLOCATION = {
    "trend-es": Decimal(30),
    "meanrev-spy": Decimal(20),
    "momentum-aapl": Decimal(15),
    "btc-breakout": Decimal(10),
}


@dataclass(frozen=True)
class DemoSeed:
    """The demo sender with its one-time secret, and what the year of history seeded."""

    issued: IssuedSecret
    history: HistoryReport


def seed_demo(services: Services, backtest_dir: Path) -> DemoSeed:
    """Create the demo senders, strategies, accounts, instruments, backtests and allocation,
    then a year of fund history; each account then holds the equity the history ends with."""
    senders, operations = services.senders, services.operations
    issued = senders.create(DEMO_SENDER_NAME, rate_limit_per_minute=600)
    second = senders.create(SECOND_SENDER_NAME, rate_limit_per_minute=600)
    # The history needs only the senders: it runs (in memory) while the rest is written.
    ids = {FIRST: issued.sender.sender_id, SECOND: second.sender.sender_id}
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mats-up-history") as pool:
        running = pool.submit(seed_history, services, ids)
        _seed_registry(services, issued, second, backtest_dir)
        history = running.result()
    # The history ends flat: each account's equity is its cash, as the history left it.
    for account, (broker, currency, _, _) in DEMO_ACCOUNTS.items():
        equity = history.equities[account]
        operations.set_account(
            account,
            broker=broker,
            base_currency=currency,
            equity=equity,
            cash=equity,
            margin_used=Decimal(0),
        )
    # Today's rate, where the history's left it (money limits are in USD: USDT needs a rate).
    operations.set_fx_rate("USDT/USD", history.usdt_usd)
    return DemoSeed(issued, history)


def _seed_registry(
    services: Services, issued: IssuedSecret, second: IssuedSecret, backtest_dir: Path
) -> None:
    """Accounts, strategies (with their senders), instruments, the allocation, backtests."""
    strategies, operations = services.strategies, services.operations
    allocations = services.allocations
    # Accounts first: a strategy may only name an account MATS knows.
    for account, (broker, currency, equity, margin_used) in DEMO_ACCOUNTS.items():
        operations.set_account(
            account,
            broker=broker,
            base_currency=currency,
            equity=equity,
            cash=equity,
            margin_used=margin_used,
        )
    for strategy_id, changes in DEMO_STRATEGIES.items():
        sender_ids: tuple[str, ...] = (issued.sender.sender_id,)
        if strategy_id in SECOND_SENDER_STRATEGIES:
            sender_ids += (second.sender.sender_id,)
        strategies.create(strategy_id, dataclasses.replace(changes, sender_ids=sender_ids))
    for symbol, spec in DEMO_INSTRUMENTS.items():
        asset_class, currency, tick, lot, multiplier, minimum, rate, per_unit, exchange = spec
        operations.set_instrument(
            symbol,
            asset_class=asset_class,
            currency=currency,
            tick_size=Decimal(tick),
            lot_size=Decimal(lot),
            multiplier=Decimal(multiplier),
            min_notional=_optional(minimum),
            margin_rate=_optional(rate),
            margin_per_unit=_optional(per_unit),
            exchange=exchange,
        )
    allocations.set_custom(DEMO_ALLOCATION, approved_by="demo", notes="demo allocation")
    report = services.backtests.ingest(services.backtest_files_at(backtest_dir))
    if report.failed:
        raise RuntimeError(f"demo backtests did not load: {report.failed}")


def configure_demo_gateway(control_url: str) -> None:
    """Give the simulated IB Gateway the demo's accounts, prices and futures commission."""
    setup = {
        "/accounts": {
            code: {"NetLiquidation": float(DEMO_ACCOUNTS[account][2])}
            for account, code in DEMO_IB_ACCOUNTS.items()
        },
        "/prices": DEMO_IB_PRICES,
        "/settings": {"commission_per_unit_by_sec_type": {"FUT": 0.85}},
    }
    for path, body in setup.items():
        _post(control_url + path, body)


def report_demo_equity(control_url: str, equities: Mapping[str, Decimal]) -> None:
    """Give the simulated IB Gateway's accounts the equity the demo history ended with, so the
    bridge reports today what the history's last account updates said."""
    accounts = {
        code: {"NetLiquidation": float(equities[account])}
        for account, code in DEMO_IB_ACCOUNTS.items()
    }
    _post(control_url + "/accounts", accounts)


def _post(url: str, body: object) -> None:
    request = urllib.request.Request(  # noqa: S310 - the stack's own loopback simulator.
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - loopback
        pass


def _optional(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


# strategy: daily mean, daily volatility, trades per day, margin per unit, currency, unit cost
DEMO_BACKTESTS = {
    "trend-es": (0.00055, 0.011, 0.20, "13000", "USD", "250000"),
    "meanrev-spy": (0.00040, 0.008, 0.60, "112.50", "USD", "450"),
    "momentum-aapl": (0.00050, 0.013, 0.35, "47.50", "USD", "190"),
    "btc-breakout": (0.00090, 0.030, 0.25, "0.90", "USDT", "0.90"),
    "eth-carry": (0.00030, 0.020, 0.50, "0.35", "USDT", "0.35"),
    "gold-swing": (0.00025, 0.009, 0.15, "11000", "USD", "200000"),
}
DEMO_BACKTEST_DAYS = 756


def write_demo_backtests(directory: Path) -> Path:
    """Write three years of fat-tailed daily returns per demo strategy, plus metadata.csv."""
    directory.mkdir(parents=True, exist_ok=True)
    generator = np.random.default_rng(20261121)
    days = np.busday_offset("2023-11-01", np.arange(DEMO_BACKTEST_DAYS), roll="forward")
    market = generator.standard_t(4, DEMO_BACKTEST_DAYS) / np.sqrt(2)
    for strategy_id, (mean, volatility, trade_rate, *_) in DEMO_BACKTESTS.items():
        own = generator.standard_t(4, DEMO_BACKTEST_DAYS) / np.sqrt(2)
        returns = mean + volatility * (0.4 * market + np.sqrt(1 - 0.16) * own)
        trades = generator.poisson(trade_rate, DEMO_BACKTEST_DAYS)
        rows = [
            f"{day},{value:.8f},{count}"
            for day, value, count in zip(days, returns, trades, strict=True)
        ]
        (directory / f"{strategy_id}.csv").write_text(
            "date,return,trades\n" + "\n".join(rows) + "\n"
        )
    metadata = [
        f"{strategy_id},{margin},{currency},{unit_cost}"
        for strategy_id, (*_, margin, currency, unit_cost) in DEMO_BACKTESTS.items()
    ]
    header = "strategy_id,margin_per_unit,currency,unit_cost\n"
    (directory / "metadata.csv").write_text(header + "\n".join(metadata) + "\n")
    return directory
