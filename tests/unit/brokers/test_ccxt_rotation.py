"""A rotated exchange key is used from the next call, without a restart: the broker compares the
key in use with the secret store's before each call, masks the new one in logs and errors as well
as the old, and keeps the old key when the store cannot be read."""

from __future__ import annotations

import logging
from typing import Any

import ccxt
import pytest

from mats.adapters.brokers.ccxt import CcxtBroker, CcxtCredentials
from mats.errors import MatsError, TemporaryError

OLD = CcxtCredentials("old-key-111111", "old-secret-111111")
NEW = CcxtCredentials("new-key-222222", "new-secret-222222")


class Exchange:
    """The part of a ccxt exchange the broker touches here; records the key of every call."""

    def __init__(self) -> None:
        self.options: dict[str, Any] = {}
        self.markets: dict[str, Any] = {}
        self.apiKey = ""
        self.secret = ""
        self.password = ""
        self.keys_used: list[str] = []
        self.refuse = False

    def set_sandbox_mode(self, enabled: bool) -> None:
        del enabled

    def load_markets(self) -> dict[str, Any]:
        return {}

    def fetch_balance(self) -> dict[str, Any]:
        self.keys_used.append(self.apiKey)
        if self.refuse:
            raise ccxt.AuthenticationError(f"binance -2015 Invalid API-key {self.apiKey}")
        return {"total": {}, "free": {}, "used": {}}


class Store:
    def __init__(self, credentials: CcxtCredentials | None) -> None:
        self.credentials = credentials
        self.down = False

    def __call__(self) -> CcxtCredentials | None:
        if self.down:
            raise TemporaryError("Secret Manager unavailable: ServiceUnavailable")
        return self.credentials


def _broker(exchange: Exchange, store: Store) -> CcxtBroker:
    return CcxtBroker(
        "binance", "Binance_Main", store(), exchange=exchange, credentials_source=store
    )


def test_a_rotated_key_is_used_from_the_next_call(caplog: pytest.LogCaptureFixture) -> None:
    exchange, store = Exchange(), Store(OLD)
    broker = _broker(exchange, store)
    broker.account("Binance_Main")

    store.credentials = NEW
    with caplog.at_level(logging.INFO):
        broker.account("Binance_Main")

    assert exchange.keys_used == [OLD.api_key, NEW.api_key]
    assert exchange.secret == NEW.secret
    assert "exchange credentials rotated" in caplog.text
    assert NEW.api_key not in caplog.text


def test_errors_mask_the_new_key_and_the_old_one() -> None:
    exchange, store = Exchange(), Store(OLD)
    broker = _broker(exchange, store)
    store.credentials = NEW
    exchange.refuse = True

    with pytest.raises(MatsError) as refused:
        broker.account("Binance_Main")

    assert NEW.api_key not in str(refused.value)
    assert "[redacted]" in str(refused.value)
    assert broker._redactor.redact(f"{OLD.api_key} {NEW.secret}") == "[redacted] [redacted]"


def test_the_key_in_use_stays_while_the_store_cannot_be_read() -> None:
    exchange, store = Exchange(), Store(OLD)
    broker = _broker(exchange, store)
    store.down = True

    broker.account("Binance_Main")

    assert exchange.keys_used == [OLD.api_key]


def test_a_key_removed_from_the_store_is_not_unset() -> None:
    exchange, store = Exchange(), Store(OLD)
    broker = _broker(exchange, store)
    store.credentials = None

    broker.account("Binance_Main")

    assert exchange.keys_used == [OLD.api_key]
