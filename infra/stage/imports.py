"""What a deployable imports: the third-party modules its code can reach, found statically.

From the entry point (``functions/<name>/main.py``) every ``mats`` module it imports is followed,
at module level and inside functions (adapters import their client libraries where they are
first used). The composition root is the exception: ``Services`` imports each adapter inside the
property that builds it, so only the properties the reached code reads (an attribute of that name
anywhere in it) are followed, and from them the properties they read in turn. A function that
never reads ``services.bridge`` so never reaches ib_async or ccxt.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT_MODULE = "mats.bootstrap.root"


@dataclass
class _Module:
    imports: set[str] = field(default_factory=set)
    attributes: set[str] = field(default_factory=set)


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:`` (never run)."""
    found: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
            continue
        found.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return found


def _imports_of(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    found: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node, is_package)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


# What the services are called where they are used: ``app = instance_services()`` in the entry
# points, ``services`` and ``call.services`` in the API, ``self`` inside ``Services``.
_SERVICES_NAMES = frozenset({"app", "services"})


def _attributes_of(tree: ast.AST, owner: frozenset[str] = _SERVICES_NAMES) -> set[str]:
    """The attributes read off the services object (``app.ingest``, ``call.services.users``)."""
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        value = node.value
        if (isinstance(value, ast.Name) and value.id in owner) or (
            isinstance(value, ast.Attribute) and value.attr in owner
        ):
            found.add(node.attr)
    return found


class ImportGraph:
    def __init__(self, source_root: Path) -> None:
        self._source = source_root
        self._cache: dict[str, _Module] = {}
        self._properties = self._services_properties()
        self.reached: set[str] = set()  # The mats modules of the last third_party() call.

    def _path(self, module: str) -> Path | None:
        base = self._source / Path(*module.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    def _module(self, name: str, path: Path) -> _Module:
        if name not in self._cache:
            tree = ast.parse(path.read_text(), str(path))
            package = path.name == "__init__.py"
            if name == ROOT_MODULE:
                # Only the module-level imports: each property's are followed on demand.
                top = ast.Module(
                    body=[n for n in tree.body if not isinstance(n, ast.ClassDef)], type_ignores=[]
                )
                self._cache[name] = _Module(_imports_of(top, name, package), set())
            else:
                self._cache[name] = _Module(_imports_of(tree, name, package), _attributes_of(tree))
        return self._cache[name]

    def _services_properties(self) -> dict[str, _Module]:
        path = self._path(ROOT_MODULE)
        assert path is not None
        tree = ast.parse(path.read_text())
        (services,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Services"]
        found = {}
        for node in services.body:
            if isinstance(node, ast.FunctionDef):
                found[node.name] = _Module(
                    _imports_of(node, ROOT_MODULE, False), _attributes_of(node, frozenset({"self"}))
                )
        return found

    def third_party(self, entry_point: Path) -> set[str]:
        """The top-level third-party modules (``google.cloud.firestore`` for Google's) reached."""
        tree = ast.parse(entry_point.read_text(), str(entry_point))
        pending = [_Module(_imports_of(tree, "__main__", False), _attributes_of(tree))]
        seen_modules: set[str] = set()
        seen_properties: set[str] = set()
        external: set[str] = set()
        while pending:
            current = pending.pop()
            for name in current.attributes & self._properties.keys() - seen_properties:
                seen_properties.add(name)
                pending.append(self._properties[name])
            for imported in current.imports:
                top = imported.split(".")[0]
                if top == "mats":
                    module = self._mats_module(imported)
                    if module and module not in seen_modules:
                        seen_modules.add(module)
                        path = self._path(module)
                        assert path is not None
                        pending.append(self._module(module, path))
                        # A module's packages run first: their __init__ imports count too.
                        parts = module.split(".")
                        for depth in range(1, len(parts)):
                            parent = ".".join(parts[:depth])
                            if parent not in seen_modules and self._path(parent):
                                seen_modules.add(parent)
                                pending.append(self._module(parent, self._path(parent)))  # type: ignore[arg-type]
                elif top and top not in sys.stdlib_module_names and top != "__future__":
                    external.add(".".join(imported.split(".")[:3]) if top == "google" else top)
        self.reached = seen_modules
        return external

    def _mats_module(self, imported: str) -> str | None:
        parts = imported.split(".")
        while parts:
            name = ".".join(parts)
            if self._path(name):
                return name
            parts.pop()
        return None
