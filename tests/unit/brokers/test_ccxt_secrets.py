"""Secrets stay out of what ccxt logs and what errors say."""

from __future__ import annotations

import logging

import pytest

from mats.adapters.brokers.ccxt import CcxtCredentials
from mats.adapters.brokers.ccxt_secrets import RedactingLogger, Redactor

KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zv"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP"


def test_redact_replaces_every_secret_and_ignores_short_or_missing_ones() -> None:
    redactor = Redactor([KEY, SECRET, None, "", "abc"])

    text = redactor.redact(f"key={KEY}&secret={SECRET}&abc=1")

    assert text == "key=[redacted]&secret=[redacted]&abc=1"


def test_ccxt_request_log_lines_are_redacted_after_formatting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wire = RedactingLogger(logging.getLogger("tests.ccxt.wire"), Redactor([KEY]))

    wire.debug("%s %s, Request: %s %s", "POST", "https://x/order", {"X-MBX-APIKEY": KEY}, None)

    assert KEY not in caplog.text
    assert "'X-MBX-APIKEY': '[redacted]'" in caplog.text


def test_credentials_do_not_print() -> None:
    credentials = CcxtCredentials(api_key=KEY, secret=SECRET, password="passphrase")

    assert KEY not in repr(credentials)
    assert SECRET not in repr(credentials)
    assert "passphrase" not in repr(credentials)
