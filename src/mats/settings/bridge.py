"""The execution bridge's settings: its venues (IB, ccxt, paper), timings and limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal

from mats.adapters.brokers.paper import PaperSettings
from mats.domain.market import parse_pair
from mats.errors import ValidationError
from mats.services.bridge import BridgeSettings
from mats.services.execution.router import ExecutionSettings
from mats.settings.environment import (
    Environment,
    duration,
    flag,
    fraction,
    number,
    pairs,
    seconds,
    text,
    utc_window,
    whole_number,
)
from mats.settings.shared import margin_limit


@dataclass(frozen=True)
class CcxtVenueConfig:
    """One ccxt venue: ``MATS_CCXT_VENUES=BINANCE=binance:Binance_Main`` plus its secrets, and
    the FX pairs its tickers price (``MATS_CCXT_FX_PAIRS=BINANCE=EUR/USDT,USDC/USDT``)."""

    name: str
    exchange_id: str
    account: str
    api_key: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    # In a deployment, the secret store's names for them instead: read when the bridge starts
    # and again before each call (cached a minute), so a rotated key needs no restart.
    api_key_secret: str | None = None
    secret_secret: str | None = None
    password_secret: str | None = None
    sandbox: bool = False
    fx_pairs: tuple[str, ...] = ()  # ``BASE/QUOTE``, markets of this exchange.


@dataclass(frozen=True)
class BridgeConfig:
    """The execution bridge's venues, alerts and timings (README "Configuration")."""

    ib_host: str = "127.0.0.1"
    ib_port: int = 4002
    ib_client_id: int = 1
    ib_accounts: Mapping[str, str] = field(default_factory=dict)  # MATS account -> IB code
    ib_restart_window: tuple[time, time] | None = None
    ib_heartbeat_seconds: float = 15.0
    ccxt_venues: tuple[CcxtVenueConfig, ...] = ()
    paper: PaperSettings = field(default_factory=PaperSettings)
    execution: ExecutionSettings = field(default_factory=ExecutionSettings)
    runtime: BridgeSettings = field(default_factory=BridgeSettings)
    reconcile_tolerance: Decimal = Decimal(0)


def bridge_config(env: Environment) -> BridgeConfig:
    defaults = BridgeConfig()
    return BridgeConfig(
        ib_host=text(env, "MATS_IB_HOST") or defaults.ib_host,
        ib_port=whole_number(env, "MATS_IB_PORT", defaults.ib_port),
        ib_client_id=whole_number(env, "MATS_IB_CLIENT_ID", defaults.ib_client_id),
        ib_accounts=pairs(env, "MATS_IB_ACCOUNTS"),
        ib_restart_window=utc_window(env, "MATS_IB_RESTART_WINDOW"),
        ib_heartbeat_seconds=seconds(
            env, "MATS_IB_HEARTBEAT_SECONDS", defaults.ib_heartbeat_seconds
        ),
        ccxt_venues=_ccxt_venues(env),
        paper=_paper_settings(env),
        execution=_execution_settings(env),
        runtime=_runtime_settings(env),
        reconcile_tolerance=number(env, "MATS_RECONCILE_TOLERANCE", defaults.reconcile_tolerance),
    )


def _paper_settings(env: Environment) -> PaperSettings:
    defaults = PaperSettings()
    return PaperSettings(
        slippage_bps=number(env, "MATS_PAPER_SLIPPAGE_BPS", defaults.slippage_bps),
        commission_per_unit=number(
            env, "MATS_PAPER_COMMISSION_PER_UNIT", defaults.commission_per_unit
        ),
        minimum_commission=number(
            env, "MATS_PAPER_MINIMUM_COMMISSION", defaults.minimum_commission
        ),
    )


