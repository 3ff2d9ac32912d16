"""A subscriber function for tests: decodes each pushed MATS message and records it.

Runs under functions-framework as a CloudEvent function, exactly like a real MATS consumer, and
appends one JSON line per delivery to the file named by ``RECEIVER_OUT``.
"""

from __future__ import annotations

import base64
import json
import os
import threading

import functions_framework
from cloudevents.http import CloudEvent

from mats.codec import to_primitive
from mats.contracts import decode

_lock = threading.Lock()


@functions_framework.cloud_event
def receive(cloud_event: CloudEvent) -> None:
    """Decode the Pub/Sub message with the MATS contracts and record it."""
    message = cloud_event.data["message"]
    data = base64.b64decode(message["data"])
    decoded = decode(data)
    entry = {
        "ce_id": cloud_event["id"],
        "ce_type": cloud_event["type"],
        "ce_source": cloud_event["source"],
        "message_id": message["messageId"],
        "attributes": message.get("attributes", {}),
        "ordering_key": message.get("orderingKey"),
        "subscription": cloud_event.data.get("subscription"),
        "data": data.decode(),
        "decoded": to_primitive(decoded),
    }
    with _lock, open(os.environ["RECEIVER_OUT"], "a") as out:
        out.write(json.dumps(entry) + "\n")
