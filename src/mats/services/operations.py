"""What operators set by hand until the bridge maintains it.

Accounts, ledger positions, instruments, quotes, FX rates and risk states: each validated here
before Cerebro ever sizes against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from mats.domain.accounting import AccountState, StrategyPosition
from mats.domain.market import (
    AssetClass,
    FxRate,
    Instrument,
    Quote,
    parse_pair,
    validate_currency,
    validate_instrument,
)
from mats.domain.risk import (
    GLOBAL_SCOPE,
    STRATEGY_PREFIX,
    RiskSetting,
    RiskState,
    most_restrictive,
    strategy_scope,
)
from mats.domain.strategies import StrategyFilter, validate_account_name
from mats.errors import NotFoundError, ValidationError
from mats.ports import (
    AccountStore,
    Clock,
    MarketDataStore,
    PositionStore,
    RiskStore,
    StrategyStore,
)


class OperationsService:
    def __init__(
        self,
        *,
        accounts: AccountStore,
        positions: PositionStore,
        market: MarketDataStore,
        risk: RiskStore,
        strategies: StrategyStore,
        clock: Clock,
    ) -> None:
        self._accounts = accounts
        self._positions = positions
        self._market = market
        self._risk = risk
        self._strategies = strategies
        self._clock = clock

    def set_account(
        self,
        account: str,
        *,
        broker: str,
        base_currency: str,
        equity: Decimal,
        cash: Decimal,
        margin_used: Decimal,
        margin_available: Decimal | None = None,
    ) -> AccountState:
        """Record an account snapshot (the bridge will publish these from the broker)."""
        validate_account_name(account)
        validate_currency(base_currency.upper(), "currency")
        for name, value in (("equity", equity), ("margin_used", margin_used)):
            if value < 0:
                raise ValidationError(name, "must not be negative")
        state = AccountState(
            account=account,
            broker=broker.upper(),
            base_currency=base_currency.upper(),
            equity=equity,
            cash=cash,
            margin_used=margin_used,
            margin_available=margin_available,
            updated_at=self._clock.now(),
            source="cli",
        )
        self._accounts.put_account(state)
        return state

    def list_accounts(self) -> Sequence[AccountState]:
        return self._accounts.list_accounts()

    def set_position(
        self,
        account: str,
        strategy_id: str,
        symbol: str,
        quantity: Decimal,
        *,
        average_cost: Decimal | None = None,
        pnl_today: Decimal = Decimal(0),
    ) -> StrategyPosition:
        """Set one strategy's ledger position (the bridge will maintain these from fills)."""
        if self._strategies.get(strategy_id) is None:
            raise ValidationError("strategy", f"strategy {strategy_id!r} does not exist")
        now = self._clock.now()
        position = StrategyPosition(
            account=account,
            strategy_id=strategy_id,
            symbol=symbol,
            quantity=quantity,
            average_cost=average_cost,
            pnl_today=pnl_today,
            pnl_date=now.date(),
            updated_at=now,
            source="cli",
        )
        self._positions.put_position(position)
        return position

    def list_positions(
        self, *, account: str | None = None, strategy_id: str | None = None
    ) -> Sequence[StrategyPosition]:
        return self._positions.list_positions(account=account, strategy_id=strategy_id)

    def set_instrument(
        self,
        symbol: str,
        *,
        asset_class: AssetClass,
        currency: str,
        tick_size: Decimal,
        lot_size: Decimal,
        multiplier: Decimal = Decimal(1),
        min_notional: Decimal | None = None,
        margin_rate: Decimal | None = None,
        margin_per_unit: Decimal | None = None,
        exchange: str | None = None,
        broker_symbol: str | None = None,
    ) -> Instrument:
        """Register or replace what the venue accepts for ``symbol``."""
        instrument = Instrument(
            symbol=symbol,
            asset_class=asset_class,
            currency=currency.upper(),
            tick_size=tick_size,
            lot_size=lot_size,
            multiplier=multiplier,
            min_notional=min_notional,
            margin_rate=margin_rate,
            margin_per_unit=margin_per_unit,
            exchange=exchange,
            broker_symbol=broker_symbol,
            updated_at=self._clock.now(),
        )
        self._market.put_instrument(validate_instrument(instrument))
        return instrument

    def list_instruments(self) -> Sequence[Instrument]:
        return self._market.list_instruments()

    def set_quote(
        self,
        symbol: str,
        *,
        last: Decimal | None = None,
        bid: Decimal | None = None,
        ask: Decimal | None = None,
    ) -> Quote:
        prices = {"last": last, "bid": bid, "ask": ask}
        if all(value is None for value in prices.values()):
            raise ValidationError("price", "give at least one of --last, --bid, --ask")
        for name, value in prices.items():
            if value is not None and value <= 0:
                raise ValidationError(name, "must be above zero")
        if bid is not None and ask is not None and bid > ask:
            raise ValidationError("bid", f"{bid} is above the ask {ask}")
        quote = Quote(symbol, self._clock.now(), last=last, bid=bid, ask=ask, source="cli")
        self._market.put_quote(quote)
        return quote

    def set_fx_rate(self, pair: str, rate: Decimal) -> FxRate:
        """Record ``rate`` units of QUOTE per BASE for ``pair``, written ``BASE/QUOTE``."""
        base, quote = parse_pair(pair)
        if not rate.is_finite() or rate <= 0:
            raise ValidationError("rate", "must be a number above zero")
        fx = FxRate(base, quote, rate, self._clock.now(), source="cli")
        self._market.put_fx_rate(fx)
        return fx

    def set_risk(
        self, state: RiskState, *, strategy_id: str | None, reason: str | None, set_by: str
    ) -> RiskSetting:
        """Set the fund's (or one strategy's) trading state; the next signal obeys it.

        A repeat (the state and reason already set) changes nothing and answers the setting.
        """
        if strategy_id is not None and self._strategies.get(strategy_id) is None:
            raise NotFoundError(f"strategy {strategy_id!r} does not exist")
        scope = strategy_scope(strategy_id) if strategy_id else GLOBAL_SCOPE
        reason = (reason or "").strip() or None
        current = self._settings().get(scope)
        if current is not None and (current.state, current.reason) == (state, reason):
            return current
        setting = RiskSetting(scope, state, self._clock.now(), reason, set_by)
        self._risk.put_risk(setting)
        return setting

    def list_risk(self) -> Sequence[RiskSetting]:
        return self._risk.list_risk()

    def risk_overview(self) -> RiskOverview:
        """The fund's trading state and every strategy's (registered, or with a state set)."""
        settings = self._settings()
        fund_state = _fund_state(settings)
        registered = {s.strategy_id for s in self._strategies.list(StrategyFilter())}
        named = {scope.removeprefix(STRATEGY_PREFIX) for scope in settings if scope != GLOBAL_SCOPE}
        strategies = tuple(
            _scope_risk(settings, strategy_scope(strategy_id), strategy_id, fund_state)
            for strategy_id in sorted(registered | named)
        )
        return RiskOverview(_scope_risk(settings, GLOBAL_SCOPE, None, fund_state), strategies)

    def risk_of(self, strategy_id: str | None) -> ScopeRisk:
        """The fund's trading state (``None``) or one strategy's, as the overview shows it."""
        settings = self._settings()
        scope = strategy_scope(strategy_id) if strategy_id else GLOBAL_SCOPE
        return _scope_risk(settings, scope, strategy_id, _fund_state(settings))

    def _settings(self) -> dict[str, RiskSetting]:
        return {setting.scope: setting for setting in self._risk.list_risk()}


@dataclass(frozen=True)
class ScopeRisk:
    """One scope's trading state as set (``ACTIVE`` when none is) and the one in force: the
    stricter of its own and the fund's."""

    scope: str
    strategy_id: str | None
    state: RiskState
    in_force: RiskState
    reason: str | None = None
    set_by: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class RiskOverview:
    fund: ScopeRisk
    strategies: tuple[ScopeRisk, ...]


def _fund_state(settings: dict[str, RiskSetting]) -> RiskState:
    fund = settings.get(GLOBAL_SCOPE)
    return fund.state if fund is not None else RiskState.ACTIVE


def _scope_risk(
    settings: dict[str, RiskSetting], scope: str, strategy_id: str | None, fund: RiskState
) -> ScopeRisk:
    setting = settings.get(scope)
    if setting is None:
        return ScopeRisk(scope, strategy_id, RiskState.ACTIVE, fund)
    return ScopeRisk(
        scope,
        strategy_id,
        setting.state,
        most_restrictive(setting.state, fund),
        setting.reason,
        setting.set_by,
        setting.updated_at,
    )
