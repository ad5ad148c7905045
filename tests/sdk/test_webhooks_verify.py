"""``ccokit_sdk.webhooks.verify`` checked against the Standard Webhooks reference implementation."""

from __future__ import annotations

import base64
import json
import os
import time
from datetime import UTC, datetime

import pytest
import standardwebhooks

from ccokit_sdk.webhooks import WebhookVerificationError, sign, verify

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()
PAYLOAD = json.dumps({"type": "quick_reply.created", "data": {"id": "qr_1", "title": "退款 refund"}},
                     ensure_ascii=False)


def _reference_headers(secret: str, payload: str, msg_id: str = "msg_1", at: float | None = None) -> dict[str, str]:
    when = datetime.fromtimestamp(int(at if at is not None else time.time()), tz=UTC)
    signature = standardwebhooks.Webhook(secret).sign(msg_id, when, payload)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(when.timestamp())), "webhook-signature": signature}


def test_a_reference_signature_verifies_and_returns_the_json() -> None:
    headers = _reference_headers(SECRET, PAYLOAD)
    assert verify(PAYLOAD.encode(), headers, SECRET) == json.loads(PAYLOAD)
    assert verify(PAYLOAD, {k.title(): v for k, v in headers.items()}, SECRET)["data"]["title"] == "退款 refund"


def test_our_signature_verifies_with_the_reference() -> None:
    headers = sign(PAYLOAD, SECRET, "msg_2")
    assert standardwebhooks.Webhook(SECRET).verify(PAYLOAD, headers) == json.loads(PAYLOAD)
    assert headers == _reference_headers(SECRET, PAYLOAD, "msg_2", at=int(headers["webhook-timestamp"]))


def test_one_matching_signature_among_several_is_enough() -> None:
    good = _reference_headers(SECRET, PAYLOAD)
    old = _reference_headers(OTHER_SECRET, PAYLOAD, at=int(good["webhook-timestamp"]))
    headers = dict(good, **{"webhook-signature": f"v2,abc {old['webhook-signature']} v1,!!! "
                                                 f"{good['webhook-signature']}"})
    assert verify(PAYLOAD, headers, SECRET)["type"] == "quick_reply.created"
    assert verify(PAYLOAD, headers, OTHER_SECRET)["type"] == "quick_reply.created"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h, p: (h, p.replace("refund", "REFUND")), "no signature matches"),
        (lambda h, p: ({**h, "webhook-id": "msg_other"}, p), "no signature matches"),
        (lambda h, p: ({**h, "webhook-signature": "v1,"}, p), "no signature matches"),
        (lambda h, p: ({k: v for k, v in h.items() if k != "webhook-signature"}, p), "webhook-signature"),
        (lambda h, p: ({k: v for k, v in h.items() if k != "webhook-id"}, p), "webhook-id"),
        (lambda h, p: ({**h, "webhook-timestamp": "yesterday"}, p), "not a number"),
    ],
)
def test_anything_changed_fails(change: object, message: str) -> None:
    headers, payload = change(_reference_headers(SECRET, PAYLOAD), PAYLOAD)  # type: ignore[operator]
    with pytest.raises(WebhookVerificationError, match=message):
        verify(payload, headers, SECRET)


def test_a_wrong_secret_fails() -> None:
    with pytest.raises(WebhookVerificationError, match="no signature matches"):
        verify(PAYLOAD, _reference_headers(SECRET, PAYLOAD), OTHER_SECRET)
    with pytest.raises(WebhookVerificationError, match="base64"):
        verify(PAYLOAD, _reference_headers(SECRET, PAYLOAD), "whsec_not base64!")
    with pytest.raises(WebhookVerificationError, match="empty"):
        verify(PAYLOAD, _reference_headers(SECRET, PAYLOAD), "whsec_")


def test_timestamps_outside_the_tolerance_fail() -> None:
    now = time.time()
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify(PAYLOAD, _reference_headers(SECRET, PAYLOAD, at=now - 301), SECRET)
    with pytest.raises(WebhookVerificationError, match="future"):
        verify(PAYLOAD, _reference_headers(SECRET, PAYLOAD, at=now + 301), SECRET)
    assert verify(PAYLOAD, _reference_headers(SECRET, PAYLOAD, at=now - 3000), SECRET, tolerance=3600)
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify(PAYLOAD, _reference_headers(SECRET, PAYLOAD, at=now - 60), SECRET, tolerance=30)


def test_unpadded_and_raw_secrets_work_like_the_reference() -> None:
    unpadded = "whsec_" + base64.b64encode(b"sixteen byte key").decode().rstrip("=") + ""
    raw = base64.b64encode(b"k" * 24).decode().rstrip("=")
    for secret in (unpadded, raw):
        assert verify(PAYLOAD, _reference_headers(secret, PAYLOAD), secret)["data"]["id"] == "qr_1"


def test_a_signed_payload_that_is_not_json_fails() -> None:
    with pytest.raises(WebhookVerificationError, match="not JSON"):
        verify("not json", _reference_headers(SECRET, "not json"), SECRET)
