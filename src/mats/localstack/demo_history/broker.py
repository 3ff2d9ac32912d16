"""The simulated broker: each account's cash and holdings, and the equity it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from mats.domain.accounting import AccountState
from mats.domain.accounting.views import cents
from mats.domain.trading import Side
from mats.localstack.demo_history.market import Execution
from mats.localstack.demo_history.scenario import (
    ACCOUNT_CURRENCIES,
    BROKERS,
    CASH_REMAINDER,
    CASH_SHARES,
    INSTRUMENTS,
)
from mats.services.accounting.service import AccountUpdate


@dataclass
class BrokerAccount:
    account: str
    currency: str
    cash: Decimal = Decimal(0)
    holdings: dict[str, Decimal] = field(default_factory=dict)


class Broker:
    """Each account's cash and holdings; its equity at the given marks, as the broker says."""

    def __init__(self) -> None:
        self.accounts = {
            name: BrokerAccount(name, currency) for name, currency in ACCOUNT_CURRENCIES.items()
        }
        self.marks: dict[str, Decimal] = {}
        self.funded: set[str] = set()

    def execute(self, account: str, symbol: str, side: Side, execution: Execution) -> Decimal:
        spec = INSTRUMENTS[symbol]
        held = self.accounts[account]
        signed = execution.quantity if side is Side.BUY else -execution.quantity
        commission = spec.commission(execution.quantity, execution.price)
        held.cash -= signed * execution.price * spec.multiplier + commission
        held.holdings[symbol] = held.holdings.get(symbol, Decimal(0)) + signed
        self.marks[symbol] = execution.price
        return commission

    def move_cash(self, usd: Decimal, usdt_per_usd: Decimal) -> list[str]:
        """Client or fee cash in (+) or out (-), spread over the accounts; those it touched."""
        rest = usd
        for account, share in CASH_SHARES.items():
            amount = cents(usd * share)
            self.accounts[account].cash += amount
            rest -= amount
        self.accounts[CASH_REMAINDER].cash += cents(rest * usdt_per_usd)
        self.funded.update(ACCOUNT_CURRENCIES)
        return list(ACCOUNT_CURRENCIES)

    def state(self, account: str, at: datetime) -> AccountUpdate:
        held = self.accounts[account]
        value, margin, marks = Decimal(0), Decimal(0), []
        for symbol, quantity in sorted(held.holdings.items()):
            if quantity == 0:
                continue
            spec, mark = INSTRUMENTS[symbol], self.marks[symbol]
            value += quantity * mark * spec.multiplier
            margin += spec.margin(quantity, mark)
            marks.append((symbol, mark))
        equity = cents(held.cash + value)
        return AccountUpdate(
            message_id=f"{account}@{at:%Y%m%dT%H%M%S%f}",
            state=AccountState(
                account=account,
                broker=BROKERS[account],
                base_currency=held.currency,
                equity=equity,
                cash=cents(held.cash),
                margin_used=cents(margin),
                margin_available=cents(equity - margin),
                updated_at=at,
                source=BROKERS[account],
            ),
            marks=tuple(marks),
        )
