"""The network's settings, and the webhook paths where it reaches the application (the
contract in docs/design.md: Twilio calls these)."""

from __future__ import annotations

import os
import re
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
# The account's voice numbers, each with the code it stands for: no Twilio number is 10010
# or 1001011, so a caller who dials a code rings its number. This demo map is the service's
# own default outside production (TWILIO_VOICE_NUMBERS unset) and what `make run` prints.
DEFAULT_VOICE_NUMBERS: tuple[tuple[str, str], ...] = (
    ("10010", "+862131010010"),
    ("1001011", "+862131001011"),
    ("1001012", "+862131001012"),
    ("1001013", "+862131001013"),
    ("1001015", "+862131001015"),
)
# The account's SIP domain: an operator's switch sends it the digits dialled (`ivr call --sip`).
DEFAULT_SIP_DOMAIN = "hotline-10010.sip.twilio.com"
_SIP = re.compile(r"sips?:[^@]+@(?P<host>[^;?]+)", re.IGNORECASE)


class NotOurNumber(ValueError):
    """A number dialled that reaches none of the account's numbers: Twilio never sees it."""


@dataclass(frozen=True)
class NetworkConfig:
    """Where the application is, how requests are signed, and how time passes.

    ``hold_timeout`` bounds, in *real* seconds, how long a caller holds in a queue and how
    long two parties wait for each other to join a bridge, so a test never hangs.
    ``party_talk_seconds`` is how long a simulated phone (a dialled number, an outbound call
    without a script) talks before it hangs up. ``sms_numbers`` are the numbers the account
    owns (the only ``From`` a message may have, the only numbers a handset can text), and
    ``messaging_services`` its Messaging Service SIDs, each with the numbers of its pool.
    ``voice_numbers`` are its voice numbers, each with the code it stands for (what a caller
    dials rings the number; a call may be placed from it), ``caller_ids`` further numbers
    calls may be placed from (verified caller IDs), ``sip_domain`` its SIP domain.
    From the environment: ``STANDIN_SMS_NUMBERS`` (comma-separated E.164),
    ``STANDIN_MESSAGING_SERVICES`` (``MG...=+86...|+86...,MG...=...``),
    ``TWILIO_VOICE_NUMBERS`` (``10010=+86...,1001011=+86...``, as the service reads it),
    ``STANDIN_CALLER_IDS`` (comma-separated E.164) and ``STANDIN_SIP_DOMAIN``.
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
    voice_numbers: tuple[tuple[str, str], ...] = DEFAULT_VOICE_NUMBERS
    caller_ids: tuple[str, ...] = ()
    sip_domain: str = DEFAULT_SIP_DOMAIN

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
            values["sms_numbers"] = _listed(env["STANDIN_SMS_NUMBERS"])
        if env.get("TWILIO_VOICE_NUMBERS"):
            values["voice_numbers"] = parse_voice_numbers(env["TWILIO_VOICE_NUMBERS"])
        if env.get("STANDIN_CALLER_IDS"):
            values["caller_ids"] = _listed(env["STANDIN_CALLER_IDS"])
        if env.get("STANDIN_SIP_DOMAIN"):
            values["sip_domain"] = env["STANDIN_SIP_DOMAIN"].strip()
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

    def may_call_from(self, number: str) -> bool:
        """Whether a call may be placed from ``number``: a number of the account (a voice
        number, or one of its SMS numbers), or a verified caller ID."""
        return (
            number in self.caller_ids
            or any(number == n for _, n in self.voice_numbers)
            or self.owns(number)
        )

    def inbound_to(self, dialled: str) -> str:
        """The ``To`` of the webhook when a caller dials ``dialled``: the account's number
        for a code it has one for, one of its numbers or a SIP URI as it is; else
        :class:`NotOurNumber`."""
        if _SIP.match(dialled):
            return dialled
        for code, number in self.voice_numbers:
            if dialled in (code, number):
                return number
        codes = ", ".join(f"{code} ({number})" for code, number in self.voice_numbers)
        raise NotOurNumber(
            f"{dialled} rings no number of account {self.account_sid}: dial one of its "
            f"codes or numbers, {codes or 'none'} (TWILIO_VOICE_NUMBERS), or a sip: URI"
        )

    def sip_uri(self, user: str) -> str:
        """``user`` (a code dialled, a caller's number) at the account's SIP domain."""
        return f"sip:{user}@{self.sip_domain}"


def as_delivered(number: str) -> str:
    """A handset's number as the network hands it to Twilio: E.164 (+86 for a mainland
    mobile typed as its 11 digits, or a landline with its trunk 0); anything else as it is."""
    digits = number.replace(" ", "").replace("-", "")
    if digits.isdigit() and len(digits) == 11 and digits.startswith("1"):
        return "+86" + digits
    if digits.isdigit() and 10 <= len(digits) <= 12 and digits[0] == "0" and digits[1] != "0":
        return "+86" + digits[1:]
    return digits


def inbound_from(caller: str, to: str) -> str:
    """The ``From`` of the webhook when ``caller`` calls ``to``: E.164, or for a call to a
    SIP URI, the caller's number at its host (the switch that sent the call)."""
    delivered = as_delivered(caller)
    sip = _SIP.match(to)
    if sip is None or _SIP.match(delivered) or ":" in delivered:
        return delivered
    return f"sip:{delivered}@{sip.group('host')}"


def parse_voice_numbers(text: str) -> tuple[tuple[str, str], ...]:
    """``10010=+862131010010,1001011=+862131001011`` as :attr:`NetworkConfig.voice_numbers`."""
    pairs = []
    for entry in _listed(text):
        code, _, number = (part.strip() for part in entry.partition("="))
        if not code or not number.startswith("+"):
            raise ValueError(f"TWILIO_VOICE_NUMBERS is code=+E164,code=+E164..., not {entry!r}")
        pairs.append((code, number.replace(" ", "")))
    return tuple(pairs)


def _listed(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


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