def _execution_settings(env: Environment) -> ExecutionSettings:
    defaults = ExecutionSettings()
    return ExecutionSettings(
        entry_max_age=duration(env, "MATS_ENTRY_MAX_AGE_SECONDS", defaults.entry_max_age),
        exit_retry_min=duration(env, "MATS_EXIT_RETRY_MIN_SECONDS", defaults.exit_retry_min),
        exit_retry_max=duration(env, "MATS_EXIT_RETRY_MAX_SECONDS", defaults.exit_retry_max),
        outage_alert_after=duration(env, "MATS_OUTAGE_ALERT_SECONDS", defaults.outage_alert_after),
        margin_warning=fraction(env, "MATS_MARGIN_WARNING", defaults.margin_warning),
        margin_limit=margin_limit(env),
        quote_max_age=timedelta(
            seconds=whole_number(
                env, "MATS_QUOTE_MAX_AGE_SECONDS", int(defaults.quote_max_age.total_seconds())
            )
        ),
    )


def _runtime_settings(env: Environment) -> BridgeSettings:
    defaults = BridgeSettings()
    return BridgeSettings(
        poll_seconds=seconds(env, "MATS_BRIDGE_POLL_SECONDS", defaults.poll_seconds),
        account_seconds=seconds(env, "MATS_ACCOUNT_UPDATE_SECONDS", defaults.account_seconds),
        reconcile_seconds=seconds(env, "MATS_RECONCILE_SECONDS", defaults.reconcile_seconds),
        quote_seconds=seconds(env, "MATS_QUOTE_SECONDS", defaults.quote_seconds),
    )


def _ccxt_venues(env: Environment) -> tuple[CcxtVenueConfig, ...]:
    """``MATS_CCXT_VENUES`` (``NAME=exchange:Account,...``) with ``MATS_CCXT_<NAME>_*`` secrets
    (or ``MATS_CCXT_<NAME>_*_SECRET``, their names in the secret store)."""
    venues = []
    fx_pairs = _ccxt_fx_pairs(env)
    for name, target in pairs(env, "MATS_CCXT_VENUES").items():
        exchange_id, colon, account = target.partition(":")
        if not colon or not exchange_id.strip() or not account.strip():
            raise ValidationError(
                "MATS_CCXT_VENUES", f"expected NAME=exchange:Account; got {name}={target}"
            )
        prefix = f"MATS_CCXT_{name.upper()}_"
        venues.append(
            CcxtVenueConfig(
                name=name,
                exchange_id=exchange_id.strip().lower(),
                account=account.strip(),
                api_key=text(env, prefix + "API_KEY"),
                secret=text(env, prefix + "SECRET"),
                password=text(env, prefix + "PASSWORD"),
                api_key_secret=text(env, prefix + "API_KEY_SECRET"),
                secret_secret=text(env, prefix + "SECRET_SECRET"),
                password_secret=text(env, prefix + "PASSWORD_SECRET"),
                sandbox=flag(env, prefix + "SANDBOX"),
                fx_pairs=fx_pairs.pop(name, ()),
            )
        )
    if fx_pairs:
        raise ValidationError(
            "MATS_CCXT_FX_PAIRS",
            f"{', '.join(sorted(fx_pairs))} is not a venue of MATS_CCXT_VENUES",
        )
    return tuple(venues)


def _ccxt_fx_pairs(env: Environment) -> dict[str, tuple[str, ...]]:
    """``MATS_CCXT_FX_PAIRS``: ``NAME=BASE/QUOTE,BASE/QUOTE,OTHER=BASE/QUOTE`` (a pair without a
    ``NAME=`` belongs to the venue named before it)."""
    name = "MATS_CCXT_FX_PAIRS"
    found: dict[str, list[str]] = {}
    venue: str | None = None
    for item in filter(None, (part.strip() for part in (text(env, name) or "").split(","))):
        key, equals, pair = item.rpartition("=")
        if equals:
            venue = key.strip()
        if not venue or not pair.strip():
            raise ValidationError(name, f"expected NAME=BASE/QUOTE,BASE/QUOTE,...; got {item!r}")
        try:
            base, quote = parse_pair(pair)
        except ValidationError as error:
            raise ValidationError(name, f"{venue}: {error.message}") from None
        found.setdefault(venue, []).append(f"{base}/{quote}")
    return {venue: tuple(dict.fromkeys(pairs)) for venue, pairs in found.items()}
