"""Sign in through the Firebase Auth emulator as a browser would, and make bad tokens from good.

The emulator speaks the Identity Toolkit REST API the Firebase JS SDK uses; any API key is
accepted. Its ID tokens are unsigned (``alg: none``), so the token helpers below can rewrite
their claims: a forged token (claims edited), an expired one and one for another project. Only
the emulator's rules make such tokens look genuine to firebase-admin; the API must still refuse
them by its own checks.

Typical use from a test::

    auth = AuthEmulatorSignIn.from_stack(stack)  # or AuthEmulatorSignIn(host, project_id)
    admin = auth.sign_in_with_mfa("admin@mats.example", password)
    assert decode(admin)["firebase"]["sign_in_second_factor"] == "phone"
    forged = forged_token(auth.sign_in(client_email, password), client_id="someone-else")
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from mats.localstack.auth_emulator import AUTH_PROJECT, AuthEmulator
from tests.conftest import Stack

API_KEY = "local-emulator-key"  # The emulator takes any key; nothing real is ever needed.


class SignInRefusedError(AssertionError):
    """The emulator refused a sign-in step; ``reason`` is its error code (``USER_DISABLED``,
    ``INVALID_LOGIN_CREDENTIALS``, ``MFA_REQUIRED`` when a second factor is needed, ...)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"sign-in refused: {reason} {detail}".strip())
        self.reason = reason


@dataclass(frozen=True)
class AuthEmulatorSignIn:
    """Sign-ins against the Auth emulator at ``host`` (``127.0.0.1:PORT``) for ``project_id``."""

    host: str
    project_id: str = AUTH_PROJECT

    @classmethod
    def from_stack(cls, stack: Stack) -> AuthEmulatorSignIn:
        """The emulator of a running local stack (its ``stack.json``)."""
        return cls(stack.info["auth_emulator_host"], stack.info["auth_project_id"])

    @property
    def emulator(self) -> AuthEmulator:
        return AuthEmulator(f"http://{self.host}", self.project_id)

    def sign_in(self, email: str, password: str) -> str:
        """Sign in with email and password; return the ID token.

        Raises ``SignInRefusedError`` with reason ``MFA_REQUIRED`` for a user with a second
        factor (use ``sign_in_with_mfa``), and with the emulator's code for any refusal.
        """
        answer = self._password_step(email, password)
        if "mfaPendingCredential" in answer:
            raise SignInRefusedError("MFA_REQUIRED", f"{email} has a second factor enrolled")
        return str(answer["idToken"])

    def sign_in_with_mfa(self, email: str, password: str) -> str:
        """Sign in with email, password and the SMS code of the user's first enrolled phone
        factor (read from the emulator's verification codes); return the ID token, whose
        ``firebase.sign_in_second_factor`` claim is ``"phone"``."""
        first = self._password_step(email, password)
        if "mfaPendingCredential" not in first:
            raise SignInRefusedError("MFA_NOT_ENROLLED", f"{email} has no second factor")
        pending = first["mfaPendingCredential"]
        factor = next(f for f in first["mfaInfo"] if "phoneInfo" in f)
        started = self._call(
            "/v2/accounts/mfaSignIn:start",
            {"mfaPendingCredential": pending, "mfaEnrollmentId": factor["mfaEnrollmentId"]},
        )
        session = started["phoneResponseInfo"]["sessionInfo"]
        codes = self.emulator.verification_codes()
        code = next(c["code"] for c in codes if c["sessionInfo"] == session)
        finished = self._call(
            "/v2/accounts/mfaSignIn:finalize",
            {
                "mfaPendingCredential": pending,
                "phoneVerificationInfo": {"sessionInfo": session, "code": code},
            },
        )
        return str(finished["idToken"])

    def _password_step(self, email: str, password: str) -> dict[str, Any]:
        body = {"email": email, "password": password, "returnSecureToken": True}
        return self._call("/v1/accounts:signInWithPassword", body)

    def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        url = f"http://{self.host}/identitytoolkit.googleapis.com{path}?key={API_KEY}"
        request = urllib.request.Request(
            url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                found: dict[str, Any] = json.loads(answer.read())
                return found
        except urllib.error.HTTPError as error:
            message = json.loads(error.read() or b"{}").get("error", {}).get("message", "")
            reason, _, detail = str(message).partition(" : ")
            raise SignInRefusedError(reason or str(error.code), detail) from None


def decode(token: str) -> dict[str, Any]:
    """The claims of an ID token, unverified (``role`` and the other custom claims at the top
    level, ``firebase.sign_in_second_factor`` after an MFA sign-in)."""
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def reencoded(token: str, claims: dict[str, Any]) -> str:
    """``token`` with its claims replaced, unsigned (``alg: none``) as the emulator's are."""
    header = token.split(".", maxsplit=1)[0]
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}."


def forged_token(token: str, **claims: Any) -> str:
    """``token`` with claims edited, e.g. ``forged_token(t, role="admin")`` or
    ``forged_token(t, client_id="someone-else")``: a token the user record does not back."""
    return reencoded(token, {**decode(token), **claims})


def expired_token(token: str, seconds_ago: int = 3600) -> str:
    """``token`` as if issued two hours before now and expired ``seconds_ago`` seconds ago."""
    expired_at = int(time.time()) - seconds_ago
    issued_at = expired_at - 3600
    changes = {"exp": expired_at, "iat": issued_at, "auth_time": issued_at}
    return reencoded(token, {**decode(token), **changes})


def wrong_project_token(token: str, project_id: str = "demo-another-project") -> str:
    """``token`` as if issued for another project: its audience and issuer name ``project_id``."""
    changes = {"aud": project_id, "iss": f"https://securetoken.google.com/{project_id}"}
    return reencoded(token, {**decode(token), **changes})
