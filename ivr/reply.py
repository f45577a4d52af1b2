"""What the service answers at one step of a call, before it becomes TwiML.

Flows return these plain values; :mod:`ivr.twiml` turns them into TwiML. Keeping the two
apart lets flows be tested by what the caller hears, not by XML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Line:
    """One utterance: a catalog prompt, its filled-in spoken values, and its language.

    ``language`` is None for the call's current language; set it for the bilingual
    language menu, which speaks both.
    """

    key: str
    params: Mapping[str, str] = field(default_factory=dict)
    language: str | None = None

    @property
    def static(self) -> bool:
        """A prompt without figures, which can be pre-rendered to audio."""
        return not self.params


@dataclass(frozen=True)
class Listen:
    """Wait for keys or speech after the lines (``<Gather>``)."""

    speech_language: str | None = None


@dataclass(frozen=True)
class ToQueue:
    """Put the caller in a queue of agents (``<Enqueue>``)."""

    queue: str


@dataclass(frozen=True)
class Hangup:
    """End the call after the lines."""


Action = Listen | ToQueue | Hangup | None


@dataclass(frozen=True)
class Reply:
    lines: tuple[Line, ...]
    action: Action = None

    def after(self, *lines: Line) -> Reply:
        """The same reply with *lines* spoken first."""
        return Reply(lines + self.lines, self.action)
