"""What the accounts features read from their environment."""

from __future__ import annotations

from dataclasses import dataclass

from ivr.config import setting
from sms_followup.settings import SmsSettings


@dataclass(frozen=True)
class AccountSettings(SmsSettings):
    """How long three wrong service passwords lock a subscriber's password (the temporary
    password and the change confirmation go out by SMS, hence the SMS settings)."""

    password_lockout_s: int = setting(86400, "PASSWORD_LOCKOUT_S")
