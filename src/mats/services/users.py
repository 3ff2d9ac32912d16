"""Dashboard users: create them, give them a role over one client's or sender's data, disable.

Every input is checked before anything is written, so a refused request changes nothing: the
email, the password, the role with exactly the scope id it needs, and that scope's client or
sender existing. Changing a user's role or disabling it revokes its sessions, so tokens issued
before stop working; asking for what is already so changes nothing. An admin may not disable
themselves or take away their own admin role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mats.domain.users import (
    Access,
    Role,
    User,
    new_password,
    parse_access,
    parse_display_name,
    parse_email,
    parse_password,
)
from mats.errors import ConflictError, NotFoundError, ValidationError
from mats.ports import UserDirectory, UserPage

Exists = Callable[[str], bool]


@dataclass(frozen=True)
class CreatedUser:
    """A new user, and its password when MATS generated it (to be shown once)."""

    user: User
    generated_password: str | None


class UserService:
    def __init__(
        self,
        directory: UserDirectory,
        *,
        client_exists: Exists,
        sender_exists: Exists,
        passwords: Callable[[], str] = new_password,
    ) -> None:
        self._directory = directory
        self._client_exists = client_exists
        self._sender_exists = sender_exists
        self._passwords = passwords

    def create(
        self,
        email: object,
        role: object,
        *,
        client_id: object = None,
        sender_id: object = None,
        password: object = None,
        display_name: object = None,
        email_verified: bool = False,
    ) -> CreatedUser:
        """Create a user with a role and its scope; without ``password`` one is generated."""
        address = parse_email(email)
        access = self._checked_access(role, client_id, sender_id)
        chosen = None if password is None else parse_password(password)
        name = parse_display_name(display_name)
        existing = self._directory.get(address)
        if existing is not None:
            raise ConflictError(f"{address} already belongs to user {existing.uid}", field="email")
        secret = self._passwords() if chosen is None else chosen
        user = self._directory.create(
            address, secret, access, display_name=name, email_verified=email_verified
        )
        return CreatedUser(user, secret if chosen is None else None)

    def get(self, user: str) -> User:
        """Return the user named by its email or uid; ``NotFoundError`` if there is none."""
        found = self._directory.get(_reference(user))
        if found is None:
            raise NotFoundError(f"no user {user!r}")
        return found

    def list(self, page_size: int = 1000) -> Iterator[User]:
        """Every user, page by page."""
        token: str | None = None
        while True:
            page = self.page(token, page_size)
            yield from page.users
            if page.next_page_token is None:
                return
            token = page.next_page_token

    def page(self, page_token: str | None = None, size: int = 1000) -> UserPage:
        if not 1 <= size <= 1000:
            raise ValidationError("size", "must be from 1 to 1000")
        return self._directory.page(page_token, size)

    def set_role(
        self,
        user: str,
        role: object,
        *,
        client_id: object = None,
        sender_id: object = None,
        acting_uid: str | None = None,
    ) -> User:
        """Give the user this role and scope; its sessions are revoked. The same role and scope
        again changes nothing. ``acting_uid``, the admin asking, may not take away their own
        admin role: the fund must not lock itself out."""
        access = self._checked_access(role, client_id, sender_id)
        found = self.get(user)
        if found.uid == acting_uid and access.role is not Role.ADMIN:
            raise ConflictError(
                "you cannot take away your own admin role; another admin must", field="role"
            )
        if found.access == access:
            return found
        return self._directory.set_access(found.uid, access)

    def disable(self, user: str, *, acting_uid: str | None = None) -> User:
        """Refuse the user's sign-ins from now on; its sessions are revoked. A disabled user
        stays as it is; ``acting_uid``, the admin asking, may not disable themselves."""
        found = self.get(user)
        if found.uid == acting_uid:
            raise ConflictError("you cannot disable yourself; another admin must", field="uid")
        if found.disabled:
            return found
        return self._directory.set_disabled(found.uid, True)

    def enable(self, user: str) -> User:
        found = self.get(user)
        if not found.disabled:
            return found
        return self._directory.set_disabled(found.uid, False)

    def _checked_access(self, role: object, client_id: object, sender_id: object) -> Access:
        access = parse_access(role, client_id, sender_id)
        if access.role is Role.CLIENT and not self._client_exists(str(access.client_id)):
            raise ValidationError("client_id", f"no client {access.client_id!r}")
        if access.role is Role.SENDER and not self._sender_exists(str(access.sender_id)):
            raise ValidationError("sender_id", f"no sender {access.sender_id!r}")
        return access


def _reference(user: str) -> str:
    """An email is compared in lower case; a uid as given."""
    stripped = user.strip()
    if not stripped:
        raise ValidationError("user", "must be an email address or a uid")
    return parse_email(stripped) if "@" in stripped else stripped
