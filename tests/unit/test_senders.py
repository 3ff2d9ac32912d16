from datetime import timedelta

import pytest

from mats.domain.senders import (
    UNKNOWN_KEY_NAME,
    SenderStatus,
    new_sender_id,
    normalize_allowlist,
    normalized_name,
    parse_signature,
    reject_unknown_signature,
    sign_body,
    signing_key,
    signing_key_name,
    verifier_of,
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
        secret_verifier=verifier_of(signing_key("new-secret")),
        previous_secret_verifier=verifier_of(signing_key(SECRET)),
        previous_secret_valid_until=CREATED + timedelta(hours=1),
    )

    assert sender.secret_matches("new-secret", CREATED)
    assert sender.secret_matches(SECRET, CREATED + timedelta(minutes=59))
    assert not sender.secret_matches(SECRET, CREATED + timedelta(hours=1))


KEYS = (signing_key(SECRET), None)


def test_signature_is_hmac_of_the_raw_body_keyed_with_the_sha256_of_the_secret() -> None:
    sender = a_sender()
    body = b'{"ticker":"AAPL"}'
    signature = sign_body(signing_key(SECRET), body)

    assert sender.signature_matches(body, parse_signature(f"sha256={signature}"), CREATED, KEYS)
    assert sender.signature_matches(body, parse_signature(signature.upper()), CREATED, KEYS)
    assert not sender.signature_matches(body + b" ", signature, CREATED, KEYS)


@pytest.mark.parametrize("header", ["", "sha256=", "sha256=abc", "md5=" + "0" * 64, "0" * 65])
def test_a_malformed_signature_header_is_named(header: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_signature(header)

    assert raised.value.field == "X-Signature"


def test_firestore_keeps_a_verifier_that_can_neither_sign_nor_stand_in_for_the_secret() -> None:
    sender = a_sender()
    body = b'{"ticker":"AAPL"}'
    stored = sender.secret_verifier

    assert stored not in (SECRET, signing_key(SECRET))
    assert not sender.secret_matches(stored, CREATED)
    assert not sender.signature_matches(body, sign_body(stored, body), CREATED, KEYS)
    assert not sender.signature_matches(body, sign_body(stored, body), CREATED, (stored, None))


def test_a_key_the_verifier_does_not_name_is_not_used() -> None:
    sender = a_sender()
    body = b"{}"
    other = signing_key("someone-else")

    assert not sender.signature_matches(body, sign_body(other, body), CREATED, (other, None))
    assert not sender.signature_matches(body, sign_body(other, body), CREATED, (None, None))


def test_signing_keys_are_named_per_sender_and_key_and_the_previous_only_in_grace() -> None:
    sender = a_sender(
        secret_verifier=verifier_of(signing_key("new-secret")),
        previous_secret_verifier=verifier_of(signing_key(SECRET)),
        previous_secret_valid_until=CREATED + timedelta(hours=1),
    )

    current, previous = sender.key_names(CREATED)
    assert current == signing_key_name(sender.sender_id, sender.secret_verifier)
    assert previous == signing_key_name(sender.sender_id, verifier_of(signing_key(SECRET)))
    assert sender.key_names(CREATED + timedelta(hours=1))[1] == UNKNOWN_KEY_NAME
    assert sender.signature_matches(
        b"{}", sign_body(signing_key(SECRET), b"{}"), CREATED, (None, signing_key(SECRET))
    )


def test_an_unknown_senders_signature_never_matches() -> None:
    assert not reject_unknown_signature(b"{}", sign_body(signing_key(SECRET), b"{}"))


def test_names_are_the_same_whatever_their_case_and_spacing() -> None:
    assert normalized_name("  Alpha   SIGNALS ") == normalized_name("alpha signals")
    assert normalized_name("Alpha Signals") != normalized_name("Alpha Signals 2")


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
