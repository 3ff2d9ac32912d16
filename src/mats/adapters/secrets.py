"""Secret stores: one file per secret for the local stack, and a stand-in that says what is missing.

On Google Cloud secrets live in Secret Manager (``secret_manager.py``). Names follow
Secret Manager's rule for secret ids (letters, digits, ``-`` and ``_``), which also keeps them safe
as file names.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from mats.errors import ValidationError
from mats.ports import SecretInfo

_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")


class FileSecretStore:
    """Secrets as files in one directory (mode 0700), each file readable by its owner only (0600).

    The local stack keeps it in its state directory, outside Firestore, and passes its location
    to every process as ``MATS_SECRETS_DIR``.
    """

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def get(self, name: str) -> str | None:
        try:
            return self._path(name).read_text()
        except FileNotFoundError:
            return None

    def put(self, name: str, value: str) -> None:
        path = self._path(name)
        self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._directory.chmod(0o700)
        # Written aside and renamed, so a reader sees the old value or the new one, never half.
        temporary = self._directory / f".{name}.{uuid.uuid4().hex}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(value)
        temporary.replace(path)

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def list_secrets(self) -> Sequence[SecretInfo]:
        """Every secret file: one version each (a put replaces the value)."""
        if not self._directory.is_dir():
            return []
        return [
            SecretInfo(
                name=path.name,
                versions=1,
                latest_enabled=1,
                updated_at=datetime.fromtimestamp(path.stat().st_mtime, UTC),
            )
            for path in sorted(self._directory.iterdir())
            if _NAME.fullmatch(path.name) and path.is_file()
        ]

    def _path(self, name: str) -> Path:
        if not _NAME.fullmatch(name):
            raise ValidationError("secret", f"{name!r} is not a valid secret name")
        return self._directory / name


class UnconfiguredSecretStore:
    """Stands in where no secret store is configured, and says so when one is needed."""

    def get(self, name: str) -> str | None:
        raise self._missing()

    def put(self, name: str, value: str) -> None:
        raise self._missing()

    def delete(self, name: str) -> None:
        raise self._missing()

    @staticmethod
    def _missing() -> ValidationError:
        return ValidationError(
            "MATS_SECRETS_DIR",
            "no secret store is configured: set MATS_SECRETS_DIR to a private directory "
            "(the local stack does), or run against a project, whose secrets are in Secret Manager",
        )
