"""The browser phone in tests: the API key the app signs access tokens with."""

from __future__ import annotations

from typing import Any

API_KEY = "SK" + "5" * 32
API_SECRET = "browser-phone-test-secret-0123456789"
TWIML_APP = "AP" + "6" * 32


def phone_settings(host: str) -> dict[str, Any]:
    """The app's settings for a browser phone whose signalling is the stand-in at *host*."""
    return {
        "twilio_api_key": API_KEY,
        "twilio_api_secret": API_SECRET,
        "twilio_twiml_app_sid": TWIML_APP,
        "twilio_signalling_host": host,
    }
