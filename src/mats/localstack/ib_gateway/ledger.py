"""Accounts of the simulated gateway: cash, positions, average cost, P&L and margin.

Average cost follows IB: per unit, times the multiplier, opening commissions included, so a
round trip's realised P&L is net of both commissions. Stocks, crypto and currencies move cash
by their notional; futures move cash only by realised P&L when a position is reduced.
Everything is accounted in USD.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from mats.localstack.ib_gateway.catalog import Instrument
from mats.localstack.ib_gateway.model import QUANTITY_EPSILON, Settings

BASE_CURRENCY = "USD"
# Tags reported by reqAccountUpdates and reqAccountSummary, in this order.
ACCOUNT_TAGS = (
    "NetLiquidation",
    "TotalCashValue",
    "SettledCash",
    "GrossPositionValue",
    "EquityWithLoanValue",
    "InitMarginReq",
    "MaintMarginReq",
    "FullInitMarginReq",
    "FullMaintMarginReq",
    "AvailableFunds",
    "FullAvailableFunds",
    "ExcessLiquidity",
    "FullExcessLiquidity",
    "BuyingPower",
    "Cushion",
    "UnrealizedPnL",
    "RealizedPnL",
)


@dataclass
class Holding:
    """One position: signed quantity, IB-style average cost and realised P&L so far."""

    instrument: Instrument
    quantity: float = 0.0
    average_cost: float = 0.0
    realized_pnl: float = 0.0


@dataclass
class Account:
    code: str
    cash: float
    realized_pnl: float = 0.0
    holdings: dict[int, Holding] = field(default_factory=dict)
    pinned: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PortfolioRow:
    """One ``updatePortfolio`` line."""

    instrument: Instrument
    position: float
    market_price: float
    market_value: float
    average_cost: float
    unrealized_pnl: float
    realized_pnl: float


class UnknownAccountError(KeyError):
    """The account code is not managed by this gateway."""


class Ledger:
    """Book executions into accounts and report their values."""

    def __init__(
        self,
        codes: Iterable[str],
        cash: float,
        settings: Settings,
        price_of: Callable[[Instrument], float],
    ) -> None:
        self._settings = settings
        self._price_of = price_of
        self._initial_cash = cash
        self._accounts = {code: Account(code, cash) for code in codes}

    @property
    def codes(self) -> list[str]:
        """Return the managed account codes in the order they were added."""
        return list(self._accounts)

    def has(self, code: str) -> bool:
        """Return whether ``code`` is a managed account."""
        return code in self._accounts

    def accounts(self) -> list[Account]:
        """Return every account, in the order they were added."""
        return list(self._accounts.values())

    def restore(self, accounts: Iterable[Account]) -> None:
        """Take back accounts a previous run of the gateway kept (others stay as they are)."""
        self._accounts.update({account.code: account for account in accounts})

    def reset(self, codes: Iterable[str]) -> None:
        """Start over with these accounts, flat and at their starting cash."""
        self._accounts = {code: Account(code, self._initial_cash) for code in codes}

    def apply(
        self,
        code: str,
        instrument: Instrument,
        *,
        buy: bool,
        quantity: float,
        price: float,
        commission: float,
    ) -> float | None:
        """Book one execution; return its realised P&L, or None if it only opened a position."""
        account = self._account(code)
        holding = account.holdings.setdefault(instrument.con_id, Holding(instrument))
        signed = quantity if buy else -quantity
        unit_value = price * instrument.multiplier
        realized: float | None = None
        # Fees raise a long's cost and lower a short's proceeds, as IB's average cost does.
        fee_sign = 1.0 if buy else -1.0
        if abs(holding.quantity) < QUANTITY_EPSILON or (holding.quantity > 0) == buy:
            total = abs(holding.quantity) + quantity
            cost = (
                abs(holding.quantity) * holding.average_cost
                + quantity * unit_value
                + fee_sign * commission
            )
            holding.average_cost = cost / total
            holding.quantity += signed
        else:
            closing = min(quantity, abs(holding.quantity))
            direction = 1.0 if holding.quantity > 0 else -1.0
            closing_commission = commission * closing / quantity
            realized = (
                unit_value - holding.average_cost
            ) * closing * direction - closing_commission
            holding.quantity += math.copysign(closing, signed)
            opening = quantity - closing
            if opening > QUANTITY_EPSILON:
                holding.quantity = math.copysign(opening, signed)
                opening_fee = fee_sign * (commission - closing_commission)
                holding.average_cost = (opening * unit_value + opening_fee) / opening
            elif abs(holding.quantity) < QUANTITY_EPSILON:
                holding.quantity = 0.0
                holding.average_cost = 0.0
            holding.realized_pnl += realized
            account.realized_pnl += realized
        if instrument.sec_type == "FUT":
            account.cash += realized or 0.0
        else:
            account.cash -= signed * unit_value + commission
        return realized

    def holdings(self, code: str) -> list[Holding]:
        """Return the account's positions, open or closed today."""
        return list(self._account(code).holdings.values())

    def all_holdings(self) -> list[tuple[str, Holding]]:
        """Return every (account, position) pair."""
        return [
            (account.code, holding)
            for account in self._accounts.values()
            for holding in account.holdings.values()
        ]

    def row(self, code: str, holding: Holding) -> PortfolioRow:
        """Value one position at the current price."""
        price = self._price_of(holding.instrument)
        market_value = holding.quantity * price * holding.instrument.multiplier
        return PortfolioRow(
            instrument=holding.instrument,
            position=holding.quantity,
            market_price=price,
            market_value=market_value,
            average_cost=holding.average_cost,
            unrealized_pnl=market_value - holding.quantity * holding.average_cost,
            realized_pnl=holding.realized_pnl,
        )

    def portfolio(self, code: str) -> list[PortfolioRow]:
        """Value every position of the account."""
        return [self.row(code, holding) for holding in self._account(code).holdings.values()]

    def values(self, code: str) -> dict[str, float]:
        """Return the account's values by tag (NetLiquidation, margin, P&L...)."""
        account = self._account(code)
        rows = self.portfolio(code)
        gross = sum(abs(row.market_value) for row in rows)
        unrealized = sum(row.unrealized_pnl for row in rows)
        net_liquidation = account.cash + self._holdings_value(rows)
        initial = self._settings.initial_margin_rate * gross
        maintenance = self._settings.maintenance_margin_rate * gross
        available = net_liquidation - initial
        excess = net_liquidation - maintenance
        rate = self._settings.initial_margin_rate
        values = {
            "NetLiquidation": net_liquidation,
            "TotalCashValue": account.cash,
            "SettledCash": account.cash,
            "GrossPositionValue": gross,
            "EquityWithLoanValue": net_liquidation,
            "InitMarginReq": initial,
            "MaintMarginReq": maintenance,
            "FullInitMarginReq": initial,
            "FullMaintMarginReq": maintenance,
            "AvailableFunds": available,
            "FullAvailableFunds": available,
            "ExcessLiquidity": excess,
            "FullExcessLiquidity": excess,
            "BuyingPower": available / rate if rate > 0 else available,
            "Cushion": excess / net_liquidation if net_liquidation else 0.0,
            "UnrealizedPnL": unrealized,
            "RealizedPnL": account.realized_pnl,
        }
        values.update(account.pinned)
        return {tag: round(value, 6) for tag, value in values.items()}

    def set_values(self, code: str, values: Mapping[str, float | None]) -> None:
        """Set an account's values, adding the account if it is new.

        ``TotalCashValue`` sets cash; ``NetLiquidation`` sets cash so that the net liquidation
        value comes out as given; any other tag is pinned to the value (None unpins it).
        """
        account = self._accounts.setdefault(code, Account(code, self._initial_cash))
        for tag, value in values.items():
            if value is None:
                account.pinned.pop(tag, None)
            elif tag == "TotalCashValue":
                account.cash = value
            elif tag == "NetLiquidation":
                account.cash = value - self._holdings_value(self.portfolio(code))
            else:
                account.pinned[tag] = value

    def _holdings_value(self, rows: Iterable[PortfolioRow]) -> float:
        """Return what positions add to net liquidation: stock value, futures P&L."""
        return sum(
            row.unrealized_pnl if row.instrument.sec_type == "FUT" else row.market_value
            for row in rows
        )

    def _account(self, code: str) -> Account:
        try:
            return self._accounts[code]
        except KeyError:
            raise UnknownAccountError(code) from None
