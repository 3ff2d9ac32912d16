"""The dashboard API's settings (the ``/api`` side of ``functions/dashboard``)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from mats.errors import ValidationError
from mats.settings.environment import Environment, text, whole_number


@dataclass(frozen=True)
class ApiSettings:
    """``firebase_project`` is the project whose ID tokens are accepted (their ``aud``);
    ``allowed_origins`` the web origins CORS lets call the API (the hosting origins);
    ``bridge_url`` where the admins' cancels and reconciliations are asked of the bridge, with
    an identity token for ``bridge_audience`` when one is set (Cloud Run); ``region`` where the
    project's Cloud Run services run (the health page lists them), ``local_stack_file`` the local
    stack's ``stack.json`` (set by ``mats up``: the health page lists its processes instead)."""

    firebase_project: str
    allowed_origins: tuple[str, ...] = ()
    auth_emulator_host: str | None = None
    clock_skew_seconds: int = 5
    bridge_url: str | None = None
    bridge_audience: str | None = None
    region: str | None = None
    local_stack_file: str | None = None


def api_settings(env: Environment) -> ApiSettings:
    project = (
        text(env, "MATS_FIREBASE_PROJECT")
        or text(env, "GOOGLE_CLOUD_PROJECT")
        or text(env, "GCLOUD_PROJECT")
    )
    if not project:
        raise ValidationError("MATS_FIREBASE_PROJECT", "must name the Firebase project")
    emulator = text(env, "FIREBASE_AUTH_EMULATOR_HOST")  # Refused on Cloud Run: Services.
    origins = tuple(
        _origin(item.strip())
        for item in (text(env, "MATS_API_ALLOWED_ORIGINS") or "").split(",")
        if item.strip()
    )
    skew = whole_number(env, "MATS_API_CLOCK_SKEW_SECONDS", ApiSettings.clock_skew_seconds)
    if not 0 <= skew <= 300:
        raise ValidationError("MATS_API_CLOCK_SKEW_SECONDS", "must be between 0 and 300")
    bridge = text(env, "MATS_BRIDGE_URL")
    if bridge is not None and _origin_of(bridge) is None:
        raise ValidationError("MATS_BRIDGE_URL", f"{bridge!r} is not an http(s) URL")
    return ApiSettings(
        firebase_project=project,
        allowed_origins=origins,
        auth_emulator_host=emulator,
        clock_skew_seconds=skew,
        bridge_url=bridge,
        bridge_audience=text(env, "MATS_BRIDGE_AUDIENCE"),
        region=text(env, "MATS_REGION"),
        local_stack_file=text(env, "MATS_LOCAL_STACK_FILE"),
    )


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _origin(value: str) -> str:
    origin = _origin_of(value)
    if origin is None or urlsplit(value).path not in ("", "/"):
        raise ValidationError(
            "MATS_API_ALLOWED_ORIGINS", f"{value!r} is not an origin (scheme://host[:port])"
        )
    return origin
