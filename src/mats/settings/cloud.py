"""Every deployable's first section: the Google Cloud project, or the emulators standing in."""

from __future__ import annotations

from dataclasses import dataclass

from mats.errors import ValidationError
from mats.settings.environment import Environment, text


@dataclass(frozen=True)
class CloudSettings:
    """The project every client works in, and the emulators that stand in for Google Cloud.

    The emulator hosts are read here, from the process's settings, and handed to the clients:
    nothing needs them in ``os.environ`` (the CLI points its clients at a stack without it).
    """

    project_id: str
    firestore_emulator_host: str | None = None
    pubsub_emulator_host: str | None = None


def cloud_settings(env: Environment) -> CloudSettings:
    project_id = text(env, "GOOGLE_CLOUD_PROJECT") or text(env, "GCLOUD_PROJECT")
    if not project_id:
        raise ValidationError("GOOGLE_CLOUD_PROJECT", "must name the Google Cloud project")
    return CloudSettings(
        project_id=project_id,
        firestore_emulator_host=text(env, "FIRESTORE_EMULATOR_HOST"),
        pubsub_emulator_host=text(env, "PUBSUB_EMULATOR_HOST"),
    )
