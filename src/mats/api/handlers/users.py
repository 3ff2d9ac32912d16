"""Dashboard users for admins, as ``mats users``: who may sign in, with which role over whose
data. Changing a role or disabling a user revokes their sessions (``UserService``). An admin
cannot disable themselves or take away their own admin role (409): the fund must not lock
itself out. A generated password is in the creation's answer once, never in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mats.api.handlers.call import Call, Reply
from mats.codec import to_primitive
from mats.domain.users import public_user


def list_users(call: Call) -> Reply:
    found = sorted(call.services.users.list(), key=lambda user: (user.email or "", user.uid))
    return {"items": to_primitive([public_user(user) for user in found])}


def create_user(call: Call) -> Reply:
    body = call.body
    created = call.services.users.create(
        body["email"],
        body["role"],
        client_id=body.get("client_id"),
        sender_id=body.get("sender_id"),
        password=body.get("password"),
        display_name=body.get("display_name"),
        email_verified=body.get("email_verified", False),
    )
    user = public_user(created.user)
    call.audit("create_user", created.user.uid, None, user)
    return {"user": to_primitive(user), "password": created.generated_password}, 201


def set_user_role(call: Call) -> Reply:
    users = call.services.users
    body = call.body
    before = users.get(call.params["uid"])
    after = users.set_role(
        before.uid,
        body["role"],
        client_id=body.get("client_id"),
        sender_id=body.get("sender_id"),
        acting_uid=call.user.uid,
    )
    return _audited(call, "set_user_role", public_user(before), public_user(after))


def disable_user(call: Call) -> Reply:
    users = call.services.users
    before = users.get(call.params["uid"])
    after = users.disable(before.uid, acting_uid=call.user.uid)
    return _audited(call, "disable_user", public_user(before), public_user(after))


def enable_user(call: Call) -> Reply:
    users = call.services.users
    before = users.get(call.params["uid"])
    after = users.enable(before.uid)
    return _audited(call, "enable_user", public_user(before), public_user(after))


def _audited(call: Call, operation: str, before: dict[str, Any], after: dict[str, Any]) -> Reply:
    call.audit(operation, after["uid"], before, after)
    return to_primitive(after)


HANDLERS: dict[str, Callable[[Call], Any]] = {
    "list_users": list_users,
    "create_user": create_user,
    "set_user_role": set_user_role,
    "disable_user": disable_user,
    "enable_user": enable_user,
}
