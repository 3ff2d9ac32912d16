"""The TWS API wire format: length-prefixed frames of NUL-terminated text fields.

Every message either way is a 4-byte big-endian length followed by fields, each ending in NUL.
The client opens with ``API\\0`` and one frame ``v<min>..<max>[ options]``; the server answers
with one frame ``<server version>\\0<connection time>\\0`` and from then on both sides exchange
message frames whose first field is the message id.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

API_SIGN = b"API\0"
SERVER_VERSION = 176
# A frame longer than this is garbage, not a request: nothing ib_async sends comes close.
MAX_FRAME_BYTES = 1 << 20
UNSET_DOUBLE = 1.7976931348623157e308
UNSET_INTEGER = 2**31 - 1

_LENGTH = struct.Struct(">I")
_VERSION_RANGE = re.compile(r"^v(\d+)(?:\.\.(\d+))?(?:\s.*)?$", re.DOTALL)

Field = str | int | float | bool | None


class ProtocolError(Exception):
    """The peer sent something that is not the TWS API."""


def format_number(value: float) -> str:
    """Render a float the way TWS does: integral values without a fraction, unset as empty."""
    value = float(value)
    if math.isinf(value):
        return "Infinite"
    if math.isnan(value) or value >= UNSET_DOUBLE:
        return ""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def encode_field(value: Field) -> str:
    """Render one field value as protocol text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return "" if value == UNSET_INTEGER else str(value)
    if isinstance(value, float):
        return format_number(value)
    return value


def frame(payload: bytes) -> bytes:
    """Prefix ``payload`` with its length."""
    return _LENGTH.pack(len(payload)) + payload


def encode_message(fields: Iterable[Field]) -> bytes:
    """Encode one message: every field NUL-terminated, the whole length-prefixed."""
    text = "".join(encode_field(value) + "\0" for value in fields)
    return frame(text.encode())


def split_fields(payload: bytes) -> list[str]:
    """Split a frame's payload into its fields (the trailing NUL ends the last one)."""
    fields = payload.decode(errors="backslashreplace").split("\0")
    if fields and fields[-1] == "":
        fields.pop()
    return fields


def parse_length(prefix: bytes) -> int:
    """Read a frame length and refuse absurd ones."""
    (length,) = _LENGTH.unpack(prefix)
    if length > MAX_FRAME_BYTES:
        raise ProtocolError(f"frame of {length} bytes exceeds {MAX_FRAME_BYTES}")
    return int(length)


def parse_version_range(payload: bytes) -> tuple[int, int]:
    """Parse the client's ``v<min>..<max>`` announcement into the version range."""
    match = _VERSION_RANGE.match(payload.decode(errors="replace"))
    if match is None:
        raise ProtocolError(f"not a TWS API version range: {payload[:40]!r}")
    low = int(match.group(1))
    high = int(match.group(2) or low)
    return low, high


def handshake_reply(version: int, now: datetime) -> bytes:
    """Build the server's answer to the version announcement."""
    return encode_message([version, now.strftime("%Y%m%d %H:%M:%S UTC")])


def parse_ib_time(text: str) -> datetime:
    """Parse a TWS time: ``YYYYMMDD HH:MM:SS [zone]``, ``YYYYMMDD-HH:MM:SS`` (UTC) or ``YYYYMMDD``.

    A time without a zone is taken as UTC (TWS would use its own zone). The result is UTC.
    """
    value = text.strip()
    try:
        if len(value) == 8:
            return datetime.strptime(value + " 23:59:59 +0000", "%Y%m%d %H:%M:%S %z")
        if len(value) >= 17 and value[8] == "-":
            return datetime.strptime(value[:17] + " +0000", "%Y%m%d-%H:%M:%S %z")
        stamp, zone = value[:17], value[17:].strip()
        naive_utc = datetime.strptime(stamp + " +0000", "%Y%m%d %H:%M:%S %z")
        if not zone:
            return naive_utc
        local = naive_utc.replace(tzinfo=ZoneInfo(zone))
        return local.astimezone(UTC)
    except (ValueError, ZoneInfoNotFoundError):
        raise ValueError(f"invalid time {text!r}") from None


def ib_time(moment: datetime) -> str:
    """Render a UTC time as TWS does in executions: ``YYYYMMDD HH:MM:SS UTC``."""
    return moment.strftime("%Y%m%d %H:%M:%S UTC")


class FieldReader:
    """Read a request's fields in order, converting each as the TWS API encodes it."""

    def __init__(self, fields: Sequence[str], start: int = 0) -> None:
        self._fields = fields
        self._position = start

    @property
    def remaining(self) -> int:
        """Return how many fields are left."""
        return len(self._fields) - self._position

    def peek(self) -> str:
        """Return the next field without consuming it (empty at the end)."""
        if self._position >= len(self._fields):
            return ""
        return self._fields[self._position]

    def text(self) -> str:
        """Return the next field as text."""
        if self._position >= len(self._fields):
            raise ProtocolError(f"message ended after {len(self._fields)} fields")
        value = self._fields[self._position]
        self._position += 1
        return value

    def integer(self, default: int = 0) -> int:
        """Return the next field as an int; empty means ``default``."""
        raw = self.text()
        try:
            return int(raw) if raw else default
        except ValueError:
            raise ProtocolError(f"expected an integer, got {raw!r}") from None

    def number(self) -> float | None:
        """Return the next field as a float; empty or IB's unset value mean None."""
        raw = self.text()
        if not raw:
            return None
        if raw == "Infinite":
            return math.inf
        try:
            value = float(raw)
        except ValueError:
            raise ProtocolError(f"expected a number, got {raw!r}") from None
        return None if value >= UNSET_DOUBLE else value

    def flag(self) -> bool:
        """Return the next field as a boolean (``1``/``0``, empty is false)."""
        raw = self.text()
        return raw.lower() in {"1", "true"}

    def skip(self, count: int = 1) -> None:
        """Step over ``count`` fields the simulator does not use."""
        for _ in range(count):
            self.text()
