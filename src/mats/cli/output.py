"""How every command prints: aligned tables for people, ``--json`` for automation."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import click

from mats.codec import to_primitive

F = TypeVar("F", bound=Callable[..., Any])


def json_option(command: F) -> F:
    """Add ``--json`` to a command; the flag lands on ``click.get_current_context().meta``."""

    def remember(ctx: click.Context, _: click.Parameter, value: bool) -> bool:
        ctx.meta["mats.json"] = value
        return value

    option = click.option(
        "--json",
        "as_json",
        is_flag=True,
        expose_value=False,
        callback=remember,
        is_eager=True,
        help="Print machine-readable JSON instead of text.",
    )
    return option(command)


def wants_json() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get("mats.json"))


def emit(data: Any, render: Callable[[Any], str] | None = None) -> None:
    """Print ``data`` as JSON (``--json``) or through ``render`` as text."""
    if wants_json() or render is None:
        click.echo(json.dumps(to_primitive(data), indent=2, default=_default))
    else:
        click.echo(render(data))


def exit_if_failed(status: str, error: str | None) -> None:
    """Exit 1 when the stored outcome just printed FAILED, as every other error does.

    The outcome itself is already on stdout (the whole document under ``--json``); in text the
    error also goes to stderr as ``error: ...``.
    """
    if status != "FAILED":
        return
    if not wants_json():
        click.echo(f"error: {error or 'failed without a message'}", err=True)
    raise SystemExit(1)


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [
        max(len(header), *(len(row[i]) for row in cells)) if cells else len(header)
        for i, header in enumerate(headers)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value) or "-"
    return str(value)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")
