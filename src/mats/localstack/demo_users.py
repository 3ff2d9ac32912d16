"""The demo's dashboard users: an admin with an SMS second factor, a client, a sender.

Seeded into the Auth emulator with the rest of the demo, through the same service as
``mats users create`` (so a client user needs the demo history's client to exist first). Their
passwords are random for every stack and kept in ``<state>/demo-users.json`` (mode 0600, local
throwaway data only), so a kept stack prints them again; a user the emulator lost (killed before
its data was saved) is created again from that file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mats.domain.users import Access, Role, parse_access

if TYPE_CHECKING:
    from mats.bootstrap import Services
    from mats.localstack.auth_emulator import AuthEmulator
    from mats.ports import UserDirectory

DEMO_USERS_FILE = "demo-users.json"
DEMO_CLIENT_ID = "jane-whitfield"  # One of the demo history's clients.
# A fictional number: the emulator "sends" its codes to verificationCodes, never to a phone.
DEMO_ADMIN_PHONE = "+15555550100"
DEMO_ADMIN_FACTOR = "demo-admin-sms"


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    role: str
    display_name: str
    client_id: str | None = None
    sender_id: str | None = None
    phone_number: str | None = None  # Its SMS second factor, if it has one.

    @property
    def access(self) -> Access:
        return parse_access(self.role, self.client_id, self.sender_id)

    def public(self) -> dict[str, str | None]:
        """The user without its password (for ``stack.json``)."""
        described = asdict(self)
        del described["password"]
        return described


def seed_demo_users(
    services: Services, emulator: AuthEmulator, state_dir: Path, sender_id: str
) -> list[DemoUser]:
    """Create the demo users with fresh random passwords and save them."""
    wanted = [
        ("admin@mats.example", Role.ADMIN, "MATS Admin", None, None, DEMO_ADMIN_PHONE),
        ("jane@whitfield.example", Role.CLIENT, "Jane Whitfield", DEMO_CLIENT_ID, None, None),
        ("signals@demo-signals.example", Role.SENDER, "Demo Signals", None, sender_id, None),
    ]
    seeded = []
    for email, role, name, client_id, sender, phone in wanted:
        created = services.users.create(
            email,
            role,
            client_id=client_id,
            sender_id=sender,
            display_name=name,
            email_verified=True,  # An SMS factor needs a verified email.
        )
        if phone is not None:
            emulator.enroll_phone(created.user.uid, phone, DEMO_ADMIN_FACTOR)
        password = str(created.generated_password)
        seeded.append(DemoUser(email, password, role.value, name, client_id, sender, phone))
    _save(state_dir, seeded)
    return seeded


def restore_demo_users(
    directory: UserDirectory, emulator: AuthEmulator, state_dir: Path
) -> list[DemoUser]:
    """Create again any saved demo user the emulator no longer has; return the saved users."""
    saved = saved_demo_users(state_dir)
    for user in saved:
        if directory.get(user.email) is not None:
            continue
        created = directory.create(
            user.email,
            user.password,
            user.access,
            display_name=user.display_name,
            email_verified=True,
        )
        if user.phone_number is not None:
            emulator.enroll_phone(created.uid, user.phone_number, DEMO_ADMIN_FACTOR)
    return saved


def saved_demo_users(state_dir: Path) -> list[DemoUser]:
    try:
        raw = json.loads((state_dir / DEMO_USERS_FILE).read_text())
    except (OSError, ValueError):
        return []
    return [DemoUser(**user) for user in raw]


def _save(state_dir: Path, users: Sequence[DemoUser]) -> None:
    path = state_dir / DEMO_USERS_FILE
    path.unlink(missing_ok=True)
    # Created readable by its owner only, never for a moment by anyone else.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(json.dumps([asdict(user) for user in users], indent=2) + "\n")
