"""Configuration from environment variables, with a working embedded default.

The default is the one-machine setup: SQLite, local SMS delivery, the local call simulator
as the telephone network, signed webhooks with a local token. Production sets
``IVR_ENV=production``; then a real auth token and a public URL are required.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

LOCAL_AUTH_TOKEN = "local-simulator-token"
LOCAL_ACCOUNT_SID = "AC" + "0" * 32


class ConfigError(ValueError):
    """The configuration cannot work; the message says which variable to fix."""


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment."""

    env: str = "local"
    database_url: str = "sqlite:///var/hotline.db"
    public_base_url: str = "http://127.0.0.1:5000"
    twilio_account_sid: str = LOCAL_ACCOUNT_SID
    twilio_auth_token: str = LOCAL_AUTH_TOKEN
    twilio_api_base_url: str | None = None
    validate_signatures: bool = True
    sms_sender: str = "local"
    sms_from_number: str = "10010"
    voice_zh: str = "Polly.Zhiyu"
    voice_en: str = "Polly.Joanna"
    gather_timeout_s: int = 4
    max_strikes: int = 3
    call_stale_after_s: int = 1800
    general_queue: str = "general"
    secret_key: str = field(default="local-dev-secret", repr=False)
    prompt_audio_dir: str = "var/prompts"
    prompt_audio: bool = True
    speech_backend: str = "sphinx-grammar"
    # SMS delivery and messaging (sms_followup): sender per message type as
    # "kind=number,kind=number" (unlisted kinds use sms_from_number); quiet hours in
    # Asia/Shanghai as "HH:MM-HH:MM" (empty: none); lease must outlast a send.
    sms_from_numbers: str = ""
    sms_send_timeout_s: int = 10
    sms_lease_s: int = 120
    sms_quiet_hours: str = "22:00-08:00"
    industry_port_prefixes: str = "10655021,10655877"
    port_review_threshold_pct: int = 5
    reminder_rules_file: str = ""
    vas_confirm_hours: int = 24
    password_lockout_s: int = 86400
    # Smart-device expert desk (expert_desk): opening hours in Asia/Shanghai, queue limits,
    # offers to agents, wrap-up, service-level target, routing strategy (see expert_desk/README.md).
    desk_hours: str = "09:00-21:00"
    desk_queue: str = "expert-desk"
    desk_max_queue: int = 20
    desk_max_wait_s: int = 900
    desk_reservation_s: int = 20
    desk_max_lapses: int = 3
    desk_wrap_up_s: int = 120
    desk_service_level_s: int = 20
    desk_strategy: str = "longest-idle"
    desk_announce_every_s: int = 60
    desk_hold_s: int = 20
    desk_hold_music_url: str = ""
    desk_question_s: int = 30
    desk_default_handle_s: int = 420
    desk_agent_ring_s: int = 20
    desk_caller_id: str = "10010"

    @property
    def production(self) -> bool:
        return self.env == "production"

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        return replace(self, **overrides)


