"""Sign-in checks the API makes itself, and the role and scope taken from the user record."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from mats.api.identity import Authenticator, Principal, Role
from mats.errors import Forbidden, Unauthenticated
from mats.ports import UserFacts
from tests.fakes import FakeClock

PROJECT = "demo-mats"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
TOKEN = "header.payload.signature"


class Provider:
    """Stands in for Firebase: the claims its verification returned and the user records."""

    def __init__(self, claims: Mapping[str, Any], users: Mapping[str, UserFacts]) -> None:
        self.claims = dict(claims)
        self.users = dict(users)

    def verify(self, token: str) -> Mapping[str, Any]:
        assert token == TOKEN
        return self.claims

    def user(self, uid: str) -> UserFacts | None:
        return self.users.get(uid)


def claims(**changes: Any) -> dict[str, Any]:
    moment = int(NOW.timestamp())
    base = {
        "aud": PROJECT,
        "iss": f"https://securetoken.google.com/{PROJECT}",
        "sub": "u1",
        "iat": moment - 60,
        "exp": moment + 3000,
        "auth_time": moment - 60,
        "firebase": {"sign_in_provider": "password", "sign_in_second_factor": "phone"},
    }
    base.update(changes)
    return base


def user(role_claims: Mapping[str, Any], *, disabled: bool = False) -> UserFacts:
    return UserFacts("u1", "u1@example.test", disabled, role_claims)


def authenticate(token_claims: Mapping[str, Any], record: UserFacts | None) -> Principal:
    users = {"u1": record} if record is not None else {}
    provider = Provider(token_claims, users)
    check = Authenticator(provider, FakeClock(NOW), project=PROJECT, skew_seconds=5)
    return check.authenticate(f"Bearer {TOKEN}")


def test_an_admin_with_a_second_factor_is_an_admin() -> None:
    principal = authenticate(claims(), user({"role": "admin"}))

    assert principal == Principal("u1", "u1@example.test", Role.ADMIN, second_factor="phone")


def test_an_admin_without_a_second_factor_is_refused() -> None:
    with pytest.raises(Forbidden, match="second factor"):
        authenticate(claims(firebase={"sign_in_provider": "password"}), user({"role": "admin"}))


def test_role_and_scope_come_from_the_user_record_not_the_token() -> None:
    rewritten = claims(role="admin", client_id="someone-else")

    principal = authenticate(rewritten, user({"role": "client", "client_id": "jane"}))

    assert (principal.role, principal.client_id) == (Role.CLIENT, "jane")
    assert principal.owns("client_id", "jane")
    assert not principal.owns("client_id", "someone-else")
    assert not principal.owns("sender_id", "jane")


@pytest.mark.parametrize(
    "record_claims",
    [{}, {"role": "owner"}, {"role": "client"}, {"role": "sender", "sender_id": ""}],
)
def test_no_role_or_no_scope_is_no_data(record_claims: dict[str, Any]) -> None:
    with pytest.raises(Forbidden):
        authenticate(claims(), user(record_claims))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"aud": "other-project"}, "another project"),
        ({"iss": "https://securetoken.google.com/other-project"}, "another issuer"),
        ({"exp": int(NOW.timestamp())}, "expired"),
        ({"exp": "later"}, "expired"),
        ({"iat": int(NOW.timestamp()) + 60}, "future"),
        ({"auth_time": int(NOW.timestamp()) + 60}, "future"),
        ({"sub": ""}, "no user"),
        ({"sub": "x" * 129}, "no user"),
    ],
)
def test_claims_the_sdk_may_not_check_are_checked(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(Unauthenticated, match=reason):
        authenticate(claims(**changes), user({"role": "admin"}))


def test_a_disabled_or_deleted_user_is_not_signed_in() -> None:
    with pytest.raises(Unauthenticated):
        authenticate(claims(), user({"role": "admin"}, disabled=True))
    with pytest.raises(Unauthenticated):
        authenticate(claims(), None)


@pytest.mark.parametrize(
    "header", [None, "", "Basic abc", "Bearer ", "Bearer not-a-jwt", "Bearer " + "a." * 5000]
)
def test_a_header_that_is_not_a_bearer_jwt_is_refused(header: str | None) -> None:
    provider = Provider(claims(), {"u1": user({"role": "admin"})})
    check = Authenticator(provider, FakeClock(NOW), project=PROJECT, skew_seconds=5)

    with pytest.raises(Unauthenticated):
        check.authenticate(header)
