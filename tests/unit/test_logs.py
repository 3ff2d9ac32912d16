"""Credentials never reach a log line, whichever logger writes it."""

import io
import json
import logging

import pytest

from mats.logs import JsonFormatter, install_redaction, redact

SECRET = "Uz13RzlYLywjND3SlSZr2sUEfr3Jw0aZWdMwfhp-1Rs"
SIGNATURE = "9f" * 32


@pytest.mark.parametrize(
    "line",
    [
        f"Exception on /webhook/desk-1a2b3c/{SECRET} [POST]",
        f"Error handling request /webhook/desk-1a2b3c/{SECRET}?strategy=x",
        f"GET /webhook%2Fdesk-1a2b3c%2F{SECRET} HTTP/1.1",
        f"X-Signature: sha256={SIGNATURE}",
        f"{{'X-Signature': '{SIGNATURE}'}}",
        f'{{"ticker": "ES1!", "secret": "{SECRET}"}}',
        f'"{{\\"passphrase\\": \\"{SECRET}\\"}}"',
        f"secret={SECRET}&x=1",
    ],
)
def test_every_rendering_of_a_credential_is_masked(line: str) -> None:
    masked = redact(line)

    assert SECRET not in masked
    assert SIGNATURE not in masked
    assert "[REDACTED]" in masked


def test_ordinary_text_is_left_alone() -> None:
    line = "webhook rejected as invalid: the secret store holds sender-x-signing-key-ab12"

    assert redact(line) == line
    assert redact("/webhook/desk-1a2b3c") == "/webhook/desk-1a2b3c"


def test_records_of_any_logger_are_masked_at_creation_with_their_tracebacks() -> None:
    install_redaction()
    install_redaction()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    flask_like = logging.getLogger("ingest-test-flask")
    flask_like.addHandler(handler)
    try:
        try:
            raise ValueError(f"bad path /webhook/desk-1a2b3c/{SECRET}")
        except ValueError:
            flask_like.exception("Exception on %s [%s]", f"/webhook/desk-1a2b3c/{SECRET}", "POST")
    finally:
        flask_like.removeHandler(handler)

    written = stream.getvalue()
    assert "Exception on /webhook/desk-1a2b3c/[REDACTED] [POST]" in written
    assert "ValueError" in written
    assert SECRET not in written


def test_json_lines_mask_fields_passed_as_extra() -> None:
    install_redaction()
    record = logging.getLogger("mats.test").makeRecord(
        "mats.test",
        logging.INFO,
        __file__,
        1,
        "webhook",
        None,
        None,
        extra={"path": f"/webhook/desk-1a2b3c/{SECRET}", "header": f"sha256={SIGNATURE}"},
    )

    line = JsonFormatter().format(record)

    assert SECRET not in line
    assert SIGNATURE not in line
    assert json.loads(line)["path"] == "/webhook/desk-1a2b3c/[REDACTED]"