_ENV_NAMES: dict[str, str] = {
    "env": "IVR_ENV",
    "database_url": "DATABASE_URL",
    "public_base_url": "PUBLIC_BASE_URL",
    "twilio_account_sid": "TWILIO_ACCOUNT_SID",
    "twilio_auth_token": "TWILIO_AUTH_TOKEN",
    "twilio_api_base_url": "TWILIO_API_BASE_URL",
    "validate_signatures": "VALIDATE_TWILIO_SIGNATURE",
    "sms_sender": "SMS_SENDER",
    "sms_from_number": "SMS_FROM_NUMBER",
    "voice_zh": "VOICE_ZH",
    "voice_en": "VOICE_EN",
    "gather_timeout_s": "GATHER_TIMEOUT_S",
    "max_strikes": "MAX_STRIKES",
    "call_stale_after_s": "CALL_STALE_AFTER_S",
    "general_queue": "GENERAL_QUEUE",
    "secret_key": "SECRET_KEY",
    "prompt_audio_dir": "PROMPT_AUDIO_DIR",
    "prompt_audio": "PROMPT_AUDIO",
    "speech_backend": "SPEECH_BACKEND",
    "sms_from_numbers": "SMS_FROM_NUMBERS",
    "sms_send_timeout_s": "SMS_SEND_TIMEOUT_S",
    "sms_lease_s": "SMS_LEASE_S",
    "sms_quiet_hours": "SMS_QUIET_HOURS",
    "industry_port_prefixes": "INDUSTRY_PORT_PREFIXES",
    "port_review_threshold_pct": "PORT_REVIEW_THRESHOLD_PCT",
    "reminder_rules_file": "REMINDER_RULES_FILE",
    "vas_confirm_hours": "VAS_CONFIRM_HOURS",
    "password_lockout_s": "PASSWORD_LOCKOUT_S",
    "desk_hours": "DESK_HOURS",
    "desk_queue": "DESK_QUEUE",
    "desk_max_queue": "DESK_MAX_QUEUE",
    "desk_max_wait_s": "DESK_MAX_WAIT_S",
    "desk_reservation_s": "DESK_RESERVATION_S",
    "desk_max_lapses": "DESK_MAX_LAPSES",
    "desk_wrap_up_s": "DESK_WRAP_UP_S",
    "desk_service_level_s": "DESK_SERVICE_LEVEL_S",
    "desk_strategy": "DESK_STRATEGY",
    "desk_announce_every_s": "DESK_ANNOUNCE_EVERY_S",
    "desk_hold_s": "DESK_HOLD_S",
    "desk_hold_music_url": "DESK_HOLD_MUSIC_URL",
    "desk_question_s": "DESK_QUESTION_S",
    "desk_default_handle_s": "DESK_DEFAULT_HANDLE_S",
    "desk_agent_ring_s": "DESK_AGENT_RING_S",
    "desk_caller_id": "DESK_CALLER_ID",
}

_QUIET_HOURS = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _convert(name: str, raw: str, kind: Any) -> Any:
    if kind in (bool, "bool"):
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ConfigError(f"{name} must be true or false, not {raw!r}")
    if kind in (int, "int"):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    return raw


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings from *environ* (default ``os.environ``) and check they can work."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        name = _ENV_NAMES[f.name]
        if name in environ and environ[name] != "":
            values[f.name] = _convert(name, environ[name], f.type)
    # Resolved once, here: a relative PROMPT_AUDIO_DIR is under the directory the process
    # starts in, where `ivr prompts render` writes it. Left relative, the app would find the
    # files there but Flask would serve them from the app's own folder.
    values["prompt_audio_dir"] = os.path.abspath(
        values.get("prompt_audio_dir", Settings.prompt_audio_dir)
    )
    settings = Settings(**values)
    check(settings)
    return settings


def check(settings: Settings) -> None:
    """Refuse settings that cannot work in their environment."""
    if settings.env not in {"local", "test", "production"}:
        raise ConfigError(f"IVR_ENV must be local, test or production, not {settings.env!r}")
    if settings.sms_sender not in {"local", "twilio"}:
        raise ConfigError(f"SMS_SENDER must be local or twilio, not {settings.sms_sender!r}")
    if not settings.public_base_url.startswith(("http://", "https://")):
        raise ConfigError("PUBLIC_BASE_URL must start with http:// or https://")
    if settings.sms_send_timeout_s < 1 or settings.sms_lease_s <= 2 * settings.sms_send_timeout_s:
        raise ConfigError("SMS_LEASE_S must be more than twice SMS_SEND_TIMEOUT_S (>= 1)")
    if settings.sms_quiet_hours and not _QUIET_HOURS.fullmatch(settings.sms_quiet_hours):
        raise ConfigError("SMS_QUIET_HOURS must look like 22:00-08:00 (or be empty)")
    if settings.production:
        if settings.twilio_auth_token == LOCAL_AUTH_TOKEN:
            raise ConfigError("IVR_ENV=production needs TWILIO_AUTH_TOKEN (the account's token)")
        if not settings.validate_signatures:
            raise ConfigError("IVR_ENV=production cannot switch off VALIDATE_TWILIO_SIGNATURE")
        if settings.secret_key == Settings.secret_key:
            raise ConfigError("IVR_ENV=production needs SECRET_KEY")
        if settings.database_url.startswith("sqlite"):
            raise ConfigError("IVR_ENV=production needs DATABASE_URL pointing at PostgreSQL")
