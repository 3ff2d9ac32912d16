"""Firebase Authentication: the dashboard's users (``FirebaseUsers``) and the app the API
verifies ID tokens with (``firebase_app``).

Pointed at the Auth emulator (``FIREBASE_AUTH_EMULATOR_HOST``), firebase-admin needs no
credentials and accepts unsigned ``alg: none`` ID tokens as genuine. That must never happen on
Cloud Run: every process that verifies tokens calls ``refuse_emulator_in_cloud`` first.

Vendor errors are translated here: an unknown user is ``NotFoundError``, a taken email
``ConflictError``, an unreachable service ``TemporaryError``, any other refusal
``PermanentError``.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import firebase_admin
from firebase_admin import auth, exceptions
from google.auth.exceptions import DefaultCredentialsError

from mats.domain.users import Access, User, access_from_claims
from mats.errors import ConflictError, MatsError, NotFoundError, PermanentError, TemporaryError
from mats.ports import UserPage

EMULATOR_HOST_VARIABLE = "FIREBASE_AUTH_EMULATOR_HOST"
CLOUD_RUN_VARIABLE = "K_SERVICE"
_TEMPORARY = (
    exceptions.UnavailableError,
    exceptions.DeadlineExceededError,
    exceptions.ResourceExhaustedError,
    exceptions.InternalError,
)
_apps_lock = threading.Lock()
# firebase-admin reads the emulator's address from os.environ when it builds a client.
_environment_lock = threading.Lock()


class AuthEmulatorInCloudError(MatsError):
    """The Auth emulator is configured on Cloud Run, where it would accept forged tokens."""


def refuse_emulator_in_cloud(env: Mapping[str, str]) -> None:
    """Raise ``AuthEmulatorInCloudError`` if ``env`` is Cloud Run's (``K_SERVICE`` set) and
    points Firebase Auth at an emulator: firebase-admin would accept unsigned tokens there."""
    host = (env.get(EMULATOR_HOST_VARIABLE) or "").strip()
    service = (env.get(CLOUD_RUN_VARIABLE) or "").strip()
    if host and service:
        raise AuthEmulatorInCloudError(
            f"{EMULATOR_HOST_VARIABLE}={host} is set on Cloud Run ({CLOUD_RUN_VARIABLE}="
            f"{service}): with it firebase-admin accepts unsigned ID tokens; remove it from the "
            "service's environment"
        )


def firebase_app(project_id: str) -> firebase_admin.App:
    """Return the app for ``project_id``, created on the first call (one named app a project).

    In a project it uses Application Default Credentials, loaded when first needed.
    """
    name = f"mats-{project_id}"
    with _apps_lock:
        try:
            return firebase_admin.get_app(name)
        except ValueError:
            return firebase_admin.initialize_app(options={"projectId": project_id}, name=name)


class FirebaseUsers:
    """The dashboard's users in Firebase Auth (or its emulator, at ``emulator_host``)."""

    def __init__(self, app: firebase_admin.App, *, emulator_host: str | None = None) -> None:
        self._app = app
        self._emulator_host = emulator_host
        self._client: auth.Client | None = None
        self._lock = threading.Lock()

    @property
    def project_id(self) -> str:
        return str(self._app.project_id)

    def create(
        self,
        email: str,
        password: str,
        access: Access,
        *,
        display_name: str | None = None,
        email_verified: bool = False,
    ) -> User:
        client = self._auth()
        with _translated(email):
            record = client.create_user(
                email=email,
                password=password,
                display_name=display_name,
                email_verified=email_verified,
            )
        try:
            with _translated(email):
                client.set_custom_user_claims(record.uid, access.claims())
        except MatsError:
            # A user without claims grants nothing, but a half-made one must not stay behind.
            with contextlib.suppress(MatsError), _translated(email):
                client.delete_user(record.uid)
            raise
        return self._require(record.uid)

    def get(self, user: str) -> User | None:
        client = self._auth()
        try:
            with _translated(user):
                record = client.get_user_by_email(user) if "@" in user else client.get_user(user)
        except NotFoundError:
            return None
        return _user(record)

    def page(self, page_token: str | None = None, size: int = 1000) -> UserPage:
        with _translated("users"):
            found = self._auth().list_users(page_token=page_token, max_results=size)
        return UserPage([_user(record) for record in found.users], found.next_page_token or None)

    def list(self) -> Iterator[User]:
        """Every user, a page of 1,000 at a time."""
        token: str | None = None
        while True:
            page = self.page(token)
            yield from page.users
            if page.next_page_token is None:
                return
            token = page.next_page_token

    def set_access(self, user: str, access: Access) -> User:
        uid = self._uid(user)
        client = self._auth()
        with _translated(user):
            client.set_custom_user_claims(uid, access.claims())
            client.revoke_refresh_tokens(uid)
        return self._require(uid)

    def set_disabled(self, user: str, disabled: bool) -> User:
        uid = self._uid(user)
        client = self._auth()
        with _translated(user):
            client.update_user(uid, disabled=disabled)
            if disabled:
                client.revoke_refresh_tokens(uid)
        return self._require(uid)

    def _uid(self, user: str) -> str:
        return self._require(user).uid

    def _require(self, user: str) -> User:
        found = self.get(user)
        if found is None:
            raise NotFoundError(f"no user {user!r}")
        return found

    def _auth(self) -> auth.Client:
        with self._lock:
            if self._client is None:
                try:
                    with _emulator_environment(self._emulator_host):
                        self._client = auth.Client(self._app)
                except DefaultCredentialsError as error:
                    raise PermanentError(
                        f"no Google credentials for Firebase Auth in {self.project_id}: {error} "
                        "(run `gcloud auth application-default login`)"
                    ) from error
            return self._client


