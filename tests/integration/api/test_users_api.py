"""Dashboard users over the API, in the stack's Auth emulator: created with a role over an existing
client's or sender's data and a password shown once (it signs in; the audit log never holds it),
given another role or disabled — their sessions revoked — and an admin who cannot lock the fund
out by disabling themselves or taking away their own admin role."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Stack, unique
from tests.integration.api.client import ApiClient
from tests.integration.api.writes import audit_of, newest_audit, put
from tests.integration.firebase_signin import AuthEmulatorSignIn, SignInRefusedError


def an_email(prefix: str) -> str:
    return f"{unique(prefix)}@example.test"


@pytest.fixture(scope="module")
def client_id(api: ApiClient) -> str:
    client = unique("users-client")
    api.services.accounting.investors.create_client(client, "Users Client")
    return client


def test_a_user_created_with_a_generated_password_signs_in_with_it_once_shown(
    stack: Stack, api: ApiClient, client_id: str
) -> None:
    email = an_email("client-user")

    created = api.post("/api/users", {"email": email, "role": "client", "client_id": client_id})
    chosen = api.post(
        "/api/users", {"email": an_email("admin-user"), "role": "admin", "password": "p" * 12}
    )
    listed = api.get("/api/users")
    password = created.body["password"]
    token = AuthEmulatorSignIn.from_stack(stack).sign_in(email, password)

    assert created.status == 201, created.body
    user = created.body["user"]
    assert (user["email"], user["role"], user["client_id"]) == (email, "client", client_id)
    assert password
    assert token
    assert chosen.status == 201, chosen.body
    assert chosen.body["password"] is None
    assert user in listed.body["items"]
    log = json.dumps(api.get("/api/audit-log?limit=200").body)
    assert password not in log
    assert "p" * 12 not in log
    (entry,) = audit_of(api, user["uid"])
    assert (entry["operation"], entry["before"], entry["after"]) == ("create_user", None, user)
    assert entry["by_email"] == "admin@example.test"


def test_a_new_role_or_a_disable_revokes_the_users_sessions_and_a_repeat_changes_nothing(
    stack: Stack, api: ApiClient, client_id: str
) -> None:
    sender_id = api.services.senders.create(unique("Users Sender")).sender.sender_id
    email = an_email("moving")
    created = api.post("/api/users", {"email": email, "role": "client", "client_id": client_id})
    uid, password = created.body["user"]["uid"], created.body["password"]
    signin = AuthEmulatorSignIn.from_stack(stack)
    signin.sign_in(email, password)
    path = f"/api/users/{uid}"

    moved = put(api, f"{path}/role", {"role": "sender", "sender_id": sender_id})
    same = put(api, f"{path}/role", {"role": "sender", "sender_id": sender_id})
    disabled = api.post(f"{path}/disable")
    disabled_again = api.post(f"{path}/disable")
    with pytest.raises(SignInRefusedError):
        signin.sign_in(email, password)
    enabled = api.post(f"{path}/enable")

    assert moved.status == 200, moved.body
    assert (moved.body["role"], moved.body["sender_id"], moved.body["client_id"]) == (
        "sender",
        sender_id,
        None,
    )
    assert moved.body["tokens_valid_after"] is not None
    assert same.body == moved.body
    assert disabled.body["disabled"] is True
    assert disabled_again.body == disabled.body
    assert enabled.body["disabled"] is False
    assert signin.sign_in(email, password)
    operations = [e["operation"] for e in audit_of(api, uid)]
    assert operations == ["enable_user", "disable_user", "set_user_role", "create_user"]


def test_an_admin_cannot_disable_themselves_or_take_away_their_own_admin_role(
    api: ApiClient, client_id: str
) -> None:
    me = api.post("/api/users", {"email": an_email("me"), "role": "admin"}).body["user"]
    api.user(me["uid"], {"role": "admin"})  # Signed in as that admin from now on.
    path = f"/api/users/{me['uid']}"
    audit_before = newest_audit(api)

    disabling = api.post(f"{path}/disable", as_=me["uid"])
    demoting = put(api, f"{path}/role", {"role": "client", "client_id": client_id}, as_=me["uid"])
    kept = put(api, f"{path}/role", {"role": "admin"}, as_=me["uid"])

    assert (disabling.status, disabling.body["field"]) == (409, "uid")
    assert (demoting.status, demoting.body["field"]) == (409, "role")
    assert kept.status == 200
    assert kept.body == me
    assert newest_audit(api) == audit_before
    stored = api.services.users.get(me["uid"])
    assert (stored.disabled, stored.access.role.value) == (False, "admin")
    by_another = api.post(f"{path}/disable")  # Another admin may.
    assert by_another.body["disabled"] is True


def test_bad_user_requests_are_refused_and_change_nothing(api: ApiClient, client_id: str) -> None:
    taken = an_email("taken")
    api.post("/api/users", {"email": taken, "role": "admin"})
    audit_before = newest_audit(api)
    count = len(api.get("/api/users").body["items"])

    cases: list[tuple[Any, int, str | None]] = [
        (api.post("/api/users", {"email": taken.upper(), "role": "admin"}), 409, "email"),
        (api.post("/api/users", {"email": "not-an-email", "role": "admin"}), 422, "email"),
        (api.post("/api/users", {"email": an_email("x"), "role": "owner"}), 422, "role"),
        (api.post("/api/users", {"email": an_email("x"), "role": "client"}), 422, "client_id"),
        (
            api.post(
                "/api/users", {"email": an_email("x"), "role": "client", "client_id": "nobody"}
            ),
            422,
            "client_id",
        ),
        (
            api.post(
                "/api/users", {"email": an_email("x"), "role": "admin", "client_id": client_id}
            ),
            422,
            "client_id",
        ),
        (
            api.post("/api/users", {"email": an_email("x"), "role": "admin", "password": "short"}),
            422,
            "password",
        ),
        (api.post("/api/users/no-such-uid/disable"), 404, None),
        (put(api, "/api/users/no-such-uid/role", {"role": "admin"}), 404, None),
        (api.post("/api/users/a@b.c/disable"), 422, "uid"),
    ]

    for answer, status, field in cases:
        assert answer.status == status, answer.body
        assert answer.body.get("field") == field, answer.body
    assert len(api.get("/api/users").body["items"]) == count
    assert newest_audit(api) == audit_before
