"""The API's contract, an OpenAPI 3.1 document: the routes it names are the routes served.

The document is written by hand, one file per area in ``openapi/`` (``document.json`` holds what
every area shares; each other file its own ``paths`` and the ``components`` only it uses), and is
served whole at ``/api/openapi.json``. It is the one source of what each operation takes and who
may call it: its path and method, its query and path parameters, its request body's schema, its
roles (``x-mats-roles``) and, for a route about one client or sender, the path parameter that
must be the caller's own (``x-mats-scope``). A request is matched against the document and its
input checked against it before any handler runs, so a refused request reaches nothing.

The input schemas use a small subset of JSON Schema, which :func:`check` implements: ``type``
(one or several), ``enum``, ``minimum``/``maximum``, ``minLength``/``maxLength``, ``pattern``,
``properties``, ``required``, ``additionalProperties: false`` and ``$ref`` to a component. A test
holds the document to that subset.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from mats.errors import ValidationError

AREAS = Path(__file__).with_name("openapi")
METHODS = ("get", "post", "put", "delete")
INPUT_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "properties",
        "required",
        "additionalProperties",
        "$ref",
        "default",
        "description",
    }
)


@dataclass(frozen=True)
class Operation:
    """One route of the document."""

    operation_id: str
    method: str  # Upper case.
    path: str  # The template, e.g. ``/api/clients/{client_id}``.
    roles: frozenset[str]  # Empty: anyone, signed in or not.
    scope: str | None  # The path parameter that must be the caller's own client/sender id.
    parameters: tuple[dict[str, Any], ...]
    body: dict[str, Any] | None  # The request body's schema.
    body_required: bool  # An empty body is refused (otherwise it reads as ``{}``).
    pattern: re.Pattern[str]

    @property
    def public(self) -> bool:
        return not self.roles


class UnknownRouteError(Exception):
    """No route has this path."""


class MethodNotAllowedError(Exception):
    def __init__(self, allowed: list[str]) -> None:
        super().__init__(", ".join(allowed))
        self.allowed = allowed


@cache
def document() -> dict[str, Any]:
    """The whole document: ``document.json`` with every area's paths and components merged in.
    Two areas may serve one path with different methods (``GET /api/clients`` is the people's,
    ``POST`` the operations'); a method or component two areas both define is refused here."""
    whole: dict[str, Any] = json.loads((AREAS / "document.json").read_text())
    for area in sorted(AREAS.glob("*.json")):
        if area.name == "document.json":
            continue
        part = json.loads(area.read_text())
        for path, methods in part.get("paths", {}).items():
            _merge(whole["paths"].setdefault(path, {}), methods, f"{area.name} {path}")
        for kind, items in part.get("components", {}).items():
            _merge(whole["components"].setdefault(kind, {}), items, area.name)
    return whole


def _merge(into: dict[str, Any], items: Mapping[str, Any], source: str) -> None:
    for name, item in items.items():
        if name in into:
            raise ValueError(f"{source} defines {name!r} again")
        into[name] = item


@cache
def operations() -> tuple[Operation, ...]:
    found = []
    for path, item in document()["paths"].items():
        for method in METHODS:
            spec = item.get(method)
            if spec is None:
                continue
            request_body = spec.get("requestBody", {})
            body = request_body.get("content", {}).get("application/json", {})
            found.append(
                Operation(
                    operation_id=spec["operationId"],
                    method=method.upper(),
                    path=path,
                    roles=frozenset(spec.get("x-mats-roles", ())),
                    scope=spec.get("x-mats-scope"),
                    parameters=tuple(spec.get("parameters", ())),
                    body=body.get("schema"),
                    body_required=bool(request_body.get("required", False)),
                    pattern=_template(path),
                )
            )
    return tuple(found)


@cache
def _by_literalness() -> tuple[Operation, ...]:
    return tuple(sorted(operations(), key=lambda operation: operation.path.count("{")))


def _template(path: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", path)
    regex = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)"
        for index, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$")


def match(method: str, path: str) -> tuple[Operation, dict[str, str]]:
    """The operation for ``method`` on ``path`` and its path parameters; a literal segment wins
    over a template (``/api/x/custom`` before ``/api/x/{id}``) whatever the document's order."""
    allowed = []
    for operation in _by_literalness():
        found = operation.pattern.match(path)
        if found is None:
            continue
        if operation.method == method:
            return operation, found.groupdict()
        allowed.append(operation.method)
    if allowed:
        raise MethodNotAllowedError(sorted(allowed))
    raise UnknownRouteError(path)


def read_parameters(
    operation: Operation, path_values: Mapping[str, str], query: Mapping[str, list[str]]
) -> dict[str, Any]:
    """Path and query parameters converted to their types and checked; an unknown query
    parameter is refused (a typo must not be silently ignored)."""
    known = {p["name"] for p in operation.parameters if p["in"] == "query"}
    for name in query:
        if name not in known:
            raise ValidationError(name, "is not a parameter of this route")
    values: dict[str, Any] = {}
    for parameter in operation.parameters:
        name, schema = parameter["name"], parameter["schema"]
        if parameter["in"] == "path":
            raw: str | None = path_values[name]
        else:
            given = query.get(name, [])
            if len(given) > 1:
                raise ValidationError(name, "is given more than once")
            raw = given[0] if given else None
        if raw is None:
            if "default" in schema:
                values[name] = schema["default"]
            continue
        value = _converted(raw, schema, name)
        check(value, schema, name)
        values[name] = value
    return values


def _converted(raw: str, schema: Mapping[str, Any], name: str) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        if not re.fullmatch(r"-?[0-9]{1,12}", raw):
            raise ValidationError(name, f"must be a whole number; got {raw!r}")
        return int(raw)
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise ValidationError(name, f"must be true or false; got {raw!r}")
        return raw == "true"
    return raw


def check(value: Any, schema: Mapping[str, Any], field: str) -> None:
    """Check ``value`` against an input schema (the subset the module docstring lists)."""
    if "$ref" in schema:
        schema = _component(schema["$ref"])
    kinds = schema.get("type")
    if kinds is not None:
        allowed = [kinds] if isinstance(kinds, str) else list(kinds)
        if not any(_is(value, kind) for kind in allowed):
            raise ValidationError(field, f"must be {' or '.join(allowed)}")
    if value is None:
        return
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(str(choice) for choice in schema["enum"])
        raise ValidationError(field, f"must be one of {choices}; got {value!r}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        _check_number(value, schema, field)
    elif isinstance(value, str):
        _check_text(value, schema, field)
    elif isinstance(value, dict):
        _check_object(value, schema, field)


def _check_number(value: float, schema: Mapping[str, Any], field: str) -> None:
    if "minimum" in schema and value < schema["minimum"]:
        raise ValidationError(field, f"must be at least {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        raise ValidationError(field, f"must be at most {schema['maximum']}")


def _check_text(value: str, schema: Mapping[str, Any], field: str) -> None:
    if len(value) < schema.get("minLength", 0):
        raise ValidationError(field, f"must have at least {schema['minLength']} characters")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise ValidationError(field, f"must have at most {schema['maxLength']} characters")
    if "pattern" in schema and re.search(schema["pattern"], value) is None:
        raise ValidationError(field, "has characters this field does not take")


def _check_object(value: dict[str, Any], schema: Mapping[str, Any], field: str) -> None:
    properties: Mapping[str, Any] = schema.get("properties", {})
    prefix = "" if field == "body" else f"{field}."
    for name in schema.get("required", ()):
        if name not in value:
            raise ValidationError(prefix + name, "is required")
    if schema.get("additionalProperties") is False:
        for name in value:
            if name not in properties:
                raise ValidationError(prefix + name, "is not a field of this request")
    for name, item in value.items():
        if name in properties:
            check(item, properties[name], prefix + name)


def _is(value: Any, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    raise ValueError(f"schema type {kind!r} is not one the API's inputs use")


def _component(reference: str) -> Mapping[str, Any]:
    prefix = "#/components/schemas/"
    if not reference.startswith(prefix):
        raise ValueError(f"only component references are supported: {reference}")
    found: Mapping[str, Any] = document()["components"]["schemas"][reference[len(prefix) :]]
    return found