@contextlib.contextmanager
def _emulator_environment(host: str | None) -> Iterator[None]:
    """Build a client for ``host`` (``None``: Firebase itself), whatever os.environ says, and
    leave os.environ as it was: a process's settings, not its environment, choose the target."""
    with _environment_lock:
        saved = os.environ.get(EMULATOR_HOST_VARIABLE)
        _set_variable(host)
        try:
            yield
        finally:
            _set_variable(saved)


def _set_variable(value: str | None) -> None:
    if value is None:
        os.environ.pop(EMULATOR_HOST_VARIABLE, None)
    else:
        os.environ[EMULATOR_HOST_VARIABLE] = value


@contextlib.contextmanager
def _translated(subject: str) -> Iterator[None]:
    try:
        yield
    except auth.EmailAlreadyExistsError as error:
        raise ConflictError(f"{subject} already belongs to a user", field="email") from error
    except (auth.UserNotFoundError, auth.EmailNotFoundError) as error:
        raise NotFoundError(f"no user {subject!r}") from error
    except _TEMPORARY as error:
        raise TemporaryError(f"Firebase Auth is unavailable: {error}") from error
    except exceptions.FirebaseError as error:
        raise PermanentError(f"Firebase Auth refused ({subject}): {error}") from error
    except ValueError as error:  # firebase-admin's own argument checks.
        raise PermanentError(f"Firebase Auth refused ({subject}): {error}") from error


def _user(record: Any) -> User:
    metadata = record.user_metadata
    return User(
        uid=str(record.uid),
        email=record.email,
        display_name=record.display_name,
        disabled=bool(record.disabled),
        email_verified=bool(record.email_verified),
        access=access_from_claims(record.custom_claims),
        second_factors=_second_factors(record),
        created_at=_moment(metadata.creation_timestamp),
        last_sign_in_at=_moment(metadata.last_sign_in_timestamp),
        tokens_valid_after=_moment(record.tokens_valid_after_timestamp),
    )


def _second_factors(record: Any) -> tuple[str, ...]:
    # firebase-admin for Python has no MFA API; the record's raw data holds the enrolments.
    enrolments = (getattr(record, "_data", None) or {}).get("mfaInfo") or []
    kinds = []
    for enrolment in enrolments:
        if "phoneInfo" in enrolment:
            kinds.append("phone")
        elif "totpInfo" in enrolment:
            kinds.append("totp")
    return tuple(kinds)


def _moment(milliseconds: int | None) -> datetime | None:
    return datetime.fromtimestamp(milliseconds / 1000, UTC) if milliseconds else None
