"""Names, errors, time formats and messages of the local Pub/Sub service: pure values.

Everything here mirrors the REST v1 JSON of Google Cloud Pub/Sub and rejects what Google rejects.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MAX_REQUEST_BYTES = 10_000_000
MAX_ATTRIBUTES = 100
MAX_ATTRIBUTE_KEY_BYTES = 256
MAX_ATTRIBUTE_VALUE_BYTES = 1024
MAX_ORDERING_KEY_BYTES = 1024
DELETED_TOPIC = "_deleted-topic_"

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "ALREADY_EXISTS",
    500: "INTERNAL",
}
_RESOURCE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}")
_DURATION = re.compile(r"(-?)(\d+)(?:\.(\d{1,9}))?s")


class ApiError(Exception):
    """A request the Pub/Sub API refuses, rendered as Google's JSON error."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def to_json(self) -> dict[str, Any]:
        status = _STATUS_NAMES.get(self.code, "UNKNOWN")
        return {"error": {"code": self.code, "message": self.message, "status": status}}


def invalid(message: str) -> ApiError:
    return ApiError(400, message)


def topic_path(project: str, topic: str) -> str:
    """Return ``projects/{project}/topics/{topic}`` after checking Google's naming rules."""
    _check_resource_name("topic", topic)
    return f"projects/{project}/topics/{topic}"


def subscription_path(project: str, subscription: str) -> str:
    """Return ``projects/{project}/subscriptions/{subscription}`` after checking the name."""
    _check_resource_name("subscription", subscription)
    return f"projects/{project}/subscriptions/{subscription}"


def _check_resource_name(kind: str, name: str) -> None:
    if not _RESOURCE_NAME.fullmatch(name) or name.lower().startswith("goog"):
        raise invalid(
            f"Invalid {kind} name {name!r}: use 3-255 letters, digits or -_.~+%, starting with a "
            "letter and not with 'goog'."
        )


def project_of(path: str) -> str:
    """Return the project id of a ``projects/{project}/...`` resource path."""
    return path.split("/")[1]


def short_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def format_timestamp(moment: datetime) -> str:
    """Render a timestamp the way Pub/Sub's JSON does: RFC 3339, UTC, ``Z`` suffix."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_duration(value: object, field: str) -> float:
    """Parse a protobuf JSON duration such as ``"10s"`` or ``"0.050s"`` into seconds."""
    match = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise invalid(
            f"Invalid value at '{field}': expected a duration such as '10s', got {value!r}"
        )
    sign, whole, fraction = match.groups()
    seconds = int(whole) + (int(fraction.ljust(9, "0")) / 1e9 if fraction else 0.0)
    return -seconds if sign else seconds


def format_duration(seconds: float) -> str:
    """Render seconds as protobuf JSON does: ``"10s"``, ``"0.050s"``, ``"0.000001s"``."""
    whole, nanos = divmod(round(seconds * 1e9), 1_000_000_000)
    if nanos == 0:
        return f"{whole}s"
    if nanos % 1_000_000 == 0:
        return f"{whole}.{nanos // 1_000_000:03d}s"
    if nanos % 1000 == 0:
        return f"{whole}.{nanos // 1000:06d}s"
    return f"{whole}.{nanos:09d}s"


@dataclass(frozen=True)
class MessageDraft:
    """A validated message from a publish request, before it gets an id and a publish time."""

    data: str
    attributes: Mapping[str, str]
    ordering_key: str


@dataclass(frozen=True)
class Message:
    """A published message as subscribers see it; ``data`` stays base64 as on the wire."""

    message_id: str
    topic: str
    data: str
    attributes: Mapping[str, str]
    ordering_key: str
    publish_time: str

    def to_json(self) -> dict[str, Any]:
        """Return the PubsubMessage JSON of a pull response."""
        body: dict[str, Any] = {"messageId": self.message_id, "publishTime": self.publish_time}
        if self.data:
            body["data"] = self.data
        if self.attributes:
            body["attributes"] = dict(self.attributes)
        if self.ordering_key:
            body["orderingKey"] = self.ordering_key
        return body

    def to_push_json(self) -> dict[str, Any]:
        """Return the message JSON of a push body, with Eventarc's snake_case duplicates."""
        body: dict[str, Any] = {
            "data": self.data,
            "attributes": dict(self.attributes),
            "messageId": self.message_id,
            "message_id": self.message_id,
            "publishTime": self.publish_time,
            "publish_time": self.publish_time,
        }
        if self.ordering_key:
            body["orderingKey"] = self.ordering_key
        return body


def parse_publish_request(body: object, body_bytes: int) -> list[MessageDraft]:
    """Validate a ``:publish`` request body and return its messages."""
    if body_bytes > MAX_REQUEST_BYTES:
        raise invalid(f"Request payload size exceeds the limit: {MAX_REQUEST_BYTES} bytes.")
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list) or not messages:
        raise invalid("The value for message_count is too small. The minimum value is 1.")
    return [_parse_message(raw, index) for index, raw in enumerate(messages)]


def _parse_message(raw: object, index: int) -> MessageDraft:
    if not isinstance(raw, dict):
        raise invalid(f"Invalid value at 'messages[{index}]': expected an object.")
    data = _parse_data(raw.get("data", ""), index)
    attributes = _parse_attributes(raw.get("attributes") or {}, index)
    ordering_key = raw.get("orderingKey", "")
    if not isinstance(ordering_key, str):
        raise invalid(f"Invalid value at 'messages[{index}].ordering_key': expected a string.")
    if len(ordering_key.encode()) > MAX_ORDERING_KEY_BYTES:
        raise invalid(f"An ordering key is longer than {MAX_ORDERING_KEY_BYTES} bytes.")
    if not data and not attributes:
        raise invalid(
            "Some messages are empty: each message must contain non-empty data, "
            "or at least one attribute."
        )
    return MessageDraft(data=data, attributes=attributes, ordering_key=ordering_key)


def _parse_data(value: object, index: int) -> str:
    # Protobuf JSON accepts standard and URL-safe base64, padded or not; subscribers get the
    # standard padded form, as from Google.
    if not isinstance(value, str):
        raise invalid(f"Invalid value at 'messages[{index}].data': expected a base64 string.")
    if not value:
        return ""
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        try:
            padded = value + "=" * (-len(value) % 4)
            decoded = base64.urlsafe_b64decode(padded.encode("ascii"))
        except (binascii.Error, ValueError):
            raise invalid(
                f"Invalid value at 'messages[{index}].data' (TYPE_BYTES), Base64 decoding failed."
            ) from None
        return base64.b64encode(decoded).decode("ascii")
    return value if len(value) % 4 == 0 else base64.b64encode(decoded).decode("ascii")


def _parse_attributes(value: object, index: int) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(key, str) and isinstance(item, str) for key, item in value.items()
    ):
        raise invalid(f"Invalid value at 'messages[{index}].attributes': expected strings.")
    if len(value) > MAX_ATTRIBUTES:
        raise invalid(f"A message has more than {MAX_ATTRIBUTES} attributes.")
    for key, item in value.items():
        if not key:
            raise invalid("An attribute key is empty.")
        if len(key.encode()) > MAX_ATTRIBUTE_KEY_BYTES:
            raise invalid(f"An attribute key is longer than {MAX_ATTRIBUTE_KEY_BYTES} bytes.")
        if len(item.encode()) > MAX_ATTRIBUTE_VALUE_BYTES:
            raise invalid(f"An attribute value is longer than {MAX_ATTRIBUTE_VALUE_BYTES} bytes.")
    return value
