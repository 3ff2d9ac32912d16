"""The generated webhook requests of the stack's fuzz suite, through the service with fakes.

Fast feedback for the same property the stack suite checks end to end: every request gets an
outcome, never an exception, and only accepted or recorded alerts store a signal.
"""

import urllib.parse

from mats.services.ingest import Outcome, WebhookRequest
from tests.builders import SECRET
from tests.unit.services.conftest import SENDER_ID, IngestWorld
from tests.webhook_bodies import Credentials, Generator

CASES = 3000


def test_generated_requests_get_an_outcome_and_only_recorded_alerts_are_stored(
    world: IngestWorld,
) -> None:
    world.senders.save(
        world.senders.get(SENDER_ID).__class__(
            **{**vars(world.senders.get(SENDER_ID)), "rate_limit_per_minute": 1_000_000}
        )
    )
    generator = Generator(7, Credentials(SENDER_ID, SECRET, ("trend-es",)))
    recorded: set[str] = set()

    for index in range(CASES):
        case = generator.case(index)
        path, _, query = case.path.partition("?")
        parts = [part for part in urllib.parse.unquote(path).split("/") if part]
        result = world.service.receive(
            WebhookRequest(
                body=case.body,
                sender_id=parts[1] if len(parts) > 1 else None,
                path_secret=parts[2] if len(parts) > 2 else None,
                signature=case.headers.get("X-Signature"),
                client_ip="203.0.113.7",
                strategy_hint=urllib.parse.parse_qs(query).get("strategy", [None])[0],
            )
        )
        if result.outcome in (Outcome.ACCEPTED, Outcome.REJECTED):
            recorded.add(result.signal_id or "")

    assert set(world.signals.signals) == recorded
