"""Every route of the contract called over HTTP on the stack's dashboard function with real
Firebase tokens from the Auth emulator, as each kind of caller: anonymous, a forged, an expired
and a wrong-project token, an admin without a second factor, an admin, clients A and B and
senders A and B. The expected status of each comes from the document's roles and scopes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest

from mats.api.contract import Operation, operations
from tests.conftest import Stack, unique
from tests.integration.firebase_signin import (
    AuthEmulatorSignIn,
    expired_token,
    forged_token,
    wrong_project_token,
)

PASSWORD = "matrix-" + "x" * 12  # A throwaway for emulator users.


@dataclass(frozen=True)
class Caller:
    name: str
    token: str | None
    role: str | None  # What the server must treat the caller as (None: nobody).
    scope: str | None = None  # Their client or sender id.


@dataclass(frozen=True)
class World:
    url: str
    callers: list[Caller]
    client_a: str
    sender_a: str


def _user(services: Any, email: str, role: str, **scope: str) -> Any:
    return services.users.create(email, role, password=PASSWORD, email_verified=True, **scope).user


@pytest.fixture(scope="module")
def world(stack: Stack, services: Any) -> World:
    signin = AuthEmulatorSignIn.from_stack(stack)
    investors = services.accounting.investors
    client_a, client_b = unique("client-a"), unique("client-b")
    for client_id in (client_a, client_b):
        investors.create_client(client_id, client_id)
    sender_a = services.senders.create(unique("Matrix A")).sender.sender_id
    sender_b = services.senders.create(unique("Matrix B")).sender.sender_id
    tag = unique("m")
    admin = _user(services, f"admin-{tag}@example.test", "admin")
    signin.emulator.enroll_phone(admin.uid, "+15555550142", f"enr-{tag}")
    _user(services, f"nomfa-{tag}@example.test", "admin")
    _user(services, f"ca-{tag}@example.test", "client", client_id=client_a)
    _user(services, f"cb-{tag}@example.test", "client", client_id=client_b)
    _user(services, f"sa-{tag}@example.test", "sender", sender_id=sender_a)
    _user(services, f"sb-{tag}@example.test", "sender", sender_id=sender_b)
    token_a = signin.sign_in(f"ca-{tag}@example.test", PASSWORD)
    callers = [
        Caller("anonymous", None, None),
        Caller(
            "forged", forged_token(token_a, role="admin", client_id=client_b), "client", client_a
        ),
        Caller("expired", expired_token(token_a), None),
        Caller("wrong project", wrong_project_token(token_a), None),
        Caller("admin without MFA", signin.sign_in(f"nomfa-{tag}@example.test", PASSWORD), "nomfa"),
        Caller("admin", signin.sign_in_with_mfa(f"admin-{tag}@example.test", PASSWORD), "admin"),
        Caller("client A", token_a, "client", client_a),
        Caller("client B", signin.sign_in(f"cb-{tag}@example.test", PASSWORD), "client", client_b),
        Caller("sender A", signin.sign_in(f"sa-{tag}@example.test", PASSWORD), "sender", sender_a),
        Caller("sender B", signin.sign_in(f"sb-{tag}@example.test", PASSWORD), "sender", sender_b),
    ]
    return World(stack.info["function_urls"]["dashboard"], callers, client_a, sender_a)


def _path(operation: Operation, world: World) -> str:
    values = {"client_id": world.client_a, "sender_id": world.sender_a}
    path = operation.path
    for name in operation.pattern.groupindex:
        path = path.replace(f"{{{name}}}", values.get(name, "matrix-none"))
    return path


def _expected(operation: Operation, caller: Caller, world: World) -> int | None:
    """The exact status, or ``None`` where the caller gets through to the operation."""
    if operation.public:
        return 200
    if caller.role is None:
        return 401
    if caller.role == "nomfa":
        return 403
    if caller.role == "admin":
        return None
    if operation.scope is not None:
        # The path holds client A's or sender A's id: only that one gets through.
        owner = (
            ("client", world.client_a)
            if operation.scope == "client_id"
            else ("sender", world.sender_a)
        )
        return None if caller.role == owner[0] and caller.scope == owner[1] else 404
    return None if caller.role in operation.roles else 403


def _call(world: World, method: str, path: str, token: str | None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(world.url + path, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


READS = [o for o in operations() if o.method == "GET"]


@pytest.mark.parametrize("operation", READS, ids=lambda o: f"{o.method} {o.path}")
def test_every_read_answers_each_caller_as_its_roles_and_scope_say(
    world: World, operation: Operation
) -> None:
    path = _path(operation, world)
    for caller in world.callers:
        status, body = _call(world, operation.method, path, caller.token)
        expected = _expected(operation, caller, world)
        if expected is None:
            assert status not in (401, 403), (caller.name, status, body)
            assert status < 500, (caller.name, status, body)
            if operation.scope is not None:
                assert status == 200, (caller.name, status, body)
        else:
            assert status == expected, (caller.name, status, body)
        assert isinstance(body, dict | list) or body is None


WRITES = [o for o in operations() if o.method != "GET"]


@pytest.mark.parametrize("operation", WRITES, ids=lambda o: f"{o.method} {o.path}")
def test_every_write_is_refused_to_every_caller_but_an_admin_with_a_second_factor(
    world: World, operation: Operation
) -> None:
    path = _path(operation, world)
    for caller in world.callers:
        if caller.role == "admin":
            continue  # What an admin's write does is each route's own tests'.
        status, body = _call(world, operation.method, path, caller.token)
        expected = _expected(operation, caller, world)
        assert status == expected, (caller.name, status, body)
