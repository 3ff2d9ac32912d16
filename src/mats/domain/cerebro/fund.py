"""The fund as sizing sees it: every account's equity and margin in the base currency.

Allocated capital is a share of the fund's equity across all accounts and brokers, each
account's broker-reported equity converted with the stored FX rates. An account whose currency
has no rate to the base currency is left out (``FX_RATE_MISSING``, named in the trace): its
equity is never counted at a silent 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from mats.domain.accounting import AccountState
from mats.domain.cerebro.context import DecisionInputs, Trace
from mats.domain.cerebro.decisions import fmt
from mats.domain.cerebro.exposure import InFlight, in_flight
from mats.domain.market import Conversion, conversion
from mats.domain.orders import Order

ZERO = Decimal(0)


@dataclass(frozen=True)
class FundAccount:
    """One account of the fund with its rate to the base currency."""

    state: AccountState
    to_base: Conversion

    @property
    def equity(self) -> Decimal:
        return self.state.equity * self.to_base.rate

    @property
    def margin_used(self) -> Decimal:
        return self.state.margin_used * self.to_base.rate


@dataclass(frozen=True)
class Fund:
    """The accounts valued in the base currency, and those left out for want of a rate."""

    base_currency: str
    accounts: tuple[FundAccount, ...]
    left_out: tuple[AccountState, ...] = ()

    @property
    def equity(self) -> Decimal:
        return sum((a.equity for a in self.accounts), ZERO)

    @property
    def margin_used(self) -> Decimal:
        return sum((a.margin_used for a in self.accounts), ZERO)


def value_fund(trace: Trace, inputs: DecisionInputs) -> Fund:
    """Value every account in the base currency, recording the fund's equity and what is out."""
    base = trace.settings.base_currency
    valued: list[FundAccount] = []
    left_out: list[AccountState] = []
    for state in inputs.fund_accounts:
        rate = trace.convert(
            inputs.fx_rates,
            state.base_currency,
            base,
            missing=f"account {state.account} ({fmt(state.equity)} {state.base_currency} "
            "equity) is left out of the fund's equity",
        )
        if rate is None:
            left_out.append(state)
        else:
            valued.append(FundAccount(state, rate))
    fund = Fund(base, tuple(valued), tuple(left_out))
    oldest = min((a.state.updated_at for a in valued), default=None)
    trace.record_input(
        "fund_equity",
        fund.equity,
        f"accounts ({len(valued)} of {len(valued) + len(left_out)} valued in {base}"
        + (f"; left out: {', '.join(a.account for a in left_out)})" if left_out else ")"),
        oldest,
    )
    parts = " + ".join(_valued(a, base) for a in valued) or "no account valued"
    trace.step("fund_equity", f"{parts}, in {base}", fund.equity)
    return fund


def fund_in_flight(inputs: DecisionInputs, fund: Fund) -> tuple[InFlight, tuple[str, ...]]:
    """The entries in flight on every valued account, in the base currency.

    Returns the total and the accounts whose orders could not be valued (left out, named).
    """
    margin = notional = ZERO
    unvalued: list[str] = []
    for account in fund.accounts:
        flying = in_flight(
            inputs.orders_on(account.state.account),
            snapshot_at=account.state.updated_at,
            notional_per_unit=_valuer(inputs, account.state),
        )
        if flying is None:
            unvalued.append(account.state.account)
            continue
        margin += flying.margin * account.to_base.rate
        notional += flying.notional * account.to_base.rate
    return InFlight(margin, notional), tuple(unvalued)


def value_in_account(inputs: DecisionInputs, order: Order, state: AccountState) -> Decimal | None:
    """A working order's full notional per unit in its account's currency (no margin estimate)."""
    price = order.reference_price or order.limit_price or order.stop_price
    rate = conversion(inputs.fx_rates, order.currency, state.base_currency)
    if price is None or rate is None:
        return None
    return price * order.multiplier * rate.rate


def _valuer(inputs: DecisionInputs, state: AccountState) -> Callable[[Order], Decimal | None]:
    return lambda order: value_in_account(inputs, order, state)


def _valued(account: FundAccount, base: str) -> str:
    state = account.state
    if state.base_currency == base:
        return f"{state.account} {fmt(state.equity)} {base}"
    return (
        f"{state.account} {fmt(state.equity)} {state.base_currency} x {fmt(account.to_base.rate)}"
    )
