"""Backtest files in Cloud Storage: the objects directly under ``gs://BUCKET/PREFIX``.

A Cloud Run function has no directory that outlives its instance, so a deployment's syncs read
the files operators upload (``gcloud storage cp``) to the backtests bucket Terraform makes, which
the optimizer's account may read (``roles/storage.objectViewer``). Objects in "folders" below the
prefix are left out, as a directory's subdirectories are. With ``STORAGE_EMULATOR_HOST`` set,
Google's client talks to that emulator instead (and signs nothing).

The client retries for up to ``retry_seconds``; what is still unreachable after that is a
``TemporaryError`` (Pub/Sub delivers the job again), and a bucket that does not exist or may
not be read is a ``ValidationError`` naming it (the job fails: a retry cannot help).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from google.api_core import exceptions as google_errors
from google.auth import exceptions as auth_errors
from google.cloud.storage import Client
from google.cloud.storage.retry import DEFAULT_RETRY

from mats.errors import TemporaryError, ValidationError

DEFAULT_RETRY_SECONDS = 120.0
_TEMPORARY = (
    google_errors.RetryError,  # Retried until retry_seconds ran out.
    google_errors.ServerError,
    google_errors.TooManyRequests,
    auth_errors.TransportError,
    OSError,  # requests' connection errors among them.
)


class CloudStorageBacktestFiles:
    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        project_id: str | None = None,
        client: Any = None,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
    ) -> None:
        self._bucket = bucket
        self._prefix = prefix
        self._project = project_id
        self._client = client
        self._retry = DEFAULT_RETRY.with_timeout(retry_seconds)
        self.location = f"gs://{bucket}/{prefix}"

    def names(self) -> Sequence[str]:
        with self._translated():
            try:
                blobs = list(
                    self._storage().list_blobs(
                        self._bucket, prefix=self._prefix, delimiter="/", retry=self._retry
                    )
                )
            except google_errors.NotFound:
                raise ValidationError("data_dir", f"{self.location}: no such bucket") from None
        names = (blob.name.removeprefix(self._prefix) for blob in blobs)
        return sorted(name for name in names if name.endswith(".csv"))

    def read(self, name: str) -> bytes | None:
        blob = self._storage().bucket(self._bucket).blob(self._prefix + name)
        with self._translated():
            try:
                data: bytes = blob.download_as_bytes(retry=self._retry)
            except google_errors.NotFound:
                return None
        return data

    def _storage(self) -> Any:
        if self._client is None:
            self._client = Client(project=self._project)
        return self._client

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except google_errors.Forbidden as error:
            raise ValidationError(
                "data_dir",
                f"{self.location} may not be read by this account (it needs "
                f"roles/storage.objectViewer on gs://{self._bucket}): {error.message}",
            ) from None
        except _TEMPORARY as error:
            raise TemporaryError(f"{self.location} cannot be reached: {error}") from error
