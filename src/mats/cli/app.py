"""The ``mats`` command group and the context every command shares."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import click

from mats.bootstrap import Services, bootstrap
from mats.cli.output import wants_json
from mats.cli.target import Target, resolve_target
from mats.errors import MatsError, ValidationError


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
        target = self.target  # Resolving the target points the clients at it.
        env = dict(os.environ)
        if target.stack is not None and target.stack.get("secrets_dir"):
            env["MATS_SECRETS_DIR"] = target.stack["secrets_dir"]
        return bootstrap(env)


class MatsGroup(click.Group):
    """A command group that turns MATS errors into one clear line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MatsError as error:
            _fail(error)


def _fail(error: MatsError) -> None:
    field_name = error.field if isinstance(error, ValidationError) else None
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


@click.group(cls=MatsGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
