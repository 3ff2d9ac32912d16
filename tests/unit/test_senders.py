from datetime import timedelta

import pytest

from mats.domain.senders import (
    SenderStatus,
    hash_secret,
    new_sender_id,
    normalize_allowlist,
    sign_body,
)
from mats.errors import ValidationError
from tests.builders import CREATED, SECRET, a_sender


def test_secret_matches_only_the_right_secret() -> None:
    sender = a_sender()

    assert sender.secret_matches(SECRET, CREATED)
    assert not sender.secret_matches(SECRET + "x", CREATED)
    assert not sender.secret_matches("", CREATED)


def test_disabled_sender_never_matches() -> None:
    assert not a_sender(status=SenderStatus.DISABLED).secret_matches(SECRET, CREATED)


def test_previous_secret_works_only_during_the_grace_period() -> None:
    sender = a_sender(
        secret_hash=hash_secret("new-secret"),
        previous_secret_hash=hash_secret(SECRET),
        previous_secret_valid_until=CREATED + timedelta(hours=1),
    )

    assert sender.secret_matches("new-secret", CREATED)
    assert sender.secret_matches(SECRET, CREATED + timedelta(minutes=59))
    assert not sender.secret_matches(SECRET, CREATED + timedelta(hours=1))


def test_signature_is_hmac_of_the_raw_body_keyed_with_the_secret_hash() -> None:
    sender = a_sender()
    body = b'{"ticker":"AAPL"}'
    signature = sign_body(hash_secret(SECRET), body)

    assert sender.signature_matches(body, f"sha256={signature}", CREATED)
    assert sender.signature_matches(body, signature.upper(), CREATED)
    assert not sender.signature_matches(body + b" ", f"sha256={signature}", CREATED)
    assert not sender.signature_matches(body, "sha256=", CREATED)


@pytest.mark.parametrize(
    ("allowlist", "address", "allowed"),
    [
        ((), "203.0.113.9", True),
        (("52.89.214.238/32",), "52.89.214.238", True),
        (("52.89.214.238/32",), "52.89.214.239", False),
        (("10.0.0.0/8", "2001:db8::/32"), "2001:db8::1", True),
        (("10.0.0.0/8",), None, False),
        (("10.0.0.0/8",), "not-an-ip", False),
    ],
)
def test_ip_allowlist(allowlist: tuple[str, ...], address: str | None, allowed: bool) -> None:
    assert a_sender(ip_allowlist=allowlist).ip_allowed(address) is allowed


def test_allowlist_entries_are_validated_and_normalised() -> None:
    assert normalize_allowlist(("52.89.214.238", "10.1.2.3/8")) == (
        "52.89.214.238/32",
        "10.0.0.0/8",
    )
    with pytest.raises(ValidationError) as raised:
        normalize_allowlist(("300.1.1.1",))
    assert raised.value.field == "ip_allow"


def test_sender_ids_are_slugs_with_a_random_suffix() -> None:
    first, second = new_sender_id("Alpha Signals!"), new_sender_id("Alpha Signals!")

    assert first.startswith("alpha-signals-")
    assert first != second
    assert new_sender_id("???").startswith("sender-")
