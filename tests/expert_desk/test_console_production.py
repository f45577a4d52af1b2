"""Production refuses a weak setup for the console's sessions (issue 13): an http public URL
(the session cookie would not be Secure) and a short SECRET_KEY, naming the variable."""

from __future__ import annotations

import pytest

from hotline.settings import load_settings
from ivr.config import ConfigError

STRONG_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
GOOD = {
    "IVR_ENV": "production",
    "TWILIO_AUTH_TOKEN": "a-real-token",
    "SECRET_KEY": STRONG_SECRET,
    "PUBLIC_BASE_URL": "https://hotline.example",
    "DATABASE_URL": "postgresql+psycopg://hotline@db/hotline",
    "TWILIO_VOICE_NUMBERS": "10010=+862150010010",  # callbacks come from it
}


def test_a_strong_production_setup_starts() -> None:
    settings = load_settings(GOOD)
    assert settings.production and settings.public_base_url == "https://hotline.example"


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"PUBLIC_BASE_URL": "http://hotline.example"}, "PUBLIC_BASE_URL must start with https://"),
        ({"SECRET_KEY": "abc"}, "SECRET_KEY must be at least 32 random bytes"),
        ({"SECRET_KEY": STRONG_SECRET[:31]}, "SECRET_KEY must be at least 32 random bytes"),
        ({"SECRET_KEY": "a" * 64}, "SECRET_KEY must be at least 32 random bytes"),
    ],
)
def test_production_refuses_a_weak_setup_and_names_the_variable(
    change: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError, match=variable) as refused:
        load_settings({**GOOD, **change})
    # Only the wrong variable is named.
    others = {"PUBLIC_BASE_URL", "SECRET_KEY"} - set(change)
    assert not any(other in str(refused.value) for other in others)


def test_every_weak_production_setting_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({**GOOD, "PUBLIC_BASE_URL": "http://x.example", "SECRET_KEY": "abc"})
    assert "PUBLIC_BASE_URL" in str(refused.value) and "SECRET_KEY" in str(refused.value)


def test_local_and_test_setups_keep_http_and_their_short_secret() -> None:
    assert load_settings({"SECRET_KEY": "abc"}).public_base_url.startswith("http://")
