"""The service's settings: every package's, joined, and the recognizer the root builds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from accounts.settings import AccountSettings
from expert_desk.settings import DeskSettings
from ivr.config import read_settings, setting


@dataclass(frozen=True)
class HotlineSettings(DeskSettings, AccountSettings):
    """Everything the service reads from its environment."""

    speech_backend: str = setting("sphinx-grammar", "SPEECH_BACKEND")


def load_settings(environ: Mapping[str, str] | None = None) -> HotlineSettings:
    """The service's settings from *environ* (default ``os.environ``), checked."""
    return read_settings(HotlineSettings, environ)
