"""Google Secret Manager as the ``SecretStore`` of a deployed MATS.

Each secret is one Secret Manager secret (``projects/{project}/secrets/{name}``) whose newest
enabled version holds the value: ``put`` adds a version (creating the secret the first time),
``get`` reads it, ``delete`` removes the secret with every version, ``list_secrets`` names each
secret with its versions (never a value).

``get`` reads ``versions/latest``, which is the newest version whatever its state; when that one
is disabled (a rotation rolled back by disabling the new version) it reads the newest enabled one
instead (listing versions needs ``roles/secretmanager.viewer`` on the secret as well as the
accessor role; Terraform grants both). Values are kept for ``ttl`` (60 s): a process picks up a
rotation within that time without a restart, and a burst of webhooks costs one read. Absent
secrets are kept as absent for the same time, so a known and an unknown sender's key cost alike.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from google.api_core import exceptions as google_errors

from mats.errors import TemporaryError
from mats.ports import SecretInfo

DEFAULT_TTL_SECONDS = 60.0
_TEMPORARY = (
    google_errors.ServiceUnavailable,
    google_errors.DeadlineExceeded,
    google_errors.InternalServerError,
    google_errors.TooManyRequests,
)
_ABSENT = object()


class SecretManagerSecretStore:
    def __init__(
        self,
        project_id: str,
        client: Any = None,
        *,
        ttl: float = DEFAULT_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._project = project_id
        self._client = client
        self._ttl = ttl
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> str | None:
        now = self._monotonic()
        with self._lock:
            cached = self._cache.get(name)
        if cached is not None and now - cached[0] < self._ttl:
            return None if cached[1] is _ABSENT else str(cached[1])
        value = self._read(name)
        with self._lock:
            self._cache[name] = (now, _ABSENT if value is None else value)
        return value

    def put(self, name: str, value: str) -> None:
        with contextlib.suppress(google_errors.AlreadyExists):
            self._call(
                "create_secret",
                request={
                    "parent": f"projects/{self._project}",
                    "secret_id": name,
                    "secret": {"replication": {"automatic": {}}},
                },
            )
        self._call(
            "add_secret_version",
            request={"parent": self._secret(name), "payload": {"data": value.encode()}},
        )
        self._forget(name)

    def delete(self, name: str) -> None:
        with contextlib.suppress(google_errors.NotFound):
            self._call("delete_secret", request={"name": self._secret(name)})
        self._forget(name)

    def list_secrets(self) -> Sequence[SecretInfo]:
        """Every secret of the project with its versions' numbers and states, newest first."""
        found = []
        for secret in self._call("list_secrets", request={"parent": f"projects/{self._project}"}):
            name = secret.name.rsplit("/", 1)[-1]
            versions = list(self._call("list_secret_versions", request={"parent": secret.name}))
            enabled = [v for v in versions if _state(v) == "ENABLED"]
            found.append(
                SecretInfo(
                    name=name,
                    versions=len(versions),
                    latest_enabled=_number(enabled[0]) if enabled else None,
                    updated_at=_created(versions[0]) if versions else _created(secret),
                )
            )
        return sorted(found, key=lambda info: info.name)

    def _read(self, name: str) -> str | None:
        secret = self._secret(name)
        try:
            answer = self._call(
                "access_secret_version", request={"name": f"{secret}/versions/latest"}
            )
        except google_errors.NotFound:
            return None
        except google_errors.FailedPrecondition:
            # The newest version is disabled or destroyed: the newest enabled one holds the value.
            version = self._newest_enabled(secret)
            if version is None:
                return None
            try:
                answer = self._call("access_secret_version", request={"name": version})
            except (google_errors.NotFound, google_errors.FailedPrecondition):
                return None  # Disabled between the listing and the read.
        value: str = answer.payload.data.decode()
        return value

    def _newest_enabled(self, secret: str) -> str | None:
        try:
            versions = self._call(
                "list_secret_versions", request={"parent": secret, "filter": "state:ENABLED"}
            )
        except google_errors.NotFound:
            return None
        # Secret Manager lists versions newest first; the number decides if it ever does not.
        enabled = sorted(versions, key=_number, reverse=True)
        return str(enabled[0].name) if enabled else None

    def _forget(self, name: str) -> None:
        with self._lock:
            self._cache.pop(name, None)

    def _secret(self, name: str) -> str:
        return f"projects/{self._project}/secrets/{name}"

    def _call(self, method: str, **arguments: Any) -> Any:
        try:
            return getattr(self._secret_manager(), method)(**arguments)
        except _TEMPORARY as error:
            raise TemporaryError(f"Secret Manager unavailable: {type(error).__name__}") from error

    def _secret_manager(self) -> Any:
        if self._client is None:
            from google.cloud import secretmanager  # noqa: PLC0415 - only where secrets are read.

            self._client = secretmanager.SecretManagerServiceClient()
        return self._client


def _number(version: Any) -> int:
    return int(str(version.name).rsplit("/", 1)[-1])


def _state(version: Any) -> str:
    state = version.state
    return str(getattr(state, "name", state))


def _created(item: Any) -> datetime | None:
    created = getattr(item, "create_time", None)
    if created is None:
        return None
    if isinstance(created, datetime):
        return created if created.tzinfo else created.replace(tzinfo=UTC)
    return None
