"""Public ids: ``<prefix>_`` and 26 Crockford base32 digits of the UUID's 128 bits."""

from __future__ import annotations

import random
import uuid

import pytest

from ccokit_sdk.ids import InvalidPublicId, decode_public_id, encode_public_id, new_id

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def digit_by_digit(value: uuid.UUID) -> str:
    """The definition: 26 digits of 5 bits, most significant first."""
    return "".join(CROCKFORD[(value.int >> (5 * (25 - i))) & 31] for i in range(26))


def test_known_values_encode_as_defined() -> None:
    assert encode_public_id("tkt", uuid.UUID(int=0)) == "tkt_" + "0" * 26
    assert encode_public_id("tkt", uuid.UUID(int=2**128 - 1)) == "tkt_7" + "Z" * 25
    assert encode_public_id("cus", uuid.UUID(int=31)) == "cus_" + "0" * 25 + "Z"
    assert encode_public_id("cus", uuid.UUID(int=32)) == "cus_" + "0" * 24 + "10"


def test_random_ids_round_trip_and_match_the_definition() -> None:
    rng = random.Random(7)
    values = [new_id() for _ in range(200)] + [uuid.UUID(int=rng.getrandbits(128)) for _ in range(2000)]
    for value in values:
        text = encode_public_id("tkt", value)
        assert text == "tkt_" + digit_by_digit(value)
        assert decode_public_id("tkt", text) == value
        assert decode_public_id("tkt", text.lower()) == value


def test_public_ids_sort_as_their_uuids() -> None:
    rng = random.Random(11)
    values = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(500)]
    assert sorted(values) == sorted(values, key=lambda v: encode_public_id("msg", v))


@pytest.mark.parametrize("text", [
    "tkt_" + "0" * 25,  # too short
    "tkt_" + "0" * 27,  # too long
    "cus_" + "0" * 26,  # another kind
    "tkt" + "0" * 26,  # no separator
    "tkt_" + "8" + "0" * 25,  # more than 128 bits
    "tkt_" + "I" * 26, "tkt_" + "L" * 26, "tkt_" + "O" * 26, "tkt_" + "U" * 26,  # not Crockford digits
    "tkt_" + "0" * 25 + "!", "tkt_" + "0" * 25 + "\n", "tkt_ " + "0" * 25, "tkt_+" + "0" * 25,
    "tkt_" + "0" * 25 + "\u0663",  # a non-ASCII digit
    "tkt_" + "ß" * 13,  # upper-cases to 26 letters
])
def test_malformed_ids_are_refused(text: str) -> None:
    with pytest.raises(InvalidPublicId):
        decode_public_id("tkt", text)


def test_a_bad_prefix_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="prefix"):
        encode_public_id("Tkt", new_id())
    with pytest.raises(InvalidPublicId):
        decode_public_id("tkt", 5)  # type: ignore[arg-type]
