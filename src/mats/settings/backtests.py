"""Where backtest syncs read their files (``MATS_BACKTEST_DIR``): a local directory, or
``gs://BUCKET[/PREFIX]`` in a deployment, whose functions have no directory of their own."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mats.errors import ValidationError
from mats.settings.environment import Environment, text

SCHEME = "gs://"
# Cloud Storage's bucket names: 3 to 63 lowercase letters, digits, "-", "_" and "." (222 with
# dots), starting and ending with a letter or digit.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")


@dataclass(frozen=True)
class CloudStoragePrefix:
    """``gs://bucket/prefix``: the objects directly under ``prefix`` ("" or ending in "/")."""

    bucket: str
    prefix: str = ""

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.prefix}"


BacktestLocation = Path | CloudStoragePrefix


def parse_backtest_location(raw: str, field: str) -> BacktestLocation:
    """A directory, or a ``gs://`` URL parsed into its bucket and prefix."""
    if not raw.startswith(SCHEME):
        return Path(raw)
    bucket, _, prefix = raw.removeprefix(SCHEME).partition("/")
    within_limit = len(bucket) <= 63 or "." in bucket
    if not _BUCKET.fullmatch(bucket) or not within_limit or ".." in bucket:
        raise ValidationError(field, f"expected gs://BUCKET[/PREFIX], a bucket's name; got {raw!r}")
    prefix = prefix.strip("/")
    if "//" in prefix:
        raise ValidationError(field, f"the prefix has an empty folder name: {raw!r}")
    return CloudStoragePrefix(bucket, f"{prefix}/" if prefix else "")


def backtest_location(env: Environment) -> BacktestLocation | None:
    raw = text(env, "MATS_BACKTEST_DIR")
    return parse_backtest_location(raw, "MATS_BACKTEST_DIR") if raw else None
