"""Cerebro's settings: how it sizes signals and what it does with a position mismatch."""

from __future__ import annotations

from datetime import timedelta

from mats.domain.cerebro.decisions import CerebroSettings, MismatchPolicy
from mats.domain.market import validate_currency
from mats.errors import ValidationError
from mats.settings.environment import Environment, fraction, text, whole_number
from mats.settings.shared import margin_limit, trading_day_start


def cerebro_settings(env: Environment) -> CerebroSettings:
    defaults = CerebroSettings()
    policy = (text(env, "MATS_MISMATCH_POLICY") or defaults.mismatch_policy.value).upper()
    if policy not in MismatchPolicy.__members__:
        allowed = ", ".join(MismatchPolicy.__members__)
        raise ValidationError("MATS_MISMATCH_POLICY", f"must be one of {allowed}; got {policy!r}")
    return CerebroSettings(
        margin_limit=margin_limit(env),
        slippage_alpha_fraction=fraction(
            env, "MATS_SLIPPAGE_ALPHA_FRACTION", defaults.slippage_alpha_fraction
        ),
        quote_max_age=timedelta(
            seconds=whole_number(
                env, "MATS_QUOTE_MAX_AGE_SECONDS", int(defaults.quote_max_age.total_seconds())
            )
        ),
        max_event_age=timedelta(
            seconds=whole_number(
                env, "MATS_MAX_EVENT_AGE_SECONDS", int(defaults.max_event_age.total_seconds())
            )
        ),
        mismatch_policy=MismatchPolicy[policy],
        cost_allowance=fraction(env, "MATS_COST_ALLOWANCE", defaults.cost_allowance),
        base_currency=validate_currency(
            (text(env, "MATS_BASE_CURRENCY") or defaults.base_currency).upper(),
            "MATS_BASE_CURRENCY",
        ),
        trading_day_start=trading_day_start(env),
    )
