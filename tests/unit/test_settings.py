"""Settings per deployable: sections parsed on first use; a bad variable fails only its readers."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

import pytest

from mats.adapters.bridge_control import HttpBridgeControl
from mats.adapters.firestore.client import firestore_client
from mats.bootstrap import bootstrap
from mats.errors import TemporaryError, ValidationError
from mats.services.cerebro import CerebroService
from mats.services.ingest import IngestService
from mats.settings import Settings
from mats.settings.cloud import CloudSettings
from mats.settings.ingest import IngestConfig
from tests.fakes import FakePublisher

PROJECT = {"GOOGLE_CLOUD_PROJECT": "mats-test"}
SECTIONS = ("cloud", "ingest", "cerebro", "bridge", "notifications", "oidc")


def services_for(env: dict[str, str], tmp_path: Path) -> Any:
    # A real client for an emulator nobody runs: building stores on it sends nothing.
    client = firestore_client("mats-test", "127.0.0.1:9")
    return bootstrap(
        {**PROJECT, "MATS_SECRETS_DIR": str(tmp_path), **env},
        firestore_client=client,
        publisher=FakePublisher(),
    )


def test_a_bad_ccxt_venue_leaves_ingest_settings_and_services_buildable(tmp_path: Path) -> None:
    services = services_for({"MATS_CCXT_VENUES": "BINANCE=binance"}, tmp_path)

    assert services.settings.ingest == IngestConfig()
    assert isinstance(services.ingest, IngestService)
    assert isinstance(services.cerebro, CerebroService)


def test_a_bad_ccxt_venue_fails_the_bridge_naming_the_variable(tmp_path: Path) -> None:
    services = services_for({"MATS_CCXT_VENUES": "BINANCE=binance"}, tmp_path)

    with pytest.raises(ValidationError, match="MATS_CCXT_VENUES: expected NAME=exchange:Account"):
        _ = services.bridge

    with pytest.raises(ValidationError) as raised:
        _ = services.settings.bridge
    assert raised.value.field == "MATS_CCXT_VENUES"


@pytest.mark.parametrize(
    ("variable", "value", "section"),
    [
        ("MATS_CCXT_VENUES", "BINANCE=binance", "bridge"),
        ("MATS_IB_PORT", "four thousand", "bridge"),
        ("MATS_IB_RESTART_WINDOW", "22:00", "bridge"),
        ("MATS_PAPER_SLIPPAGE_BPS", "-1", "bridge"),
        ("MATS_MISMATCH_POLICY", "SOMETIMES", "cerebro"),
        ("MATS_BASE_CURRENCY", "DOLLARS", "cerebro"),
        ("MATS_TRADING_DAY_START", "22", "cerebro"),
        ("MATS_TRADING_DAY_START", "7:30", "cerebro"),
        ("MATS_TRADING_DAY_START", "25:00", "cerebro"),
        ("MATS_ALERT_REPEAT_SECONDS", "0", "notifications"),
        ("MATS_MAX_BODY_BYTES", "lots", "ingest"),
        ("MATS_TRUSTED_PROXY_HOPS", "-1", "ingest"),
        ("MATS_OPTIMIZE_AT", "10pm", "schedule"),
        ("MATS_NIGHTLY_JOB", "nightly/job", "schedule"),
        ("MATS_SCHEDULER_LOCATION", "projects/x/locations/y", "schedule"),
    ],
)
def test_a_bad_variable_fails_only_the_section_that_reads_it(
    variable: str, value: str, section: str
) -> None:
    settings = Settings({**PROJECT, variable: value})

    with pytest.raises(ValidationError) as raised:
        getattr(settings, section)

    assert raised.value.field == variable
    assert str(raised.value).startswith(f"{variable}: ")
    for other in SECTIONS:
        if other != section:
            getattr(settings, other)


def test_a_bad_margin_limit_fails_cerebro_and_the_bridge_which_both_read_it() -> None:
    settings = Settings({**PROJECT, "MATS_MARGIN_LIMIT": "1.5"})

    for section in ("cerebro", "bridge"):
        with pytest.raises(ValidationError, match="MATS_MARGIN_LIMIT: must be a fraction"):
            getattr(settings, section)
    assert settings.ingest == IngestConfig()


def test_the_trading_day_starts_at_midnight_utc_unless_set() -> None:
    assert Settings(PROJECT).cerebro.trading_day_start == time(0, 0)
    evening = Settings({**PROJECT, "MATS_TRADING_DAY_START": "22:00"})
    assert evening.cerebro.trading_day_start == time(22, 0)


def test_a_bad_trading_day_start_says_what_it_expects() -> None:
    settings = Settings({**PROJECT, "MATS_TRADING_DAY_START": "10pm"})

    with pytest.raises(ValidationError, match=r"expected HH:MM \(UTC\); got '10pm'"):
        _ = settings.cerebro


def test_without_a_project_only_the_clients_fail() -> None:
    settings = Settings({"MATS_MAX_BODY_BYTES": "1024"})

    with pytest.raises(ValidationError, match="GOOGLE_CLOUD_PROJECT"):
        _ = settings.cloud
    assert settings.ingest.max_body_bytes == 1024


def test_the_emulators_come_from_the_mapping_given_not_from_os_environ(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST", "GOOGLE_CLOUD_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    env = {
        "GOOGLE_CLOUD_PROJECT": "mats-local",
        "FIRESTORE_EMULATOR_HOST": "127.0.0.1:8681",
        "PUBSUB_EMULATOR_HOST": "127.0.0.1:8682",
    }

    assert Settings(env).cloud == CloudSettings("mats-local", "127.0.0.1:8681", "127.0.0.1:8682")
    assert Settings(PROJECT).cloud == CloudSettings("mats-test")


def test_settings_read_a_snapshot_of_the_environment() -> None:
    env = {**PROJECT, "MATS_MAX_BODY_BYTES": "1024"}
    settings = Settings(env)

    env["MATS_MAX_BODY_BYTES"] = "lots"

    assert settings.ingest.max_body_bytes == 1024


def test_defaults_apply_to_unset_and_blank_variables() -> None:
    settings = Settings({**PROJECT, "MATS_IB_PORT": " ", "MATS_CCXT_VENUES": ""})

    assert settings.bridge.ib_port == 4002
    assert settings.bridge.ccxt_venues == ()
    assert settings.oidc is None
    assert settings.secrets_dir is None


def test_the_secret_store_is_the_local_directory_else_secret_manager_in_a_project(
    tmp_path: Path,
) -> None:
    from mats.adapters.secret_manager import SecretManagerSecretStore  # noqa: PLC0415
    from mats.adapters.secrets import FileSecretStore, UnconfiguredSecretStore  # noqa: PLC0415
    from mats.bootstrap import bootstrap  # noqa: PLC0415

    local = {"GOOGLE_CLOUD_PROJECT": "p", "MATS_SECRETS_DIR": str(tmp_path)}
    emulated = {"GOOGLE_CLOUD_PROJECT": "p", "FIRESTORE_EMULATOR_HOST": "127.0.0.1:1"}

    assert isinstance(bootstrap(local).secret_store, FileSecretStore)
    assert isinstance(
        bootstrap({"GOOGLE_CLOUD_PROJECT": "p"}).secret_store, SecretManagerSecretStore
    )
    assert isinstance(bootstrap(emulated).secret_store, UnconfiguredSecretStore)


def test_ccxt_fx_pairs_belong_to_the_venue_named_before_them() -> None:
    settings = Settings(
        {
            **PROJECT,
            "MATS_CCXT_VENUES": "BINANCE=binance:Binance_Main,KRAKEN=kraken:Kraken_Main",
            "MATS_CCXT_FX_PAIRS": "BINANCE=eur/usdt, USDC/USDT,KRAKEN=USDT/USD,BINANCE=EUR/USDT",
        }
    )

    venues = {venue.name: venue.fx_pairs for venue in settings.bridge.ccxt_venues}

    assert venues == {"BINANCE": ("EUR/USDT", "USDC/USDT"), "KRAKEN": ("USDT/USD",)}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("EUR/USDT", "expected NAME=BASE/QUOTE"),
        ("BINANCE=EURUSDT", "BINANCE: 'EURUSDT' must be written BASE/QUOTE"),
        ("BINANCE=EUR/XYZ", "BINANCE: "),
        ("KRAKEN=USDT/USD", "KRAKEN is not a venue of MATS_CCXT_VENUES"),
    ],
)
def test_a_bad_ccxt_fx_pair_fails_the_bridge_naming_the_variable(value: str, message: str) -> None:
    settings = Settings(
        {**PROJECT, "MATS_CCXT_VENUES": "BINANCE=binance:Binance_Main", "MATS_CCXT_FX_PAIRS": value}
    )

    with pytest.raises(ValidationError, match=f"MATS_CCXT_FX_PAIRS: {message}") as raised:
        _ = settings.bridge
    assert raised.value.field == "MATS_CCXT_FX_PAIRS"
    assert settings.ingest == IngestConfig()


def test_the_dashboards_bridge_url_is_checked_and_without_it_the_bridge_is_unavailable(
    tmp_path: Path,
) -> None:
    configured = services_for(
        {"MATS_BRIDGE_URL": "http://127.0.0.1:8700", "MATS_BRIDGE_AUDIENCE": "https://b"}, tmp_path
    )
    unset = services_for({}, tmp_path)

    assert (configured.settings.api.bridge_url, configured.settings.api.bridge_audience) == (
        "http://127.0.0.1:8700",
        "https://b",
    )
    assert isinstance(configured.bridge_control, HttpBridgeControl)
    with pytest.raises(TemporaryError, match="MATS_BRIDGE_URL"):
        _ = unset.bridge_control
    with pytest.raises(ValidationError) as refused:
        _ = services_for({"MATS_BRIDGE_URL": "bridge:8700"}, tmp_path).settings.api
    assert refused.value.field == "MATS_BRIDGE_URL"
