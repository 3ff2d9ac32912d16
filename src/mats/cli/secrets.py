"""``mats secrets``: put a secret's value in the target's secret store, and list what it holds.

Against a project the store is Secret Manager (the value becomes the secret's newest version;
every reader picks it up within a minute, no restart); against the local stack it is the stack's
secret directory. A value is read from stdin (typed without echo at a terminal), never from an
argument, which would end up in the shell's history and the process list; nothing prints it.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from mats.cli.app import CliContext, pass_cli
from mats.cli.output import emit, json_option, table
from mats.errors import ValidationError
from mats.ports import SecretCatalog, SecretInfo


@click.group()
def secrets() -> None:
    """Set secrets from stdin and list their names and versions (never their values)."""


@secrets.command("set")
@click.argument("name")
@pass_cli
def set_secret(app: CliContext, name: str) -> None:
    """Store NAME's value, read from stdin (not echoed); a new version replaces the old."""
    value = _read_value(name)
    app.services.secret_store.put(name, value)
    click.echo(f"{name}: new value stored in {app.target.describe()}.")


@secrets.command("list")
@json_option
@pass_cli
def list_secrets(app: CliContext) -> None:
    """List every secret's name, versions and the version readers get (never a value)."""
    store = app.services.secret_store
    if not isinstance(store, SecretCatalog):
        raise ValidationError("secrets", "this secret store cannot list its secrets")
    emit([_row(info) for info in store.list_secrets()], _render)


def _read_value(name: str) -> str:
    if sys.stdin.isatty():
        value = click.prompt(f"{name}", hide_input=True, confirmation_prompt=True, err=True)
    else:
        value = sys.stdin.read()
        # One trailing newline is what `echo` and a here-string add; the value never has it.
        value = value.removesuffix("\n").removesuffix("\r")
    if not value:
        raise ValidationError("value", "is empty: nothing was stored")
    return str(value)


def _row(info: SecretInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "versions": info.versions,
        "latest_enabled": info.latest_enabled,
        "updated_at": info.updated_at,
    }


def _render(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No secrets."
    return table(
        [[r["name"], r["versions"], r["latest_enabled"] or "none", r["updated_at"]] for r in rows],
        ["NAME", "VERSIONS", "READ", "UPDATED"],
    )
