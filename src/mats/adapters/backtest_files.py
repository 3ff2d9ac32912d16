"""Backtest files in a local directory (``mats backtests ingest --data-dir``, the local stack).

In a deployment they are in Cloud Storage (``cloud_storage.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mats.errors import ValidationError


class DirectoryBacktestFiles:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self.location = str(directory)

    def names(self) -> Sequence[str]:
        if not self._directory.is_dir():
            raise ValidationError("data_dir", f"{self._directory} is not a directory")
        return sorted(path.name for path in self._directory.glob("*.csv") if path.is_file())

    def read(self, name: str) -> bytes | None:
        try:
            return (self._directory / name).read_bytes()
        except FileNotFoundError:
            return None
