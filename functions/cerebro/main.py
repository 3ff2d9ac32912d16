"""Cerebro: size every signal against capital, allocation and risk, and publish its orders.

Trigger: Pub/Sub ``signals`` as a CloudEvent (``google.cloud.pubsub.topic.v1.messagePublished``;
the message data is one ``mats.signal.v1`` body).

Side effects: ``decisions/{signal_id}`` with the full calculation, ``orders/{order_id}`` (status
NEW), ``alerts/...`` for position mismatches, blocked exits and daily-loss breaches, a REDUCING
``risk_states`` entry when a strategy's loss today passes its limit; then one ``mats.order.v1``
message per order on ``orders`` (ordering key ``{account}/{symbol}``).

Retries: delivery is at-least-once and a signal may come twice under different message ids; the
decision is keyed by signal id, so a repeat only re-publishes the stored order messages (same ids,
same bytes). Store or Pub/Sub trouble raises, so Pub/Sub redelivers with backoff and finally
dead-letters; a message that breaks the contract is logged, alerted and acknowledged; one older
than ``MATS_MAX_EVENT_AGE_SECONDS`` is recorded as DROPPED.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

import functions_framework
from cloudevents.http import CloudEvent

from mats.bootstrap import instance_services
from mats.codec import parse_datetime
from mats.errors import ValidationError
from mats.logs import install_redaction
from mats.services.cerebro import PubSubEvent

install_redaction()  # Before the framework serves (or logs) a single request.
log = logging.getLogger("mats.functions.cerebro")


@functions_framework.cloud_event
def cerebro(cloud_event: CloudEvent) -> None:
    """Decide on one pushed signal."""
    app = instance_services()
    event = _event(cloud_event)
    if event is None:
        return
    app.cerebro.handle(event)


def _event(cloud_event: CloudEvent) -> PubSubEvent | None:
    """Decode the push envelope; junk is logged and acknowledged (retrying cannot fix it)."""
    data: Any = cloud_event.data
    try:
        message = data["message"]
        return PubSubEvent(
            message_id=str(message.get("messageId") or cloud_event["id"]),
            data=base64.b64decode(message["data"], validate=True),
            publish_time=parse_datetime(
                message.get("publishTime") or cloud_event["time"], "publishTime"
            ),
            attributes=dict(message.get("attributes") or {}),
        )
    except (KeyError, TypeError, AttributeError, binascii.Error, ValidationError) as error:
        detail = {"ce_id": cloud_event["id"], "error": repr(error)}
        log.error("push envelope rejected", extra=detail)
        return None
