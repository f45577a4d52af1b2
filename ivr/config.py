"""Configuration from environment variables, with a working embedded default.

The default is the one-machine setup: SQLite, local SMS delivery, the local call simulator
as the telephone network, signed webhooks with a local token. Production sets
``IVR_ENV=production``; then a real auth token and a public URL are required.
"""

from __future__ import annotations

import os
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
}

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
    if settings.production:
        if settings.twilio_auth_token == LOCAL_AUTH_TOKEN:
            raise ConfigError("IVR_ENV=production needs TWILIO_AUTH_TOKEN (the account's token)")
        if not settings.validate_signatures:
            raise ConfigError("IVR_ENV=production cannot switch off VALIDATE_TWILIO_SIGNATURE")
        if settings.secret_key == Settings.secret_key:
            raise ConfigError("IVR_ENV=production needs SECRET_KEY")
        if settings.database_url.startswith("sqlite"):
            raise ConfigError("IVR_ENV=production needs DATABASE_URL pointing at PostgreSQL")
