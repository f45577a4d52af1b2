"""Configuration from environment variables, with a working embedded default.

The default is the one-machine setup: SQLite, local SMS delivery, the local call simulator
as the telephone network, signed webhooks with a local token. Production sets
``IVR_ENV=production``; then a real auth token and a public URL are required.

Each package keeps its own settings beside its code, as a dataclass that extends the
settings of the packages it builds on (the desk's extend the SMS ones, which extend these
of the engine); the composition root's settings join them all (``hotline.settings``). A
field names its environment variable with :func:`setting`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Self, TypeVar

from ivr import numbers

LOCAL_AUTH_TOKEN = "local-simulator-token"
LOCAL_ACCOUNT_SID = "AC" + "0" * 32
LOCAL_VOICE_NUMBERS = (
    "10010=+862131010010,1001011=+862131001011,1001012=+862131001012,"
    "1001013=+862131001013,1001015=+862131001015"
)
"""The demo map of ``TWILIO_VOICE_NUMBERS`` outside production: the numbers the simulator's
account has for the codes (``make run`` prints it)."""
DEFAULT_DB_LOCK_TIMEOUT_S = 3.0
MAX_DB_LOCK_TIMEOUT_S = 10
MAX_PROXY_HOPS = 5


class ConfigError(ValueError):
    """The configuration cannot work; the message says which variable to fix."""


def setting(default: Any, env: str, *, secret: bool = False, empty_ok: bool = False) -> Any:
    """A settings field read from the environment variable *env*. An empty value means the
    default, unless *empty_ok*: then ``VAR=`` (set, empty) is the empty string."""
    return field(default=default, metadata={"env": env, "empty_ok": empty_ok}, repr=not secret)


@dataclass(frozen=True)
class Settings:
    """What the call engine reads from its environment."""

    env: str = setting("local", "IVR_ENV")
    database_url: str = setting("sqlite:///var/hotline.db", "DATABASE_URL")
    db_lock_timeout_s: float = setting(DEFAULT_DB_LOCK_TIMEOUT_S, "DB_LOCK_TIMEOUT_S")
    """Longest wait for a database lock or statement; then the step fails (the caller hears
    the apology and an agent) well before Twilio gives up on the webhook (15 s)."""
    public_base_url: str = setting("http://127.0.0.1:5000", "PUBLIC_BASE_URL")
    twilio_account_sid: str = setting(LOCAL_ACCOUNT_SID, "TWILIO_ACCOUNT_SID")
    twilio_auth_token: str = setting(LOCAL_AUTH_TOKEN, "TWILIO_AUTH_TOKEN", secret=True)
    twilio_api_base_url: str | None = setting(None, "TWILIO_API_BASE_URL")
    twilio_voice_numbers: str = setting("", "TWILIO_VOICE_NUMBERS")
    """``code=+E164,...``: the Twilio number of each code (:meth:`voice_numbers`)."""
    validate_signatures: bool = setting(True, "VALIDATE_TWILIO_SIGNATURE")
    voice_zh: str = setting("Polly.Zhiyu", "VOICE_ZH")
    voice_en: str = setting("Polly.Joanna", "VOICE_EN")
    gather_timeout_s: int = setting(4, "GATHER_TIMEOUT_S")
    max_strikes: int = setting(3, "MAX_STRIKES")
    call_stale_after_s: int = setting(1800, "CALL_STALE_AFTER_S")
    general_queue: str = setting("general", "GENERAL_QUEUE")
    secret_key: str = setting("local-dev-secret", "SECRET_KEY", secret=True)
    prompt_audio_dir: str = setting("var/prompts", "PROMPT_AUDIO_DIR")
    prompt_audio: bool = setting(True, "PROMPT_AUDIO")
    proxy_hops: int = setting(0, "PROXY_HOPS")
    """Reverse proxies in front of the app (nginx: 1) whose X-Forwarded-For and -Proto it
    believes: the desk's per-address login limits need the client's own address."""

    @property
    def production(self) -> bool:
        return self.env == "production"

    def voice_numbers(self) -> numbers.VoiceNumbers:
        """``TWILIO_VOICE_NUMBERS`` checked (outside production, unset, the demo map
        :data:`LOCAL_VOICE_NUMBERS`): each entry a code of the service mapped to a number in
        E.164, neither twice; else ConfigError naming the variable."""
        text = self.twilio_voice_numbers or ("" if self.production else LOCAL_VOICE_NUMBERS)
        pairs: list[tuple[str, str]] = []
        for item in filter(None, (part.strip() for part in text.split(","))):
            code, equals, number = (part.strip() for part in item.partition("="))
            if not equals:
                raise ConfigError(
                    f"TWILIO_VOICE_NUMBERS must look like 10010=+862131010010,"
                    f"1001011=+862131001011, not {item!r}"
                )
            if code not in numbers.DIRECT_CODES:
                raise ConfigError(
                    f"TWILIO_VOICE_NUMBERS: {code} is not a number of this service (one of "
                    f"{', '.join(numbers.DIRECT_CODES)})"
                )
            twilio_e164 = twilio_number(f"TWILIO_VOICE_NUMBERS ({code})", number)
            for known, known_number in pairs:
                if code == known:
                    raise ConfigError(f"TWILIO_VOICE_NUMBERS: {code} is mapped twice")
                if twilio_e164 == known_number:
                    raise ConfigError(
                        f"TWILIO_VOICE_NUMBERS: {twilio_e164} stands for both {known} and {code}"
                    )
            pairs.append((code, twilio_e164))
        return numbers.VoiceNumbers(tuple(pairs))

    def with_overrides(self, overrides: Mapping[str, Any]) -> Self:
        return replace(self, **overrides)

    @classmethod
    def of(cls, settings: Settings) -> Self:
        """*settings* as this package's: the composition root hands every part the service's
        settings, which extend those of every package."""
        if not isinstance(settings, cls):
            raise TypeError(f"{type(settings).__name__} does not hold {cls.__name__}")
        return settings

    def check(self) -> None:
        """Refuse settings that cannot work in their environment (each package's settings
        add their own checks to these). In production, every weak setting is named at once."""
        if self.env not in {"local", "test", "production"}:
            raise ConfigError(f"IVR_ENV must be local, test or production, not {self.env!r}")
        if not self.public_base_url.startswith(("http://", "https://")):
            raise ConfigError("PUBLIC_BASE_URL must start with http:// or https://")
        if not 0 <= self.proxy_hops <= MAX_PROXY_HOPS:
            raise ConfigError(f"PROXY_HOPS must be 0 to {MAX_PROXY_HOPS} (1 behind nginx)")
        self.voice_numbers()
        if not 0 < self.db_lock_timeout_s <= MAX_DB_LOCK_TIMEOUT_S:
            raise ConfigError(
                f"DB_LOCK_TIMEOUT_S must be more than 0 and at most {MAX_DB_LOCK_TIMEOUT_S} "
                "seconds (Twilio gives up on a webhook after 15)"
            )
        if not self.production:
            return
        min_secret_bytes = 32  # SECRET_KEY signs the desk's session cookies
        wrong = []
        if self.twilio_auth_token == LOCAL_AUTH_TOKEN:
            wrong.append("TWILIO_AUTH_TOKEN is needed (the account's token)")
        if not self.validate_signatures:
            wrong.append("VALIDATE_TWILIO_SIGNATURE cannot be switched off")
        if not self.public_base_url.startswith("https://"):
            wrong.append(
                "PUBLIC_BASE_URL must start with https:// (the desk's session cookie is "
                "Secure only then)"
            )
        if self.secret_key == Settings.secret_key:
            wrong.append("SECRET_KEY is needed")
        elif len(self.secret_key.encode()) < min_secret_bytes or len(set(self.secret_key)) < 8:
            wrong.append(
                f"SECRET_KEY must be at least {min_secret_bytes} random bytes "
                "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        if self.database_url.startswith("sqlite"):
            wrong.append("DATABASE_URL must point at PostgreSQL")
        if wrong:
            raise ConfigError("IVR_ENV=production: " + "; ".join(wrong))


def twilio_number(name: str, value: str) -> str:
    """*value* of the variable *name* as a number a Twilio account can own or verify: E.164
    (``+`` and the country code) and a real number, returned in E.164; else ConfigError."""
    try:
        if value.strip().startswith("+"):
            return numbers.e164(value)
    except numbers.InvalidNumber:
        pass
    code = " (carrier codes such as 10010 are not Twilio numbers)" if value.isdigit() else ""
    raise ConfigError(
        f"{name} must be a number the Twilio account owns, in E.164 (+862131010010), "
        f"not {value!r}{code}"
    )


S = TypeVar("S", bound=Settings)

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
    if kind in (float, "float"):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    return raw


def read_settings(kind: type[S], environ: Mapping[str, str] | None = None) -> S:
    """Settings of *kind* from *environ* (default ``os.environ``), checked that they can work."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(kind):
        name = f.metadata["env"]
        if environ.get(name, "") != "" or (name in environ and f.metadata.get("empty_ok")):
            values[f.name] = _convert(name, environ[name], f.type)
    # Resolved once, here: a relative PROMPT_AUDIO_DIR is under the directory the process
    # starts in, where `ivr prompts render` writes it. Left relative, the app would find the
    # files there but Flask would serve them from the app's own folder.
    values["prompt_audio_dir"] = os.path.abspath(
        values.get("prompt_audio_dir", kind.prompt_audio_dir)
    )
    settings = kind(**values)
    settings.check()
    return settings
