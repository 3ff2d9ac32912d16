"""Turn a webhook body into a JSON object, refusing whatever could hurt the parser or the store.

Every limit is enforced before the part of the work it protects: the nesting depth by a scan that
never recurses (Python's parser recurses once per level and gives up near 1,000), the length of
number literals as the parser meets them (``int()`` refuses more than 4,300 digits), duplicate
keys while objects are built (a signature covers the raw bytes, so two readers must never disagree
on which copy counts), and then, on the parsed tree, the number of values, the length of keys and
strings, and text that is not valid Unicode (a lone surrogate cannot be stored) or holds control
characters. Every refusal is a ``ValidationError`` naming the field (or ``body``).

JSON numbers are parsed as ``Decimal`` (fractions) or ``int``, never float.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from mats.errors import ValidationError

MAX_DEPTH = 10
MAX_VALUES = 500
MAX_KEY_CHARS = 64
MAX_STRING_CHARS = 1024
MAX_NUMBER_CHARS = 40

_UTF8_BOM = b"\xef\xbb\xbf"
# Strings (possessive, so a long or unterminated one costs one pass), runs of opening or closing
# brackets, or the quote of a string that never ends. Everything else is skipped by the search.
_SKELETON = re.compile(r'"(?:[^"\\]++|\\.)*+"|([\[{]+)|([\]}]+)|(")', re.DOTALL)
# Tab, line feed and carriage return are ordinary in comments; no other control character is.
_FORBIDDEN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class _Oversized:
    """A number literal too long to convert, kept so the tree check can name its field."""

    def __init__(self, length: int) -> None:
        self.length = length


class _Repeated:
    """The value of a key that appeared more than once in one object."""


def load_payload(body: bytes) -> dict[str, Any]:
    """Parse a webhook body into a JSON object within the documented limits."""
    text = _decode(body)
    # Fewer brackets than the limit cannot nest past it: ordinary alerts skip the scan.
    brackets = text.count("{") + text.count("[")
    if brackets > MAX_DEPTH and (depth := nesting_depth(text)) > MAX_DEPTH:
        raise ValidationError(
            "body", f"is nested {depth} levels deep; at most {MAX_DEPTH} levels are accepted"
        )
    try:
        payload = json.loads(
            text,
            parse_float=_fraction,
            parse_int=_integer,
            parse_constant=_reject_constant,
            object_pairs_hook=_object,
        )
    except json.JSONDecodeError as error:
        detail = f"is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
        raise ValidationError("body", detail) from None
    if not isinstance(payload, dict):
        raise ValidationError("body", f"must be a JSON object, not {_kind(payload)}")
    _check_tree(payload)
    return payload


def nesting_depth(text: str) -> int:
    """Return how deep the brackets of a JSON text nest, ignoring brackets inside strings."""
    depth = deepest = 0
    for match in _SKELETON.finditer(text):
        opened, closed, unterminated = match.groups()
        if opened:
            depth += len(opened)
            deepest = max(deepest, depth)
        elif closed:
            depth -= len(closed)
        elif unterminated:
            break  # The rest is inside a string that never ends: the parser will say so.
    return deepest


def _decode(body: bytes) -> str:
    if body.startswith(_UTF8_BOM):
        raise ValidationError("body", "starts with a byte order mark; send UTF-8 without one")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValidationError(
            "body", f"must be UTF-8 encoded JSON (invalid byte at position {error.start})"
        ) from None
    if not text.strip():
        raise ValidationError("body", "is empty; send the alert as a JSON object")
    return text


def _fraction(literal: str) -> Decimal | _Oversized:
    return Decimal(literal) if len(literal) <= MAX_NUMBER_CHARS else _Oversized(len(literal))


def _integer(literal: str) -> int | _Oversized:
    return int(literal) if len(literal) <= MAX_NUMBER_CHARS else _Oversized(len(literal))


def _reject_constant(name: str) -> Any:
    raise ValidationError("body", f"{name} is not a number")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for key, value in pairs:
        members[key] = _Repeated() if key in members else value
    return members


def _check_tree(payload: dict[str, Any]) -> None:
    """Check every key and value, iteratively (depth is already bounded, but stay flat)."""
    pending: list[tuple[str, Any]] = [("", payload)]
    values = 0
    while pending:
        path, value = pending.pop()
        if isinstance(value, dict):
            values += len(value)
            for key, item in value.items():
                where = f"{path}.{_segment(key)}" if path else _segment(key)
                _check_text(where, key, MAX_KEY_CHARS, "key")
                pending.append((where, item))
        elif isinstance(value, list):
            values += len(value)
            pending.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
        elif isinstance(value, str):
            _check_text(path, value, MAX_STRING_CHARS, "text")
        elif isinstance(value, _Oversized):
            raise ValidationError(
                path, f"is a number {value.length} characters long; at most {MAX_NUMBER_CHARS}"
            )
        elif isinstance(value, _Repeated):
            raise ValidationError(path, "appears more than once in its object")
        if values > MAX_VALUES:
            raise ValidationError("body", f"holds more than {MAX_VALUES} keys and list items")


def _check_text(where: str, text: str, limit: int, kind: str) -> None:
    if len(text) > limit:
        raise ValidationError(where, f"{kind} is {len(text)} characters long; at most {limit}")
    forbidden = _FORBIDDEN_TEXT.search(text)
    if forbidden is None:
        return
    code = ord(forbidden.group())
    if 0xD800 <= code <= 0xDFFF:
        raise ValidationError(
            where, f"{kind} holds a lone surrogate (U+{code:04X}), which is not valid Unicode"
        )
    raise ValidationError(where, f"{kind} holds the control character U+{code:04X}")


def _segment(key: str) -> str:
    # Keys name fields in error messages and logs: odd ones are shown escaped and cut short.
    return key if _PLAIN_KEY.fullmatch(key) else ascii(key[:32])


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return "a number"
