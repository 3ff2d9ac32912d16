"""The Terraform under ``infra/terraform`` as python-hcl2 reads it, with the quoting taken off.

python-hcl2 (8.x) keeps the quotes of block labels and string values (``'"google_pubsub_topic"'``,
``'"ALL_TRAFFIC"'``), wraps expressions in ``${...}`` and adds ``__is_block__``/``__comments__``
keys; :func:`plain` turns a parsed value into plain Python data a test can compare.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "infra" / "terraform"
TOPOLOGY = ROOT / "infra" / "pubsub" / "topology.json"
_META = ("__is_block__", "__comments__", "__inline_comments__", "__start_line__", "__end_line__")


@dataclass(frozen=True)
class Resource:
    file: Path
    type: str
    name: str
    body: dict[str, Any]

    @property
    def address(self) -> str:
        return f"{self.file.relative_to(TERRAFORM)}: {self.type}.{self.name}"


def plain(value: Any) -> Any:
    """A parsed value without python-hcl2's quotes and bookkeeping keys."""
    if isinstance(value, dict):
        return {plain(key): plain(item) for key, item in value.items() if key not in _META}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def tf_files() -> list[Path]:
    return sorted(path for path in TERRAFORM.rglob("*.tf") if ".terraform" not in path.parts)


@cache
def parsed(path: Path) -> dict[str, Any]:
    with path.open() as file:
        document: dict[str, Any] = hcl2.load(file)
    return document


def resources(kind: str | None = None, under: str = "") -> list[Resource]:
    """Every ``resource`` block (of ``kind``, in files under ``under``), its body made plain."""
    found = []
    for path in tf_files():
        if not str(path.relative_to(TERRAFORM)).startswith(under):
            continue
        for block in parsed(path).get("resource", []):
            for type_label, named in block.items():
                for name_label, body in named.items():
                    resource = Resource(path, plain(type_label), plain(name_label), plain(body))
                    if kind is None or resource.type == kind:
                        found.append(resource)
    return found


def locals_of(module: str) -> dict[str, Any]:
    """Every ``locals`` entry of one module (``modules/<module>``), made plain."""
    merged: dict[str, Any] = {}
    for path in sorted((TERRAFORM / "modules" / module).glob("*.tf")):
        for block in parsed(path).get("locals", []):
            merged.update(plain(block))
    return merged


def walk(value: Any, at: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of a parsed value with the path that leads to it."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in _META:  # Comments are not configuration.
                yield from walk(item, f"{at}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{at}[{index}]")
    else:
        yield at, value


def block(body: dict[str, Any], *path: str) -> dict[str, Any]:
    """The one nested block at ``path`` (python-hcl2 gives each block as a one-item list)."""
    current: Any = body
    for name in path:
        items = current.get(name)
        assert isinstance(items, list), f"no block {name!r} in {sorted(current)}"
        assert len(items) == 1, f"{len(items)} {name!r} blocks, expected one"
        current = items[0]
    assert isinstance(current, dict)
    return current


def roles_of(resource: Resource) -> list[str]:
    """The roles a binding grants: its literal role, or each role its ``for_each`` ranges over.

    A role the tests cannot read is an error, so no binding escapes the policy tests by being
    computed: ``each.key`` over ``toset([...])`` or ``toset(local.X)``, and ``each.value.role``
    over a local built ``for role in local.Y``, are the forms understood.
    """
    role = resource.body.get("role")
    if not isinstance(role, str):
        return []
    if "${" not in role or role.startswith("${google_project_iam_custom_role."):
        return [role]
    module = resource.file.relative_to(TERRAFORM).parts
    known = locals_of(module[1]) if module[0] == "modules" else {}
    for_each = str(resource.body.get("for_each", ""))
    if role == "${each.key}":
        literal = re.fullmatch(r"\$\{toset\((\[.*\])\)\}", for_each)
        if literal:
            return re.findall(r'"([^"]+)"', literal.group(1))
        named = re.fullmatch(r"\$\{toset\(local\.(\w+)\)\}", for_each)
        if named:
            return list(known[named.group(1)])
    if role == "${each.value.role}":
        source = re.fullmatch(r"\$\{local\.(\w+)\}", for_each)
        if source:
            ranged = re.search(r"for role in local\.(\w+)", str(known[source.group(1)]))
            if ranged:
                return list(known[ranged.group(1)])
    raise AssertionError(f"{resource.address}: cannot tell which role {role!r} grants")


def dynamic_blocks(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The ``dynamic "<name>"`` blocks of a body."""
    return [item[name] for item in body.get("dynamic", []) if name in item]
