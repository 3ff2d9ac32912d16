"""The ingest function's HTTP edge, through functions-framework: JSON whatever happens."""

import logging
from collections.abc import Iterator
from typing import Any

import functions_framework
import pytest

from mats.bootstrap import forget_instance_services
from tests.conftest import REPO

SOURCE = REPO / "functions" / "ingest" / "main.py"
SECRET = "Uz13RzlYLywjND3SlSZr2sUEfr3Jw0aZWdMwfhp-1Rs"
URL = f"/webhook/desk-1a2b3c/{SECRET}"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "mats-test")
    # Settings that cannot be read: the function's first request fails in a way nobody planned.
    monkeypatch.setenv("MATS_MAX_BODY_BYTES", "lots")
    forget_instance_services()
    yield functions_framework.create_app("ingest", str(SOURCE), "http").test_client()
    forget_instance_services()


@pytest.mark.parametrize(
    ("method", "path", "content_type", "status", "kind"),
    [
        ("GET", URL, "application/json", 405, "method_not_allowed"),
        ("TRACE", URL, "application/json", 405, "method_not_allowed"),
        ("POST", "/favicon.ico", "application/json", 404, "not_found"),
        ("POST", "/hooks", "application/json", 404, "not_found"),
        ("POST", URL, "multipart/form-data; boundary=x", 415, "invalid"),
        ("POST", URL, "application/json; charset=latin-1", 415, "invalid"),
    ],
)
def test_refusals_before_any_lookup_are_json(
    client: Any, method: str, path: str, content_type: str, status: int, kind: str
) -> None:
    response = client.open(path, method=method, data=b"{}", content_type=content_type)

    assert response.status_code == status
    assert response.is_json
    assert response.json["status"] == kind
    assert response.json["error"]


def test_an_unexpected_fault_answers_json_500_and_logs_neither_path_nor_message(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    mats_logs = logging.getLogger("mats")  # It does not propagate: its JSON lines go to stderr.
    mats_logs.addHandler(caplog.handler)
    try:
        response = client.post(URL, data=b'{"secret": "' + SECRET.encode() + b'"}')
    finally:
        mats_logs.removeHandler(caplog.handler)

    assert response.status_code == 500
    assert response.json == {
        "status": "error",
        "error": "internal error; retry, and tell the operators if it repeats",
    }
    [record] = [r for r in caplog.records if r.getMessage() == "ingest failed unexpectedly"]
    assert record.error_type == "ValidationError"  # type: ignore[attr-defined]
    assert SECRET not in caplog.text
    assert "lots" not in caplog.text
