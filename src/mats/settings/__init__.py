"""One process's settings, read from the environment mapping it is given, section by section.

Each section is parsed the first time something reads it, so a process only parses what it uses
and a bad variable fails only the processes that read it, with an error naming the variable (a
typo in ``MATS_CCXT_VENUES`` stops the bridge, never ingest's cold start). What each deployable
reads (README "Configuration" lists every variable and its default):

- ingest: ``cloud``, ``secrets_dir``, ``ingest``
- cerebro: ``cloud``, ``cerebro``, ``notifications``
- optimizer: ``cloud``, ``oidc``, ``backtest_location``
- dashboard: ``cloud``, ``accounting``, ``oidc``, ``api``, ``schedule`` (the API's schedule routes),
  ``notifications`` (alerts it raises, e.g. for dead letters)
- the bridge: ``cloud``, ``bridge``, ``notifications``, ``oidc``
- the CLI: ``cloud``, ``secrets_dir``, ``backtest_location``, ``notifications`` (``alerts``),
  ``firebase`` (``users``), ``schedule`` (``schedule``)
- the local stack (``mats up``): ``schedule`` (its nightly runner's first time)

Every variable is named and given its default in exactly one of the modules beside this one.
"""

# ruff: noqa: PLC0415 - a section's module (and what its settings classes import) loads with it.

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from mats.settings.environment import path

if TYPE_CHECKING:
    from mats.adapters.oidc import OidcSettings
    from mats.domain.cerebro.decisions import CerebroSettings
    from mats.settings.accounting import AccountingSettings
    from mats.settings.api import ApiSettings
    from mats.settings.backtests import BacktestLocation
    from mats.settings.bridge import BridgeConfig
    from mats.settings.cloud import CloudSettings, FirebaseSettings
    from mats.settings.ingest import IngestConfig
    from mats.settings.schedule import ScheduleSettings
    from mats.settings.shared import NotificationConfig


class Settings:
    """The settings sections of one process, each parsed from ``env`` on first use."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env: Mapping[str, str] = dict(env)  # A snapshot: later changes do not leak in.

    @cached_property
    def cloud(self) -> CloudSettings:
        from mats.settings.cloud import cloud_settings

        return cloud_settings(self.env)

    @cached_property
    def firebase(self) -> FirebaseSettings:
        from mats.settings.cloud import firebase_settings

        return firebase_settings(self.env)

    @cached_property
    def ingest(self) -> IngestConfig:
        from mats.settings.ingest import ingest_config

        return ingest_config(self.env)

    @cached_property
    def cerebro(self) -> CerebroSettings:
        from mats.settings.cerebro import cerebro_settings

        return cerebro_settings(self.env)

    @cached_property
    def bridge(self) -> BridgeConfig:
        from mats.settings.bridge import bridge_config

        return bridge_config(self.env)

    @cached_property
    def accounting(self) -> AccountingSettings:
        from mats.settings.accounting import accounting_settings

        return accounting_settings(self.env)

    @cached_property
    def api(self) -> ApiSettings:
        from mats.settings.api import api_settings

        return api_settings(self.env)

    @cached_property
    def schedule(self) -> ScheduleSettings:
        from mats.settings.schedule import schedule_settings

        return schedule_settings(self.env)

    @cached_property
    def notifications(self) -> NotificationConfig:
        from mats.settings.shared import notification_config

        return notification_config(self.env)

    @cached_property
    def oidc(self) -> OidcSettings | None:
        from mats.settings.shared import oidc_settings

        return oidc_settings(self.env)

    @cached_property
    def secrets_dir(self) -> Path | None:
        """The local secret store (senders' signing keys); unset in a project: Secret Manager."""
        return path(self.env, "MATS_SECRETS_DIR")

    @cached_property
    def backtest_location(self) -> BacktestLocation | None:
        """Where ``backtests sync`` jobs read the CSV files: a directory or ``gs://`` prefix."""
        from mats.settings.backtests import backtest_location

        return backtest_location(self.env)
