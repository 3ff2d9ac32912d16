"""Hold an answer to the schema the contract documents for it: the answer schemas' keywords
(``type``, ``enum``, ``pattern``, ``format`` date-time and date, ``properties``, ``required``,
``additionalProperties``, ``items``, ``maxItems``, ``oneOf``, ``allOf``, ``$ref``), so a route
whose document and code drift apart fails its own tests."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mats.api.contract import document

_FORMATS = {
    "date-time": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
}
_KINDS: Mapping[str, Any] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def answer_schema(path: str, method: str = "get", status: str = "200") -> dict[str, Any]:
    """The schema the document gives ``method`` on the path template ``path`` for ``status``."""
    response = document()["paths"][path][method]["responses"][status]
    if "$ref" in response:
        response = _resolve(response["$ref"])
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return schema


def problems(value: Any, schema: Mapping[str, Any], where: str = "$") -> list[str]:
    """Every way ``value`` breaks ``schema``, each named by where it is (none: it conforms)."""
    if "$ref" in schema:
        return problems(value, _resolve(schema["$ref"]), where)
    found = _combined(value, schema, where)
    kinds = schema.get("type")
    if kinds is not None:
        allowed = [kinds] if isinstance(kinds, str) else kinds
        if not any(_KINDS[kind](value) for kind in allowed):
            return [*found, f"{where}: {value!r} is not {' or '.join(allowed)}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, str):
        found += _text(value, schema, where)
    elif isinstance(value, list):
        if len(value) > schema.get("maxItems", len(value)):
            found.append(f"{where}: more than {schema['maxItems']} items")
        for index, item in enumerate(value):
            found += problems(item, schema.get("items", {}), f"{where}[{index}]")
    elif isinstance(value, dict):
        found += _object(value, schema, where)
    return found


def _combined(value: Any, schema: Mapping[str, Any], where: str) -> list[str]:
    found: list[str] = []
    for part in schema.get("allOf", ()):
        found += problems(value, part, where)
    if "oneOf" in schema:
        passing = [part for part in schema["oneOf"] if not problems(value, part, where)]
        if len(passing) != 1:
            found.append(f"{where}: matches {len(passing)} of oneOf, not exactly one")
    return found


def _text(value: str, schema: Mapping[str, Any], where: str) -> list[str]:
    found = []
    if "pattern" in schema and re.search(schema["pattern"], value) is None:
        found.append(f"{where}: {value!r} does not match {schema['pattern']}")
    shape = _FORMATS.get(schema.get("format", ""))
    if shape is not None and shape.match(value) is None:
        found.append(f"{where}: {value!r} is not a {schema['format']}")
    return found


def _object(value: dict[str, Any], schema: Mapping[str, Any], where: str) -> list[str]:
    properties: Mapping[str, Any] = schema.get("properties", {})
    found = [f"{where}.{name}: missing" for name in schema.get("required", ()) if name not in value]
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            found += problems(item, properties[name], f"{where}.{name}")
        elif extra is False:
            found.append(f"{where}.{name}: not in the schema")
        elif isinstance(extra, dict):
            found += problems(item, extra, f"{where}.{name}")
    return found


def _resolve(reference: str) -> dict[str, Any]:
    kind, name = reference.removeprefix("#/components/").split("/")
    resolved: dict[str, Any] = document()["components"][kind][name]
    return resolved
