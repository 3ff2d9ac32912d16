"""The accounting's settings (``functions/dashboard`` and the CLI's fund commands)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal

from mats.domain.funds.payouts import PayoutTerms
from mats.domain.market import validate_currency
from mats.settings.environment import (
    Environment,
    fraction,
    number,
    text,
    utc_time,
    whole_number,
)
from mats.settings.shared import margin_limit, trading_day_start


@dataclass(frozen=True)
class AccountingSettings:
    """``base_currency`` is the default until ``mats fund set --base-currency`` stores one."""

    base_currency: str = "USD"
    trading_day_start: time = time(0, 0)
    nav_strike_at: time = time(22, 0)
    fx_max_age: timedelta = timedelta(days=4)
    margin_limit: Decimal = Decimal("0.40")
    payout_terms: PayoutTerms = field(default_factory=PayoutTerms)
    shortfall_window: int = 500  # Orders per group the execution-quality aggregates cover.


def accounting_settings(env: Environment) -> AccountingSettings:
    defaults = AccountingSettings()
    terms = defaults.payout_terms
    return AccountingSettings(
        base_currency=validate_currency(
            (text(env, "MATS_BASE_CURRENCY") or defaults.base_currency).upper(),
            "MATS_BASE_CURRENCY",
        ),
        trading_day_start=trading_day_start(env),
        nav_strike_at=utc_time(env, "MATS_NAV_STRIKE_AT", defaults.nav_strike_at),
        fx_max_age=timedelta(
            days=whole_number(env, "MATS_FX_MAX_AGE_DAYS", defaults.fx_max_age.days)
        ),
        margin_limit=margin_limit(env),
        payout_terms=PayoutTerms(
            rate=fraction(env, "MATS_PAYOUT_RATE", terms.rate),
            min_payout=number(env, "MATS_PAYOUT_MINIMUM", terms.min_payout),
            payment_day=whole_number(env, "MATS_PAYOUT_DAY", terms.payment_day),
        ),
        shortfall_window=whole_number(env, "MATS_SHORTFALL_WINDOW", defaults.shortfall_window),
    )
