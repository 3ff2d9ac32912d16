"""The accounting's stored state and read models: what the dashboard reads, one document each.

Every figure here is derived from facts (fills, account updates, FX rates, marks, client flows)
by the accounting, never typed in; money in the fund's base currency is rounded half-up to the
cent for display (``cents``) while sums are taken over the unrounded amounts. Nothing here holds
the time it was computed, only the time of the newest fact it reflects (``as_of``), so replaying
the same facts gives the same documents, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from mats.domain.accounting.lots import LedgerKey, Lot
from mats.domain.dead_letters import DeadLetterCount
from mats.domain.venues import BridgeHealth

CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    """Money as shown: half-up to the cent (``-0.005`` → ``-0.01``)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP) + 0


@dataclass(frozen=True)
class BrokerMark:
    """The broker's own mark for one position, as an account update reported it."""

    symbol: str
    price: Decimal


@dataclass(frozen=True)
class SenderShare:
    """What one sender's lots in one ledger have realised so far (base currency, unrounded)."""

    sender_id: str
    realized: Decimal = Decimal(0)
    commissions: Decimal = Decimal(0)
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class LedgerRecord:
    """One (account, strategy, instrument) lot ledger as stored: open lots and running totals.

    ``realized`` and ``commissions`` are in the base currency, each converted at the rate of its
    own moment and frozen; ``realized_ccy`` is the same P&L in the instrument's currency.
    ``last_*`` is the newest fill applied: a fill that sorts after it is applied incrementally,
    any other makes the ledger be folded again from every fill it holds.
    """

    key: LedgerKey
    currency: str
    multiplier: Decimal
    lots: tuple[Lot, ...]
    fills_applied: int
    last_executed_at: datetime
    last_execution_id: str
    realized: Decimal = Decimal(0)
    realized_ccy: Decimal = Decimal(0)
    commissions: Decimal = Decimal(0)
    senders: tuple[SenderShare, ...] = ()
    flags: tuple[str, ...] = ()

    @property
    def quantity(self) -> Decimal:
        return sum((lot.quantity for lot in self.lots), Decimal(0))

    @property
    def average_cost(self) -> Decimal | None:
        held = self.quantity
        if held == 0:
            return None
        return sum((lot.quantity * lot.price for lot in self.lots), Decimal(0)) / held


@dataclass(frozen=True)
class SignalPnl:
    """The P&L of the lots one signal opened (the sender's money, per signal)."""

    signal_id: str
    sender_id: str
    strategy_id: str
    account: str
    symbol: str
    currency: str
    opened_quantity: Decimal
    open_quantity: Decimal
    realized: Decimal
    commissions: Decimal
    unrealized: Decimal
    net: Decimal
    as_of: datetime
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PositionLine:
    """One open position as valued: average cost, mark (with source and age), P&L in base."""

    account: str
    strategy_id: str
    symbol: str
    currency: str
    quantity: Decimal
    average_cost: Decimal | None
    mark: Decimal | None
    mark_source: str | None
    mark_as_of: datetime | None
    unrealized_ccy: Decimal | None
    unrealized: Decimal | None
    market_value: Decimal | None
    fx_rate: Decimal | None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PnlView:
    """P&L of a group (fund, account, strategy, sender), base currency, cents."""

    group: str
    name: str
    realized: Decimal
    unrealized: Decimal
    commissions: Decimal
    net: Decimal
    day_pnl: Decimal | None
    positions: tuple[PositionLine, ...]
    as_of: datetime | None
    day_start: datetime | None = None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountLine:
    """One account's latest broker-reported state, in its currency and in base."""

    account: str
    broker: str
    currency: str
    equity: Decimal
    cash: Decimal
    margin_used: Decimal
    equity_base: Decimal | None
    margin_used_base: Decimal | None
    fx_rate: Decimal | None
    as_of: datetime
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class FundSummary:
    """The admin home's header: equity, today's P&L, margin used against the limit, NAV."""

    base_currency: str
    equity: Decimal
    accrued_fees: Decimal
    withdrawals_held: Decimal
    nav: Decimal
    day_pnl: Decimal | None
    day_pnl_pct: Decimal | None
    margin_used: Decimal
    margin_max: Decimal
    margin_used_pct: Decimal | None
    open_positions: int
    unpriced_positions: int
    accounts: tuple[AccountLine, ...]
    as_of: datetime | None
    nav_per_unit: Decimal | None = None
    units_in_issue: Decimal = Decimal(0)
    fx_translation: Decimal = Decimal(0)
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    """An hourly (or strike-time) picture of every position and account, as valued then."""

    snapshot_id: str
    at: datetime
    base_currency: str
    equity: Decimal
    margin_used: Decimal
    positions: tuple[PositionLine, ...]
    accounts: tuple[AccountLine, ...]
    strategy_totals: dict[str, Decimal]  # strategy -> net P&L to date, base
    sender_totals: dict[str, Decimal]  # sender -> net P&L to date (C), base
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class EquityPoint:
    at: datetime
    equity: Decimal
    margin_used: Decimal


