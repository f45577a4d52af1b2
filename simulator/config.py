"""The network's settings, and the webhook paths where it reaches the application (the
contract in DESIGN.md: Twilio calls these)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

VOICE_INCOMING = "/voice/incoming"
VOICE_STATUS = "/voice/status"
SMS_INCOMING = "/sms/incoming"

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
DEFAULT_AUTH_TOKEN = "local-simulator-token"
DEFAULT_ACCOUNT_SID = "AC" + "0" * 32


@dataclass(frozen=True)
class NetworkConfig:
    """Where the application is, how requests are signed, and how time passes.

    ``hold_timeout`` bounds, in *real* seconds, how long a caller holds in a queue and how
    long two parties wait for each other to join a bridge, so a test never hangs.
    ``party_talk_seconds`` is how long a simulated phone (a dialled number, an outbound call
    without a script) talks before it hangs up.
    """

    base_url: str = DEFAULT_BASE_URL
    account_sid: str = DEFAULT_ACCOUNT_SID
    auth_token: str = DEFAULT_AUTH_TOKEN
    time_scale: float = 0.0
    hold_timeout: float = 30.0
    webhook_timeout: float = 15.0
    party_talk_seconds: float = 60.0

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: object
    ) -> NetworkConfig:
        """Defaults from the variables the application reads too; ``overrides`` win."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {
            "base_url": env.get("PUBLIC_BASE_URL") or DEFAULT_BASE_URL,
            "account_sid": env.get("TWILIO_ACCOUNT_SID") or DEFAULT_ACCOUNT_SID,
            "auth_token": env.get("TWILIO_AUTH_TOKEN") or DEFAULT_AUTH_TOKEN,
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)  # type: ignore[arg-type]

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path
