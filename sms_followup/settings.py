"""What the SMS side reads from its environment, on top of the engine's settings."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ivr.config import ConfigError, Settings, setting

_QUIET_HOURS = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]")


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
    sms_quiet_hours: str = setting("22:00-08:00", "SMS_QUIET_HOURS")
    industry_port_prefixes: str = setting("10655021,10655877", "INDUSTRY_PORT_PREFIXES")
    port_review_threshold_pct: int = setting(5, "PORT_REVIEW_THRESHOLD_PCT")
    reminder_rules_file: str = setting("", "REMINDER_RULES_FILE")
    vas_confirm_hours: int = setting(24, "VAS_CONFIRM_HOURS")

    def check(self) -> None:
        super().check()
        if self.sms_sender not in {"local", "twilio"}:
            raise ConfigError(f"SMS_SENDER must be local or twilio, not {self.sms_sender!r}")
        if self.sms_send_timeout_s < 1 or self.sms_lease_s <= 2 * self.sms_send_timeout_s:
            raise ConfigError("SMS_LEASE_S must be more than twice SMS_SEND_TIMEOUT_S (>= 1)")
        if self.sms_quiet_hours and not _QUIET_HOURS.fullmatch(self.sms_quiet_hours):
            raise ConfigError("SMS_QUIET_HOURS must look like 22:00-08:00 (or be empty)")
