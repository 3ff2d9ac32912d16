"""The optimizer function behind Google OIDC, as Cloud Scheduler calls it in production.

Tokens are signed here with a throwaway key whose certificate a loopback server publishes in the
same format as Google's certificate endpoint; the function verifies them with google-auth.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import functions_framework
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt

from mats.bootstrap import forget_instance_services
from tests.conftest import REPO, Stack

AUDIENCE = "https://optimizer.example.test/run"
SCHEDULER = "scheduler@mats-test.iam.gserviceaccount.com"
KEY_ID = "test-key-1"


@pytest.fixture(scope="module")
def signer() -> Iterator[tuple[crypt.RSASigner, str]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mats-test-oidc")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    certs = json.dumps(
        {KEY_ID: certificate.public_bytes(serialization.Encoding.PEM).decode()}
    ).encode()

    class Certs(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(certs)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Certs)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    try:
        yield (
            crypt.RSASigner.from_string(pem, key_id=KEY_ID),
            f"http://127.0.0.1:{server.server_address[1]}/certs",
        )
    finally:
        server.shutdown()


@pytest.fixture
def client(
    stack: Stack, signer: tuple[crypt.RSASigner, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    monkeypatch.setenv("MATS_OIDC_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("MATS_OIDC_ALLOWED_EMAILS", SCHEDULER)
    monkeypatch.setenv("MATS_OIDC_CERTS_URL", signer[1])
    forget_instance_services()  # Rebuild from this test's environment, and again after it.
    app = functions_framework.create_app(
        "optimizer", str(REPO / "functions" / "optimizer" / "main.py"), "http"
    )
    yield app.test_client()
    forget_instance_services()


def token(signer: tuple[crypt.RSASigner, str], **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": "https://accounts.google.com",
        "aud": AUDIENCE,
        "email": SCHEDULER,
        "email_verified": True,
        "iat": now,
        "exp": now + 300,
    } | overrides
    return jwt.encode(signer[0], claims).decode()


def run(client: Any, bearer: str | None) -> Any:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return client.post("/run", json={"run_date": "2032-02-02"}, headers=headers)


def test_a_valid_scheduler_token_is_accepted(
    client: Any, signer: tuple[crypt.RSASigner, str]
) -> None:
    response = run(client, token(signer))

    assert response.status_code == 200
    assert response.get_json()["run_date"] == "2032-02-02"


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://someone-else.example.test"},
        {"email": "intruder@example.com"},
        {"email_verified": False},
        {"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600},
    ],
)
def test_tokens_for_another_audience_caller_or_time_are_refused(
    client: Any, signer: tuple[crypt.RSASigner, str], claims: dict[str, Any]
) -> None:
    response = run(client, token(signer, **claims))

    assert response.status_code == 401
    assert response.get_json() == {"status": "unauthorized", "error": "authentication failed"}


def test_a_missing_or_forged_token_is_refused(
    client: Any, signer: tuple[crypt.RSASigner, str]
) -> None:
    forged = token(signer)[:-8] + "AAAAAAAA"

    assert run(client, None).status_code == 401
    assert run(client, forged).status_code == 401
    assert client.get("/healthz").status_code == 200
