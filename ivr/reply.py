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
    """Wait for one key or speech after the lines (``<Gather numDigits="1">``).

    With ``digits`` set, collect a string of up to that many keys instead (a password,
    a phone number): keys only, no speech, ``#`` ends the entry early.
    """

    speech_language: str | None = None
    digits: int | None = None
    #: Where the answer goes; None for the engine's ``/voice/step``.
    action: str | None = None


@dataclass(frozen=True)
class ToQueue:
    """Put the caller in a queue of agents (``<Enqueue>``).

    ``wait_url`` and ``action_url`` default to the general agents queue's webhooks.
    """

    queue: str
    wait_url: str | None = None
    action_url: str | None = None


@dataclass(frozen=True)
class Hangup:
    """End the call after the lines."""


@dataclass(frozen=True)
class Record:
    """Record what the caller says after a beep (``<Record>``), then post it to *action*.

    ``#`` ends the recording. When nothing was recorded Twilio skips the action request;
    the call then falls through to *action* all the same, without a ``RecordingUrl``.
    """

    max_length: int
    action: str


@dataclass(frozen=True)
class Dial:
    """Connect the caller to a phone number, or ``client:identity`` (``<Dial>``); the outcome
    (``DialCallStatus``, ``DialCallDuration``) is posted to *action*."""

    to: str
    action: str
    timeout: int
    caller_id: str | None = None


@dataclass(frozen=True)
class Hold:
    """A queue's wait music (a waitUrl document): the lines, then the music, listening for
    one key, which is posted to *key_action*. The music is *music_url* when set, else the
    rendered hold music; without either, silence for *seconds*."""

    key_action: str
    seconds: int
    music_url: str = ""


@dataclass(frozen=True)
class Leave:
    """Take the caller out of the queue it waits in (``<Leave>``); its Enqueue action runs."""


Action = Listen | ToQueue | Hangup | Record | Dial | Hold | Leave | None


@dataclass(frozen=True)
class Reply:
    lines: tuple[Line, ...]
    action: Action = None

    def after(self, *lines: Line) -> Reply:
        """The same reply with *lines* spoken first."""
        return Reply(lines + self.lines, self.action)
