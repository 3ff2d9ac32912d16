"""``mats signals``: post test alerts, list and inspect signals, publish what is pending."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from mats.cli.app import CliContext, pass_cli
from mats.cli.output import emit, json_option, table
from mats.codec import to_primitive
from mats.contracts import decode
from mats.domain.senders import sign_body, signing_key
from mats.domain.signals.records import SignalRecord, SignalStatus
from mats.errors import MatsError

POSITIONS = click.Choice(["long", "short", "flat"], case_sensitive=False)


@click.group()
def signals() -> None:
    """Send test alerts and inspect signals."""


@signals.command()
@click.option("--strategy", "strategy_id", help="Strategy the alert is for.")
@click.option("--ticker", help="Instrument, e.g. AAPL or ES1!.")
@click.option("--action", type=click.Choice(["buy", "sell"], case_sensitive=False))
@click.option("--contracts", help="Order quantity ({{strategy.order.contracts}}).")
@click.option("--price", help="Order price ({{strategy.order.price}}).")
@click.option("--position", type=POSITIONS, help="Position after the order.")
@click.option("--position-size", help="Absolute position size after the order.")
@click.option("--prev-position", type=POSITIONS, help="Position before the order.")
@click.option("--prev-position-size", help="Absolute position size before the order.")
@click.option("--order-id", help="TradingView order id, e.g. 'Long Entry'.")
@click.option("--bar-time", help="Bar time ({{time}}), ISO-8601.")
@click.option(
    "--payload",
    type=click.File("r"),
    help="Send this JSON file ('-' for stdin) as the body; the options above override its fields.",
)
@click.option("--sender", "sender_id", envvar="MATS_SENDER_ID", help="Sender id (local: demo).")
@click.option("--secret", envvar="MATS_SENDER_SECRET", help="Sender secret (local: demo).")
@click.option(
    "--auth",
    type=click.Choice(["path", "body", "signature"]),
    default="path",
    show_default=True,
    help="Where the credential goes: URL path, body field, or an X-Signature header.",
)
@json_option
@pass_cli
def send(
    app: CliContext,
    /,
    payload: Any,
    sender_id: str | None,
    secret: str | None,
    auth: str,
    **fields: Any,
) -> None:
    """Post a TradingView-style alert to the ingest function and print its answer."""
    body = json.load(payload) if payload else {}
    if not isinstance(body, dict):
        raise click.BadParameter("must hold a JSON object", param_hint="--payload")
    body.update(_alert_fields(fields))
    body.setdefault("timenow", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    sender_id, secret = _credentials(app, sender_id, secret)
    status, answer = _post(app, body, sender_id, secret, auth)
    emit(
        {"http_status": status, "response": answer},
        lambda data: f"{data['http_status']} {json.dumps(data['response'])}",
    )
    if not 200 <= status < 300:
        raise SystemExit(1)


@signals.command("list")
@click.option("--strategy", "strategy_id", help="Only this strategy.")
@click.option("--sender", "sender_id", help="Only this sender.")
@click.option("--status", type=click.Choice([s.value for s in SignalStatus], case_sensitive=False))
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@json_option
@pass_cli
def list_signals(
    app: CliContext, strategy_id: str | None, sender_id: str | None, status: str | None, limit: int
) -> None:
    """List the latest signals, newest first."""
    records = app.services.signal_store.list(
        strategy_id=strategy_id,
        sender_id=sender_id,
        status=SignalStatus(status.upper()) if status else None,
        limit=limit,
    )
    emit([_summary(record) for record in records], _render_list)


@signals.command()
@click.argument("signal_id")
@json_option
@pass_cli
def show(app: CliContext, signal_id: str) -> None:
    """Show a signal: status, the standard signal and the raw payload as received."""
    record = app.services.signal_store.get(signal_id)
    if record is None:
        raise MatsError(f"signal {signal_id!r} does not exist")
    data = {**_summary(record), "signal": decode(record.message), "raw_payload": record.raw_payload}
    emit(data, _render_one)


@signals.command("publish-pending")
@click.option(
    "--min-age",
    type=click.FloatRange(min=0),
    default=30,
    show_default=True,
    metavar="SECONDS",
    help="Only signals at least this old (younger ones may still be publishing).",
)
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@json_option
@pass_cli
def publish_pending(app: CliContext, min_age: float, limit: int) -> None:
    """Publish accepted signals whose publish failed (the outbox sweep)."""
    count = app.services.ingest.publish_pending(min_age_seconds=min_age, limit=limit)
    emit({"published": count}, lambda data: f"Published {data['published']} pending signal(s).")


def _alert_fields(fields: dict[str, Any]) -> dict[str, Any]:
    names = {
        "strategy_id": "strategy_id",
        "ticker": "ticker",
        "action": "action",
        "contracts": "contracts",
        "price": "price",
        "position": "market_position",
        "position_size": "market_position_size",
        "prev_position": "prev_market_position",
        "prev_position_size": "prev_market_position_size",
        "order_id": "order_id",
        "bar_time": "time",
    }
    return {names[key]: value for key, value in fields.items() if value is not None}


def _credentials(app: CliContext, sender_id: str | None, secret: str | None) -> tuple[str, str]:
    if sender_id and secret:
        return sender_id, secret
    state_dir = app.target.state_dir
    demo = Path(state_dir) / "demo-sender.json" if state_dir else None
    if demo is not None and demo.is_file():
        saved = json.loads(demo.read_text())
        return sender_id or saved["sender_id"], secret or saved["secret"]
    raise click.UsageError("give --sender and --secret (or MATS_SENDER_ID / MATS_SENDER_SECRET)")


def _post(
    app: CliContext, body: dict[str, Any], sender_id: str, secret: str, auth: str
) -> tuple[int, Any]:
    base = app.target.ingest_url
    if not base:
        raise MatsError("the ingest URL is unknown: pass --ingest-url or set MATS_INGEST_URL")
    url = f"{base}/webhook/{urllib.parse.quote(sender_id)}"
    headers = {"Content-Type": "application/json"}
    if auth == "path":
        url += f"/{urllib.parse.quote(secret)}"
    elif auth == "body":
        body = {**body, "secret": secret}
    data = json.dumps(body).encode()
    if auth == "signature":
        headers["X-Signature"] = "sha256=" + sign_body(signing_key(secret), data)
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw.decode(errors="replace")
    except urllib.error.URLError as error:
        raise MatsError(f"cannot reach the ingest function at {base}: {error.reason}") from None


def _summary(record: SignalRecord) -> dict[str, Any]:
    return {
        "signal_id": record.signal_id,
        "received_at": record.received_at,
        "strategy_id": record.strategy_id,
        "sender_id": record.sender_id,
        "symbol": record.symbol,
        "intent": record.intent,
        "format": record.source_format,
        "status": record.status,
        "rejection_reason": record.rejection_reason,
        "rejection_detail": record.rejection_detail,
        "tags": record.tags,
        "outbox_state": record.outbox_state,
        "message_id": record.message_id,
        "published_at": record.published_at,
        "publish_attempts": record.publish_attempts,
        "last_publish_error": record.last_publish_error,
    }


def _render_list(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No signals yet."
    return table(
        [
            (
                r["signal_id"],
                r["received_at"],
                r["symbol"],
                r["intent"],
                r["status"],
                r["outbox_state"],
                r["rejection_reason"] or r["tags"],
            )
            for r in rows
        ],
        ["SIGNAL ID", "RECEIVED (UTC)", "SYMBOL", "INTENT", "STATUS", "PUBLISH", "NOTE"],
    )


def _render_one(data: dict[str, Any]) -> str:
    summary = {k: v for k, v in data.items() if k not in ("signal", "raw_payload")}
    width = max(len(key) for key in summary)
    lines = [f"{key.ljust(width)}  {'-' if v is None else v}" for key, v in summary.items()]
    lines += ["", "standard signal (mats.signal.v1):"]
    lines += [
        "  " + line for line in json.dumps(to_primitive(data["signal"]), indent=2).splitlines()
    ]
    lines += ["", "raw payload:", "  " + data["raw_payload"]]
    return "\n".join(lines)
