"""The Secret Manager store's reads in a deployment: the newest enabled version, kept for a
short TTL (a rotation is picked up without a restart, a burst of reads costs one), the disabled
newest version skipped, an absent secret kept as absent too, and a listing without values."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from google.api_core import exceptions as google_errors

from mats.adapters.secret_manager import SecretManagerSecretStore

PROJECT = "fund-prod"


class VersionedSecretManager:
    """What ``SecretManagerServiceClient`` answers: secrets with numbered versions and states."""

    def __init__(self) -> None:
        self.versions: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[str] = []

    def create_secret(self, *, request: dict[str, Any]) -> None:
        self.calls.append("create_secret")
        name = f"{request['parent']}/secrets/{request['secret_id']}"
        if name in self.versions:
            raise google_errors.AlreadyExists(name)
        self.versions[name] = []

    def add_secret_version(self, *, request: dict[str, Any]) -> None:
        self.calls.append("add_secret_version")
        versions = self.versions[request["parent"]]
        versions.append(
            {"data": request["payload"]["data"], "state": "ENABLED", "number": len(versions) + 1}
        )

    def disable(self, secret: str, number: int) -> None:
        self.versions[f"projects/{PROJECT}/secrets/{secret}"][number - 1]["state"] = "DISABLED"

    def access_secret_version(self, *, request: dict[str, Any]) -> Any:
        self.calls.append("access_secret_version")
        secret, _, version = request["name"].rpartition("/versions/")
        if secret not in self.versions or not self.versions[secret]:
            raise google_errors.NotFound(secret)
        versions = self.versions[secret]
        found = versions[-1] if version == "latest" else versions[int(version) - 1]
        if found["state"] != "ENABLED":
            raise google_errors.FailedPrecondition(f"{request['name']} is {found['state']}")
        return SimpleNamespace(payload=SimpleNamespace(data=found["data"]))

    def list_secret_versions(self, *, request: dict[str, Any]) -> list[Any]:
        self.calls.append("list_secret_versions")
        parent = request["parent"]
        if parent not in self.versions:
            raise google_errors.NotFound(parent)
        wanted = request.get("filter")
        return [
            SimpleNamespace(
                name=f"{parent}/versions/{v['number']}",
                state=SimpleNamespace(name=v["state"]),
                create_time=datetime(2026, 12, 1, v["number"], tzinfo=UTC),
            )
            for v in reversed(self.versions[parent])  # Newest first, as Secret Manager lists.
            if wanted is None or wanted == f"state:{v['state']}"
        ]

    def list_secrets(self, *, request: dict[str, Any]) -> list[Any]:
        return [
            SimpleNamespace(name=name, create_time=None)
            for name in sorted(self.versions)
            if name.startswith(request["parent"])
        ]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def manager() -> VersionedSecretManager:
    return VersionedSecretManager()


def _store(manager: VersionedSecretManager, clock: Clock) -> SecretManagerSecretStore:
    return SecretManagerSecretStore(PROJECT, manager, ttl=60, monotonic=clock)


def test_a_value_is_read_once_per_ttl(manager: VersionedSecretManager) -> None:
    clock = Clock()
    store = _store(manager, clock)
    store.put("telegram-bot-token", "first")
    manager.calls.clear()

    assert [store.get("telegram-bot-token") for _ in range(50)] == ["first"] * 50
    assert manager.calls == ["access_secret_version"]


def test_a_rotation_elsewhere_is_read_after_the_ttl_without_a_restart(
    manager: VersionedSecretManager,
) -> None:
    clock = Clock()
    reader = _store(manager, clock)
    operator = _store(manager, clock)
    operator.put("telegram-bot-token", "old")
    assert reader.get("telegram-bot-token") == "old"

    operator.put("telegram-bot-token", "new")
    clock.now += 59
    still = reader.get("telegram-bot-token")
    clock.now += 2
    rotated = reader.get("telegram-bot-token")

    assert (still, rotated) == ("old", "new")


def test_a_put_is_read_back_at_once_by_the_same_store(manager: VersionedSecretManager) -> None:
    store = _store(manager, Clock())
    store.put("k", "one")
    assert store.get("k") == "one"

    store.put("k", "two")

    assert store.get("k") == "two"


def test_a_disabled_newest_version_falls_back_to_the_newest_enabled_one(
    manager: VersionedSecretManager,
) -> None:
    clock = Clock()
    store = _store(manager, clock)
    for value in ("v1", "v2", "v3"):
        store.put("ccxt-binance-secret", value)
    manager.disable("ccxt-binance-secret", 3)  # A bad rotation rolled back.

    clock.now += 61
    assert store.get("ccxt-binance-secret") == "v2"

    manager.disable("ccxt-binance-secret", 2)
    manager.disable("ccxt-binance-secret", 1)
    clock.now += 61
    assert store.get("ccxt-binance-secret") is None


def test_an_absent_secret_is_kept_as_absent_for_the_ttl_too(
    manager: VersionedSecretManager,
) -> None:
    clock = Clock()
    store = _store(manager, clock)

    assert store.get("sender-unknown-signing-key") is None
    assert store.get("sender-unknown-signing-key") is None

    assert manager.calls == ["access_secret_version"]


def test_the_listing_names_versions_and_never_values(manager: VersionedSecretManager) -> None:
    store = _store(manager, Clock())
    store.put("b-secret", "hunter2-b")
    store.put("a-secret", "hunter2-a1")
    store.put("a-secret", "hunter2-a2")
    manager.disable("a-secret", 2)

    listed = store.list_secrets()

    assert [(i.name, i.versions, i.latest_enabled) for i in listed] == [
        ("a-secret", 2, 1),
        ("b-secret", 1, 1),
    ]
    assert "hunter2" not in repr(listed)
