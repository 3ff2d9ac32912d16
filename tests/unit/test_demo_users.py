"""The demo's dashboard users come back with their saved passwords when the emulator lost them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mats.domain.users import Access, Role
from mats.localstack.demo_users import (
    DEMO_ADMIN_PHONE,
    DEMO_USERS_FILE,
    DemoUser,
    restore_demo_users,
    saved_demo_users,
)
from tests.fakes import FakeClock, InMemoryUserDirectory

ADMIN = DemoUser(
    "admin@mats.example", "p" * 22, "admin", "MATS Admin", phone_number=DEMO_ADMIN_PHONE
)
CLIENT = DemoUser("jane@whitfield.example", "q" * 22, "client", "Jane", client_id="jane-whitfield")


class RecordingEmulator:
    def __init__(self) -> None:
        self.enrolled: list[tuple[str, str]] = []

    def enroll_phone(self, uid: str, phone_number: str, enrollment_id: str) -> None:
        self.enrolled.append((uid, phone_number))


def save(state_dir: Path, *users: DemoUser) -> None:
    rows: list[dict[str, Any]] = [vars(user) for user in users]
    (state_dir / DEMO_USERS_FILE).write_text(json.dumps(rows))


def test_lost_demo_users_are_created_again_with_their_saved_passwords_and_factor(
    tmp_path: Path,
) -> None:
    save(tmp_path, ADMIN, CLIENT)
    directory = InMemoryUserDirectory(FakeClock())
    kept = directory.create(CLIENT.email, "changed-since", CLIENT.access)
    emulator = RecordingEmulator()

    restored = restore_demo_users(directory, emulator, tmp_path)

    admin = directory.get(ADMIN.email)
    assert restored == [ADMIN, CLIENT]
    assert admin is not None
    assert admin.access == Access(Role.ADMIN)
    assert admin.email_verified
    assert directory.passwords[admin.uid] == ADMIN.password
    assert directory.passwords[kept.uid] == "changed-since"  # Present users are left alone.
    assert emulator.enrolled == [(admin.uid, DEMO_ADMIN_PHONE)]


def test_no_saved_demo_users_means_none_to_restore(tmp_path: Path) -> None:
    directory = InMemoryUserDirectory(FakeClock())

    assert restore_demo_users(directory, RecordingEmulator(), tmp_path) == []
    assert saved_demo_users(tmp_path) == []
    assert directory.writes == 0


def test_the_public_view_of_a_demo_user_has_no_password() -> None:
    assert "password" not in ADMIN.public()
    assert ADMIN.public()["phone_number"] == DEMO_ADMIN_PHONE
