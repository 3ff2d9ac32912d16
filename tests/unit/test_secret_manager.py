"""The Secret Manager secret store over a stand-in for Google's client (no emulator exists):
the requests it makes, and how Secret Manager's answers and failures come back."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from google.api_core import exceptions as google_errors

from mats.adapters.secret_manager import SecretManagerSecretStore
from mats.errors import TemporaryError


class SecretManager:
    """What ``SecretManagerServiceClient`` answers, kept in memory: secrets with versions."""

    def __init__(self) -> None:
        self.secrets: dict[str, list[bytes]] = {}
        self.failing: Exception | None = None

    def create_secret(self, *, request: dict[str, Any]) -> None:
        self._fail()
        name = f"{request['parent']}/secrets/{request['secret_id']}"
        if name in self.secrets:
            raise google_errors.AlreadyExists(name)
        self.secrets[name] = []

    def add_secret_version(self, *, request: dict[str, Any]) -> None:
        self._fail()
        self.secrets[request["parent"]].append(request["payload"]["data"])

    def access_secret_version(self, *, request: dict[str, Any]) -> Any:
        self._fail()
        secret = request["name"].removesuffix("/versions/latest")
        if secret not in self.secrets:
            raise google_errors.NotFound(secret)
        if not self.secrets[secret]:
            raise google_errors.FailedPrecondition("no enabled version")
        return SimpleNamespace(payload=SimpleNamespace(data=self.secrets[secret][-1]))

    def delete_secret(self, *, request: dict[str, Any]) -> None:
        self._fail()
        if request["name"] not in self.secrets:
            raise google_errors.NotFound(request["name"])
        del self.secrets[request["name"]]

    def _fail(self) -> None:
        if self.failing is not None:
            raise self.failing


def test_a_secret_is_created_once_then_each_put_adds_the_latest_version() -> None:
    manager = SecretManager()
    store = SecretManagerSecretStore("fund-prod", manager)

    store.put("sender-a-signing-key", "first")
    store.put("sender-a-signing-key", "second")

    assert manager.secrets == {
        "projects/fund-prod/secrets/sender-a-signing-key": [b"first", b"second"]
    }
    assert store.get("sender-a-signing-key") == "second"


def test_a_missing_secret_is_none_and_deleting_it_twice_is_fine() -> None:
    store = SecretManagerSecretStore("fund-prod", SecretManager())
    store.put("k", "v")

    store.delete("k")
    store.delete("k")

    assert store.get("k") is None


def test_secret_manager_unavailable_is_a_temporary_error() -> None:
    manager = SecretManager()
    store = SecretManagerSecretStore("fund-prod", manager)
    manager.failing = google_errors.ServiceUnavailable("down")

    with pytest.raises(TemporaryError, match="Secret Manager unavailable"):
        store.get("k")
