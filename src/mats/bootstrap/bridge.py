"""The execution bridge's wiring: its venues (paper, IB, ccxt), execution and reconciliation.

Only the bridge process builds this, so only it loads the broker libraries and reads the bridge's
settings (``Settings.bridge``): a bad venue variable stops the bridge and nothing else.
"""

# ruff: noqa: PLC0415 - the venue libraries load only for the venues configured.

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mats.adapters.brokers.paper import PaperBroker
from mats.adapters.firestore.execution import FirestorePaperBook
from mats.services.bridge import Bridge, assemble_bridge
from mats.services.execution.router import VenueRouter
from mats.settings.bridge import BridgeConfig, CcxtVenueConfig

if TYPE_CHECKING:
    from mats.adapters.brokers.ib_session import IbSession
    from mats.bootstrap.root import Services
    from mats.ports import Clock, FxFeed, QuoteFeed, SecretStore


def build_bridge(services: Services) -> Bridge:
    """Wire the bridge over ``services``' stores, publisher and alerts (not yet started)."""
    config, state = services.settings.bridge, services.trading_state
    execution, clock, alerts = config.execution, services.clock, services.alerts
    paper = PaperBroker(FirestorePaperBook(services.firestore), state, clock, config.paper)
    live: dict[str, Any] = {}
    feeds: dict[str, QuoteFeed] = {}
    fx_feeds: dict[str, FxFeed] = {}
    sessions: list[Any] = []
    if config.ib_accounts:
        session, ib = _interactive_brokers(config, lambda: bridge, clock)
        live["IB"] = feeds["IB"] = ib
        sessions.append(session)
    for venue in config.ccxt_venues:
        broker = _ccxt(venue, clock, services.secret_store)
        live[venue.name] = feeds[venue.name] = broker
        if venue.fx_pairs:
            fx_feeds[venue.name] = broker
    accounts = dict.fromkeys(config.ib_accounts, "IB")
    accounts.update({venue.account: venue.name for venue in config.ccxt_venues})
    router = VenueRouter(paper, live, accounts)
    bridge = assemble_bridge(
        store=services.execution_store,
        router=router,
        publisher=services.publisher,
        alerts=alerts,
        accounts=state,
        positions=state,
        market=state,
        clock=clock,
        feeds=feeds,
        fx_feeds=fx_feeds,
        sessions=sessions,
        execution=execution,
        runtime=config.runtime,
        reconcile_tolerance=config.reconcile_tolerance,
        health=state,
    )
    return bridge


def _ccxt(venue: CcxtVenueConfig, clock: Clock, store: SecretStore) -> Any:
    from mats.adapters.brokers.ccxt import CcxtBroker, CcxtCredentials

    source: Callable[[], CcxtCredentials | None] | None = None
    if venue.api_key_secret and venue.secret_secret:
        key_name, secret_name = venue.api_key_secret, venue.secret_secret
        password_name = venue.password_secret

        def stored() -> CcxtCredentials | None:
            api_key, secret = store.get(key_name), store.get(secret_name)
            password = store.get(password_name) if password_name else None
            return CcxtCredentials(api_key, secret, password) if api_key and secret else None

        source = stored
        credentials = stored()
    else:
        credentials = (
            CcxtCredentials(venue.api_key, venue.secret, venue.password)
            if venue.api_key and venue.secret
            else None
        )
    return CcxtBroker(
        venue.exchange_id,
        venue.account,
        credentials,
        sandbox=venue.sandbox,
        clock=clock,
        fx_pairs=venue.fx_pairs,
        name=venue.name,
        credentials_source=source,
    )


def _interactive_brokers(
    config: BridgeConfig, bridge: Callable[[], Bridge], clock: Clock
) -> tuple[IbSession, Any]:
    from mats.adapters.brokers.ib import IbBroker
    from mats.adapters.brokers.ib_session import IbSession, IbSettings

    session = IbSession(
        IbSettings(
            host=config.ib_host,
            port=config.ib_port,
            client_id=config.ib_client_id,
            accounts=tuple(config.ib_accounts.values()),
            heartbeat_seconds=config.ib_heartbeat_seconds,
            restart_window=config.ib_restart_window,
        ),
        clock=clock,
        # The bridge is built after its venues; these run only once it is started.
        on_connected=lambda: bridge().venue_connected("IB"),
        on_order_event=lambda reference: bridge().venue_event(reference),
    )
    return session, IbBroker(session, config.ib_accounts)