@dataclass(frozen=True)
class SeriesPage:
    """A bounded slice of a time series (NAV per unit by year, equity by month)."""

    series: str
    period: str
    points: tuple[EquityPoint, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PnlParts:
    """P&L to date split as the day's figures need it (base currency, unrounded)."""

    realized: Decimal = Decimal(0)
    unrealized: Decimal = Decimal(0)
    commissions: Decimal = Decimal(0)

    @property
    def net(self) -> Decimal:
        return self.realized + self.unrealized - self.commissions


@dataclass(frozen=True)
class DayStartTotals:
    """P&L to date of every strategy and account, and the fund's equity, at the start of a
    trading day: the baseline today's P&L is measured from."""

    trading_day: date
    day_start: datetime
    strategies: dict[str, PnlParts]
    accounts: dict[str, PnlParts]
    fund: PnlParts
    equity: Decimal
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class StrikeRecord:
    """One NAV strike as stored (``nav_strikes/{YYYY-MM-DD}``), with what it was struck from.

    ``equity`` is sum of account equity in base; ``fees_owed`` the senders' accrued, due and carried
    fees; ``withdrawals_held`` the cash held for withdrawals; so ``fund_nav = equity - fees_owed
    - withdrawals_held``. ``sender_totals`` is each sender's cumulative P&L C at the strike (what
    a month-end crystallises).
    """

    strike_id: str
    at: datetime
    equity: Decimal
    fees_owed: Decimal
    withdrawals_held: Decimal
    fund_nav: Decimal
    units_before: Decimal
    nav_before_dealing: Decimal
    nav_per_unit: Decimal
    units_after: Decimal
    nav_after_dealing: Decimal
    residual: Decimal
    dealt: tuple[str, ...]
    refused: tuple[str, ...]
    holdings: dict[str, Decimal]
    sender_totals: dict[str, Decimal]
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SenderView:
    """What a signal sender sees of its money: C, HWM, fees accrued, due, paid, next payment."""

    sender_id: str
    base_currency: str
    cumulative_pnl: Decimal
    realized: Decimal
    unrealized: Decimal
    commissions: Decimal
    hwm: Decimal
    accrued: Decimal
    due: Decimal
    carried: Decimal
    paid: Decimal
    next_payment_date: date | None
    fee_rate: Decimal
    min_payout: Decimal
    as_of: datetime | None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Client:
    """An investor in the fund's one unitised share class."""

    client_id: str
    name: str
    created_at: datetime
    email: str | None = None


@dataclass(frozen=True)
class MonthReturn:
    month: str  # YYYY-MM
    value: Decimal  # A fraction: 0.0123 is +1.23 %


@dataclass(frozen=True)
class YearReturn:
    year: int
    value: Decimal


@dataclass(frozen=True)
class NavPointView:
    on: date
    nav_per_unit: Decimal
    nav: Decimal
    units: Decimal


@dataclass(frozen=True)
class ReturnsView:
    """The fund's time-weighted returns: ratios of month-end NAV per unit, the same for every
    client; and its maximum drawdown over the NAV-per-unit series."""

    months: tuple[MonthReturn, ...]
    years: tuple[YearReturn, ...]
    year_to_date: Decimal | None
    since_inception: Decimal | None
    max_drawdown: Decimal | None
    nav_per_unit: Decimal | None
    as_of: datetime | None


@dataclass(frozen=True)
class FlowLine:
    flow_id: str
    kind: str
    status: str
    recorded_at: datetime
    amount: Decimal | None
    units: Decimal | None
    nav_per_unit: Decimal | None
    units_dealt: Decimal | None
    amount_dealt: Decimal | None
    strike_id: str | None
    reason: str | None = None
    paid_at: datetime | None = None  # A withdrawal's cash sent (a refused deposit returned).
    paid_reference: str | None = None


@dataclass(frozen=True)
class ClientView:
    """What an investor sees: units, value, contributions, profit, returns — nothing of trades.

    ``irr`` is the client's own money-weighted return (XIRR of their flows and current value),
    labelled as such beside the fund's time-weighted returns.
    """

    client_id: str
    name: str
    base_currency: str
    units: Decimal
    nav_per_unit: Decimal | None
    value: Decimal
    net_contributions: Decimal
    profit: Decimal
    irr: Decimal | None
    pending: tuple[FlowLine, ...]
    flows: tuple[FlowLine, ...]
    returns: ReturnsView
    as_of: datetime | None


@dataclass(frozen=True)
class NavHistory:
    """One year of NAV per unit, a point per strike (``nav_history/{YYYY}``)."""

    year: str
    points: tuple[NavPointView, ...]


@dataclass(frozen=True)
class FundSettings:
    """The fund's own settings (``fund/settings``); unset, the environment's defaults hold."""

    base_currency: str
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class TopicMark:
    """The newest message the accounting has taken from one topic."""

    topic: str
    message_id: str
    at: datetime


@dataclass(frozen=True)
class HealthView:
    """System health as the accounting sees it: what arrived last, what is open, what ran.

    ``dead_letters``: each source subscription's dead letters (count and newest), by name.
    """

    topics: tuple[TopicMark, ...]
    open_alerts: int
    critical_alerts: int
    last_nightly_run: str | None
    last_nightly_status: str | None
    last_nightly_at: datetime | None
    last_snapshot_at: datetime | None
    last_strike: str | None
    stale_accounts: tuple[str, ...]
    as_of: datetime
    bridge: BridgeHealth | None = None
    dead_letters: tuple[DeadLetterCount, ...] = ()
