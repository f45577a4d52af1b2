"""What the SMS side reads from its environment, on top of the engine's settings."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ivr.config import ConfigError, Settings, setting

_QUIET_HOURS = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]")
# What Twilio accepts as a sender: a number the account owns in E.164, or a Messaging Service.
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_MESSAGING_SERVICE = re.compile(r"MG[0-9a-f]{32}")
_LOGICAL = re.compile(r"[0-9]{3,20}")
MIN_BACKSTOP_AFTER_S = 60


def is_messaging_service(sender: str) -> bool:
    return bool(_MESSAGING_SERVICE.fullmatch(sender))


@dataclass(frozen=True)
class TwilioSenders:
    """Which Twilio sender each logical sender (``10010``, an industry port) goes out from:
    the longest ``TWILIO_SMS_FROM_MAP`` prefix that matches, else ``TWILIO_SMS_FROM``."""

    default: str
    by_logical: tuple[tuple[str, str], ...] = ()

    def for_logical(self, logical: str) -> str:
        matches = [(k, v) for k, v in self.by_logical if logical.startswith(k)]
        return max(matches, key=lambda kv: len(kv[0]))[1] if matches else self.default

    def logical_for(self, twilio_sender: str, fallback_logical: str) -> str | None:
        """The logical sender a Twilio sender (an inbound ``To``, or its
        ``MessagingServiceSid``) stands for: its map entry, or the default's logical sender;
        None when it is none of ours."""
        for logical, sender in self.by_logical:
            if sender == twilio_sender:
                return logical
        return fallback_logical if twilio_sender == self.default else None


def _twilio_sender(name: str, value: str) -> str:
    value = value.strip()
    if _E164.fullmatch(value) or is_messaging_service(value):
        return value
    raise ConfigError(
        f"{name} must be a number the Twilio account owns, in E.164 (+8613012345678), or a "
        f"Messaging Service SID (MG followed by 32 hex digits), not {value!r}"
        + (" (carrier codes such as 10010 are not Twilio senders)" if value.isdigit() else "")
    )


@dataclass(frozen=True)
class SmsSettings(Settings):
    """Delivery (local or Twilio), senders per message type as ``kind=number,...`` (unlisted
    kinds use ``sms_from_number``), quiet hours in Asia/Shanghai as ``HH:MM-HH:MM``, the
    lease a send must fit in, industry ports, reminders and value-added services."""

    sms_sender: str = setting("local", "SMS_SENDER")
    sms_from_number: str = setting("10010", "SMS_FROM_NUMBER")
    sms_from_numbers: str = setting("", "SMS_FROM_NUMBERS")
    sms_send_timeout_s: int = setting(10, "SMS_SEND_TIMEOUT_S")
    sms_lease_s: int = setting(120, "SMS_LEASE_S")
    sms_quiet_hours: str = setting("22:00-08:00", "SMS_QUIET_HOURS", empty_ok=True)
    industry_port_prefixes: str = setting("10655021,10655877", "INDUSTRY_PORT_PREFIXES")
    port_review_threshold_pct: int = setting(5, "PORT_REVIEW_THRESHOLD_PCT")
    reminder_rules_file: str = setting("", "REMINDER_RULES_FILE")
    vas_confirm_hours: int = setting(24, "VAS_CONFIRM_HOURS")
    # A balance under this many fen gets the warning before suspension (停机预警).
    balance_warning_fen: int = setting(1000, "BALANCE_WARNING_FEN")
    twilio_sms_from: str = setting("", "TWILIO_SMS_FROM")
    twilio_sms_from_map: str = setting("", "TWILIO_SMS_FROM_MAP")
    # A call or message with no final status this long after its last news is looked up in
    # Twilio's REST API by the worker (its status callback may have been lost).
    status_backstop_after_s: int = setting(600, "STATUS_BACKSTOP_AFTER_S")

    def logical_senders(self) -> set[str]:
        """The senders the service speaks of: the default and those per message type."""
        named = {
            item.partition("=")[2].strip() for item in self.sms_from_numbers.split(",") if item
        }
        return {self.sms_from_number} | {n for n in named if n}

    def port_prefixes(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.industry_port_prefixes.split(",") if p.strip())

    def twilio_senders(self) -> TwilioSenders:
        """``TWILIO_SMS_FROM`` and ``TWILIO_SMS_FROM_MAP`` checked; ConfigError names the
        variable when one is missing or malformed."""
        if not self.twilio_sms_from.strip():
            raise ConfigError(
                "TWILIO_SMS_FROM is needed with SMS_SENDER=twilio: a number the Twilio "
                "account owns, in E.164, or a Messaging Service SID (MG...)"
            )
        default = _twilio_sender("TWILIO_SMS_FROM", self.twilio_sms_from)
        known, prefixes = self.logical_senders(), self.port_prefixes()
        pairs: list[tuple[str, str]] = []
        for item in self.twilio_sms_from_map.split(","):
            if not item.strip():
                continue
            logical, equals, sender = (part.strip() for part in item.partition("="))
            if not equals or not _LOGICAL.fullmatch(logical):
                raise ConfigError(
                    "TWILIO_SMS_FROM_MAP must look like 10655021=+8613012345678,10655877=MG..., "
                    f"not {item.strip()!r}"
                )
            if logical not in known and not logical.startswith(prefixes):
                raise ConfigError(
                    f"TWILIO_SMS_FROM_MAP: {logical} is not a sender of this service "
                    "(SMS_FROM_NUMBER, SMS_FROM_NUMBERS or an INDUSTRY_PORT_PREFIXES port)"
                )
            if any(logical == k for k, _ in pairs):
                raise ConfigError(f"TWILIO_SMS_FROM_MAP: {logical} is mapped twice")
            pairs.append((logical, _twilio_sender(f"TWILIO_SMS_FROM_MAP ({logical})", sender)))
        return TwilioSenders(default, tuple(pairs))

    def check(self) -> None:
        super().check()
        if self.sms_sender not in {"local", "twilio"}:
            raise ConfigError(f"SMS_SENDER must be local or twilio, not {self.sms_sender!r}")
        if self.sms_send_timeout_s < 1 or self.sms_lease_s <= 2 * self.sms_send_timeout_s:
            raise ConfigError("SMS_LEASE_S must be more than twice SMS_SEND_TIMEOUT_S (>= 1)")
        if not MIN_BACKSTOP_AFTER_S <= self.status_backstop_after_s < self.call_stale_after_s:
            raise ConfigError(
                f"STATUS_BACKSTOP_AFTER_S must be at least {MIN_BACKSTOP_AFTER_S} and less than "
                f"CALL_STALE_AFTER_S ({self.call_stale_after_s}), or the sweeper ends calls "
                "before their status is looked up"
            )
        if self.sms_quiet_hours and not _QUIET_HOURS.fullmatch(self.sms_quiet_hours):
            raise ConfigError("SMS_QUIET_HOURS must look like 22:00-08:00 (or be empty)")
        if self.sms_sender == "twilio":
            self.twilio_senders()
