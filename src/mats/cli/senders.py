"""``mats senders``: who may post webhooks, and their secrets."""

from __future__ import annotations

from typing import Any

import click

from mats.cli.app import CliContext, pass_cli
from mats.cli.output import emit, json_option, table
from mats.domain.senders import SenderStatus, public_sender
from mats.services.registry import IssuedSecret


@click.group()
def senders() -> None:
    """Create, rotate, update and list signal senders."""


@senders.command()
@click.argument("name")
@click.option(
    "--ip-allow",
    "ip_allow",
    multiple=True,
    metavar="CIDR",
    help="Accept webhooks only from this address or range (repeatable).",
)
@click.option(
    "--max-lag",
    type=click.IntRange(min=1),
    metavar="SECONDS",
    help="Reject alerts that fired longer ago than this (default: the strategy's or 120 s).",
)
@click.option(
    "--rate-limit",
    type=click.IntRange(min=1),
    default=60,
    show_default=True,
    metavar="PER_MINUTE",
    help="Requests per minute before answering 429.",
)
@json_option
@pass_cli
def create(
    app: CliContext, name: str, ip_allow: tuple[str, ...], max_lag: int | None, rate_limit: int
) -> None:
    """Register a sender and print its secret and webhook URL, once; names must be unique."""
    issued = app.services.senders.create(
        name, ip_allowlist=ip_allow, max_lag_seconds=max_lag, rate_limit_per_minute=rate_limit
    )
    emit(_issued(app, issued), _render_issued)


@senders.command()
@click.argument("sender_id")
@click.option(
    "--grace",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    metavar="SECONDS",
    help="Keep accepting the old secret this long, while alerts are being updated.",
)
@json_option
@pass_cli
def rotate(app: CliContext, sender_id: str, grace: int) -> None:
    """Issue a new secret for a sender (the old one stops working after --grace)."""
    issued = app.services.senders.rotate(sender_id, grace_seconds=grace)
    emit(_issued(app, issued), _render_issued)


@senders.command()
@click.argument("sender_id")
@click.option(
    "--ip-allow", "ip_allow", multiple=True, metavar="CIDR", help="Replace the allowlist."
)
@click.option("--clear-ip-allow", is_flag=True, help="Accept webhooks from any address.")
@click.option("--max-lag", type=click.IntRange(min=1), metavar="SECONDS")
@click.option("--clear-max-lag", is_flag=True, help="Fall back to the strategy's or default lag.")
@click.option("--rate-limit", type=click.IntRange(min=1), metavar="PER_MINUTE")
@click.option("--disable/--enable", "disabled", default=None, help="Refuse or accept its webhooks.")
@json_option
@pass_cli
def update(
    app: CliContext,
    sender_id: str,
    ip_allow: tuple[str, ...],
    clear_ip_allow: bool,
    max_lag: int | None,
    clear_max_lag: bool,
    rate_limit: int | None,
    disabled: bool | None,
) -> None:
    """Change a sender's allowlist, lag limit, rate limit or status."""
    if ip_allow and clear_ip_allow:
        raise click.UsageError("--ip-allow and --clear-ip-allow cannot be combined")
    status = (
        None if disabled is None else (SenderStatus.DISABLED if disabled else SenderStatus.ACTIVE)
    )
    sender = app.services.senders.update(
        sender_id,
        ip_allowlist=() if clear_ip_allow else (ip_allow or None),
        max_lag_seconds=max_lag,
        clear_max_lag=clear_max_lag,
        rate_limit_per_minute=rate_limit,
        status=status,
    )
    emit(public_sender(sender), _render_sender)


@senders.command()
@json_option
@pass_cli
def migrate(app: CliContext) -> None:
    """Move signing keys out of sender documents written before verifiers, and claim names.

    Safe to run any number of times; a second run changes nothing.
    """
    result = app.services.senders.migrate()
    emit(
        {"keys_moved": result.keys_moved, "shared_names": result.shared_names},
        _render_migration,
    )


@senders.command("list")
@json_option
@pass_cli
def list_senders(app: CliContext) -> None:
    """List senders (never their secrets)."""
    rows = [public_sender(sender) for sender in app.services.senders.list()]
    emit(rows, _render_senders)


def _issued(app: CliContext, issued: IssuedSecret) -> dict[str, Any]:
    base = app.target.ingest_url
    sender_id = issued.sender.sender_id
    return {
        "sender": public_sender(issued.sender),
        "secret": issued.secret,
        "webhook_url": f"{base}/webhook/{sender_id}/{issued.secret}" if base else None,
        "webhook_base_url": f"{base}/webhook/{sender_id}" if base else None,
    }


def _render_issued(data: dict[str, Any]) -> str:
    sender = data["sender"]
    lines = [
        f"Sender {sender['sender_id']} ({sender['name']})",
        f"Secret (shown once; store it now): {data['secret']}",
    ]
    if data["webhook_url"]:
        lines += [
            "Webhook URL with the secret in the path (paste into TradingView):",
            f"  {data['webhook_url']}",
            f'Or POST to {data["webhook_base_url"]} with "secret" in the JSON body,',
            "or sign the raw body: X-Signature: sha256=<HMAC-SHA256(key=sha256hex(secret), body)>.",
        ]
    else:
        lines.append("Set --ingest-url (or MATS_INGEST_URL) to print the webhook URL.")
    return "\n".join(lines)


def _render_migration(data: dict[str, Any]) -> str:
    moved = data["keys_moved"]
    lines = [
        f"Moved the signing keys of {len(moved)} sender(s) to the secret store: {', '.join(moved)}."
        if moved
        else "No signing keys left in Firestore to move.",
        "Every sender's name is claimed.",
    ]
    for name, (holder, *others) in data["shared_names"].items():
        lines.append(
            f"Name {name!r} belongs to {holder}; also used by {', '.join(others)} "
            "(they keep working; new senders cannot take the name)."
        )
    return "\n".join(lines)


def _render_sender(data: dict[str, Any]) -> str:
    return _render_senders([data])


def _render_senders(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No senders yet: create one with `mats senders create NAME`."
    return table(
        [
            (
                r["sender_id"],
                r["name"],
                r["status"],
                r["ip_allowlist"],
                r["max_lag_seconds"],
                r["rate_limit_per_minute"],
                r["created_at"],
            )
            for r in rows
        ],
        ["SENDER ID", "NAME", "STATUS", "IP ALLOWLIST", "MAX LAG S", "RATE/MIN", "CREATED"],
    )
