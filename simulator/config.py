"""The network's settings, and the webhook paths where it reaches the application (the
contract in docs/design.md: Twilio calls these)."""

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

# The numbers the simulated Twilio account owns (E.164, message-capable), and its Messaging
# Services with the numbers of each one's pool. Carrier codes such as 10010 or the industry
# ports 10655021... are none of them: Twilio refuses them as senders, as the stand-in does.
DEFAULT_SMS_NUMBERS: tuple[str, ...] = ("+8613010010000", "+8613010655021", "+8613010655877")
DEFAULT_MESSAGING_SERVICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("MG" + "8" * 32, ("+8613010655877",)),
)


@dataclass(frozen=True)
class NetworkConfig:
    """Where the application is, how requests are signed, and how time passes.

    ``hold_timeout`` bounds, in *real* seconds, how long a caller holds in a queue and how
    long two parties wait for each other to join a bridge, so a test never hangs.
    ``party_talk_seconds`` is how long a simulated phone (a dialled number, an outbound call
    without a script) talks before it hangs up. ``sms_numbers`` are the numbers the account
    owns (the only ``From`` a message may have, the only numbers a handset can text), and
    ``messaging_services`` its Messaging Service SIDs, each with the numbers of its pool.
    From the environment: ``STANDIN_SMS_NUMBERS`` (comma-separated E.164) and
    ``STANDIN_MESSAGING_SERVICES`` (``MG...=+86...|+86...,MG...=...``).
    """

    base_url: str = DEFAULT_BASE_URL
    account_sid: str = DEFAULT_ACCOUNT_SID
    auth_token: str = DEFAULT_AUTH_TOKEN
    time_scale: float = 0.0
    hold_timeout: float = 30.0
    webhook_timeout: float = 15.0
    party_talk_seconds: float = 60.0
    sms_numbers: tuple[str, ...] = DEFAULT_SMS_NUMBERS
    messaging_services: tuple[tuple[str, tuple[str, ...]], ...] = DEFAULT_MESSAGING_SERVICES

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
        if env.get("STANDIN_SMS_NUMBERS"):
            values["sms_numbers"] = tuple(
                n.strip() for n in env["STANDIN_SMS_NUMBERS"].split(",") if n.strip()
            )
        if env.get("STANDIN_MESSAGING_SERVICES"):
            values["messaging_services"] = parse_messaging_services(
                env["STANDIN_MESSAGING_SERVICES"]
            )
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)  # type: ignore[arg-type]

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def pool(self, messaging_service_sid: str) -> tuple[str, ...] | None:
        """The numbers of a Messaging Service the account has; None for one it has not."""
        return dict(self.messaging_services).get(messaging_service_sid)

    def owns(self, number: str) -> bool:
        """Whether ``number`` is one of the account's numbers (its own or a pool's)."""
        return number in self.sms_numbers or any(
            number in pool for _, pool in self.messaging_services
        )


def parse_messaging_services(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``MG...=+86...|+86...,MG...=+86...`` as :attr:`NetworkConfig.messaging_services`."""
    services = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        sid, _, numbers = entry.partition("=")
        pool = tuple(n.strip() for n in numbers.split("|") if n.strip())
        if not sid.strip().startswith("MG") or not pool:
            raise ValueError(f"a Messaging Service is MG...=+86...|+86..., not {entry!r}")
        services.append((sid.strip(), pool))
    return tuple(services)
