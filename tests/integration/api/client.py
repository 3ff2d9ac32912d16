"""Call the dashboard API in-process, as a chosen user, on the session's real stack.

For tests of what an endpoint does (its reads, writes, refusals and audit records). Sign-in is
stood in for: :class:`StandIn` answers as Firebase would for the users a test declares, so a test
can be any role without an emulator round trip per call. The real tokens, every route and every
role are the auth matrix's (``test_auth_matrix.py``), over the Auth emulator.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import flask

from mats.api.app import serve_api
from mats.api.identity import Authenticator
from mats.ports import UserFacts

PROJECT = "demo-mats"


class StandIn:
    """An identity provider whose tokens are the uids of the users it holds."""

    def __init__(self, clock: Any) -> None:
        self._clock = clock
        self.users: dict[str, UserFacts] = {}

    def verify(self, token: str) -> Mapping[str, Any]:
        uid = token.split(".")[1]
        moment = int(self._clock.now().timestamp())
        return {
            "aud": PROJECT,
            "iss": f"https://securetoken.google.com/{PROJECT}",
            "sub": uid,
            "iat": moment - 10,
            "exp": moment + 3600,
            "firebase": {"sign_in_provider": "password", "sign_in_second_factor": "phone"},
        }

    def user(self, uid: str) -> UserFacts | None:
        return self.users.get(uid)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: Mapping[str, str]


class ApiClient:
    """``client.get("/api/fund", as_="admin")``: the answer of the API to that user."""

    def __init__(self, services: Any) -> None:
        self.services = services
        self._identity = StandIn(services.clock)
        # This client's own services: the stand-in replaces their sign-in check only.
        services.__dict__["authenticator"] = Authenticator(
            self._identity, services.clock, project=PROJECT, skew_seconds=5
        )
        self._app = flask.Flask("api-tests")
        self.user("admin", {"role": "admin"})

    def user(self, uid: str, claims: Mapping[str, Any]) -> str:
        """Declare a user with these custom claims; returns the uid to call as."""
        self._identity.users[uid] = UserFacts(uid, f"{uid}@example.test", False, dict(claims))
        return uid

    def call(
        self,
        method: str,
        path: str,
        *,
        as_: str | None = "admin",
        body: Any = None,
        raw: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        if as_ is not None:
            sent["Authorization"] = f"Bearer x.{as_}.y"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        with self._app.test_request_context(
            path, method=method, headers=sent, data=data, content_type="application/json"
        ):
            response = serve_api(flask.request, self.services)
        text = response.get_data(as_text=True)
        return Answer(response.status_code, json.loads(text) if text else None, response.headers)

    def get(self, path: str, **options: Any) -> Answer:
        return self.call("GET", path, **options)

    def post(self, path: str, body: Any = None, **options: Any) -> Answer:
        return self.call("POST", path, body=body, **options)
