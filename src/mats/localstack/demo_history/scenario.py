"""Who and what the demo history trades: instruments, strategies, accounts, clients."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from mats.domain.accounting.views import cents
from mats.domain.funds.units import FlowKind

HISTORY_SEED = 63  # Chosen among seeds for a plausible year: both senders in profit.
HISTORY_DAYS = 365

# The senders of the history's signals: the demo sender and a second one, by key.
FIRST, SECOND = "first", "second"


@dataclass(frozen=True)
class TradedInstrument:
    symbol: str
    account: str
    currency: str
    tick: Decimal
    multiplier: Decimal
    end_price: Decimal  # Today's price (the simulated gateway's, for IB instruments).
    volatility: float  # Daily.
    commission_per_unit: Decimal = Decimal(0)
    commission_minimum: Decimal = Decimal(0)
    commission_rate: Decimal = Decimal(0)  # Of notional.
    margin_per_unit: Decimal = Decimal(0)
    margin_rate: Decimal = Decimal(0)

    def commission(self, quantity: Decimal, price: Decimal) -> Decimal:
        fee = quantity * self.commission_per_unit + quantity * price * self.commission_rate
        return cents(max(fee, self.commission_minimum))

    def margin(self, quantity: Decimal, price: Decimal) -> Decimal:
        held = abs(quantity)
        return held * self.margin_per_unit + held * price * self.multiplier * self.margin_rate


INSTRUMENTS = {
    "ES1!": TradedInstrument(
        "ES1!", "IBKR_Futures", "USD", Decimal("0.25"), Decimal(50), Decimal("5012.25"), 0.010,
        commission_per_unit=Decimal("0.85"), margin_per_unit=Decimal(13000),
    ),
    "AAPL": TradedInstrument(
        "AAPL", "IBKR_Main", "USD", Decimal("0.01"), Decimal(1), Decimal("190.10"), 0.016,
        commission_per_unit=Decimal("0.005"), commission_minimum=Decimal(1),
        margin_rate=Decimal("0.25"),
    ),
    "ETHUSDT": TradedInstrument(
        "ETHUSDT", "Binance_Main", "USDT", Decimal("0.01"), Decimal(1), Decimal("2400.00"), 0.032,
        commission_rate=Decimal("0.001"),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class TradedStrategy:
    """How a LIVE demo strategy trades in the history: its target is ``step`` x a level in
    ``[low, high]``, revised every ``every`` business days, from the senders by weight."""

    strategy_id: str
    symbol: str
    low: int
    high: int
    step: Decimal
    bias: float
    every: tuple[int, int]
    senders: tuple[tuple[str, float], ...]
    stops_days_before_end: int = 0  # Switched off (flat, no more signals) this long ago.


STRATEGIES = (
    TradedStrategy(
        "trend-es", "ES1!", -4, 4, Decimal(1), 0.4, (3, 8), ((FIRST, 0.7), (SECOND, 0.3))
    ),
    TradedStrategy("momentum-aapl", "AAPL", 0, 5, Decimal(50), 1.8, (2, 6), ((SECOND, 1.0),)),
    TradedStrategy("eth-carry", "ETHUSDT", 0, 4, Decimal(5), 1.6, (4, 10), ((FIRST, 1.0),), 75),
)

# The share of every client's cash each account receives (and pays out).
CASH_SHARES = {"IBKR_Futures": Decimal("0.80"), "IBKR_Main": Decimal("0.14")}
CASH_REMAINDER = "Binance_Main"  # Gets the rest, in USDT.
BROKERS = {"IBKR_Main": "IB", "IBKR_Futures": "IB", "Binance_Main": "BINANCE"}
ACCOUNT_CURRENCIES = {"IBKR_Main": "USD", "IBKR_Futures": "USD", "Binance_Main": "USDT"}


@dataclass(frozen=True)
class DemoClient:
    client_id: str
    name: str
    email: str
    # (calendar day of the history, DEPOSIT or WITHDRAWAL, amount or None, units or None)
    flows: tuple[tuple[int, FlowKind, str | None, str | None], ...]


DEP, WD = FlowKind.DEPOSIT, FlowKind.WITHDRAWAL
CLIENTS = (
    DemoClient(
        "harbor-family", "Harbor Family Office", "office@harbor.example",
        ((0, DEP, "1200000", None), (128, DEP, "300000", None), (271, WD, "200000", None)),
    ),
    DemoClient(
        "jane-whitfield", "Jane Whitfield", "jane@whitfield.example",
        ((0, DEP, "250000", None), (45, DEP, "50000", None), (198, DEP, "50000", None),
         (318, WD, None, "300")),
    ),
    DemoClient(
        "northwind-pension", "Northwind Pension Trust", "treasury@northwind.example",
        ((61, DEP, "600000", None), (232, WD, "100000", None)),
    ),
    DemoClient(
        "li-wei", "Li Wei", "li.wei@example.com",
        ((152, DEP, "120000", None), (302, WD, "40000", None)),
    ),
)  # fmt: skip
