"""Dashboard users: claims that grant exactly one role and scope, and a service that checks every
input before it writes anything."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mats.domain.users import (
    Access,
    Role,
    access_from_claims,
    new_password,
    parse_access,
    parse_email,
    parse_password,
)
from mats.errors import ConflictError, NotFoundError, ValidationError
from mats.services.users import UserService
from tests.fakes import FakeClock, InMemoryUserDirectory

CLIENTS = {"jane-whitfield"}
SENDERS = {"demo-signals-1a2b3c"}


@pytest.mark.parametrize(
    ("role", "client_id", "sender_id", "claims"),
    [
        ("admin", None, None, {"role": "admin"}),
        ("client", "jane-whitfield", None, {"role": "client", "client_id": "jane-whitfield"}),
        ("sender", None, "s-1", {"role": "sender", "sender_id": "s-1"}),
        ("client", "  jane  ", None, {"role": "client", "client_id": "jane"}),
    ],
)
def test_a_role_with_exactly_its_scope_gives_exactly_those_claims(
    role: str, client_id: str | None, sender_id: str | None, claims: dict[str, str]
) -> None:
    access = parse_access(role, client_id, sender_id)

    assert access.claims() == claims
    assert access_from_claims(claims) == access


@pytest.mark.parametrize(
    ("role", "client_id", "sender_id", "field", "message"),
    [
        ("owner", None, None, "role", "is not a role"),
        (None, None, None, "role", "is not a role"),
        ("ADMIN", None, None, "role", "is not a role"),
        ("admin", "jane", None, "client_id", "role admin takes no client_id"),
        ("admin", None, "s-1", "sender_id", "role admin takes no sender_id"),
        ("client", None, None, "client_id", "role client needs its client_id"),
        ("client", "jane", "s-1", "sender_id", "role client takes no sender_id"),
        ("client", "   ", None, "client_id", "must be a non-empty id"),
        ("sender", None, None, "sender_id", "role sender needs its sender_id"),
        ("sender", "jane", "s-1", "client_id", "role sender takes no client_id"),
        ("sender", None, 7, "sender_id", "must be a non-empty id"),
    ],
)
def test_a_role_without_its_scope_or_with_another_is_refused_naming_the_field(
    role: object, client_id: object, sender_id: object, field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_access(role, client_id, sender_id)

    assert refused.value.field == field
    assert message in refused.value.message


@pytest.mark.parametrize(
    "claims",
    [
        None,
        {},
        {"client_id": "jane"},
        {"role": "superuser"},
        {"role": "client"},
        {"role": "client", "client_id": "jane", "sender_id": "s-1"},
        {"role": "admin", "client_id": "jane"},
        {"role": "sender", "sender_id": ""},
        {"role": ["admin"]},
    ],
)
def test_claims_that_do_not_say_exactly_one_thing_grant_nothing(claims: object) -> None:
    assert access_from_claims(claims) is None


@given(st.dictionaries(st.sampled_from(["role", "client_id", "sender_id", "x"]), st.text()))
def test_any_claims_grant_nothing_or_one_role_with_exactly_its_scope(
    claims: dict[str, str],
) -> None:
    access = access_from_claims(claims)

    if access is not None:
        scopes = {"client_id": access.client_id, "sender_id": access.sender_id}
        present = {name for name, value in scopes.items() if value is not None}
        expected = {Role.ADMIN: set(), Role.CLIENT: {"client_id"}, Role.SENDER: {"sender_id"}}
        assert present == expected[access.role]


@pytest.mark.parametrize("raw", ["", "jane", "jane@", "@example.com", "jane@example", "a b@c.d", 3])
def test_a_malformed_email_is_refused(raw: object) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_email(raw)

    assert refused.value.field == "email"


def test_an_email_is_kept_in_lower_case_without_spaces() -> None:
    assert parse_email("  Jane@Whitfield.Example ") == "jane@whitfield.example"


@pytest.mark.parametrize("raw", ["short", " padded-password ", None])
def test_a_weak_or_padded_password_is_refused(raw: object) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_password(raw)

    assert refused.value.field == "password"


def test_generated_passwords_are_long_and_never_repeat() -> None:
    passwords = {new_password() for _ in range(100)}

    assert len(passwords) == 100
    assert all(len(password) >= 22 for password in passwords)


@dataclass
class World:
    clock: FakeClock
    directory: InMemoryUserDirectory
    service: UserService


@pytest.fixture
def world() -> World:
    clock = FakeClock()
    directory = InMemoryUserDirectory(clock)
    service = UserService(
        directory,
        client_exists=CLIENTS.__contains__,
        sender_exists=SENDERS.__contains__,
        passwords=lambda: "generated-password-1",
    )
    return World(clock, directory, service)


def test_create_without_a_password_generates_one_to_show_once(world: World) -> None:
    created = world.service.create("Jane@Whitfield.Example", "client", client_id="jane-whitfield")

    assert created.generated_password == "generated-password-1"
    assert created.user.email == "jane@whitfield.example"
    assert created.user.access == Access(Role.CLIENT, client_id="jane-whitfield")
    assert world.directory.passwords[created.user.uid] == "generated-password-1"


def test_create_with_a_password_uses_it_and_shows_none(world: World) -> None:
    created = world.service.create("ops@mats.example", "admin", password="chosen-password")

    assert created.generated_password is None
    assert world.directory.passwords[created.user.uid] == "chosen-password"


@pytest.mark.parametrize(
    ("email", "role", "scope", "field"),
    [
        ("nobody", "admin", {}, "email"),
        ("a@mats.example", "root", {}, "role"),
        ("a@mats.example", "client", {"client_id": "unknown-client"}, "client_id"),
        ("a@mats.example", "sender", {"sender_id": "unknown-sender"}, "sender_id"),
        ("a@mats.example", "client", {"sender_id": "demo-signals-1a2b3c"}, "client_id"),
        ("a@mats.example", "admin", {"password": "short"}, "password"),
    ],
)
def test_a_refused_create_names_the_field_and_writes_nothing(
    world: World, email: str, role: str, scope: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        world.service.create(email, role, **scope)

    assert refused.value.field == field
    assert world.directory.writes == 0


def test_a_taken_email_is_a_conflict_on_the_email(world: World) -> None:
    first = world.service.create("ops@mats.example", "admin")

    with pytest.raises(ConflictError) as refused:
        world.service.create("OPS@mats.example", "client", client_id="jane-whitfield")

    assert refused.value.field == "email"
    assert first.user.uid in str(refused.value)
    assert world.directory.writes == 1


def test_set_role_replaces_the_scope_and_revokes_the_sessions(world: World) -> None:
    user = world.service.create("jane@whitfield.example", "client", client_id="jane-whitfield")
    world.clock.advance(60)

    changed = world.service.set_role(
        "jane@whitfield.example", "sender", sender_id="demo-signals-1a2b3c"
    )

    assert changed.uid == user.user.uid
    assert changed.access == Access(Role.SENDER, sender_id="demo-signals-1a2b3c")
    assert changed.tokens_valid_after == world.clock.now()


def test_a_refused_set_role_changes_nothing(world: World) -> None:
    user = world.service.create("jane@whitfield.example", "client", client_id="jane-whitfield")

    with pytest.raises(ValidationError) as refused:
        world.service.set_role(user.user.uid, "client", client_id="someone-else")

    assert refused.value.field == "client_id"
    assert world.directory.writes == 1
    assert world.service.get(user.user.uid) == user.user


def test_disable_revokes_the_sessions_and_enable_lets_the_user_back(world: World) -> None:
    world.service.create("ops@mats.example", "admin")

    disabled = world.service.disable("ops@mats.example")
    enabled = world.service.enable("ops@mats.example")

    assert disabled.disabled
    assert disabled.tokens_valid_after == world.clock.now()
    assert not enabled.disabled


def test_an_unknown_user_is_not_found(world: World) -> None:
    for change in (world.service.disable, world.service.enable, world.service.get):
        with pytest.raises(NotFoundError):
            change("ghost@mats.example")
    with pytest.raises(NotFoundError):
        world.service.set_role("uid-404", "admin")


def test_list_goes_through_every_page(world: World) -> None:
    emails = {f"user{number}@mats.example" for number in range(5)}
    for email in emails:
        world.service.create(email, "admin")

    first = world.service.page(size=2)
    listed = [user.email for user in world.service.list(page_size=2)]

    assert len(first.users) == 2
    assert first.next_page_token is not None
    assert sorted(listed) == sorted(emails)


def test_asking_for_what_is_already_so_writes_nothing_and_revokes_nothing(world: World) -> None:
    created = world.service.create("ops@mats.example", "admin")
    disabled = world.service.disable("ops@mats.example")
    writes = world.directory.writes
    world.clock.advance(60)

    again = world.service.disable("ops@mats.example")
    same_role = world.service.set_role("ops@mats.example", "admin")
    enabled = world.service.enable("ops@mats.example")
    enabled_again = world.service.enable("ops@mats.example")

    assert again == disabled
    assert same_role == disabled
    assert world.directory.writes == writes + 1  # The one enable.
    assert enabled_again == enabled
    assert created.user.uid == enabled.uid


def test_an_admin_cannot_disable_themselves_or_take_away_their_own_admin_role(
    world: World,
) -> None:
    me = world.service.create("me@mats.example", "admin").user
    other = world.service.create("other@mats.example", "admin").user
    writes = world.directory.writes

    with pytest.raises(ConflictError) as disabling:
        world.service.disable(me.uid, acting_uid=me.uid)
    with pytest.raises(ConflictError) as demoting:
        world.service.set_role(
            "me@mats.example", "client", client_id="jane-whitfield", acting_uid=me.uid
        )
    kept = world.service.set_role(me.uid, "admin", acting_uid=me.uid)
    other_disabled = world.service.disable(other.uid, acting_uid=me.uid)

    assert (disabling.value.field, demoting.value.field) == ("uid", "role")
    assert world.service.get(me.uid) == me == kept
    assert other_disabled.disabled
    assert world.directory.writes == writes + 1
