"""The status callback URLs the service hands Twilio ask for retries (connection overrides,
a ``#rc=…&rp=…`` fragment), and the fragment takes no part in the signature: Twilio requests
the URL without it (a fragment is never sent over HTTP) and signs what it requests, which is
all the app can check with ``RequestValidator``."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from hotline.container import Hotline
from ivr.callbacks import status_callback_url


def test_a_status_callback_url_asks_twilio_to_retry_what_the_service_cannot_take_now() -> None:
    assert (
        status_callback_url("https://hotline.example.com/", "/voice/desk/callback/7/status")
        == "https://hotline.example.com/voice/desk/callback/7/status#rc=5&rp=ct,rt,5xx"
    )


def test_a_callback_signed_over_the_url_twilio_requests_is_accepted(
    client: FlaskClient, hotline: Hotline
) -> None:
    handed_out = status_callback_url(hotline.settings.public_base_url, "/sms/status")
    requested = handed_out.partition("#")[0]
    form = {
        "AccountSid": hotline.settings.twilio_account_sid,
        "MessageSid": "SM" + "3" * 32,
        "MessageStatus": "delivered",
    }
    validator = RequestValidator(hotline.settings.twilio_auth_token)

    def post(signed_url: str) -> int:
        signature = validator.compute_signature(signed_url, form)
        path = urlsplit(requested).path
        return client.post(path, data=form, headers={"X-Twilio-Signature": signature}).status_code

    assert post(requested) == 200
    # The app sees only the URL it was sent: a signature over the fragment could not pass.
    assert post(handed_out) == 403
