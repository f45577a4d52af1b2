"""What the smart-device expert desk reads from its environment (see expert_desk/README.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from expert_desk import policy
from ivr.config import LOCAL_ACCOUNT_SID, ConfigError, setting, twilio_number
from ivr.numbers import HOTLINE_NUMBER
from sms_followup.settings import SmsSettings

_API_KEY = re.compile(r"SK[0-9a-f]{32}")
_TWIML_APP = re.compile(r"AP[0-9a-f]{32}")
_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?")
MAX_TOKEN_TTL_S = 24 * 3600  # Twilio refuses access tokens valid for longer
MIN_API_SECRET = 32  # an API key's secret; shorter would be a weak key for the tokens' HMAC


@dataclass(frozen=True)
class DeskSettings(SmsSettings):
    """Opening hours in Asia/Shanghai, queue limits, offers to agents, wrap-up, service-level
    target, routing strategy (the agent's wrap-up SMS goes out by SMS, hence the SMS settings)."""

    desk_hours: str = setting("09:00-21:00", "DESK_HOURS")
    desk_queue: str = setting("expert-desk", "DESK_QUEUE")
    desk_max_queue: int = setting(20, "DESK_MAX_QUEUE")
    desk_max_wait_s: int = setting(900, "DESK_MAX_WAIT_S")
    desk_reservation_s: int = setting(20, "DESK_RESERVATION_S")
    desk_max_lapses: int = setting(3, "DESK_MAX_LAPSES")
    desk_wrap_up_s: int = setting(120, "DESK_WRAP_UP_S")
    desk_service_level_s: int = setting(20, "DESK_SERVICE_LEVEL_S")
    desk_strategy: str = setting("longest-idle", "DESK_STRATEGY")
    desk_announce_every_s: int = setting(60, "DESK_ANNOUNCE_EVERY_S")
    desk_hold_s: int = setting(20, "DESK_HOLD_S")
    desk_hold_music_url: str = setting("", "DESK_HOLD_MUSIC_URL")
    desk_question_s: int = setting(30, "DESK_QUESTION_S")
    desk_default_handle_s: int = setting(420, "DESK_DEFAULT_HANDLE_S")
    desk_agent_ring_s: int = setting(20, "DESK_AGENT_RING_S")
    desk_caller_id: str = setting("", "DESK_CALLER_ID")
    # The general agents' line (key 0, the last wrong key, unknown callers): its own hours,
    # longest wait and length; everything else (offers, wrap-up, strategy) as the desk's.
    agent_hours: str = setting("08:00-22:00", "AGENT_HOURS")
    agent_max_wait_s: int = setting(300, "AGENT_MAX_WAIT_S")
    agent_max_queue: int = setting(50, "AGENT_MAX_QUEUE")
    # The agents' browser phone (expert_desk/phone.py): the API key that signs its access
    # tokens, the TwiML App their grant names, how long a token lasts; and, for tests and
    # the local simulator only, the host of a stand-in for Twilio's signalling server.
    twilio_api_key: str = setting("", "TWILIO_API_KEY")
    twilio_api_secret: str = setting("", "TWILIO_API_SECRET", secret=True)
    twilio_twiml_app_sid: str = setting("", "TWILIO_TWIML_APP_SID")
    desk_phone_token_ttl_s: int = setting(3600, "DESK_PHONE_TOKEN_TTL_S")
    twilio_signalling_host: str = setting("", "TWILIO_SIGNALLING_HOST")

    def caller_id(self) -> str:
        """The number callbacks are placed from, in E.164: ``DESK_CALLER_ID``, else the
        Twilio number of 10010 (``TWILIO_VOICE_NUMBERS``). Twilio refuses any other than a
        number of the account or a verified one (error 21210): ConfigError names the
        variable when it cannot be one."""
        if self.desk_caller_id:
            return twilio_number("DESK_CALLER_ID", self.desk_caller_id)
        number = self.voice_numbers().number_for(HOTLINE_NUMBER)
        if number is None:
            raise ConfigError(
                "DESK_CALLER_ID is needed: the number callbacks come from, one the Twilio "
                "account owns or has verified, in E.164 (or map 10010 to its number in "
                "TWILIO_VOICE_NUMBERS)"
            )
        return number

    def check(self) -> None:
        super().check()
        self.caller_id()
        policy.hours(self.desk_hours)
        policy.hours(self.agent_hours, "AGENT_HOURS")
        if self.desk_strategy not in policy.STRATEGIES:
            raise ConfigError(f"DESK_STRATEGY must be one of {', '.join(policy.STRATEGIES)}")
        positive = {
            "DESK_RESERVATION_S": self.desk_reservation_s,
            "DESK_MAX_LAPSES": self.desk_max_lapses,
            "DESK_HOLD_S": self.desk_hold_s,
            "DESK_QUESTION_S": self.desk_question_s,
            "DESK_DEFAULT_HANDLE_S": self.desk_default_handle_s,
            "DESK_AGENT_RING_S": self.desk_agent_ring_s,
            "DESK_MAX_QUEUE": self.desk_max_queue,
            "DESK_MAX_WAIT_S": self.desk_max_wait_s,
            "AGENT_MAX_WAIT_S": self.agent_max_wait_s,
            "AGENT_MAX_QUEUE": self.agent_max_queue,
        }
        for name, value in positive.items():
            if value < 1:
                raise ConfigError(f"{name} must be at least 1")
        if self.desk_wrap_up_s < 0 or self.desk_announce_every_s < 0:
            raise ConfigError("DESK_WRAP_UP_S and DESK_ANNOUNCE_EVERY_S must not be negative")
        if self.desk_hold_music_url and not self.desk_hold_music_url.startswith(
            ("http://", "https://")
        ):
            raise ConfigError(
                "DESK_HOLD_MUSIC_URL must be an absolute http:// or https:// URL (Twilio "
                "fetches it), or empty for the rendered hold music"
            )
        self._check_browser_phone()

    @property
    def browser_phone(self) -> bool:
        """Whether the agents' browser phone is set up (its three variables, checked)."""
        return bool(self.twilio_api_key and self.twilio_api_secret and self.twilio_twiml_app_sid)

    @property
    def on_twilio(self) -> bool:
        """Whether calls go through a Twilio account rather than the local simulator's."""
        return self.production or self.twilio_account_sid != LOCAL_ACCOUNT_SID

    def _check_browser_phone(self) -> None:
        named = {
            "TWILIO_API_KEY": self.twilio_api_key,
            "TWILIO_API_SECRET": self.twilio_api_secret,
            "TWILIO_TWIML_APP_SID": self.twilio_twiml_app_sid,
        }
        missing = [name for name, value in named.items() if not value]
        if 0 < len(missing) < len(named):
            raise ConfigError(
                f"the browser phone needs {' and '.join(missing)} too: TWILIO_API_KEY, "
                "TWILIO_API_SECRET and TWILIO_TWIML_APP_SID go together"
            )
        if self.twilio_api_key and not _API_KEY.fullmatch(self.twilio_api_key):
            raise ConfigError(
                "TWILIO_API_KEY must be the SID of an API key: SK followed by 32 hex digits"
            )
        if self.twilio_api_secret and len(self.twilio_api_secret) < MIN_API_SECRET:
            raise ConfigError(
                f"TWILIO_API_SECRET must be the API key's secret ({MIN_API_SECRET} characters), "
                "shown once when the key was created"
            )
        if self.twilio_twiml_app_sid and not _TWIML_APP.fullmatch(self.twilio_twiml_app_sid):
            raise ConfigError(
                "TWILIO_TWIML_APP_SID must be the SID of a TwiML App: AP followed by 32 hex digits"
            )
        if not 10 <= self.desk_phone_token_ttl_s <= MAX_TOKEN_TTL_S:
            raise ConfigError(
                f"DESK_PHONE_TOKEN_TTL_S must be 10 to {MAX_TOKEN_TTL_S} seconds (Twilio "
                "refuses access tokens valid for more than a day)"
            )
        host = self.twilio_signalling_host
        if host and self.production:
            raise ConfigError(
                "TWILIO_SIGNALLING_HOST points the browser phone at a stand-in for Twilio: "
                "unset it in production"
            )
        if host and not _HOST.fullmatch(host):
            raise ConfigError(f"TWILIO_SIGNALLING_HOST must be HOST or HOST:PORT, not {host!r}")
