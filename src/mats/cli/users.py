"""``mats users``: who may sign in to the dashboard, with which role over whose data.

Users live in Firebase Auth: the local stack's Auth emulator, or the project's Firebase Auth with
``--project``. A role is ``admin``, ``client`` with the ``--client-id`` of an existing client, or
``sender`` with the ``--sender-id`` of an existing sender. A refused request (a malformed or taken
email, a role without its scope or with another's, an unknown client or sender) changes nothing
and exits 1 with an error naming the field.
"""

from __future__ import annotations

from typing import Any

import click

from mats.cli.app import CliContext, pass_cli
from mats.cli.output import emit, json_option, table
from mats.domain.users import Role, public_user

ROLE = click.Choice([role.value for role in Role])


def _scope_options(command: Any) -> Any:
    command = click.option(
        "--sender-id", metavar="ID", help="The sender a sender sees (role sender only)."
    )(command)
    return click.option(
        "--client-id", metavar="ID", help="The client a client sees (role client only)."
    )(command)


@click.group()
def users() -> None:
    """Dashboard users: create them, give them a role, disable and list them."""


@users.command()
@click.argument("email")
@click.option("--role", type=ROLE, required=True, help="What the user may see and do.")
@_scope_options
@click.option("--password", help="Its password (at least 8 characters); else one is generated.")
@click.option("--name", "display_name", help="The name shown on the dashboard.")
@click.option("--email-verified", is_flag=True, help="Mark the email verified (SMS MFA needs it).")
@json_option
@pass_cli
def create(
    app: CliContext,
    email: str,
    role: str,
    client_id: str | None,
    sender_id: str | None,
    password: str | None,
    display_name: str | None,
    email_verified: bool,
) -> None:
    """Create a user with a role; a generated password is printed once."""
    created = app.services.users.create(
        email,
        role,
        client_id=client_id,
        sender_id=sender_id,
        password=password,
        display_name=display_name,
        email_verified=email_verified,
    )
    data = {"user": public_user(created.user), "password": created.generated_password}
    emit(data, _render_created)


@users.command("list")
@json_option
@pass_cli
def list_users(app: CliContext) -> None:
    """List every user with its role, scope, second factors and status."""
    emit([public_user(user) for user in app.services.users.list()], _render_users)


@users.command()
@click.argument("user", metavar="EMAIL")
@json_option
@pass_cli
def disable(app: CliContext, user: str) -> None:
    """Refuse the user's sign-ins and revoke its sessions (EMAIL or uid)."""
    emit(public_user(app.services.users.disable(user)), _render_user)


@users.command()
@click.argument("user", metavar="EMAIL")
@json_option
@pass_cli
def enable(app: CliContext, user: str) -> None:
    """Let a disabled user sign in again (EMAIL or uid)."""
    emit(public_user(app.services.users.enable(user)), _render_user)


@users.command("set-role")
@click.argument("user", metavar="EMAIL")
@click.option("--role", type=ROLE, required=True, help="What the user may see and do.")
@_scope_options
@json_option
@pass_cli
def set_role(
    app: CliContext, user: str, role: str, client_id: str | None, sender_id: str | None
) -> None:
    """Replace the user's role and scope and revoke its sessions (EMAIL or uid)."""
    changed = app.services.users.set_role(user, role, client_id=client_id, sender_id=sender_id)
    emit(public_user(changed), _render_user)


def _render_created(data: dict[str, Any]) -> str:
    text = _render_user(data["user"])
    if data["password"]:
        text += f"\nPassword (shown once; hand it over now): {data['password']}"
    return text


def _render_user(data: dict[str, Any]) -> str:
    return _render_users([data])


def _render_users(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No users yet: create one with `mats users create EMAIL --role admin`."
    return table(
        [
            (
                r["email"],
                r["uid"],
                r["role"] or "(none)",
                r["client_id"] or r["sender_id"],
                r["second_factors"],
                "disabled" if r["disabled"] else "active",
                r["last_sign_in_at"],
            )
            for r in rows
        ],
        ["EMAIL", "UID", "ROLE", "SCOPE", "2FA", "STATUS", "LAST SIGN-IN"],
    )
