"""``mats dlq`` (also ``mats dead-letters``): messages a subscription gave up on, as the dashboard
recorded them, and their replay from the topics' holds."""

from __future__ import annotations

import click

from mats.cli.app import CliContext, pass_cli
from mats.cli.output import emit, json_option, table
from mats.domain.dead_letters import DeadLetter, DeadLetterCount


@click.group("dlq")
def dead_letters() -> None:
    """Dead letters: messages a subscription gave up on, counted per source subscription.

    `mats dlq` and `mats dead-letters` are the same command.
    """


@dead_letters.command("list")
@click.option("--subscription", help="Only those dead-lettered by this source subscription.")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@json_option
@pass_cli
def list_letters(app: CliContext, subscription: str | None, limit: int) -> None:
    """List the latest dead letters, newest first (each kept in its topic's -hold subscription)."""
    rows = app.services.dead_letters.recent(subscription=subscription, limit=limit)
    emit(rows, lambda items: _letters(items) if items else "No dead letters.")


@dead_letters.command("replay")
@click.argument("topic")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@json_option
@pass_cli
def replay_letters(app: CliContext, topic: str, limit: int) -> None:
    """Publish TOPIC's held dead letters to TOPIC again, oldest first; fix the cause first."""
    from mats.services.replays import replay  # noqa: PLC0415 - only this command replays.

    services = app.services
    replayed = replay(services.dead_letter_hold, services.publisher, topic, limit=limit)
    emit(
        [{"message_id": r.message_id, "republished_as": r.republished_as} for r in replayed],
        lambda rows: (
            f"Replayed {len(rows)} dead letter(s) to {topic}."
            + "".join(f"\n  {row['message_id']} -> {row['republished_as']}" for row in rows)
        ),
    )


@dead_letters.command("counts")
@json_option
@pass_cli
def counts(app: CliContext) -> None:
    """Show how many dead letters each source subscription has had, and the newest one."""
    rows = app.services.dead_letters.counts()
    emit(rows, lambda items: _counts(items) if items else "No dead letters.")


def _letters(items: list[DeadLetter]) -> str:
    return table(
        [
            (
                letter.received_at,
                letter.source_subscription,
                letter.message_id,
                letter.delivery_attempts,
                letter.severity,
                letter.schema or "-",
                letter.record_id if letter.undecodable is None else "undecodable",
                letter.strategy_id,
                letter.data_bytes,
                letter.hold_subscription,
            )
            for letter in items
        ],
        [
            "RECEIVED (UTC)",
            "SOURCE SUBSCRIPTION",
            "MESSAGE",
            "ATTEMPTS",
            "SEVERITY",
            "SCHEMA",
            "ID",
            "STRATEGY",
            "BYTES",
            "KEPT IN",
        ],
    )


def _counts(items: list[DeadLetterCount]) -> str:
    return table(
        [(c.subscription, c.count, c.last_at, c.last_message_id) for c in items],
        ["SOURCE SUBSCRIPTION", "DEAD LETTERS", "NEWEST (UTC)", "NEWEST MESSAGE"],
    )
