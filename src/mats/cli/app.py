"""The ``mats`` command group and the context every command shares."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mats.cli.output import wants_json
from mats.cli.registry import ALIASES, COMMANDS, CommandEntry
from mats.cli.target import Target, resolve_target
from mats.errors import ConflictError, MatsError, ValidationError

if TYPE_CHECKING:
    from mats.bootstrap import Services


@dataclass
class CliContext:
    state_dir: Path | None
    project: str | None
    ingest_url: str | None

    @cached_property
    def target(self) -> Target:
        return resolve_target(
            state_dir=self.state_dir, project=self.project, ingest_url=self.ingest_url
        )

    @cached_property
    def services(self) -> Services:
        """The target's services: this process's environment with the target's on top."""
        from mats.bootstrap import bootstrap  # noqa: PLC0415 - only commands that use services.

        return bootstrap({**os.environ, **self.target.env})


class MatsGroup(click.Group):
    """The ``mats`` group: commands loaded when they run, MATS errors as one line and exit 1."""

    def __init__(
        self,
        *args: Any,
        lazy_commands: Mapping[str, CommandEntry],
        aliases: Mapping[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = lazy_commands
        self.aliases = aliases

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.lazy_commands)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = self.lazy_commands.get(self.aliases.get(cmd_name, cmd_name))
        if entry is None:
            return None
        command: click.Command = getattr(importlib.import_module(entry.module), entry.attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List every command with its summary from the registry, importing none of them."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        # A stand-in command shortens the summary exactly as click shortens a command's help.
        summaries = {
            name: click.Command(name, help=self.lazy_commands[name].summary) for name in names
        }
        rows = [(name, summaries[name].get_short_help_str(limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MatsError as error:
            _fail(error)


def _fail(error: MatsError) -> None:
    field_name = error.field if isinstance(error, ValidationError | ConflictError) else None
    if wants_json() or _json_requested():
        payload = {"error": str(error)}
        if field_name:
            payload["field"] = field_name
        click.echo(json.dumps(payload))
    else:
        click.echo(f"error: {error}", err=True)
    raise SystemExit(1)


def _json_requested() -> bool:
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if ctx.meta.get("mats.json"):
            return True
        ctx = ctx.parent
    return False


@click.group(
    cls=MatsGroup,
    lazy_commands=COMMANDS,
    aliases=ALIASES,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="MATS_STATE_DIR",
    help="Local stack state directory (default: the nearest .mats/ upwards from here).",
)
@click.option(
    "--project",
    envvar="MATS_PROJECT",
    help="Google Cloud project to manage instead of the local stack (gcloud credentials).",
)
@click.option(
    "--ingest-url",
    envvar="MATS_INGEST_URL",
    help="Base URL of the ingest function (local stack: read from stack.json).",
)
@click.version_option(package_name="mats")
@click.pass_context
def cli(
    ctx: click.Context, state_dir: Path | None, project: str | None, ingest_url: str | None
) -> None:
    """Operate MATS: the local stack, signal senders, strategies and signals."""
    ctx.obj = CliContext(state_dir, project, ingest_url)


pass_cli = click.make_pass_decorator(CliContext)
