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


@dataclass(frozen=True)
class FirebaseSettings:
    """The Firebase project whose Auth holds the dashboard's users, or the emulator in its place.

    Locally the stack's Auth emulator runs a ``demo-`` project of its own (nothing outside the
    machine is reached for one); in a deployment it is the Google Cloud project unless
    ``MATS_FIREBASE_PROJECT`` names another.
    """

    project_id: str
    auth_emulator_host: str | None = None


def cloud_settings(env: Environment) -> CloudSettings:
    project_id = text(env, "GOOGLE_CLOUD_PROJECT") or text(env, "GCLOUD_PROJECT")
    if not project_id:
        raise ValidationError("GOOGLE_CLOUD_PROJECT", "must name the Google Cloud project")
    return CloudSettings(
        project_id=project_id,
        firestore_emulator_host=text(env, "FIRESTORE_EMULATOR_HOST"),
        pubsub_emulator_host=text(env, "PUBSUB_EMULATOR_HOST"),
    )


def firebase_settings(env: Environment) -> FirebaseSettings:
    project_id = (
        text(env, "MATS_FIREBASE_PROJECT")
        or text(env, "GOOGLE_CLOUD_PROJECT")
        or text(env, "GCLOUD_PROJECT")
    )
    if not project_id:
        raise ValidationError(
            "MATS_FIREBASE_PROJECT", "must name the Firebase project (or set GOOGLE_CLOUD_PROJECT)"
        )
    host = text(env, "FIREBASE_AUTH_EMULATOR_HOST")
    if host is not None and "//" in host:
        raise ValidationError("FIREBASE_AUTH_EMULATOR_HOST", f"must be HOST:PORT; got {host!r}")
    return FirebaseSettings(project_id=project_id, auth_emulator_host=host)
