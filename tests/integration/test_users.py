"""Dashboard users on a real demo stack: the Auth emulator, its seeded demo users (the admin with
SMS MFA), and `mats users` with every refusal changing nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from mats.adapters.firebase_auth import firebase_app
from tests.conftest import Stack, start_stack, stop_stack, unique
from tests.integration.firebase_signin import AuthEmulatorSignIn, SignInRefusedError, decode
from tests.integration.test_cli import mats, mats_json
from tests.integration.trading import until


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("users"))
    try:
        yield running
    finally:
        if running.process.poll() is None:
            stop_stack(running)


@pytest.fixture(scope="module")
def auth(demo_stack: Stack) -> AuthEmulatorSignIn:
    return AuthEmulatorSignIn.from_stack(demo_stack)


def demo_users(stack: Stack) -> dict[str, dict[str, Any]]:
    """The saved demo users by role, with their passwords."""
    saved = json.loads((stack.state_dir / "demo-users.json").read_text())
    return {user["role"]: user for user in saved}


def users_by_email(stack: Stack) -> dict[str, dict[str, Any]]:
    return {user["email"]: user for user in mats_json(stack, "users", "list")}


def test_the_demo_users_have_exactly_their_roles_and_scopes(demo_stack: Stack) -> None:
    listed = users_by_email(demo_stack)
    saved = demo_users(demo_stack)

    admin, client, sender = (listed[saved[role]["email"]] for role in ("admin", "client", "sender"))
    assert (admin["role"], admin["client_id"], admin["sender_id"]) == ("admin", None, None)
    assert (client["role"], client["client_id"], client["sender_id"]) == (
        "client",
        "jane-whitfield",
        None,
    )
    assert (sender["role"], sender["sender_id"]) == ("sender", demo_stack.info["demo_sender_id"])
    assert admin["second_factors"] == ["phone"]
    assert admin["email_verified"] is True
    assert (demo_stack.state_dir / "demo-users.json").stat().st_mode & 0o777 == 0o600


def test_the_demo_admin_signs_in_only_with_its_sms_second_factor(
    demo_stack: Stack, auth: AuthEmulatorSignIn
) -> None:
    admin = demo_users(demo_stack)["admin"]

    with pytest.raises(SignInRefusedError) as password_only:
        auth.sign_in(admin["email"], admin["password"])
    token = auth.sign_in_with_mfa(admin["email"], admin["password"])

    assert password_only.value.reason == "MFA_REQUIRED"
    claims = decode(token)
    assert claims["role"] == "admin"
    assert claims["firebase"]["sign_in_second_factor"] == "phone"
    assert claims["aud"] == demo_stack.info["auth_project_id"] == "demo-mats"


def test_the_demo_client_and_sender_sign_in_with_their_scope_in_the_token(
    demo_stack: Stack, auth: AuthEmulatorSignIn
) -> None:
    saved = demo_users(demo_stack)

    client = decode(auth.sign_in(saved["client"]["email"], saved["client"]["password"]))
    sender = decode(auth.sign_in(saved["sender"]["email"], saved["sender"]["password"]))

    assert (client["role"], client["client_id"]) == ("client", "jane-whitfield")
    assert (sender["role"], sender["sender_id"]) == ("sender", demo_stack.info["demo_sender_id"])
    assert "sign_in_second_factor" not in client["firebase"]


def test_the_summary_stack_json_and_status_name_the_auth_emulator_and_demo_users(
    demo_stack: Stack,
) -> None:
    output = demo_stack.log.read_text()
    info = demo_stack.info
    status = mats(demo_stack, "status")

    assert f"auth        {info['auth_emulator_host']}   (FIREBASE_AUTH_EMULATOR_HOST" in output
    assert f"Demo users (Firebase Auth emulator {info['auth_emulator_url']};" in output
    for user in demo_users(demo_stack).values():
        assert f"{user['email']}" in output
        assert user["password"] in output
    assert info["auth_emulator_host"].startswith("127.0.0.1:")
    assert {user["role"] for user in info["demo_users"]} == {"admin", "client", "sender"}
    assert not any("password" in user for user in info["demo_users"])
    assert f"Auth emulator {info['auth_emulator_host']}" in status.stdout.splitlines()[0]


def test_users_create_list_set_role_disable_and_enable(demo_stack: Stack) -> None:
    email = f"{unique('analyst')}@mats.example"

    created = mats_json(
        demo_stack, "users", "create", email, "--role", "client", "--client-id", "li-wei"
    )
    listed = users_by_email(demo_stack)[email]
    moved = mats_json(
        demo_stack,
        *("users", "set-role", email, "--role", "sender"),
        *("--sender-id", demo_stack.info["demo_sender_id"]),
    )
    disabled = mats_json(demo_stack, "users", "disable", email)
    enabled = mats_json(demo_stack, "users", "enable", email)

    assert len(created["password"]) >= 22
    assert created["user"] == listed
    assert (listed["role"], listed["client_id"], listed["disabled"]) == ("client", "li-wei", False)
    assert (moved["role"], moved["client_id"]) == ("sender", None)
    assert moved["sender_id"] == demo_stack.info["demo_sender_id"]
    assert moved["tokens_valid_after"] >= created["user"]["tokens_valid_after"]
    assert disabled["disabled"] is True
    assert enabled["disabled"] is False
    assert enabled["uid"] == created["user"]["uid"]


def test_a_given_password_is_used_and_never_printed(
    demo_stack: Stack, auth: AuthEmulatorSignIn
) -> None:
    email = f"{unique('ops')}@mats.example"
    password = unique("chosen-password")

    created = mats(demo_stack, "users", "create", email, "--role", "admin", "--password", password)

    assert created.returncode == 0, created.stderr
    assert password not in created.stdout
    assert decode(auth.sign_in(email, password))["role"] == "admin"


REFUSALS = [
    (("new@mats.example", "--role", "client", "--client-id", "no-such-client"), "client_id"),
    (("new@mats.example", "--role", "sender", "--sender-id", "no-such-sender"), "sender_id"),
    (("new@mats.example", "--role", "client"), "client_id"),
    (("new@mats.example", "--role", "admin", "--client-id", "jane-whitfield"), "client_id"),
    (
        ("new@mats.example", "--role", "client", "--client-id", "li-wei", "--sender-id", "x"),
        "sender_id",
    ),
    (("admin@mats.example", "--role", "admin"), "email"),
    (("not-an-email", "--role", "admin"), "email"),
    (("new@mats.example", "--role", "admin", "--password", "short"), "password"),
]


@pytest.mark.parametrize(("arguments", "field"), REFUSALS)
def test_a_refused_create_names_the_field_and_changes_nothing(
    demo_stack: Stack, arguments: tuple[str, ...], field: str
) -> None:
    before = users_by_email(demo_stack)

    text = mats(demo_stack, "users", "create", *arguments)
    as_json = mats(demo_stack, "users", "create", *arguments, "--json")

    assert text.returncode == as_json.returncode == 1
    assert text.stderr.startswith(f"error: {field}: ")
    assert json.loads(as_json.stdout)["field"] == field
    assert users_by_email(demo_stack) == before


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        (("--role", "client", "--client-id", "no-such-client"), "client_id"),
        (("--role", "sender"), "sender_id"),
        (("--role", "admin", "--sender-id", "anything"), "sender_id"),
    ],
)
def test_a_refused_set_role_names_the_field_and_changes_nothing(
    demo_stack: Stack, arguments: tuple[str, ...], field: str
) -> None:
    email = demo_users(demo_stack)["client"]["email"]
    before = users_by_email(demo_stack)

    refused = mats(demo_stack, "users", "set-role", email, *arguments, "--json")

    assert refused.returncode == 1
    assert json.loads(refused.stdout)["field"] == field
    assert users_by_email(demo_stack) == before


def test_an_unknown_role_or_user_is_refused(demo_stack: Stack) -> None:
    role = mats(demo_stack, "users", "create", "new@mats.example", "--role", "owner")
    user = mats(demo_stack, "users", "disable", "ghost@mats.example")

    assert role.returncode == 2
    assert "--role" in role.stderr
    assert user.returncode == 1
    assert "no user 'ghost@mats.example'" in user.stderr


def test_a_disabled_user_can_no_longer_sign_in_and_an_enabled_one_can(
    demo_stack: Stack, auth: AuthEmulatorSignIn
) -> None:
    email = f"{unique('leaver')}@mats.example"
    password = mats_json(demo_stack, "users", "create", email, "--role", "admin")["password"]
    auth.sign_in(email, password)

    mats_json(demo_stack, "users", "disable", email)
    with pytest.raises(SignInRefusedError) as refused:
        auth.sign_in(email, password)
    mats_json(demo_stack, "users", "enable", email)

    assert refused.value.reason == "USER_DISABLED"
    assert decode(auth.sign_in(email, password))["role"] == "admin"


def test_set_role_revokes_the_tokens_issued_before_it(
    demo_stack: Stack, auth: AuthEmulatorSignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from firebase_admin import auth as firebase_auth  # noqa: PLC0415 - verification only here.

    email = f"{unique('mover')}@mats.example"
    password = mats_json(demo_stack, "users", "create", email, "--role", "admin")["password"]
    old = auth.sign_in(email, password)
    # A revocation counts in whole seconds: it must fall in a later second than the token.
    until(lambda: int(time.time()) > decode(old)["iat"], 5, "the next second")
    mats_json(demo_stack, "users", "set-role", email, "--role", "client", "--client-id", "li-wei")
    new = auth.sign_in(email, password)
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", auth.host)
    app = firebase_app(auth.project_id)

    with pytest.raises(firebase_auth.RevokedIdTokenError):
        firebase_auth.verify_id_token(old, app=app, check_revoked=True)
    verified = firebase_auth.verify_id_token(new, app=app, check_revoked=True)

    assert (verified["role"], verified["client_id"]) == ("client", "li-wei")
