"""JSON-lines log records of the local Pub/Sub service."""

from __future__ import annotations

import json
import logging

from mats.localstack.pubsub.logs import JsonFormatter


def test_record_becomes_one_json_object_with_extra_fields() -> None:
    record = logging.LogRecord(
        "mats.localstack.pubsub.push",
        logging.WARNING,
        "push.py",
        1,
        "push delivery failed",
        None,
        None,
    )
    record.subscription = "projects/p/subscriptions/signals-push"
    record.attempt = 2

    entry = json.loads(JsonFormatter().format(record))

    assert entry["severity"] == "WARNING"
    assert entry["logger"] == "mats.localstack.pubsub.push"
    assert entry["message"] == "push delivery failed"
    assert entry["subscription"] == "projects/p/subscriptions/signals-push"
    assert entry["attempt"] == 2
    assert entry["time"].endswith("+00:00")
    assert "msg" not in entry
    assert "args" not in entry
