"""Google Secret Manager as the ``SecretStore`` of a deployed MATS.

Each secret is one Secret Manager secret (``projects/{project}/secrets/{name}``) whose newest
enabled version holds the value: ``put`` adds a version (creating the secret the first time),
``get`` reads ``versions/latest``, ``delete`` removes the secret with every version. Caching,
rotation without restart and per-secret IAM come with the deployment (issue 14).
"""

from __future__ import annotations

import contextlib
from typing import Any

from google.api_core import exceptions as google_errors

from mats.errors import TemporaryError

_TEMPORARY = (
    google_errors.ServiceUnavailable,
    google_errors.DeadlineExceeded,
    google_errors.InternalServerError,
    google_errors.TooManyRequests,
)


class SecretManagerSecretStore:
    def __init__(self, project_id: str, client: Any = None) -> None:
        self._project = project_id
        self._client = client

    def get(self, name: str) -> str | None:
        try:
            answer = self._call(
                "access_secret_version", request={"name": f"{self._secret(name)}/versions/latest"}
            )
        except (google_errors.NotFound, google_errors.FailedPrecondition):
            return None  # No such secret, or no enabled version.
        value: str = answer.payload.data.decode()
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

    def delete(self, name: str) -> None:
        with contextlib.suppress(google_errors.NotFound):
            self._call("delete_secret", request={"name": self._secret(name)})

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
