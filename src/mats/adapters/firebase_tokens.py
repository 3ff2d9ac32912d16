"""Firebase Authentication ID tokens, verified by the Admin SDK, and the user records they name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import firebase_admin
from firebase_admin import auth
from firebase_admin import exceptions as firebase_errors

from mats.errors import TemporaryError, Unauthenticated
from mats.ports import UserFacts


class FirebaseIdentity:
    """:class:`mats.api.identity.IdentityProvider` over Firebase Authentication."""

    def __init__(self, app: firebase_admin.App) -> None:
        self._app = app

    def verify(self, token: str) -> Mapping[str, Any]:
        try:
            claims: dict[str, Any] = auth.verify_id_token(token, app=self._app, check_revoked=True)
        except auth.CertificateFetchError as error:
            raise TemporaryError(f"Google's token certificates: {error}") from error
        except (auth.InvalidIdTokenError, auth.UserDisabledError, ValueError) as error:
            raise Unauthenticated(f"{type(error).__name__}: {error}") from error
        except firebase_errors.FirebaseError as error:
            raise _translated(error) from error
        return claims

    def user(self, uid: str) -> UserFacts | None:
        try:
            record = auth.get_user(uid, app=self._app)
        except auth.UserNotFoundError:
            return None
        except firebase_errors.FirebaseError as error:
            raise _translated(error) from error
        return UserFacts(
            uid=record.uid,
            email=record.email,
            disabled=record.disabled,
            claims=dict(record.custom_claims or {}),
        )


def _translated(error: firebase_errors.FirebaseError) -> Exception:
    if isinstance(error, firebase_errors.UnavailableError | firebase_errors.DeadlineExceededError):
        return TemporaryError(f"Firebase Authentication: {error}")
    if isinstance(error, firebase_errors.InternalError | firebase_errors.UnknownError):
        return TemporaryError(f"Firebase Authentication: {error}")
    return Unauthenticated(f"{type(error).__name__}: {error}")
